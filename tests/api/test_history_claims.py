"""The API of claims and affiliations: confirming a claim with its token (the API never hands
one out), one's own aliases, and a commons' affiliation map (public to read, maintainers
write). Every refusal is a problem document and writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons.models import Commons, Contribution
from communs.history import services
from communs.history.models import Affiliation, ClaimToken
from tests.api.client import Api, api_for
from tests.history.conftest import identities_state, import_ada

pytestmark = pytest.mark.django_db

ADA = "Ada Lovelace <ada@example.org>"


@pytest.fixture
def imported(alice: Agent, seed_library: Commons, tmp_path: Path) -> Agent:
    """A one-commit history by Ada, imported into the seed library; her agent."""
    return import_ada(alice, seed_library, tmp_path)


@pytest.fixture
def acme(bob: Agent) -> Agent:
    return accounts.organisation_create(
        actor=bob, name="acme", display_name="ACME", kind="for_profit"
    )


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    @contextmanager
    def check() -> Iterator[None]:
        before = identities_state()
        yield
        assert identities_state() == before, "the request wrote something"

    return check


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


# --- claims -------------------------------------------------------------------------------------


def test_confirming_a_claim_merges_the_identity(bob, as_bob, imported):
    token = services.claim_request(claimant=bob, email="ada@example.org")

    response = as_bob.post("/identities/claims/confirm", {"token": token})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "email": "ada@example.org",
        "merged": [
            {"name": imported.name, "display_name": "Ada Lovelace", "type": "person", "kind": None}
        ],
        "contributions": 1,
        "duplicates": 0,
        "commits": 1,
        "aliases": 2,
    }
    imported.refresh_from_db()
    assert imported.merged_into == bob
    assert Contribution.objects.get().contributor == bob


def test_the_api_never_hands_out_a_claim_token(as_bob, imported):
    """A token must reach the address' owner: an operator requests it with the CLI."""
    response = as_bob.post("/identities/claims", {"email": "ada@example.org"})
    assert response.status_code in (404, 405)
    assert not ClaimToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"token": "claim_made-up"}, 422, "token"),
        ({"token": ""}, 422, "token"),
        ({"token": 12}, 422, "token"),
        ({"token": "x" * 201}, 422, "token"),
        ({}, 422, "token"),
        ({"token": "claim_made-up", "email": "ada@example.org"}, 422, "email"),  # unknown field
    ],
)
def test_bad_tokens_are_refused(bob, as_bob, imported, unchanged, body, status, field):
    services.claim_request(claimant=bob, email="ada@example.org")
    with unchanged():
        found = problem(as_bob.post("/identities/claims/confirm", body), status)
    assert field in found["errors"]


def test_someone_elses_used_or_anonymous_confirmations_are_refused(
    bob, carol, anon, as_bob, as_carol, imported, unchanged
):
    token = services.claim_request(claimant=bob, email="ada@example.org")
    with unchanged():
        problem(anon.post("/identities/claims/confirm", {"token": token}), 401)
        problem(as_carol.post("/identities/claims/confirm", {"token": token}), 403)
    assert as_bob.post("/identities/claims/confirm", {"token": token}).status_code == 200
    with unchanged():
        problem(as_bob.post("/identities/claims/confirm", {"token": token}), 409)


def test_my_aliases_include_my_emails(bob, anon, as_bob, imported):
    services.claim_confirm(
        claimant=bob, token=services.claim_request(claimant=bob, email="ada@example.org")
    )
    response = as_bob.get("/identities/aliases")
    assert response.status_code == 200
    assert sorted(map(tuple, (a.values() for a in response.json()))) == [
        ("email", "ada@example.org"),
        ("name", "Ada Lovelace"),
    ]
    problem(anon.get("/identities/aliases"), 401)


# --- affiliations -------------------------------------------------------------------------------

RULE = {"domain": "acme.example", "kind": "paid", "organisation": "acme"}


def test_a_maintainer_adds_replaces_and_removes_a_rule(as_alice, seed_library, acme):
    created = as_alice.post("/commons/seed-library/affiliations", RULE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("domain", "scope", "email", "kind", "organisation")} == {
        "domain": "acme.example", "scope": "domain", "email": None, "kind": "paid",
        "organisation": "acme",
    }  # fmt: skip
    assert body["created_by"] == "alice"
    assert body["since"] is None

    replaced = as_alice.post(
        "/commons/seed-library/affiliations", {"domain": "acme.example", "kind": "volunteer"}
    )
    assert replaced.status_code == 200
    assert replaced.json()["id"] == body["id"]
    assert replaced.json()["organisation"] is None

    listed = as_alice.get("/commons/seed-library/affiliations")
    assert [r["id"] for r in listed.json()] == [body["id"]]

    removed = as_alice.client.delete(
        f"/api/v1/commons/seed-library/affiliations/{body['id']}", headers=as_alice.headers
    )
    assert removed.status_code == 204
    assert not Affiliation.objects.exists()


