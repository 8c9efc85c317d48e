"""Governance through the JSON API: the rulebook and its history, proposals decided by each
method with the clock moved, discussions, working groups with a spending cap, emeritus
maintainers coming back, and who may do what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons, RulebookVersion, WorkingGroup
from communs.core.models import Event
from communs.domain import rulebook as rulebooks
from communs.governance.models import Comment, Proposal, Vote
from tests.api.client import Api, api_for
from tests.governance.conftest import EQUATION, Clock, Community, accept_work

pytestmark = pytest.mark.django_db

SEED = "/commons/seed-library"
GROUP = {
    "slug": "infra",
    "name": "Infrastructure",
    "mandate": "Keep the servers running.",
    "members": ["bob"],
    "spending_cap": "100.00",
    "currency": "EUR",
    "cap_period_days": 30,
}


def founded(make_person: Callable[..., Agent], commons: Commons, maintainer: Agent) -> Community:
    """alice maintains the seed library; bob and dave have accepted work there; erin has an
    account and no work; carol maintains another commons."""
    bob, dave, erin, carol = (make_person(n) for n in ("bob", "dave", "erin", "carol"))
    for person in (bob, dave):
        accept_work(commons, maintainer, person)
    commons_services.commons_create(actor=carol, slug="other", title="Other")
    return Community(commons, maintainer, (bob, dave), erin, carol)


@pytest.fixture
def community(
    make_person: Callable[..., Agent], seed_library: Commons, alice: Agent, frozen: Clock
) -> Community:
    return founded(make_person, seed_library, alice)


@pytest.fixture
def apis(community: Community) -> dict[str, Api]:
    bob, dave = community.contributors
    people = {
        "alice": community.maintainer,
        "bob": bob,
        "dave": dave,
        "erin": community.newcomer,
        "carol": community.outsider,
    }
    return {"anonymous": Api(), **{name: api_for(agent) for name, agent in people.items()}}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def snapshot() -> tuple[int, ...]:
    return (
        Proposal.objects.count(),
        Vote.objects.count(),
        Comment.objects.count(),
        WorkingGroup.objects.count(),
        RulebookVersion.objects.count(),
        Event.objects.count(),
    )


def opened(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"title": "A proposal", "text": "Let us do it.", **fields}
    return ok(api.post(f"{SEED}/proposals", body), 201)  # type: ignore[no-any-return]


def event_kinds(api: Api) -> list[str]:
    items = ok(api.get("/events", commons="seed-library", limit=200))["items"]
    return [e["kind"] for e in items]


# --- the rulebook ----------------------------------------------------------------------------


def test_the_founding_rulebook_is_public_with_what_is_in_force(
    apis: dict[str, Api], community: Community
) -> None:
    book = ok(apis["anonymous"].get(f"{SEED}/rulebook"))
    assert (book["commons"], book["version"], book["proposal"]) == ("seed-library", 1, None)
    assert book["created_by"] == "alice"
    assert book["rules"]["default_method"] == "consent"
    assert book["rules"]["modified_consensus"] == "9/10"
    assert set(book["descriptions"]) == set(book["rules"])
    assert book["in_force"] == {
        "equation_version": 0,
        "licence_profile": "CC-BY-SA-4.0",
        "licence_version": 0,
    }
    versions = ok(apis["anonymous"].get(f"{SEED}/rulebook/versions"))
    assert [v["version"] for v in versions["items"]] == [1]
    assert versions["next"] is None


# --- consent, end to end ---------------------------------------------------------------------


def test_a_consent_proposal_adopts_an_equation_after_its_period(
    apis: dict[str, Api], community: Community, frozen: Clock
) -> None:
    proposal = opened(
        apis["bob"],
        title="Pay hours at 30",
        method="consent",
        change={"type": "adopt_equation", "equation": EQUATION},
    )
    pid = proposal["id"]
    assert (proposal["status"], proposal["method"], proposal["round"]) == ("open", "consent", 1)
    assert proposal["proposer"] == "bob"
    assert proposal["change_type"] == "adopt_equation"
    assert proposal["change_summary"] == "Adopt a new value equation"
    assert proposal["eligible"] == 3  # alice maintains; bob and dave contributed
    assert proposal["positions"] == ["agree", "object", "stand_aside"]
    assert proposal["standing"]["status"] == "open"

    as_dave = ok(apis["dave"].get(f"/proposals/{pid}"))
    assert (as_dave["may_vote"], as_dave["has_voted"]) == (True, False)
    anonymous = ok(apis["anonymous"].get(f"/proposals/{pid}"))
    assert (anonymous["may_vote"], anonymous["has_voted"]) == (None, None)

    voted = ok(apis["dave"].post(f"/proposals/{pid}/votes", {"position": "agree"}), 201)
    assert voted["has_voted"] is True
    ok(apis["alice"].post(f"/proposals/{pid}/votes", {"position": "stand_aside"}), 201)

    early = ok(apis["bob"].post(f"/proposals/{pid}/close"))
    assert early["status"] == "open"  # the period is still running: closing decides nothing
    assert early["standing"]["counts"] == {"agree": 1, "stand_aside": 1}

    frozen.advance(days=7, seconds=1)
    due = ok(apis["anonymous"].get(f"/proposals/{pid}"))
    assert due["standing"]["status"] == "passed"  # what closing would decide
    assert due["status"] == "open"

    closed = ok(apis["erin"].post(f"/proposals/{pid}/close"))  # anyone may ask
    assert closed["status"] == "passed", closed["outcome"]
    assert closed["applied"] == {"equation_version": 1}
    assert closed["standing"] is None
    assert closed["decided_at"] is not None
    assert [(v["voter"], v["position"], v["round"]) for v in closed["votes"]] == [
        ("dave", "agree", 1),
        ("alice", "stand_aside", 1),
    ]
    assert ok(apis["anonymous"].get(f"{SEED}/value-equation"))["version"] == 1
    assert ok(apis["anonymous"].get(f"{SEED}/rulebook"))["in_force"]["equation_version"] == 1
    kinds = event_kinds(apis["anonymous"])
    assert {"proposal.opened", "proposal.voted", "proposal.decided"} <= set(kinds)

    again = ok(apis["bob"].post(f"/proposals/{pid}/close"))
    assert again["status"] == "passed"
    assert ok(apis["anonymous"].get(f"{SEED}/value-equation"))["version"] == 1  # applied once


def test_an_objection_is_met_by_an_amendment_and_withdrawn(
    apis: dict[str, Api], community: Community, frozen: Clock
) -> None:
    change = {"type": "amend_rulebook", "set": {"duration_hours": 48}}
    pid = opened(apis["bob"], title="Shorter votes", change=change)["id"]
    ok(apis["alice"].post(f"/proposals/{pid}/votes", {"position": "agree"}), 201)
    objected = ok(
        apis["dave"].post(
            f"/proposals/{pid}/votes", {"position": "object", "reason": "Two days is too short."}
        ),
        201,
    )
    assert objected["standing"]["unresolved"] == ["dave"]

    frozen.advance(days=1)
    amended = ok(
        apis["bob"].post(
            f"/proposals/{pid}/amend",
            {
                "text": "Three days, then.",
                "title": "Three-day votes",
                "change": {"type": "amend_rulebook", "set": {"duration_hours": 72}},
            },
        )
    )
    assert (amended["round"], amended["title"], amended["text"]) == (
        2,
        "Three-day votes",
        "Three days, then.",
    )
    assert amended["change"] == {"type": "amend_rulebook", "set": {"duration_hours": 72}}
    second = [(v["voter"], v["position"]) for v in amended["votes"] if v["round"] == 2]
    assert second == [("dave", "object")]  # alice's consent was to the old text
    assert amended["standing"]["unresolved"] == ["dave"]

    lifted = ok(apis["dave"].post(f"/proposals/{pid}/objection/withdraw"))
    assert lifted["standing"]["unresolved"] == []
    assert lifted["standing"]["counts"] == {"stand_aside": 1}
    assert [v["withdrawn"] for v in lifted["votes"] if v["round"] == 2] == [True]

    frozen.advance(days=7, seconds=1)
    closed = ok(apis["bob"].post(f"/proposals/{pid}/close"))
    assert closed["status"] == "passed", closed["outcome"]
    assert closed["applied"] == {"rulebook_version": 2}

    book = ok(apis["anonymous"].get(f"{SEED}/rulebook"))
    assert (book["version"], book["proposal"]) == (2, pid)
    assert book["rules"]["duration_hours"] == 72
    assert "Three-day votes" in book["note"]
    history = ok(apis["anonymous"].get(f"{SEED}/rulebook/versions"))["items"]
    assert [(v["version"], v["proposal"]) for v in history] == [(2, pid), (1, None)]
    first = ok(apis["anonymous"].get(f"{SEED}/rulebook/versions/1"))
    assert first["rules"]["duration_hours"] == 168
    diff = ok(apis["anonymous"].get(f"{SEED}/rulebook/diff", **{"from": 1, "to": 2}))
    assert diff["changes"] == [{"rule": "duration_hours", "old": 168, "new": 72}]
    backwards = ok(apis["anonymous"].get(f"{SEED}/rulebook/diff", **{"from": 2, "to": 1}))
    assert backwards["changes"] == [{"rule": "duration_hours", "old": 72, "new": 168}]
    to_current = ok(apis["anonymous"].get(f"{SEED}/rulebook/diff", **{"from": 1}))
    assert (to_current["to_version"], to_current["changes"]) == (2, diff["changes"])


def test_a_reasoned_block_stops_consensus_in_both_rounds(
    apis: dict[str, Api], community: Community, frozen: Clock
) -> None:
    pid = opened(apis["bob"], title="Move the library", method="consensus")["id"]
    ok(apis["alice"].post(f"/proposals/{pid}/votes", {"position": "agree"}), 201)
    blocked = ok(
        apis["dave"].post(
            f"/proposals/{pid}/votes",
            {"position": "block", "reason": "The new room floods every spring."},
        ),
        201,
    )
    assert blocked["votes"][-1]["reason"] == "The new room floods every spring."
    frozen.advance(days=7, seconds=1)
    first = ok(apis["alice"].post(f"/proposals/{pid}/close"))
    assert (first["status"], first["second_round_possible"]) == ("failed", True)
    assert "block" in first["outcome"]

    assert apis["alice"].post(f"/proposals/{pid}/second-round").status_code == 403
    second = ok(apis["bob"].post(f"/proposals/{pid}/second-round"))
    assert (second["status"], second["round"], second["second_round_possible"]) == (
        "open",
        2,
        False,
    )
    assert (second["has_voted"], second["may_vote"]) == (False, True)
    for name in ("alice", "bob"):
        ok(apis[name].post(f"/proposals/{pid}/votes", {"position": "agree"}), 201)
    ok(
        apis["dave"].post(
            f"/proposals/{pid}/votes", {"position": "block", "reason": "It still floods."}
        ),
        201,
    )
    frozen.advance(days=7, seconds=1)
    final = ok(apis["bob"].post(f"/proposals/{pid}/close"))
    assert final["status"] == "failed"
    assert "A block still stands (dave)" in final["outcome"]
    assert apis["bob"].post(f"/proposals/{pid}/second-round").status_code == 409


def test_a_consensus_everyone_joins_passes_at_once(
    apis: dict[str, Api], community: Community
) -> None:
    pid = opened(apis["bob"], method="consensus")["id"]
    for name in ("alice", "bob"):
        ok(apis[name].post(f"/proposals/{pid}/votes", {"position": "agree"}), 201)
    last = ok(apis["dave"].post(f"/proposals/{pid}/votes", {"position": "stand_aside"}), 201)
    assert last["status"] == "passed"
    assert last["outcome"] == "Everyone agreed or stood aside."


def test_a_majority_vote_needs_its_quorum(
    apis: dict[str, Api], community: Community, frozen: Clock
) -> None:
    pid = opened(apis["bob"], method="majority")["id"]
    assert opened(apis["bob"], method="majority")["positions"] == ["abstain", "no", "yes"]
    frozen.advance(days=7, seconds=1)
    closed = ok(apis["bob"].post(f"/proposals/{pid}/close"))
    assert closed["status"] == "failed"
    assert "quorum" in closed["outcome"]


def test_the_proposer_withdraws_and_lists_filter_by_status(
    apis: dict[str, Api], community: Community
) -> None:
    first = opened(apis["bob"], title="First")["id"]
    second = opened(apis["dave"], title="Second", method="lazy_consensus")["id"]
    assert apis["dave"].post(f"/proposals/{first}/withdraw").status_code == 403
    withdrawn = ok(apis["bob"].post(f"/proposals/{first}/withdraw"))
    assert (withdrawn["status"], withdrawn["standing"]) == ("withdrawn", None)
    assert apis["bob"].post(f"/proposals/{first}/withdraw").status_code == 409

    everything = ok(apis["anonymous"].get(f"{SEED}/proposals"))
    assert [p["id"] for p in everything["items"]] == [second, first]
    still_open = ok(apis["anonymous"].get(f"{SEED}/proposals", status="open"))
    assert [(p["id"], p["method"]) for p in still_open["items"]] == [(second, "lazy_consensus")]
    page = ok(apis["anonymous"].get(f"{SEED}/proposals", limit=1))
    assert [p["id"] for p in page["items"]] == [second]
    rest = ok(apis["anonymous"].get(f"{SEED}/proposals", limit=1, cursor=page["next"]))
    assert ([p["id"] for p in rest["items"]], rest["next"]) == ([first], None)


# --- discussions -----------------------------------------------------------------------------


def test_discussions_are_threads_on_commons_proposals_and_contributions(
    apis: dict[str, Api], community: Community
) -> None:
    pid = opened(apis["bob"])["id"]
    bob = community.contributors[0]
    contribution = community.commons.contributions.filter(contributor=bob).get().pk
    subjects = {
        f"{SEED}/discussion": (None, None),
        f"/proposals/{pid}/discussion": (pid, None),
        f"/contributions/{contribution}/discussion": (None, contribution),
    }
    for path, (proposal, contribution_id) in subjects.items():
        root = ok(apis["erin"].post(path, {"text": "Why this way?"}), 201)
        assert (root["proposal"], root["contribution"], root["parent"]) == (
            proposal,
            contribution_id,
            None,
        )
        reply = ok(apis["carol"].post(path, {"text": "Because.", "parent": root["id"]}), 201)
        deeper = ok(apis["erin"].post(path, {"text": "I see.", "parent": reply["id"]}), 201)
        other = ok(apis["alice"].post(path, {"text": "Another point."}), 201)
        thread = ok(apis["anonymous"].get(path))
        assert thread["next"] is None
        assert [(m["id"], m["depth"], m["parent"], m["author"]) for m in thread["items"]] == [
            (root["id"], 0, None, "erin"),
            (reply["id"], 1, root["id"], "carol"),
            (deeper["id"], 2, reply["id"], "erin"),
            (other["id"], 0, None, "alice"),
        ]
    assert event_kinds(apis["anonymous"]).count("comment.posted") == 12


# --- working groups --------------------------------------------------------------------------


def test_a_working_group_spends_within_its_cap(
    apis: dict[str, Api], community: Community, frozen: Clock
) -> None:
    created = ok(apis["alice"].post(f"{SEED}/working-groups", GROUP), 201)
    assert created["spending_cap"] == "100.00"
    assert (created["currency"], created["cap_period_days"], created["spent"]) == (
        "EUR",
        30,
        "0.00",
    )
    assert (created["members"], created["closed_at"], created["proposal"]) == (["bob"], None, None)

    income = {"amount": "500.00", "currency": "EUR", "kind": "donation", "from": "A friend"}
    ok(apis["alice"].post(f"{SEED}/incomes", income), 201)
    claim = {
        "amount": "60.00",
        "currency": "EUR",
        "description": "Server",
        "working_group": "infra",
    }
    expense = ok(apis["bob"].post(f"{SEED}/expenses", claim), 201)
    assert expense["working_group"] == "infra"
    listed = ok(apis["anonymous"].get(f"{SEED}/expenses"))["items"]
    assert [e["working_group"] for e in listed] == ["infra"]
    ok(apis["alice"].post(f"/expenses/{expense['id']}/approve"))
    group = ok(apis["anonymous"].get(f"{SEED}/working-groups"))["items"][0]
    assert group["spent"] == "60.00"

    over = ok(apis["bob"].post(f"{SEED}/expenses", {**claim, "amount": "50.00"}), 201)
    refused = apis["alice"].post(f"/expenses/{over['id']}/approve")
    assert refused.status_code == 409, refused.content
    assert "40.00" in refused.json()["detail"]

    frozen.advance(days=31)  # a new period: the first expense no longer counts
    assert ok(apis["anonymous"].get(f"{SEED}/working-groups"))["items"][0]["spent"] == "0.00"
    ok(apis["alice"].post(f"/expenses/{over['id']}/approve"))

    closed = ok(apis["alice"].post(f"{SEED}/working-groups/infra/close"))
    assert closed["closed_at"] is not None
    assert apis["alice"].post(f"{SEED}/working-groups/infra/close").status_code == 409
    after = apis["bob"].post(f"{SEED}/expenses", claim)
    assert after.status_code == 422, after.content
    assert "working_group" in after.json()["errors"]


def test_a_working_group_created_by_an_adopted_proposal(
    apis: dict[str, Api], community: Community, frozen: Clock
) -> None:
    change = {"type": "create_working_group", **GROUP, "slug": "events", "spending_cap": None}
    pid = opened(apis["dave"], change=change)["id"]
    frozen.advance(days=7, seconds=1)
    assert ok(apis["dave"].post(f"/proposals/{pid}/close"))["applied"] == {
        "working_group": "events"
    }
    [group] = ok(apis["anonymous"].get(f"{SEED}/working-groups"))["items"]
    assert (group["slug"], group["proposal"], group["spending_cap"], group["spent"]) == (
        "events",
        pid,
        None,
        None,
    )


# --- maintainers ---------------------------------------------------------------------------


def test_an_emeritus_maintainer_comes_back(apis: dict[str, Api], community: Community) -> None:
    dave = community.contributors[1]
    commons_services.maintainer_add(
        actor=community.maintainer, commons=community.commons, agent=dave
    )
    commons_services.maintainer_retire(commons=community.commons, agent=dave, inactive_days=200)
    assert apis["alice"].post(f"{SEED}/maintainers/return").status_code == 403
    back = ok(apis["dave"].post(f"{SEED}/maintainers/return"))
    assert back == {"commons": "seed-library", "maintainers": ["alice", "dave"], "emeriti": []}
    assert "maintainer.returned" in event_kinds(apis["anonymous"])


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("erin", 403), ("carol", 403), ("bob", 201), ("alice", 201)],
)
def test_who_may_open_a_proposal(
    apis: dict[str, Api], community: Community, who: str, status: int
) -> None:
    before = snapshot()
    response = apis[who].post(f"{SEED}/proposals", {"title": "T", "text": "X"})
    assert response.status_code == status, response.content
    if status != 201:
        assert response["Content-Type"] == "application/problem+json"
        assert snapshot() == before
    else:
        assert Proposal.objects.get().proposer.name == who


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("erin", 403), ("carol", 403), ("bob", 201), ("alice", 201)],
)
def test_who_may_vote(apis: dict[str, Api], community: Community, who: str, status: int) -> None:
    pid = opened(apis["dave"])["id"]
    before = snapshot()
    response = apis[who].post(f"/proposals/{pid}/votes", {"position": "agree"})
    assert response.status_code == status, response.content
    if status != 201:
        assert snapshot() == before
        if who != "anonymous":
            assert ok(apis[who].get(f"/proposals/{pid}"))["may_vote"] is False
    else:
        assert Vote.objects.get().voter.name == who


def test_who_votes_is_fixed_when_the_proposal_opens(
    apis: dict[str, Api], community: Community, frozen: Clock
) -> None:
    pid = opened(apis["bob"])["id"]
    frozen.advance(hours=1)
    accept_work(community.commons, community.maintainer, community.newcomer)
    assert apis["erin"].post(f"/proposals/{pid}/votes", {"position": "agree"}).status_code == 403
    later = opened(apis["bob"])["id"]
    assert ok(apis["erin"].post(f"/proposals/{later}/votes", {"position": "agree"}), 201)


@pytest.mark.parametrize("who", ["anonymous", "erin", "carol", "dave", "alice"])
def test_only_the_proposer_amends_or_withdraws(
    apis: dict[str, Api], community: Community, who: str
) -> None:
    pid = opened(apis["bob"])["id"]
    before = snapshot()
    expected = 401 if who == "anonymous" else 403
    for action, body in (("amend", {"text": "Mine now."}), ("withdraw", {})):
        response = apis[who].post(f"/proposals/{pid}/{action}", body)
        assert response.status_code == expected, response.content
    assert snapshot() == before
    assert Proposal.objects.get().status == "open"


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("erin", 403), ("carol", 403), ("bob", 403), ("alice", 201)],
)
def test_who_may_create_a_working_group_directly(
    apis: dict[str, Api], community: Community, who: str, status: int
) -> None:
    before = snapshot()
    response = apis[who].post(f"{SEED}/working-groups", GROUP)
    assert response.status_code == status, response.content
    if status != 201:
        assert snapshot() == before


def test_a_rulebook_that_keeps_groups_for_proposals_refuses_its_maintainers(
    apis: dict[str, Api], community: Community
) -> None:
    commons = community.commons
    current = RulebookVersion.objects.get(commons=commons)
    rules = {**current.rules, "maintainers_may": ["adopt_equation"]}
    commons_services.rulebook_adopt(
        actor=None,
        commons=commons,
        rulebook=rulebooks.parse(rules),
        note="Groups by proposal",
        proposal=None,
    )
    before = snapshot()
    response = apis["alice"].post(f"{SEED}/working-groups", GROUP)
    assert response.status_code == 403, response.content
    assert "proposal" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["erin", "carol", "bob", "alice"])
def test_anyone_with_an_account_speaks_and_nobody_anonymous(
    apis: dict[str, Api], community: Community, who: str
) -> None:
    assert apis["anonymous"].post(f"{SEED}/discussion", {"text": "Hello"}).status_code == 401
    assert Comment.objects.count() == 0
    ok(apis[who].post(f"{SEED}/discussion", {"text": "Hello"}), 201)


def test_an_equation_proposal_shows_its_impact_before_the_vote(
    apis: dict[str, Any], community: Community
) -> None:
    from communs.governance import services as governance

    bob = community.contributors[0]
    equation = governance.proposal_open(
        actor=bob,
        commons=community.commons,
        title="Hours at 30",
        text="More for work.",
        change={"type": "adopt_equation", "equation": EQUATION},
    )
    plain = governance.proposal_open(
        actor=bob, commons=community.commons, title="No equation", text="Talk."
    )
    body = ok(apis["anonymous"].get(f"/proposals/{equation.pk}/impact", last=3))
    assert (body["commons"], body["last"]) == (community.commons.slug, 3)
    assert body["currencies"] == []  # no distribution yet to replay
    missing = apis["anonymous"].get(f"/proposals/{plain.pk}/impact")
    assert missing.status_code == 404
    too_many = apis["anonymous"].get(f"/proposals/{equation.pk}/impact", last=99)
    assert too_many.status_code == 422
