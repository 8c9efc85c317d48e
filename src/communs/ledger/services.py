"""Writes to the open value ledger. Every change posts balanced entries and logs an event."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from communs.accounts.models import Agent
from communs.commons.models import Commons, Maintainer, WorkingGroup
from communs.commons.selectors import rulebook_current
from communs.commons.services import require_power, rulebook_record
from communs.core import bulk, clock, eventlog
from communs.domain import distribution as dist
from communs.domain import equations, money
from communs.domain.contributions import MAX_DESCRIPTION, check_reason, check_url
from communs.domain.errors import Conflict, FieldErrors, Forbidden, Invalid
from communs.domain.rulebook import Power

from . import selectors
from .models import (
    Distribution,
    EquationVersion,
    Expense,
    Income,
    Posting,
    Transaction,
    Treasurer,
)

MAX_MEMO = 500


def _require_treasurer(actor: Agent, commons: Commons) -> None:
    if not selectors.is_treasurer(actor, commons):
        raise Forbidden(f"Only treasurers of {commons.slug} can do this.")


def _lock_treasury(commons: Commons) -> None:
    # Every treasury change of a commons goes through its row lock, so balance checks and the
    # postings that follow them cannot interleave with another request's.
    Commons.objects.select_for_update().filter(pk=commons.pk).values_list("pk").first()


@dataclass(frozen=True, slots=True)
class Entry:
    """One posting to write: an account (a commons' treasury, an agent's wallet, or the
    external world, optionally naming who), an amount and, for payouts, why."""

    account: str
    amount: int
    currency: str
    commons_id: int | None = None
    agent_id: int | None = None
    payout: dist.Payout | None = None
    explanation: str = ""


_COLUMNS = ("transaction_id", "account", "commons_id", "agent_id", "amount", "currency",
            "payout_to", "bucket", "value", "debt", "explanation")  # fmt: skip


def _post(txn: Transaction, entries: Sequence[Entry]) -> None:
    """Write a transaction's postings, which must sum to zero per currency.

    Rows go straight to the database (`core.bulk`): a distribution writes one posting per
    recipient, and for 50,000 of them `bulk_create` spent most of the run compiling SQL and
    building model instances (bench/distribution.py).
    """
    totals: dict[str, int] = {}
    for entry in entries:
        totals[entry.currency] = totals.get(entry.currency, 0) + entry.amount
    if any(totals.values()):
        raise AssertionError(f"unbalanced transaction {totals}")  # a bug, never user input
    rows = []
    for e in entries:
        p = e.payout
        rows.append((
            txn.pk, e.account, e.commons_id, e.agent_id, e.amount, e.currency,
            p.to.value if p else "", p.bucket if p else "", p.value if p else None,
            p.debt if p else 0, p.explanation if p else e.explanation,
        ))  # fmt: skip
    bulk.insert(Posting, _COLUMNS, rows)


def _log(commons: Commons, kind: str, actor: Agent | None, data: dict[str, Any]) -> None:
    # No actor: the governance job applying a community's decision.
    name = actor.name if actor else "governance"
    eventlog.append(eventlog.commons_stream(commons.slug), kind, name, data)


def _text(raw: str | None, field: str, limit: int, *, required: bool = False) -> str:
    text = (raw or "").strip()
    if required and not text:
        raise Invalid.field(field, "This is required.")
    if len(text) > limit or "\x00" in text:
        raise Invalid.field(field, f"Keep it under {limit} characters, without NUL.")
    return text


def treasurer_add(*, actor: Agent, commons: Commons, agent: Agent) -> Treasurer:
    """Maintainers name another treasurer: a person, or an organisation such as the
    for-benefit association that runs the commons' infrastructure."""
    if not Maintainer.objects.filter(commons=commons, agent=actor).exists():
        raise Forbidden(f"Only maintainers of {commons.slug} can name treasurers.")
    with transaction.atomic():
        row, created = Treasurer.objects.get_or_create(
            commons=commons, agent=agent, defaults={"added_by": actor, "added_at": clock.now()}
        )
        if not created:
            raise Conflict(f"{agent.name} is already a treasurer of {commons.slug}.")
        _log(commons, "treasurer.added", actor, {"treasurer": agent.name})
    return row


