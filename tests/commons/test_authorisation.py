"""Who may call which write service: every role against every service.

Anonymous visitors never reach a service (the interfaces require a login), so the roles here are
persons: someone with no role, the contributor themself, a maintainer of this commons (also when
the contribution is their own), and a maintainer of another commons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from communs.accounts.models import Agent
from communs.commons import selectors, services
from communs.commons.models import Commons, Contribution
from communs.core import eventlog
from communs.domain.errors import DomainError, Forbidden

from .conftest import Snapshot

OUTSIDER = "outsider"  # a person with no role anywhere
CONTRIBUTOR = "contributor"  # the person who submitted the contribution acted on
MAINTAINER = "maintainer"  # maintainer of this commons, acting on someone else's contribution
MAINTAINER_OWN = "maintainer-own"  # maintainer of this commons, acting on their own contribution
OTHER_MAINTAINER = "other-maintainer"  # maintainer of another commons only
ROLES = [OUTSIDER, CONTRIBUTOR, MAINTAINER, MAINTAINER_OWN, OTHER_MAINTAINER]


@dataclass
class World:
    commons: Commons
    actors: dict[str, Agent]
    by_bob: Contribution
    by_alice: Contribution
    newcomer: Agent

    def actor(self, role: str) -> Agent:
        return self.actors[role]

    def contribution(self, role: str) -> Contribution:
        return self.by_alice if role == MAINTAINER_OWN else self.by_bob


@pytest.fixture
def world(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    seed_library: Commons,
    other_commons: Commons,
    make_person: Callable[..., Agent],
) -> World:
    erin = make_person("erin")
    # A second maintainer, so that requiring two approvals is allowed.
    services.maintainer_add(actor=alice, commons=seed_library, agent=make_person("dora"))
    by_bob = services.contribution_submit(
        actor=bob, commons=seed_library, action="work", quantity="2", description="weeding"
    )
    by_alice = services.contribution_submit(
        actor=alice, commons=seed_library, action="work", quantity="3", description="sorting"
    )
    return World(
        commons=seed_library,
        actors={
            OUTSIDER: erin,
            CONTRIBUTOR: bob,
            MAINTAINER: alice,
            MAINTAINER_OWN: alice,
            OTHER_MAINTAINER: carol,
        },
        by_bob=by_bob,
        by_alice=by_alice,
        newcomer=make_person("newcomer"),
    )


def status(row: Contribution) -> str:
    return Contribution.objects.get(pk=row.pk).status


# Each service: how to call it as `actor`, and how to check that an allowed call took effect.
Call = Callable[[World, Agent, str], object]
Check = Callable[[World, Agent, str, object], None]


def _maintainer_add(w: World, actor: Agent, role: str) -> object:
    return services.maintainer_add(actor=actor, commons=w.commons, agent=w.newcomer)


def _maintainer_add_ok(w: World, actor: Agent, role: str, result: object) -> None:
    assert selectors.is_maintainer(w.newcomer, w.commons)


def _accept(w: World, actor: Agent, role: str) -> object:
    return services.contribution_accept(actor=actor, contribution=w.contribution(role))


def _accept_ok(w: World, actor: Agent, role: str, result: object) -> None:
    assert status(w.contribution(role)) == "accepted"


def _reject(w: World, actor: Agent, role: str) -> object:
    return services.contribution_reject(
        actor=actor, contribution=w.contribution(role), reason="off topic"
    )


def _reject_ok(w: World, actor: Agent, role: str, result: object) -> None:
    assert status(w.contribution(role)) == "rejected"


def _withdraw(w: World, actor: Agent, role: str) -> object:
    return services.contribution_withdraw(actor=actor, contribution=w.contribution(role))


def _withdraw_ok(w: World, actor: Agent, role: str, result: object) -> None:
    assert status(w.contribution(role)) == "withdrawn"


def _settings(w: World, actor: Agent, role: str) -> object:
    return services.settings_update(actor=actor, commons=w.commons, approvals_required=2)


def _settings_ok(w: World, actor: Agent, role: str, result: object) -> None:
    assert Commons.objects.get(pk=w.commons.pk).approvals_required == 2


def _fork(w: World, actor: Agent, role: str) -> object:
    return services.commons_fork(actor=actor, parent=w.commons, slug=f"fork-{actor.name}")


def _fork_ok(w: World, actor: Agent, role: str, result: object) -> None:
    assert isinstance(result, Commons)
    assert result.forked_from == w.commons
    assert selectors.is_maintainer(actor, result)


def _submit(w: World, actor: Agent, role: str) -> object:
    return services.contribution_submit(
        actor=actor, commons=w.commons, action="cite", quantity=1, description="cited it"
    )


def _submit_ok(w: World, actor: Agent, role: str, result: object) -> None:
    assert isinstance(result, Contribution)
    assert (result.contributor, status(result)) == (actor, "submitted")


def _create(w: World, actor: Agent, role: str) -> object:
    return services.commons_create(actor=actor, slug=f"new-{actor.name}", title="Mine")


def _create_ok(w: World, actor: Agent, role: str, result: object) -> None:
    assert isinstance(result, Commons)
    assert selectors.is_maintainer(actor, result)


SERVICES: dict[str, tuple[Call, Check]] = {
    "maintainer_add": (_maintainer_add, _maintainer_add_ok),
    "contribution_accept": (_accept, _accept_ok),
    "contribution_reject": (_reject, _reject_ok),
    "contribution_withdraw": (_withdraw, _withdraw_ok),
    "settings_update": (_settings, _settings_ok),
    "commons_fork": (_fork, _fork_ok),
    "contribution_submit": (_submit, _submit_ok),
    "commons_create": (_create, _create_ok),
}

F = Forbidden
ALLOWED = None
EXPECTED: dict[str, dict[str, type[DomainError] | None]] = {
    "maintainer_add": {
        OUTSIDER: F,
        CONTRIBUTOR: F,
        MAINTAINER: ALLOWED,
        MAINTAINER_OWN: ALLOWED,
        OTHER_MAINTAINER: F,
    },
    "contribution_accept": {
        OUTSIDER: F,
        CONTRIBUTOR: F,
        MAINTAINER: ALLOWED,
        MAINTAINER_OWN: F,
        OTHER_MAINTAINER: F,
    },
    "contribution_reject": {
        OUTSIDER: F,
        CONTRIBUTOR: F,
        MAINTAINER: ALLOWED,
        MAINTAINER_OWN: F,
        OTHER_MAINTAINER: F,
    },
    "contribution_withdraw": {
        OUTSIDER: F,
        CONTRIBUTOR: ALLOWED,
        MAINTAINER: F,
        MAINTAINER_OWN: ALLOWED,
        OTHER_MAINTAINER: F,
    },
    "settings_update": {
        OUTSIDER: F,
        CONTRIBUTOR: F,
        MAINTAINER: ALLOWED,
        MAINTAINER_OWN: ALLOWED,
        OTHER_MAINTAINER: F,
    },
    "commons_fork": dict.fromkeys(ROLES, ALLOWED),
    "contribution_submit": dict.fromkeys(ROLES, ALLOWED),
    "commons_create": dict.fromkeys(ROLES, ALLOWED),
}


def test_the_matrix_covers_every_service_and_role() -> None:
    assert set(EXPECTED) == set(SERVICES)
    assert all(set(row) == set(ROLES) for row in EXPECTED.values())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", list(SERVICES))
def test_authorisation(world: World, snapshot: Snapshot, service: str, role: str) -> None:
    call, check = SERVICES[service]
    expected = EXPECTED[service][role]
    actor = world.actor(role)
    before = snapshot()
    if expected is None:
        result = call(world, actor, role)
        check(world, actor, role, result)
        assert snapshot()["events"] > before["events"], "an allowed write is logged"
    else:
        with pytest.raises(DomainError) as caught:
            call(world, actor, role)
        assert type(caught.value) is expected
        assert caught.value.status == 403
        assert snapshot() == before
    assert eventlog.verify().breaks == ()
