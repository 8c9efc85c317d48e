"""Bad input gets a 4xx problem+json naming the field, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from communs.accounts.models import Agent
from communs.commons.models import Commons, Contribution
from communs.core.models import Event
from tests.api.client import Api

pytestmark = pytest.mark.django_db

GOOD = {"action": "work", "quantity": "2", "unit": "hour", "description": "Sorted seeds"}


def snapshot() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Agent.objects.count(),
        Commons.objects.count(),
        Contribution.objects.count(),
        Event.objects.count(),
    )


def assert_problem(response: Any, status: int, field: str | None) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if field is not None:
        assert field in body["errors"], body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "Infinity"}, "quantity"),
        ({"quantity": "1e400"}, "quantity"),
        ({"quantity": 10**30}, "quantity"),
        ({"quantity": "1.23456"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"action": "steal"}, "action"),
        ({"unit": "lightyear"}, "unit"),
        ({"unit": "kg"}, "unit"),
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"description": "x" * 10_001}, "description"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"evidence_url": "not a url"}, "evidence_url"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-13-45T00:00:00Z"}, "occurred_at"),
        ({"occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"stream": "greed"}, "stream"),
        ({"organisation": "no-such-org"}, "organisation"),
    ],
)
def test_bad_contribution_is_refused_field_by_field(
    as_bob: Api, seed_library: Commons, change: dict[str, Any], field: str
) -> None:
    before = snapshot()
    response = as_bob.post("/commons/seed-library/contributions", {**GOOD, **change})
    assert_problem(response, 422, field)
    assert snapshot() == before


def test_contribution_to_a_missing_commons_is_404(as_bob: Api) -> None:
    before = snapshot()
    assert_problem(as_bob.post("/commons/nowhere/contributions", GOOD), 404, None)
    assert snapshot() == before


def test_malformed_json_is_400(as_bob: Api, seed_library: Commons) -> None:
    response = as_bob.client.post(
        "/api/v1/commons/seed-library/contributions",
        "{not json",
        content_type="application/json",
        headers=as_bob.headers,
    )
    assert_problem(response, 400, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "Bad Slug", "title": "x"}, "slug"),
        ({"slug": "-edge", "title": "x"}, "slug"),
        ({"slug": "a" * 51, "title": "x"}, "slug"),
        ({"slug": "new", "title": "x"}, "slug"),
        ({"slug": "fine", "title": ""}, "title"),
        ({"slug": "fine", "title": "x" * 201}, "title"),
        ({"slug": "fine", "title": "x", "kind": "spaceship"}, "kind"),
        ({"slug": "fine", "title": "x", "licence": "not a licence!"}, "licence"),
        ({"slug": "fine", "title": "x", "approvals_required": 0}, "approvals_required"),
        ({"slug": "fine", "title": "x", "approvals_required": "many"}, "approvals_required"),
    ],
)
def test_bad_commons_is_refused(as_alice: Api, body: dict[str, Any], field: str) -> None:
    before = snapshot()
    assert_problem(as_alice.post("/commons", body), 422, field)
    assert snapshot() == before


def test_duplicate_slug_is_a_conflict(as_alice: Api, as_bob: Api, seed_library: Commons) -> None:
    before = snapshot()
    response = as_bob.post("/commons", {"slug": "seed-library", "title": "Again"})
    assert_problem(response, 409, "slug")
    assert_problem(
        as_bob.post("/commons/seed-library/forks", {"slug": "seed-library"}), 409, "slug"
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "Bad Name", "email": "a@b.org", "password": "long enough pass"}, "username"),
        ({"username": "ok", "email": "nope", "password": "long enough pass"}, "email"),
        ({"username": "ok", "email": "a@b.org", "password": "short"}, "password"),
        ({"username": "ok", "email": "a@b.org", "password": "12345678901"}, "password"),
        ({"username": "ok", "email": "a@b.org"}, "password"),
    ],
)
def test_bad_sign_up_is_refused(body: dict[str, Any], field: str) -> None:
    before = snapshot()
    assert_problem(Api().post("/accounts", body), 422, field)
    assert snapshot() == before


def test_taken_username_is_refused(alice: Agent) -> None:
    response = Api().post(
        "/accounts", {"username": "alice", "email": "x@y.org", "password": "long enough pass"}
    )
    assert_problem(response, 422, "username")


def test_wrong_password_gets_no_token(alice: Agent) -> None:
    response = Api().post("/tokens", {"username": "alice", "password": "wrong"})
    assert_problem(response, 401, None)


def test_unknown_token_is_401(seed_library: Commons) -> None:
    response = Api("cmn_forged").post("/commons/seed-library/contributions", GOOD)
    assert_problem(response, 401, None)


def test_review_state_conflicts(as_alice: Api, as_bob: Api, seed_library: Commons) -> None:
    first = as_bob.post("/commons/seed-library/contributions", GOOD).json()["id"]
    assert as_alice.post(f"/contributions/{first}/accept", {}).status_code == 200
    before = snapshot()
    assert_problem(as_alice.post(f"/contributions/{first}/accept", {}), 409, None)
    assert_problem(as_alice.post(f"/contributions/{first}/reject", {"reason": "late"}), 409, None)
    assert_problem(as_bob.post(f"/contributions/{first}/withdraw"), 409, None)

    second = as_bob.post("/commons/seed-library/contributions", GOOD).json()["id"]
    assert as_bob.post(f"/contributions/{second}/withdraw").status_code == 200
    before = snapshot()
    assert_problem(as_alice.post(f"/contributions/{second}/accept", {}), 409, None)
    assert snapshot() == before

    third = as_bob.post("/commons/seed-library/contributions", GOOD).json()["id"]
    before = snapshot()
    assert_problem(as_alice.post(f"/contributions/{third}/reject", {"reason": "  "}), 422, "reason")
    assert_problem(as_alice.post(f"/contributions/{third}/reject", {}), 422, "reason")
    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/contributions/0",
        "/contributions/99999999999999999999",
        "/contributions/abc",
        "/commons/nowhere",
        "/agents/nobody",
    ],
)
def test_missing_things_are_4xx(path: str) -> None:
    response = Api().get(path)
    assert response.status_code in (404, 422)
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "abc"},
        {"cursor": "-1"},
        {"limit": 0},
        {"limit": 100000},
        {"status": "lost"},
        {"action": "steal"},
    ],
)
def test_bad_list_parameters_are_422(seed_library: Commons, params: dict[str, Any]) -> None:
    assert_problem(Api().get("/commons/seed-library/contributions", **params), 422, None)
