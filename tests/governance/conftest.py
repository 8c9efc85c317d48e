"""Fixtures for governance: a commons with a maintainer, two eligible contributors, a person
with no accepted work, a maintainer of another commons, and a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core import clock


class Clock:
    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moving = Clock(clock.now())
    monkeypatch.setattr(clock, "now", moving)
    return moving


@dataclass(frozen=True)
class Community:
    commons: Commons
    maintainer: Agent  # alice
    contributors: tuple[Agent, Agent]  # bob, dave: one accepted contribution each
    newcomer: Agent  # erin: an account, no accepted work
    outsider: Agent  # carol: maintains another commons


def accept_work(commons: Commons, maintainer: Agent, person: Agent, n: int = 1) -> None:
    for i in range(n):
        row = commons_services.contribution_submit(
            actor=person, commons=commons, action="work", quantity="1", description=f"work {i}"
        )
        commons_services.contribution_accept(actor=maintainer, contribution=row)


@pytest.fixture
def community(
    make_person: Callable[..., Agent], seed_library: Commons, alice: Agent, frozen: Clock
) -> Community:
    bob, dave, erin, carol = (make_person(n) for n in ("bob", "dave", "erin", "carol"))
    for person in (bob, dave):
        accept_work(seed_library, alice, person)
    commons_services.commons_create(actor=carol, slug="other", title="Other")
    return Community(seed_library, alice, (bob, dave), erin, carol)
