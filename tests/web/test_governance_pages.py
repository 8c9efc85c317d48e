"""Peer governance in the browser: a commons' rulebook with its history and diffs, proposals
(the list, the form for every kind of change, the page with its votes, its standing and how its
method decides), discussions, working groups and emeritus maintainers. Pages answer everyone
(in English and French), forms work end to end, refusals are shown and write nothing, only the
right people act, and the busiest pages cost a fixed number of queries."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from communs.commons import selectors as commons_selectors
from communs.commons import services as commons_services
from communs.commons.models import Emeritus, Maintainer, RulebookVersion, WorkingGroup
from communs.core.models import Event
from communs.domain.governance import Method
from communs.governance import services
from communs.governance.models import Comment, Proposal, Vote
from communs.ledger import services as ledger
from communs.ledger.models import Expense
from tests.governance.conftest import EQUATION, accept_work

pytestmark = pytest.mark.django_db


def governance_snapshot() -> tuple[int, ...]:
    """Counts of every table a governance page could write to."""
    return (
        Proposal.objects.count(),
        Vote.objects.count(),
        Vote.objects.filter(withdrawn=True).count(),
        Comment.objects.count(),
        RulebookVersion.objects.count(),
        Maintainer.objects.count(),
        Emeritus.objects.count(),
        WorkingGroup.objects.count(),
        Proposal.objects.exclude(status="open").count(),
        Event.objects.count(),
    )


@pytest.fixture
def unchanged() -> Callable[[], AbstractContextManager[None]]:
    """`with unchanged(): ...` asserts the block wrote nothing governance or the log holds."""

    @contextmanager
    def check() -> Iterator[None]:
        before = governance_snapshot()
        yield
        assert governance_snapshot() == before, "the request wrote something"

    return check


@pytest.fixture
def town(alice, bob, carol, seed_library, other_commons, make_person, frozen) -> SimpleNamespace:
    """alice maintains the seed library; bob and dave have accepted work there (they may
    propose and vote); erin has an account and no accepted work; carol maintains another
    commons."""
    dave = make_person("dave")
    erin = make_person("erin")
    for person in (bob, dave):
        accept_work(seed_library, alice, person)
    return SimpleNamespace(
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        erin=erin,
        seeds=seed_library,
        other=other_commons,
        clock=frozen,
    )


def text(response: Any) -> str:
    return str(response.content.decode())


def open_proposal(town: SimpleNamespace, **kwargs: Any) -> Proposal:
    values: dict[str, Any] = {
        "actor": town.bob,
        "commons": town.seeds,
        "title": "Lower the quorum",
        "text": "Fewer of us vote than we thought.",
        "method": "consent",
        "change": {"type": "amend_rulebook", "set": {"quorum": "1/4"}},
    }
    values.update(kwargs)
    return services.proposal_open(**values)


def rulebook_with(town: SimpleNamespace, **rules: Any) -> None:
    """A new rulebook version, as if a proposal had adopted it."""
    current = commons_selectors.rulebook_current(town.seeds).rules
    commons_services.rulebook_adopt(
        actor=None,
        commons=town.seeds,
        rulebook=dataclasses.replace(current, **rules),
        note="Test rules",
        proposal=None,
    )


# --- every page answers everyone, and 404 for what does not exist ------------------------------


def test_governance_pages_answer_anonymous_readers(town, contribution, login_as):
    proposal = open_proposal(town)
    services.comment_post(actor=town.bob, commons=town.seeds, text="Hello", proposal=proposal)
    client = login_as(None)
    for url in (
        reverse("web:rulebook", args=["seed-library"]),
        reverse("web:proposals", args=["seed-library"]),
        reverse("web:proposals", args=["other"]),  # none yet
        reverse("web:working_groups", args=["seed-library"]),
        reverse("web:commons_discussion", args=["seed-library"]),
        reverse("web:contribution_discussion", args=[contribution.pk]),
        reverse("web:proposal_detail", args=[proposal.pk]),
        reverse("web:commons_detail", args=["seed-library"]),
        reverse("web:contribution_detail", args=[contribution.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<h1" in response.content, url


@pytest.mark.parametrize(
    "name",
    ["rulebook", "proposals", "working_groups", "commons_discussion", "proposal_new"],
)
def test_unknown_commons_is_404(town, name, login_as):
    assert login_as(town.bob).get(reverse(f"web:{name}", args=["no-such"])).status_code == 404


@pytest.mark.parametrize(
    "name", ["proposal_detail", "contribution_discussion"], ids=["proposal", "contribution"]
)
def test_unknown_ids_are_404(town, name, login_as):
    assert login_as(None).get(reverse(f"web:{name}", args=[999_999])).status_code == 404


def test_posts_to_unknown_proposals_are_404(town, login_as, unchanged):
    client = login_as(town.bob)
    with unchanged():
        for name in ("proposal_vote", "proposal_close", "proposal_withdraw", "proposal_comment"):
            response = client.post(reverse(f"web:{name}", args=[999_999]), {"text": "x"})
            assert response.status_code == 404, name


def test_commons_page_links_to_its_governance(town, login_as):
    page = text(login_as(None).get(reverse("web:commons_detail", args=["seed-library"])))
    for name in ("rulebook", "proposals", "working_groups", "proposal_new"):
        assert f'href="{reverse(f"web:{name}", args=["seed-library"])}"' in page


# --- the rulebook ------------------------------------------------------------------------------


def test_rulebook_shows_the_rules_in_words(town, login_as):
    page = text(login_as(None).get(reverse("web:rulebook", args=["seed-library"])))
    assert "Version 1 in force" in page
    assert "Quorum for majority votes, share of those eligible" in page
    assert "33.3 %" in page  # the quorum, 1/3
    assert "66.7 %" in page  # the supermajority, 2/3
    assert "90 %" in page  # modified consensus
    assert "168 hours (7 days)" in page
    assert "no limit" in page  # blocks per period
    assert "maintainers and people with recent accepted contributions" in page
    assert "Founding rules" in page
    # what decides the money and the licence
    assert "Value equation in force" in page
    assert "the built-in default" in page
    assert "Creative Commons Attribution-ShareAlike 4.0" in page
    # the way to change them, and how each method decides
    assert reverse("web:proposal_new", args=["seed-library"]) + "?type=amend_rulebook" in page
    assert "Consent: the proposal passes when its period (168 hours (7 days)) ends" in page
    assert "at least 90 % of the votes cast" in page


def test_an_adopted_amendment_shows_in_the_history_and_the_diff(town, login_as):
    proposal = open_proposal(town, change={"type": "amend_rulebook", "set": {"quorum": "1/2"}})
    services.vote_cast(actor=town.dave, proposal=proposal, position="agree")
    town.clock.advance(days=8)
    assert services.proposal_close(proposal=proposal).status == "passed"
    client = login_as(None)
    url = reverse("web:rulebook", args=["seed-library"])
    page = text(client.get(url))
    assert "Version 2 in force" in page
    assert f'href="{reverse("web:proposal_detail", args=[proposal.pk])}"' in page
    assert "?from=1&amp;to=2#diff" in page
    diff = client.get(url, {"from": "1", "to": "2"})
    assert diff.status_code == 200
    rows = text(diff).split('id="diff"')[1]
    assert "<del>33.3 %</del>" in rows
    assert "<ins>50 %</ins>" in rows
    assert "duration_hours" not in rows  # only what changed
    # the proposal page links to the version it made
    detail = text(client.get(reverse("web:proposal_detail", args=[proposal.pk])))
    assert "Rulebook version 2" in detail
    assert "?from=1&amp;to=2#diff" in detail


def test_diff_of_a_version_with_itself_says_nothing_differs(town, login_as):
    url = reverse("web:rulebook", args=["seed-library"])
    page = text(login_as(None).get(url, {"from": "1", "to": "1"}))
    assert "No rule differs between these versions." in page


@pytest.mark.parametrize("query", [{"from": "7", "to": "1"}, {"from": "x", "to": "1"}, {"to": "1"}])
def test_diff_of_unknown_versions_is_an_error_on_the_form(town, query, login_as):
    response = login_as(None).get(reverse("web:rulebook", args=["seed-library"]), query)
    assert response.status_code == 422
    assert 'class="error"' in text(response)


# --- emeritus maintainers ----------------------------------------------------------------------


@pytest.fixture
def emeritus_bob(town) -> Emeritus:
    """bob maintained the seed library beside alice and stepped back."""
    commons_services.maintainer_add(actor=town.alice, commons=town.seeds, agent=town.bob)
    return commons_services.maintainer_retire(commons=town.seeds, agent=town.bob, inactive_days=200)


def test_emeritus_maintainers_are_listed_and_come_back(town, emeritus_bob, login_as):
    url = reverse("web:rulebook", args=["seed-library"])
    come_back = reverse("web:maintainer_return", args=["seed-library"])
    page = text(login_as(None).get(url))
    assert "Emeritus maintainers" in page
    assert 'href="/agents/bob/"' in page.split('id="maintainers"')[1]
    assert come_back not in page  # only the emeritus person sees the button
    assert come_back not in text(login_as(town.dave).get(url))
    client = login_as(town.bob)
    assert come_back in text(client.get(url))
    response = client.post(come_back)
    assert response.status_code == 302
    assert response["Location"] == url + "#maintainers"
    assert commons_selectors.is_maintainer(town.bob, town.seeds)
    assert not Emeritus.objects.exists()


def test_only_the_emeritus_person_comes_back(town, emeritus_bob, login_as, unchanged):
    come_back = reverse("web:maintainer_return", args=["seed-library"])
    with unchanged():
        anonymous = login_as(None).post(come_back)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("web:login"))
        assert login_as(town.dave).post(come_back).status_code == 403
        assert login_as(town.carol).post(come_back).status_code == 403
        assert login_as(town.bob).get(come_back).status_code == 405


# --- the list of proposals ---------------------------------------------------------------------


def test_proposals_list_filters_by_status(town, login_as):
    kept = open_proposal(town, title="Keep this open")
    gone = open_proposal(town, title="Withdraw this", change=None)
    services.proposal_withdraw(actor=town.bob, proposal=gone)
    client = login_as(None)
    url = reverse("web:proposals", args=["seed-library"])
    page = text(client.get(url))
    assert "Keep this open" in page
    assert "Withdraw this" in page
    assert "Amend the rulebook: quorum" in page  # the change in words
    only_open = text(client.get(url, {"status": "open"}))
    assert "Keep this open" in only_open
    assert "Withdraw this" not in only_open
    only_withdrawn = text(client.get(url, {"status": "withdrawn"}))
    assert "Withdraw this" in only_withdrawn
    assert "Keep this open" not in only_withdrawn
    assert f'href="{reverse("web:proposal_detail", args=[kept.pk])}"' in page


def test_htmx_filter_request_gets_the_list(town, login_as):
    open_proposal(town)
    response = login_as(None).get(
        reverse("web:proposals", args=["seed-library"]),
        {"status": "open"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="proposals"' in text(response)


@pytest.mark.parametrize("query", [{"status": "maybe"}, {"next": "abc"}])
def test_proposals_list_refuses_bad_filters(town, query, login_as):
    response = login_as(None).get(reverse("web:proposals", args=["seed-library"]), query)
    assert response.status_code == 422


# --- the proposal form -------------------------------------------------------------------------


def new_url() -> str:
    return reverse("web:proposal_new", args=["seed-library"])


def post_proposal(client: Client, **fields: Any) -> Any:
    data = {"title": "A proposal", "text": "Because.", "method": "consent", **fields}
    return client.post(new_url(), data)


def test_every_input_of_the_proposal_form_is_named_once(town, login_as):
    """A browser sends every input it shows; two of one name would send the empty one too."""
    page = text(login_as(town.bob).get(new_url()))
    form = page[page.index('action="' + new_url()) :]
    names = re.findall(r'<(?:input|select|textarea)[^>]* name="([^"]+)"', form)
    assert "agent" in names
    assert len(names) == len(set(names))


def test_proposal_form_offers_what_the_rulebook_allows(town, login_as):
    rulebook_with(town, methods=(Method.CONSENT, Method.MAJORITY), default_method=Method.MAJORITY)
    page = text(login_as(town.bob).get(new_url()))
    assert '<option value="majority" selected>' in page
    assert '<option value="consent">' in page
    assert 'value="consensus"' not in page
    assert 'value="lazy_consensus"' not in page
    # the equation in force, ready to edit
    assert "&quot;buckets&quot;" in page
    assert "&quot;contributors&quot;" in page


def test_change_type_is_preselected_from_the_address(town, login_as):
    page = text(login_as(town.bob).get(new_url() + "?type=adopt_equation"))
    assert '<option value="adopt_equation" selected>' in page


def test_anonymous_is_sent_to_log_in_and_non_eligible_people_are_refused(town, login_as, unchanged):
    with unchanged():
        response = login_as(None).get(new_url())
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))
        response = login_as(None).post(new_url(), {"title": "x", "text": "y"})
        assert response.status_code == 302
        for person in (town.erin, town.carol):  # no accepted work here
            refused = login_as(person).get(new_url())
            assert refused.status_code == 403
            assert "accepted contribution" in text(refused)
            assert post_proposal(login_as(person)).status_code == 403


def test_maintainers_only_rulebook_refuses_contributors(town, login_as):
    rulebook_with(town, who_proposes="maintainers")
    assert login_as(town.bob).get(new_url()).status_code == 403
    assert login_as(town.alice).get(new_url()).status_code == 200


def test_a_proposal_without_a_change_opens(town, login_as):
    response = post_proposal(login_as(town.bob), title="Meet on Fridays", text="Let's meet.")
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:proposal_detail", args=[proposal.pk])
    assert (proposal.title, proposal.proposer, proposal.change) == (
        "Meet on Fridays",
        town.bob,
        None,
    )
    assert proposal.method == "consent"


@pytest.mark.parametrize(
    ("fields", "change"),
    [
        (
            {"change_type": "amend_rulebook", "rule": "quorum", "rule_value": "1/2"},
            {"type": "amend_rulebook", "set": {"quorum": "1/2"}},
        ),
        (
            {"change_type": "amend_rulebook", "rule": "duration_hours", "rule_value": "96"},
            {"type": "amend_rulebook", "set": {"duration_hours": 96}},
        ),
        (
            {"change_type": "amend_rulebook", "rule": "methods", "rule_value": "consent, majority"},
            {"type": "amend_rulebook", "set": {"methods": ["consent", "majority"]}},
        ),
        (
            {"change_type": "amend_rulebook", "rule": "override_blocks", "rule_value": "yes"},
            {"type": "amend_rulebook", "set": {"override_blocks": True}},
        ),
        (
            {"change_type": "amend_rulebook", "rule": "blocks_per_period", "rule_value": "2"},
            {"type": "amend_rulebook", "set": {"blocks_per_period": 2}},
        ),
        (
            {
                "change_type": "amend_rulebook",
                "rules_json": '{"quorum": "1/2", "lazy_consensus_hours": 48}',
            },
            {"type": "amend_rulebook", "set": {"quorum": "1/2", "lazy_consensus_hours": 48}},
        ),
        (
            {"change_type": "add_maintainer", "agent": "dave"},
            {"type": "add_maintainer", "agent": "dave"},
        ),
        (
            {"change_type": "remove_maintainer", "removed": "alice", "method": "majority"},
            None,  # the last maintainer: refused, see below
        ),
        (
            {"change_type": "set_approvals", "approvals_required": "2"},
            {"type": "set_approvals", "approvals_required": 2},
        ),
        (
            {
                "change_type": "change_licence",
                "profile": "CopyFair",
                "parameters": '{"threshold": 2}',
            },
            {
                "type": "change_licence",
                "profile": "CopyFair",
                "parameters": {
                    "threshold": 2,
                    "window_days": 365,
                    "fee_kind": "flat",
                    "fee": "500.00",
                    "currency": "EUR",
                },
            },
        ),
        (
            {
                "change_type": "create_working_group",
                "group_slug": "seed-swap",
                "group_name": "Seed swap",
                "mandate": "Run the spring swap.",
                "members": "bob, dave",
                "spending_cap": "200",
                "currency": "EUR",
                "cap_period_days": "30",
            },
            {
                "type": "create_working_group",
                "slug": "seed-swap",
                "name": "Seed swap",
                "mandate": "Run the spring swap.",
                "members": ["bob", "dave"],
                "spending_cap": "200.00",
                "currency": "EUR",
                "cap_period_days": 30,
            },
        ),
    ],
    ids=[
        "share",
        "hours",
        "methods",
        "flag",
        "blocks",
        "several rules",
        "add maintainer",
        "remove last maintainer",
        "approvals",
        "licence",
        "working group",
    ],
)
def test_each_kind_of_change_is_built_from_its_fields(town, fields, change, login_as, unchanged):
    client = login_as(town.bob)
    if change is None:
        with unchanged():
            response = post_proposal(client, **fields)
        assert response.status_code == 422
        assert "alice is the last maintainer of seed-library." in text(response)
        return
    if fields.get("change_type") == "set_approvals":  # two approvals need two maintainers
        commons_services.maintainer_add(actor=town.alice, commons=town.seeds, agent=town.dave)
    response = post_proposal(client, **fields)
    assert response.status_code == 302, text(response)
    assert Proposal.objects.get().change == change


def test_an_equation_proposal_carries_the_equation(town, login_as):
    response = post_proposal(
        login_as(town.bob), change_type="adopt_equation", equation=json.dumps(EQUATION)
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.change["type"] == "adopt_equation"
    assert proposal.change["equation"]["rates"] == {"hour": "30"}


def test_approving_an_expense_offers_the_pending_claims(town, login_as):
    claim = ledger.expense_submit(
        actor=town.dave, commons=town.seeds, amount="12", currency="EUR", description="Envelopes"
    )
    paid_elsewhere = ledger.expense_submit(
        actor=town.carol, commons=town.other, amount="5", currency="EUR", description="Stamps"
    )
    client = login_as(town.bob)
    page = text(client.get(new_url()))
    assert f'<option value="{claim.pk}">#{claim.pk} — €12.00 — dave: Envelopes</option>' in page
    assert "Stamps" not in page
    refused = post_proposal(client, change_type="approve_expense", expense=str(paid_elsewhere.pk))
    assert refused.status_code == 422
    response = post_proposal(client, change_type="approve_expense", expense=str(claim.pk))
    assert response.status_code == 302
    assert Proposal.objects.get().change == {"type": "approve_expense", "expense": claim.pk}
    assert Expense.objects.get(pk=claim.pk).status == "pending"  # until the decision


def test_closing_a_working_group_offers_the_open_ones(town, login_as):
    commons_services.working_group_create(
        actor=town.alice,
        commons=town.seeds,
        group={"slug": "archive", "name": "Archive", "mandate": "Keep the archive.", "members": []},
    )
    client = login_as(town.bob)
    assert '<option value="archive">archive</option>' in text(client.get(new_url()))
    response = post_proposal(client, change_type="close_working_group", close_group="archive")
    assert response.status_code == 302
    assert Proposal.objects.get().change == {"type": "close_working_group", "slug": "archive"}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"method": "majority-ish"}, "method", "Select a valid choice."),
        ({"review_on": "2001-01-01"}, "review_on", "A review date lies in the future."),
        ({"change_type": "teleport"}, "change_type", "Select a valid choice."),
        (
            {"change_type": "amend_rulebook", "rule": "quorum", "rule_value": "lots"},
            "rule_value",
            "quorum: A share such as",
        ),
        (
            {"change_type": "amend_rulebook", "rule": "quorum", "rule_value": "1/3"},
            "rule_value",
            "These values are the rules already in force.",
        ),
        ({"change_type": "amend_rulebook", "rule": "quorum"}, "rule_value", "required for"),
        (
            {"change_type": "amend_rulebook", "rules_json": '{"quorum": '},
            "rules_json",
            "This is not valid JSON",
        ),
        (
            {"change_type": "amend_rulebook", "rules_json": '{"speed": 3}'},
            "rules_json",
            "speed: No such rule.",
        ),
        (
            {
                "change_type": "amend_rulebook",
                "rules_json": '{"maintainers_may": ["amend_rulebook"]}',
            },
            "rules_json",
            "The rulebook itself changes only by an adopted proposal.",
        ),
        ({"change_type": "adopt_equation", "equation": "[1, 2"}, "equation", "not valid JSON"),
        (
            {"change_type": "adopt_equation", "equation": "{}"},
            "equation",
            "buckets: Give between 1 and 20 buckets.",
        ),
        ({"change_type": "add_maintainer", "agent": "nobody"}, "agent", "No person is named"),
        ({"change_type": "add_maintainer", "agent": "alice"}, None, "alice already maintains"),
        ({"change_type": "add_maintainer"}, "agent", "required for"),
        ({"change_type": "change_licence", "profile": "WTFPL-9"}, "profile", "valid choice"),
        (
            {
                "change_type": "change_licence",
                "profile": "CopyFair",
                "parameters": '{"threshold": 0}',
            },
            "parameters",
            "threshold: Give a whole number from 1",
        ),
        (
            {"change_type": "change_licence", "profile": "MIT", "parameters": '{"fee": "1"}'},
            "parameters",
            "MIT takes no parameters.",
        ),
        (
            {
                "change_type": "create_working_group",
                "group_slug": "Bad Slug",
                "group_name": "x",
                "mandate": "y",
            },
            "group_slug",
            "Use 1 to 50 lowercase letters",
        ),
        (
            {
                "change_type": "create_working_group",
                "group_slug": "swap",
                "group_name": "Swap",
                "mandate": "Swap seeds.",
                "members": "bob, ghost",
            },
            "members",
            "No person is named &#x27;ghost&#x27;.",
        ),
        (
            {
                "change_type": "create_working_group",
                "group_slug": "swap",
                "group_name": "Swap",
                "mandate": "Swap seeds.",
                "spending_cap": "-3",
                "currency": "EUR",
            },
            "spending_cap",
            "Give a positive decimal amount",
        ),
        ({"change_type": "close_working_group", "close_group": "nope"}, "close_group", "valid"),
    ],
)
def test_errors_show_on_the_form_and_nothing_is_written(
    town, fields, field, message, login_as, unchanged
):
    with unchanged():
        response = post_proposal(login_as(town.bob), **fields)
    assert response.status_code in (409, 422)
    page = text(response)
    assert message in page, page
    if field is not None:
        # under the field it is about
        assert message in page.split(f'for="id_{field}"')[1].split('class="field')[0]
    if "title" not in fields:
        assert 'value="A proposal"' in page  # what the person typed is kept


# --- the proposal page -------------------------------------------------------------------------


def detail(proposal: Proposal) -> str:
    return reverse("web:proposal_detail", args=[proposal.pk])


def act(name: str, proposal: Proposal) -> str:
    return reverse(f"web:{name}", args=[proposal.pk])


def test_proposal_page_says_what_how_and_where_it_stands(town, login_as):
    proposal = open_proposal(town)
    page = text(login_as(None).get(detail(proposal)))
    assert "Lower the quorum" in page
    assert "Fewer of us vote than we thought." in page
    assert 'href="/agents/bob/"' in page
    assert "Amend the rulebook: quorum" in page
    # the rule, what it is now and what is proposed
    assert "<td>33.3 %</td><td><strong>25 %</strong></td>" in page
    assert "Consent: the proposal passes when its period" in page
    assert "The period is still running." in page
    assert "0 of 3 eligible" in page  # alice, bob and dave
    assert "Nobody has voted yet." in page
    # anonymous readers get no form, but a way to log in
    assert act("proposal_vote", proposal) not in page
    assert "Log in to vote, if you are eligible" in page


def test_a_majority_proposal_shows_its_quorum_and_threshold(town, login_as):
    proposal = open_proposal(town, method="majority")
    services.vote_cast(actor=town.dave, proposal=proposal, position="yes")
    services.vote_cast(actor=town.alice, proposal=proposal, position="abstain")
    page = text(login_as(None).get(detail(proposal)))
    assert "Majority: when the vote (168 hours (7 days)) ends" in page
    assert "Quorum: 33.3 % of the 3 eligible, that is 1 vote." in page
    assert "Threshold: more than half of the yes and no votes." in page
    assert "<dt>yes</dt><dd>1</dd>" in page
    assert "<dt>abstain</dt><dd>1</dd>" in page
    assert "2 of 3 eligible" in page


def test_an_eligible_person_votes(town, login_as):
    proposal = open_proposal(town)
    client = login_as(town.dave)
    page = text(client.get(detail(proposal)))
    assert act("proposal_vote", proposal) in page
    # consent offers its positions, and no others
    assert 'value="agree"' in page
    assert 'value="object"' in page
    assert 'value="stand_aside"' in page
    assert 'value="yes"' not in page
    assert 'value="block"' not in page
    response = client.post(act("proposal_vote", proposal), {"position": "agree", "reason": ""})
    assert response.status_code == 302
    assert response["Location"] == detail(proposal) + "#votes"
    vote = Vote.objects.get()
    assert (vote.voter, vote.position, vote.round) == (town.dave, "agree", 1)
    after = text(client.get(detail(proposal)))
    assert "You voted: agree." in after
    assert act("proposal_vote", proposal) not in after  # one vote per round


@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 302), ("dave", 302), ("erin", 403), ("carol", 403)],
    ids=["maintainer", "contributor", "no accepted work", "other commons' maintainer"],
)
def test_who_votes_matrix(town, who, status, login_as):
    proposal = open_proposal(town)
    response = login_as(getattr(town, who)).post(
        act("proposal_vote", proposal), {"position": "agree"}
    )
    assert response.status_code == status
    assert Vote.objects.filter(voter=getattr(town, who)).exists() == (status == 302)


def test_an_objection_needs_a_reason(town, login_as, unchanged):
    proposal = open_proposal(town)
    with unchanged():
        response = login_as(town.dave).post(
            act("proposal_vote", proposal), {"position": "object", "reason": "  "}
        )
    assert response.status_code == 422
    page = text(response)
    assert "Say why: an objection always carries a reason." in page
    assert re.search(r'value="object"[^>]* checked', page)  # the choice is kept


@pytest.mark.parametrize("position", ["yes", "block", "maybe", ""])
def test_positions_the_method_does_not_allow_are_refused(town, position, login_as, unchanged):
    proposal = open_proposal(town)
    with unchanged():
        response = login_as(town.dave).post(
            act("proposal_vote", proposal), {"position": position, "reason": "because"}
        )
    assert response.status_code == 422


def test_voting_twice_is_refused_on_the_page(town, login_as, unchanged):
    proposal = open_proposal(town)
    client = login_as(town.dave)
    client.post(act("proposal_vote", proposal), {"position": "agree"})
    with unchanged():
        response = client.post(
            act("proposal_vote", proposal), {"position": "object", "reason": "x"}
        )
    assert response.status_code == 409
    assert "You have already voted in this round." in text(response)


def test_who_may_not_vote_is_refused(town, login_as, unchanged):
    """The electorate is fixed when the proposal opens: a newcomer, a maintainer of another
    commons, and even someone who became eligible afterwards, are refused; anonymous is sent to
    log in."""
    proposal = open_proposal(town)
    town.clock.advance(hours=1)
    accept_work(town.seeds, town.alice, town.erin)  # eligible from now on, not for this one
    vote = act("proposal_vote", proposal)
    with unchanged():
        for person in (town.erin, town.carol):
            page = text(login_as(person).get(detail(proposal)))
            assert vote not in page
            assert "You are not among those who may vote on it" in page
            response = login_as(person).post(vote, {"position": "agree"})
            assert response.status_code == 403
            assert "decided by those eligible when it opened" in text(response)
        anonymous = login_as(None).post(vote, {"position": "agree"})
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("web:login"))
        assert login_as(town.dave).get(vote).status_code == 405


def test_an_objector_withdraws_the_objection(town, login_as, unchanged):
    proposal = open_proposal(town)
    services.vote_cast(actor=town.dave, proposal=proposal, position="object", reason="Too low")
    client = login_as(town.dave)
    page = text(client.get(detail(proposal)))
    assert "Too low" in page
    assert "Standing objections" in page
    withdraw = act("objection_withdraw", proposal)
    assert withdraw in page
    with unchanged():  # someone with no objection has nothing to withdraw
        refused = login_as(town.alice).post(withdraw)
        assert refused.status_code == 409
        assert "You have no standing objection or block on this proposal." in text(refused)
    assert client.post(withdraw).status_code == 302
    assert Vote.objects.get().withdrawn
    after = text(client.get(detail(proposal)))
    assert '<del>object</del> <span class="status withdrawn">withdrawn</span>' in after
    assert "Standing objections" not in after
    assert withdraw not in after


def test_the_proposer_amends_a_consent_proposal(town, login_as, unchanged):
    proposal = open_proposal(town)
    services.vote_cast(actor=town.dave, proposal=proposal, position="object", reason="Too low")
    services.vote_cast(actor=town.alice, proposal=proposal, position="agree")
    amend = act("proposal_amend", proposal)
    assert amend not in text(login_as(town.dave).get(detail(proposal)))
    with unchanged():
        assert login_as(town.dave).post(amend, {"text": "Mine now"}).status_code == 403
        empty = login_as(town.bob).post(amend, {"text": ""})
        assert empty.status_code == 422
        retyped = login_as(town.bob).post(
            amend, {"text": "Lower it a bit.", "change": '{"type": "add_maintainer", "agent": "x"}'}
        )
        assert retyped.status_code == 422
        assert "An amendment keeps the type of change." in text(retyped)
    client = login_as(town.bob)
    assert amend in text(client.get(detail(proposal)))
    response = client.post(
        amend,
        {
            "title": "Lower the quorum a bit",
            "text": "Lower it a bit.",
            "change": '{"type": "amend_rulebook", "set": {"quorum": "3/10"}}',
        },
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.round, proposal.title, proposal.text) == (
        2,
        "Lower the quorum a bit",
        "Lower it a bit.",
    )
    assert proposal.change == {"type": "amend_rulebook", "set": {"quorum": "3/10"}}
    page = text(client.get(detail(proposal)))
    assert "Round 1" in page
    assert "Round 2" in page
    # the objection stands into the new round, the consent does not
    assert list(Vote.objects.filter(round=2).values_list("voter__name", "position")) == [
        ("dave", "object")
    ]


def test_amending_only_the_text_keeps_the_change(town, login_as):
    proposal = open_proposal(town)
    change = proposal.change
    response = login_as(town.bob).post(
        act("proposal_amend", proposal), {"text": "New words.", "change": json.dumps(change)}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.round, proposal.text, proposal.change) == (2, "New words.", change)


def test_a_consensus_goes_to_a_second_round(town, login_as, unchanged):
    proposal = open_proposal(town, method="consensus")
    services.vote_cast(actor=town.dave, proposal=proposal, position="block", reason="Not yet")
    town.clock.advance(days=8)
    close = act("proposal_close", proposal)
    page = text(login_as(town.alice).get(detail(proposal)))
    assert "Its period has ended." in page
    assert close in page
    assert login_as(town.alice).post(close).status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.second_round_possible) == ("failed", True)
    second = act("proposal_second_round", proposal)
    page = text(login_as(town.bob).get(detail(proposal)))
    assert "it may go to a second round" in page
    assert second in page
    assert second not in text(login_as(town.dave).get(detail(proposal)))
    with unchanged():
        assert login_as(town.dave).post(second).status_code == 403
    assert login_as(town.bob).post(second).status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.round) == ("open", 2)
    page = text(login_as(None).get(detail(proposal)))
    assert "Threshold: at least 90 % of the votes cast, standing aside apart." in page


def test_the_proposer_withdraws(town, login_as, unchanged):
    proposal = open_proposal(town)
    withdraw = act("proposal_withdraw", proposal)
    with unchanged():
        assert login_as(town.dave).post(withdraw).status_code == 403
        assert login_as(town.alice).post(withdraw).status_code == 403  # even a maintainer
    assert login_as(town.bob).post(withdraw).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"
    page = text(login_as(town.bob).get(detail(proposal)))
    assert withdraw not in page
    with unchanged():
        assert login_as(town.bob).post(withdraw).status_code == 409


def test_closing_before_the_end_is_refused_and_after_it_decides(town, login_as, unchanged):
    proposal = open_proposal(town, change={"type": "add_maintainer", "agent": "dave"})
    close = act("proposal_close", proposal)
    assert close not in text(login_as(town.bob).get(detail(proposal)))
    with unchanged():
        early = login_as(town.bob).post(close)
        assert early.status_code == 409
        assert "Its period has not ended yet" in text(early)
        assert login_as(None).post(close).status_code == 302  # to log in
    town.clock.advance(days=8)
    assert login_as(town.erin).post(close).status_code == 302  # anyone logged in may ask
    proposal.refresh_from_db()
    assert proposal.status == "passed"
    page = text(login_as(None).get(detail(proposal)))
    assert "The period ended with no unresolved objection." in page
    assert "What was applied" in page
    assert '<a href="/agents/dave/">dave maintains it</a>' in page
    assert commons_selectors.is_maintainer(town.dave, town.seeds)


def test_an_equation_proposal_shows_who_would_receive_what(town, login_as):
    donation = ledger.income_record(
        actor=town.alice, commons=town.seeds, kind="donation", amount="100", currency="EUR"
    )
    ledger.distribution_run(actor=town.alice, commons=town.seeds, income=donation)
    weighted = {
        "rates": {"hour": "30"},
        "buckets": [
            {
                "name": "bob",
                "percent": "50",
                "to": "agent",
                "agent": "bob",
            },
            {
                "name": "contributors",
                "percent": "100",
                "of": "remaining",
                "to": "contributors",
                "rules": [{"action": "work", "value": "quantity * hour", "claim": "equity"}],
            },
        ],
    }
    proposal = open_proposal(town, change={"type": "adopt_equation", "equation": weighted})
    page = text(login_as(None).get(detail(proposal)))
    assert "Adopt a new value equation" in page
    assert "Who would receive what" in page
    impact = page.split('id="impact"')[1]
    # bob and dave shared €90 (a tenth waits for upstreams); with half the income fixed for
    # bob, he would get €75 and dave €25
    assert '<tr class="gain">\n            <td>bob</td>' in impact
    assert "+€30.00" in impact
    assert '<tr class="loss">\n            <td>dave</td>' in impact
    assert "-€20.00" in impact
    assert "0 of 3 eligible" in page  # shown before anyone votes


def test_a_merit_nomination_shows_its_evidence(town, login_as):
    rulebook_with(town, promotion_contributions=1, promotion_days=0)
    nominations = services.merit_run(commons=town.seeds).nominations
    proposal = Proposal.objects.get(pk=nominations[0])
    page = text(login_as(None).get(detail(proposal)))
    assert "the merit job, which nominates people" in page
    assert "The evidence of the nomination" in page
    assert "<dt>Accepted contributions</dt><dd>1</dd>" in page
    assert "at least 1 accepted contributions over at least 0 days" in page
    listing = text(login_as(None).get(reverse("web:proposals", args=["seed-library"])))
    assert "the merit job" in listing


def test_proposal_page_in_french(town, login_as):
    proposal = open_proposal(town, method="majority")
    services.vote_cast(actor=town.dave, proposal=proposal, position="yes")
    page = text(login_as(town.alice).get(detail(proposal), headers={"Accept-Language": "fr"}))
    assert '<html lang="fr">' in page
    assert "Modifier le règlement : quorum" in page
    assert "Comment c’est décidé" in page
    assert "Le vote est encore ouvert." in page  # the method's reason, translated
    assert "33,3 %" in page  # French decimal mark
    assert "<dt>oui</dt><dd>1</dd>" in page
    assert "Votre vote" in page
    assert "Discussion" in page


def test_csrf_is_enforced_on_governance_forms(town):
    proposal = open_proposal(town)
    client = Client(enforce_csrf_checks=True)
    assert town.dave.user is not None
    client.force_login(town.dave.user)
    before = governance_snapshot()
    for url, data in (
        (act("proposal_vote", proposal), {"position": "agree"}),
        (act("proposal_comment", proposal), {"text": "Hello"}),
        (reverse("web:commons_discussion", args=["seed-library"]), {"text": "Hello"}),
        (new_url(), {"title": "x", "text": "y", "method": "consent"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert governance_snapshot() == before


# --- discussions -------------------------------------------------------------------------------


def test_a_discussion_on_the_commons_page_with_replies(town, login_as):
    client = login_as(town.bob)
    post = reverse("web:commons_discussion", args=["seed-library"])
    page = text(client.get(reverse("web:commons_detail", args=["seed-library"])))
    assert f'action="{post}"' in page
    response = client.post(post, {"text": "Who waters the beans?"})
    first = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/commons/seed-library/#comment-{first.pk}"
    assert (first.author, first.proposal, first.contribution, first.parent) == (
        town.bob,
        None,
        None,
        None,
    )
    reply = login_as(town.dave).post(post, {"text": "I do, on Mondays.", "parent": first.pk})
    assert reply.status_code == 302
    second = Comment.objects.get(parent=first)
    page = text(login_as(None).get(reverse("web:commons_detail", args=["seed-library"])))
    # the reply sits under its parent, one step in
    assert page.index(f'id="comment-{first.pk}"') < page.index(f'id="comment-{second.pk}"')
    assert f'id="comment-{first.pk}" class="message" style="margin-left: 0.0rem;' in page
    assert f'id="comment-{second.pk}" class="message" style="margin-left: 1.5rem;' in page
    assert "I do, on Mondays." in page
    assert "Log in to take part in the discussion" in page  # anonymous: no form
    assert 'name="parent"' not in page


def test_a_discussion_on_a_contribution(town, contribution, login_as):
    post = reverse("web:contribution_discussion", args=[contribution.pk])
    client = login_as(town.alice)
    assert f'action="{post}"' in text(
        client.get(reverse("web:contribution_detail", args=[contribution.pk]))
    )
    response = client.post(post, {"text": "Which drawers?"})
    comment = Comment.objects.get()
    assert response["Location"] == f"/contributions/{contribution.pk}/#comment-{comment.pk}"
    assert comment.contribution == contribution
    page = text(login_as(None).get(reverse("web:contribution_detail", args=[contribution.pk])))
    assert "Which drawers?" in page
    # the commons' own discussion does not show it
    commons_page = text(login_as(None).get(reverse("web:commons_detail", args=["seed-library"])))
    assert "Which drawers?" not in commons_page.split('id="discussion"')[1].split("</section>")[0]


def test_a_discussion_on_a_proposal(town, login_as):
    proposal = open_proposal(town)
    post = act("proposal_comment", proposal)
    client = login_as(town.erin)  # anyone with an account speaks, voter or not
    assert f'action="{post}"' in text(client.get(detail(proposal)))
    response = client.post(post, {"text": "Why a quarter?"})
    comment = Comment.objects.get()
    assert response["Location"] == detail(proposal) + f"#comment-{comment.pk}"
    assert comment.proposal == proposal
    client.post(post, {"text": "And not a third?", "parent": comment.pk})
    page = text(login_as(None).get(detail(proposal)))
    assert "Why a quarter?" in page
    assert "And not a third?" in page
    assert 'style="margin-left: 1.5rem;' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "   "}, "This field is required."),
        ({"text": "x" * 10_001}, "at most 10000 characters"),
        ({"text": "Hi", "parent": "999999"}, "The message you answer does not exist."),
        ({"text": "Hi", "parent": "abc"}, "The message you answer does not exist."),
    ],
)
def test_bad_messages_are_refused_on_the_form(town, data, message, login_as, unchanged):
    proposal = open_proposal(town)
    client = login_as(town.bob)
    with unchanged():
        for url in (
            reverse("web:commons_discussion", args=["seed-library"]),
            act("proposal_comment", proposal),
        ):
            response = client.post(url, data)
            assert response.status_code == 422, url
            assert message in text(response), url


def test_a_reply_stays_in_its_thread(town, contribution, login_as, unchanged):
    """A message of the commons' discussion cannot be answered from a proposal's thread."""
    proposal = open_proposal(town)
    elsewhere = services.comment_post(actor=town.dave, commons=town.seeds, text="General")
    with unchanged():
        for url in (
            act("proposal_comment", proposal),
            reverse("web:contribution_discussion", args=[contribution.pk]),
        ):
            response = login_as(town.bob).post(url, {"text": "Hi", "parent": elsewhere.pk})
            assert response.status_code == 422
            assert "A reply belongs to the thread of the message it answers." in text(response)


def test_a_failed_post_keeps_the_text_on_the_discussion_page(town, login_as):
    url = reverse("web:commons_discussion", args=["seed-library"])
    services.comment_post(actor=town.dave, commons=town.seeds, text="Earlier message")
    response = login_as(town.bob).post(url, {"text": "Hi", "parent": "999999"})
    page = text(response)
    assert "Earlier message" in page  # the thread is still there
    assert "Hi</textarea>" in page


def test_anonymous_posts_are_sent_to_log_in(town, contribution, login_as, unchanged):
    proposal = open_proposal(town)
    with unchanged():
        for url in (
            reverse("web:commons_discussion", args=["seed-library"]),
            reverse("web:contribution_discussion", args=[contribution.pk]),
            act("proposal_comment", proposal),
        ):
            for data in ({"text": "Hello"}, {"text": ""}):  # asked to log in before all else
                response = login_as(None).post(url, data)
                assert response.status_code == 302, url
                assert response["Location"].startswith(reverse("web:login")), url


# --- working groups ----------------------------------------------------------------------------


def test_working_groups_show_mandate_members_cap_and_spending(town, login_as):
    group = commons_services.working_group_create(
        actor=town.alice,
        commons=town.seeds,
        group={
            "slug": "seed-swap",
            "name": "Seed swap",
            "mandate": "Run the spring swap.",
            "members": ["bob", "dave"],
            "spending_cap": "200.00",
            "currency": "EUR",
            "cap_period_days": 30,
        },
    )
    ledger.income_record(
        actor=town.alice, commons=town.seeds, kind="donation", amount="500", currency="EUR"
    )
    old = ledger.expense_submit(
        actor=town.bob,
        commons=town.seeds,
        amount="100",
        currency="EUR",
        description="Last month's stand",
        working_group=group,
    )
    ledger.expense_approve(actor=town.alice, expense=old)
    town.clock.advance(days=31)  # that one is out of the current period
    recent = ledger.expense_submit(
        actor=town.dave,
        commons=town.seeds,
        amount="30",
        currency="EUR",
        description="Envelopes",
        working_group=group,
    )
    ledger.expense_approve(actor=town.alice, expense=recent)
    ledger.expense_submit(  # pending: not spent yet
        actor=town.dave,
        commons=town.seeds,
        amount="20",
        currency="EUR",
        description="Labels",
        working_group=group,
    )
    commons_services.working_group_create(
        actor=town.alice,
        commons=town.seeds,
        group={"slug": "archive", "name": "Archive", "mandate": "Keep old seeds.", "members": []},
    )
    commons_services.working_group_close(actor=town.alice, commons=town.seeds, slug="archive")
    page = text(login_as(None).get(reverse("web:working_groups", args=["seed-library"])))
    swap = page.split('id="group-seed-swap"')[1].split("</section>")[0]
    assert "Run the spring swap." in swap
    assert 'href="/agents/bob/"' in swap
    assert 'href="/agents/dave/"' in swap
    assert "€200.00 per 30 days" in swap
    assert "<dd>€30.00 · €170.00 left</dd>" in swap
    closed = page.split('id="closed"')[1]
    assert "Archive" in closed
    assert "Keep old seeds." in closed
    assert "Archive" not in page.split('id="closed"')[0].split("</h1>")[1]


def test_no_working_group_yet(town, login_as):
    page = text(login_as(None).get(reverse("web:working_groups", args=["other"])))
    assert "No working group yet." in page


# --- query-count guards ------------------------------------------------------------------------

# Budgets hold for both sizes; an N+1 on votes, messages, versions or members would exceed
# them. A logged-in visitor costs three of them (session, user, agent).
PROPOSAL_PAGE = 11
RULEBOOK_PAGE = 9
PROPOSALS_PAGE = 2
WORKING_GROUPS_PAGE = 5


@pytest.fixture(params=[3, 30], ids=["3 people", "30 people"])
def busy(request, town, make_person) -> SimpleNamespace:
    """`param` people with accepted work who all vote on a proposal and talk about it, in
    threads; as many rulebook versions; as many working groups with members."""
    people = [make_person(f"voter{i}") for i in range(request.param)]
    for person in people:
        accept_work(town.seeds, town.alice, person)
    town.clock.advance(hours=1)
    proposal = open_proposal(town, method="majority")
    parent = None
    for i, person in enumerate(people):
        services.vote_cast(
            actor=person, proposal=proposal, position="yes" if i % 3 else "no", reason=f"r{i}"
        )
        parent = services.comment_post(
            actor=person,
            commons=town.seeds,
            proposal=proposal,
            text=f"message {i}",
            parent=parent if i % 2 else None,
        )
        rulebook_with(town, eligibility_days=100 + i)
        commons_services.working_group_create(
            actor=town.alice,
            commons=town.seeds,
            group={
                "slug": f"group-{i}",
                "name": f"Group {i}",
                "mandate": "Work.",
                "members": [person.name, "bob"],
                "spending_cap": "100.00",
                "currency": "EUR",
                "cap_period_days": 30,
            },
        )
        open_proposal(town, title=f"Proposal {i}", actor=person)
    return SimpleNamespace(proposal=proposal, size=request.param)


@pytest.mark.parametrize("who", ["anonymous", "voter"])
def test_proposal_page_queries(busy, who, town, login_as, django_assert_max_num_queries):
    client = login_as(town.dave if who == "voter" else None)
    with django_assert_max_num_queries(PROPOSAL_PAGE):
        response = client.get(detail(busy.proposal))
    assert response.status_code == 200
    assert len(response.context["thread"]) == busy.size
    assert sum(len(r.votes) for r in response.context["rounds"]) == busy.size


@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_rulebook_page_queries(busy, who, town, login_as, django_assert_max_num_queries):
    client = login_as(town.alice if who == "alice" else None)
    url = reverse("web:rulebook", args=["seed-library"])
    with django_assert_max_num_queries(RULEBOOK_PAGE):
        response = client.get(url, {"from": "1", "to": str(busy.size + 1)})
    assert response.status_code == 200
    assert len(response.context["history"]) == busy.size + 1


def test_proposals_and_working_groups_queries(busy, login_as, django_assert_max_num_queries):
    client = login_as(None)
    with django_assert_max_num_queries(PROPOSALS_PAGE):
        listing = client.get(reverse("web:proposals", args=["seed-library"]))
    assert len(listing.context["lines"]) == busy.size + 1
    with django_assert_max_num_queries(WORKING_GROUPS_PAGE):
        groups = client.get(reverse("web:working_groups", args=["seed-library"]))
    assert len(groups.context["open_groups"]) == busy.size


# --- French ------------------------------------------------------------------------------------


def test_every_rule_description_and_fixed_message_has_a_french_text():
    """The pages show the rulebook's descriptions and the methods' fixed reasons through the
    catalogue: the list the catalogue is made from follows the rulebook, and none falls back
    to English."""
    from django.utils import translation

    from communs.domain import rulebook
    from communs.web import governance_forms

    assert list(governance_forms.RULE_DESCRIPTIONS) == list(rulebook.DESCRIPTIONS.values())
    texts = [*governance_forms.RULE_DESCRIPTIONS, *governance_forms.GOVERNANCE_MESSAGES]
    with translation.override("fr"):
        untranslated = [t for t in texts if translation.gettext(t) == t]
    assert untranslated == []


def test_rulebook_and_working_groups_in_french(town, login_as):
    client = login_as(None)
    page = text(
        client.get(
            reverse("web:rulebook", args=["seed-library"]), headers={"Accept-Language": "fr"}
        )
    )
    assert '<html lang="fr">' in page
    assert "Règles en vigueur" in page
    assert "Quorum des votes à la majorité, part des personnes habilitées" in page
    assert "168 heures (7 jours)" in page
    assert "Règles de la fondation" in page
    assert "Proposer un changement des règles" in page
    groups = text(
        client.get(
            reverse("web:working_groups", args=["seed-library"]),
            headers={"Accept-Language": "fr"},
        )
    )
    assert "Aucun groupe de travail pour l’instant." in groups


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "amend_rulebook", "set": {"quorum": "1/2", "duration_hours": 96}},
        {"type": "adopt_equation", "equation": EQUATION},
        {"type": "change_licence", "profile": "MIT"},
        {"type": "add_maintainer", "agent": "dave"},
        {"type": "remove_maintainer", "agent": "dave"},
        {"type": "approve_expense", "expense": 7},
        {"type": "set_approvals", "approvals_required": 2},
        {"type": "create_working_group", "slug": "swap", "name": "Swap", "mandate": "Swap."},
        {"type": "close_working_group", "slug": "swap"},
    ],
    ids=lambda raw: raw["type"],
)
def test_the_change_in_words_says_what_the_domain_says(raw):
    """The pages word a change through the catalogue; in English it is `Change.summary()`."""
    from django.utils import translation

    from communs.domain import changes
    from communs.web.governance_views import change_in_words

    change = changes.parse(raw)
    with translation.override("en"):
        # the same words, with a real plural where the domain writes "(s)"
        assert change_in_words(change) == change.summary().replace("approval(s)", "approvals")
