"""Who may do what through the API: anonymous, a contributor, a maintainer of this commons,
a maintainer of another commons, over every write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.commons import services
from communs.commons.models import Commons
from tests.api.client import Api, api_for

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "contributor", "maintainer", "other_maintainer"]
WORK = {"action": "work", "quantity": "1", "unit": "hour", "description": "Weeding"}


@pytest.fixture
def world(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    make_person: Callable[..., Agent],
    seed_library: Commons,
    other_commons: Commons,
) -> dict[str, Any]:
    dave = make_person("dave")
    # A second maintainer, so that requiring two approvals is allowed.
    services.maintainer_add(actor=alice, commons=seed_library, agent=make_person("erin"))
    contribution = services.contribution_submit(actor=dave, commons=seed_library, **WORK)
    return {
        "by_role": {
            "anonymous": None,
            "contributor": bob,
            "maintainer": alice,
            "other_maintainer": carol,
        },
        "contribution": contribution,
        "dave": dave,
    }


# (operation, expected status per role)
CASES: dict[str, tuple[Callable[[Api, dict[str, Any]], Any], dict[str, int]]] = {
    "create commons": (
        lambda api, w: api.post("/commons", {"slug": "fresh", "title": "Fresh"}),
        {"anonymous": 401, "contributor": 201, "maintainer": 201, "other_maintainer": 201},
    ),
    "fork": (
        lambda api, w: api.post("/commons/seed-library/forks", {"slug": "seed-fork"}),
        {"anonymous": 401, "contributor": 201, "maintainer": 201, "other_maintainer": 201},
    ),
    "contribute": (
        lambda api, w: api.post("/commons/seed-library/contributions", WORK),
        {"anonymous": 401, "contributor": 201, "maintainer": 201, "other_maintainer": 201},
    ),
    "accept": (
        lambda api, w: api.post(f"/contributions/{w['contribution'].pk}/accept", {}),
        {"anonymous": 401, "contributor": 403, "maintainer": 200, "other_maintainer": 403},
    ),
    "reject": (
        lambda api, w: api.post(f"/contributions/{w['contribution'].pk}/reject", {"reason": "no"}),
        {"anonymous": 401, "contributor": 403, "maintainer": 200, "other_maintainer": 403},
    ),
    "withdraw someone else's": (
        lambda api, w: api.post(f"/contributions/{w['contribution'].pk}/withdraw"),
        {"anonymous": 401, "contributor": 403, "maintainer": 403, "other_maintainer": 403},
    ),
    "add maintainer": (
        lambda api, w: api.post("/commons/seed-library/maintainers", {"username": "dave"}),
        {"anonymous": 401, "contributor": 403, "maintainer": 201, "other_maintainer": 403},
    ),
    "change settings": (
        lambda api, w: api.patch("/commons/seed-library", {"approvals_required": 2}),
        {"anonymous": 401, "contributor": 403, "maintainer": 200, "other_maintainer": 403},
    ),
    "create organisation": (
        lambda api, w: api.post(
            "/organisations", {"slug": "coop", "name": "Co-op", "kind": "worker_coop"}
        ),
        {"anonymous": 401, "contributor": 201, "maintainer": 201, "other_maintainer": 201},
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(CASES))
def test_write_matrix(world: dict[str, Any], operation: str, role: str) -> None:
    call, expected = CASES[operation]
    response = call(api_for(world["by_role"][role]), world)
    assert response.status_code == expected[role], response.content


def test_only_the_contributor_withdraws(world: dict[str, Any]) -> None:
    response = api_for(world["dave"]).post(f"/contributions/{world['contribution'].pk}/withdraw")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_nobody_validates_their_own_contribution(alice: Agent, seed_library: Commons) -> None:
    own = services.contribution_submit(actor=alice, commons=seed_library, **WORK)
    response = api_for(alice).post(f"/contributions/{own.pk}/accept", {})
    assert response.status_code == 403
    assert "own" in response.json()["detail"]


def test_organisation_members_are_added_by_its_admins(
    alice: Agent, bob: Agent, carol: Agent
) -> None:
    assert (
        api_for(alice)
        .post("/organisations", {"slug": "coop", "name": "Co-op", "kind": "worker_coop"})
        .status_code
        == 201
    )
    assert api_for(bob).post("/organisations/coop/members", {"username": "bob"}).status_code == 403
    assert (
        api_for(alice).post("/organisations/coop/members", {"username": "bob"}).status_code == 201
    )
    assert (
        api_for(alice).post("/organisations/coop/members", {"username": "bob"}).status_code == 409
    )
    on_behalf = {**WORK, "organisation": "coop"}
    services.commons_create(actor=carol, slug="garden", title="Garden")
    assert api_for(bob).post("/commons/garden/contributions", on_behalf).status_code == 201
    assert api_for(carol).post("/commons/garden/contributions", on_behalf).status_code == 422


def test_reads_are_public(world: dict[str, Any]) -> None:
    anon = Api()
    for path in [
        "/commons",
        "/commons/seed-library",
        "/commons/seed-library/contributions",
        f"/contributions/{world['contribution'].pk}",
        "/events",
        "/events?commons=seed-library",
        "/events/verify",
        "/organisations",
        "/agents/alice",
        "/openapi.json",
    ]:
        assert anon.get(path).status_code == 200, path
    assert anon.client.get("/api/v1/docs").status_code == 200
