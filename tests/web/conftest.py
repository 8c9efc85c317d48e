"""Fixtures for the web tests: logged-in clients, a submitted contribution, row counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from django.test import Client

from communs.accounts.models import Agent, ApiToken
from communs.commons import services
from communs.commons.models import Approval, Commons, Contribution, Maintainer
from communs.core.models import Event


def client_for(agent: Agent | None) -> Client:
    client = Client()
    if agent is not None:
        assert agent.user is not None
        client.force_login(agent.user)
    return client


@pytest.fixture
def contribution(bob: Agent, seed_library: Commons) -> Contribution:
    """Bob's submitted work on alice's seed library."""
    return services.contribution_submit(
        actor=bob,
        commons=seed_library,
        action="work",
        quantity="2.5",
        description="Sorted the seed drawers",
    )


def snapshot() -> tuple[int, ...]:
    """Counts of every table a web write could touch; equal before and after = nothing written."""
    return (
        Event.objects.count(),
        Commons.objects.count(),
        Contribution.objects.count(),
        Approval.objects.count(),
        Maintainer.objects.count(),
        Agent.objects.count(),
        ApiToken.objects.count(),
        Contribution.objects.exclude(status="submitted").count(),
    )


@contextmanager
def _nothing_written() -> Iterator[None]:
    before = snapshot()
    yield
    assert snapshot() == before, "the request wrote something"


@pytest.fixture
def nothing_written() -> Callable[[], AbstractContextManager[None]]:
    """`with nothing_written(): client.post(...)` asserts the request changed no row."""
    return _nothing_written


@pytest.fixture
def login_as(db: None) -> Callable[[Agent | None], Client]:
    """A test client logged in as that person (or anonymous for None)."""
    return client_for
