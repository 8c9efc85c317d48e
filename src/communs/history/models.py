"""Histories imported from git: the commits, the names and emails people used, and the map
from email domains to the organisations that pay for the work."""

from django.db import models

from communs.accounts.models import Agent
from communs.commons.models import Commons


class Alias(models.Model):
    """An email address, or a full name, under which an agent appears in imported histories.
    `value` is the key (an email in lower case, a name case-folded with single spaces);
    `display` is how it was written."""

    class Kind(models.TextChoices):
        EMAIL = "email"
        NAME = "name"

    kind = models.CharField(max_length=5, choices=Kind.choices)
    value = models.CharField(max_length=254)
    display = models.CharField(max_length=254)
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="aliases")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="alias_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.display} → {self.agent_id}"


class Commit(models.Model):
    """One imported commit. Its author's contribution (and each co-author's) carries
    `source = "git:<sha>"`. Line counts are empty when the history lacked the objects to
    count them (a partial clone, a shallow clone's boundary)."""

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="commits")
    sha = models.CharField(max_length=64)
    author = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="commits")
    author_email = models.CharField(max_length=254)
    authored_at = models.DateTimeField()
    added = models.PositiveIntegerField(null=True, blank=True)
    removed = models.PositiveIntegerField(null=True, blank=True)
    co_authors = models.PositiveSmallIntegerField(default=0)
    merge = models.BooleanField(default=False)
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commons", "sha"], name="commit_unique"),
        ]
        indexes = [models.Index(fields=["commons", "authored_at"], name="commit_by_date")]

    def __str__(self) -> str:
        return self.sha[:12]


class Affiliation(models.Model):
    """Who pays for work done from an email domain: an organisation (paid), nobody (volunteer:
    free mail and forge no-reply addresses by default), or unknown when no rule matches. A rule
    may be for one person's address only, and for a period only."""

    class Kind(models.TextChoices):
        PAID = "paid"
        VOLUNTEER = "volunteer"

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="affiliations")
    domain = models.CharField(max_length=254)
    email = models.CharField(max_length=254, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    organisation = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="affiliation_paid_names_organisation",
                condition=models.Q(kind="paid", organisation__isnull=False)
                | models.Q(kind="volunteer", organisation__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=["commons", "domain"], name="affiliation_domain")]

    def __str__(self) -> str:
        return f"{self.domain}: {self.kind}"


class ClaimToken(models.Model):
    """A person's request to claim the identities of an email address in imported histories.
    Only the token's digest is stored; the token is shown once (by the CLI, for now)."""

    digest = models.CharField(max_length=64, unique=True)
    email = models.CharField(max_length=254)
    claimant = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"claim of {self.email} by {self.claimant_id}"