def test_a_rule_for_one_address_shows_it_to_maintainers_only(
    as_alice, as_bob, anon, seed_library, acme, imported
):
    created = as_alice.post(
        "/commons/seed-library/affiliations",
        {"email": "Ada@Example.org", "kind": "paid", "organisation": "acme",
         "since": "2023-01-01", "until": "2023-12-31"},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["email"] == "ada@example.org"
    for api, email in ((anon, None), (as_bob, None), (as_alice, "ada@example.org")):
        (rule,) = api.get("/commons/seed-library/affiliations").json()
        assert (rule["domain"], rule["scope"], rule["email"]) == ("example.org", "address", email)
        assert rule["person"] == imported.name
        assert (rule["since"], rule["until"]) == ("2023-01-01", "2023-12-31")


WRITE_ROLES = {"anonymous": 401, "contributor": 403, "maintainer": 201, "other_maintainer": 403}


@pytest.mark.parametrize("role", list(WRITE_ROLES))
def test_who_may_write_the_map(alice, bob, carol, seed_library, other_commons, acme, role):
    agent = {"anonymous": None, "contributor": bob, "maintainer": alice,
             "other_maintainer": carol}[role]  # fmt: skip
    api: Api = api_for(agent)
    existing = services.affiliation_set(
        actor=alice, commons=seed_library, domain="old.example", kind="volunteer"
    )[0]
    before = identities_state()

    added = api.post("/commons/seed-library/affiliations", RULE)
    removed = api.client.delete(
        f"/api/v1/commons/seed-library/affiliations/{existing.pk}", headers=api.headers
    )

    assert added.status_code == WRITE_ROLES[role]
    assert removed.status_code == (204 if role == "maintainer" else WRITE_ROLES[role])
    if role != "maintainer":
        assert identities_state() == before
    # Reading is public.
    assert api.get("/commons/seed-library/affiliations").status_code == 200


def test_a_non_maintainer_is_refused_before_the_body_is_judged(as_bob, seed_library, unchanged):
    with unchanged():
        problem(
            as_bob.post("/commons/seed-library/affiliations", {"domain": "", "kind": "paid",
                                                                "organisation": "nobody"}),
            403,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"domain": "not a domain", "kind": "volunteer"}, "domain"),
        ({"domain": "gmail.com", "kind": "volunteer"}, "domain"),
        ({"domain": "acme.example", "kind": "paid"}, "organisation"),
        ({"domain": "acme.example", "kind": "paid", "organisation": "nobody"}, "organisation"),
        ({"domain": "acme.example", "kind": "paid", "organisation": "bob"}, "organisation"),
        ({"domain": "acme.example", "kind": "volunteer", "organisation": "acme"}, "organisation"),
        ({"domain": "acme.example", "kind": "sponsored"}, "kind"),
        ({"domain": "acme.example"}, "kind"),
        ({"domain": "acme.example", "kind": "volunteer", "since": "2024-13-01"}, "since"),
        (
            {
                "domain": "acme.example",
                "kind": "volunteer",
                "since": "2024-02-01",
                "until": "2024-01-01",
            },
            "until",
        ),
        (
            {"email": "ada@elsewhere.example", "domain": "acme.example", "kind": "volunteer"},
            "email",
        ),
        ({"domain": "acme.example", "kind": "volunteer", "organization": "acme"}, "organization"),
        ({"domain": ["acme.example"], "kind": "volunteer"}, "domain"),
    ],
)
def test_bad_rules_are_refused_on_their_field(
    as_alice, bob, seed_library, acme, unchanged, body, field
):
    with unchanged():
        found = problem(as_alice.post("/commons/seed-library/affiliations", body), 422)
    assert field in found["errors"], found


def test_unknown_commons_and_rules_are_not_found(as_alice, seed_library, other_commons, carol):
    problem(as_alice.get("/commons/nowhere/affiliations"), 404)
    problem(as_alice.post("/commons/nowhere/affiliations", RULE), 404)
    elsewhere = services.affiliation_set(
        actor=carol, commons=other_commons, domain="acme.example", kind="volunteer"
    )[0]
    for pk in (elsewhere.pk, 999_999):  # another commons' rule is not this commons'
        response = as_alice.client.delete(
            f"/api/v1/commons/seed-library/affiliations/{pk}", headers=as_alice.headers
        )
        problem(response, 404)
    assert Affiliation.objects.filter(pk=elsewhere.pk).exists()
