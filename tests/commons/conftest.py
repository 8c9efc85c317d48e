"""Fixtures for the commons services: a snapshot of every table a service writes, so a test
can prove that a refused call wrote nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from communs.accounts.models import Agent, ApiToken, Membership
from communs.commons.models import (
    Approval,
    Citation,
    Commons,
    Contribution,
    ContributorTotal,
    Maintainer,
)
from communs.core.models import Event, EventStream

Snapshot = Callable[[], dict[str, Any]]


def take_snapshot() -> dict[str, Any]:
    return {
        "users": User.objects.count(),
        "agents": Agent.objects.count(),
        "memberships": Membership.objects.count(),
        "tokens": ApiToken.objects.count(),
        "commons": list(
            Commons.objects.order_by("pk").values_list(
                "pk", "slug", "title", "approvals_required", "forked_from"
            )
        ),
        "maintainers": list(Maintainer.objects.order_by("pk").values_list("commons", "agent")),
        "citations": list(Citation.objects.order_by("pk").values_list("commons", "upstream")),
        "contributions": list(
            Contribution.objects.order_by("pk").values_list("pk", "status", "reason", "decided_at")
        ),
        "approvals": list(
            Approval.objects.order_by("pk").values_list("contribution", "maintainer")
        ),
        "totals": list(
            ContributorTotal.objects.order_by("pk").values_list(
                "commons", "agent", "unit", "quantity", "count"
            )
        ),
        "events": Event.objects.count(),
        "streams": list(
            EventStream.objects.order_by("name").values_list("name", "length", "head_hash")
        ),
    }


@pytest.fixture
def snapshot(db: None) -> Snapshot:
    return take_snapshot
