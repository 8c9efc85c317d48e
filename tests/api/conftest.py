from __future__ import annotations

import pytest

from communs.accounts.models import Agent
from tests.api.client import Api, api_for


@pytest.fixture
def anon() -> Api:
    return Api()


@pytest.fixture
def as_alice(alice: Agent) -> Api:
    return api_for(alice)


@pytest.fixture
def as_bob(bob: Agent) -> Api:
    return api_for(bob)


@pytest.fixture
def as_carol(carol: Agent) -> Api:
    return api_for(carol)