def income_record(
    *,
    actor: Agent,
    commons: Commons,
    kind: str,
    amount: object,
    currency: object,
    payer: Agent | None = None,
    payer_name: str = "",
    memo: str = "",
    received_at: datetime | None = None,
) -> Income:
    """A treasurer records money received into the commons' treasury."""
    _require_treasurer(actor, commons)
    errors = FieldErrors()
    if not isinstance(kind, str) or kind not in set(Income.Kind.values) - {Income.Kind.UPSTREAM}:
        kinds = ", ".join(k for k in Income.Kind.values if k != Income.Kind.UPSTREAM)
        errors.add("kind", f"Use one of {kinds}.")
    errors.raise_if_any()
    code = money.check_currency(currency)
    minor = money.parse_amount(amount, code)
    memo = _text(memo, "memo", MAX_MEMO)
    payer_name = _text(payer_name, "from", 200)
    now = clock.now()
    when = received_at or now
    if when.tzinfo is None or when > now:
        raise Invalid.field("received_at", "Give a past date and time with a time zone.")
    with transaction.atomic():
        txn = Transaction.objects.create(
            commons=commons,
            kind=Transaction.Kind.INCOME,
            memo=memo,
            created_by=actor,
            created_at=now,
        )
        _post(
            txn,
            [
                Entry(Posting.Account.EXTERNAL, -minor, code, agent_id=payer.pk if payer else None),
                Entry(Posting.Account.TREASURY, minor, code, commons_id=commons.pk),
            ],
        )
        income = Income.objects.create(
            commons=commons,
            kind=kind,
            amount=minor,
            currency=code,
            payer=payer,
            payer_name=payer_name or (payer.display_name if payer else ""),
            memo=memo,
            received_at=when,
            recorded_by=actor,
            transaction=txn,
        )
        _log(
            commons,
            "income.recorded",
            actor,
            {
                "id": income.pk,
                "kind": kind,
                "amount": money.format_amount(minor, code),
                "currency": code,
                "from": payer.name if payer else payer_name,
                "memo": memo,
            },
        )
    return income


def expense_submit(
    *,
    actor: Agent,
    commons: Commons,
    amount: object,
    currency: object,
    description: str,
    evidence_url: str = "",
    working_group: WorkingGroup | None = None,
) -> Expense:
    """Anyone may claim an expense against a commons (e.g. its server costs); a member of one
    of its open working groups may charge it to that group's budget."""
    code = money.check_currency(currency)
    minor = money.parse_amount(amount, code)
    text = _text(description, "description", MAX_DESCRIPTION, required=True)
    errors = FieldErrors()
    url = check_url(evidence_url or "", errors)
    if working_group is not None:
        if working_group.commons_id != commons.pk or working_group.closed_at is not None:
            errors.add("working_group", f"{commons.slug} has no open working group by that name.")
        elif not working_group.members.filter(agent=actor).exists():
            errors.add("working_group", f"Only members of {working_group.slug} charge it.")
        elif working_group.spending_cap is not None and working_group.currency != code:
            errors.add("currency", f"{working_group.slug} spends in {working_group.currency}.")
    errors.raise_if_any()
    with transaction.atomic():
        expense = Expense.objects.create(
            working_group=working_group,
            commons=commons,
            claimant=actor,
            amount=minor,
            currency=code,
            description=text,
            evidence_url=url,
            created_at=clock.now(),
        )
        _log(
            commons,
            "expense.submitted",
            actor,
            {
                "id": expense.pk,
                "amount": money.format_amount(minor, code),
                "currency": code,
                "description": text,
                "evidence_url": url,
                **({"working_group": working_group.slug} if working_group else {}),
            },
        )
    return expense


def _locked_expense(actor: Agent, expense: Expense, *, expect: str) -> Expense:
    _require_treasurer(actor, expense.commons)
    _lock_treasury(expense.commons)
    row = (
        Expense.objects.select_for_update(of=("self",))
        .select_related("commons", "claimant")
        .get(pk=expense.pk)
    )
    if row.claimant_id == actor.pk:
        raise Forbidden("Nobody decides on their own expense claim.")
    if row.status != expect:
        raise Conflict(f"This expense is {row.status}, not {expect}.")
    return row


def _available(commons: Commons, currency: str, *, besides: Expense | None = None) -> int:
    """Treasury balance minus expenses already approved but not yet paid."""
    committed = commons.expenses.filter(status=Expense.Status.APPROVED, currency=currency)
    if besides is not None:
        committed = committed.exclude(pk=besides.pk)
    reserved = sum(committed.values_list("amount", flat=True))
    return selectors.balance(commons, currency) - reserved


