"""A snapshot of every table a service writes, to prove a refused call wrote nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from communs.accounts.models import Agent, ApiToken, Membership
from communs.core.models import Event, EventStream


def take_snapshot() -> dict[str, Any]:
    return {
        "users": list(User.objects.order_by("pk").values_list("pk", "username", "email")),
        "agents": Agent.objects.count(),
        "memberships": list(Membership.objects.order_by("pk").values_list("pk", "role")),
        "tokens": ApiToken.objects.count(),
        "events": Event.objects.count(),
        "streams": list(
            EventStream.objects.order_by("name").values_list("name", "length", "head_hash")
        ),
    }


@pytest.fixture
def snapshot(db: None) -> Callable[[], dict[str, Any]]:
    return take_snapshot
