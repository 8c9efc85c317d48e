"""Pages about identities met in imported histories: claiming one's commits with a token, the
names (and, for oneself only, the emails) shown on an agent's page, and a commons' affiliation
map with its built-in defaults, edited by maintainers. Refusals write nothing; both languages
render."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons.models import Commons
from communs.history import services
from communs.history.models import Affiliation, ClaimToken
from tests.history.conftest import identities_state, import_ada

pytestmark = pytest.mark.django_db

ADA_EMAIL = "ada@example.org"
FR = {"Accept-Language": "fr"}


@pytest.fixture
def ada(alice: Agent, seed_library: Commons, tmp_path: Path) -> Agent:
    """Ada's agent, met in a one-commit history imported into the seed library."""
    return import_ada(alice, seed_library, tmp_path)


@pytest.fixture
def acme(bob: Agent) -> Agent:
    return accounts.organisation_create(
        actor=bob, name="acme", display_name="ACME Labs", kind="for_profit"
    )


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    @contextmanager
    def check() -> Iterator[None]:
        before = identities_state()
        yield
        assert identities_state() == before, "the request wrote something"

    return check


def text(response: Any) -> str:
    return str(response.content.decode())


CLAIM = reverse("web:claim")


# --- claiming ---------------------------------------------------------------------------------


def test_the_claim_page_needs_a_login(login_as, ada):
    response = login_as(None).get(CLAIM)
    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]
    with_token = login_as(None).post(CLAIM, {"token": "claim_x"})
    assert with_token.status_code == 302
    assert not ClaimToken.objects.exists()


def test_a_person_confirms_a_claim_on_the_page(bob, login_as, ada):
    token = services.claim_request(claimant=bob, email=ADA_EMAIL)
    client: Client = login_as(bob)
    waiting = client.get(CLAIM)
    assert waiting.status_code == 200
    assert ADA_EMAIL in text(waiting)  # the pending claim
    assert "No imported history is credited to you yet." in text(waiting)

    response = client.post(CLAIM, {"token": f"  {token} "}, follow=True)

    assert response.redirect_chain == [(CLAIM, 302)]
    page = text(response)
    assert "ada@example.org is yours: 1 contribution came with it." in page
    assert "Ada Lovelace" in page  # now among bob's aliases
    ada.refresh_from_db()
    assert ada.merged_into == bob


@pytest.mark.parametrize(
    ("token", "status", "message"),
    [
        ("", 422, "This field is required."),
        ("claim_made-up", 422, "This token is not valid."),
        ("x" * 201, 422, "at most 200 characters"),
    ],
)
def test_a_bad_token_is_shown_on_the_form(bob, login_as, ada, unchanged, token, status, message):
    services.claim_request(claimant=bob, email=ADA_EMAIL)
    with unchanged():
        response = login_as(bob).post(CLAIM, {"token": token})
    assert response.status_code == status
    assert message in text(response)


def test_someone_elses_or_a_used_token_is_refused_on_the_form(bob, carol, login_as, ada, unchanged):
    token = services.claim_request(claimant=bob, email=ADA_EMAIL)
    with unchanged():
        response = login_as(carol).post(CLAIM, {"token": token})
    assert response.status_code == 403
    assert "This token was given to someone else." in text(response)
    assert login_as(bob).post(CLAIM, {"token": token}).status_code == 302
    with unchanged():
        again = login_as(bob).post(CLAIM, {"token": token})
    assert again.status_code == 409
    assert "This token was already used." in text(again)


def test_the_claim_page_speaks_french(bob, login_as, ada, unchanged):
    client = login_as(bob)
    assert "Revendiquer vos commits" in text(client.get(CLAIM, headers=FR))
    with unchanged():
        response = client.post(CLAIM, {"token": "claim_made-up"}, headers=FR)
    assert response.status_code == 422
    assert "Ce jeton n’est pas valide." in text(response)


# --- the agent page ---------------------------------------------------------------------------


def test_the_agent_page_shows_names_to_all_and_emails_to_the_agent_only(bob, carol, login_as, ada):
    services.claim_confirm(
        claimant=bob, token=services.claim_request(claimant=bob, email=ADA_EMAIL)
    )
    url = reverse("web:agent_detail", args=["bob"])
    for viewer in (None, carol):
        page = text(login_as(viewer).get(url))
        assert "Ada Lovelace" in page
        assert ADA_EMAIL not in page
        assert reverse("web:claim") not in page
    own = text(login_as(bob).get(url))
    assert "Ada Lovelace" in own
    assert ADA_EMAIL in own
    assert reverse("web:claim") in own


def test_a_claimed_identity_points_at_its_claimant(bob, login_as, ada):
    url = reverse("web:agent_detail", args=[ada.name])
    assert "was claimed by" not in text(login_as(None).get(url))
    services.claim_confirm(
        claimant=bob, token=services.claim_request(claimant=bob, email=ADA_EMAIL)
    )
    page = text(login_as(None).get(url))
    assert "was claimed by" in page
    assert f'href="{reverse("web:agent_detail", args=["bob"])}"' in page


