"""The licence and reciprocity engine through the JSON API: profiles, a commons' licence
profile, usage requests and their public log, organisations' legal facts and who verified
them, licence grants bought with a licence fee; bad input and who may write what."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core import clock
from communs.core.models import Event
from communs.domain import licences
from communs.ledger import services as ledger_services
from communs.ledger.models import Income, Posting, Transaction
from communs.licensing import services
from communs.licensing.models import Evaluation, Evidence, Grant, ProfileVersion, Verification
from tests.api.client import Api, api_for

pytestmark = pytest.mark.django_db

COPYFAIR = {"threshold": 2, "window_days": 90, "fee_kind": "flat", "fee": "120", "currency": "eur"}
FEE = {"grantee": "acme", "amount": "120.00", "currency": "EUR"}
WORKER_OWNED = {
    "legal_form": "SCOP",
    "worker_owned": True,
    "gains_to_workers": True,
    "sse": True,
    "employs_workers": False,
    "statutes_url": "https://example.org/statutes.pdf",
}
FACTS = {name: WORKER_OWNED[name] for name in licences.EVIDENCE_FACTS}
NOTHING = {"worker_owned": False, "gains_to_workers": False, "sse": False, "employs_workers": False}
COMMERCIAL = {"commercial": True, "distributes": False}


def put(api: Api, path: str, body: Any) -> Any:
    return api.client.put(
        f"/api/v1{path}", body, content_type="application/json", headers=api.headers
    )


def snapshot() -> tuple[int, ...]:
    return (
        ProfileVersion.objects.count(),
        Evidence.objects.count(),
        Verification.objects.count(),
        Evaluation.objects.count(),
        Grant.objects.count(),
        Income.objects.count(),
        Transaction.objects.count(),
        Posting.objects.count(),
        Event.objects.count(),
    )


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


def organisation(admin: Agent, name: str, kind: str, *members: Agent) -> Agent:
    org = accounts.organisation_create(actor=admin, name=name, display_name=name, kind=kind)
    for person in members:
        accounts.membership_add(actor=admin, organisation=org, person=person)
    return org


def contribute(commons: Commons, maintainer: Agent, person: Agent, org: Agent | None) -> None:
    row = commons_services.contribution_submit(
        actor=person,
        commons=commons,
        action="work",
        quantity="2",
        unit="hour",
        description="Sorted seeds",
        organisation=org,
    )
    commons_services.contribution_accept(actor=maintainer, contribution=row)


def kinds(anon: Api, slug: str) -> list[str]:
    items = anon.get("/events", commons=slug, limit=200).json()["items"]
    return [e["kind"] for e in items]


@pytest.fixture
def dave(make_person: Callable[..., Agent]) -> Agent:
    return make_person("dave")


@pytest.fixture
def acme(bob: Agent) -> Agent:
    """A for-profit firm; bob is its admin."""
    return organisation(bob, "acme", "for_profit")


@pytest.fixture
def copyfair(alice: Agent, seed_library: Commons) -> Commons:
    """The seed library under CopyFair: 2 accepted contributions in 90 days make a contributor;
    others pay EUR 120 a year for commercial use."""
    services.profile_adopt(
        actor=alice, commons=seed_library, profile="CopyFair", parameters=COPYFAIR
    )
    return seed_library


# --- profiles --------------------------------------------------------------------------------


def test_profiles_are_public_data_with_their_rules_and_obligations_in_words(anon: Api) -> None:
    response = anon.get("/licence-profiles")
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    by_key = {p["key"]: p for p in body["items"]}
    assert list(by_key) == list(licences.PROFILES)
    ppl = by_key["PPL-1.0"]
    assert [r["id"] for r in ppl["rules"]] == [r.id for r in licences.PPL.rules]
    wage = next(r for r in ppl["rules"] if r["id"] == "ppl.wage-labour-firm")
    assert (wage["clause"], wage["outcome"]) == ("PPL-1.0 §4(c)(iii)", "SEPARATE_LICENSE_REQUIRED")
    assert wage["when"] == {"use": ["commercial"], "asker": ["for_profit"]}
    assert ppl["sells_grants"] is True
    assert by_key["MIT"]["sells_grants"] is False
    for profile in body["items"]:
        for obligation in profile["obligations_on_distribution"]:
            assert obligation["text"] == licences.OBLIGATIONS[obligation["name"]]
    assert [o["name"] for o in by_key["AGPL-3.0-or-later"]["obligations_on_distribution"]][-1] == (
        "network_source"
    )
    assert by_key["CopyFair"]["parametric"] is True
    assert by_key["CopyFair"]["parameters"] == licences.COPYFAIR_DEFAULTS
    assert by_key["MIT"]["parameters"] == {}


def test_a_commons_starts_under_its_licence_field_and_adopts_versions(
    as_alice: Api, anon: Api, seed_library: Commons
) -> None:
    start = anon.get("/commons/seed-library/licence-profile").json()
    assert (start["version"], start["profile"], start["licence"]) == (
        0,
        "CC-BY-SA-4.0",
        "CC-BY-SA-4.0",
    )
    assert start["history"] == []
    assert start["rules"][0]["outcome"] == "PERMITTED"

    adopted = put(
        as_alice,
        "/commons/seed-library/licence-profile",
        {"profile": "CopyFair", "parameters": {"fee": "80", "threshold": 5}},
    )
    assert adopted.status_code == 200, adopted.content
    body = adopted.json()
    assert (body["version"], body["profile"], body["licence"]) == (1, "CopyFair", "CopyFair")
    # Missing parameters take their defaults; the fee is normalised to the currency's digits.
    assert body["parameters"] == {**licences.COPYFAIR_DEFAULTS, "fee": "80.00", "threshold": 5}
    assert [r["id"] for r in body["rules"]] == [r.id for r in licences.COPYFAIR.rules]
    assert [(h["version"], h["profile"], h["adopted_by"]) for h in body["history"]] == [
        (1, "CopyFair", "alice")
    ]
    assert anon.get("/commons/seed-library").json()["licence"] == "CopyFair"

    again = put(as_alice, "/commons/seed-library/licence-profile", {"profile": "PPL-1.0"}).json()
    assert (again["version"], again["parameters"]) == (2, {})
    assert [h["version"] for h in again["history"]] == [2, 1]
    assert anon.get("/commons/seed-library/licence-profile").json() == again
    assert kinds(anon, "seed-library").count("licence.profile_adopted") == 2


def test_a_licence_the_engine_does_not_know_shows_no_profile_and_cannot_be_asked_about(
    as_carol: Api, anon: Api, other_commons: Commons
) -> None:
    shown = anon.get("/commons/other/licence-profile").json()
    assert (shown["profile"], shown["rules"], shown["sells_grants"]) == (None, [], False)
    before = snapshot()
    body = assert_problem(as_carol.post("/commons/other/usage-requests", COMMERCIAL), 409)
    assert "licence profile" in body["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profile": "GPL"}, "profile"),
        ({"profile": ""}, "profile"),
        ({"profile": "CopyFair\x00"}, "profile"),
        ({"profile": "MIT", "parameters": {"fee": "10"}}, "parameters"),
        ({"profile": "CopyFair", "parameters": {"threshold": 0}}, "parameters.threshold"),
        ({"profile": "CopyFair", "parameters": {"threshold": "3"}}, "parameters.threshold"),
        ({"profile": "CopyFair", "parameters": {"threshold": True}}, "parameters.threshold"),
        ({"profile": "CopyFair", "parameters": {"window_days": 4000}}, "parameters.window_days"),
        ({"profile": "CopyFair", "parameters": {"fee_kind": "weekly"}}, "parameters.fee_kind"),
        ({"profile": "CopyFair", "parameters": {"currency": "XXX"}}, "parameters.currency"),
        ({"profile": "CopyFair", "parameters": {"fee": "-5"}}, "parameters.fee"),
        (
            {"profile": "CopyFair", "parameters": {"fee_kind": "percent", "fee": "150"}},
            "parameters.fee",
        ),
        ({"profile": "CopyFair", "parameters": {"royalty": 1}}, "parameters"),
        ({"profile": "CopyFair", "parameters": [1, 2]}, "parameters"),
        ({"profile": "CopyFair", "parameter": {"threshold": 1}}, "parameter"),
        ({"parameters": {}}, "profile"),
    ],
)
def test_bad_profile_choices_are_refused_and_nothing_written(
    as_alice: Api, seed_library: Commons, body: dict[str, Any], field: str
) -> None:
    before = snapshot()
    assert_problem(put(as_alice, "/commons/seed-library/licence-profile", body), 422, field)
    assert snapshot() == before


# --- usage requests --------------------------------------------------------------------------


def test_copyfair_contributors_use_freely_and_others_owe_the_fee(
    as_bob: Api, anon: Api, acme: Agent, alice: Agent, bob: Agent, copyfair: Commons
) -> None:
    own = as_bob.post(
        "/commons/seed-library/usage-requests", {"commercial": False, "distributes": True}
    )
    assert own.status_code == 201, own.content
    mine = own.json()
    assert (mine["outcome"], mine["rule"], mine["clause"]) == (
        "PERMITTED",
        "copyfair.non-commercial",
        "CopyFair §1",
    )
    assert (mine["asker"], mine["requested_by"], mine["fee"]) == ("bob", "bob", None)
    assert [o["name"] for o in mine["obligations"]] == list(licences.COPYFAIR.on_distribution)
    assert mine["obligations"][0]["text"] == licences.OBLIGATIONS["attribution"]
    assert (mine["profile"], mine["profile_version"]) == ("CopyFair", 1)

    firm = as_bob.post(
        "/commons/seed-library/usage-requests", {"organisation": "acme", **COMMERCIAL}
    ).json()
    assert (firm["outcome"], firm["rule"]) == ("RECIPROCITY_REQUIRED", "copyfair.reciprocity")
    assert (firm["asker"], firm["requested_by"]) == ("acme", "bob")
    assert firm["fee"] == {"amount": "120.00", "currency": "EUR", "basis": "flat, per year"}
    assert firm["obligations"] == []  # nothing is passed on: no distribution obligations
    assert firm["inputs"]["asker"] == "for_profit"
    assert (firm["inputs"]["accepted_contributions"], firm["inputs"]["threshold"]) == (0, 2)

    # One accepted contribution on acme's behalf is under the threshold of 2; two reach it.
    contribute(copyfair, alice, bob, acme)
    one = as_bob.post(
        "/commons/seed-library/usage-requests", {"organisation": "acme", **COMMERCIAL}
    )
    assert one.json()["outcome"] == "RECIPROCITY_REQUIRED"
    contribute(copyfair, alice, bob, acme)
    two = as_bob.post(
        "/commons/seed-library/usage-requests", {"organisation": "acme", **COMMERCIAL}
    )
    contributor = two.json()
    assert (contributor["outcome"], contributor["rule"]) == ("PERMITTED", "copyfair.contributor")
    assert contributor["inputs"]["contributed"] == "yes"
    assert contributor["inputs"]["accepted_contributions"] == 2

    # Every answer is public: newest first, in keyset pages, and one by one.
    first = anon.get("/commons/seed-library/usage-requests", limit=2).json()
    assert [e["id"] for e in first["items"]] == [contributor["id"], one.json()["id"]]
    rest = anon.get("/commons/seed-library/usage-requests", cursor=first["next"]).json()
    assert [e["id"] for e in rest["items"]] == [firm["id"], mine["id"]]
    assert rest["next"] is None
    assert anon.get(f"/usage-requests/{firm['id']}").json() == firm
    assert kinds(anon, "seed-library").count("licence.evaluated") == 4


def test_a_percent_fee_is_quoted_from_declared_revenue(
    as_alice: Api, as_bob: Api, acme: Agent, seed_library: Commons
) -> None:
    percent = {"profile": "CopyFair", "parameters": {"fee_kind": "percent", "fee": "2.5"}}
    assert put(as_alice, "/commons/seed-library/licence-profile", percent).status_code == 200
    ask = {"organisation": "acme", **COMMERCIAL}

    before = snapshot()
    body = assert_problem(
        as_bob.post("/commons/seed-library/usage-requests", ask), 422, "declared_revenue"
    )
    assert "2.5 %" in body["detail"]
    assert snapshot() == before

    quoted = as_bob.post(
        "/commons/seed-library/usage-requests", {**ask, "declared_revenue": "40000.00"}
    )
    assert quoted.status_code == 201, quoted.content
    result = quoted.json()
    assert result["fee"]["amount"] == "1000.00"  # 2.5 % of 40 000
    assert result["fee"]["currency"] == "EUR"
    assert "2.5 %" in result["fee"]["basis"]
    assert result["inputs"]["declared_revenue"] == "40000.00"
    whole = as_bob.post("/commons/seed-library/usage-requests", {**ask, "declared_revenue": 200})
    assert whole.json()["fee"]["amount"] == "5.00"


def test_ppl_as_written_needs_verified_worker_ownership_and_ignores_contributions(
    as_alice: Api,
    as_carol: Api,
    anon: Api,
    alice: Agent,
    bob: Agent,
    carol: Agent,
    dave: Agent,
    acme: Agent,
    seed_library: Commons,
    other_commons: Commons,
) -> None:
    for api, slug in ((as_alice, "seed-library"), (as_carol, "other")):
        assert (
            put(api, f"/commons/{slug}/licence-profile", {"profile": "PPL-1.0"}).status_code == 200
        )
    organisation(dave, "riverside", "worker_coop")
    as_dave = api_for(dave)
    assert anon.get("/organisations/riverside/evidence").json() is None
    declared = put(as_dave, "/organisations/riverside/evidence", WORKER_OWNED)
    assert declared.status_code == 200, declared.content
    evidence = declared.json()
    assert (evidence["status"], evidence["verified_for"], evidence["verifications"]) == (
        "declared",
        [],
        [],
    )
    assert (evidence["legal_form"], evidence["declared_by"]) == ("SCOP", "dave")

    def ask(slug: str) -> dict[str, Any]:
        response = as_dave.post(
            f"/commons/{slug}/usage-requests",
            {"organisation": "riverside", "commercial": True, "distributes": True},
        )
        assert response.status_code == 201, response.content
        return dict(response.json())

    unverified = ask("seed-library")
    assert (unverified["outcome"], unverified["rule"]) == ("REVIEW", "ppl.worker-owned-unverified")
    assert unverified["obligations"] == []  # not allowed (yet): no obligations listed
    assert unverified["inputs"]["worker_owned"] == "declared"

    checked = as_alice.post(
        "/organisations/riverside/evidence/verifications", {"commons": "seed-library"}
    )
    assert checked.status_code == 201, checked.content
    assert (checked.json()["commons"], checked.json()["association"]) == ("seed-library", None)
    permitted = ask("seed-library")
    assert (permitted["outcome"], permitted["clause"]) == ("PERMITTED", "PPL-1.0 §4(c)(i)-(ii)")
    assert [o["name"] for o in permitted["obligations"]] == list(licences.PPL.on_distribution)
    # A maintainer's check counts for their own commons only.
    assert ask("other")["outcome"] == "REVIEW"

    organisation(carol, "fba", "nonprofit")
    by_association = as_carol.post(
        "/organisations/riverside/evidence/verifications", {"association": "fba"}
    )
    assert by_association.status_code == 201, by_association.content
    # Anyone can found a non-profit: its check counts where it keeps the treasury, not before.
    assert ask("other")["outcome"] == "REVIEW"
    ledger_services.treasurer_add(
        actor=carol, commons=other_commons, agent=Agent.objects.get(name="fba")
    )
    assert ask("other")["outcome"] == "PERMITTED"
    shown = anon.get("/organisations/riverside/evidence").json()
    assert (shown["status"], shown["verified_for"]) == ("verified", ["other", "seed-library"])
    assert [(v["verified_by"], v["commons"], v["association"]) for v in shown["verifications"]] == [
        ("alice", "seed-library", None),
        ("carol", None, "fba"),
    ]

    # A new declaration replaces the old one and must be verified again.
    redeclared = put(as_dave, "/organisations/riverside/evidence", WORKER_OWNED).json()
    assert (redeclared["status"], redeclared["verifications"]) == ("declared", [])
    assert anon.get("/organisations/riverside/evidence").json()["id"] == redeclared["id"]
    assert ask("seed-library")["outcome"] == "REVIEW"

    # A wage-labour firm gets no commercial use under PPL-1.0, however much it contributes.
    contribute(seed_library, alice, bob, acme)
    firm = api_for(bob).post(
        "/commons/seed-library/usage-requests", {"organisation": "acme", **COMMERCIAL}
    )
    assert (firm.json()["outcome"], firm.json()["rule"]) == (
        "SEPARATE_LICENSE_REQUIRED",
        "ppl.wage-labour-firm",
    )
    assert firm.json()["inputs"]["contributed"] == "yes"


GOOD_ASK = {"organisation": "acme", "commercial": True, "distributes": False}


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"commercial": "yes"}, 422, "commercial"),
        ({"commercial": 1}, 422, "commercial"),
        ({"commercial": None}, 422, "commercial"),
        ({"distributes": "false"}, 422, "distributes"),
        ({"declared_revenue": "-5"}, 422, "declared_revenue"),
        ({"declared_revenue": -5}, 422, "declared_revenue"),
        ({"declared_revenue": "abc"}, 422, "declared_revenue"),
        ({"declared_revenue": "."}, 422, "declared_revenue"),
        ({"declared_revenue": "1.234"}, 422, "declared_revenue"),
        ({"declared_revenue": "12,50"}, 422, "declared_revenue"),
        ({"declared_revenue": "1e6"}, 422, "declared_revenue"),
        ({"declared_revenue": "NaN"}, 422, "declared_revenue"),
        ({"declared_revenue": 1250.5}, 422, "declared_revenue"),
        ({"declared_revenue": "99999999999999999"}, 422, "declared_revenue"),
        ({"organisation": "nobody"}, 422, "organisation"),
        ({"organisation": "carol"}, 422, "organisation"),  # a person, not an organisation
        ({"organisation": "bad\x00name"}, 422, "organisation"),
        ({"organisation": "riverside"}, 403, None),  # bob does not belong to it
        ({"organization": "acme"}, 422, "organization"),  # unknown fields are refused
    ],
)
def test_bad_usage_requests_are_refused_and_nothing_written(
    as_bob: Api,
    acme: Agent,
    carol: Agent,
    dave: Agent,
    copyfair: Commons,
    change: dict[str, Any],
    status: int,
    field: str | None,
    no_nul_to_database: Callable[[], Any],
) -> None:
    organisation(dave, "riverside", "worker_coop")
    before = snapshot()
    with no_nul_to_database():
        response = as_bob.post("/commons/seed-library/usage-requests", {**GOOD_ASK, **change})
    assert_problem(response, status, field)
    assert snapshot() == before


def test_usage_requests_of_missing_things_are_404(
    as_bob: Api, anon: Api, copyfair: Commons
) -> None:
    before = snapshot()
    assert_problem(as_bob.post("/commons/nowhere/usage-requests", COMMERCIAL), 404)
    assert_problem(anon.get("/commons/nowhere/usage-requests"), 404)
    assert_problem(anon.get("/usage-requests/999999"), 404)
    assert_problem(anon.get("/usage-requests/0"), 422)
    assert_problem(anon.get("/commons/seed-library/usage-requests", cursor="abc"), 422, "cursor")
    assert_problem(anon.get("/commons/seed-library/usage-requests", limit=0), 422, "limit")
    assert snapshot() == before


# --- organisations' legal facts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "change", "field"),
    [
        ("for_profit", {"gains_to_workers": True}, "gains_to_workers"),
        ("worker_coop", {}, "worker_owned"),  # a worker cooperative that is not worker-owned
        ("public_body", {"worker_owned": True}, "worker_owned"),
        ("for_profit", {"employs_workers": True}, "employs_workers"),
        ("worker_coop", {"worker_owned": "yes"}, "worker_owned"),
        ("worker_coop", {"worker_owned": 1}, "worker_owned"),
        ("for_profit", {"statutes_url": "javascript:alert(1)"}, "statutes_url"),
        ("for_profit", {"statutes_url": "https://example.org/\x00"}, "statutes_url"),
        ("for_profit", {"legal_form": "SARL\x00"}, "legal_form"),
        ("for_profit", {"legal_form": "x" * 201}, "legal_form"),
        ("for_profit", {"verified": True}, "verified"),
    ],
)
def test_contradictory_or_bad_evidence_is_refused_and_nothing_written(
    as_bob: Api,
    bob: Agent,
    kind: str,
    change: dict[str, Any],
    field: str,
    no_nul_to_database: Callable[[], Any],
) -> None:
    organisation(bob, "firm", kind)
    before = snapshot()
    with no_nul_to_database():
        response = put(as_bob, "/organisations/firm/evidence", {**NOTHING, **change})
    assert_problem(response, 422, field)
    assert snapshot() == before


def test_evidence_needs_every_fact_answered(as_bob: Api, acme: Agent) -> None:
    body = assert_problem(put(as_bob, "/organisations/acme/evidence", {"worker_owned": False}), 422)
    assert {"gains_to_workers", "sse", "employs_workers"} <= set(body["errors"])
    assert Evidence.objects.count() == 0


def test_verifying_evidence_refuses_what_cannot_be_verified(
    as_alice: Api,
    as_carol: Api,
    alice: Agent,
    bob: Agent,
    dave: Agent,
    seed_library: Commons,
    other_commons: Commons,
) -> None:
    riverside = organisation(dave, "riverside", "worker_coop")
    organisation(alice, "alice-coop", "worker_coop")
    organisation(bob, "not-an-association", "for_profit", alice)
    path = "/organisations/riverside/evidence/verifications"
    before = snapshot()
    # Nothing declared yet.
    assert_problem(as_alice.post(path, {"commons": "seed-library"}), 409)
    assert snapshot() == before
    services.evidence_declare(actor=dave, organisation=riverside, facts=FACTS)
    services.evidence_declare(
        actor=alice, organisation=Agent.objects.get(name="alice-coop"), facts=FACTS
    )
    before = snapshot()
    assert_problem(as_alice.post(path, {}), 422, "commons")
    assert_problem(
        as_alice.post(path, {"commons": "seed-library", "association": "not-an-association"}),
        422,
        "commons",
    )
    assert_problem(as_alice.post(path, {"commons": "nowhere"}), 422, "commons")
    assert_problem(as_alice.post(path, {"association": "nowhere"}), 422, "association")
    assert_problem(as_alice.post(path, {"commons": "other"}), 403)  # carol's commons
    # alice is no admin of a for-profit "association", and it would not be one anyway.
    assert_problem(as_alice.post(path, {"association": "not-an-association"}), 403)
    assert_problem(as_alice.post(path, {"commons": "seed-library", "extra": 1}), 422, "extra")
    # Nobody verifies their own declaration, even as a maintainer.
    assert_problem(
        as_alice.post(
            "/organisations/alice-coop/evidence/verifications", {"commons": "seed-library"}
        ),
        403,
    )
    assert_problem(
        as_alice.post("/organisations/nowhere/evidence/verifications", {"commons": "seed-library"}),
        404,
    )
    assert snapshot() == before
    assert as_alice.post(path, {"commons": "seed-library"}).status_code == 201
    before = snapshot()
    assert_problem(as_alice.post(path, {"commons": "seed-library"}), 409)  # already verified
    assert snapshot() == before


def test_evidence_of_missing_or_non_organisations_is_404(
    anon: Api, as_bob: Api, bob: Agent
) -> None:
    assert_problem(anon.get("/organisations/nowhere/evidence"), 404)
    assert_problem(anon.get("/organisations/bob/evidence"), 404)  # a person
    before = snapshot()
    assert_problem(put(as_bob, "/organisations/bob/evidence", NOTHING), 404)
    assert snapshot() == before


# --- licence grants --------------------------------------------------------------------------


def test_a_paid_fee_is_a_licence_fee_income_and_a_verifiable_grant(
    as_alice: Api,
    as_bob: Api,
    anon: Api,
    acme: Agent,
    copyfair: Commons,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ask = {"organisation": "acme", **COMMERCIAL}
    assert (
        as_bob.post("/commons/seed-library/usage-requests", ask).json()["fee"]["amount"] == "120.00"
    )

    issued = as_alice.post("/commons/seed-library/licences", {**FEE, "memo": "Invoice 7"})
    assert issued.status_code == 201, issued.content
    grant = issued.json()
    assert (grant["status"], grant["valid"], grant["grantee"]) == ("valid", True, "acme")
    assert (grant["profile"], grant["profile_version"], grant["commons"]) == (
        "CopyFair",
        1,
        "seed-library",
    )
    assert grant["income"]["amount"] == "120.00"
    assert grant["revoked_at"] is None
    window = datetime.fromisoformat(grant["valid_until"]) - datetime.fromisoformat(
        grant["valid_from"]
    )
    assert window == timedelta(days=licences.GRANT_DAYS)

    income = anon.get(f"/incomes/{grant['income']['id']}").json()
    assert (income["kind"], income["payer"], income["memo"]) == ("licence_fee", "acme", "Invoice 7")
    assert anon.get("/commons/seed-library/treasury").json()["balances"] == {"EUR": "120.00"}
    dry = as_alice.post(
        "/commons/seed-library/distributions", {"income": income["id"], "dry_run": True}
    )
    assert dry.status_code == 200, dry.content  # distributable like any other income

    assert anon.get(f"/licences/{grant['id']}").json() == grant
    assert anon.get(f"/licences/{grant['id'].upper()}").json()["id"] == grant["id"]
    listed = anon.get("/commons/seed-library/licences").json()
    assert ([g["id"] for g in listed["items"]], listed["next"]) == ([grant["id"]], None)

    granted = as_bob.post("/commons/seed-library/usage-requests", ask).json()
    assert (granted["outcome"], granted["rule"]) == ("PERMITTED", "copyfair.fee-paid")
    assert granted["inputs"]["grant"] == grant["id"]

    # A year later the grant has expired and the fee is owed again.
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(days=licences.GRANT_DAYS, seconds=1))
    expired = anon.get(f"/licences/{grant['id']}").json()
    assert (expired["status"], expired["valid"]) == ("expired", False)
    assert as_bob.post("/commons/seed-library/usage-requests", ask).json()["outcome"] == (
        "RECIPROCITY_REQUIRED"
    )
    monkeypatch.setattr(clock, "now", lambda: now - timedelta(days=1))
    assert anon.get(f"/licences/{grant['id']}").json()["status"] == "not_yet_valid"
    monkeypatch.undo()

    assert_problem(
        as_alice.post(f"/licences/{grant['id']}/revoke", {"reason": "  "}), 422, "reason"
    )
    revoked = as_alice.post(f"/licences/{grant['id']}/revoke", {"reason": "Payment reversed"})
    assert revoked.status_code == 200, revoked.content
    body = revoked.json()
    assert (body["status"], body["valid"], body["revoke_reason"]) == (
        "revoked",
        False,
        "Payment reversed",
    )
    assert body["revoked_at"] is not None
    assert anon.get(f"/licences/{grant['id']}").json() == body
    assert as_bob.post("/commons/seed-library/usage-requests", ask).json()["outcome"] == (
        "RECIPROCITY_REQUIRED"
    )
    before = snapshot()
    assert_problem(as_alice.post(f"/licences/{grant['id']}/revoke", {"reason": "Twice"}), 409)
    assert snapshot() == before
    assert kinds(anon, "seed-library").count("licence.granted") == 1
    assert kinds(anon, "seed-library").count("licence.revoked") == 1
    assert anon.get("/events/verify").json()["ok"] is True


def test_licences_are_listed_newest_first_in_pages(
    as_alice: Api, anon: Api, acme: Agent, bob: Agent, copyfair: Commons
) -> None:
    ids = [
        as_alice.post("/commons/seed-library/licences", {**FEE, "grantee": g}).json()["id"]
        for g in ("acme", "bob", "acme")
    ]
    first = anon.get("/commons/seed-library/licences", limit=2).json()
    assert [g["id"] for g in first["items"]] == ids[::-1][:2]
    rest = anon.get("/commons/seed-library/licences", limit=2, cursor=first["next"]).json()
    assert ([g["id"] for g in rest["items"]], rest["next"]) == ([ids[0]], None)
    assert_problem(anon.get("/commons/seed-library/licences", cursor="x1"), 422, "cursor")
    assert_problem(anon.get("/commons/seed-library/licences", limit=201), 422, "limit")
    assert_problem(anon.get("/commons/nowhere/licences"), 404)


def test_no_grant_under_a_profile_that_sells_none(
    as_alice: Api, acme: Agent, seed_library: Commons
) -> None:
    before = snapshot()
    body = assert_problem(as_alice.post("/commons/seed-library/licences", FEE), 409)
    assert "CC-BY-SA-4.0" in body["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grantee": "nobody"}, "grantee"),
        ({"grantee": "bad\x00name"}, "grantee"),
        ({"amount": "-120"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": 120.5}, "amount"),
        ({"currency": "XXX"}, "currency"),
        ({"memo": "x" * 501}, "memo"),
        ({"memo": "Invoice\x00"}, "memo"),
        ({"valid_until": "2999-01-01T00:00:00Z"}, "valid_until"),
    ],
)
def test_bad_grants_are_refused_and_nothing_written(
    as_alice: Api,
    acme: Agent,
    copyfair: Commons,
    change: dict[str, Any],
    field: str,
    no_nul_to_database: Callable[[], Any],
) -> None:
    before = snapshot()
    with no_nul_to_database():
        response = as_alice.post("/commons/seed-library/licences", {**FEE, **change})
    assert_problem(response, 422, field)
    assert snapshot() == before


@pytest.mark.parametrize(
    "grant_id", ["not-a-uuid", "12345", str(uuid.UUID(int=0)), "%00", "x" * 300]
)
def test_unknown_or_malformed_licence_ids_are_404(
    as_alice: Api, anon: Api, copyfair: Commons, grant_id: str
) -> None:
    before = snapshot()
    assert_problem(anon.get(f"/licences/{grant_id}"), 404)
    assert_problem(as_alice.post(f"/licences/{grant_id}/revoke", {"reason": "Test"}), 404)
    assert snapshot() == before


# --- who may write what ----------------------------------------------------------------------

ROLES = ["anonymous", "member", "maintainer", "treasurer", "other_maintainer", "org_admin"]


def expect(allowed: dict[str, int]) -> dict[str, int]:
    return {role: 401 if role == "anonymous" else allowed.get(role, 403) for role in ROLES}


@pytest.fixture
def world(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    dave: Agent,
    make_person: Callable[..., Agent],
    copyfair: Commons,
    other_commons: Commons,
) -> dict[str, Any]:
    """alice maintains the seed library (CopyFair) and erin keeps its treasury; dave runs the
    worker cooperative `riverside`, where bob is a plain member, and has declared its facts;
    carol maintains another commons and runs the for-benefit association `fba`."""
    erin = make_person("erin")
    ledger_services.treasurer_add(actor=alice, commons=copyfair, agent=erin)
    riverside = organisation(dave, "riverside", "worker_coop", bob)
    organisation(carol, "fba", "nonprofit")
    services.evidence_declare(actor=dave, organisation=riverside, facts=FACTS)
    grant = services.grant_issue(
        actor=alice, commons=copyfair, grantee=riverside, amount="120", currency="EUR"
    )
    return {
        "by_role": {
            "anonymous": None,
            "member": bob,
            "maintainer": alice,
            "treasurer": erin,
            "other_maintainer": carol,
            "org_admin": dave,
        },
        "grant": grant,
    }


ANYONE = dict.fromkeys(ROLES, 201)
CASES: dict[str, tuple[Callable[[Api, dict[str, Any]], Any], dict[str, int]]] = {
    "adopt a profile": (
        lambda api, w: put(api, "/commons/seed-library/licence-profile", {"profile": "MIT"}),
        expect({"maintainer": 200}),
    ),
    "ask for oneself": (
        lambda api, w: api.post("/commons/seed-library/usage-requests", COMMERCIAL),
        expect(ANYONE),
    ),
    "ask for an organisation": (
        lambda api, w: api.post(
            "/commons/seed-library/usage-requests", {"organisation": "riverside", **COMMERCIAL}
        ),
        expect({"member": 201, "org_admin": 201}),
    ),
    "declare evidence": (
        lambda api, w: put(api, "/organisations/riverside/evidence", WORKER_OWNED),
        expect({"org_admin": 200}),
    ),
    "verify for a commons": (
        lambda api, w: api.post(
            "/organisations/riverside/evidence/verifications", {"commons": "seed-library"}
        ),
        expect({"maintainer": 201}),
    ),
    "verify for an association": (
        lambda api, w: api.post(
            "/organisations/riverside/evidence/verifications", {"association": "fba"}
        ),
        expect({"other_maintainer": 201}),
    ),
    "issue a licence": (
        lambda api, w: api.post("/commons/seed-library/licences", {**FEE, "grantee": "riverside"}),
        expect({"maintainer": 201, "treasurer": 201}),
    ),
    "revoke a licence": (
        lambda api, w: api.post(f"/licences/{w['grant'].pk}/revoke", {"reason": "Refunded"}),
        expect({"maintainer": 200}),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(CASES))
def test_licensing_write_matrix(world: dict[str, Any], operation: str, role: str) -> None:
    call, expected = CASES[operation]
    api = api_for(world["by_role"][role])  # its token is logged before the snapshot
    before = snapshot()
    response = call(api, world)
    assert response.status_code == expected[role], response.content
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert snapshot() == before
    else:
        assert snapshot() != before


def test_licensing_reads_are_public(world: dict[str, Any]) -> None:
    anon = Api()
    services.usage_evaluate(
        actor=world["by_role"]["member"],
        commons=Commons.objects.get(slug="seed-library"),
        commercial=True,
        distributes=True,
    )
    evaluation = Evaluation.objects.get()
    for path in [
        "/licence-profiles",
        "/commons/seed-library/licence-profile",
        "/commons/seed-library/usage-requests",
        f"/usage-requests/{evaluation.pk}",
        "/organisations/riverside/evidence",
        "/commons/seed-library/licences",
        f"/licences/{world['grant'].pk}",
    ]:
        assert anon.get(path).status_code == 200, path


# --- cost of the lists -----------------------------------------------------------------------


def _list_queries(path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = Api().get(path, limit=200)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_lists_cost_the_same_few_queries_for_many_rows(
    alice: Agent, bob: Agent, acme: Agent, make_person: Callable[..., Agent], copyfair: Commons
) -> None:
    numbers = itertools.count()

    def add(n: int) -> None:
        for _ in range(n):
            person = make_person(f"user{next(numbers)}")
            services.usage_evaluate(
                actor=person, commons=copyfair, commercial=True, distributes=True
            )
            services.grant_issue(
                actor=alice, commons=copyfair, grantee=person, amount="120", currency="EUR"
            )

    add(2)
    few = (
        _list_queries("/commons/seed-library/usage-requests"),
        _list_queries("/commons/seed-library/licences"),
    )
    add(10)
    many = (
        _list_queries("/commons/seed-library/usage-requests"),
        _list_queries("/commons/seed-library/licences"),
    )
    assert many == few, f"{few} queries for 2 rows, {many} for 12: N+1"
