from django.conf import settings
from django.db import models

from communs.domain.commons import OrganisationKind


class Agent(models.Model):
    """A person or an organisation. Names share one namespace.

    A person usually has a user account; one met only in an imported history (a commit author)
    has none until its owner claims it, and is then `merged_into` the claimant's agent.
    """

    class Type(models.TextChoices):
        PERSON = "person"
        ORGANISATION = "organisation"

    name = models.CharField(max_length=40, unique=True)
    display_name = models.CharField(max_length=200)
    type = models.CharField(max_length=12, choices=Type.choices)
    org_kind = models.CharField(
        max_length=20, blank=True, choices=[(k.value, k.value) for k in OrganisationKind]
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agent",
    )
    created_at = models.DateTimeField()
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="agent_person_or_organisation",
                condition=(
                    models.Q(type="person", org_kind="")
                    | models.Q(type="organisation", user__isnull=True) & ~models.Q(org_kind="")
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_organisation(self) -> bool:
        return self.type == self.Type.ORGANISATION


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member"
        ADMIN = "admin"

    organisation = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "person"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.organisation_id}"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    label = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label})"
