"""The licence engine's services and selectors: "has contributed" read from the ledger, legal
facts and who may vouch for them, logged evaluations, versioned profiles, and grants bought
with a licence fee."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core import eventlog
from communs.core.models import Event
from communs.domain import licences
from communs.domain.errors import Conflict, Forbidden, Invalid, NotFound
from communs.ledger import selectors as ledger_selectors
from communs.ledger import services as ledger_services
from communs.ledger.models import Income, Transaction
from communs.licensing import selectors, services
from communs.licensing.models import Evaluation, Evidence, Grant, ProfileVersion, Verification
from tests.conftest import Clock

from .conftest import Roles, accept, copyfair, organisation, submit

pytestmark = pytest.mark.django_db

Unchanged = Callable[[], AbstractContextManager[None]]
FLAT_FEE = 50_000  # CopyFair's default fee, "500.00" EUR, in cents
SEED = eventlog.commons_stream("seed-library")
V, D, N = licences.Evidence.VERIFIED, licences.Evidence.DECLARED, licences.Evidence.NO


def rule(profile: str, rule_id: str) -> licences.Rule:
    """A rule as the profile's data states it, to compare stored clauses and reasons with."""
    return next(r for r in licences.PROFILES[profile].rules if r.id == rule_id)


def ask(
    actor: Agent,
    commons: Commons,
    *,
    organisation: Agent | None = None,
    commercial: bool = True,
    distributes: bool = False,
    revenue: object = None,
) -> Evaluation:
    return services.usage_evaluate(
        actor=actor,
        commons=commons,
        commercial=commercial,
        distributes=distributes,
        organisation=organisation,
        declared_revenue=revenue,
    )


def last_event(stream: str) -> dict[str, Any]:
    event = Event.objects.filter(stream_id=stream).order_by("-seq").first()
    assert event is not None
    body: dict[str, Any] = event.body
    return body


def issue(actor: Agent, commons: Commons, grantee: Agent, amount: str = "500.00") -> Grant:
    return services.grant_issue(
        actor=actor, commons=commons, grantee=grantee, amount=amount, currency="EUR"
    )


# --- "has contributed" is read from the ledger ------------------------------------------------


def test_a_persons_accepted_contributions_within_the_window_make_them_a_contributor(
    roles: Roles, make_person: Callable[..., Agent]
) -> None:
    copyfair(roles.maintainer, roles.commons, threshold=2, window_days=30)
    hank = make_person("hank")
    accept(roles.maintainer, roles.commons, hank)

    first = ask(hank, roles.commons)
    assert first.inputs["accepted_contributions"] == 1
    assert (first.inputs["threshold"], first.inputs["window_days"]) == (2, 30)
    assert first.inputs["contributed"] == "no"
    assert (first.outcome, first.rule) == ("RECIPROCITY_REQUIRED", "copyfair.reciprocity")

    accept(roles.maintainer, roles.commons, hank)
    second = ask(hank, roles.commons)
    assert second.inputs["accepted_contributions"] == 2
    assert second.inputs["contributed"] == "yes"
    assert (second.outcome, second.rule) == ("PERMITTED", "copyfair.contributor")
    assert second.fee is None


def _rejected(r: Roles, person: Agent) -> None:
    row = submit(r.commons, person)
    commons_services.contribution_reject(actor=r.maintainer, contribution=row, reason="Not ours")


def _withdrawn(r: Roles, person: Agent) -> None:
    row = submit(r.commons, person)
    commons_services.contribution_withdraw(actor=person, contribution=row)


def _elsewhere(r: Roles, person: Agent) -> None:
    other = Commons.objects.get(slug="other")
    accept(r.other_maintainer, other, person)


def _too_old(r: Roles, person: Agent) -> None:
    long_ago = r.commons.created_at - timedelta(days=31)
    accept(r.maintainer, r.commons, person, occurred_at=long_ago)


@pytest.mark.parametrize(
    "make",
    [
        lambda r, p: submit(r.commons, p),
        _rejected,
        _withdrawn,
        _elsewhere,
        _too_old,
    ],
    ids=["submitted", "rejected", "withdrawn", "other-commons", "outside-window"],
)
def test_only_accepted_contributions_to_this_commons_within_the_window_count(
    roles: Roles, make_person: Callable[..., Agent], make: Callable[[Roles, Agent], None]
) -> None:
    copyfair(roles.maintainer, roles.commons, threshold=1, window_days=30)
    hank = make_person("hank")
    make(roles, hank)

    before = ask(hank, roles.commons)
    assert before.inputs["accepted_contributions"] == 0
    assert before.outcome == "RECIPROCITY_REQUIRED"

    # The same person's one accepted, recent contribution here is enough.
    accept(roles.maintainer, roles.commons, hank)
    after = ask(hank, roles.commons)
    assert after.inputs["accepted_contributions"] == 1
    assert (after.outcome, after.rule) == ("PERMITTED", "copyfair.contributor")


def test_a_contribution_counts_once_it_has_all_the_approvals_it_needs(
    roles: Roles, make_person: Callable[..., Agent]
) -> None:
    copyfair(roles.maintainer, roles.commons, threshold=1, window_days=30)
    commons_services.maintainer_add(
        actor=roles.maintainer, commons=roles.commons, agent=roles.contributor
    )
    commons_services.settings_update(
        actor=roles.maintainer, commons=roles.commons, approvals_required=2
    )
    hank = make_person("hank")
    row = submit(roles.commons, hank)
    commons_services.contribution_accept(actor=roles.maintainer, contribution=row)
    half = ask(hank, roles.commons)
    assert (half.inputs["accepted_contributions"], half.outcome) == (0, "RECIPROCITY_REQUIRED")

    commons_services.contribution_accept(actor=roles.contributor, contribution=row)
    full = ask(hank, roles.commons)
    assert (full.inputs["accepted_contributions"], full.outcome) == (1, "PERMITTED")


