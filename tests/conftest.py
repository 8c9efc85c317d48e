"""Fixtures shared by every test that needs the database."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core import clock

PASSWORD = "a-long-test-passphrase"


class Clock:
    """A clock the test moves: `clock.now()` everywhere reads it."""

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


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (the log's verification is cached in it)."""
    cache.clear()


@pytest.fixture
def make_person(db: None) -> Callable[..., Agent]:
    def make(name: str, **kwargs: Any) -> Agent:
        return accounts.user_create(
            username=name, email=f"{name}@example.org", password=PASSWORD, **kwargs
        )

    return make


@pytest.fixture
def alice(make_person: Callable[..., Agent]) -> Agent:
    """Maintainer of the `seed-library` commons."""
    return make_person("alice")


@pytest.fixture
def bob(make_person: Callable[..., Agent]) -> Agent:
    """A contributor with no special role."""
    return make_person("bob")


@pytest.fixture
def carol(make_person: Callable[..., Agent]) -> Agent:
    """Maintainer of another commons (`other`)."""
    return make_person("carol")


@pytest.fixture
def seed_library(alice: Agent) -> Commons:
    return commons_services.commons_create(
        actor=alice,
        slug="seed-library",
        title="Seed library",
        summary="Open seeds",
        kind="knowledge",
        licence="CC-BY-SA-4.0",
    )


@pytest.fixture
def other_commons(carol: Agent) -> Commons:
    return commons_services.commons_create(actor=carol, slug="other", title="Other commons")


@pytest.fixture
def requires_postgres(db: None) -> None:
    """Tests that only mean something on PostgreSQL (row locks, real concurrency).

    They skip on SQLite, but fail when the PostgreSQL run was asked for, so CI cannot pass
    with them silently skipped.
    """
    if connection.vendor != "postgresql":
        if os.environ.get("COMMUNS_TEST_DATABASE"):
            pytest.fail("COMMUNS_TEST_DATABASE is set but the tests are not on PostgreSQL")
        pytest.skip("needs PostgreSQL: set COMMUNS_TEST_POSTGRES")


@contextmanager
def _no_nul_reaches_the_database() -> Iterator[None]:
    seen: list[object] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        for param in params or ():
            if isinstance(param, str) and "\x00" in param:
                seen.append(param)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield
    assert not seen, f"NUL byte sent to the database in {seen!r} (PostgreSQL answers 500)"


@pytest.fixture
def no_nul_to_database(db: None) -> Callable[[], AbstractContextManager[None]]:
    """`with no_nul_to_database(): ...` fails if a query parameter holding NUL was sent: SQLite
    takes it, PostgreSQL refuses it with an error (a 500), so it must be refused before."""
    return _no_nul_reaches_the_database


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Start every call at once, each on its own connection; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = calls[i]()
        except BaseException as exc:  # collected and checked by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results
