"""The open value ledger through the JSON API: incomes, distributions, expenses, value
equations, wallets, exports, bad input and who may write what."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core.models import Event
from communs.ledger import services as ledger_services
from communs.ledger.models import (
    Distribution,
    EquationVersion,
    Expense,
    Income,
    Posting,
    Transaction,
)
from tests.api.client import Api, api_for

pytestmark = pytest.mark.django_db

GRANT = {"amount": "100.00", "currency": "EUR", "kind": "grant", "from": "City of Riverside"}
EQUATION: dict[str, Any] = {
    "rates": {"hour": "30"},
    "buckets": [
        {"name": "fund", "percent": "20", "of": "whole", "to": "agent", "agent": "alice"},
        {
            "name": "contributors",
            "percent": "100",
            "of": "remaining",
            "to": "contributors",
            "policy": "immediate",
            "rules": [{"action": "work", "value": "quantity * hour"}],
        },
    ],
}


def put(api: Api, path: str, body: Any) -> Any:
    return api.client.put(
        f"/api/v1{path}", body, content_type="application/json", headers=api.headers
    )


def accepted(commons: Commons, maintainer: Agent, contributor: Agent, hours: str) -> int:
    row = commons_services.contribution_submit(
        actor=contributor,
        commons=commons,
        action="work",
        quantity=hours,
        unit="hour",
        description="Sorted seeds",
    )
    commons_services.contribution_accept(actor=maintainer, contribution=row)
    return row.pk


@pytest.fixture
def dave(make_person: Callable[..., Agent]) -> Agent:
    return make_person("dave")


@pytest.fixture
def worked(alice: Agent, bob: Agent, dave: Agent, seed_library: Commons) -> Commons:
    """bob worked 12 h and dave 4 h on the seed library, both accepted by alice."""
    accepted(seed_library, alice, bob, "12")
    accepted(seed_library, alice, dave, "4")
    return seed_library


def snapshot() -> tuple[int, ...]:
    return (
        Income.objects.count(),
        Expense.objects.count(),
        Transaction.objects.count(),
        Posting.objects.count(),
        Distribution.objects.count(),
        EquationVersion.objects.count(),
        Event.objects.count(),
    )


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


def total(amounts: list[str]) -> Decimal:
    return sum((Decimal(a) for a in amounts), Decimal(0))


# --- the main path ---------------------------------------------------------------------------


def test_income_dry_run_distribution_and_what_everyone_sees(
    as_alice: Api, anon: Api, worked: Commons
) -> None:
    created = as_alice.post("/commons/seed-library/incomes", GRANT)
    assert created.status_code == 201, created.content
    income = created.json()
    assert income["amount"] == "100.00"
    assert (income["payer"], income["payer_name"]) == (None, "City of Riverside")
    assert (income["distributed"], income["distribution"]) == (False, None)

    before = snapshot()
    dry = as_alice.post(
        "/commons/seed-library/distributions", {"income": income["id"], "dry_run": True}
    )
    assert dry.status_code == 200, dry.content
    preview = dry.json()
    assert (preview["id"], preview["dry_run"], preview["equation_version"]) == (None, True, 0)
    assert snapshot() == before  # a dry run writes nothing

    real = as_alice.post("/commons/seed-library/distributions", {"income": income["id"]})
    assert real.status_code == 201, real.content
    run = real.json()
    assert run["id"] is not None
    assert run["dry_run"] is False
    assert {p["recipient"]: p["amount"] for p in run["payouts"]} == {
        "bob": "67.50",
        "dave": "22.50",
    }
    assert {p["recipient"]: p["amount"] for p in run["payouts"]} == {
        p["recipient"]: p["amount"] for p in preview["payouts"]
    }
    assert run["kept"] == "10.00"
    assert total([p["amount"] for p in run["payouts"]]) + Decimal(run["kept"]) == Decimal("100")
    bob_line = next(p for p in run["payouts"] if p["recipient"] == "bob")
    assert "12 hour work × 25 = 300" in bob_line["explanation"]
    assert "€67.50" in bob_line["explanation"]

    again = as_alice.post("/commons/seed-library/distributions", {"income": income["id"]})
    assert_problem(again, 409)

    shown = anon.get(f"/incomes/{income['id']}").json()
    assert (shown["distributed"], shown["distribution"]) == (True, run["id"])

    detail = anon.get(f"/distributions/{run['id']}", limit=1)
    assert detail.status_code == 200
    body = detail.json()
    assert body["created_by"] == "alice"
    assert body["equation"]["buckets"][0]["name"] == "upstream"
    assert len(body["payouts"]["items"]) == 1
    assert body["payouts"]["next"] is not None
    rest = anon.get(f"/distributions/{run['id']}", cursor=body["payouts"]["next"]).json()
    recipients = {p["recipient"] for p in body["payouts"]["items"] + rest["payouts"]["items"]}
    assert recipients == {"bob", "dave"}
    assert [d["id"] for d in anon.get("/commons/seed-library/distributions").json()["items"]] == [
        run["id"]
    ]

    treasury = anon.get("/commons/seed-library/treasury").json()
    assert treasury["balances"] == {"EUR": "10.00"}
    assert treasury["maintainers"] == ["alice"]
    assert treasury["incomes"][0]["distributed"] is True
    assert treasury["flows"]["EUR"]["in:grant"] == "100.00"
    assert treasury["flows"]["EUR"]["out:contributors"] == "90.00"

    wallet = anon.get("/agents/bob/wallet").json()
    assert wallet["received"] == [{"commons": "seed-library", "currency": "EUR", "amount": "67.50"}]
    assert wallet["postings"]["items"][0]["kind"] == "distribution"
    assert anon.get("/agents/nobody/wallet").status_code == 404


def test_income_from_an_agent_names_the_agent(as_alice: Api, bob: Agent, worked: Commons) -> None:
    response = as_alice.post(
        "/commons/seed-library/incomes",
        {"amount": "5", "currency": "eur", "kind": "donation", "from": "bob", "memo": "thanks"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["payer"], body["currency"], body["amount"]) == ("bob", "EUR", "5.00")
    listed = as_alice.get("/commons/seed-library/incomes").json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]
    assert listed["next"] is None


def test_distributing_a_foreign_or_unknown_income_is_422(
    as_alice: Api, carol: Agent, other_commons: Commons, worked: Commons
) -> None:
    foreign = ledger_services.income_record(
        actor=carol, commons=other_commons, kind="sale", amount="3", currency="EUR"
    )
    before = snapshot()
    body = assert_problem(
        as_alice.post("/commons/seed-library/distributions", {"income": foreign.pk}),
        422,
        "income",
    )
    assert "another commons" in body["detail"]
    assert_problem(
        as_alice.post("/commons/seed-library/distributions", {"income": 999_999}), 422, "income"
    )
    assert_problem(as_alice.post("/commons/seed-library/distributions", {"income": 0}), 422)
    assert snapshot() == before


def test_expense_is_approved_paid_and_never_overdraws(
    as_alice: Api, as_bob: Api, worked: Commons
) -> None:
    as_alice.post("/commons/seed-library/incomes", {**GRANT, "amount": "20"})
    claim = as_bob.post(
        "/commons/seed-library/expenses",
        {"amount": "30", "currency": "EUR", "description": "Server, one year"},
    )
    assert claim.status_code == 201, claim.content
    big = claim.json()
    assert (big["status"], big["claimant"], big["amount"]) == ("pending", "bob", "30.00")
    before = snapshot()
    assert_problem(as_alice.post(f"/expenses/{big['id']}/approve"), 409)
    assert snapshot() == before
    assert as_bob.get(f"/expenses/{big['id']}").json()["status"] == "pending"

    small = as_bob.post(
        "/commons/seed-library/expenses",
        {"amount": "12.5", "currency": "EUR", "description": "Domain name"},
    ).json()
    approved = as_alice.post(f"/expenses/{small['id']}/approve")
    assert approved.status_code == 200
    assert approved.json()["decided_by"] == "alice"
    paid = as_alice.post(f"/expenses/{small['id']}/pay").json()
    assert paid["status"] == "paid"
    assert paid["transaction"] is not None
    assert as_bob.get("/commons/seed-library/treasury").json()["balances"] == {"EUR": "7.50"}
    assert_problem(as_alice.post(f"/expenses/{small['id']}/pay"), 409)

    assert_problem(as_alice.post(f"/expenses/{big['id']}/reject", {"reason": "  "}), 422)
    rejected = as_alice.post(f"/expenses/{big['id']}/reject", {"reason": "Too dear"}).json()
    assert (rejected["status"], rejected["reason"]) == ("rejected", "Too dear")
    listed = as_bob.get("/commons/seed-library/expenses").json()["items"]
    assert [e["status"] for e in listed] == ["paid", "rejected"]


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "12,50"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "99999999999999999"}, "amount"),
        ({"currency": "XXX"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"kind": "bribe"}, "kind"),
        ({"kind": "upstream"}, "kind"),
        ({"memo": "x" * 501}, "memo"),
        ({"received_at": "2999-01-01T00:00:00Z"}, "received_at"),
        ({"received_at": "2024-01-01T00:00:00"}, "received_at"),
    ],
)
def test_bad_income_is_refused_and_nothing_written(
    as_alice: Api, worked: Commons, change: dict[str, Any], field: str
) -> None:
    before = snapshot()
    assert_problem(as_alice.post("/commons/seed-library/incomes", {**GRANT, **change}), 422, field)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"amount": "1.5", "currency": "JPY"}, "amount"),
        ({"description": " "}, "description"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
    ],
)
def test_bad_expense_is_refused_and_nothing_written(
    as_bob: Api, worked: Commons, change: dict[str, Any], field: str
) -> None:
    good = {"amount": "3", "currency": "EUR", "description": "Stamps"}
    before = snapshot()
    assert_problem(as_bob.post("/commons/seed-library/expenses", {**good, **change}), 422, field)
    assert snapshot() == before


def test_equation_is_versioned_and_bad_ones_are_refused(
    as_alice: Api, anon: Api, worked: Commons
) -> None:
    shown = anon.get("/commons/seed-library/value-equation").json()
    assert (shown["version"], shown["history"]) == (0, [])
    before = snapshot()

    evil = json.loads(json.dumps(EQUATION))
    evil["buckets"][1]["rules"][0]["value"] = "__import__('os')"
    body = assert_problem(
        put(as_alice, "/commons/seed-library/value-equation", evil),
        422,
        "buckets[1].rules[0].value",
    )
    assert "__import__" in " ".join(body["errors"]["buckets[1].rules[0].value"])

    short = json.loads(json.dumps(EQUATION))
    short["buckets"][1]["percent"] = "50"
    assert_problem(put(as_alice, "/commons/seed-library/value-equation", short), 422, "buckets")
    over = json.loads(json.dumps(EQUATION))
    over["buckets"][0]["percent"] = "120"
    assert_problem(
        put(as_alice, "/commons/seed-library/value-equation", over), 422, "buckets[0].percent"
    )
    nobody = json.loads(json.dumps(EQUATION))
    nobody["buckets"][0]["agent"] = "nobody"
    assert_problem(
        put(as_alice, "/commons/seed-library/value-equation", nobody), 422, "buckets[0].agent"
    )
    assert_problem(put(as_alice, "/commons/seed-library/value-equation", {"x": 1}), 422)
    assert snapshot() == before

    adopted = put(as_alice, "/commons/seed-library/value-equation", EQUATION)
    assert adopted.status_code == 200, adopted.content
    body = adopted.json()
    assert body["version"] == 1
    assert body["definition"]["rates"] == {"hour": "30"}
    assert [(h["version"], h["created_by"]) for h in body["history"]] == [(1, "alice")]
    assert anon.get("/commons/seed-library/value-equation").json()["version"] == 1


def test_preview_shows_gains_and_losses_per_person(
    as_alice: Api, anon: Api, worked: Commons
) -> None:
    income = as_alice.post("/commons/seed-library/incomes", GRANT).json()
    as_alice.post("/commons/seed-library/distributions", {"income": income["id"]})
    response = anon.post(
        "/commons/seed-library/value-equation/preview", {"definition": EQUATION, "last": 3}
    )
    assert response.status_code == 200, response.content
    [eur] = response.json()["currencies"]
    rows = {r["recipient"]: r for r in eur["rows"]}
    # Now 20 % to alice's fund: bob and dave lose, alice gains; actual + change = proposed.
    assert rows["alice"]["actual"] == "0.00"
    assert rows["alice"]["proposed"] == "20.00"
    for row in rows.values():
        assert Decimal(row["actual"]) + Decimal(row["change"]) == Decimal(row["proposed"])
    assert Decimal(rows["bob"]["change"]) < 0
    evil = json.loads(json.dumps(EQUATION))
    evil["buckets"][1]["rules"][0]["value"] = "quantity ** 2"
    assert_problem(
        anon.post("/commons/seed-library/value-equation/preview", {"definition": evil}),
        422,
        "buckets[1].rules[0].value",
    )


def test_adding_a_treasurer(as_alice: Api, bob: Agent, worked: Commons) -> None:
    response = as_alice.post("/commons/seed-library/treasurers", {"username": "bob"})
    assert response.status_code == 201, response.content
    assert response.json()["treasurers"] == ["bob"]
    assert_problem(as_alice.post("/commons/seed-library/treasurers", {"username": "bob"}), 409)
    assert_problem(
        as_alice.post("/commons/seed-library/treasurers", {"username": "nobody"}), 422, "username"
    )
    # Now bob keeps the treasury too.
    income = api_for(bob).post("/commons/seed-library/incomes", GRANT)
    assert income.status_code == 201


# --- who may write what ----------------------------------------------------------------------

ROLES = ["anonymous", "contributor", "maintainer", "treasurer", "other_maintainer"]
TREASURERS = {
    "anonymous": 401,
    "contributor": 403,
    "maintainer": 200,
    "treasurer": 200,
    "other_maintainer": 403,
}
MAINTAINERS = {**TREASURERS, "treasurer": 403}
ANYONE = {role: (401 if role == "anonymous" else 201) for role in ROLES}


def created(expected: dict[str, int]) -> dict[str, int]:
    return {role: 201 if status == 200 else status for role, status in expected.items()}


@pytest.fixture
def world(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    dave: Agent,
    make_person: Callable[..., Agent],
    worked: Commons,
    other_commons: Commons,
) -> dict[str, Any]:
    erin = make_person("erin")
    ledger_services.treasurer_add(actor=alice, commons=worked, agent=erin)
    income = ledger_services.income_record(
        actor=alice, commons=worked, kind="grant", amount="100", currency="EUR"
    )
    # Money for the approved expense below, so the whole grant stays free to distribute.
    ledger_services.income_record(
        actor=alice, commons=worked, kind="donation", amount="5", currency="EUR"
    )

    def claim() -> Expense:
        return ledger_services.expense_submit(
            actor=bob, commons=worked, amount="5", currency="EUR", description="Stamps"
        )

    approved = ledger_services.expense_approve(actor=alice, expense=claim())
    return {
        "by_role": {
            "anonymous": None,
            "contributor": bob,
            "maintainer": alice,
            "treasurer": erin,
            "other_maintainer": carol,
        },
        "income": income,
        "pending": claim(),
        "approved": approved,
    }


CASES: dict[str, tuple[Callable[[Api, dict[str, Any]], Any], dict[str, int]]] = {
    "add treasurer": (
        lambda api, w: api.post("/commons/seed-library/treasurers", {"username": "dave"}),
        created(MAINTAINERS),
    ),
    "record income": (
        lambda api, w: api.post("/commons/seed-library/incomes", GRANT),
        created(TREASURERS),
    ),
    "submit expense": (
        lambda api, w: api.post(
            "/commons/seed-library/expenses",
            {"amount": "1", "currency": "EUR", "description": "Ink"},
        ),
        ANYONE,
    ),
    "approve expense": (
        lambda api, w: api.post(f"/expenses/{w['pending'].pk}/approve"),
        TREASURERS,
    ),
    "reject expense": (
        lambda api, w: api.post(f"/expenses/{w['pending'].pk}/reject", {"reason": "No receipt"}),
        TREASURERS,
    ),
    "pay expense": (
        lambda api, w: api.post(f"/expenses/{w['approved'].pk}/pay"),
        TREASURERS,
    ),
    "adopt equation": (
        lambda api, w: put(api, "/commons/seed-library/value-equation", EQUATION),
        MAINTAINERS,
    ),
    "dry-run distribution": (
        lambda api, w: api.post(
            "/commons/seed-library/distributions", {"income": w["income"].pk, "dry_run": True}
        ),
        TREASURERS,
    ),
    "distribute": (
        lambda api, w: api.post("/commons/seed-library/distributions", {"income": w["income"].pk}),
        created(TREASURERS),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(CASES))
def test_ledger_write_matrix(world: dict[str, Any], operation: str, role: str) -> None:
    call, expected = CASES[operation]
    before = snapshot()
    response = call(api_for(world["by_role"][role]), world)
    assert response.status_code == expected[role], response.content
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert snapshot()[:-1] == before[:-1]  # (a new token is not a ledger change)


def test_ledger_reads_are_public(world: dict[str, Any]) -> None:
    anon = Api()
    for path in [
        "/commons/seed-library/treasury",
        "/commons/seed-library/incomes",
        f"/incomes/{world['income'].pk}",
        "/commons/seed-library/expenses",
        f"/expenses/{world['pending'].pk}",
        "/commons/seed-library/value-equation",
        "/commons/seed-library/distributions",
        "/agents/bob/wallet",
        "/commons/seed-library/ledger.csv",
        "/commons/seed-library/valueflows",
    ]:
        assert anon.get(path).status_code == 200, path
    for path in [
        "/commons/nowhere/treasury",
        "/incomes/999999",
        "/expenses/999999",
        "/distributions/999999",
        "/commons/nowhere/ledger.csv",
        "/commons/nowhere/valueflows",
    ]:
        assert_problem(anon.get(path), 404)


# --- exports ---------------------------------------------------------------------------------


def _distributed(as_alice: Api, commons: Commons) -> None:
    income = as_alice.post(f"/commons/{commons.slug}/incomes", GRANT).json()
    response = as_alice.post(f"/commons/{commons.slug}/distributions", {"income": income["id"]})
    assert response.status_code == 201


def test_ledger_csv_has_every_posting_and_balances(
    as_alice: Api, as_bob: Api, anon: Api, worked: Commons
) -> None:
    _distributed(as_alice, worked)
    expense = as_bob.post(
        "/commons/seed-library/expenses",
        {"amount": "2.25", "currency": "EUR", "description": "Envelopes"},
    ).json()
    as_alice.post(f"/expenses/{expense['id']}/approve")
    as_alice.post(f"/expenses/{expense['id']}/pay")

    response = anon.get("/commons/seed-library/ledger.csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == [
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
    assert len(rows) == Posting.objects.filter(transaction__commons=worked).count()
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        sums[row["transaction"]] += Decimal(row["amount"])
    assert set(sums.values()) == {Decimal(0)}
    assert Counter(r["kind"] for r in rows) == {"income": 2, "distribution": 3, "expense": 2}
    bob = next(r for r in rows if r["holder"] == "bob" and r["kind"] == "distribution")
    assert (bob["amount"], bob["currency"], bob["bucket"]) == ("67.50", "EUR", "contributors")
    assert "12 hour work" in bob["explanation"]


def test_csv_cells_never_start_a_formula(
    as_alice: Api, alice: Agent, anon: Api, worked: Commons
) -> None:
    formula = json.loads(json.dumps(EQUATION))
    formula["buckets"][0]["name"] = "=HYPERLINK(1)"
    assert put(as_alice, "/commons/seed-library/value-equation", formula).status_code == 200
    _distributed(as_alice, worked)
    text = b"".join(anon.get("/commons/seed-library/ledger.csv").streaming_content).decode()
    buckets = {r["bucket"] for r in csv.DictReader(io.StringIO(text))}
    assert "'=HYPERLINK(1)" in buckets
    assert "=HYPERLINK(1)" not in buckets


def test_valueflows_export_is_json_ld_with_every_contribution_once(
    as_alice: Api, bob: Agent, alice: Agent, anon: Api, worked: Commons
) -> None:
    pending = commons_services.contribution_submit(
        actor=bob, commons=worked, action="produce", quantity="3", description="Not yet accepted"
    )
    _distributed(as_alice, worked)
    response = anon.get("/commons/seed-library/valueflows")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    doc = json.loads(b"".join(response.streaming_content))
    assert doc["@context"]["vf"] == "https://w3id.org/valueflows/ont/vf#"
    assert "om2" in doc["@context"]
    graph = doc["@graph"]
    ids = [node["@id"] for node in graph]
    assert len(ids) == len(set(ids))
    resource = graph[0]
    assert resource["@type"] == "vf:EconomicResource"
    assert resource["@id"].endswith("/api/v1/commons/seed-library")
    events = [n for n in graph if n["@type"] == "vf:EconomicEvent"]
    work = [n for n in events if n["vf:action"] == "vf:work"]
    accepted_ids = set(worked.contributions.filter(status="accepted").values_list("pk", flat=True))
    assert sorted(n["@id"].rsplit("/", 1)[1] for n in work) == sorted(map(str, accepted_ids))
    assert not any(n["@id"].endswith(f"/contributions/{pending.pk}") for n in graph)
    bob_iri = next(n["@id"] for n in graph if n.get("vf:name") == "bob")
    assert all(n["vf:effortQuantity"]["om2:hasUnit"] == "om2:hour" for n in work)
    assert {n["vf:provider"] for n in work} == {bob_iri, bob_iri.replace("/bob", "/dave")}
    transfers = [n for n in events if n["vf:action"] == "vf:transfer"]
    income = next(n for n in transfers if "/incomes/" in n["@id"])
    assert income["vf:resourceQuantity"] == {
        "om2:hasNumericalValue": "100.00",
        "om2:hasUnit": "cur:EUR",
    }
    assert income["vf:provider"] == {"@type": "vf:Agent", "vf:name": "City of Riverside"}
    payout = next(n for n in transfers if n.get("vf:receiver") == bob_iri)
    assert payout["vf:resourceQuantity"]["om2:hasNumericalValue"] == "67.50"
    assert "12 hour work" in payout["vf:note"]
    people = {n["vf:name"] for n in graph if n["@type"] == "vf:Person"}
    assert {"alice", "bob", "dave"} <= people