def test_a_firms_contributions_are_those_its_members_made_on_its_behalf(roles: Roles) -> None:
    copyfair(roles.maintainer, roles.commons, threshold=2, window_days=30)
    # Erin's own contributions (not on acme's behalf) do not make acme a contributor.
    accept(roles.maintainer, roles.commons, roles.org_member)
    accept(roles.maintainer, roles.commons, roles.org_member)
    assert (
        selectors.accepted_contributions(roles.firm, roles.commons, since=roles.commons.created_at)
        == 0
    )
    # A submitted contribution on acme's behalf is not accepted yet.
    submit(roles.commons, roles.org_member, organisation=roles.firm)
    accept(roles.maintainer, roles.commons, roles.org_member, organisation=roles.firm)
    accept(roles.maintainer, roles.commons, roles.org_admin, organisation=roles.firm)

    evaluation = ask(roles.org_member, roles.commons, organisation=roles.firm)

    assert evaluation.asker == roles.firm
    assert evaluation.requested_by == roles.org_member
    assert evaluation.inputs["accepted_contributions"] == 2
    assert (evaluation.outcome, evaluation.rule) == ("PERMITTED", "copyfair.contributor")


def test_a_firm_that_stops_contributing_owes_reciprocity_from_the_next_window(
    roles: Roles, frozen: Clock
) -> None:
    copyfair(roles.maintainer, roles.commons, threshold=2, window_days=30)
    for _ in range(2):
        accept(roles.maintainer, roles.commons, roles.org_member, organisation=roles.firm)

    contributing = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert (contributing.outcome, contributing.rule) == ("PERMITTED", "copyfair.contributor")
    assert contributing.fee is None

    frozen.advance(days=30)  # the window still reaches back to the contributions
    assert ask(roles.org_admin, roles.commons, organisation=roles.firm).outcome == "PERMITTED"

    frozen.advance(seconds=1)  # now they are older than the window
    lapsed = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert lapsed.inputs["accepted_contributions"] == 0
    assert (lapsed.outcome, lapsed.rule) == ("RECIPROCITY_REQUIRED", "copyfair.reciprocity")
    assert (lapsed.fee, lapsed.fee_currency, lapsed.fee_basis) == (
        FLAT_FEE,
        "EUR",
        "flat, per year",
    )

    # Contributing again, as much as the threshold asks, makes it a contributor again.
    accept(roles.maintainer, roles.commons, roles.org_admin, organisation=roles.firm)
    assert ask(roles.org_member, roles.commons, organisation=roles.firm).outcome == (
        "RECIPROCITY_REQUIRED"
    )
    accept(roles.maintainer, roles.commons, roles.org_admin, organisation=roles.firm)
    assert ask(roles.org_member, roles.commons, organisation=roles.firm).outcome == "PERMITTED"


def test_without_copyfair_the_contribution_defaults_still_show_in_the_inputs(
    roles: Roles,
) -> None:
    services.profile_adopt(actor=roles.maintainer, commons=roles.commons, profile="MIT")
    evaluation = ask(roles.contributor, roles.commons)
    expected = licences.CONTRIBUTION_DEFAULTS
    assert evaluation.inputs["threshold"] == expected["threshold"]
    assert evaluation.inputs["window_days"] == expected["window_days"]
    assert evaluation.inputs["accepted_contributions"] == 1  # bob's, from the fixture
    assert evaluation.inputs["contributed"] == "yes"


# --- evidence: declared, verified, by whom, for where -----------------------------------------


PPL_FACTS: dict[str, object] = {"worker_owned": True, "gains_to_workers": True}


@pytest.fixture
def coop(roles: Roles) -> Agent:
    """A worker cooperative (admin frank, member erin) declaring the facts PPL asks about,
    with seed-library and other both under PPL."""
    org = organisation(roles.org_admin, "coop", "worker_coop", roles.org_member)
    services.profile_adopt(actor=roles.maintainer, commons=roles.commons, profile="PPL-1.0")
    other = Commons.objects.get(slug="other")
    services.profile_adopt(actor=roles.other_maintainer, commons=other, profile="PPL-1.0")
    services.evidence_declare(
        actor=roles.org_admin,
        organisation=org,
        facts=PPL_FACTS,
        legal_form="SCOP",
        statutes_url="https://example.org/statutes.pdf",
    )
    return org


def outcomes(roles: Roles, coop: Agent) -> dict[str, tuple[str, str]]:
    result = {}
    for commons in Commons.objects.filter(slug__in=["seed-library", "other"]):
        evaluation = ask(roles.org_member, commons, organisation=coop)
        result[commons.slug] = (evaluation.outcome, evaluation.rule)
    return result


UNVERIFIED = ("REVIEW", "ppl.worker-owned-unverified")
VERIFIED = ("PERMITTED", "ppl.worker-owned")


