"""The health report page: public, its figures in tables and in charts drawn by the server, in
English and French; an empty report said so; a query count that does not grow with history;
and the commons page linking to it once a history was imported."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communs.accounts.models import Agent
from communs.commons.models import Commons
from tests.history.test_report import add_commits, known_history, person

pytestmark = pytest.mark.django_db
URL = reverse("web:health_report", args=["seed-library"])
LoginAs = Callable[[Agent | None], Client]


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def cells(page: str, table: str) -> list[list[str]]:
    """The text of each row's cells in the first <table class="`table`">."""
    found = re.search(rf'<table class="{table}">(.*?)</table>', page, re.S)
    assert found, f"no table {table}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in rows
    ]


def test_anyone_reads_the_report(login_as: LoginAs, alice: Agent, seed_library: Commons) -> None:
    known_history(seed_library, alice)
    response = login_as(None).get(URL)
    assert response.status_code == 200
    page = text(response)
    assert "Health report" in page
    assert cells(page, "funding")[1:] == [
        ["paid (made for an organisation)", "5", "55.6", "2"],
        ["volunteer (on their own account)", "1", "11.1", "1"],
        ["unknown", "3", "33.3", "2"],
    ]
    assert cells(page, "organisations")[1:] == [["acme", "5", "55.6", "2"]]
    assert cells(page, "totals")[1:] == [
        ["1", "Ada Lovelace", "6", "66.7", "32", "13"],
        ["2", "Bob", "3", "33.3", "5", "5"],
    ]
    assert cells(page, "months")[1:] == [  # latest first
        ["2024-03", "3", "2", "0", "2"],
        ["2024-02", "2", "1", "0", "1"],
        ["2024-01", "4", "2", "2", "0"],
    ]
    assert "<strong>1</strong> person made half of the commits (66.7 % of them)." in page
    assert "counted in commits" in page
    assert "2024-01-10" in page
    assert "2024-03-31" in page
    assert "2 commits: the history lacked what it takes to count their lines" in page
    assert reverse("web:agent_detail", args=["ada"]) in page
    assert "/api/v1/commons/seed-library/report" in page


def test_the_charts_are_drawn_by_the_server(
    login_as: LoginAs, alice: Agent, seed_library: Commons
) -> None:
    known_history(seed_library, alice)
    page = text(login_as(None).get(URL))
    assert page.count("<svg") == 3
    assert page.count('role="img"') == 3
    # one column per month, new contributors below returning ones
    assert page.count('<g class="column">') == 3
    assert "<title>2024-01: 2 contributors (2 new, 0 returning)</title>" in page
    assert "<title>2024-02: 1 contributor (0 new, 1 returning)</title>" in page
    # the shares: bars as long as each one's part of all commits
    assert '<g class="bar paid">' in page
    assert "<title>paid: 5 commits · 55.6 %</title>" in page
    assert "<title>volunteer: 1 commit · 11.1 %</title>" in page
    assert '<g class="bar organisation">' in page
    widths = [int(w) for w in re.findall(r'<rect x="250" y="\d+" width="(\d+)"', page)]
    assert widths[:3] == [round(330 * 5 / 9), round(330 * 1 / 9), round(330 * 3 / 9)]


def test_a_long_silence_is_drawn_as_one_break(
    login_as: LoginAs, alice: Agent, seed_library: Commons
) -> None:
    known_history(seed_library, alice)
    dee = person("dee")
    add_commits(seed_library, dee, "1970-01-01 00:00")  # a clock that was never set
    add_commits(seed_library, dee, "2023-11-15 10:00")  # two quiet months before January
    page = text(login_as(None).get(URL))
    assert page.count('<g class="silence">') == 1
    assert "<title>No commits from 1970-02 to 2023-10</title>" in page
    assert page.count('<g class="column">') == 1 + 1 + 1 + 3  # 1970-01, 2023-11, 2023-12, 2024
    assert "<title>2023-12: 0 contributors (0 new, 0 returning)</title>" in page
    # the table lists the months with commits only
    assert [row[0] for row in cells(page, "months")[1:]] == [
        "2024-03",
        "2024-02",
        "2024-01",
        "2023-11",
        "1970-01",
    ]


def test_a_commons_without_history_says_so(login_as: LoginAs, seed_library: Commons) -> None:
    response = login_as(None).get(URL)
    assert response.status_code == 200
    page = text(response)
    assert "No commits have been imported into this commons yet" in page
    assert "communs ingest git PATH --commons seed-library" in page
    assert "<svg" not in page
    assert 'class="funding"' not in page


def test_an_unknown_commons_is_a_404(login_as: LoginAs, db: None) -> None:
    response = login_as(None).get(reverse("web:health_report", args=["nowhere"]))
    assert response.status_code == 404


def test_the_page_only_answers_get(login_as: LoginAs, alice: Agent, seed_library: Commons) -> None:
    assert login_as(alice).post(URL).status_code == 405


def test_the_report_in_french(login_as: LoginAs, alice: Agent, seed_library: Commons) -> None:
    known_history(seed_library, alice)
    page = text(login_as(None).get(URL, headers={"Accept-Language": "fr"}))
    assert '<html lang="fr">' in page
    assert "Bilan de santé" in page
    assert "Qui paie le travail" in page
    assert "Facteur d’autobus" in page
    assert "<strong>1</strong> personne a fait la moitié des commits (66,7 % d’entre eux)." in page
    assert ["payé (fait pour une organisation)", "5", "55,6", "2"] in cells(page, "funding")
    assert "<title>2024-01 : 2 contributeur·rices (2 nouveaux·elles, 0 de retour)</title>" in page
    assert "<title>payé : 5 commits · 55,6 %</title>" in page
    assert "<title>bénévole : 1 commit · 11,1 %</title>" in page


def test_the_empty_report_in_french(login_as: LoginAs, seed_library: Commons) -> None:
    page = text(login_as(None).get(URL, headers={"Accept-Language": "fr"}))
    assert "Aucun commit n’a encore été importé dans ce commun" in page


@pytest.mark.parametrize("people", [3, 30])
def test_queries_do_not_grow_with_the_history(
    people: int, login_as: LoginAs, alice: Agent, seed_library: Commons
) -> None:
    known_history(seed_library, alice)
    for i in range(people):
        someone = person(f"dev{i}")
        for month in range(1, 1 + i % 12 + 1):
            add_commits(seed_library, someone, f"2023-{month:02d}-03 10:00", 3)
    client = login_as(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert response.context["report"].contributors == people + 2
    # session and user, the commons, its affiliations, the grouped commits, the names
    assert len(queries) == 6


def test_the_commons_page_links_to_the_report_once_a_history_is_imported(
    login_as: LoginAs, alice: Agent, seed_library: Commons
) -> None:
    commons_page = reverse("web:commons_detail", args=["seed-library"])
    client = login_as(None)
    assert URL not in text(client.get(commons_page))
    add_commits(seed_library, person("ada"), "2024-01-01 10:00")
    page = text(client.get(commons_page))
    assert URL in page
    assert "Health report" in page
