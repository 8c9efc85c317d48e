"""Every form, given bad input: a 4xx, the message next to the field, and nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from communs.accounts import services as accounts
from communs.commons import services
from communs.commons.models import Commons, Contribution, ContributorTotal
from communs.core import eventlog
from communs.core.models import EventStream

pytestmark = pytest.mark.django_db

GOOD_CONTRIBUTION = {
    "action": "work",
    "quantity": "3",
    "unit": "",
    "description": "Catalogued the tomato seeds",
    "evidence_url": "",
    "occurred_at": "",
    "stream": "livelihood",
    "organisation": "",
}


def field_errors(response, field: str) -> list[str]:
    form = response.context["form"]
    return [str(e) for e in form.errors.get(field, [])]


# --- signup and login --------------------------------------------------------------------------


def test_signup_creates_the_account_and_logs_in(db, login_as, nothing_written):
    client = login_as(None)
    response = client.post(
        reverse("web:signup"),
        {
            "username": "dora",
            "email": "dora@example.org",
            "display_name": "Dora",
            "password": "a-long-test-passphrase",
            "password_again": "a-long-test-passphrase",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(username="dora").exists()
    assert client.get(reverse("web:tokens")).status_code == 200  # logged in


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "Not Valid!"}, "username"),
        ({"username": "alice"}, "username"),  # taken
        ({"email": "not-an-email"}, "email"),
        ({"password": "short", "password_again": "short"}, "password"),
        ({"password_again": "something-else-entirely"}, "password_again"),
        ({"username": ""}, "username"),
    ],
)
def test_signup_bad_input(alice, login_as, nothing_written, data, field):
    form = {
        "username": "dora",
        "email": "dora@example.org",
        "display_name": "",
        "password": "a-long-test-passphrase",
        "password_again": "a-long-test-passphrase",
    } | data
    with nothing_written():
        response = login_as(None).post(reverse("web:signup"), form)
    assert response.status_code == 422
    assert field_errors(response, field)
    assert 'class="error"' in response.content.decode()


def test_login_with_a_wrong_password_is_4xx(alice, login_as):
    response = login_as(None).post(reverse("web:login"), {"username": "alice", "password": "x"})
    assert response.status_code == 422
    assert response.context["form"].non_field_errors()


# --- commons -----------------------------------------------------------------------------------


def test_create_commons(alice, login_as):
    response = login_as(alice).post(
        reverse("web:commons_create"),
        {
            "slug": "tool-library",
            "title": "Tool library",
            "summary": "Drills and saws",
            "description": "",
            "kind": "physical_pool",
            "licence": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:commons_detail", args=["tool-library"])
    commons = Commons.objects.get(slug="tool-library")
    assert commons.approvals_required == 1
    assert commons.maintainers.filter(agent=alice).exists()


@pytest.mark.parametrize(
    ("data", "field", "status"),
    [
        ({"slug": "seed-library"}, "slug", 409),  # duplicate slug
        ({"slug": "Bad Slug"}, "slug", 422),
        ({"slug": "new"}, "slug", 422),  # reserved
        ({"slug": "-edge-"}, "slug", 422),
        ({"title": ""}, "title", 422),
        ({"title": "   "}, "title", 422),
        ({"kind": "spaceship"}, "kind", 422),
        ({"licence": "not a licence!"}, "licence", 422),
        ({"title": "x" * 201}, "title", 422),
        ({"summary": "nul\x00byte"}, "summary", 422),
    ],
)
def test_create_commons_bad_input(
    seed_library, alice, login_as, nothing_written, data, field, status
):
    form = {
        "slug": "tool-library",
        "title": "Tool library",
        "summary": "",
        "description": "",
        "kind": "software",
        "licence": "",
    } | data
    with nothing_written():
        response = login_as(alice).post(reverse("web:commons_create"), form)
    assert response.status_code == status
    assert field_errors(response, field), response.context["form"].errors


def test_fork(seed_library, bob, login_as):
    response = login_as(bob).post(
        reverse("web:fork", args=["seed-library"]), {"slug": "my-seeds", "title": ""}
    )
    assert response.status_code == 302
    fork = Commons.objects.get(slug="my-seeds")
    assert fork.forked_from == seed_library
    assert fork.title == "Seed library"


@pytest.mark.parametrize(
    ("slug", "status"), [("seed-library", 409), ("BAD", 422), ("", 422), ("admin", 422)]
)
def test_fork_bad_slug(seed_library, bob, login_as, nothing_written, slug, status):
    with nothing_written():
        response = login_as(bob).post(
            reverse("web:fork", args=["seed-library"]), {"slug": slug, "title": ""}
        )
    assert response.status_code == status
    assert field_errors(response, "slug")


def test_fork_of_a_missing_commons_is_404(bob, login_as):
    assert login_as(bob).post("/commons/nope/fork/", {"slug": "x"}).status_code == 404


def test_add_maintainer(seed_library, alice, bob, login_as):
    response = login_as(alice).post(
        reverse("web:maintainer_add", args=["seed-library"]), {"username": "bob"}
    )
    assert response.status_code == 302
    assert seed_library.maintainers.filter(agent=bob).exists()


@pytest.mark.parametrize(
    ("username", "status"), [("nobody", 422), ("alice", 409), ("", 422), ("seed-coop", 422)]
)
def test_add_maintainer_bad_input(
    seed_library, alice, bob, login_as, nothing_written, username, status
):
    accounts.organisation_create(
        actor=bob, name="seed-coop", display_name="Coop", kind="cooperative"
    )
    with nothing_written():
        response = login_as(alice).post(
            reverse("web:maintainer_add", args=["seed-library"]), {"username": username}
        )
    assert response.status_code == status
    form = response.context["form"]
    assert form.errors.get("username") or form.non_field_errors()


def test_settings(seed_library, alice, make_person, login_as):
    for name in ("dora", "eve"):
        services.maintainer_add(actor=alice, commons=seed_library, agent=make_person(name))
    response = login_as(alice).post(
        reverse("web:settings", args=["seed-library"]), {"approvals_required": "3"}
    )
    assert response.status_code == 302
    seed_library.refresh_from_db()
    assert seed_library.approvals_required == 3


def test_settings_cannot_require_more_approvals_than_maintainers(
    seed_library, alice, login_as, nothing_written
):
    with nothing_written():
        response = login_as(alice).post(
            reverse("web:settings", args=["seed-library"]), {"approvals_required": "2"}
        )
    assert response.status_code == 422
    assert "1 maintainer" in field_errors(response, "approvals_required")[0]


@pytest.mark.parametrize("value", ["0", "-1", "21", "abc", "", "1.5", "9" * 30])
def test_settings_bad_input(seed_library, alice, login_as, nothing_written, value):
    with nothing_written():
        response = login_as(alice).post(
            reverse("web:settings", args=["seed-library"]), {"approvals_required": value}
        )
    assert response.status_code == 422
    assert field_errors(response, "approvals_required")


# --- contributions -----------------------------------------------------------------------------


def test_contribute(seed_library, bob, login_as):
    response = login_as(bob).post(
        reverse("web:contribute", args=["seed-library"]),
        GOOD_CONTRIBUTION | {"occurred_at": "2024-05-01T10:30"},
    )
    assert response.status_code == 302
    contribution = Contribution.objects.get()
    assert response["Location"] == reverse("web:contribution_detail", args=[contribution.pk])
    assert contribution.status == "submitted"
    assert contribution.occurred_at == datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    assert str(contribution.quantity) == "3.0000"
    assert contribution.unit == "hour"


def test_contribute_with_a_comma_and_on_behalf_of_an_organisation(seed_library, bob, login_as):
    accounts.organisation_create(
        actor=bob, name="seed-coop", display_name="Coop", kind="worker_coop"
    )
    response = login_as(bob).post(
        reverse("web:contribute", args=["seed-library"]),
        GOOD_CONTRIBUTION
        | {"quantity": "1,5", "organisation": "seed-coop", "occurred_at": "2024-05-01"},
    )
    assert response.status_code == 302
    contribution = Contribution.objects.get()
    assert contribution.organisation is not None
    assert contribution.organisation.name == "seed-coop"
    assert str(contribution.quantity) == "1.5000"


FUTURE = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "Infinity"}, "quantity"),
        ({"quantity": "1e400"}, "quantity"),
        ({"quantity": "10000001"}, "quantity"),
        ({"quantity": "1.123456"}, "quantity"),
        ({"quantity": "three"}, "quantity"),
        ({"quantity": ""}, "quantity"),
        ({"action": "steal"}, "action"),
        ({"action": ""}, "action"),
        ({"unit": "kg"}, "unit"),  # work is measured in hours
        ({"unit": "parsec"}, "unit"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"evidence_url": "not a url"}, "evidence_url"),
        ({"evidence_url": "ftp://example.org/x"}, "evidence_url"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": FUTURE}, "occurred_at"),
        ({"occurred_at": "1900-01-01"}, "occurred_at"),
        ({"occurred_at": "99999-01-01"}, "occurred_at"),
        ({"stream": "black-market"}, "stream"),
        ({"organisation": "seed-coop"}, "organisation"),  # bob is not a member
        ({"organisation": "nobody"}, "organisation"),
    ],
)
def test_contribute_bad_input(seed_library, bob, carol, login_as, nothing_written, data, field):
    accounts.organisation_create(
        actor=carol, name="seed-coop", display_name="Coop", kind="worker_coop"
    )
    with nothing_written():
        response = login_as(bob).post(
            reverse("web:contribute", args=["seed-library"]), GOOD_CONTRIBUTION | data
        )
    assert response.status_code == 422
    assert field_errors(response, field), response.context["form"].errors
    assert 'class="error"' in response.content.decode()


def test_contribute_to_a_missing_commons_is_404(bob, login_as):
    assert login_as(bob).post("/commons/nope/contribute/", GOOD_CONTRIBUTION).status_code == 404


def test_organisation_choices_are_only_the_users(seed_library, bob, carol, login_as):
    accounts.organisation_create(
        actor=bob, name="bobs-coop", display_name="Bob's coop", kind="worker_coop"
    )
    accounts.organisation_create(
        actor=carol, name="carols-firm", display_name="Carol's firm", kind="for_profit"
    )
    text = login_as(bob).get(reverse("web:contribute", args=["seed-library"])).content.decode()
    assert "bobs-coop" in text
    assert "carols-firm" not in text


# --- review ------------------------------------------------------------------------------------


def test_accept_credits_the_contributor(contribution, alice, login_as):
    response = login_as(alice).post(
        reverse("web:contribution_accept", args=[contribution.pk]), {"note": "Thanks"}
    )
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert contribution.status == "accepted"
    total = ContributorTotal.objects.get(agent=contribution.contributor)
    assert str(total.quantity) == "2.5000"


def test_reject_with_reason(contribution, alice, login_as):
    response = login_as(alice).post(
        reverse("web:contribution_reject", args=[contribution.pk]), {"reason": "Duplicate of #1"}
    )
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert contribution.status == "rejected"
    assert contribution.reason == "Duplicate of #1"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_reject_without_a_good_reason(contribution, alice, login_as, nothing_written, reason):
    with nothing_written():
        response = login_as(alice).post(
            reverse("web:contribution_reject", args=[contribution.pk]), {"reason": reason}
        )
    assert response.status_code == 422
    assert response.context["reject_form"].errors["reason"]
    assert 'class="error"' in response.content.decode()


def test_accept_twice_is_a_conflict(contribution, alice, login_as, nothing_written):
    client = login_as(alice)
    url = reverse("web:contribution_accept", args=[contribution.pk])
    assert client.post(url, {"note": ""}).status_code == 302
    with nothing_written():
        response = client.post(url, {"note": ""})
    assert response.status_code == 409
    assert "already accepted" in response.content.decode()


def test_second_approval_from_the_same_maintainer_is_a_conflict(
    contribution, alice, carol, seed_library, login_as, nothing_written
):
    services.maintainer_add(actor=alice, commons=seed_library, agent=carol)
    services.settings_update(actor=alice, commons=seed_library, approvals_required=2)
    client = login_as(alice)
    url = reverse("web:contribution_accept", args=[contribution.pk])
    assert client.post(url, {}).status_code == 302
    with nothing_written():
        response = client.post(url, {})
    assert response.status_code == 409
    assert "already approved" in response.content.decode()


def test_accept_a_withdrawn_contribution(contribution, alice, bob, login_as, nothing_written):
    assert (
        login_as(bob).post(reverse("web:contribution_withdraw", args=[contribution.pk])).status_code
        == 302
    )
    with nothing_written():
        response = login_as(alice).post(
            reverse("web:contribution_accept", args=[contribution.pk]), {"note": ""}
        )
    assert response.status_code == 409
    assert "already withdrawn" in response.content.decode()


def test_withdraw_twice_is_a_conflict(contribution, bob, login_as, nothing_written):
    client = login_as(bob)
    url = reverse("web:contribution_withdraw", args=[contribution.pk])
    assert client.post(url).status_code == 302
    with nothing_written():
        response = client.post(url)
    assert response.status_code == 409


def test_accept_note_too_long(contribution, alice, login_as, nothing_written):
    with nothing_written():
        response = login_as(alice).post(
            reverse("web:contribution_accept", args=[contribution.pk]), {"note": "x" * 2001}
        )
    assert response.status_code == 422
    assert response.context["accept_form"].errors["note"]


def test_review_of_a_missing_contribution_is_404(alice, login_as):
    assert login_as(alice).post("/contributions/424242/accept/", {}).status_code == 404


def test_get_on_a_post_only_endpoint_is_405(contribution, alice, login_as):
    assert (
        login_as(alice).get(reverse("web:contribution_accept", args=[contribution.pk])).status_code
        == 405
    )


def test_csrf_is_enforced(contribution, alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert alice.user is not None
    client.force_login(alice.user)
    response = client.post(reverse("web:contribution_accept", args=[contribution.pk]), {})
    assert response.status_code == 403
    contribution.refresh_from_db()
    assert contribution.status == "submitted"


# --- htmx in the review queue ------------------------------------------------------------------


def test_review_queue_accept_with_htmx_swaps_the_row(contribution, alice, login_as):
    client = login_as(alice)
    queue = client.get(reverse("web:review_queue"))
    assert f'id="review-{contribution.pk}"' in queue.content.decode()
    assert 'hx-post="' in queue.content.decode()
    response = client.post(
        reverse("web:contribution_accept", args=[contribution.pk]),
        {"note": "", "next": "/review/"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith("<tr")
    assert "<html" not in text
    assert "Approved." in text
    contribution.refresh_from_db()
    assert contribution.status == "accepted"


def test_review_queue_reject_without_reason_with_htmx(
    contribution, alice, login_as, nothing_written
):
    with nothing_written():
        response = login_as(alice).post(
            reverse("web:contribution_reject", args=[contribution.pk]),
            {"reason": ""},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 422
    text = response.content.decode()
    assert text.lstrip().startswith("<tr")
    assert "a rejection always carries a reason" in text


def test_review_queue_plain_form_returns_to_the_queue(contribution, alice, login_as):
    response = login_as(alice).post(
        reverse("web:contribution_reject", args=[contribution.pk]),
        {"reason": "Not about seeds", "next": "/review/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/review/"


def test_next_must_stay_on_this_site(contribution, alice, login_as):
    response = login_as(alice).post(
        reverse("web:contribution_accept", args=[contribution.pk]),
        {"note": "", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("web:contribution_detail", args=[contribution.pk])


# --- tokens ------------------------------------------------------------------------------------


def test_token_is_shown_once(bob, login_as):
    client = login_as(bob)
    response = client.post(reverse("web:tokens"), {"label": "laptop"})
    assert response.status_code == 200
    token = response.context["token"]
    assert token.startswith("cmn_")
    assert token in response.content.decode()
    again = client.get(reverse("web:tokens")).content.decode()
    assert token not in again
    assert "laptop" in again
    assert token[:10] in again
    from communs.accounts.selectors import user_for_token

    assert user_for_token(token) == bob.user


def test_token_label_too_long(bob, login_as, nothing_written):
    with nothing_written():
        response = login_as(bob).post(reverse("web:tokens"), {"label": "x" * 101})
    assert response.status_code == 422
    assert field_errors(response, "label")


def test_logs_nothing_on_refusals(contribution, carol, login_as):
    before = list(EventStream.objects.values_list("name", "length", "head_hash"))
    assert (
        login_as(carol)
        .post(reverse("web:contribution_accept", args=[contribution.pk]), {})
        .status_code
        == 403
    )
    assert list(EventStream.objects.values_list("name", "length", "head_hash")) == before
    assert eventlog.verify().breaks == ()


def test_login_and_logout(alice, login_as):
    password = "a-long-test-passphrase"  # tests/conftest.py PASSWORD
    client = login_as(None)
    response = client.post(reverse("web:login"), {"username": "alice", "password": password})
    assert response.status_code == 302
    assert client.get(reverse("web:review_queue")).status_code == 200
    assert client.get(reverse("web:logout")).status_code == 405  # logging out is a POST
    assert client.post(reverse("web:logout")).status_code == 302
    assert client.get(reverse("web:review_queue")).status_code == 302