def test_a_declaration_by_an_org_admin_is_stored_logged_and_only_declared(
    roles: Roles, coop: Agent
) -> None:
    declaration = selectors.evidence_current(coop)
    assert declaration is not None
    assert declaration.declared_by == roles.org_admin
    assert (declaration.legal_form, declaration.statutes_url) == (
        "SCOP",
        "https://example.org/statutes.pdf",
    )
    assert (declaration.worker_owned, declaration.gains_to_workers) == (True, True)
    assert (declaration.sse, declaration.employs_workers) == (False, False)
    body = last_event(eventlog.INSTANCE_STREAM)
    assert body["kind"] == "organisation.evidence_declared"
    assert body["data"]["organisation"] == "coop"
    assert body["data"]["evidence"] == declaration.pk
    assert body["data"]["worker_owned"] is True
    assert selectors.evidence_for(coop, roles.commons) == {
        "worker_owned": D,
        "gains_to_workers": D,
        "sse": N,
        "employs_workers": N,
    }
    assert outcomes(roles, coop) == {"seed-library": UNVERIFIED, "other": UNVERIFIED}


def test_the_newest_declaration_is_the_current_one(roles: Roles, coop: Agent) -> None:
    services.evidence_declare(
        actor=roles.org_admin, organisation=coop, facts={"worker_owned": True}
    )
    current = selectors.evidence_current(coop)
    assert current is not None
    assert (current.worker_owned, current.gains_to_workers) == (True, False)
    assert Evidence.objects.filter(organisation=coop).count() == 2
    assert selectors.evidence_for(coop, roles.commons)["gains_to_workers"] == N
    # Worker-owned but keeping gains: PPL asks for a separate licence.
    assert outcomes(roles, coop)["seed-library"] == (
        "SEPARATE_LICENSE_REQUIRED",
        "ppl.gains-kept",
    )


def test_a_maintainers_verification_counts_only_for_their_commons(
    roles: Roles, coop: Agent
) -> None:
    row = services.evidence_verify(actor=roles.maintainer, organisation=coop, commons=roles.commons)
    body = last_event(SEED)  # logged where it counts: the commons' stream
    assert (body["kind"], body["data"]) == (
        "organisation.evidence_verified",
        {"organisation": "coop", "evidence": row.evidence_id},
    )

    assert (row.verified_by, row.commons, row.association) == (
        roles.maintainer,
        roles.commons,
        None,
    )
    current = selectors.evidence_current(coop)
    assert current is not None
    assert list(selectors.verifications(current)) == [row]
    assert selectors.evidence_for(coop, roles.commons)["worker_owned"] == V
    other = Commons.objects.get(slug="other")
    assert selectors.evidence_for(coop, other)["worker_owned"] == D
    assert outcomes(roles, coop) == {"seed-library": VERIFIED, "other": UNVERIFIED}


def test_an_association_admins_verification_counts_where_it_keeps_the_treasury(
    roles: Roles, coop: Agent
) -> None:
    row = services.evidence_verify(
        actor=roles.association_admin, organisation=coop, association=roles.association
    )

    assert (row.commons, row.association) == (None, roles.association)
    body = last_event(eventlog.INSTANCE_STREAM)
    assert body["kind"] == "organisation.evidence_verified"
    assert body["data"]["association"] == "assoc"
    # Anyone can found a non-profit: its word counts only where a commons trusts it with money.
    assert outcomes(roles, coop) == {"seed-library": UNVERIFIED, "other": UNVERIFIED}
    other = Commons.objects.get(slug="other")
    ledger_services.treasurer_add(
        actor=roles.other_maintainer, commons=other, agent=roles.association
    )
    assert outcomes(roles, coop) == {"seed-library": UNVERIFIED, "other": VERIFIED}
    current = selectors.evidence_current(coop)
    assert current is not None
    assert selectors.verified_for(list(selectors.verifications(current))) == ["other"]


def test_only_non_profits_are_associations_that_verify(
    roles: Roles, coop: Agent, unchanged: Unchanged
) -> None:
    firm_admin = roles.org_admin  # admin of acme, a for-profit
    assert list(selectors.associations_of(firm_admin)) == []
    assert list(selectors.associations_of(roles.association_admin)) == [roles.association]
    shop = organisation(roles.stranger, "shop", "for_profit")  # gus administers it
    with unchanged(), pytest.raises(Forbidden):
        services.evidence_verify(actor=roles.stranger, organisation=coop, association=shop)


def test_a_new_declaration_needs_verifying_again(roles: Roles, coop: Agent) -> None:
    ledger_services.treasurer_add(
        actor=roles.other_maintainer,
        commons=Commons.objects.get(slug="other"),
        agent=roles.association,
    )
    services.evidence_verify(actor=roles.maintainer, organisation=coop, commons=roles.commons)
    services.evidence_verify(
        actor=roles.association_admin, organisation=coop, association=roles.association
    )
    assert outcomes(roles, coop) == {"seed-library": VERIFIED, "other": VERIFIED}

    services.evidence_declare(actor=roles.org_admin, organisation=coop, facts=PPL_FACTS)

    assert outcomes(roles, coop) == {"seed-library": UNVERIFIED, "other": UNVERIFIED}
    assert Verification.objects.count() == 2  # the old ones stay, on the old declaration
    current = selectors.evidence_current(coop)
    assert current is not None
    assert not selectors.verifications(current).exists()


def test_nobody_verifies_their_own_declaration(
    roles: Roles, coop: Agent, unchanged: Unchanged
) -> None:
    # Alice maintains seed-library and administers her own cooperative.
    own = organisation(roles.maintainer, "alices-coop", "worker_coop")
    services.evidence_declare(actor=roles.maintainer, organisation=own, facts=PPL_FACTS)
    with unchanged(), pytest.raises(Forbidden):
        services.evidence_verify(actor=roles.maintainer, organisation=own, commons=roles.commons)
    # Grace administers the association and declares its own facts.
    services.evidence_declare(
        actor=roles.association_admin, organisation=roles.association, facts={"sse": True}
    )
    with unchanged(), pytest.raises(Forbidden):
        services.evidence_verify(
            actor=roles.association_admin,
            organisation=roles.association,
            association=roles.association,
        )
    assert selectors.evidence_for(own, roles.commons)["worker_owned"] == D


