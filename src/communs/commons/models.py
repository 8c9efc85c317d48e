from enum import StrEnum

from django.db import models

from communs.accounts.models import Agent
from communs.domain.commons import MAX_APPROVALS, Kind
from communs.domain.contributions import ALL_UNITS, Action, Status, Stream


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(m.value, m.value) for m in enum]


class Commons(models.Model):
    slug = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=_choices(Kind))
    licence = models.CharField(max_length=64, blank=True)
    approvals_required = models.PositiveSmallIntegerField(default=1)
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="forks"
    )
    created_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "commons"
        constraints = [
            models.CheckConstraint(
                name="commons_approvals_range",
                condition=models.Q(
                    approvals_required__gte=1, approvals_required__lte=MAX_APPROVALS
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class Maintainer(models.Model):
    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="maintainers")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="maintains")
    added_by = models.ForeignKey(Agent, null=True, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commons", "agent"], name="maintainer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} maintains {self.commons_id}"


class Citation(models.Model):
    """A commons citing an upstream commons it builds on, with a weight in parts per million."""

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="citations")
    upstream = models.ForeignKey(Commons, on_delete=models.PROTECT, related_name="cited_by")
    weight_ppm = models.PositiveIntegerField(default=1_000_000)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commons", "upstream"], name="citation_unique"),
            models.CheckConstraint(
                name="citation_not_self", condition=~models.Q(commons=models.F("upstream"))
            ),
            models.CheckConstraint(
                name="citation_weight_range",
                condition=models.Q(weight_ppm__gte=1, weight_ppm__lte=1_000_000),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commons_id} cites {self.upstream_id}"


class Contribution(models.Model):
    commons = models.ForeignKey(Commons, on_delete=models.PROTECT, related_name="contributions")
    contributor = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="contributions")
    organisation = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="contributions_made"
    )
    action = models.CharField(max_length=20, choices=_choices(Action))
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit = models.CharField(max_length=20, choices=[(u, u) for u in ALL_UNITS])
    description = models.TextField()
    evidence_url = models.URLField(max_length=500, blank=True)
    occurred_at = models.DateTimeField()
    stream = models.CharField(max_length=20, choices=_choices(Stream))
    status = models.CharField(
        max_length=12, choices=_choices(Status), default=Status.SUBMITTED.value
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    # Where an imported contribution comes from, e.g. "git:<commit id>"; empty when typed in.
    source = models.CharField(max_length=80, blank=True, db_default="")

    class Meta:
        indexes = [
            models.Index(fields=["commons", "-id"], name="contribution_commons_recent"),
            models.Index(fields=["commons", "status", "-id"], name="contribution_commons_status"),
            models.Index(fields=["contributor", "-id"], name="contribution_contributor"),
        ]
        constraints = [
            models.CheckConstraint(
                name="contribution_quantity_positive", condition=models.Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="contribution_status_known",
                condition=models.Q(status__in=[str(s) for s in Status]),
            ),
            models.CheckConstraint(
                name="contribution_rejection_has_reason",
                condition=~models.Q(status=Status.REJECTED.value) | ~models.Q(reason=""),
            ),
            models.UniqueConstraint(
                fields=["commons", "contributor", "source"],
                condition=~models.Q(source=""),
                name="contribution_imported_once",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.quantity} {self.unit}"


class Approval(models.Model):
    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="approvals"
    )
    maintainer = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contribution", "maintainer"], name="approval_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.maintainer_id} approved {self.contribution_id}"


class ContributorTotal(models.Model):
    """Accepted quantity per contributor and unit in a commons.

    Derivable from Contribution, but kept up to date by the accept service so a commons page
    costs the same with a thousand contributions or a million.
    """

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="totals")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(max_length=20)
    quantity = models.DecimalField(max_digits=20, decimal_places=4, default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commons", "agent", "unit"], name="total_unique"),
        ]
        indexes = [models.Index(fields=["commons", "-count"], name="total_commons_rank")]

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.quantity} {self.unit} in {self.commons_id}"


class RulebookVersion(models.Model):
    """One version of a commons' rulebook, stored whole (`domain/rulebook.py` reads it).

    Version 1 is written when the commons is founded (a fork's is a copy of its parent's rules);
    later versions come from adopted proposals, or from a change the rulebook lets its
    maintainers make directly (the number of approvals). `proposal` is the decision's number.
    """

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="rulebooks")
    version = models.PositiveIntegerField()
    rules = models.JSONField()
    note = models.CharField(max_length=300)
    proposal = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commons", "version"], name="rulebook_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.commons_id} rulebook v{self.version}"


class Emeritus(models.Model):
    """A maintainer who stepped back after the rulebook's period without activity. They may
    come back; meanwhile they do not review, and their past work stays credited."""

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="emeriti")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    maintainer_since = models.DateTimeField()
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commons", "agent"], name="emeritus_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} emeritus of {self.commons_id}"


class WorkingGroup(models.Model):
    """A group inside a commons with a mandate, members and, optionally, a spending cap: the
    expenses charged to it and approved within any `cap_period_days` cannot exceed the cap."""

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="working_groups")
    slug = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    mandate = models.TextField()
    spending_cap = models.BigIntegerField(null=True, blank=True)  # minor units of `currency`
    currency = models.CharField(max_length=3, blank=True)
    cap_period_days = models.PositiveIntegerField(null=True, blank=True)
    proposal = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commons", "slug"], name="working_group_unique"),
            models.CheckConstraint(
                name="working_group_cap_complete",
                condition=models.Q(spending_cap__isnull=True)
                | models.Q(
                    spending_cap__gt=0,
                    cap_period_days__isnull=False,
                    cap_period_days__gte=1,
                    currency__regex=r"^[A-Z]{3}$",
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commons_id}/{self.slug}"


class WorkingGroupMember(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="working_groups")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "agent"], name="working_group_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} in {self.group_id}"
