"""A member of a working group charges an expense claim to it from the web form; others are
not offered the choice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.ledger.models import Expense

pytestmark = pytest.mark.django_db


@pytest.fixture
def infra(alice: Agent, bob: Agent, seed_library: Commons) -> str:
    commons_services.working_group_create(
        actor=alice,
        commons=seed_library,
        group={
            "slug": "infra",
            "name": "Infrastructure",
            "mandate": "Servers",
            "members": ["bob"],
            "spending_cap": "50",
            "currency": "EUR",
            "cap_period_days": 30,
        },
    )
    return "/commons/seed-library/expenses/new/"


def claim(client: Client, url: str, **extra: str) -> object:
    return client.post(
        url, {"amount": "20", "currency": "EUR", "description": "Backup disk", **extra}
    )


def test_a_member_charges_the_claim_to_the_group(
    infra: str, bob: Agent, login_as: Callable[[Agent | None], Client]
) -> None:
    client = login_as(bob)
    assert 'name="working_group"' in client.get(infra).content.decode()
    response = claim(client, infra, working_group="infra")
    assert response.status_code == 302  # type: ignore[attr-defined]
    expense = Expense.objects.get()
    assert expense.working_group is not None
    assert expense.working_group.slug == "infra"


def test_others_are_not_offered_a_group_and_cannot_name_one(
    infra: str, carol: Agent, login_as: Callable[[Agent | None], Client]
) -> None:
    client = login_as(carol)
    assert 'name="working_group"' not in client.get(infra).content.decode()
    response = claim(client, infra, working_group="infra")  # ignored: not a field for carol
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert Expense.objects.get().working_group is None
