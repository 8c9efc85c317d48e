"""The open value ledger: treasuries, incomes, expenses, value equations, distributions,
wallets and the ledger's exports (CSV and ValueFlows JSON-LD). Reads are public; writes take a
bearer token, and the services decide who may make them."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Body, Path, Query, Router, Status

from communs.accounts.selectors import agent_get
from communs.commons.models import Commons
from communs.commons.selectors import commons_get, maintainers, working_group_get
from communs.domain import equations
from communs.domain.errors import Invalid, NotFound
from communs.domain.money import format_amount
from communs.ledger import selectors, services, valueflows
from communs.ledger.models import Distribution, Expense, Posting

from .auth import actor, bearer
from .ledger_schemas import (
    BucketOut,
    DistributeIn,
    DistributionDetailOut,
    DistributionOut,
    DistributionPage,
    DistributionRunOut,
    EquationOut,
    EquationVersionOut,
    ExpenseIn,
    ExpenseOut,
    ExpensePage,
    ExpenseRejectIn,
    IdPath,
    IncomeIn,
    IncomeOut,
    IncomePage,
    PageQuery,
    PayoutOut,
    PayoutPage,
    PreviewCurrencyOut,
    PreviewIn,
    PreviewOut,
    PreviewRowOut,
    ReceivedOut,
    TreasurerIn,
    TreasurersOut,
    TreasuryOut,
    WalletOut,
    WalletPostingOut,
    WalletPostingPage,
)
from .problems import ERRORS

router = Router(tags=["ledger"])
RECENT = 10
CSV_HEADER = [
    "date",
    "transaction",
    "kind",
    "account",
    "holder",
    "amount",
    "currency",
    "bucket",
    "explanation",
]
# Cells a spreadsheet would run as a formula; prefixed with ' (never amounts: they are numbers).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _treasurers(commons_slug: str) -> TreasurersOut:
    commons = commons_get(commons_slug)
    return TreasurersOut(
        commons=commons.slug,
        maintainers=[m.agent.name for m in maintainers(commons)],
        treasurers=[a.name for a in selectors.treasurers(commons)],
    )


def _with_groups(expenses: list[Expense]) -> list[Expense]:
    """Fetch the working groups a page of expenses is charged to in one query, not one each."""
    prefetch_related_objects(expenses, "working_group")
    return expenses


# --- treasury --------------------------------------------------------------------------------


@router.get("/commons/{slug}/treasury", response={200: TreasuryOut, **ERRORS})
def treasury(request: HttpRequest, slug: str) -> TreasuryOut:
    commons = commons_get(slug)
    keepers = _treasurers(slug)
    recent_expenses = selectors.expenses(commons, limit=RECENT).items
    return TreasuryOut(
        commons=commons.slug,
        balances={c: format_amount(v, c) for c, v in selectors.balances(commons).items()},
        maintainers=keepers.maintainers,
        treasurers=keepers.treasurers,
        incomes=[IncomeOut.of(i, slug) for i in selectors.incomes(commons, limit=RECENT).items],
        expenses=[ExpenseOut.of(e, slug) for e in _with_groups(recent_expenses)],
        distributions=[
            DistributionOut.of(d, slug)
            for d in selectors.distributions(commons, limit=RECENT).items
        ],
        flows={
            currency: {part: format_amount(v, currency) for part, v in parts.items()}
            for currency, parts in selectors.flows(commons).items()
        },
    )


@router.post("/commons/{slug}/treasurers", auth=bearer, response={201: TreasurersOut, **ERRORS})
def add_treasurer(request: HttpRequest, slug: str, payload: TreasurerIn) -> Status[TreasurersOut]:
    commons = commons_get(slug)
    try:
        agent = agent_get(payload.username)
    except NotFound as exc:
        raise Invalid.field("username", exc.detail) from None
    services.treasurer_add(actor=actor(request), commons=commons, agent=agent)
    return Status(201, _treasurers(slug))


# --- incomes ---------------------------------------------------------------------------------


@router.post("/commons/{slug}/incomes", auth=bearer, response={201: IncomeOut, **ERRORS})
def record_income(request: HttpRequest, slug: str, payload: IncomeIn) -> Status[IncomeOut]:
    commons = commons_get(slug)
    who = actor(request)
    text = (payload.from_ or "").strip()
    payer = None
    with contextlib.suppress(NotFound):  # not an agent here: then the text names the payer
        payer = agent_get(text) if text else None
    income = services.income_record(
        actor=who,
        commons=commons,
        kind=payload.kind,
        amount=payload.amount,
        currency=payload.currency,
        payer=payer,
        payer_name="" if payer else text,
        memo=payload.memo or "",
        received_at=payload.received_at,
    )
    return Status(201, IncomeOut.of(income, slug))


@router.get("/commons/{slug}/incomes", response={200: IncomePage, **ERRORS})
def list_incomes(request: HttpRequest, slug: str, query: Query[PageQuery]) -> IncomePage:
    page = selectors.incomes(commons_get(slug), cursor=query.cursor, limit=query.limit)
    return IncomePage(items=[IncomeOut.of(i, slug) for i in page.items], next=page.next)


@router.get("/incomes/{id}", response={200: IncomeOut, **ERRORS})
def get_income(request: HttpRequest, path: Path[IdPath]) -> IncomeOut:
    return IncomeOut.of(selectors.income_get(path.id))


# --- expenses --------------------------------------------------------------------------------


@router.post("/commons/{slug}/expenses", auth=bearer, response={201: ExpenseOut, **ERRORS})
def submit_expense(request: HttpRequest, slug: str, payload: ExpenseIn) -> Status[ExpenseOut]:
    """`working_group` (a group's slug) charges the expense to that group's budget."""
    commons = commons_get(slug)
    who = actor(request)
    group = None
    if payload.working_group:
        try:
            group = working_group_get(commons, payload.working_group)
        except NotFound as exc:
            raise Invalid.field("working_group", exc.detail) from None
    expense = services.expense_submit(
        actor=who,
        commons=commons,
        amount=payload.amount,
        currency=payload.currency,
        description=payload.description,
        evidence_url=payload.evidence_url or "",
        working_group=group,
    )
    return Status(201, ExpenseOut.of(expense, slug))


@router.get("/commons/{slug}/expenses", response={200: ExpensePage, **ERRORS})
def list_expenses(request: HttpRequest, slug: str, query: Query[PageQuery]) -> ExpensePage:
    page = selectors.expenses(commons_get(slug), cursor=query.cursor, limit=query.limit)
    _with_groups(page.items)
    return ExpensePage(items=[ExpenseOut.of(e, slug) for e in page.items], next=page.next)


@router.get("/expenses/{id}", response={200: ExpenseOut, **ERRORS})
def get_expense(request: HttpRequest, path: Path[IdPath]) -> ExpenseOut:
    return ExpenseOut.of(selectors.expense_get(path.id))


@router.post("/expenses/{id}/approve", auth=bearer, response={200: ExpenseOut, **ERRORS})
def approve_expense(request: HttpRequest, path: Path[IdPath]) -> ExpenseOut:
    row = services.expense_approve(actor=actor(request), expense=selectors.expense_get(path.id))
    return ExpenseOut.of(row)


@router.post("/expenses/{id}/reject", auth=bearer, response={200: ExpenseOut, **ERRORS})
def reject_expense(
    request: HttpRequest, path: Path[IdPath], payload: ExpenseRejectIn
) -> ExpenseOut:
    row = services.expense_reject(
        actor=actor(request), expense=selectors.expense_get(path.id), reason=payload.reason
    )
    return ExpenseOut.of(row)


@router.post("/expenses/{id}/pay", auth=bearer, response={200: ExpenseOut, **ERRORS})
def pay_expense(request: HttpRequest, path: Path[IdPath]) -> ExpenseOut:
    row = services.expense_pay(actor=actor(request), expense=selectors.expense_get(path.id))
    return ExpenseOut.of(row)


# --- value equations -------------------------------------------------------------------------


def _equation(slug: str) -> EquationOut:
    commons = commons_get(slug)
    current = selectors.equation_current(commons)
    return EquationOut(
        commons=commons.slug,
        version=current.version,
        definition=dict(current.equation.definition),
        history=[EquationVersionOut.of(v) for v in selectors.equation_history(commons)],
    )


@router.get("/commons/{slug}/value-equation", response={200: EquationOut, **ERRORS})
def get_equation(request: HttpRequest, slug: str) -> EquationOut:
    return _equation(slug)


@router.put("/commons/{slug}/value-equation", auth=bearer, response={200: EquationOut, **ERRORS})
def adopt_equation(
    request: HttpRequest, slug: str, definition: Body[dict[str, Any]]
) -> EquationOut:
    """The body is the equation itself: `{"rates": {...}, "buckets": [...]}`."""
    services.equation_adopt(actor=actor(request), commons=commons_get(slug), definition=definition)
    return _equation(slug)


@router.post("/commons/{slug}/value-equation/preview", response={200: PreviewOut, **ERRORS})
def preview_equation(request: HttpRequest, slug: str, payload: PreviewIn) -> PreviewOut:
    """What the last N distributions would have paid each recipient under `definition`."""
    commons = commons_get(slug)
    proposed = equations.parse_equation(payload.definition)
    previews = selectors.equation_preview(commons, proposed, last=payload.last)
    return preview_out(commons, previews, payload.last)


def preview_out(commons: Commons, previews: list[selectors.Preview], last: int) -> PreviewOut:
    """The per-person impact table of an equation preview (also shown for a proposal)."""
    return PreviewOut(
        commons=commons.slug,
        last=last,
        currencies=[
            PreviewCurrencyOut(
                currency=p.currency,
                distributions=p.distributions,
                rows=[
                    PreviewRowOut(
                        recipient=r.recipient,
                        actual=format_amount(r.actual, p.currency),
                        proposed=format_amount(r.proposed, p.currency),
                        change=format_amount(r.change, p.currency),
                    )
                    for r in p.rows
                ],
            )
            for p in previews
        ],
    )


# --- distributions ---------------------------------------------------------------------------


@router.post(
    "/commons/{slug}/distributions",
    auth=bearer,
    response={200: DistributionRunOut, 201: DistributionRunOut, **ERRORS},
)
def distribute(
    request: HttpRequest, slug: str, payload: DistributeIn
) -> Status[DistributionRunOut]:
    """Share an income out by the current value equation; `dry_run` writes nothing (200)."""
    commons = commons_get(slug)
    who = actor(request)
    try:
        income = selectors.income_get(payload.income)
    except NotFound as exc:
        raise Invalid.field("income", exc.detail) from None
    run = services.distribution_run(
        actor=who, commons=commons, income=income, dry_run=payload.dry_run
    )
    currency = income.currency
    body = DistributionRunOut(
        id=run.distribution.pk if run.distribution else None,
        commons=commons.slug,
        income=income.pk,
        equation_version=run.equation_version,
        amount=format_amount(income.amount, currency),
        currency=currency,
        kept=format_amount(run.result.kept, currency),
        dry_run=run.distribution is None,
        buckets=[
            BucketOut(
                name=b.name,
                amount=format_amount(b.amount, currency),
                kept=format_amount(b.kept, currency),
                note=b.note,
            )
            for b in run.result.buckets
        ],
        payouts=[PayoutOut.of_result(p, currency) for p in run.result.payouts],
    )
    return Status(200 if run.distribution is None else 201, body)


@router.get("/commons/{slug}/distributions", response={200: DistributionPage, **ERRORS})
def list_distributions(
    request: HttpRequest, slug: str, query: Query[PageQuery]
) -> DistributionPage:
    page = selectors.distributions(commons_get(slug), cursor=query.cursor, limit=query.limit)
    return DistributionPage(items=[DistributionOut.of(d, slug) for d in page.items], next=page.next)


def _stored_buckets(row: Distribution) -> list[BucketOut]:
    stored = row.inputs.get("buckets", []) if isinstance(row.inputs, dict) else []
    return [
        BucketOut(
            name=str(b.get("name", "")),
            amount=format_amount(int(b.get("amount", 0)), row.currency),
            kept=format_amount(int(b.get("kept", 0)), row.currency),
            note=str(b.get("note", "")),
        )
        for b in stored
    ]


@router.get("/distributions/{id}", response={200: DistributionDetailOut, **ERRORS})
def get_distribution(
    request: HttpRequest, path: Path[IdPath], query: Query[PageQuery]
) -> DistributionDetailOut:
    row = selectors.distribution_get(path.id)
    page = selectors.payouts(row, cursor=query.cursor, limit=query.limit)
    return DistributionDetailOut(
        **DistributionOut.of(row).dict(),
        created_by=row.created_by.name,
        equation=row.equation,
        buckets=_stored_buckets(row),
        payouts=PayoutPage(items=[PayoutOut.of_posting(p) for p in page.items], next=page.next),
    )


# --- wallets ---------------------------------------------------------------------------------


@router.get("/agents/{name}/wallet", response={200: WalletOut, **ERRORS})
def wallet(request: HttpRequest, name: str, query: Query[PageQuery]) -> WalletOut:
    agent = agent_get(name)
    page = selectors.wallet_postings(agent, cursor=query.cursor, limit=query.limit)
    return WalletOut(
        agent=agent.name,
        received=[
            ReceivedOut(
                commons=line.commons.slug,
                currency=line.currency,
                amount=format_amount(line.received, line.currency),
            )
            for line in selectors.wallet(agent)
        ],
        postings=WalletPostingPage(
            items=[WalletPostingOut.of(p) for p in page.items], next=page.next
        ),
    )


# --- exports ---------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_lines(postings: Iterator[Posting]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for p in postings:
        holder = p.commons.slug if p.commons else p.agent.name if p.agent else ""
        yield writer.writerow(
            [
                p.transaction.created_at.isoformat().replace("+00:00", "Z"),
                p.transaction_id,
                p.transaction.kind,
                p.account,
                holder,
                format_amount(p.amount, p.currency),
                p.currency,
                _cell(p.bucket),
                _cell(p.explanation),
            ]
        )


CSV_DOC = {
    "responses": {
        200: {
            "description": "Every posting of the commons' transactions, oldest first: "
            + ", ".join(CSV_HEADER)
            + ". Amounts are decimal strings; each transaction sums to zero per currency.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}
JSONLD_DOC = {
    "responses": {
        200: {
            "description": "ValueFlows 1.0 JSON-LD: the commons, its agents, accepted "
            "contributions, incomes and payouts as vf:EconomicEvent.",
            "content": {"application/ld+json": {"schema": {"type": "object"}}},
        }
    }
}


@router.get("/commons/{slug}/ledger.csv", response=ERRORS, openapi_extra=CSV_DOC)
def ledger_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    commons = commons_get(slug)
    rows = selectors.postings(commons).iterator(chunk_size=2000)
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{commons.slug}-ledger.csv"'
    return response


@router.get("/commons/{slug}/valueflows", response=ERRORS, openapi_extra=JSONLD_DOC)
def export_valueflows(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    commons = commons_get(slug)
    base = request.build_absolute_uri("/api/v1/")
    return StreamingHttpResponse(
        valueflows.document(commons, base=base), content_type="application/ld+json"
    )
