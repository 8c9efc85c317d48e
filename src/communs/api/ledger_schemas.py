"""Shapes of the open value ledger's API. Amounts cross as decimal strings ("12.50") in the
currency's minor-unit digits; never as JSON numbers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import StrictInt, StrictStr

from communs.domain import distribution as dist
from communs.domain.money import format_amount
from communs.ledger.models import Distribution, EquationVersion, Expense, Income, Posting

MAX_ID = 2**63 - 1


def decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


class IdPath(Schema):
    id: int = Field(..., ge=1, le=MAX_ID)


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = 50


# --- incomes ---------------------------------------------------------------------------------


class IncomeIn(Schema):
    # A decimal string ("12.50") in the currency's minor-unit digits; whole numbers accepted.
    amount: StrictStr | StrictInt
    currency: str = Field(max_length=10)
    kind: str = Field(max_length=40)
    # An agent's name (the payer is then that agent), or any other text naming the payer.
    from_: str | None = Field(None, alias="from", max_length=200)
    memo: str | None = Field(None, max_length=500)
    received_at: datetime | None = None


class IncomeOut(Schema):
    id: int
    commons: str
    kind: str
    amount: str
    currency: str
    payer: str | None  # the paying agent's name, when the payer is an agent here
    payer_name: str
    source_commons: str | None  # for upstream shares: the commons that cited this one
    memo: str
    received_at: datetime
    recorded_by: str
    distributed: bool
    distribution: int | None

    @staticmethod
    def of(row: Income, commons_slug: str | None = None) -> IncomeOut:
        try:
            distribution: int | None = row.distribution.pk
        except Distribution.DoesNotExist:
            distribution = None
        return IncomeOut(
            id=row.pk,
            commons=commons_slug or row.commons.slug,
            kind=row.kind,
            amount=format_amount(row.amount, row.currency),
            currency=row.currency,
            payer=row.payer.name if row.payer else None,
            payer_name=row.payer_name,
            source_commons=row.source_commons.slug if row.source_commons else None,
            memo=row.memo,
            received_at=row.received_at,
            recorded_by=row.recorded_by.name,
            distributed=distribution is not None,
            distribution=distribution,
        )


class IncomePage(Schema):
    items: list[IncomeOut]
    next: str | None


# --- expenses --------------------------------------------------------------------------------


class ExpenseIn(Schema):
    amount: StrictStr | StrictInt
    currency: str = Field(max_length=10)
    description: str = Field(max_length=10_000)
    evidence_url: str | None = Field(None, max_length=2000)
    # The slug of one of the commons' open working groups, to charge the expense to its budget.
    working_group: str | None = Field(None, max_length=200)


class ExpenseRejectIn(Schema):
    reason: str = Field(max_length=10_000)


class ExpenseOut(Schema):
    id: int
    commons: str
    claimant: str
    amount: str
    currency: str
    description: str
    evidence_url: str
    status: str
    reason: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    transaction: int | None
    working_group: str | None  # the slug of the working group it is charged to

    @staticmethod
    def of(row: Expense, commons_slug: str | None = None) -> ExpenseOut:
        return ExpenseOut(
            id=row.pk,
            commons=commons_slug or row.commons.slug,
            claimant=row.claimant.name,
            amount=format_amount(row.amount, row.currency),
            currency=row.currency,
            description=row.description,
            evidence_url=row.evidence_url,
            status=row.status,
            reason=row.reason,
            created_at=row.created_at,
            decided_by=row.decided_by.name if row.decided_by else None,
            decided_at=row.decided_at,
            transaction=row.transaction_id,
            working_group=row.working_group.slug if row.working_group else None,
        )


class ExpensePage(Schema):
    items: list[ExpenseOut]
    next: str | None


# --- treasurers and the treasury -------------------------------------------------------------


class TreasurerIn(Schema):
    username: str = Field(max_length=200)


class TreasurersOut(Schema):
    commons: str
    maintainers: list[str]  # keep the treasury by default
    treasurers: list[str]  # named besides them (persons or organisations)


class DistributionOut(Schema):
    id: int
    commons: str
    income: int
    equation_version: int
    amount: str
    kept: str
    currency: str
    created_at: datetime

    @staticmethod
    def of(row: Distribution, commons_slug: str | None = None) -> DistributionOut:
        return DistributionOut(
            id=row.pk,
            commons=commons_slug or row.commons.slug,
            income=row.income_id,
            equation_version=row.equation_version,
            amount=format_amount(row.amount, row.currency),
            kept=format_amount(row.kept, row.currency),
            currency=row.currency,
            created_at=row.created_at,
        )


class DistributionPage(Schema):
    items: list[DistributionOut]
    next: str | None


class TreasuryOut(Schema):
    commons: str
    balances: dict[str, str]  # currency → decimal string
    maintainers: list[str]
    treasurers: list[str]
    incomes: list[IncomeOut]  # the most recent ones; the full list is paginated elsewhere
    expenses: list[ExpenseOut]
    distributions: list[DistributionOut]
    flows: dict[str, dict[str, str]]  # currency → "in:<kind>" / "out:<bucket>" → amount


# --- value equations -------------------------------------------------------------------------


class EquationVersionOut(Schema):
    version: int
    created_by: str
    created_at: datetime

    @staticmethod
    def of(row: EquationVersion) -> EquationVersionOut:
        return EquationVersionOut(
            version=row.version, created_by=row.created_by.name, created_at=row.created_at
        )


class EquationOut(Schema):
    commons: str
    version: int  # 0 is the built-in default
    definition: dict[str, Any]
    history: list[EquationVersionOut]  # newest first


class PreviewIn(Schema):
    definition: dict[str, Any]
    last: int = Field(5, ge=1, le=20)


class PreviewRowOut(Schema):
    recipient: str
    actual: str
    proposed: str
    change: str


class PreviewCurrencyOut(Schema):
    currency: str
    distributions: list[int]
    rows: list[PreviewRowOut]


class PreviewOut(Schema):
    commons: str
    last: int
    currencies: list[PreviewCurrencyOut]


# --- distributions ---------------------------------------------------------------------------


class DistributeIn(Schema):
    income: int = Field(..., ge=1, le=MAX_ID)
    dry_run: bool = False


class BucketOut(Schema):
    name: str
    amount: str
    kept: str
    note: str


class PayoutOut(Schema):
    recipient: str  # an agent's name, or a commons' slug for an upstream share
    to: str  # agent, upstream or contributors
    bucket: str
    amount: str
    value: str | None  # the units this payout is in proportion to
    explanation: str

    @staticmethod
    def of_result(p: dist.Payout, currency: str) -> PayoutOut:
        return PayoutOut(
            recipient=p.recipient,
            to=p.to.value,
            bucket=p.bucket,
            amount=format_amount(p.amount, currency),
            value=decimal_text(p.value),
            explanation=p.explanation,
        )

    @staticmethod
    def of_posting(p: Posting) -> PayoutOut:
        return PayoutOut(
            recipient=p.agent.name if p.agent else p.commons.slug if p.commons else "",
            to=p.payout_to,
            bucket=p.bucket,
            amount=format_amount(p.amount, p.currency),
            value=decimal_text(p.value) if p.value is not None else None,
            explanation=p.explanation,
        )


class PayoutPage(Schema):
    items: list[PayoutOut]
    next: str | None


class DistributionRunOut(Schema):
    id: int | None  # null for a dry run: nothing was written
    commons: str
    income: int
    equation_version: int
    amount: str
    currency: str
    kept: str
    dry_run: bool
    buckets: list[BucketOut]
    payouts: list[PayoutOut]


class DistributionDetailOut(DistributionOut):
    created_by: str
    equation: dict[str, Any]  # the equation as it was when the distribution ran
    buckets: list[BucketOut]
    payouts: PayoutPage


# --- wallets ---------------------------------------------------------------------------------


class ReceivedOut(Schema):
    commons: str
    currency: str
    amount: str


class WalletPostingOut(Schema):
    id: int
    commons: str
    transaction: int
    kind: str  # distribution or expense
    amount: str
    currency: str
    bucket: str
    explanation: str
    at: datetime

    @staticmethod
    def of(p: Posting) -> WalletPostingOut:
        return WalletPostingOut(
            id=p.pk,
            commons=p.transaction.commons.slug,
            transaction=p.transaction_id,
            kind=p.transaction.kind,
            amount=format_amount(p.amount, p.currency),
            currency=p.currency,
            bucket=p.bucket,
            explanation=p.explanation,
            at=p.transaction.created_at,
        )


class WalletPostingPage(Schema):
    items: list[WalletPostingOut]
    next: str | None


class WalletOut(Schema):
    agent: str
    received: list[ReceivedOut]
    postings: WalletPostingPage