def expense_approve(
    *, actor: Agent | None, expense: Expense, proposal: int | None = None
) -> Expense:
    """A treasurer approves an expense claim, if the rulebook leaves that to them; otherwise
    it is the change of an adopted `proposal` (no `actor`: the community decided). Never
    beyond what the treasury holds, nor beyond the spending cap of the working group it is
    charged to, nor for a group that was closed."""
    with transaction.atomic():
        if proposal is None:
            if actor is None:
                raise Forbidden("A treasurer, or an adopted proposal, approves an expense.")
            row = _locked_expense(actor, expense, expect=Expense.Status.PENDING)
            _require_expense_power(row.commons, "approve")
        else:
            row = _lock_pending(expense)
        if row.working_group is not None and row.working_group.closed_at is not None:
            raise Conflict(f"The working group {row.working_group.slug} was closed.")
        _check_cap(row)
        available = _available(row.commons, row.currency)
        if row.amount > available:
            raise Conflict(
                f"Approving this would overdraw the treasury: "
                f"{money.display(available, row.currency)} available, "
                f"{money.display(row.amount, row.currency)} claimed."
            )
        row.status, row.decided_by, row.decided_at = Expense.Status.APPROVED, actor, clock.now()
        row.save(update_fields=["status", "decided_by", "decided_at"])
        _log(
            row.commons,
            "expense.approved",
            actor,
            {"id": row.pk, **({"proposal": proposal} if proposal else {})},
        )
    return row


def _lock_pending(expense: Expense) -> Expense:
    _lock_treasury(expense.commons)
    row = (
        Expense.objects.select_for_update(of=("self",))
        .select_related("commons", "claimant", "working_group")
        .get(pk=expense.pk)
    )
    if row.status != Expense.Status.PENDING:
        raise Conflict(f"This expense is {row.status}, not pending.")
    return row


def _check_cap(row: Expense) -> None:
    """A working group's approved expenses within any cap period stay within its cap."""
    group = row.working_group
    if group is None or group.spending_cap is None or group.cap_period_days is None:
        return
    spent = selectors.working_groups_spent([group], clock.now())[group.pk]
    if spent + row.amount > group.spending_cap:
        cap = money.display(group.spending_cap, group.currency)
        left = money.display(max(group.spending_cap - spent, 0), group.currency)
        raise Conflict(
            f"The working group {group.slug} may spend {cap} per {group.cap_period_days} days; "
            f"{left} is left, and this expense is {money.display(row.amount, row.currency)}."
        )


def _require_expense_power(commons: Commons, doing: str) -> None:
    """Deciding on expenses directly is a power the rulebook may take back: then approving
    goes by proposal, and so does nothing else — a treasurer cannot reject a claim the
    community may be deciding on."""
    if Power.APPROVE_EXPENSE not in rulebook_current(commons).rules.maintainers_may:
        raise Forbidden(
            f"The rulebook of {commons.slug} asks for a proposal to {doing} expenses; open one."
        )


def expense_reject(*, actor: Agent, expense: Expense, reason: str) -> Expense:
    _require_treasurer(actor, expense.commons)
    text = check_reason(reason, required=True)
    with transaction.atomic():
        row = _locked_expense(actor, expense, expect=Expense.Status.PENDING)
        _require_expense_power(row.commons, "decide on")
        row.status, row.reason = Expense.Status.REJECTED, text
        row.decided_by, row.decided_at = actor, clock.now()
        row.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        _log(row.commons, "expense.rejected", actor, {"id": row.pk, "reason": text})
    return row


def expense_pay(*, actor: Agent, expense: Expense) -> Expense:
    """Pay an approved expense from the treasury to the claimant; never overdraws."""
    with transaction.atomic():
        row = _locked_expense(actor, expense, expect=Expense.Status.APPROVED)
        balance = selectors.balance(row.commons, row.currency)
        if row.amount > balance:
            raise Conflict(
                f"The treasury holds {money.display(balance, row.currency)}; this expense is "
                f"{money.display(row.amount, row.currency)}."
            )
        now = clock.now()
        txn = Transaction.objects.create(
            commons=row.commons,
            kind=Transaction.Kind.EXPENSE,
            memo=row.description[:MAX_MEMO],
            created_by=actor,
            created_at=now,
        )
        _post(
            txn,
            [
                Entry(
                    Posting.Account.TREASURY, -row.amount, row.currency, commons_id=row.commons_id
                ),
                Entry(
                    Posting.Account.WALLET,
                    row.amount,
                    row.currency,
                    agent_id=row.claimant_id,
                    explanation=f"expense #{row.pk} reimbursed",
                ),
            ],
        )
        row.status, row.transaction = Expense.Status.PAID, txn
        row.save(update_fields=["status", "transaction"])
        _log(
            row.commons,
            "expense.paid",
            actor,
            {
                "id": row.pk,
                "to": row.claimant.name,
                "amount": money.format_amount(row.amount, row.currency),
                "currency": row.currency,
            },
        )
    return row