def test_nobody_verifies_their_own_organisations_declaration(
    roles: Roles, coop: Agent, unchanged: Unchanged
) -> None:
    # Frank declared coop's facts; alice, a maintainer, joins coop; erin, a member of coop,
    # sets up a non-profit of her own. Neither may vouch for coop.
    accounts.membership_add(actor=roles.org_admin, organisation=coop, person=roles.maintainer)
    erins = organisation(roles.org_member, "erins-assoc", "nonprofit")
    with unchanged(), pytest.raises(Forbidden):
        services.evidence_verify(actor=roles.maintainer, organisation=coop, commons=roles.commons)
    with unchanged(), pytest.raises(Forbidden):
        services.evidence_verify(actor=roles.org_member, organisation=coop, association=erins)
    assert outcomes(roles, coop) == {"seed-library": UNVERIFIED, "other": UNVERIFIED}


def test_verifying_twice_in_the_same_scope_is_a_conflict(
    roles: Roles, coop: Agent, unchanged: Unchanged
) -> None:
    services.evidence_verify(actor=roles.maintainer, organisation=coop, commons=roles.commons)
    with unchanged(), pytest.raises(Conflict):
        services.evidence_verify(actor=roles.maintainer, organisation=coop, commons=roles.commons)
    # The scope is the commons, not the maintainer: a second maintainer adds nothing.
    commons_services.maintainer_add(
        actor=roles.maintainer, commons=roles.commons, agent=roles.contributor
    )
    with unchanged(), pytest.raises(Conflict):
        services.evidence_verify(actor=roles.contributor, organisation=coop, commons=roles.commons)
    # Another scope is another verification.
    other = Commons.objects.get(slug="other")
    services.evidence_verify(actor=roles.other_maintainer, organisation=coop, commons=other)
    services.evidence_verify(
        actor=roles.association_admin, organisation=coop, association=roles.association
    )
    with unchanged(), pytest.raises(Conflict):
        services.evidence_verify(
            actor=roles.association_admin, organisation=coop, association=roles.association
        )
    assert Verification.objects.count() == 3


def test_verifying_needs_exactly_one_scope_and_a_declaration(
    roles: Roles, unchanged: Unchanged
) -> None:
    with unchanged():
        with pytest.raises(Invalid):
            services.evidence_verify(actor=roles.maintainer, organisation=roles.firm)
        with pytest.raises(Invalid):
            services.evidence_verify(
                actor=roles.association_admin,
                organisation=roles.firm,
                commons=roles.commons,
                association=roles.association,
            )
        with pytest.raises(Conflict):  # acme declared nothing
            services.evidence_verify(
                actor=roles.maintainer, organisation=roles.firm, commons=roles.commons
            )


@pytest.mark.parametrize(
    ("kind", "facts", "field"),
    [
        ("cooperative", {"gains_to_workers": True}, "gains_to_workers"),
        ("worker_coop", {"worker_owned": False}, "worker_owned"),
        ("public_body", {"worker_owned": True}, "worker_owned"),
        ("for_profit", {"employs_workers": True}, "employs_workers"),
        ("cooperative", {"sse": "yes"}, "sse"),
        ("cooperative", {"worker_owned": 1}, "worker_owned"),
    ],
)
def test_contradictory_or_malformed_evidence_is_invalid_and_writes_nothing(
    roles: Roles, unchanged: Unchanged, kind: str, facts: dict[str, object], field: str
) -> None:
    org = organisation(roles.org_admin, "declarer", kind)
    with unchanged(), pytest.raises(Invalid) as caught:
        services.evidence_declare(actor=roles.org_admin, organisation=org, facts=facts)
    assert field in caught.value.errors
    assert selectors.evidence_current(org) is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"legal_form": "x" * 201}, "legal_form"),
        ({"legal_form": "SC\x00OP"}, "legal_form"),
        ({"statutes_url": "javascript:alert(1)"}, "statutes_url"),
        ({"statutes_url": "https://exa\x00mple.org/"}, "statutes_url"),
    ],
)
def test_bad_legal_form_or_statutes_url_is_invalid_and_writes_nothing(
    roles: Roles,
    unchanged: Unchanged,
    no_nul_to_database: Callable[[], AbstractContextManager[None]],
    extra: dict[str, str],
    field: str,
) -> None:
    with unchanged(), no_nul_to_database(), pytest.raises(Invalid) as caught:
        services.evidence_declare(actor=roles.org_admin, organisation=roles.firm, facts={}, **extra)
    assert field in caught.value.errors


def test_only_organisations_declare_legal_facts(roles: Roles, unchanged: Unchanged) -> None:
    with unchanged(), pytest.raises(Invalid):
        services.evidence_declare(
            actor=roles.contributor, organisation=roles.contributor, facts={"sse": True}
        )


# --- usage_evaluate records the answer and what it was made from -----------------------------


