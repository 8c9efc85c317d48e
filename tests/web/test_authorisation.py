"""Who may do what, over every web write: anonymous, the contributor, a maintainer of this
commons, and a maintainer of another commons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communs.commons import services
from communs.commons.models import Commons, Contribution, Maintainer

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "contributor", "maintainer", "other_maintainer"]


def _write(name: str, contribution: Contribution) -> tuple[str, dict[str, str]]:
    """The URL and a valid form for each web write."""
    pk = contribution.pk
    return {
        "commons_create": (
            reverse("web:commons_create"),
            {
                "slug": "new-commons",
                "title": "New",
                "kind": "software",
                "approvals_required": "1",
            },
        ),
        "contribute": (
            reverse("web:contribute", args=["seed-library"]),
            {
                "action": "work",
                "quantity": "1",
                "description": "Weeded",
                "stream": "care",
            },
        ),
        "fork": (reverse("web:fork", args=["seed-library"]), {"slug": "a-fork"}),
        "maintainer_add": (
            reverse("web:maintainer_add", args=["seed-library"]),
            {"username": "dave"},
        ),
        "settings": (reverse("web:settings", args=["seed-library"]), {"approvals_required": "2"}),
        "accept": (reverse("web:contribution_accept", args=[pk]), {"note": "ok"}),
        "reject": (reverse("web:contribution_reject", args=[pk]), {"reason": "no"}),
        "withdraw": (reverse("web:contribution_withdraw", args=[pk]), {}),
        "token": (reverse("web:tokens"), {"label": "script"}),
    }[name]


# What each role gets: "login" = sent to the login page, "ok" = done, 403 = refused.
MATRIX = {
    "commons_create": {"contributor": "ok", "maintainer": "ok", "other_maintainer": "ok"},
    "contribute": {"contributor": "ok", "maintainer": "ok", "other_maintainer": "ok"},
    "fork": {"contributor": "ok", "maintainer": "ok", "other_maintainer": "ok"},
    "maintainer_add": {"contributor": 403, "maintainer": "ok", "other_maintainer": 403},
    "settings": {"contributor": 403, "maintainer": "ok", "other_maintainer": 403},
    "accept": {"contributor": 403, "maintainer": "ok", "other_maintainer": 403},
    "reject": {"contributor": 403, "maintainer": "ok", "other_maintainer": 403},
    "withdraw": {"contributor": "ok", "maintainer": 403, "other_maintainer": 403},
    "token": {"contributor": "ok", "maintainer": "ok", "other_maintainer": "ok"},
}


def _done(name: str, contribution: Contribution) -> bool:
    contribution.refresh_from_db()
    seed = Commons.objects.get(slug="seed-library")
    return {
        "commons_create": lambda: Commons.objects.filter(slug="new-commons").exists(),
        "contribute": lambda: Contribution.objects.filter(description="Weeded").exists(),
        "fork": lambda: Commons.objects.filter(slug="a-fork").exists(),
        "maintainer_add": lambda: Maintainer.objects.filter(
            commons=seed, agent__name="dave"
        ).exists(),
        "settings": lambda: seed.approvals_required == 2,
        "accept": lambda: contribution.status == "accepted",
        "reject": lambda: contribution.status == "rejected",
        "withdraw": lambda: contribution.status == "withdrawn",
        "token": lambda: True,
    }[name]()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", list(MATRIX))
def test_web_write_authorisation(
    write,
    role,
    alice,
    bob,
    carol,
    make_person,
    seed_library,
    other_commons,
    contribution,
    login_as,
    nothing_written,
):
    make_person("dave")
    # A second maintainer, so that requiring two approvals is allowed.
    services.maintainer_add(actor=alice, commons=seed_library, agent=make_person("erin"))
    actor = {"anonymous": None, "contributor": bob, "maintainer": alice, "other_maintainer": carol}[
        role
    ]
    url, data = _write(write, contribution)
    client = login_as(actor)
    expected = "login" if role == "anonymous" else MATRIX[write][role]
    if expected == "ok":
        response = client.post(url, data)
        assert response.status_code in (200, 302), response.content[:500]
        assert _done(write, contribution)
        return
    with nothing_written():
        response = client.post(url, data)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))
    else:
        assert response.status_code == expected
        assert b"Not allowed" in response.content


@pytest.mark.parametrize("role", ROLES)
def test_review_buttons_are_offered_only_to_those_allowed(
    role, alice, bob, carol, seed_library, other_commons, contribution, login_as
):
    actor = {"anonymous": None, "contributor": bob, "maintainer": alice, "other_maintainer": carol}[
        role
    ]
    text = (
        login_as(actor)
        .get(reverse("web:contribution_detail", args=[contribution.pk]))
        .content.decode()
    )
    accept = reverse("web:contribution_accept", args=[contribution.pk])
    withdraw = reverse("web:contribution_withdraw", args=[contribution.pk])
    assert (accept in text) == (role == "maintainer")
    assert (withdraw in text) == (role == "contributor")


def test_no_review_buttons_after_my_own_approval(
    alice, carol, seed_library, contribution, login_as
):
    services.maintainer_add(actor=alice, commons=seed_library, agent=carol)
    services.settings_update(actor=alice, commons=seed_library, approvals_required=2)
    services.contribution_accept(actor=alice, contribution=contribution)
    url = reverse("web:contribution_detail", args=[contribution.pk])
    accept = reverse("web:contribution_accept", args=[contribution.pk])
    assert accept not in login_as(alice).get(url).content.decode()  # it would answer 409
    assert accept in login_as(carol).get(url).content.decode()


@pytest.mark.parametrize("role", ROLES[1:])
def test_review_queue_holds_only_what_one_may_review(
    role, alice, bob, carol, seed_library, other_commons, contribution, login_as
):
    actor = {"contributor": bob, "maintainer": alice, "other_maintainer": carol}[role]
    queue = login_as(actor).get(reverse("web:review_queue")).context["queue"]
    assert [c.pk for c in queue] == ([contribution.pk] if role == "maintainer" else [])
