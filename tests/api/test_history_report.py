"""GET /api/v1/commons/{slug}/report: public, the same figures as the selector, an empty
report for a commons without history, and a query count that does not grow with history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communs.accounts.models import Agent
from communs.commons.models import Commons
from tests.api.client import Api
from tests.history.test_report import add_commits, known_history, person

pytestmark = pytest.mark.django_db


def test_anyone_reads_the_report(anon: Api, alice: Agent, seed_library: Commons) -> None:
    known_history(seed_library, alice)
    response = anon.get("/commons/seed-library/report")
    assert response.status_code == 200
    body = response.json()
    assert body["commons"] == "seed-library"
    assert (body["commits"], body["contributors"], body["without_lines"]) == (9, 2, 2)
    assert (body["lines_added"], body["lines_removed"]) == (37, 18)
    assert body["first_commit"] == "2024-01-10T09:00:00Z"
    assert body["last_commit"] == "2024-03-31T23:30:00Z"
    assert body["months"] == [
        {"month": "2024-01", "commits": 4, "contributors": 2, "new": 2, "returning": 0},
        {"month": "2024-02", "commits": 2, "contributors": 1, "new": 0, "returning": 1},
        {"month": "2024-03", "commits": 3, "contributors": 2, "new": 0, "returning": 2},
    ]
    assert body["top_contributors"] == [
        {
            "agent": "ada",
            "display_name": "Ada Lovelace",
            "commits": 6,
            "lines_added": 32,
            "lines_removed": 13,
            "percent": "66.7",
        },
        {
            "agent": "bob",
            "display_name": "Bob",
            "commits": 3,
            "lines_added": 5,
            "lines_removed": 5,
            "percent": "33.3",
        },
    ]
    assert body["bus_factor"] == {"people": 1, "percent": "66.7", "measure": "commits"}
    assert body["funding"] == [
        {"funding": "paid", "commits": 5, "percent": "55.6", "contributors": 2},
        {"funding": "volunteer", "commits": 1, "percent": "11.1", "contributors": 1},
        {"funding": "unknown", "commits": 3, "percent": "33.3", "contributors": 2},
    ]
    assert body["organisations"] == [
        {"organisation": "acme", "commits": 5, "percent": "55.6", "contributors": 2}
    ]


def test_a_commons_without_history_has_an_empty_report(anon: Api, seed_library: Commons) -> None:
    response = anon.get("/commons/seed-library/report")
    assert response.status_code == 200
    body = response.json()
    assert (body["commits"], body["contributors"], body["first_commit"]) == (0, 0, None)
    assert body["months"] == body["top_contributors"] == body["organisations"] == []
    assert body["bus_factor"] == {"people": 0, "percent": "0.0", "measure": "commits"}
    assert [(f["funding"], f["commits"], f["percent"]) for f in body["funding"]] == [
        ("paid", 0, "0.0"),
        ("volunteer", 0, "0.0"),
        ("unknown", 0, "0.0"),
    ]


@pytest.mark.parametrize("slug", ["no-such-commons", "Not A Slug"])
def test_an_unknown_commons_is_a_404_problem(anon: Api, db: None, slug: str) -> None:
    response = anon.get(f"/commons/{slug}/report")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_report_is_in_the_openapi_document(anon: Api, db: None) -> None:
    paths = anon.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/commons/{slug}/report"]


@pytest.mark.parametrize("people", [3, 30])
def test_queries_do_not_grow_with_the_history(
    people: int, anon: Api, alice: Agent, seed_library: Commons
) -> None:
    known_history(seed_library, alice)
    for i in range(people):
        someone = person(f"dev{i}")
        for month in range(1, 1 + i % 12 + 1):
            add_commits(seed_library, someone, f"2023-{month:02d}-03 10:00", 3)
    with CaptureQueriesContext(connection) as queries:
        response = anon.get("/commons/seed-library/report")
    assert response.status_code == 200
    assert response.json()["contributors"] == people + 2
    # The commons, its affiliations, the grouped commits, the top contributors' names.
    assert len(queries) == 4
