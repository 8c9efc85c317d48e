"""Reads of the ledger (all public) and the inputs a distribution needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Cast, Round

from communs.accounts.models import Agent, Membership
from communs.commons.models import Citation, Commons, Contribution, Maintainer, WorkingGroup
from communs.core.pagination import Page, keyset_page
from communs.domain import equations
from communs.domain.distribution import Scope, Tally, queries_needed, row_actions
from communs.domain.errors import NotFound

from .models import Distribution, EquationVersion, Expense, Income, Posting

QUANTITY_SCALE = 10_000  # contributions keep 4 decimal places


def is_treasurer(agent: Agent | None, commons: Commons) -> bool:
    """Maintainers keep the treasury by default; others are named treasurers, directly or
    through an organisation they belong to."""
    if agent is None:
        return False
    if Maintainer.objects.filter(commons=commons, agent=agent).exists():
        return True
    organisations = Membership.objects.filter(person=agent).values("organisation")
    return commons.treasurers.filter(Q(agent=agent) | Q(agent__in=organisations)).exists()


def treasurers(commons: Commons) -> QuerySet[Agent]:
    return Agent.objects.filter(treasuries__commons=commons).order_by("name")


@dataclass(frozen=True)
class CurrentEquation:
    version: int  # 0: the built-in default
    equation: equations.Equation


def equation_current(commons: Commons) -> CurrentEquation:
    row = commons.equations.order_by("-version").first()
    if row is None:
        return CurrentEquation(0, equations.DEFAULT)
    return CurrentEquation(row.version, equations.parse_equation(row.definition))


def equation_history(commons: Commons) -> QuerySet[EquationVersion]:
    return commons.equations.select_related("created_by").order_by("-version")


def balances(commons: Commons) -> dict[str, int]:
    """Treasury balance per currency."""
    rows = (
        Posting.objects.filter(account=Posting.Account.TREASURY, commons=commons)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: int(row["total"]) for row in rows}


def balance(commons: Commons, currency: str) -> int:
    return balances(commons).get(currency, 0)


def income_get(pk: int) -> Income:
    try:
        return Income.objects.select_related("commons", "payer", "source_commons").get(pk=pk)
    except (Income.DoesNotExist, ValueError, OverflowError):
        raise NotFound(f"No income has id {pk}.") from None


def incomes(commons: Commons, *, cursor: str | None = None, limit: int = 50) -> Page[Income]:
    rows = commons.incomes.select_related("payer", "source_commons", "distribution", "recorded_by")
    return keyset_page(rows, cursor=cursor, limit=limit)


def undistributed_incomes(commons: Commons) -> QuerySet[Income]:
    return commons.incomes.filter(distribution__isnull=True).order_by("pk")


def expense_get(pk: int) -> Expense:
    try:
        return Expense.objects.select_related("commons", "claimant").get(pk=pk)
    except (Expense.DoesNotExist, ValueError, OverflowError):
        raise NotFound(f"No expense has id {pk}.") from None


def pending_expenses(commons: Commons) -> QuerySet[Expense]:
    """Claims waiting for a decision, oldest first."""
    return (
        commons.expenses.filter(status=Expense.Status.PENDING)
        .select_related("claimant", "working_group")
        .order_by("pk")
    )


def working_groups_spent(groups: Iterable[WorkingGroup], now: datetime) -> dict[int, int]:
    """What each capped group spent within its cap period up to `now` — the sum its spending
    cap is checked against: expenses charged to it, approved or paid, decided since. One query
    for all the groups; groups without a cap are left out."""
    capped = {g.pk: g for g in groups if g.spending_cap is not None and g.cap_period_days}
    if not capped:
        return {}
    longest = max(int(g.cap_period_days or 0) for g in capped.values())
    rows = Expense.objects.filter(
        status__in=[Expense.Status.APPROVED, Expense.Status.PAID],
        working_group__in=list(capped),
        decided_at__gte=now - timedelta(days=longest),
    ).values_list("working_group_id", "amount", "decided_at")
    spent = dict.fromkeys(capped, 0)
    for group_id, amount, decided_at in rows:
        since = now - timedelta(days=int(capped[group_id].cap_period_days or 0))
        if decided_at is not None and decided_at >= since:
            spent[group_id] += amount
    return spent


def expenses(commons: Commons, *, cursor: str | None = None, limit: int = 50) -> Page[Expense]:
    rows = commons.expenses.select_related("claimant", "decided_by")
    return keyset_page(rows, cursor=cursor, limit=limit)


def distribution_get(pk: int) -> Distribution:
    try:
        return Distribution.objects.select_related("commons", "income").get(pk=pk)
    except (Distribution.DoesNotExist, ValueError, OverflowError):
        raise NotFound(f"No distribution has id {pk}.") from None


def distributions(
    commons: Commons, *, cursor: str | None = None, limit: int = 50
) -> Page[Distribution]:
    return keyset_page(commons.distributions.select_related("income"), cursor=cursor, limit=limit)


def payouts(
    distribution: Distribution, *, cursor: str | None = None, limit: int = 100
) -> Page[Posting]:
    rows = distribution.transaction.postings.exclude(payout_to="").select_related(
        "agent", "commons"
    )
    return keyset_page(rows, cursor=cursor, limit=limit)


def postings(commons: Commons) -> QuerySet[Posting]:
    """Every posting of the commons' transactions, oldest first (for exports: iterate it)."""
    rows = Posting.objects.filter(transaction__commons=commons)
    return rows.select_related("transaction", "agent", "commons").order_by("pk")


