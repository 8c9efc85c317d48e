"""Bad input gets a 4xx problem+json naming the field, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from communs.accounts.models import Agent, ApiToken
from communs.commons.models import Commons, Contribution
from communs.core.models import Event
from tests.api.client import Api
from tests.conftest import PASSWORD

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


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "alice\x00", "password": PASSWORD},
        {"username": "alice", "password": PASSWORD + "\x00"},
    ],
)
def test_wrong_credentials_get_no_token(
    alice: Agent, no_nul_to_database: Any, credentials: dict[str, str]
) -> None:
    with no_nul_to_database():
        assert_problem(Api().post("/tokens", credentials), 401, None)


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
        {"cursor": "²"},
        {"cursor": "١٢"},
        {"cursor": "+1"},
        {"cursor": str(2**63)},
        {"cursor": "9" * 20},
        {"status": "lost"},
        {"action": "steal"},
        {"contributor": "a\x00b"},
    ],
)
def test_bad_list_parameters_are_422(seed_library: Commons, params: dict[str, Any]) -> None:
    assert_problem(
        Api().get("/commons/seed-library/contributions", **params), 422, next(iter(params))
    )


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/commons", {"cursor": "²"}, "cursor"),
        ("/commons", {"q": "a\x00b"}, "q"),
        ("/commons", {"kind": "a\x00b"}, "kind"),
        ("/commons", {"kind": "spaceship"}, "kind"),
        ("/events", {"cursor": "²"}, "cursor"),
        ("/events", {"commons": "a\x00b"}, "commons"),
    ],
)
def test_bad_list_filters_are_422_before_the_database(
    seed_library: Commons, no_nul_to_database: Any, path: str, params: dict[str, Any], field: str
) -> None:
    with no_nul_to_database():
        assert_problem(Api().get(path, **params), 422, field)


@pytest.mark.parametrize(
    "path",
    ["/agents/a%00b", "/commons/a%00b", "/commons/a%00b/contributions", "/agents/Not%20A%20Name"],
)
def test_impossible_names_are_404_without_asking_the_database(
    seed_library: Commons, no_nul_to_database: Any, path: str
) -> None:
    with no_nul_to_database():
        assert_problem(Api().get(path), 404, None)


def test_token_label_with_nul_is_refused(alice: Agent) -> None:
    before = snapshot()
    response = Api().post(
        "/tokens", {"username": "alice", "password": PASSWORD, "label": "laptop\x00"}
    )
    assert_problem(response, 422, "label")
    assert snapshot() == before
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("value", [True, "2", 1.0, 0, 21])
def test_bad_settings_are_refused(as_alice: Api, seed_library: Commons, value: Any) -> None:
    before = snapshot()
    assert_problem(
        as_alice.patch("/commons/seed-library", {"approvals_required": value}),
        422,
        "approvals_required",
    )
    assert snapshot() == before


def test_more_approvals_than_maintainers_are_refused(as_alice: Api, seed_library: Commons) -> None:
    response = as_alice.patch("/commons/seed-library", {"approvals_required": 2})
    assert_problem(response, 422, "approvals_required")
    assert "1 maintainer" in response.json()["errors"]["approvals_required"][0]


def test_a_maintainer_has_no_role(as_alice: Api, bob: Agent, seed_library: Commons) -> None:
    before = snapshot()
    response = as_alice.post(
        "/commons/seed-library/maintainers", {"username": "bob", "role": "admin"}
    )
    assert_problem(response, 422, "role")
    assert snapshot() == before
    assert as_alice.post("/commons/seed-library/maintainers", {"username": "bob"}).status_code == (
        201
    )


def test_signup_does_not_reveal_that_an_email_is_registered(alice: Agent) -> None:
    response = Api().post(
        "/accounts", {"username": "mallory", "email": "ALICE@example.org", "password": PASSWORD}
    )
    assert response.status_code == 201, response.content
