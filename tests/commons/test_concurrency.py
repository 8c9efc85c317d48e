"""Races that only a real multi-connection database can show (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons import selectors, services
from communs.commons.models import Approval, Commons, Contribution, ContributorTotal
from communs.core import eventlog
from communs.domain.errors import DomainError
from tests.conftest import race


def bind(function: Callable[..., object], **kwargs: object) -> Callable[[], object]:
    return lambda: function(**kwargs)


def errors(results: list[object]) -> list[BaseException]:
    return [r for r in results if isinstance(r, BaseException)]


@pytest.mark.django_db(transaction=True)
def test_two_maintainers_accepting_at_once_credit_once(
    requires_postgres: None, alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    services.maintainer_add(actor=alice, commons=seed_library, agent=carol)
    row = services.contribution_submit(
        actor=bob, commons=seed_library, action="work", quantity="2", description="weeding"
    )
    results = race(
        [
            lambda: services.contribution_accept(actor=alice, contribution=row),
            lambda: services.contribution_accept(actor=carol, contribution=row),
        ]
    )
    failed = errors(results)
    assert len(failed) == 1
    assert type(failed[0]).__name__ == "Conflict"
    assert Contribution.objects.get(pk=row.pk).status == "accepted"
    assert Approval.objects.filter(contribution=row).count() == 1
    total = ContributorTotal.objects.get()
    assert (total.quantity, total.count) == (Decimal(2), 1)
    assert [(t.agent.name, t.count) for t in selectors.totals(seed_library)] == [("bob", 1)]
    assert eventlog.verify().breaks == ()


@pytest.mark.django_db(transaction=True)
def test_same_slug_created_at_once_gives_one_commons_and_conflicts(
    requires_postgres: None, make_person: Callable[..., Agent]
) -> None:
    people = [make_person(f"p{i}") for i in range(4)]
    results = race(
        [bind(services.commons_create, actor=p, slug="contested", title="Mine") for p in people]
    )
    failed = errors(results)
    assert len(failed) == 3
    assert all(isinstance(e, DomainError) and e.status == 409 for e in failed), failed
    assert Commons.objects.filter(slug="contested").count() == 1
    assert eventlog.verify().breaks == ()


@pytest.mark.django_db(transaction=True)
def test_same_username_signed_up_at_once_gives_one_account(requires_postgres: None) -> None:
    results = race(
        [
            bind(
                accounts.user_create,
                username="same",
                email=f"same{i}@example.org",
                password="a-long-passphrase",
            )
            for i in range(4)
        ]
    )
    failed = errors(results)
    assert len(failed) == 3
    assert all(isinstance(e, DomainError) and e.status == 422 for e in failed), failed
    assert Agent.objects.filter(name="same").count() == 1
    assert eventlog.verify().breaks == ()


@pytest.mark.django_db(transaction=True)
def test_same_organisation_name_created_at_once_gives_one_organisation(
    requires_postgres: None, make_person: Callable[..., Agent]
) -> None:
    people = [make_person(f"p{i}") for i in range(4)]
    results = race(
        [
            bind(
                accounts.organisation_create,
                actor=p,
                name="coop",
                display_name="Coop",
                kind="cooperative",
            )
            for p in people
        ]
    )
    failed = errors(results)
    assert len(failed) == 3
    assert all(isinstance(e, DomainError) and e.status == 422 for e in failed), failed
    assert Agent.objects.filter(name="coop").count() == 1
    assert eventlog.verify().breaks == ()


ROUNDS = 10


@pytest.mark.django_db(transaction=True)
def test_lowering_approvals_while_a_first_approval_lands_strands_nothing(
    requires_postgres: None, alice: Agent, bob: Agent, carol: Agent, seed_library: Commons
) -> None:
    """Whichever commits first, the contribution ends accepted: an approval counted against the
    old setting is picked up by the settings change, or counts against the new one."""
    services.maintainer_add(actor=alice, commons=seed_library, agent=carol)
    rows = []
    for round_ in range(ROUNDS):
        services.settings_update(actor=alice, commons=seed_library, approvals_required=2)
        row = services.contribution_submit(
            actor=bob, commons=seed_library, action="work", quantity="1", description=f"r{round_}"
        )
        results = race(
            [
                lambda row=row: services.contribution_accept(actor=carol, contribution=row),
                lambda: services.settings_update(
                    actor=alice,
                    commons=Commons.objects.get(pk=seed_library.pk),
                    approvals_required=1,
                ),
            ]
        )
        assert errors(results) == []
        rows.append(row)
    assert [Contribution.objects.get(pk=r.pk).status for r in rows] == ["accepted"] * ROUNDS
    total = ContributorTotal.objects.get()
    assert (total.quantity, total.count) == (Decimal(ROUNDS), ROUNDS)
    assert eventlog.verify().breaks == ()