def flows(commons: Commons) -> dict[str, dict[str, int]]:
    """Where the money went, per currency: in (by income kind) and out (payouts by bucket,
    expenses), for the treasury chart."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in commons.incomes.values("currency", "kind").annotate(total=Sum("amount")):
        out[row["currency"]][f"in:{row['kind']}"] += int(row["total"])
    paid = Posting.objects.filter(transaction__commons=commons).exclude(payout_to="")
    for row in paid.values("currency", "bucket").annotate(total=Sum("amount")):
        out[row["currency"]][f"out:{row['bucket']}"] += int(row["total"])
    spent = commons.expenses.filter(status=Expense.Status.PAID)
    for row in spent.values("currency").annotate(total=Sum("amount")):
        out[row["currency"]]["out:expenses"] += int(row["total"])
    return {currency: dict(parts) for currency, parts in out.items()}


@dataclass(frozen=True)
class WalletLine:
    commons: Commons
    currency: str
    received: int


def _wallet_of(agent: Agent) -> Q:
    """An agent's wallet postings, and those of the agents merged into it (identities met in
    imported histories and claimed since): postings are append-only, so they stay with the
    agent they were made to."""
    return Q(account=Posting.Account.WALLET) & (Q(agent=agent) | Q(agent__merged_into=agent))


def wallet(agent: Agent) -> list[WalletLine]:
    """What an agent has received, per commons and currency."""
    rows = (
        Posting.objects.filter(_wallet_of(agent))
        .values("transaction__commons", "currency")
        .annotate(total=Sum("amount"))
        .order_by("transaction__commons", "currency")
    )
    by_id = Commons.objects.in_bulk({row["transaction__commons"] for row in rows})
    return [
        WalletLine(by_id[row["transaction__commons"]], row["currency"], int(row["total"]))
        for row in rows
    ]


def wallet_postings(agent: Agent, *, cursor: str | None = None, limit: int = 50) -> Page[Posting]:
    rows = Posting.objects.filter(_wallet_of(agent)).select_related("transaction__commons")
    return keyset_page(rows, cursor=cursor, limit=limit)


# --- inputs of a distribution ---------------------------------------------------------------


def last_distribution_at(commons: Commons, before: datetime) -> datetime | None:
    row = commons.distributions.filter(created_at__lt=before).order_by("-created_at").first()
    return row.created_at if row else None


def tallies(
    commons: Commons,
    equation: equations.Equation,
    *,
    as_of: datetime,
    agents: AgentDirectory | None = None,
) -> list[Tally]:
    """Accepted contributions summed per contributor, action and unit, for every scope the
    equation needs: one grouped query per scope, whatever the number of contributions."""
    accepted = Contribution.objects.filter(
        commons=commons, status="accepted", decided_at__lte=as_of
    )
    per_row = row_actions(equation)
    since = last_distribution_at(commons, as_of)
    found: list[tuple[int, str, str, Decimal, int, Scope, bool, int | None]] = []
    for scope, window in sorted(queries_needed(equation), key=str):
        rows = accepted
        if scope == Scope.WINDOW and window is not None:
            rows = rows.filter(occurred_at__gte=as_of - timedelta(days=window))
        elif scope == Scope.NEW and since is not None:
            rows = rows.filter(decided_at__gt=since)
        found += _tally(rows.exclude(action__in=per_row), scope, window, per_row=False)
        if per_row:
            found += _tally(rows.filter(action__in=per_row), scope, window, per_row=True)
    # Keyed by name, which explanations and tie-breaks use.
    names = (agents or AgentDirectory()).names(row[0] for row in found)
    return [Tally(names[row[0]], *row[1:]) for row in found]


def _tally(
    rows: QuerySet[Contribution], scope: Scope, window: int | None, *, per_row: bool
) -> list[tuple[int, str, str, Decimal, int, Scope, bool, int | None]]:
    keys = ["contributor_id", "action", "unit", *(["quantity"] if per_row else [])]
    if connection.vendor == "postgresql":
        scaled = Sum(F("quantity") * QUANTITY_SCALE)  # numeric: exact as it is
    else:  # SQLite keeps decimals as floats: sum exact integers (ten-thousandths) instead
        scaled = Sum(Cast(Round(F("quantity") * QUANTITY_SCALE), BigIntegerField()))
    grouped = rows.values(*keys).annotate(n=Count("id"), q=scaled).order_by()
    found = []
    # Fetched whole (tens of thousands of small rows): a server-side cursor would keep
    # PostgreSQL from aggregating in parallel.
    for row in grouped.values_list(*keys, "n", "q"):
        agent, action, unit = row[0], row[1], row[2]
        if per_row:
            quantity, count = Decimal(row[3]), row[4]
        else:
            quantity, count = Decimal(int(row[4])) / QUANTITY_SCALE, row[3]
        found.append((agent, action, unit, quantity, int(count), scope, per_row, window))
    return found


# Some SQLite builds allow only 32,766 variables in one statement: look agents up in batches.
LOOKUP_BATCH = 5000


class AgentDirectory:
    """Agents' names and ids, each looked up once per distribution: its tallies, what was paid
    before and the postings it writes all name the same tens of thousands of agents."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.by_name: dict[str, int] = {}

    def names(self, ids: Iterable[int]) -> dict[int, str]:
        """A map holding at least `ids`."""
        self._fetch("pk__in", sorted(set(ids) - self.by_id.keys()))
        return self.by_id

    def ids(self, names: Iterable[str]) -> dict[str, int]:
        """A map holding at least `names`."""
        self._fetch("name__in", sorted(set(names) - self.by_name.keys()))
        return self.by_name

    def _fetch(self, lookup: str, wanted: list[Any]) -> None:
        for start in range(0, len(wanted), LOOKUP_BATCH):
            batch = wanted[start : start + LOOKUP_BATCH]
            for pk, name in Agent.objects.filter(**{lookup: batch}).values_list("pk", "name"):
                self.by_id[pk] = name
                self.by_name[name] = pk