def test_an_evaluation_is_stored_with_its_inputs_and_logged(roles: Roles) -> None:
    events_before = Event.objects.filter(stream_id=SEED).count()

    evaluation = ask(roles.org_member, roles.commons, organisation=roles.firm, distributes=True)

    stored = selectors.evaluation_get(evaluation.pk)
    reciprocity = rule("CopyFair", "copyfair.reciprocity")
    assert (stored.commons, stored.asker, stored.requested_by) == (
        roles.commons,
        roles.firm,
        roles.org_member,
    )
    assert (stored.profile, stored.profile_version) == ("CopyFair", 1)
    assert (stored.outcome, stored.rule) == ("RECIPROCITY_REQUIRED", reciprocity.id)
    assert (stored.clause, stored.reason) == (reciprocity.clause, reciprocity.reason)
    # Allowed (against a fee) and distributing: CopyFair's obligations come with it.
    assert stored.obligations == list(licences.PROFILES["CopyFair"].on_distribution)
    assert (stored.fee, stored.fee_currency, stored.fee_basis) == (
        FLAT_FEE,
        "EUR",
        "flat, per year",
    )
    assert stored.inputs == {
        "asker": "for_profit",
        "use": "commercial",
        "distributes": "yes",
        "contributed": "no",
        "granted": "no",
        "worker_owned": "no",
        "gains_to_workers": "no",
        "sse": "no",
        "employs_workers": "no",
        "accepted_contributions": 0,
        "threshold": licences.COPYFAIR_DEFAULTS["threshold"],
        "window_days": licences.COPYFAIR_DEFAULTS["window_days"],
        "declared_revenue": None,
        "grant": None,
        "parameters": licences.COPYFAIR_DEFAULTS,
    }
    assert Event.objects.filter(stream_id=SEED).count() == events_before + 1
    body = last_event(SEED)
    assert (body["kind"], body["actor"]) == ("licence.evaluated", "erin")
    assert body["data"]["id"] == evaluation.pk
    assert body["data"]["asker"] == "acme"
    assert (body["data"]["profile"], body["data"]["profile_version"]) == ("CopyFair", 1)
    assert (body["data"]["outcome"], body["data"]["fee"]) == ("RECIPROCITY_REQUIRED", "500.00")
    assert body["data"]["inputs"] == stored.inputs
    assert eventlog.verify().ok
    page = selectors.evaluations(roles.commons)
    assert [e.pk for e in page.items] == [evaluation.pk]


def test_an_evaluation_for_oneself_names_the_person_and_lists_no_obligations_without_sharing(
    roles: Roles,
) -> None:
    evaluation = ask(roles.contributor, roles.commons, commercial=False, distributes=False)
    assert (evaluation.asker, evaluation.requested_by) == (roles.contributor, roles.contributor)
    assert evaluation.inputs["asker"] == licences.PERSON
    assert (evaluation.outcome, evaluation.rule) == ("PERMITTED", "copyfair.non-commercial")
    assert evaluation.obligations == []
    assert evaluation.fee is None


def test_asking_for_an_organisation_one_does_not_belong_to_is_forbidden(
    roles: Roles, unchanged: Unchanged
) -> None:
    with unchanged(), pytest.raises(Forbidden):
        ask(roles.contributor, roles.commons, organisation=roles.firm)
    with unchanged(), pytest.raises(Forbidden):  # an association admin is no acme member
        ask(roles.association_admin, roles.commons, organisation=roles.firm)


def test_asking_on_behalf_of_a_person_is_invalid(roles: Roles, unchanged: Unchanged) -> None:
    with unchanged(), pytest.raises(Invalid):
        ask(roles.org_member, roles.commons, organisation=roles.contributor)


@pytest.mark.parametrize("licence", ["LicenseRef-Custom", ""])
def test_a_commons_whose_licence_the_engine_does_not_know_is_a_conflict(
    alice: Agent, bob: Agent, unchanged: Unchanged, licence: str
) -> None:
    commons = commons_services.commons_create(
        actor=alice, slug="custom", title="Custom", licence=licence
    )
    assert selectors.profile_current(commons).profile is None
    with unchanged(), pytest.raises(Conflict) as caught:
        ask(bob, commons)
    assert caught.value.status == 409
    with unchanged(), pytest.raises(Conflict):
        issue(alice, commons, bob)


@pytest.mark.parametrize(
    "revenue", ["-1", "-0.01", "abc", "1.234", "1e5", "NaN", ".", "0.0.0", True, [1]]
)
def test_negative_or_malformed_revenue_is_invalid_and_writes_nothing(
    roles: Roles, unchanged: Unchanged, revenue: object
) -> None:
    copyfair(roles.maintainer, roles.commons, fee_kind="percent", fee="2.5")
    with unchanged(), pytest.raises(Invalid) as caught:
        ask(roles.org_member, roles.commons, organisation=roles.firm, revenue=revenue)
    assert "declared_revenue" in caught.value.errors


def test_a_percent_fee_needs_the_revenue_and_is_computed_from_it(
    roles: Roles, unchanged: Unchanged
) -> None:
    copyfair(roles.maintainer, roles.commons, fee_kind="percent", fee="2.5", threshold=1)
    with unchanged(), pytest.raises(Invalid) as caught:
        ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert "declared_revenue" in caught.value.errors

    evaluation = ask(roles.org_member, roles.commons, organisation=roles.firm, revenue="40000.00")
    assert evaluation.outcome == "RECIPROCITY_REQUIRED"
    assert (evaluation.fee, evaluation.fee_currency) == (100_000, "EUR")  # 2.5 % of 40,000.00
    assert "2.5 %" in evaluation.fee_basis
    assert evaluation.inputs["declared_revenue"] == "40000.00"
    # A contributor (bob, one accepted contribution) owes nothing, so declares nothing.
    assert ask(roles.contributor, roles.commons, commercial=True).outcome == "PERMITTED"