def check_payees(equation: equations.Equation, *, prefix: str = "") -> None:
    """The agents an equation's buckets pay must exist (one query); Invalid names each bucket
    that pays nobody, as `<prefix>buckets[i].agent`."""
    named = {b.agent for b in equation.buckets if b.agent is not None}
    known = set(Agent.objects.filter(name__in=named).values_list("name", flat=True))
    errors = FieldErrors()
    for i, bucket in enumerate(equation.buckets):
        if bucket.agent is not None and bucket.agent not in known:
            errors.add(f"{prefix}buckets[{i}].agent", f"No agent is named '{bucket.agent}'.")
    errors.raise_if_any()


def equation_adopt(
    *, actor: Agent, commons: Commons, definition: object, proposal: int | None = None
) -> EquationVersion:
    """A new version of the commons' value equation: adopted by its maintainers if the rulebook
    leaves that to them, or as the change of an adopted `proposal`."""
    if proposal is None:
        require_power(actor, commons, Power.ADOPT_EQUATION, "change its value equation")
    equation = equations.parse_equation(definition)
    check_payees(equation)
    with transaction.atomic():
        last = commons.equations.select_for_update().order_by("-version").first()
        version = (last.version if last else 0) + 1
        try:
            row = EquationVersion.objects.create(
                commons=commons,
                version=version,
                definition=dict(equation.definition),
                created_by=actor,
                created_at=clock.now(),
            )
        except IntegrityError:
            raise Conflict("Another version was adopted at the same moment; try again.") from None
        rulebook_record(
            actor=actor,
            commons=commons,
            proposal=proposal,
            note=f"Value equation v{version} adopted",
            equation_version=version,
        )
        _log(
            commons,
            "value_equation.adopted",
            actor,
            {
                "version": version,
                "definition": dict(equation.definition),
                **({"proposal": proposal} if proposal else {}),
            },
        )
    return row


@dataclass(frozen=True)
class DistributionRun:
    """What a distribution did, or would do (`distribution` is None for a dry run)."""

    income: Income
    equation_version: int
    result: dist.Result
    distribution: Distribution | None


def _compute(
    commons: Commons,
    income: Income,
    equation: equations.Equation,
    as_of: datetime,
    agents: selectors.AgentDirectory,
) -> dist.Result:
    paid: dict[str, int] = {}
    debt_paid: dict[str, int] = {}
    if dist.uses_payment_history(equation):
        paid, debt_paid = selectors.paid_before(
            commons, income.currency, as_of=as_of, agents=agents
        )
    return dist.distribute(
        amount=income.amount,
        currency=income.currency,
        equation=equation,
        tallies=selectors.tallies(commons, equation, as_of=as_of, agents=agents),
        paid=paid,
        debt_paid=debt_paid,
        upstreams=selectors.upstreams(commons, exclude=[*income.path, commons.slug]),
    )


def distribution_run(
    *, actor: Agent, commons: Commons, income: Income, dry_run: bool = False
) -> DistributionRun:
    """Share an income out by the commons' current value equation (or preview it)."""
    _require_treasurer(actor, commons)
    if income.commons_id != commons.pk:
        raise Invalid.field("income", f"Income {income.pk} belongs to another commons.")
    with transaction.atomic():
        _lock_treasury(commons)
        if Distribution.objects.filter(income=income).exists():
            raise Conflict(
                f"Income {income.pk} has already been distributed.",
                {"income": ["This income has already been distributed."]},
            )
        available = _available(commons, income.currency)
        if income.amount > available:
            raise Conflict(
                f"The treasury has {money.display(available, income.currency)} free (its "
                "balance less the approved expenses not yet paid), less than this income "
                f"({money.display(income.amount, income.currency)}): only money in the "
                "treasury is distributed."
            )
        current = selectors.equation_current(commons)
        now = clock.now()
        agents = selectors.AgentDirectory()
        result = _compute(commons, income, current.equation, now, agents)
        if dry_run:
            return DistributionRun(income, current.version, result, None)
        row = _write(actor, commons, income, current, result, now, agents)
    return DistributionRun(income, current.version, result, row)


