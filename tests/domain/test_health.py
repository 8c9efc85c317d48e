"""The health report's figures, computed from rows of activity without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from communs.domain import health
from communs.domain.githistory import AffiliationRule, Funding
from communs.domain.health import Activity


def row(
    agent: int,
    when: str,
    commits: int = 1,
    *,
    email: str = "",
    counted: int | None = None,
    added: int = 0,
    removed: int = 0,
) -> Activity:
    """`commits` commits of `agent` on the day `when` ("YYYY-MM-DD")."""
    moment = datetime.fromisoformat(when).replace(tzinfo=UTC)
    return Activity(
        agent=agent,
        month=f"{moment:%Y-%m}",
        email=email or f"person{agent}@example.org",
        first=moment,
        last=moment + timedelta(hours=1),
        commits=commits,
        counted=commits if counted is None else counted,
        added=added,
        removed=removed,
    )


def funding_table(report: health.Report) -> dict[str, tuple[int, str, int]]:
    return {f.funding.value: (f.commits, str(f.percent), f.contributors) for f in report.funding}


def test_no_commits_give_an_empty_report() -> None:
    report = health.report([], [])
    assert report.empty
    assert (report.commits, report.contributors, report.without_lines) == (0, 0, 0)
    assert report.first_commit is None
    assert report.last_commit is None
    assert (report.months, report.top, report.organisations) == ((), (), ())
    assert report.bus_factor == health.BusFactor(0, Decimal("0.0"), "commits")
    assert funding_table(report) == {
        "paid": (0, "0.0", 0),
        "volunteer": (0, "0.0", 0),
        "unknown": (0, "0.0", 0),
    }


def test_months_count_new_and_returning_contributors_and_fill_gaps() -> None:
    report = health.report(
        [
            row(1, "2024-01-05", 3),
            row(2, "2024-01-20"),
            row(1, "2024-02-01"),
            # nobody in March
            row(3, "2024-04-02", 2),
            row(2, "2024-04-03"),
            row(1, "2024-04-30"),
        ],
        [],
    )
    assert [(m.month, m.commits, m.contributors, m.new, m.returning) for m in report.months] == [
        ("2024-01", 4, 2, 2, 0),
        ("2024-02", 1, 1, 0, 1),
        ("2024-03", 0, 0, 0, 0),
        ("2024-04", 4, 3, 1, 2),
    ]
    assert (report.commits, report.contributors) == (9, 3)
    assert report.first_commit == datetime(2024, 1, 5, tzinfo=UTC)
    assert report.last_commit == datetime(2024, 4, 30, 1, tzinfo=UTC)


def test_months_run_across_years() -> None:
    report = health.report([row(1, "2023-11-30"), row(1, "2024-02-01")], [])
    assert [m.month for m in report.months] == ["2023-11", "2023-12", "2024-01", "2024-02"]


def test_rows_in_any_order_give_the_same_report() -> None:
    rows = [row(1, "2024-03-01"), row(2, "2024-01-01"), row(1, "2024-01-02"), row(3, "2024-02-09")]
    assert health.report(rows, []) == health.report(list(reversed(rows)), [])
    newcomers = {m.month: m.new for m in health.report(rows, []).months}
    assert newcomers == {"2024-01": 2, "2024-02": 1, "2024-03": 0}


def test_one_person_under_several_addresses_counts_once() -> None:
    report = health.report(
        [
            row(1, "2024-01-01", 2, email="ada@example.org"),
            row(1, "2024-01-09", 3, email="ada@gmail.com"),
        ],
        [],
    )
    assert report.contributors == 1
    assert report.months[0].contributors == 1
    assert [(c.agent, c.commits) for c in report.top] == [(1, 5)]


def test_top_contributors_by_commits_with_their_lines() -> None:
    rows = [
        row(1, "2024-01-01", 5, added=100, removed=10),
        row(1, "2024-02-01", 1, added=1, removed=1),
        row(2, "2024-01-01", 2, added=500, removed=0),
        row(3, "2024-01-01", 2, added=50, removed=0),
        row(4, "2024-01-01", 10, added=0, removed=0),
    ]
    report = health.report(rows, [], top=3)
    assert [(c.agent, c.commits, c.added, c.removed, str(c.percent)) for c in report.top] == [
        (4, 10, 0, 0, "50.0"),
        (1, 6, 101, 11, "30.0"),
        (2, 2, 500, 0, "10.0"),  # before agent 3: as many commits, more lines
    ]
    assert (report.added, report.removed) == (651, 11)


def test_commits_without_line_counts_are_counted() -> None:
    report = health.report(
        [row(1, "2024-01-01", 4, counted=1, added=3), row(2, "2024-01-02", 2, counted=0)], []
    )
    assert report.without_lines == 5
    assert report.top[0].added == 3


def test_bus_factor_is_the_fewest_people_who_made_half_of_the_commits() -> None:
    assert health.bus_factor([10, 5, 3, 2]) == health.BusFactor(1, Decimal("50.0"))
    assert health.bus_factor([5, 5, 5, 5]) == health.BusFactor(2, Decimal("50.0"))
    assert health.bus_factor([3, 3, 3]) == health.BusFactor(2, Decimal("66.7"))
    assert health.bus_factor([1, 9]) == health.BusFactor(1, Decimal("90.0"))
    assert health.bus_factor([]) == health.BusFactor(0, Decimal("0.0"))
    assert health.bus_factor([4, 0]).people == 1
    assert health.bus_factor([1]).measure == "commits"


@given(st.lists(st.integers(0, 1000), max_size=30))
def test_bus_factor_is_minimal(commits: list[int]) -> None:
    found = health.bus_factor(commits)
    ranked = sorted(commits, reverse=True)
    total = sum(commits)
    assert 2 * sum(ranked[: found.people]) >= total
    if found.people:
        assert 2 * sum(ranked[: found.people - 1]) < total


def test_report_bus_factor_sums_each_persons_rows() -> None:
    # Person 1 made 6 of 11 commits, spread over rows that alone are smaller than others.
    rows = [row(1, "2024-01-01", 2), row(1, "2024-02-01", 2), row(1, "2024-03-01", 2)]
    rows += [row(2, "2024-01-01", 3), row(3, "2024-01-01", 2)]
    assert health.report(rows, []).bus_factor == health.BusFactor(1, Decimal("54.5"))


ACME = AffiliationRule("acme.com", Funding.PAID, "acme")
COOP = AffiliationRule("coop.org", Funding.PAID, "coop")


def test_paid_volunteer_and_unknown_with_organisations_shares() -> None:
    rows = [
        row(1, "2024-01-01", 7, email="ada@acme.com"),
        row(2, "2024-01-01", 2, email="bob@dev.acme.com"),  # a subdomain of acme.com
        row(3, "2024-01-01", 3, email="cy@coop.org"),
        row(4, "2024-01-01", 5, email="dee@gmail.com"),  # free mail: a volunteer
        row(5, "2024-01-01", 1, email="5+eve@users.noreply.github.com"),
        row(6, "2024-01-01", 2, email="fay@somewhere.net"),
    ]
    report = health.report(rows, [ACME, COOP])
    assert funding_table(report) == {
        "paid": (12, "60.0", 3),
        "volunteer": (6, "30.0", 2),
        "unknown": (2, "10.0", 1),
    }
    assert [
        (o.organisation, o.commits, str(o.percent), o.contributors) for o in report.organisations
    ] == [
        ("acme", 9, "45.0", 2),
        ("coop", 3, "15.0", 1),
    ]


def test_funding_percentages_add_up_to_a_hundred() -> None:
    rows = [
        row(1, "2024-01-01", 1, email="a@acme.com"),
        row(2, "2024-01-01", 1, email="b@gmail.com"),
        row(3, "2024-01-01", 1, email="c@else.net"),
    ]
    percents = [f.percent for f in health.report(rows, [ACME]).funding]
    assert sum(percents) == Decimal("100.0")
    assert sorted(percents) == [Decimal("33.3"), Decimal("33.3"), Decimal("33.4")]


@given(st.lists(st.integers(0, 10**6), min_size=3, max_size=3).filter(lambda n: sum(n) > 0))
def test_funding_percentages_always_add_up(commits: list[int]) -> None:
    emails = ["x@acme.com", "x@gmail.com", "x@else.net"]
    rows = [
        row(i, "2024-01-01", n, email=e)
        for i, (n, e) in enumerate(zip(commits, emails, strict=True))
        if n
    ]
    report = health.report(rows, [ACME])
    assert sum(f.percent for f in report.funding) == Decimal("100.0")
    for share, n in zip(report.funding, commits, strict=True):
        assert abs(share.percent - Decimal(n * 100) / sum(commits)) <= Decimal("0.1")


def test_a_dated_rule_applies_only_to_commits_of_its_period() -> None:
    # Ada worked for acme from 10 March to 20 April 2024; her own address otherwise.
    rules = [
        AffiliationRule(
            "example.org",
            Funding.PAID,
            "acme",
            email="ada@example.org",
            since=date(2024, 3, 10),
            until=date(2024, 4, 20),
        ),
        AffiliationRule("example.org", Funding.VOLUNTEER),
    ]
    rows = [
        row(1, "2024-03-09", 1, email="ada@example.org"),
        row(1, "2024-03-10", 2, email="Ada@Example.org"),
        row(1, "2024-04-20", 4, email="ada@example.org"),
        row(1, "2024-04-21", 8, email="ada@example.org"),
    ]
    report = health.report(rows, rules)
    assert funding_table(report)["paid"] == (6, "40.0", 1)
    assert funding_table(report)["volunteer"] == (9, "60.0", 1)
    assert [(o.organisation, o.commits) for o in report.organisations] == [("acme", 6)]


def test_cut_dates_are_where_rules_start_or_stop() -> None:
    rules = [
        AffiliationRule("a.com", Funding.PAID, "a", since=date(2024, 3, 10)),
        AffiliationRule("b.com", Funding.PAID, "b", until=date(2024, 4, 20)),
        AffiliationRule("c.com", Funding.VOLUNTEER, since=date(2024, 3, 10), until=date.max),
        ACME,
    ]
    assert health.cut_dates(rules) == [date(2024, 3, 10), date(2024, 4, 21)]
    assert health.cut_instants(rules)[1] == datetime(2024, 4, 21, tzinfo=UTC)
    assert health.cut_dates([ACME]) == []


def test_named_fills_in_the_top_contributors_names() -> None:
    report = health.report([row(1, "2024-01-01", 2), row(2, "2024-01-01")], [])
    named = health.named(report, {1: ("ada", "Ada Lovelace")})
    assert [(c.name, c.display_name) for c in named.top] == [("ada", "Ada Lovelace"), ("", "")]
    assert named.commits == report.commits


def test_as_data_is_json_ready() -> None:
    rows = [row(1, "2024-01-01", 3, email="a@acme.com", added=7, removed=2)]
    report = health.named(health.report(rows, [ACME]), {1: ("ada", "Ada")})
    data = health.as_data(report, commons="seeds")
    assert data["commons"] == "seeds"
    assert data["first_commit"] == "2024-01-01T00:00:00Z"
    assert data["last_commit"] == "2024-01-01T01:00:00Z"
    assert data["months"] == [
        {"month": "2024-01", "commits": 3, "contributors": 1, "new": 1, "returning": 0}
    ]
    assert data["top_contributors"] == [
        {
            "agent": "ada",
            "display_name": "Ada",
            "commits": 3,
            "lines_added": 7,
            "lines_removed": 2,
            "percent": "100.0",
        }
    ]
    assert data["bus_factor"] == {"people": 1, "percent": "100.0", "measure": "commits"}
    assert data["funding"][0] == {
        "funding": "paid",
        "commits": 3,
        "percent": "100.0",
        "contributors": 1,
    }
    assert data["organisations"] == [
        {"organisation": "acme", "commits": 3, "percent": "100.0", "contributors": 1}
    ]
    assert health.as_data(health.report([], []), commons="x")["first_commit"] is None
