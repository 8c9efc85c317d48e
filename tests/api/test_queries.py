"""Query-count guards for the API lists: a page costs the same few queries with 3 rows or 30."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communs.accounts.models import Agent
from communs.commons import services
from communs.commons.models import Commons
from tests.api.client import Api

pytestmark = pytest.mark.django_db


def _populate(alice: Agent, seed_library: Commons, make_person: Callable[..., Agent], count: int):
    """`count` commons by different people (some forks), and `count` contributions to the seed
    library by those people, half of them accepted."""
    people = [make_person(f"person{i}") for i in range(count)]
    for i, person in enumerate(people):
        if i % 3 == 0:
            services.commons_fork(actor=person, parent=seed_library, slug=f"fork{i}")
        else:
            services.commons_create(actor=person, slug=f"commons{i}", title=f"Commons {i}")
        made = services.contribution_submit(
            actor=person,
            commons=seed_library,
            action="work",
            quantity=str(i + 1),
            description=f"task {i}",
        )
        if i % 2 == 0:
            services.contribution_accept(actor=alice, contribution=made)


@pytest.fixture(params=[3, 30], ids=["3 rows", "30 rows"])
def data(request, alice, seed_library, make_person):
    _populate(alice, seed_library, make_person, request.param)
    return request.param


# Budgets hold for both sizes; an N+1 on any list would exceed them with 30 rows.
COMMONS_LIST = 1
CONTRIBUTION_LIST = 2
EVENT_LIST = 1
EVENT_LIST_OF_A_COMMONS = 2


def test_commons_list(data, django_assert_max_num_queries):
    with django_assert_max_num_queries(COMMONS_LIST):
        response = Api().get("/commons", limit=200)
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == data + 1
    assert {i["forked_from"] for i in items} == {None, "seed-library"}


def test_contribution_list(data, django_assert_max_num_queries):
    with django_assert_max_num_queries(CONTRIBUTION_LIST):
        response = Api().get("/commons/seed-library/contributions", limit=200)
    assert response.status_code == 200
    assert len(response.json()["items"]) == data


@pytest.mark.parametrize(
    ("params", "budget"),
    [({}, EVENT_LIST), ({"commons": "seed-library"}, EVENT_LIST_OF_A_COMMONS)],
    ids=["all", "one commons"],
)
def test_event_list(data, params, budget, django_assert_max_num_queries):
    with django_assert_max_num_queries(budget):
        response = Api().get("/events", limit=200, **params)
    assert response.status_code == 200
    assert len(response.json()["items"]) > data


def _list_queries(make_person: Callable[..., Agent], n: int) -> int:
    for i in range(n):
        person = make_person(f"p{n}x{i}")
        services.commons_create(actor=person, slug=f"c{n}x{i}", title=f"C {i}")
    with CaptureQueriesContext(connection) as ctx:
        assert Api().get("/commons", limit=200).status_code == 200
    return len(ctx.captured_queries)


def test_commons_list_has_no_query_per_row(make_person: Callable[..., Agent]) -> None:
    few = _list_queries(make_person, 2)
    many = _list_queries(make_person, 20)  # 22 commons now
    assert many == few, f"{few} queries for 2 commons, {many} for 22: N+1"