def _write(
    actor: Agent,
    commons: Commons,
    income: Income,
    current: selectors.CurrentEquation,
    result: dist.Result,
    now: datetime,
    agents: selectors.AgentDirectory,
) -> Distribution:
    txn = Transaction.objects.create(
        commons=commons,
        kind=Transaction.Kind.DISTRIBUTION,
        memo=f"distribution of income #{income.pk}",
        created_by=actor,
        created_at=now,
    )
    names = {p.recipient for p in result.payouts if p.to != equations.Target.UPSTREAM}
    ids = agents.ids(names)
    slugs = {p.recipient for p in result.payouts if p.to == equations.Target.UPSTREAM}
    upstream = {c.slug: c for c in Commons.objects.filter(slug__in=slugs)} if slugs else {}
    paid_out = income.amount - result.kept
    currency = income.currency
    postings = [Entry(Posting.Account.TREASURY, -paid_out, currency, commons_id=commons.pk)]
    for p in result.payouts:
        if p.to == equations.Target.UPSTREAM:
            postings.append(
                Entry(
                    Posting.Account.TREASURY,
                    p.amount,
                    currency,
                    commons_id=upstream[p.recipient].pk,
                    payout=p,
                )
            )
        else:
            postings.append(
                Entry(
                    Posting.Account.WALLET,
                    p.amount,
                    currency,
                    agent_id=ids[p.recipient],
                    payout=p,
                )
            )
    if not paid_out:
        postings = postings[1:]
    _post(txn, postings)
    try:
        row = Distribution.objects.create(
            commons=commons,
            income=income,
            equation_version=current.version,
            equation=dict(current.equation.definition),
            inputs=_inputs(income, result),
            amount=income.amount,
            kept=result.kept,
            currency=income.currency,
            transaction=txn,
            created_by=actor,
            created_at=now,
        )
    except IntegrityError:  # a concurrent request distributed it first
        raise Conflict(f"Income {income.pk} has already been distributed.") from None
    for p in result.payouts:
        if p.to == equations.Target.UPSTREAM:
            _upstream_income(actor, commons, upstream[p.recipient], income, p, txn, now)
    digest = hashlib.sha256(
        "\n".join(f"{p.bucket}|{p.recipient}|{p.amount}" for p in result.payouts).encode()
    ).hexdigest()
    _log(
        commons,
        "distribution.made",
        actor,
        {
            "id": row.pk,
            "income": income.pk,
            "equation_version": current.version,
            "amount": money.format_amount(income.amount, income.currency),
            "currency": income.currency,
            "kept": money.format_amount(result.kept, income.currency),
            "payouts": len(result.payouts),
            "payouts_sha256": digest,
        },
    )
    return row


def _inputs(income: Income, result: dist.Result) -> dict[str, Any]:
    return {
        "income": {"id": income.pk, "kind": income.kind, "path": income.path},
        "buckets": [
            {"name": b.name, "amount": b.amount, "kept": b.kept, "note": b.note}
            for b in result.buckets
        ],
    }


def _upstream_income(
    actor: Agent,
    commons: Commons,
    upstream: Commons,
    income: Income,
    payout: dist.Payout,
    txn: Transaction,
    now: datetime,
) -> None:
    """The cited commons receives its share as an income its own equation will distribute."""
    received = Income.objects.create(
        commons=upstream,
        kind=Income.Kind.UPSTREAM,
        amount=payout.amount,
        currency=income.currency,
        payer_name=commons.title,
        source_commons=commons,
        path=[*income.path, commons.slug],
        memo=f"cited by {commons.slug}",
        received_at=now,
        recorded_by=actor,
        transaction=txn,
    )
    _log(
        upstream,
        "income.recorded",
        actor,
        {
            "id": received.pk,
            "kind": Income.Kind.UPSTREAM,
            "amount": money.format_amount(payout.amount, income.currency),
            "currency": income.currency,
            "from": commons.slug,
            "memo": received.memo,
            "distribution_transaction": txn.pk,
        },
    )
