"""Every page renders, for anonymous visitors and for people logged in, in English and French."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from communs.accounts import services as accounts
from communs.commons import services
from communs.commons.models import Contribution
from communs.core import eventlog

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice, bob, carol, seed_library, other_commons, contribution):
    """A fork with credited ancestors, an organisation, an accepted and a submitted contribution."""
    services.contribution_accept(actor=alice, contribution=contribution)
    services.contribution_submit(
        actor=bob,
        commons=seed_library,
        action="produce",
        quantity="3",
        unit="page",
        description="Wrote the sowing guide",
        evidence_url="https://example.org/guide",
    )
    accounts.organisation_create(
        actor=bob, name="seed-coop", display_name="Seed coop", kind="worker_coop"
    )
    services.commons_fork(actor=carol, parent=seed_library, slug="seed-fork")
    return Contribution.objects.order_by("pk")


def page_urls(world) -> list[str]:
    first = world.first()
    return [
        reverse("web:home"),
        reverse("web:home") + "?q=seed&kind=knowledge",
        reverse("web:signup"),
        reverse("web:login"),
        reverse("web:commons_detail", args=["seed-library"]),
        reverse("web:commons_detail", args=["seed-fork"]),
        reverse("web:commons_detail", args=["seed-library"]) + "?status=accepted&action=work",
        reverse("web:commons_detail", args=["seed-library"]) + "?contributor=bob",
        reverse("web:commons_events", args=["seed-library"]),
        reverse("web:events"),
        reverse("web:events_verify"),
        reverse("web:contribution_detail", args=[first.pk]),
        reverse("web:contribution_detail", args=[world.last().pk]),
        reverse("web:agent_detail", args=["bob"]),
        reverse("web:agent_detail", args=["seed-coop"]),
    ]


LOGGED_IN_ONLY = [
    ("web:tokens", []),
    ("web:commons_create", []),
    ("web:contribute", ["seed-library"]),
    ("web:fork", ["seed-library"]),
    ("web:review_queue", []),
]
MAINTAINER_ONLY = [("web:settings", ["seed-library"]), ("web:maintainer_add", ["seed-library"])]


@pytest.mark.parametrize("who", [None, "alice", "bob", "carol"])
def test_public_pages_render(world, login_as, who, alice, bob, carol):
    agent = {"alice": alice, "bob": bob, "carol": carol}.get(who or "")
    client = login_as(agent)
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<h1" in response.content


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])
def test_logged_in_pages_render(world, login_as, who, alice, bob, carol):
    client = login_as({"alice": alice, "bob": bob, "carol": carol}[who])
    for name, args in LOGGED_IN_ONLY:
        assert client.get(reverse(name, args=args)).status_code == 200, name


def test_maintainer_pages_render_for_maintainers_only(world, login_as, alice, bob):
    for name, args in MAINTAINER_ONLY:
        assert login_as(alice).get(reverse(name, args=args)).status_code == 200
        assert login_as(bob).get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), LOGGED_IN_ONLY + MAINTAINER_ONLY)
def test_anonymous_is_sent_to_login(world, name, args):
    response = Client().get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_commons_page_shows_everything(world, login_as, alice):
    html = login_as(alice).get(reverse("web:commons_detail", args=["seed-library"])).content
    text = html.decode()
    assert "Seed library" in text
    assert "Open seeds" in text
    assert "CC-BY-SA-4.0" in text
    assert "2.5 hour" in text  # bob's accepted total
    assert "Wrote the sowing guide" in text
    assert "seed-fork" in text  # forks
    assert "contribution.accepted" in text  # recent activity
    assert reverse("web:settings", args=["seed-library"]) in text  # alice maintains it


def test_fork_page_credits_ancestors_and_cites_parent(world, login_as):
    text = login_as(None).get(reverse("web:commons_detail", args=["seed-fork"])).content.decode()
    assert "Credited ancestors" in text
    assert "Forked from" in text
    assert "Cites upstream" in text
    assert "2.5 hour" in text  # bob credited from the parent


def test_contribution_filters_narrow_the_list(world, login_as):
    url = reverse("web:commons_detail", args=["seed-library"])
    client = login_as(None)

    def shown(query: str) -> set[str]:
        response = client.get(url + query)
        assert response.status_code == 200
        return {c.description for c in response.context["page"].items}

    assert shown("") == {"Wrote the sowing guide", "Sorted the seed drawers"}
    assert shown("?status=submitted") == {"Wrote the sowing guide"}
    assert shown("?action=work") == {"Sorted the seed drawers"}
    assert shown("?status=accepted&action=produce") == set()
    assert shown("?contributor=bob") == {"Wrote the sowing guide", "Sorted the seed drawers"}
    assert shown("?contributor=nobody") == set()
    assert "No contribution matches." in client.get(url + "?contributor=nobody").content.decode()


def test_contributions_are_paginated_with_an_older_link(alice, bob, seed_library, login_as):
    for i in range(30):
        services.contribution_submit(
            actor=bob,
            commons=seed_library,
            action="work",
            quantity="1",
            description=f"task number {i:02d}",
        )
    client = login_as(None)
    url = reverse("web:commons_detail", args=["seed-library"])
    first = client.get(url)
    assert first.status_code == 200
    page = first.context["page"]
    assert len(page.items) == 25
    assert page.next
    assert "task number 29" in first.content.decode()
    assert "task number 04" not in first.content.decode()
    second = client.get(url + first.context["older"].split("#")[0])
    assert second.status_code == 200
    assert "task number 04" in second.content.decode()
    assert second.context["older"] is None


def test_event_log_is_paginated(alice, bob, seed_library, login_as):
    for i in range(60):
        services.contribution_submit(
            actor=bob, commons=seed_library, action="work", quantity="1", description=f"task {i}"
        )
    client = login_as(None)
    first = client.get(reverse("web:events"))
    assert len(first.context["events"]) == 50
    assert first.context["older"]
    second = client.get(reverse("web:events") + first.context["older"])
    assert second.status_code == 200
    seqs = {e.pk for e in first.context["events"]} & {e.pk for e in second.context["events"]}
    assert not seqs


def test_event_page_shows_seq_kind_actor_and_hash(world, login_as):
    response = login_as(None).get(reverse("web:commons_events", args=["seed-library"]))
    text = response.content.decode()
    event = response.context["events"][0]
    assert event.hash[:12] in text
    assert "commons.created" in text
    assert ">alice<" in text


def test_verify_page_reports_ok_and_a_broken_chain(world, login_as):
    from communs.core.models import Event

    text = login_as(None).get(reverse("web:events_verify")).content.decode()
    assert "OK: every chain holds." in text
    assert "Verified at " in text
    event = Event.objects.filter(stream_id="commons:seed-library").order_by("seq")[1]
    body = dict(event.body)
    body["actor"] = "mallory"
    Event.objects.filter(pk=event.pk).update(body=body)
    cache.clear()  # the page reuses its last result while no stream head changes
    text = login_as(None).get(reverse("web:events_verify")).content.decode()
    assert "The log does not verify." in text
    assert "commons:seed-library" in text


def test_verify_page_reuses_its_result_until_the_log_grows(world, alice, login_as, monkeypatch):
    calls = []
    real = eventlog.verify
    monkeypatch.setattr(eventlog, "verify", lambda *a: calls.append(a) or real(*a))
    url = reverse("web:events_verify")
    first = login_as(None).get(url).context["result"]
    assert login_as(None).get(url).context["result"] == first
    assert len(calls) == 1
    services.commons_create(actor=alice, slug="newer", title="Newer")
    assert login_as(None).get(url).context["result"].streams == first.streams + 1
    assert len(calls) == 2


def test_missing_things_are_404(db, login_as):
    client = login_as(None)
    assert client.get("/commons/nope/").status_code == 404
    assert client.get("/commons/nope/events/").status_code == 404
    assert client.get("/contributions/999999/").status_code == 404
    assert client.get("/contributions/99999999999999999999999/").status_code == 404
    assert client.get("/agents/nobody/").status_code == 404


def test_bad_cursors_and_filters_are_4xx(world, login_as):
    client = login_as(None)
    assert client.get(reverse("web:events") + "?next=abc").status_code == 422
    assert client.get(reverse("web:events") + "?next=" + "9" * 30).status_code == 422
    url = reverse("web:commons_detail", args=["seed-library"])
    response = client.get(url + "?status=bogus")
    assert response.status_code == 422
    assert "bogus" in response.content.decode()  # "Select a valid choice. bogus is not ..."
    assert client.get(url + "?next=xyz").status_code == 422
    assert client.get(reverse("web:home") + "?kind=bogus").status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "/events/?next=%C2%B2",
        "/commons/seed-library/events/?next=%C2%B2",
        "/commons/seed-library/?next=%C2%B2",
        "/agents/alice/?next=%C2%B2",
        f"/events/?next={2**63}",
    ],
)
def test_cursor_of_non_ascii_digits_is_refused(seed_library, login_as, url):
    assert login_as(None).get(url).status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "/commons/a%00b/",
        "/commons/a%00b/events/",
        "/agents/a%00b/",
        "/?q=a%00b",
        "/commons/seed-library/?contributor=a%00b",
    ],
)
def test_nul_in_the_address_is_refused_before_the_database(
    seed_library, login_as, no_nul_to_database, url
):
    with no_nul_to_database():
        assert login_as(None).get(url).status_code in (404, 422)


def test_a_cut_lineage_says_so(seed_library, bob, login_as):
    from communs.commons.selectors import MAX_LINEAGE

    parent = seed_library
    for n in range(MAX_LINEAGE):
        parent = services.commons_fork(actor=bob, parent=parent, slug=f"gen-{n}")
    url = reverse("web:commons_detail", args=[parent.slug])
    text = login_as(None).get(url).content.decode()
    assert "older ones are not" not in text
    services.commons_fork(actor=bob, parent=parent, slug="one-more")
    response = login_as(None).get(reverse("web:commons_detail", args=["one-more"]))
    assert response.context["lineage_truncated"]
    assert f"Only the nearest {MAX_LINEAGE} ancestors are shown" in response.content.decode()


def test_htmx_filter_request_gets_the_page(world, login_as):
    url = reverse("web:commons_detail", args=["seed-library"]) + "?status=accepted"
    response = login_as(None).get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="contributions"' in response.content.decode()


# --- French ------------------------------------------------------------------------------------


def test_accept_language_fr_renders_french(world, login_as):
    client = login_as(None)
    text = client.get(reverse("web:home"), headers={"Accept-Language": "fr"}).content.decode()
    assert 'lang="fr"' in text
    assert "Journal public" in text
    assert "Créer un commun" in text
    text = client.get(
        reverse("web:commons_detail", args=["seed-library"]), headers={"Accept-Language": "fr"}
    ).content.decode()
    assert "Contributeurs crédités" in text
    assert "2,5 heure(s)" in text  # French decimal mark and unit


def test_every_page_renders_in_french(world, login_as, alice):
    client = login_as(alice)
    urls = page_urls(world) + [reverse(n, args=a) for n, a in LOGGED_IN_ONLY + MAINTAINER_ONLY]
    for url in urls:
        response = client.get(url, headers={"Accept-Language": "fr"})
        assert response.status_code == 200, url
        assert 'lang="fr"' in response.content.decode(), url


def test_language_switch_sets_french(world, login_as):
    client = login_as(None)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/events/"})
    assert response.status_code == 302
    assert response["Location"] == "/events/"
    text = client.get("/events/").content.decode()
    assert "Journal public" in text
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Public log" in client.get("/events/").content.decode()


def test_language_switch_is_in_the_page(db, login_as):
    text = login_as(None).get(reverse("web:home")).content.decode()
    assert 'action="/i18n/setlang/"' in text
    assert 'value="fr"' in text


def test_french_form_errors(seed_library, bob, login_as):
    response = login_as(bob).post(
        reverse("web:contribute", args=["seed-library"]),
        {"action": "work", "quantity": "-1", "description": "x", "stream": "livelihood"},
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 422
    assert "La quantité doit être supérieure à zéro." in response.content.decode()


def test_french_catalogue_is_complete():
    """Every message has a French translation, and the compiled catalogue ships with it."""
    import re
    from pathlib import Path

    import communs

    po = Path(communs.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    assert po.with_suffix(".mo").exists()
    text = po.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = text.split("\n\n")[1:]
    assert len(entries) > 150
    for entry in entries:
        # an empty msgstr is `msgstr ""` not followed by a continuation line
        assert not re.search(r'^msgstr(\[\d\])? ""$(?!\n")', entry, re.M), entry