@pytest.mark.parametrize(("commercial", "distributes"), [("yes", False), (True, None), (1, True)])
def test_commercial_and_distributes_must_be_booleans(
    roles: Roles, unchanged: Unchanged, commercial: Any, distributes: Any
) -> None:
    with unchanged(), pytest.raises(Invalid):
        services.usage_evaluate(
            actor=roles.contributor,
            commons=roles.commons,
            commercial=commercial,
            distributes=distributes,
        )


def test_evaluation_get_of_an_unknown_id_is_not_found(db: None) -> None:
    with pytest.raises(NotFound):
        selectors.evaluation_get(123456)


# --- profile_adopt: versions, and what names them ---------------------------------------------


def test_adopted_profiles_are_numbered_and_the_commons_licence_follows(
    alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    implicit = selectors.profile_current(seed_library)
    assert implicit.version == 0
    assert implicit.profile is licences.PROFILES["CC-BY-SA-4.0"]
    before = ask(bob, seed_library)
    assert (before.profile, before.profile_version) == ("CC-BY-SA-4.0", 0)
    assert before.rule == "cc-by-sa-4.0.any-use"

    first = copyfair(alice, seed_library, fee="20")
    assert first.version == 1
    assert Commons.objects.get(pk=seed_library.pk).licence == "CopyFair"
    assert seed_library.licence == "CopyFair"
    assert first.parameters == {**licences.COPYFAIR_DEFAULTS, "fee": "20.00"}  # normalised
    body = last_event(SEED)
    assert body["kind"] == "licence.profile_adopted"
    assert body["data"] == {"version": 1, "profile": "CopyFair", "parameters": first.parameters}
    during = ask(bob, seed_library)
    assert (during.profile, during.profile_version) == ("CopyFair", 1)
    assert during.fee == 2000

    second = services.profile_adopt(actor=alice, commons=seed_library, profile="PPL-1.0")
    assert (second.version, second.parameters) == (2, {})
    assert Commons.objects.get(pk=seed_library.pk).licence == "PPL-1.0"
    assert [row.version for row in selectors.profile_history(seed_library)] == [2, 1]
    current = selectors.profile_current(seed_library)
    assert (current.version, current.profile) == (2, licences.PROFILES["PPL-1.0"])
    after = ask(bob, seed_library)
    assert (after.profile, after.profile_version) == ("PPL-1.0", 2)
    # Earlier answers keep the version they were made under.
    assert Evaluation.objects.get(pk=before.pk).profile_version == 0
    assert Evaluation.objects.get(pk=during.pk).profile_version == 1
    assert eventlog.verify().ok


def test_a_commons_created_under_copyfair_is_at_version_zero_with_the_defaults(
    alice: Agent, bob: Agent
) -> None:
    commons = commons_services.commons_create(
        actor=alice, slug="fair", title="Fair", licence="CopyFair"
    )
    current = selectors.profile_current(commons)
    assert (current.version, current.parameters) == (0, licences.COPYFAIR_DEFAULTS)
    grant = issue(alice, commons, bob)
    assert (grant.profile, grant.profile_version) == ("CopyFair", 0)


def test_grants_name_the_profile_version_in_force(roles: Roles) -> None:
    old = issue(roles.treasurer, roles.commons, roles.firm)
    copyfair(roles.maintainer, roles.commons, fee="800")
    new = issue(roles.treasurer, roles.commons, roles.org_admin, amount="800.00")
    assert (old.profile, old.profile_version) == ("CopyFair", 1)
    assert (new.profile, new.profile_version) == ("CopyFair", 2)
    assert Grant.objects.get(pk=old.pk).profile_version == 1


@pytest.mark.parametrize(
    ("profile", "parameters", "field"),
    [
        ("GPL-2.0-only", None, "profile"),
        ("", None, "profile"),
        ("MIT", {"threshold": 2}, "parameters"),
        ("CopyFair", "threshold=2", "parameters"),
        ("CopyFair", {"discount": "10"}, "parameters"),
        ("CopyFair", {"threshold": 0}, "parameters.threshold"),
        ("CopyFair", {"threshold": True}, "parameters.threshold"),
        ("CopyFair", {"window_days": 3651}, "parameters.window_days"),
        ("CopyFair", {"fee_kind": "monthly"}, "parameters.fee_kind"),
        ("CopyFair", {"currency": "XXX"}, "parameters.currency"),
        ("CopyFair", {"fee": "-5"}, "parameters.fee"),
        ("CopyFair", {"fee_kind": "percent", "fee": "101"}, "parameters.fee"),
    ],
)
def test_a_bad_profile_or_parameters_write_nothing(
    alice: Agent,
    seed_library: Commons,
    unchanged: Unchanged,
    profile: str,
    parameters: object,
    field: str,
) -> None:
    with unchanged(), pytest.raises(Invalid) as caught:
        services.profile_adopt(
            actor=alice, commons=seed_library, profile=profile, parameters=parameters
        )
    assert field in caught.value.errors
    assert seed_library.licence == "CC-BY-SA-4.0"
    assert selectors.profile_current(seed_library).version == 0


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment, each on its own connection; their results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_adoptions_at_once_both_succeed_with_distinct_versions(
    requires_postgres: None,
    alice: Agent,
    seed_library: Commons,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the commons' row lock both requests would read version 0 and the second
    insert would break the unique (commons, version) constraint."""
    real = selectors.profile_current

    def slow(commons: Commons) -> selectors.CurrentProfile:
        current = real(commons)
        time.sleep(0.3)  # the other request has time to read the same version, if it can
        return current

    monkeypatch.setattr(selectors, "profile_current", slow)
    results = race(
        lambda: services.profile_adopt(actor=alice, commons=seed_library, profile="PPL-1.0"),
        lambda: services.profile_adopt(actor=alice, commons=seed_library, profile="MIT"),
    )

    assert all(isinstance(r, ProfileVersion) for r in results), results
    assert sorted(r.version for r in results) == [1, 2]
    rows = list(ProfileVersion.objects.filter(commons=seed_library).order_by("version"))
    assert [row.version for row in rows] == [1, 2]
    # The licence field names the profile adopted last.
    assert Commons.objects.get(pk=seed_library.pk).licence == rows[-1].profile
    assert eventlog.verify().ok


# --- grants: bought with a licence fee, valid a year, revocable --------------------------------


def test_a_treasurer_issues_a_grant_paid_with_a_licence_fee_income(
    roles: Roles, frozen: Clock
) -> None:
    balance_before = ledger_selectors.balance(roles.commons, "EUR")

    grant = issue(roles.treasurer, roles.commons, roles.firm)

    income = Income.objects.get(pk=grant.income_id)
    assert (income.kind, income.payer, income.amount, income.currency) == (
        "licence_fee",
        roles.firm,
        FLAT_FEE,
        "EUR",
    )
    assert income.commons == roles.commons
    assert ledger_selectors.balance(roles.commons, "EUR") - balance_before == FLAT_FEE
    assert (grant.grantee, grant.issued_by, grant.commons) == (
        roles.firm,
        roles.treasurer,
        roles.commons,
    )
    assert grant.valid_from == frozen.moment
    assert grant.valid_until - grant.valid_from == timedelta(days=licences.GRANT_DAYS)
    assert licences.GRANT_DAYS == 365
    assert selectors.grant_status(grant, now=frozen.moment) == "valid"
    assert selectors.grant_get(str(grant.pk)) == grant
    assert list(selectors.grants(roles.commons)) == [grant]
    body = last_event(SEED)
    assert (body["kind"], body["data"]["grant"]) == ("licence.granted", str(grant.pk))
    assert body["data"]["income"] == income.pk
    assert eventlog.verify().ok


def test_a_grant_lapses_after_a_year(roles: Roles, frozen: Clock) -> None:
    grant = issue(roles.treasurer, roles.commons, roles.firm)
    granted = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert (granted.outcome, granted.rule) == ("PERMITTED", "copyfair.fee-paid")
    assert granted.inputs["grant"] == str(grant.pk)

    frozen.advance(days=365, seconds=-1)
    assert selectors.grant_status(grant, now=frozen.moment) == "valid"
    assert ask(roles.org_member, roles.commons, organisation=roles.firm).outcome == "PERMITTED"

    frozen.advance(seconds=1)
    assert selectors.grant_status(grant, now=frozen.moment) == "expired"
    assert selectors.grant_held(roles.firm, roles.commons, now=frozen.moment) is None
    lapsed = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert (lapsed.outcome, lapsed.fee) == ("RECIPROCITY_REQUIRED", FLAT_FEE)
    assert lapsed.inputs["grant"] is None


def test_a_grant_is_not_yet_valid_before_it_starts(roles: Roles) -> None:
    grant = issue(roles.treasurer, roles.commons, roles.firm)
    assert selectors.grant_status(grant, now=grant.valid_from - timedelta(seconds=1)) == (
        "not_yet_valid"
    )


def test_revoking_needs_a_reason_and_happens_once(
    roles: Roles, unchanged: Unchanged, no_nul_to_database: Callable[[], Any]
) -> None:
    grant = issue(roles.treasurer, roles.commons, roles.firm)
    for reason in ["", "   "]:
        with unchanged(), pytest.raises(Invalid) as caught:
            services.grant_revoke(actor=roles.maintainer, grant=grant, reason=reason)
        assert "revoked" in caught.value.errors["reason"][0]
    with unchanged(), no_nul_to_database(), pytest.raises(Invalid):
        services.grant_revoke(actor=roles.maintainer, grant=grant, reason="Bounced\x00")

    revoked = services.grant_revoke(
        actor=roles.maintainer, grant=grant, reason="  The payment bounced.  "
    )

    stored = Grant.objects.get(pk=grant.pk)
    assert selectors.grant_status(stored, now=stored.valid_from) == "revoked"
    assert stored.revoke_reason == "The payment bounced."
    assert (stored.revoked_by, revoked.revoked_at) == (roles.maintainer, stored.revoked_at)
    body = last_event(SEED)
    assert body["kind"] == "licence.revoked"
    assert body["data"] == {"grant": str(grant.pk), "reason": "The payment bounced."}
    after = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert (after.outcome, after.inputs["grant"]) == ("RECIPROCITY_REQUIRED", None)

    with unchanged(), pytest.raises(Conflict):
        services.grant_revoke(actor=roles.maintainer, grant=grant, reason="Again")
    # The money stays recorded: revoking is about the licence, not the ledger.
    assert Income.objects.filter(pk=grant.income_id).exists()


def test_under_copyfair_a_grant_turns_reciprocity_into_permission(roles: Roles) -> None:
    before = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert before.outcome == "RECIPROCITY_REQUIRED"
    issue(roles.treasurer, roles.commons, roles.firm)
    after = ask(roles.org_member, roles.commons, organisation=roles.firm)
    fee_paid = rule("CopyFair", "copyfair.fee-paid")
    assert (after.outcome, after.rule, after.clause) == ("PERMITTED", fee_paid.id, fee_paid.clause)
    assert after.fee is None
    # The grant is acme's, not its members' as persons.
    assert ask(roles.org_member, roles.commons).outcome == "RECIPROCITY_REQUIRED"


def test_under_ppl_a_grant_is_the_separate_licence_a_firm_needs(roles: Roles) -> None:
    services.profile_adopt(actor=roles.maintainer, commons=roles.commons, profile="PPL-1.0")
    before = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert (before.outcome, before.rule) == ("SEPARATE_LICENSE_REQUIRED", "ppl.wage-labour-firm")
    assert before.fee is None

    # A separate licence is the maintainers' decision, not a treasurer's alone.
    with pytest.raises(Forbidden):
        issue(roles.treasurer, roles.commons, roles.firm, amount="1200.00")
    grant = issue(roles.maintainer, roles.commons, roles.firm, amount="1200.00")

    assert (grant.profile, grant.profile_version) == ("PPL-1.0", 2)
    after = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert (after.outcome, after.rule) == ("PERMITTED", "ppl.separate-licence")


def test_a_grant_from_another_commons_does_not_count_here(roles: Roles) -> None:
    other = Commons.objects.get(slug="other")
    copyfair(roles.other_maintainer, other)
    issue(roles.other_maintainer, other, roles.firm)
    assert ask(roles.org_member, other, organisation=roles.firm).outcome == "PERMITTED"
    here = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert (here.outcome, here.inputs["grant"]) == ("RECIPROCITY_REQUIRED", None)


@pytest.mark.parametrize("profile", ["MIT", "CC-BY-SA-4.0", "CoopCycle"])
def test_a_profile_that_sells_no_grants_refuses_to_issue_one(
    roles: Roles, unchanged: Unchanged, profile: str
) -> None:
    services.profile_adopt(actor=roles.maintainer, commons=roles.commons, profile=profile)
    assert not licences.PROFILES[profile].sells_grants
    transactions = Transaction.objects.count()
    with unchanged(), pytest.raises(Conflict):
        issue(roles.treasurer, roles.commons, roles.firm)
    assert not Income.objects.filter(kind="licence_fee").exists()
    assert Transaction.objects.count() == transactions
    assert not Grant.objects.exists()


@pytest.mark.parametrize(
    ("amount", "currency"), [("0", "EUR"), ("-5", "EUR"), ("abc", "EUR"), ("10", "XXX")]
)
def test_a_bad_amount_issues_no_grant(
    roles: Roles, unchanged: Unchanged, amount: str, currency: str
) -> None:
    with unchanged(), pytest.raises(Invalid):
        services.grant_issue(
            actor=roles.treasurer,
            commons=roles.commons,
            grantee=roles.firm,
            amount=amount,
            currency=currency,
        )


@pytest.mark.parametrize("grant_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", ""])
def test_grant_get_of_an_unknown_id_is_not_found(db: None, grant_id: str) -> None:
    with pytest.raises(NotFound):
        selectors.grant_get(grant_id)


def test_nobody_sells_a_licence_to_themselves_or_their_organisation(
    roles: Roles, unchanged: Unchanged
) -> None:
    ledger_services.treasurer_add(
        actor=roles.maintainer, commons=roles.commons, agent=roles.org_admin
    )
    with unchanged(), pytest.raises(Forbidden):
        issue(roles.org_admin, roles.commons, roles.firm)  # frank administers acme
    with unchanged(), pytest.raises(Forbidden):
        issue(roles.org_admin, roles.commons, roles.org_admin)


def test_a_copyfair_grant_costs_at_least_the_fee_in_its_currency(
    roles: Roles, unchanged: Unchanged
) -> None:
    with unchanged(), pytest.raises(Invalid) as low:
        issue(roles.treasurer, roles.commons, roles.firm, amount="499.99")
    assert "500.00" in low.value.errors["amount"][0]
    with unchanged(), pytest.raises(Invalid) as other:
        services.grant_issue(
            actor=roles.treasurer,
            commons=roles.commons,
            grantee=roles.firm,
            amount="600.00",
            currency="USD",
        )
    assert set(other.value.errors) == {"currency"}
    assert issue(roles.treasurer, roles.commons, roles.firm, amount="500.00").income.amount == 50000


def test_a_grant_sold_under_one_profile_is_not_another_profiles_licence(roles: Roles) -> None:
    issue(roles.treasurer, roles.commons, roles.firm)  # a CopyFair reciprocity fee
    assert ask(roles.org_member, roles.commons, organisation=roles.firm).rule == "copyfair.fee-paid"
    services.profile_adopt(actor=roles.maintainer, commons=roles.commons, profile="PPL-1.0")
    after = ask(roles.org_member, roles.commons, organisation=roles.firm)
    assert (after.rule, after.inputs["grant"]) == ("ppl.wage-labour-firm", None)


def test_a_persons_work_for_an_organisation_counts_for_the_organisation_only(
    roles: Roles,
) -> None:
    copyfair(roles.maintainer, roles.commons, threshold=1)
    accept(roles.maintainer, roles.commons, roles.org_member, organisation=roles.firm)
    assert ask(roles.org_member, roles.commons, organisation=roles.firm).rule == (
        "copyfair.contributor"
    )
    mine = ask(roles.org_member, roles.commons)
    assert (mine.rule, mine.inputs["accepted_contributions"]) == ("copyfair.reciprocity", 0)
