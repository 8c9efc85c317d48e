"""The flows of a commons: create, fork, contribute, validate a posteriori, withdraw."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons import selectors, services
from communs.commons.models import (
    Approval,
    Citation,
    Commons,
    Contribution,
    ContributorTotal,
    Maintainer,
)
from communs.core import clock, eventlog
from communs.core.models import Event
from communs.domain.errors import Conflict, DomainError, Forbidden, Invalid

from .conftest import Snapshot


def refused(
    snapshot: Snapshot, error: type[DomainError], call: Callable[[], object]
) -> DomainError:
    """The call is refused with exactly `error`, and no table nor the log changed."""
    before = snapshot()
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error
    assert snapshot() == before
    assert eventlog.verify().breaks == ()
    return caught.value


def events(slug: str) -> list[Event]:
    return list(Event.objects.filter(stream_id=eventlog.commons_stream(slug)).order_by("seq"))


def kinds(slug: str) -> list[str]:
    return [e.kind for e in events(slug)]


def submit(actor: Agent, commons: Commons, **overrides: Any) -> Contribution:
    fields: dict[str, Any] = {"action": "work", "quantity": "2.5", "description": "Sorted seeds"}
    fields.update(overrides)
    return services.contribution_submit(actor=actor, commons=commons, **fields)


def reload(row: Contribution) -> Contribution:
    return Contribution.objects.get(pk=row.pk)


def totals_of(commons: Commons) -> list[tuple[str, str, Decimal, int]]:
    return [(t.agent.name, t.unit, t.quantity, t.count) for t in selectors.totals(commons)]


# -- create -------------------------------------------------------------------------------------


def test_create_makes_the_creator_maintainer_and_logs_it(alice: Agent) -> None:
    commons = services.commons_create(
        actor=alice,
        slug="seed-library",
        title=" Seed library ",
        summary="Open seeds",
        description="All our seeds",
        kind="knowledge",
        licence="CC-BY-SA-4.0",
    )
    commons.refresh_from_db()
    assert (commons.slug, commons.title, commons.summary, commons.description) == (
        "seed-library",
        "Seed library",
        "Open seeds",
        "All our seeds",
    )
    assert (commons.kind, commons.licence, commons.approvals_required) == (
        "knowledge",
        "CC-BY-SA-4.0",
        1,
    )
    assert commons.created_by == alice
    assert commons.forked_from is None
    assert [m.agent for m in selectors.maintainers(commons)] == [alice]
    assert selectors.is_maintainer(alice, commons)
    [event] = events("seed-library")
    assert (event.kind, event.actor) == ("commons.created", "alice")
    assert event.data == {
        "slug": "seed-library",
        "title": "Seed library",
        "kind": "knowledge",
        "licence": "CC-BY-SA-4.0",
        "approvals_required": 1,
    }
    assert eventlog.verify().breaks == ()


def test_duplicate_slug_is_a_conflict_and_writes_nothing(
    snapshot: Snapshot, bob: Agent, seed_library: Commons
) -> None:
    error = refused(
        snapshot,
        Conflict,
        lambda: services.commons_create(actor=bob, slug=" seed-library ", title="Mine now"),
    )
    assert set(error.errors) == {"slug"}


def test_invalid_commons_is_refused_and_writes_nothing(snapshot: Snapshot, alice: Agent) -> None:
    error = refused(
        snapshot,
        Invalid,
        lambda: services.commons_create(actor=alice, slug="Bad Slug", title="", kind="music"),
    )
    assert set(error.errors) == {"slug", "title", "kind"}


# -- fork ---------------------------------------------------------------------------------------


@pytest.fixture
def busy_parent(alice: Agent, bob: Agent, seed_library: Commons) -> Commons:
    """The seed library, with a description, two approvals needed and one credited contribution."""
    seed_library.description = "How we keep seeds"
    seed_library.save()
    services.maintainer_add(actor=alice, commons=seed_library, agent=make_second_maintainer())
    services.settings_update(actor=alice, commons=seed_library, approvals_required=2)
    contribution = submit(bob, seed_library, quantity="3")
    services.contribution_accept(actor=alice, contribution=contribution)
    services.contribution_accept(actor=Agent.objects.get(name="dora"), contribution=contribution)
    return Commons.objects.get(pk=seed_library.pk)


def make_second_maintainer() -> Agent:
    return accounts.user_create(
        username="dora", email="dora@example.org", password="a-long-test-passphrase"
    )


def test_fork_records_its_parent_copies_it_and_cites_it(busy_parent: Commons, carol: Agent) -> None:
    before_parent_events = len(events("seed-library"))
    fork = services.commons_fork(actor=carol, parent=busy_parent, slug="seed-fork")
    fork.refresh_from_db()
    assert fork.forked_from == busy_parent
    assert (fork.title, fork.summary, fork.description, fork.kind, fork.licence) == (
        "Seed library",
        "Open seeds",
        "How we keep seeds",
        "knowledge",
        "CC-BY-SA-4.0",
    )
    # The forker is the fork's only maintainer: one approval, whatever the parent requires.
    assert fork.approvals_required == 1
    assert fork.created_by == carol
    assert [m.agent for m in selectors.maintainers(fork)] == [carol]
    assert not selectors.is_maintainer(carol, busy_parent)
    [citation] = selectors.upstreams(fork)
    assert (citation.upstream, citation.weight_ppm) == (busy_parent, 1_000_000)
    assert list(selectors.forks(busy_parent)) == [fork]
    assert selectors.lineage(fork) == [busy_parent]

    [forked] = events("seed-fork")
    assert (forked.kind, forked.actor) == ("commons.forked", "carol")
    assert forked.data == {
        "slug": "seed-fork",
        "title": "Seed library",
        "forked_from": "seed-library",
    }
    parent_events = events("seed-library")
    assert len(parent_events) == before_parent_events + 1
    assert (parent_events[-1].kind, parent_events[-1].data) == (
        "commons.fork_created",
        {"fork": "seed-fork"},
    )

    [ancestor] = selectors.credited_ancestors(selectors.lineage(fork))
    assert ancestor.commons == busy_parent
    assert [
        (t.agent.name, t.unit, t.quantity, t.count) for c in ancestor.credits for t in c.totals
    ] == [("bob", "hour", Decimal(3), 1)]
    # The fork's own totals start empty: the parent's work is credited, not copied.
    assert selectors.totals(fork) == []
    assert eventlog.verify().breaks == ()


def test_fork_of_a_fork_credits_every_ancestor(
    seed_library: Commons, bob: Agent, carol: Agent
) -> None:
    child = services.commons_fork(actor=bob, parent=seed_library, slug="child", title="Child")
    grandchild = services.commons_fork(actor=carol, parent=child, slug="grandchild")
    assert grandchild.title == "Child"
    assert selectors.lineage(grandchild) == [child, seed_library]
    ancestors = selectors.credited_ancestors(selectors.lineage(grandchild))
    assert [a.commons for a in ancestors] == [child, seed_library]


def test_fork_onto_a_taken_slug_is_a_conflict(
    snapshot: Snapshot, seed_library: Commons, other_commons: Commons, bob: Agent
) -> None:
    refused(
        snapshot,
        Conflict,
        lambda: services.commons_fork(actor=bob, parent=seed_library, slug="other"),
    )
    refused(
        snapshot,
        Conflict,
        lambda: services.commons_fork(actor=bob, parent=seed_library, slug="seed-library"),
    )


def test_fork_with_a_bad_slug_is_refused(
    snapshot: Snapshot, seed_library: Commons, bob: Agent
) -> None:
    error = refused(
        snapshot,
        Invalid,
        lambda: services.commons_fork(actor=bob, parent=seed_library, slug="new"),
    )
    assert set(error.errors) == {"slug"}


# -- submit -------------------------------------------------------------------------------------


def test_submit_is_public_at_once(
    bob: Agent, seed_library: Commons, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    when = moment - timedelta(days=2)
    row = submit(
        bob,
        seed_library,
        action="produce",
        quantity="1.2500",
        unit="page",
        description=" A planting guide ",
        evidence_url="https://example.org/guide",
        occurred_at=when,
        stream="pro_bono",
    )
    row = reload(row)
    assert row.status == "submitted"
    assert (row.contributor, row.organisation, row.commons) == (bob, None, seed_library)
    assert (row.action, row.quantity, row.unit) == ("produce", Decimal("1.25"), "page")
    assert (row.description, row.evidence_url, row.stream) == (
        "A planting guide",
        "https://example.org/guide",
        "pro_bono",
    )
    assert (row.occurred_at, row.created_at, row.decided_at) == (when, moment, None)
    page = selectors.contribution_list(seed_library)
    assert [c.pk for c in page.items] == [row.pk]
    event = events("seed-library")[-1]
    assert (event.kind, event.actor) == ("contribution.submitted", "bob")
    assert event.data == {
        "id": row.pk,
        "contributor": "bob",
        "organisation": None,
        "action": "produce",
        "quantity": "1.25",
        "unit": "page",
        "description": "A planting guide",
        "evidence_url": "https://example.org/guide",
        "occurred_at": when.isoformat(),
        "stream": "pro_bono",
    }
    # Submission credits nothing yet.
    assert ContributorTotal.objects.count() == 0
    assert eventlog.verify().breaks == ()


def test_submit_defaults_time_unit_and_stream(bob: Agent, seed_library: Commons) -> None:
    row = reload(submit(bob, seed_library))
    assert (row.unit, row.stream) == ("hour", "livelihood")
    assert row.occurred_at == row.created_at


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"quantity": "-1"}, {"quantity"}),
        ({"quantity": "NaN"}, {"quantity"}),
        ({"action": "steal"}, {"action"}),
        ({"unit": "kg"}, {"unit"}),
        ({"description": ""}, {"description"}),
        ({"description": "nul\x00"}, {"description"}),
        ({"evidence_url": "javascript:alert(1)"}, {"evidence_url"}),
        ({"evidence_url": "http://[::1"}, {"evidence_url"}),
        ({"occurred_at": datetime(2024, 1, 1)}, {"occurred_at"}),
        ({"occurred_at": datetime.now(UTC) + timedelta(days=3)}, {"occurred_at"}),
        ({"stream": "salary"}, {"stream"}),
    ],
)
def test_bad_submission_is_refused_and_writes_nothing(
    snapshot: Snapshot, bob: Agent, seed_library: Commons, fields: dict[str, Any], bad: set[str]
) -> None:
    error = refused(snapshot, Invalid, lambda: submit(bob, seed_library, **fields))
    assert set(error.errors) == bad


@pytest.fixture
def coop(bob: Agent) -> Agent:
    return accounts.organisation_create(
        actor=bob, name="seed-coop", display_name="Seed Coop", kind="worker_coop"
    )


def test_submit_on_behalf_of_an_organisation_one_belongs_to(
    bob: Agent, coop: Agent, seed_library: Commons
) -> None:
    row = reload(submit(bob, seed_library, organisation=coop))
    assert (row.contributor, row.organisation) == (bob, coop)
    assert events("seed-library")[-1].data["organisation"] == "seed-coop"


def test_submit_on_behalf_of_an_organisation_one_does_not_belong_to(
    snapshot: Snapshot, coop: Agent, carol: Agent, seed_library: Commons
) -> None:
    error = refused(snapshot, Invalid, lambda: submit(carol, seed_library, organisation=coop))
    assert set(error.errors) == {"organisation"}


def test_submit_on_behalf_of_a_person_is_refused(
    snapshot: Snapshot, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    error = refused(snapshot, Invalid, lambda: submit(bob, seed_library, organisation=carol))
    assert set(error.errors) == {"organisation"}


# -- accept -------------------------------------------------------------------------------------


def test_accept_with_one_approval_required_credits_once(
    alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    row = submit(bob, seed_library, quantity="2.5")
    accepted = services.contribution_accept(actor=alice, contribution=row, note=" thanks ")
    assert accepted.status == "accepted"
    stored = reload(row)
    assert stored.status == "accepted"
    assert stored.decided_at is not None
    [approval] = Approval.objects.filter(contribution=row)
    assert (approval.maintainer, approval.note) == (alice, "thanks")
    assert totals_of(seed_library) == [("bob", "hour", Decimal("2.5"), 1)]
    assert kinds("seed-library")[-2:] == ["contribution.approved", "contribution.accepted"]
    approved, accepted_event = events("seed-library")[-2:]
    assert approved.data == {"id": row.pk, "note": "thanks", "approvals": 1, "required": 1}
    assert accepted_event.data == {
        "id": row.pk,
        "contributor": "bob",
        "quantity": "2.5",
        "unit": "hour",
    }

    second = submit(bob, seed_library, quantity="0.5")
    services.contribution_accept(actor=alice, contribution=second)
    assert totals_of(seed_library) == [("bob", "hour", Decimal(3), 2)]
    assert eventlog.verify().breaks == ()


@pytest.fixture
def two_maintainers(alice: Agent, carol: Agent, seed_library: Commons) -> Commons:
    services.maintainer_add(actor=alice, commons=seed_library, agent=carol)
    services.settings_update(actor=alice, commons=seed_library, approvals_required=2)
    return seed_library


def test_two_approvals_need_two_different_maintainers(
    snapshot: Snapshot, alice: Agent, bob: Agent, carol: Agent, two_maintainers: Commons
) -> None:
    row = submit(bob, two_maintainers, quantity="4")
    first = services.contribution_accept(actor=alice, contribution=row)
    assert first.status == "submitted"
    assert reload(row).status == "submitted"
    assert reload(row).decided_at is None
    assert ContributorTotal.objects.count() == 0
    assert selectors.totals(two_maintainers) == []
    assert kinds("seed-library")[-1] == "contribution.approved"
    assert events("seed-library")[-1].data["approvals"] == 1

    # The same maintainer approving twice does not count twice.
    refused(snapshot, Conflict, lambda: services.contribution_accept(actor=alice, contribution=row))

    second = services.contribution_accept(actor=carol, contribution=row)
    assert second.status == "accepted"
    assert reload(row).status == "accepted"
    assert totals_of(two_maintainers) == [("bob", "hour", Decimal(4), 1)]
    assert kinds("seed-library")[-2:] == ["contribution.approved", "contribution.accepted"]
    assert Approval.objects.filter(contribution=row).count() == 2
    assert eventlog.verify().breaks == ()


def test_credit_is_per_contributor_and_unit(
    alice: Agent, bob: Agent, carol: Agent, seed_library: Commons, other_commons: Commons
) -> None:
    for actor, fields in [
        (bob, {"quantity": "1"}),
        (bob, {"quantity": "2"}),
        (bob, {"action": "produce", "unit": "page", "quantity": "5"}),
        (carol, {"quantity": "7"}),
    ]:
        services.contribution_accept(
            actor=alice, contribution=submit(actor, seed_library, **fields)
        )
    submit(bob, seed_library, quantity="100")  # submitted only
    rejected = submit(bob, seed_library, quantity="100")
    services.contribution_reject(actor=alice, contribution=rejected, reason="duplicate")
    assert totals_of(seed_library) == [
        ("bob", "hour", Decimal(3), 2),
        ("bob", "page", Decimal(5), 1),
        ("carol", "hour", Decimal(7), 1),
    ]
    assert selectors.totals(other_commons) == []


def test_nobody_validates_their_own_contribution(
    snapshot: Snapshot, alice: Agent, seed_library: Commons
) -> None:
    row = submit(alice, seed_library)
    refused(
        snapshot, Forbidden, lambda: services.contribution_accept(actor=alice, contribution=row)
    )
    refused(
        snapshot,
        Forbidden,
        lambda: services.contribution_reject(actor=alice, contribution=row, reason="meh"),
    )


def test_accept_twice_is_a_conflict(
    snapshot: Snapshot, alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    row = submit(bob, seed_library)
    services.contribution_accept(actor=alice, contribution=row)
    refused(snapshot, Conflict, lambda: services.contribution_accept(actor=alice, contribution=row))
    assert totals_of(seed_library) == [("bob", "hour", Decimal("2.5"), 1)]


def test_accept_by_another_maintainer_after_acceptance_is_a_conflict(
    snapshot: Snapshot, alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    services.maintainer_add(actor=alice, commons=seed_library, agent=carol)
    row = submit(bob, seed_library)
    services.contribution_accept(actor=alice, contribution=row)
    refused(snapshot, Conflict, lambda: services.contribution_accept(actor=carol, contribution=row))
    refused(
        snapshot,
        Conflict,
        lambda: services.contribution_reject(actor=carol, contribution=row, reason="late"),
    )
    assert totals_of(seed_library) == [("bob", "hour", Decimal("2.5"), 1)]


def test_accepting_a_withdrawn_contribution_is_a_conflict(
    snapshot: Snapshot, alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    row = submit(bob, seed_library)
    services.contribution_withdraw(actor=bob, contribution=row)
    refused(snapshot, Conflict, lambda: services.contribution_accept(actor=alice, contribution=row))
    assert ContributorTotal.objects.count() == 0


def test_accepting_a_rejected_contribution_is_a_conflict(
    snapshot: Snapshot, alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    row = submit(bob, seed_library)
    services.contribution_reject(actor=alice, contribution=row, reason="not ours")
    refused(snapshot, Conflict, lambda: services.contribution_accept(actor=alice, contribution=row))
    refused(snapshot, Conflict, lambda: services.contribution_withdraw(actor=bob, contribution=row))


def test_accept_uses_the_stored_state_not_a_stale_instance(
    snapshot: Snapshot, alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    row = submit(bob, seed_library)
    stale = Contribution.objects.get(pk=row.pk)
    services.contribution_withdraw(actor=bob, contribution=row)
    assert stale.status == "submitted"
    refused(
        snapshot, Conflict, lambda: services.contribution_accept(actor=alice, contribution=stale)
    )


def test_over_long_note_is_refused(
    snapshot: Snapshot, alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    row = submit(bob, seed_library)
    error = refused(
        snapshot,
        Invalid,
        lambda: services.contribution_accept(actor=alice, contribution=row, note="x" * 2001),
    )
    assert set(error.errors) == {"note"}


# -- reject -------------------------------------------------------------------------------------


def test_reject_records_the_reason(alice: Agent, bob: Agent, seed_library: Commons) -> None:
    row = submit(bob, seed_library)
    services.contribution_reject(actor=alice, contribution=row, reason="  Not about seeds ")
    stored = reload(row)
    assert (stored.status, stored.reason) == ("rejected", "Not about seeds")
    assert stored.decided_at is not None
    event = events("seed-library")[-1]
    assert (event.kind, event.actor, event.data) == (
        "contribution.rejected",
        "alice",
        {"id": row.pk, "reason": "Not about seeds"},
    )
    assert ContributorTotal.objects.count() == 0


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001])
def test_reject_without_a_reason_is_refused(
    snapshot: Snapshot, alice: Agent, bob: Agent, seed_library: Commons, reason: Any
) -> None:
    row = submit(bob, seed_library)
    error = refused(
        snapshot,
        Invalid,
        lambda: services.contribution_reject(actor=alice, contribution=row, reason=reason),
    )
    assert set(error.errors) == {"reason"}


def test_reject_twice_is_a_conflict(
    snapshot: Snapshot, alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    row = submit(bob, seed_library)
    services.contribution_reject(actor=alice, contribution=row, reason="no")
    refused(
        snapshot,
        Conflict,
        lambda: services.contribution_reject(actor=alice, contribution=row, reason="still no"),
    )


# -- withdraw -----------------------------------------------------------------------------------


def test_contributor_withdraws(bob: Agent, seed_library: Commons) -> None:
    row = submit(bob, seed_library)
    services.contribution_withdraw(actor=bob, contribution=row)
    stored = reload(row)
    assert stored.status == "withdrawn"
    assert stored.decided_at is not None
    event = events("seed-library")[-1]
    assert (event.kind, event.actor, event.data) == (
        "contribution.withdrawn",
        "bob",
        {"id": row.pk},
    )


def test_withdraw_by_someone_else_is_forbidden(
    snapshot: Snapshot, alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    row = submit(bob, seed_library)
    refused(
        snapshot, Forbidden, lambda: services.contribution_withdraw(actor=alice, contribution=row)
    )
    refused(
        snapshot, Forbidden, lambda: services.contribution_withdraw(actor=carol, contribution=row)
    )


def test_withdraw_after_acceptance_is_a_conflict(
    snapshot: Snapshot, alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    row = submit(bob, seed_library)
    services.contribution_accept(actor=alice, contribution=row)
    refused(snapshot, Conflict, lambda: services.contribution_withdraw(actor=bob, contribution=row))
    refused(snapshot, Conflict, lambda: services.contribution_withdraw(actor=bob, contribution=row))
    assert totals_of(seed_library) == [("bob", "hour", Decimal("2.5"), 1)]


def test_withdraw_while_partly_approved_credits_nothing(
    alice: Agent, bob: Agent, carol: Agent, two_maintainers: Commons
) -> None:
    row = submit(bob, two_maintainers)
    services.contribution_accept(actor=alice, contribution=row)
    services.contribution_withdraw(actor=bob, contribution=row)
    with pytest.raises(Conflict):
        services.contribution_accept(actor=carol, contribution=row)
    assert ContributorTotal.objects.count() == 0


# -- maintainers and settings ---------------------------------------------------------------------


def test_maintainer_add(alice: Agent, bob: Agent, seed_library: Commons) -> None:
    maintainer = services.maintainer_add(actor=alice, commons=seed_library, agent=bob)
    assert (maintainer.agent, maintainer.added_by) == (bob, alice)
    assert selectors.is_maintainer(bob, seed_library)
    event = events("seed-library")[-1]
    assert (event.kind, event.data) == ("maintainer.added", {"maintainer": "bob"})


def test_maintainer_add_twice_is_a_conflict(
    snapshot: Snapshot, alice: Agent, bob: Agent, seed_library: Commons
) -> None:
    services.maintainer_add(actor=alice, commons=seed_library, agent=bob)
    refused(
        snapshot,
        Conflict,
        lambda: services.maintainer_add(actor=alice, commons=seed_library, agent=bob),
    )
    refused(
        snapshot,
        Conflict,
        lambda: services.maintainer_add(actor=bob, commons=seed_library, agent=alice),
    )


def test_an_organisation_cannot_maintain(
    snapshot: Snapshot, alice: Agent, seed_library: Commons
) -> None:
    org = accounts.organisation_create(
        actor=alice, name="seed-coop", display_name="Coop", kind="cooperative"
    )
    error = refused(
        snapshot,
        Invalid,
        lambda: services.maintainer_add(actor=alice, commons=seed_library, agent=org),
    )
    assert set(error.errors) == {"username"}


def test_settings_update(
    alice: Agent, seed_library: Commons, make_person: Callable[..., Agent]
) -> None:
    for name in ("dora", "eve"):
        services.maintainer_add(actor=alice, commons=seed_library, agent=make_person(name))
    services.settings_update(actor=alice, commons=seed_library, approvals_required="3")
    assert Commons.objects.get(pk=seed_library.pk).approvals_required == 3
    assert selectors.rulebook_current(seed_library).rules.approvals_required == 3
    changed, amended = events("seed-library")[-2:]
    assert (changed.kind, changed.data) == ("commons.settings_changed", {"approvals_required": 3})
    assert (amended.kind, amended.data["changes"]) == (
        "rulebook.amended",
        {"approvals_required": 3},
    )


@pytest.mark.parametrize("value", [0, 21, "x", True, None, 1.5])
def test_settings_update_refuses_bad_values(
    snapshot: Snapshot, alice: Agent, seed_library: Commons, value: Any
) -> None:
    error = refused(
        snapshot,
        Invalid,
        lambda: services.settings_update(
            actor=alice, commons=seed_library, approvals_required=value
        ),
    )
    assert set(error.errors) == {"approvals_required"}
    assert Commons.objects.get(pk=seed_library.pk).approvals_required == 1


def test_settings_update_refuses_more_approvals_than_maintainers(
    snapshot: Snapshot, alice: Agent, carol: Agent, seed_library: Commons
) -> None:
    error = refused(
        snapshot,
        Invalid,
        lambda: services.settings_update(actor=alice, commons=seed_library, approvals_required=2),
    )
    assert error.errors == {
        "approvals_required": [
            "This commons has 1 maintainer, so it cannot require more than 1 approvals; "
            "add maintainers first."
        ]
    }
    services.maintainer_add(actor=alice, commons=seed_library, agent=carol)
    services.settings_update(actor=alice, commons=seed_library, approvals_required=2)
    error = refused(
        snapshot,
        Invalid,
        lambda: services.settings_update(actor=alice, commons=seed_library, approvals_required=3),
    )
    assert "has 2 maintainers" in error.errors["approvals_required"][0]


def test_lowering_approvals_required_accepts_what_now_has_enough(
    alice: Agent, bob: Agent, make_person: Callable[..., Agent], seed_library: Commons
) -> None:
    dave = make_person("dave")
    services.maintainer_add(actor=alice, commons=seed_library, agent=dave)
    services.settings_update(actor=alice, commons=seed_library, approvals_required=2)
    by_dave = submit(dave, seed_library, quantity="3", description="Sorting")
    services.contribution_accept(actor=alice, contribution=by_dave)  # 1 of 2
    by_bob = submit(bob, seed_library, quantity="1.5", unit="hour")
    services.contribution_accept(actor=dave, contribution=by_bob)  # 1 of 2
    waiting = submit(bob, seed_library, quantity="7")  # no approval yet
    withdrawn = submit(bob, seed_library, quantity="9")
    services.contribution_accept(actor=alice, contribution=withdrawn)
    services.contribution_withdraw(actor=bob, contribution=withdrawn)
    before = len(events("seed-library"))

    services.settings_update(actor=alice, commons=seed_library, approvals_required=1)

    assert [reload(r).status for r in (by_dave, by_bob, waiting, withdrawn)] == [
        "accepted",
        "accepted",
        "submitted",
        "withdrawn",
    ]
    assert reload(by_dave).decided_at is not None
    assert sorted(totals_of(seed_library)) == [
        ("bob", "hour", Decimal("1.5"), 1),
        ("dave", "hour", Decimal(3), 1),
    ]
    logged = events("seed-library")[before:]
    assert [(e.kind, e.actor) for e in logged] == [
        ("commons.settings_changed", "alice"),
        ("rulebook.amended", "alice"),
        ("contribution.accepted", "alice"),
        ("contribution.accepted", "alice"),
    ]
    assert [e.data for e in logged[2:]] == [
        {"id": by_dave.pk, "contributor": "dave", "quantity": "3", "unit": "hour"},
        {"id": by_bob.pk, "contributor": "bob", "quantity": "1.5", "unit": "hour"},
    ]
    # Nothing is left with enough approvals and no one to decide it.
    assert not any(
        reload(r) in selectors.review_queue(m.agent)
        for m in selectors.maintainers(seed_library)
        for r in (by_dave, by_bob)
    )
    assert eventlog.verify().breaks == ()


def test_raising_approvals_required_accepts_nothing(
    alice: Agent, bob: Agent, carol: Agent, two_maintainers: Commons
) -> None:
    row = submit(bob, two_maintainers)
    services.contribution_accept(actor=alice, contribution=row)
    services.settings_update(actor=alice, commons=two_maintainers, approvals_required=2)
    assert reload(row).status == "submitted"
    assert kinds("seed-library")[-1] == "commons.settings_changed"


def test_each_stream_keeps_its_own_chain(
    alice: Agent, bob: Agent, seed_library: Commons, other_commons: Commons
) -> None:
    services.contribution_accept(actor=alice, contribution=submit(bob, seed_library))
    submit(bob, other_commons)
    assert [e.seq for e in events("seed-library")] == [1, 2, 3, 4]
    assert [e.seq for e in events("other")] == [1, 2]
    assert all(e.body["stream"] == "commons:seed-library" for e in events("seed-library"))
    assert Maintainer.objects.count() == 2
    assert Citation.objects.count() == 0
    assert eventlog.verify().breaks == ()


def test_credits_group_each_persons_units_and_rank_by_contributions(
    alice: Agent, bob: Agent, make_person: Callable[..., Agent], seed_library: Commons
) -> None:
    dora = make_person("dora")
    for actor, action, quantity, unit in [
        (bob, "work", "2", "hour"),
        (bob, "work", "1.5", "hour"),
        (bob, "produce", "3", "page"),
        (dora, "work", "8", "hour"),
    ]:
        contribution = services.contribution_submit(
            actor=actor,
            commons=seed_library,
            action=action,
            quantity=quantity,
            unit=unit,
            description="Seed work",
        )
        services.contribution_accept(actor=alice, contribution=contribution)
    credits = selectors.credits(seed_library)
    assert [(c.agent.name, c.count) for c in credits] == [("bob", 3), ("dora", 1)]
    assert [(t.unit, t.quantity) for t in credits[0].totals] == [
        ("hour", Decimal("3.5")),
        ("page", Decimal(3)),
    ]
