"""The open value ledger: double-entry postings in integer minor units, never updated."""

from django.db import models

from communs.accounts.models import Agent
from communs.commons.models import Commons, WorkingGroup
from communs.domain.equations import Target


class Treasurer(models.Model):
    """Someone besides the maintainers who keeps a commons' treasury: a person, or an
    organisation (e.g. the for-benefit association), whose members then act as treasurers."""

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="treasurers")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="treasuries")
    added_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commons", "agent"], name="treasurer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} keeps {self.commons_id}"


class Transaction(models.Model):
    class Kind(models.TextChoices):
        INCOME = "income"
        EXPENSE = "expense"
        DISTRIBUTION = "distribution"

    commons = models.ForeignKey(Commons, on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    memo = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Posting(models.Model):
    """One side of a transaction. A transaction's postings sum to zero per currency.

    Accounts: a commons' `treasury`, an agent's `wallet`, and `external` (the world outside
    the ledger: who pays an income). Payouts of a distribution carry their bucket and an
    explanation in words.
    """

    class Account(models.TextChoices):
        TREASURY = "treasury"
        WALLET = "wallet"
        EXTERNAL = "external"

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="postings")
    account = models.CharField(max_length=10, choices=Account.choices)
    commons = models.ForeignKey(
        Commons, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="postings"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payout_to = models.CharField(
        max_length=12, blank=True, choices=[(t.value, t.value) for t in Target]
    )
    bucket = models.CharField(max_length=60, blank=True)
    value = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    debt = models.BigIntegerField(default=0)
    explanation = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "commons", "currency"], name="posting_treasury"),
            models.Index(fields=["agent", "-id"], name="posting_agent"),
        ]
        constraints = [
            models.CheckConstraint(name="posting_not_zero", condition=~models.Q(amount=0)),
            models.CheckConstraint(
                name="posting_account_owner",
                condition=models.Q(account="treasury", commons__isnull=False, agent__isnull=True)
                | models.Q(account="wallet", agent__isnull=False, commons__isnull=True)
                | models.Q(account="external", commons__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount} {self.currency}"


class Income(models.Model):
    class Kind(models.TextChoices):
        DONATION = "donation"
        SPONSORSHIP = "sponsorship"
        LICENCE_FEE = "licence_fee"
        GRANT = "grant"
        SALE = "sale"
        UPSTREAM = "upstream"  # a share of another commons' income, for citing it

    commons = models.ForeignKey(Commons, on_delete=models.PROTECT, related_name="incomes")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payer = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    payer_name = models.CharField(max_length=200, blank=True)
    source_commons = models.ForeignKey(
        Commons, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Commons this money already passed through, so upstream shares never go round in circles.
    path = models.JSONField(default=list)
    memo = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    # Recorded incomes have their own transaction; upstream shares arrive in the distribution's.
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="incomes")

    class Meta:
        indexes = [models.Index(fields=["commons", "-id"], name="income_commons_recent")]
        constraints = [
            models.CheckConstraint(name="income_positive", condition=models.Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} to {self.commons_id}"


class Expense(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        PAID = "paid"
        REJECTED = "rejected"

    commons = models.ForeignKey(Commons, on_delete=models.PROTECT, related_name="expenses")
    claimant = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="expenses")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.TextField()
    evidence_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="expense"
    )
    # Charged to a working group's budget, which its spending cap limits.
    working_group = models.ForeignKey(
        WorkingGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="expenses"
    )

    class Meta:
        indexes = [models.Index(fields=["commons", "-id"], name="expense_commons_recent")]
        constraints = [
            models.CheckConstraint(name="expense_positive", condition=models.Q(amount__gt=0)),
            models.CheckConstraint(
                name="expense_rejection_has_reason",
                condition=~models.Q(status="rejected") | ~models.Q(reason=""),
            ),
            models.CheckConstraint(
                name="expense_paid_has_transaction",
                condition=~models.Q(status="paid") | models.Q(transaction__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"expense #{self.pk} {self.status}"


class EquationVersion(models.Model):
    """A commons' value equation, as adopted. Version 0 is the built-in default (not stored)."""

    commons = models.ForeignKey(Commons, on_delete=models.CASCADE, related_name="equations")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    created_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commons", "version"], name="equation_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.commons_id} v{self.version}"


class Distribution(models.Model):
    """One income shared out. The equation and the inputs are stored so the run can always be
    explained, whatever the equation becomes later. One income, one distribution (unique)."""

    commons = models.ForeignKey(Commons, on_delete=models.PROTECT, related_name="distributions")
    income = models.OneToOneField(Income, on_delete=models.PROTECT, related_name="distribution")
    equation_version = models.PositiveIntegerField()
    equation = models.JSONField()
    inputs = models.JSONField()
    amount = models.BigIntegerField()
    kept = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="distribution"
    )
    created_by = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["commons", "-id"], name="distribution_commons_recent")]

    def __str__(self) -> str:
        return f"distribution #{self.pk} of income {self.income_id}"
