"""Fixtures for governance: a commons with a maintainer, two eligible contributors, a person
with no accepted work, a maintainer of another commons, and a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.db import models

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons import selectors as commons_selectors
from communs.commons import services as commons_services
from communs.commons.models import (
    Commons,
    Contribution,
    Emeritus,
    Maintainer,
    RulebookVersion,
    WorkingGroup,
    WorkingGroupMember,
)
from communs.core import eventlog
from communs.core.models import Event
from communs.domain import rulebook as rulebooks
from communs.governance import services
from communs.governance.models import Comment, Proposal, Vote
from communs.ledger.models import EquationVersion, Expense, Posting
from communs.licensing.models import ProfileVersion
from tests.conftest import Clock

# A value equation to propose: hours at 30, everything to the contributors.
EQUATION: dict[str, Any] = {
    "rates": {"hour": "30"},
    "buckets": [
        {
            "name": "contributors",
            "percent": "100",
            "to": "contributors",
            "rules": [{"action": "work", "value": "quantity * hour", "claim": "equity"}],
        }
    ],
}


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


# -- helpers for the governance suite --------------------------------------------------------


def work(
    commons: Commons,
    maintainer: Agent,
    person: Agent,
    *,
    n: int = 1,
    occurred_at: datetime | None = None,
) -> None:
    """`n` accepted contributions of `person`, that happened at `occurred_at` (default: now)."""
    for i in range(n):
        row = commons_services.contribution_submit(
            actor=person,
            commons=commons,
            action="work",
            quantity="1",
            description=f"work {i}",
            occurred_at=occurred_at,
        )
        commons_services.contribution_accept(actor=maintainer, contribution=row)


def set_rules(commons: Commons, **rules: Any) -> None:
    """Put rules in force as a new rulebook version, the way an adopted proposal would."""
    current = commons_selectors.rulebook_current(commons).rules
    commons_services.rulebook_adopt(
        actor=None,
        commons=commons,
        rulebook=rulebooks.amend(current, rules),
        note="test rules",
        proposal=None,
    )


def crowd(community: Community, n: int, make_person: Callable[..., Agent]) -> list[Agent]:
    """`n` more eligible contributors (p0, p1, …)."""
    people = [make_person(f"p{i}") for i in range(n)]
    for person in people:
        accept_work(community.commons, community.maintainer, person)
    return people


def organisation(make_person: Callable[..., Agent], name: str = "coop") -> Agent:
    founder = make_person(f"{name}-founder")
    return accounts.organisation_create(
        actor=founder, name=name, display_name=name.title(), kind="worker_coop"
    )


def commons_events(commons: Commons, kind: str | None = None) -> list[dict[str, Any]]:
    """Bodies of the events logged for a commons (optionally of one kind), oldest first."""
    rows = Event.objects.filter(stream_id=eventlog.commons_stream(commons.slug)).order_by("seq")
    bodies = [dict(e.body) for e in rows]
    return [b for b in bodies if kind is None or b["kind"] == kind]


def _rows(model: type[models.Model]) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values())


def effects() -> tuple[Any, ...]:
    """Every table a proposal's change writes to: what must not move unless one passes."""
    return (
        _rows(Commons),
        _rows(Maintainer),
        _rows(Emeritus),
        _rows(RulebookVersion),
        _rows(WorkingGroup),
        _rows(WorkingGroupMember),
        _rows(Contribution),
        _rows(EquationVersion),
        _rows(ProfileVersion),
        _rows(Expense),
        _rows(Posting),
    )


def snapshot() -> tuple[Any, ...]:
    """Everything governance and its changes write, and the log: to prove a refusal wrote
    nothing at all."""
    return (*effects(), _rows(Proposal), _rows(Vote), _rows(Comment), _rows(Event))


@pytest.fixture
def unchanged() -> Callable[[], AbstractContextManager[None]]:
    """`with unchanged(): …` asserts the block left every table and the log as they were."""

    @contextmanager
    def check() -> Iterator[None]:
        before = snapshot()
        yield
        assert snapshot() == before

    return check


def propose(
    actor: Agent,
    commons: Commons,
    *,
    method: str = "consent",
    change: dict[str, Any] | None = None,
    title: str = "A proposal",
    text: str = "Let us do this.",
    **extra: Any,
) -> Proposal:
    return services.proposal_open(
        actor=actor, commons=commons, title=title, text=text, method=method, change=change, **extra
    )
