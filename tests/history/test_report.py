"""The health report read from the database: grouped in SQL, merged identities followed,
affiliations applied by date, a constant number of queries; and on a history imported from a
real repository, figures that match git's own count."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communs.accounts.models import Agent
from communs.commons.models import Commons
from communs.core import clock
from communs.history import selectors
from communs.history.models import Affiliation, Commit
from communs.history.services import ingest_git

pytestmark = pytest.mark.django_db
_shas = itertools.count(1)


# --- helpers, also used by the API, web and CLI tests of the report -----------------------------


def person(name: str, display_name: str = "") -> Agent:
    """A person met only in a history: no account."""
    return Agent.objects.create(
        name=name, display_name=display_name or name.title(), type="person", created_at=clock.now()
    )


def organisation(name: str) -> Agent:
    return Agent.objects.create(
        name=name,
        display_name=name.upper(),
        type="organisation",
        org_kind="company",
        created_at=clock.now(),
    )


def add_commits(
    commons: Commons,
    author: Agent,
    when: datetime | str,
    count: int = 1,
    *,
    email: str = "",
    added: int | None = 10,
    removed: int | None = 2,
) -> None:
    """`count` commits by `author` at `when` ("YYYY-MM-DD HH:MM" is UTC), each with the given
    line counts (None: imported without them)."""
    at = when if isinstance(when, datetime) else datetime.fromisoformat(when).replace(tzinfo=UTC)
    Commit.objects.bulk_create(
        Commit(
            commons=commons,
            sha=f"{next(_shas):040x}",
            author=author,
            author_email=email or f"{author.name}@example.org",
            authored_at=at,
            added=added,
            removed=removed,
            imported_at=clock.now(),
        )
        for _ in range(count)
    )


def affiliate(
    commons: Commons,
    domain: str,
    by: Agent,
    *,
    organisation: Agent | None = None,
    email: str = "",
    since: date | None = None,
    until: date | None = None,
) -> Affiliation:
    return Affiliation.objects.create(
        commons=commons,
        domain=domain,
        email=email,
        kind="paid" if organisation else "volunteer",
        organisation=organisation,
        since=since,
        until=until,
        created_by=by,
        created_at=clock.now(),
    )


def known_history(commons: Commons, maintainer: Agent) -> dict[str, Agent]:
    """Ada made 6 commits (2 of them as an identity since merged into hers), Bob 3.

    paid by acme: Ada 3 + Bob 2 = 5 · volunteer: Ada's gmail 1 · unknown: Bob 1 + Ada's old 2.
    """
    ada, bob, old = person("ada", "Ada Lovelace"), person("bob"), person("ada-old")
    acme = organisation("acme")
    add_commits(commons, ada, "2024-01-10 09:00", 3, email="ada@acme.com", added=10, removed=2)
    add_commits(commons, bob, "2024-01-20 10:00", 1, email="bob@else.net", added=5, removed=5)
    add_commits(commons, old, "2024-02-01 08:00", 2, email="ada@old.example", added=1, removed=0)
    add_commits(commons, ada, "2024-03-05 12:00", 1, email="ada@gmail.com", added=0, removed=7)
    add_commits(commons, bob, "2024-03-31 23:30", 2, email="Bob@ACME.com", added=None, removed=None)
    old.merged_into = ada
    old.save()
    affiliate(commons, "acme.com", maintainer, organisation=acme)
    return {"ada": ada, "bob": bob, "acme": acme}


def test_report_of_a_known_history(alice: Agent, seed_library: Commons) -> None:
    known_history(seed_library, alice)
    report = selectors.report_get(seed_library)
    assert (report.commits, report.contributors, report.without_lines) == (9, 2, 2)
    assert report.first_commit == datetime(2024, 1, 10, 9, tzinfo=UTC)
    assert report.last_commit == datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
    assert (report.added, report.removed) == (37, 18)
    assert [(m.month, m.commits, m.contributors, m.new, m.returning) for m in report.months] == [
        ("2024-01", 4, 2, 2, 0),
        ("2024-02", 2, 1, 0, 1),  # the merged identity is Ada, who came in January
        ("2024-03", 3, 2, 0, 2),
    ]
    assert [(c.name, c.display_name, c.commits, c.added, c.removed) for c in report.top] == [
        ("ada", "Ada Lovelace", 6, 32, 13),
        ("bob", "Bob", 3, 5, 5),
    ]
    assert report.bus_factor.people == 1
    assert report.bus_factor.percent == Decimal("66.7")
    assert [
        (f.funding.value, f.commits, str(f.percent), f.contributors) for f in report.funding
    ] == [
        ("paid", 5, "55.6", 2),
        ("volunteer", 1, "11.1", 1),
        ("unknown", 3, "33.3", 2),
    ]
    assert [(o.organisation, o.commits, o.contributors) for o in report.organisations] == [
        ("acme", 5, 2)
    ]


def test_a_commons_without_imported_commits_has_an_empty_report(
    alice: Agent, seed_library: Commons, other_commons: Commons
) -> None:
    known_history(other_commons, alice)  # another commons' history does not count here
    report = selectors.report_get(seed_library)
    assert report.empty
    assert report.months == ()
    assert [f.commits for f in report.funding] == [0, 0, 0]
    assert selectors.report_get(other_commons).commits == 9


def test_an_affiliation_that_starts_mid_month_splits_that_month(
    alice: Agent, seed_library: Commons
) -> None:
    carol = person("carol-h")
    lab = organisation("lab")
    for day in ("2024-05-10 12:00", "2024-05-14 23:59", "2024-05-15 00:00", "2024-05-31 12:00"):
        add_commits(seed_library, carol, day, email="carol@lab.org")
    add_commits(seed_library, carol, "2024-06-01 00:00", email="carol@lab.org")
    affiliate(
        seed_library,
        "lab.org",
        alice,
        organisation=lab,
        email="carol@lab.org",
        since=date(2024, 5, 15),
        until=date(2024, 5, 31),
    )
    report = selectors.report_get(seed_library)
    funding = {f.funding.value: f.commits for f in report.funding}
    assert funding == {"paid": 2, "volunteer": 0, "unknown": 3}
    assert [(m.month, m.commits, m.contributors) for m in report.months] == [
        ("2024-05", 4, 1),
        ("2024-06", 1, 1),
    ]


def test_months_are_counted_in_utc(seed_library: Commons) -> None:
    eve = person("eve")
    new_york = timezone(timedelta(hours=-5))
    add_commits(seed_library, eve, datetime(2024, 1, 31, 23, 30, tzinfo=new_york))  # February
    add_commits(seed_library, eve, datetime(2024, 1, 31, 18, 59, tzinfo=new_york))  # January
    report = selectors.report_get(seed_library)
    assert [(m.month, m.commits) for m in report.months] == [("2024-01", 1), ("2024-02", 1)]


def test_volunteer_affiliations_and_the_most_specific_rule(
    alice: Agent, seed_library: Commons
) -> None:
    dan = person("dan")
    univ = organisation("univ")
    add_commits(seed_library, dan, "2024-01-01 10:00", 4, email="dan@cs.univ.edu")
    add_commits(seed_library, dan, "2024-01-02 10:00", 1, email="dan@univ.edu")
    affiliate(seed_library, "univ.edu", alice, organisation=univ)
    affiliate(seed_library, "cs.univ.edu", alice)  # students' own work
    report = selectors.report_get(seed_library)
    assert {f.funding.value: f.commits for f in report.funding} == {
        "paid": 1,
        "volunteer": 4,
        "unknown": 0,
    }
    assert [(o.organisation, o.commits) for o in report.organisations] == [("univ", 1)]


def test_top_contributors_are_limited(alice: Agent, seed_library: Commons) -> None:
    for i in range(12):
        add_commits(seed_library, person(f"p{i:02d}"), "2024-01-01 00:00", i + 1)
    report = selectors.report_get(seed_library)
    assert len(report.top) == 10
    assert [c.name for c in report.top[:2]] == ["p11", "p10"]
    assert report.contributors == 12
    assert len(selectors.report_get(seed_library, top=3).top) == 3


@pytest.mark.parametrize("people", [3, 30])
def test_the_report_costs_three_queries_at_any_size(
    people: int, alice: Agent, seed_library: Commons
) -> None:
    acme = organisation("acme")
    affiliate(seed_library, "acme.com", alice, organisation=acme)
    affiliate(seed_library, "x.org", alice, since=date(2024, 2, 1))
    for i in range(people):
        someone = person(f"dev{i}")
        for month in range(1, 1 + i % 12 + 1):
            add_commits(
                seed_library, someone, f"2024-{month:02d}-03 10:00", 2, email=f"d{i}@acme.com"
            )
    with CaptureQueriesContext(connection) as queries:
        report = selectors.report_get(seed_library)
    assert len(queries) == 3
    assert report.contributors == people
    assert all(c.name for c in report.top)


# --- imported from a real repository -------------------------------------------------------------


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """A repository in tmp_path without the developer's git configuration; the returned
    function commits as someone at a date and returns the output of git (for shortlog)."""
    if shutil.which("git") is None:  # pragma: no cover - the import needs git
        pytest.skip("git is not installed")
    home = tmp_path / "home"
    home.mkdir()
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(  # noqa: S603 - fixed program, test arguments
            ["git", "-c", "user.useConfigOnly=false", *args],  # noqa: S607
            cwd=repo,
            env={**os.environ, "TZ": "UTC", **(env or {})},
            capture_output=True,
            check=True,
        )
        return done.stdout.decode()

    git("init", "-q", "-b", "main")
    return git


def commit(git: Callable[..., str], path: Path, who: str, email: str, when: str, n: int) -> None:
    """A commit adding `n` lines, authored by who <email> at `when` (ISO, UTC)."""
    (path / f"{email}-{when}.txt").write_text("line\n" * n)
    git("add", "-A")
    stamp = f"{when} +0000"
    git(
        "commit", "-q", "-m", f"work of {who}",
        env={"GIT_AUTHOR_NAME": who, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": stamp,
             "GIT_COMMITTER_NAME": who, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": stamp},
    )  # fmt: skip


def test_report_of_an_imported_repository_matches_git(
    git_repo: Callable[..., str], tmp_path: Path, alice: Agent, seed_library: Commons
) -> None:
    repo = tmp_path / "repo"
    plan = [
        ("Ada Lovelace", "ada@acme.com", "2023-12-31T23:30:00", 3),
        ("Ada Lovelace", "ada@gmail.com", "2024-01-02T10:00:00", 2),
        ("Bob Builder", "bob@builders.net", "2024-01-15T10:00:00", 1),
        ("Ada Lovelace", "ada@acme.com", "2024-03-01T10:00:00", 4),
        ("Cy Young", "cy@gmail.com", "2024-03-02T10:00:00", 5),
        ("Ada Lovelace", "ada@acme.com", "2024-03-03T10:00:00", 1),
    ]
    for who, email, when, lines in plan:
        commit(git_repo, repo, who, email, when, lines)
    affiliate(seed_library, "acme.com", alice, organisation=organisation("acme"))
    ingest_git(actor=alice, commons=seed_library, path=str(repo))

    report = selectors.report_get(seed_library)
    shortlog = git_repo("shortlog", "-sn", "--no-merges", "HEAD")
    counts = sorted(int(line.split("\t")[0]) for line in shortlog.splitlines())
    assert sorted(c.commits for c in report.top) == counts == [1, 1, 4]
    assert [(c.display_name, c.commits, c.added) for c in report.top] == [
        ("Ada Lovelace", 4, 10),
        ("Cy Young", 1, 5),  # before Bob: as many commits, more lines
        ("Bob Builder", 1, 1),
    ]
    assert [(m.month, m.commits, m.new, m.returning) for m in report.months] == [
        ("2023-12", 1, 1, 0),
        ("2024-01", 2, 1, 1),
        ("2024-02", 0, 0, 0),
        ("2024-03", 3, 1, 1),
    ]
    assert {f.funding.value: f.commits for f in report.funding} == {
        "paid": 3,
        "volunteer": 2,
        "unknown": 1,
    }
    assert report.bus_factor.people == 1
    assert report.without_lines == 0
