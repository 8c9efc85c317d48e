"""Licence profiles chosen by commons, organisations' legal facts, usage evaluations and the
licence grants a reciprocity fee buys. Rows are only ever added: history stays readable."""

import uuid

from django.db import models

from communs.accounts.models import Agent
from communs.commons.models import Commons
from communs.domain.licences import PROFILES, Outcome
from communs.ledger.models import Income


class ProfileVersion(models.Model):
    """The licence profile a commons adopted, with its parameters. Version 0 is never stored:
    it is the profile named by the commons' licence field, with its default parameters."""

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="licence_profiles")
    version = models.PositiveIntegerField()
    profile = models.CharField(max_length=64, choices=[(k, k) for k in PROFILES])
    parameters = models.JSONField(default=dict)
    adopted_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    adopted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commons", "version"], name="licence_profile_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commons_id} {self.profile} v{self.version}"


class Evidence(models.Model):
    """An organisation's declaration of its legal facts. A new declaration replaces the last
    (the newest row is current) and needs verifying again."""

    organisation = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="evidence")
    legal_form = models.CharField(max_length=200, blank=True)
    worker_owned = models.BooleanField(default=False)
    gains_to_workers = models.BooleanField(default=False)
    sse = models.BooleanField(default=False)
    employs_workers = models.BooleanField(default=False)
    statutes_url = models.URLField(max_length=500, blank=True)
    declared_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "-id"], name="evidence_current")]

    def __str__(self) -> str:
        return f"evidence #{self.pk} of {self.organisation_id}"


class Verification(models.Model):
    """Someone checked a declaration: a maintainer, for their commons' evaluations (`commons`
    set), or a for-benefit association's admin (`commons` empty), which counts for the commons
    whose treasury the association keeps."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="verifications")
    verified_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    association = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commons = models.ForeignKey(
        Commons, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    verified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="verification_scoped",
                condition=models.Q(association__isnull=True, commons__isnull=False)
                | models.Q(association__isnull=False, commons__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["evidence", "commons"],
                condition=models.Q(commons__isnull=False),
                name="verification_once_per_commons",
            ),
            models.UniqueConstraint(
                fields=["evidence", "association"],
                condition=models.Q(association__isnull=False),
                name="verification_once_per_association",
            ),
        ]

    def __str__(self) -> str:
        return f"verification of {self.evidence_id} by {self.verified_by_id}"


class Evaluation(models.Model):
    """One answer to "may I use this commons?", with everything it was decided from."""

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="evaluations")
    profile = models.CharField(max_length=64)
    profile_version = models.PositiveIntegerField()
    asker = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="evaluations")
    requested_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=32, choices=[(o.value, o.value) for o in Outcome])
    rule = models.CharField(max_length=64)
    clause = models.CharField(max_length=200)
    reason = models.TextField()
    obligations = models.JSONField(default=list)
    fee = models.BigIntegerField(null=True, blank=True)  # minor units of fee_currency
    fee_currency = models.CharField(max_length=3, blank=True)
    fee_basis = models.CharField(max_length=200, blank=True)
    inputs = models.JSONField(default=dict)
    evaluated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["commons", "-id"], name="evaluation_by_commons")]
        constraints = [
            models.CheckConstraint(
                name="evaluation_fee_positive",
                condition=models.Q(fee__isnull=True) | models.Q(fee__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} for {self.asker_id} on {self.commons_id}"


class Grant(models.Model):
    """A licence a commons sold: a paid reciprocity fee (or separate licence) for one agent,
    valid for a window. Its public id is a random UUID, so links can be shared as proof."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    commons = models.ForeignKey(Commons, on_delete=models.PROTECT, related_name="licence_grants")
    grantee = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="licence_grants")
    profile = models.CharField(max_length=64)
    profile_version = models.PositiveIntegerField()
    income = models.OneToOneField(Income, on_delete=models.PROTECT, related_name="licence_grant")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    issued_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["grantee", "commons", "-valid_until"], name="grant_held")]
        constraints = [
            models.CheckConstraint(
                name="grant_window", condition=models.Q(valid_until__gt=models.F("valid_from"))
            ),
        ]

    def __str__(self) -> str:
        return f"licence {self.id}"