def paid_before(
    commons: Commons, currency: str, *, as_of: datetime, agents: AgentDirectory | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    """What each contributor already received from this commons' contributor buckets, and the
    part of it that paid debt-like claims."""
    rows = (
        Posting.objects.filter(
            transaction__commons=commons,
            transaction__created_at__lt=as_of,
            payout_to="contributors",
            currency=currency,
        )
        .values("agent_id")
        .annotate(total=Sum("amount"), debt=Sum("debt"))
        .values_list("agent_id", "total", "debt")
        .order_by()
    )
    found = list(rows)
    names = (agents or AgentDirectory()).names(agent for agent, _, _ in found)
    paid = {names[agent]: int(total) for agent, total, _ in found}
    debt = {names[agent]: int(debt) for agent, _, debt in found if debt}
    return paid, debt


def upstreams(commons: Commons, *, exclude: list[str]) -> list[tuple[str, int]]:
    """The commons this one cites and their weights, minus those the money came through."""
    rows = Citation.objects.filter(commons=commons).exclude(upstream__slug__in=exclude)
    return list(rows.values_list("upstream__slug", "weight_ppm").order_by("upstream__slug"))


@dataclass(frozen=True)
class PreviewRow:
    recipient: str
    actual: int  # what they received in those distributions
    proposed: int  # what the proposed equation would have given them

    @property
    def change(self) -> int:
        return self.proposed - self.actual


@dataclass(frozen=True)
class Preview:
    currency: str
    distributions: list[int]
    rows: list[PreviewRow]


def equation_preview(
    commons: Commons, proposed: equations.Equation, *, last: int = 5, currency: str | None = None
) -> list[Preview]:
    """'If this equation had applied to the last N distributions': each recipient's actual
    and hypothetical total per currency, recomputed from the ledger as it stood then."""
    from communs.domain.distribution import distribute

    recent = list(commons.distributions.select_related("income").order_by("-created_at")[:last])
    if currency is not None:
        recent = [d for d in recent if d.currency == currency]
    by_currency: dict[str, tuple[list[int], dict[str, int], dict[str, int]]] = {}
    for row in reversed(recent):
        ids, actual, proposed_totals = by_currency.setdefault(row.currency, ([], {}, {}))
        ids.append(row.pk)
        for name, amount in payouts_by_recipient(row).items():
            actual[name] = actual.get(name, 0) + amount
        paid, debt_paid = paid_before(commons, row.currency, as_of=row.created_at)
        result = distribute(
            amount=row.amount,
            currency=row.currency,
            equation=proposed,
            tallies=tallies(commons, proposed, as_of=row.created_at),
            paid=paid,
            debt_paid=debt_paid,
            upstreams=upstreams(commons, exclude=[*row.income.path, commons.slug]),
        )
        for payout in result.payouts:
            proposed_totals[payout.recipient] = (
                proposed_totals.get(payout.recipient, 0) + payout.amount
            )
    previews = []
    for code, (ids, actual, proposed_totals) in sorted(by_currency.items()):
        names = sorted(set(actual) | set(proposed_totals))
        rows = [PreviewRow(n, actual.get(n, 0), proposed_totals.get(n, 0)) for n in names]
        rows.sort(key=lambda r: (-abs(r.change), r.recipient))
        previews.append(Preview(code, ids, rows))
    return previews


def payouts_by_recipient(distribution: Distribution) -> dict[str, int]:
    rows = distribution.transaction.postings.exclude(payout_to="").values_list(
        "agent__name", "commons__slug", "amount"
    )
    out: dict[str, int] = {}
    for agent, slug, amount in rows:
        key = agent or slug
        out[key] = out.get(key, 0) + amount
    return out
