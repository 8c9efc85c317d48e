"""Proposals, their votes, and the discussions of a commons (negotiated coordination)."""

from django.db import models

from communs.accounts.models import Agent
from communs.commons.models import Commons, Contribution
from communs.domain.governance import Method, Position


class Proposal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        PASSED = "passed"
        FAILED = "failed"
        WITHDRAWN = "withdrawn"

    class Origin(models.TextChoices):
        PERSON = "person"  # opened by its proposer
        MERIT = "merit"  # opened by the merit job: a nomination, with its evidence
        REVIEW = "review"  # opened when an earlier decision's review date came

    commons = models.ForeignKey(Commons, on_delete=models.PROTECT, related_name="proposals")
    title = models.CharField(max_length=200)
    text = models.TextField()
    method = models.CharField(max_length=20, choices=[(m.value, m.value) for m in Method])
    change = models.JSONField(null=True, blank=True)  # domain.changes, normalised
    # The person an add_maintainer or remove_maintainer change names.
    person = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.PERSON)
    proposer = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )
    evidence = models.JSONField(null=True, blank=True)  # the merit job's figures
    reviews = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="review_proposals"
    )
    review_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The rulebook version in force when it opened: its decision rules decide this proposal.
    rulebook_version = models.PositiveIntegerField()
    round = models.PositiveSmallIntegerField(default=1)
    closes_at = models.DateTimeField()
    # Who may vote is fixed when the proposal opens: its maintainers then (agent ids) and the
    # people with enough accepted work by then (see commons.selectors.is_elector); `eligible`
    # counts them all, so a quorum has one base.
    maintainers_at_opening = models.JSONField(default=list)
    eligible = models.PositiveIntegerField(default=0)
    outcome = models.TextField(blank=True)  # why it passed or failed, in words
    second_round_possible = models.BooleanField(default=False)
    applied = models.JSONField(null=True, blank=True)  # what the passed change did
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["commons", "-id"], name="proposal_commons_recent"),
            models.Index(fields=["status", "closes_at"], name="proposal_due"),
        ]
        constraints = [
            models.CheckConstraint(
                name="proposal_status_known",
                condition=models.Q(status__in=["open", "passed", "failed", "withdrawn"]),
            ),
        ]

    def __str__(self) -> str:
        return f"proposal #{self.pk} {self.status}"


class Vote(models.Model):
    """One person's position in one round of a proposal; reasons are public."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    round = models.PositiveSmallIntegerField()
    voter = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="votes")
    position = models.CharField(max_length=12, choices=[(p.value, p.value) for p in Position])
    reason = models.TextField(blank=True)
    withdrawn = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "round", "voter"], name="vote_once"),
            models.CheckConstraint(
                name="vote_objection_has_reason",
                condition=~models.Q(position__in=["object", "block"]) | ~models.Q(reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} {self.position} on {self.proposal_id}"


class Comment(models.Model):
    """A message in a commons' discussion: about the commons itself, one of its proposals or one
    of its contributions; a reply names its parent in the same thread."""

    commons = models.ForeignKey(Commons, on_delete=models.PROTECT, related_name="comments")
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="comments"
    )
    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.PROTECT, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    author = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="comments")
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["commons", "proposal", "contribution", "id"], name="comment_thread"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="comment_one_subject",
                condition=models.Q(proposal__isnull=True) | models.Q(contribution__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"comment #{self.pk}"
