"""Query-count guards: a page costs the same few queries with 3 rows or 30 (no N+1)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communs.accounts import services as accounts
from communs.commons import services

pytestmark = pytest.mark.django_db


def _populate(alice, seed_library, make_person, count: int) -> None:
    """`count` contributions by up to 10 people, some on behalf of an organisation, some
    accepted (so the credited totals fill up), with maintainers and a fork that credits them."""
    people = [make_person(f"person{i}") for i in range(min(count, 10))]
    coop = accounts.organisation_create(
        actor=people[0], name="coop", display_name="Coop", kind="worker_coop"
    )
    for i in range(count):
        person = people[i % len(people)]
        made = services.contribution_submit(
            actor=person,
            commons=seed_library,
            action="work",
            quantity=str(i + 1),
            description=f"task {i}",
            organisation=coop if person == people[0] else None,
        )
        if i % 2 == 0:
            services.contribution_accept(actor=alice, contribution=made)
    for person in people[:3]:
        services.maintainer_add(actor=alice, commons=seed_library, agent=person)
    services.commons_fork(actor=people[1], parent=seed_library, slug="fork-of-seeds")


@pytest.fixture(params=[3, 30], ids=["3 rows", "30 rows"])
def data(request, alice, seed_library, make_person):
    _populate(alice, seed_library, make_person, request.param)
    return request.param


# Budgets hold for both sizes; an N+1 on any list would exceed them with 30 rows.
COMMONS_PAGE = 15  # incl. whether a git history was imported, and the discussion thread
FORK_PAGE = 14
CONTRIBUTION_FILTER = 13
EVENT_PAGE = 6
REVIEW_QUEUE = 5
AGENT_PAGE = 7


@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_commons_page(data, who, alice, login_as, django_assert_max_num_queries):
    client = login_as(alice if who == "alice" else None)
    url = reverse("web:commons_detail", args=["seed-library"])
    with django_assert_max_num_queries(COMMONS_PAGE):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["page"].items) == min(data, 25)


def test_fork_page_with_credited_ancestors(data, login_as, django_assert_max_num_queries):
    url = reverse("web:commons_detail", args=["fork-of-seeds"])
    with django_assert_max_num_queries(FORK_PAGE):
        response = login_as(None).get(url)
    assert response.status_code == 200
    assert response.context["ancestors"][0].credits


@pytest.mark.parametrize(
    "query",
    [
        "?status=submitted",
        "?action=work",
        "?contributor=person0",
        "?status=accepted&action=work&contributor=person2",
    ],
)
def test_contribution_filter(data, query, login_as, django_assert_max_num_queries):
    url = reverse("web:commons_detail", args=["seed-library"]) + query
    with django_assert_max_num_queries(CONTRIBUTION_FILTER):
        assert login_as(None).get(url).status_code == 200


@pytest.mark.parametrize("url", ["/events/", "/commons/seed-library/events/"])
def test_event_log_pages(data, url, login_as, django_assert_max_num_queries):
    with django_assert_max_num_queries(EVENT_PAGE):
        response = login_as(None).get(url)
    assert response.status_code == 200
    assert len(response.context["events"]) >= min(data, 10)


def test_review_queue(data, alice, seed_library, login_as, django_assert_max_num_queries):
    client = login_as(alice)
    with django_assert_max_num_queries(REVIEW_QUEUE):
        response = client.get(reverse("web:review_queue"))
    assert response.status_code == 200
    assert len(response.context["queue"]) == data // 2


def test_agent_page(data, login_as, django_assert_max_num_queries):
    with django_assert_max_num_queries(AGENT_PAGE):
        response = login_as(None).get(reverse("web:agent_detail", args=["person0"]))
    assert response.status_code == 200
    assert response.context["contributions"]
