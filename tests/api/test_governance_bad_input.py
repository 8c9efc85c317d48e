"""Governance input the API refuses: each answer is a problem document with a 4xx status and
nothing is written — no proposal, vote, comment, working group, rulebook version or event."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.commons.selectors import rulebook_current
from communs.core import clock
from communs.domain.governance import Method
from communs.ledger.models import Expense
from tests.api import test_governance as flow
from tests.api.client import Api, api_for
from tests.api.test_governance import SEED, ok, opened, snapshot
from tests.api.test_ledger import assert_problem as refused
from tests.governance.conftest import Clock, Community

pytestmark = pytest.mark.django_db


# The flow tests' community: pytest finds a fixture by its name in this module.
community = flow.community


@pytest.fixture
def as_bob(community: Community) -> Api:
    return api_for(community.contributors[0])


@pytest.fixture
def as_dave(community: Community) -> Api:
    return api_for(community.contributors[1])


class nothing_written:  # a lower-case name: `with nothing_written():` reads as a sentence
    def __enter__(self) -> None:
        self.before = snapshot()

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            assert snapshot() == self.before


# --- votes -----------------------------------------------------------------------------------


def test_a_vote_after_the_period_or_after_closing_is_a_conflict(
    as_bob: Api, as_dave: Api, frozen: Clock
) -> None:
    pid = opened(as_bob)["id"]
    frozen.advance(days=7, seconds=1)
    with nothing_written():
        refused(as_dave.post(f"/proposals/{pid}/votes", {"position": "agree"}), 409)
    ok(as_bob.post(f"/proposals/{pid}/close"))
    with nothing_written():
        body = refused(as_dave.post(f"/proposals/{pid}/votes", {"position": "agree"}), 409)
        assert "passed" in body["detail"]
        refused(as_dave.post(f"/proposals/{pid}/objection/withdraw"), 409)
        refused(as_bob.post(f"/proposals/{pid}/amend", {"text": "Too late."}), 409)


def test_a_second_vote_in_a_round_is_a_conflict(as_bob: Api, as_dave: Api) -> None:
    pid = opened(as_bob)["id"]
    ok(as_dave.post(f"/proposals/{pid}/votes", {"position": "agree"}), 201)
    with nothing_written():
        refused(
            as_dave.post(f"/proposals/{pid}/votes", {"position": "object", "reason": "Changed"}),
            409,
        )


@pytest.mark.parametrize("reason", [None, "", "   "])
@pytest.mark.parametrize(("method", "position"), [("consent", "object"), ("consensus", "block")])
def test_an_objection_or_block_without_a_reason_is_refused(
    as_bob: Api, as_dave: Api, method: str, position: str, reason: str | None
) -> None:
    pid = opened(as_bob, method=method)["id"]
    body: dict[str, Any] = {"position": position}
    if reason is not None:
        body["reason"] = reason
    with nothing_written():
        refused(as_dave.post(f"/proposals/{pid}/votes", body), 422, "reason")


@pytest.mark.parametrize(
    ("method", "position"),
    [("consent", "yes"), ("consent", "block"), ("majority", "agree"), ("consent", "maybe")],
)
def test_a_position_the_method_does_not_know_is_refused(
    as_bob: Api, as_dave: Api, method: str, position: str
) -> None:
    pid = opened(as_bob, method=method)["id"]
    with nothing_written():
        refused(
            as_dave.post(f"/proposals/{pid}/votes", {"position": position, "reason": "R"}),
            422,
            "position",
        )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"position": 1},
        {"position": "agree", "reasons": "typo"},
        {"position": "agree", "reason": 5},
    ],
)
def test_malformed_votes_are_refused(as_bob: Api, as_dave: Api, body: dict[str, Any]) -> None:
    pid = opened(as_bob)["id"]
    with nothing_written():
        refused(as_dave.post(f"/proposals/{pid}/votes", body), 422)


def test_withdrawing_an_objection_one_never_made_is_a_conflict(as_bob: Api, as_dave: Api) -> None:
    pid = opened(as_bob)["id"]
    ok(as_dave.post(f"/proposals/{pid}/votes", {"position": "agree"}), 201)
    with nothing_written():
        refused(as_dave.post(f"/proposals/{pid}/objection/withdraw"), 409)


def test_a_block_beyond_the_rulebooks_limit_is_refused(
    community: Community, as_bob: Api, as_dave: Api
) -> None:
    adopt_rules(community.commons, blocks_per_period=1)
    first = opened(as_bob, method="consensus")["id"]
    second = opened(as_bob, method="consensus")["id"]
    ok(as_dave.post(f"/proposals/{first}/votes", {"position": "block", "reason": "No."}), 201)
    with nothing_written():
        refused(
            as_dave.post(f"/proposals/{second}/votes", {"position": "block", "reason": "No."}),
            422,
            "position",
        )


# --- proposals -------------------------------------------------------------------------------


def adopt_rules(commons: Commons, **rules: Any) -> None:
    current = rulebook_current(commons).rules
    commons_services.rulebook_adopt(
        actor=None,
        commons=commons,
        rulebook=dataclasses.replace(current, **rules),
        note="Test rules",
        proposal=None,
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "remove_maintainer", "agent": "alice"}, "change.agent"),  # the last one
        ({"type": "remove_maintainer", "agent": "bob"}, "change.agent"),  # not a maintainer
        ({"type": "add_maintainer", "agent": "nobody"}, "change.agent"),
        ({"type": "adopt_equation", "equation": {"buckets": "no"}}, "change.equation.buckets"),
        (
            {
                "type": "adopt_equation",
                "equation": {
                    "buckets": [
                        {
                            "name": "c",
                            "percent": "100",
                            "to": "contributors",
                            "rules": [{"action": "work", "value": "__import__('os')"}],
                        }
                    ]
                },
            },
            None,
        ),
        ({"type": "launch_rocket"}, "change.type"),
        ({"agent": "bob"}, "change.type"),
        ({"type": "add_maintainer", "agent": "bob", "role": "boss"}, "change.role"),
        ({"type": "amend_rulebook", "set": {"no_such_rule": 1}}, None),
        ({"type": "amend_rulebook", "set": {"duration_hours": 168}}, None),  # idle
        ({"type": "amend_rulebook", "set": {"maintainers_may": ["amend_rulebook"]}}, None),
        ({"type": "approve_expense", "expense": 999}, "change.expense"),
        ({"type": "close_working_group", "slug": "none"}, "change.slug"),
        ({"type": "change_licence", "profile": "NO-SUCH"}, None),
        ({"type": "create_working_group", "slug": "g", "name": "G"}, "change.mandate"),
    ],
)
def test_a_change_that_could_not_apply_is_refused_before_the_vote(
    as_bob: Api, change: dict[str, Any], field: str | None
) -> None:
    with nothing_written():
        body = refused(
            as_bob.post(f"{SEED}/proposals", {"title": "T", "text": "X", "change": change}),
            422,
            field,
        )
    assert body["detail"]


@pytest.mark.parametrize("method", ["dictatorship", "CONSENT", "consent\x00", "consent "])
def test_an_unknown_method_is_refused(as_bob: Api, method: str, no_nul_to_database: Any) -> None:
    with no_nul_to_database(), nothing_written():
        refused(
            as_bob.post(f"{SEED}/proposals", {"title": "T", "text": "X", "method": method}),
            422,
            "method",
        )


def test_a_method_the_rulebook_does_not_allow_is_refused(community: Community, as_bob: Api) -> None:
    adopt_rules(community.commons, methods=(Method.CONSENT, Method.CONSENSUS))
    with nothing_written():
        body = refused(
            as_bob.post(f"{SEED}/proposals", {"title": "T", "text": "X", "method": "majority"}),
            422,
            "method",
        )
    assert "consent, consensus" in body["detail"]


@pytest.mark.parametrize("review_on", ["yesterday", "2020-01-01", "TODAY", "2024-02-30", 20300101])
def test_a_bad_review_date_is_refused(as_bob: Api, review_on: Any) -> None:
    with nothing_written():
        refused(
            as_bob.post(f"{SEED}/proposals", {"title": "T", "text": "X", "review_on": review_on}),
            422,
            "review_on",
        )


def test_today_is_no_review_date_but_tomorrow_is(as_bob: Api) -> None:
    today = clock.now().date()
    with nothing_written():
        refused(
            as_bob.post(
                f"{SEED}/proposals", {"title": "T", "text": "X", "review_on": today.isoformat()}
            ),
            422,
            "review_on",
        )
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert opened(as_bob, review_on=tomorrow)["review_on"] == tomorrow


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "X"}, "title"),
        ({"title": "T"}, "text"),
        ({"title": "  ", "text": "X"}, "title"),
        ({"title": "T", "text": ""}, "text"),
        ({"title": "T" * 201, "text": "X"}, "title"),
        ({"title": "T\x00", "text": "X"}, "title"),
        ({"title": "T", "text": "X", "change": "adopt"}, "change"),
        ({"title": "T", "text": "X", "change": ["type"]}, "change"),
        ({"title": "T", "text": "X", "chnage": {}}, "chnage"),
        ({"title": 3, "text": "X"}, "title"),
    ],
)
def test_malformed_proposals_are_refused(
    as_bob: Api, body: dict[str, Any], field: str, no_nul_to_database: Any
) -> None:
    with nothing_written(), no_nul_to_database():
        refused(as_bob.post(f"{SEED}/proposals", body), 422, field)


def test_a_proposal_to_a_missing_commons_is_404(as_bob: Api) -> None:
    with nothing_written():
        refused(as_bob.post("/commons/nowhere/proposals", {"title": "T", "text": "X"}), 404)


def test_an_amendment_keeps_its_type_of_change(as_bob: Api) -> None:
    change = {"type": "amend_rulebook", "set": {"duration_hours": 48}}
    pid = opened(as_bob, change=change)["id"]
    other = {"type": "add_maintainer", "agent": "dave"}
    with nothing_written():
        refused(as_bob.post(f"/proposals/{pid}/amend", {"text": "Y", "change": other}), 422)
        refused(
            as_bob.post(
                f"/proposals/{pid}/amend",
                {"text": "Y", "change": {"type": "amend_rulebook", "set": {"quorum": "150"}}},
            ),
            422,
            "quorum",
        )
        refused(as_bob.post(f"/proposals/{pid}/amend", {"text": ""}), 422, "text")
    plain = opened(as_bob)["id"]
    with nothing_written():
        refused(as_bob.post(f"/proposals/{plain}/amend", {"text": "Y", "change": change}), 422)


def test_only_consent_is_amended_and_only_failed_consensus_goes_on(as_bob: Api) -> None:
    majority = opened(as_bob, method="majority")["id"]
    consensus = opened(as_bob, method="consensus")["id"]
    with nothing_written():
        refused(as_bob.post(f"/proposals/{majority}/amend", {"text": "Y"}), 422, "method")
        refused(as_bob.post(f"/proposals/{majority}/second-round"), 409)
        refused(as_bob.post(f"/proposals/{consensus}/second-round"), 409)  # still open


@pytest.mark.parametrize(
    "path",
    [
        "/proposals/999999",
        "/proposals/999999/discussion",
        "/contributions/999999/discussion",
        "/commons/nowhere/rulebook",
        "/commons/nowhere/rulebook/versions",
        "/commons/nowhere/proposals",
        "/commons/nowhere/discussion",
        "/commons/nowhere/working-groups",
        "/commons/seed-library/rulebook/versions/2",
        "/commons/seed-library/rulebook/versions/9999999999",
    ],
)
def test_unknown_things_are_404(community: Community, path: str) -> None:
    refused(Api().get(path), 404)


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("votes", {"position": "agree"}),
        ("objection/withdraw", {}),
        ("amend", {"text": "Y"}),
        ("second-round", {}),
        ("withdraw", {}),
        ("close", {}),
        ("discussion", {"text": "Hello"}),
    ],
)
def test_acting_on_an_unknown_proposal_is_404(as_bob: Api, action: str, body: Any) -> None:
    with nothing_written():
        refused(as_bob.post(f"/proposals/999999/{action}", body), 404)


@pytest.mark.parametrize("pid", ["0", "-1", "abc", "99999999999999999999"])
def test_impossible_proposal_ids_are_refused(as_bob: Api, pid: str) -> None:
    with nothing_written():
        response = as_bob.post(f"/proposals/{pid}/votes", {"position": "agree"})
    assert response.status_code in (404, 422), response.content
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": 1, "to": 7}, 404, None),
        ({"from": 7}, 404, None),
        ({}, 422, "from"),
        ({"from": "one"}, 422, "from"),
        ({"from": 0}, 422, "from"),
        ({"from": 1, "to": -2}, 422, "to"),
        ({"from": 1, "to": "1.5"}, 422, "to"),
    ],
)
def test_bad_diff_versions_are_refused(
    community: Community, params: dict[str, Any], status: int, field: str | None
) -> None:
    refused(Api().get(f"{SEED}/rulebook/diff", **params), status, field)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "closed"}, "status"), ({"limit": 0}, "limit"), ({"cursor": "x"}, "cursor")],
)
def test_bad_proposal_list_parameters_are_422(
    community: Community, params: dict[str, Any], field: str
) -> None:
    refused(Api().get(f"{SEED}/proposals", **params), 422, field)


# --- discussions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "  "}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({}, "text"),
        ({"text": "Hi", "parent": 999999}, "parent"),
        ({"text": "Hi", "parent": 0}, "parent"),
        ({"text": "Hi", "parent": "1"}, "parent"),
        ({"text": "Hi", "subject": "x"}, "subject"),
    ],
)
def test_bad_messages_are_refused(
    as_bob: Api, body: dict[str, Any], field: str, no_nul_to_database: Any
) -> None:
    with nothing_written(), no_nul_to_database():
        refused(as_bob.post(f"{SEED}/discussion", body), 422, field)


def test_a_reply_stays_in_its_parents_thread(as_bob: Api, as_dave: Api) -> None:
    pid = opened(as_bob)["id"]
    root = ok(as_dave.post(f"{SEED}/discussion", {"text": "About the commons"}), 201)
    with nothing_written():
        refused(
            as_bob.post(f"/proposals/{pid}/discussion", {"text": "Hi", "parent": root["id"]}),
            422,
            "parent",
        )


# --- working groups --------------------------------------------------------------------------

GROUP = {"slug": "infra", "name": "Infrastructure", "mandate": "Keep the servers running."}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GROUP, "mandate": ""}, "mandate"),
        ({**GROUP, "slug": "Not A Slug"}, "slug"),
        ({**GROUP, "members": ["nobody"]}, "members"),
        ({**GROUP, "spending_cap": "100.00"}, "currency"),
        ({**GROUP, "spending_cap": "-5", "currency": "EUR"}, "spending_cap"),
        ({**GROUP, "spending_cap": "10", "currency": "XXX"}, "currency"),
        (
            {**GROUP, "spending_cap": "10", "currency": "EUR", "cap_period_days": 0},
            "cap_period_days",
        ),
        ({**GROUP, "budget": "10"}, "budget"),
        ({"slug": "infra"}, "name"),
    ],
)
def test_bad_working_groups_are_refused(
    community: Community, body: dict[str, Any], field: str
) -> None:
    as_alice = api_for(community.maintainer)
    with nothing_written():
        refused(as_alice.post(f"{SEED}/working-groups", body), 422, field)


def test_a_working_group_slug_is_taken_once(community: Community) -> None:
    as_alice = api_for(community.maintainer)
    ok(as_alice.post(f"{SEED}/working-groups", GROUP), 201)
    with nothing_written():
        refused(as_alice.post(f"{SEED}/working-groups", GROUP), 409)
        refused(as_alice.post(f"{SEED}/working-groups/none/close"), 404)


@pytest.mark.parametrize("group", ["none", "Not a slug", "a\x00"])
def test_an_expense_charged_to_an_unknown_group_is_refused(
    as_bob: Api, group: str, no_nul_to_database: Any
) -> None:
    claim = {"amount": "5.00", "currency": "EUR", "description": "X", "working_group": group}
    with nothing_written(), no_nul_to_database():
        refused(as_bob.post(f"{SEED}/expenses", claim), 422, "working_group")
    assert not Expense.objects.exists()