# --- affiliations -----------------------------------------------------------------------------


def affiliations_url(slug: str = "seed-library") -> str:
    return reverse("web:affiliations", args=[slug])


def remove_url(pk: int, slug: str = "seed-library") -> str:
    return reverse("web:affiliation_remove", args=[slug, pk])


def test_anyone_reads_the_map_and_its_defaults(alice, login_as, seed_library, acme, ada):
    services.affiliation_set(
        actor=alice, commons=seed_library, domain="acme.example", kind="paid", organisation=acme
    )
    services.affiliation_set(actor=alice, commons=seed_library, email=ADA_EMAIL, kind="volunteer")
    response = login_as(None).get(affiliations_url())
    assert response.status_code == 200
    page = text(response)
    assert "acme.example" in page
    assert "ACME Labs" in page
    assert "Ada Lovelace" in page
    assert ADA_EMAIL not in page
    assert "gmail.com" in page
    assert "users.noreply.github.com" in page
    assert "<form" not in page.split("<main")[1].split("</main>")[0]  # no form, no remove
    maintainer = text(login_as(alice).get(affiliations_url()))
    assert ADA_EMAIL in maintainer
    assert maintainer.count(">Remove</button>") == 2
    assert 'name="domain"' in maintainer


def test_a_maintainer_adds_and_removes_a_rule(alice, login_as, seed_library, acme):
    client = login_as(alice)
    response = client.post(
        affiliations_url(),
        {"domain": "acme.example", "kind": "paid", "organisation": "acme", "since": "2024-01-01"},
        follow=True,
    )
    assert response.redirect_chain == [(affiliations_url(), 302)]
    assert "Rule added for acme.example." in text(response)
    row = Affiliation.objects.get()
    assert (row.domain, row.kind, row.organisation, str(row.since)) == (
        "acme.example", "paid", acme, "2024-01-01",
    )  # fmt: skip
    replaced = client.post(
        affiliations_url(),
        {"domain": "acme.example", "kind": "volunteer", "since": "2024-01-01"},
        follow=True,
    )
    assert "Rule replaced for acme.example." in text(replaced)
    assert Affiliation.objects.get().kind == "volunteer"

    removed = client.post(remove_url(row.pk), follow=True)
    assert "Rule removed for acme.example." in text(removed)
    assert not Affiliation.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"domain": "not a domain", "kind": "volunteer"}, "Enter a domain such as example.org"),
        ({"domain": "gmail.com", "kind": "volunteer"}, "Anyone can have an address at gmail.com"),
        ({"domain": "acme.example", "kind": "paid"}, "Name the organisation that pays"),
        (
            {"domain": "acme.example", "kind": "paid", "organisation": "nobody"},
            "No organisation has this name.",
        ),
        ({"domain": "acme.example", "kind": "paid", "organisation": "bob"}, "is a person"),
        ({"domain": "acme.example", "kind": "sponsored"}, "Select a valid choice."),
        ({"domain": "acme.example", "kind": "volunteer", "since": "2024-02-30"}, "valid date"),
        (
            {
                "domain": "acme.example",
                "kind": "volunteer",
                "since": "2024-02-01",
                "until": "2024-01-01",
            },
            "The period ends before it starts.",
        ),
    ],
)
def test_bad_rules_are_shown_on_the_form(alice, login_as, seed_library, acme, unchanged, data,
                                         message):  # fmt: skip
    with unchanged():
        response = login_as(alice).post(affiliations_url(), data)
    assert response.status_code == 422
    assert message in text(response)


def test_only_maintainers_edit_the_map(alice, bob, carol, login_as, seed_library, other_commons,
                                       acme, unchanged):  # fmt: skip
    row, _ = services.affiliation_set(
        actor=alice, commons=seed_library, domain="acme.example", kind="paid", organisation=acme
    )
    data = {"domain": "acme.example", "kind": "volunteer"}
    with unchanged():
        for who in (bob, carol):
            assert login_as(who).post(affiliations_url(), data).status_code == 403
            assert login_as(who).post(remove_url(row.pk)).status_code == 403
        for response in (
            login_as(None).post(affiliations_url(), data),
            login_as(None).post(remove_url(row.pk)),
        ):
            assert response.status_code == 302
            assert reverse("web:login") in response["Location"]
        # Another commons' rule cannot be removed through this one; nor can a GET remove.
        assert login_as(carol).post(remove_url(row.pk, "other")).status_code == 404
        assert login_as(alice).get(remove_url(row.pk)).status_code == 405
    assert login_as(None).get(affiliations_url("nowhere")).status_code == 404


def test_the_map_speaks_french(alice, login_as, seed_library, unchanged):
    page = text(login_as(alice).get(affiliations_url(), headers=FR))
    assert "Qui paie le travail" in page
    assert "Ajouter ou remplacer une règle" in page
    with unchanged():
        refused = login_as(alice).post(
            affiliations_url(), {"domain": "acme.example", "kind": "paid"}, headers=FR
        )
    assert "Nommez l’organisation qui paie ce travail." in text(refused)
