"""The health report of a commons, from its imported commits. Pure.

Who does the work and who pays for it: contributors per month (new and returning), the top
contributors, the bus factor, organisations' shares and the paid / volunteer / unknown table
the Linux Foundation publishes for the kernel. Every figure counts commits by their author (a
co-author is credited with a contribution, but a commit has one author here).

The database hands over `Activity` rows, each already summing the commits of one person from
one address in one month, so a history of a million commits arrives as far fewer rows. Who paid
for a commit depends on its date only where an affiliation rule starts or ends: `cut_dates`
names those days, and the rows are also split at them, so every commit of a row is classified
alike and the row's first date speaks for all of them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .distribution import largest_remainder
from .githistory import AffiliationRule, Funding, classify, email_key

TOP = 10  # contributors listed by name
BUS_FACTOR_MEASURE = "commits"  # what "half of the work" is counted in
FUNDING_ORDER = (Funding.PAID, Funding.VOLUNTEER, Funding.UNKNOWN)
TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class Activity:
    """Commits of one person (`agent`) from one address in one month, between two cut dates."""

    agent: int
    month: str  # "YYYY-MM", in UTC
    email: str
    first: datetime  # the earliest and latest commit of the row
    last: datetime
    commits: int
    counted: int  # commits with line counts
    added: int  # lines, over the counted commits
    removed: int


@dataclass(frozen=True)
class Month:
    month: str  # "YYYY-MM"
    commits: int
    contributors: int
    new: int  # their first commit ever is in this month
    returning: int  # committed in an earlier month too


@dataclass(frozen=True)
class Contributor:
    agent: int
    commits: int
    added: int
    removed: int
    percent: Decimal  # of all commits, to a tenth
    # Filled in by `named` (the database knows names; this module does not).
    name: str = ""
    display_name: str = ""


@dataclass(frozen=True)
class BusFactor:
    """The fewest people who made at least half of the commits, and the share they made."""

    people: int
    percent: Decimal
    measure: str = BUS_FACTOR_MEASURE


@dataclass(frozen=True)
class FundingShare:
    funding: Funding
    commits: int
    percent: Decimal  # the three rows add up to exactly 100 (largest remainder)
    contributors: int  # people with at least one such commit; a person may be in several rows


@dataclass(frozen=True)
class OrganisationShare:
    organisation: str  # the organisation agent's name
    commits: int
    percent: Decimal  # of all commits
    contributors: int


@dataclass(frozen=True)
class Report:
    commits: int
    contributors: int
    first_commit: datetime | None
    last_commit: datetime | None
    without_lines: int  # commits imported without line counts
    months: tuple[Month, ...]  # every month from the first commit's to the last's
    top: tuple[Contributor, ...]
    bus_factor: BusFactor
    funding: tuple[FundingShare, ...]  # paid, volunteer, unknown: always the three
    organisations: tuple[OrganisationShare, ...]  # most commits first
    added: int = 0
    removed: int = 0

    @property
    def empty(self) -> bool:
        return self.commits == 0


# --- splitting rows where affiliations change -----------------------------------------------------


def cut_dates(rules: Iterable[AffiliationRule]) -> list[date]:
    """The days on which some rule starts or stops applying (the day after its `until`),
    sorted: between two of them, every rule applies to an address on every day or on none."""
    cuts: set[date] = set()
    for rule in rules:
        if rule.since is not None:
            cuts.add(rule.since)
        if rule.until is not None and rule.until < date.max:
            cuts.add(rule.until + timedelta(days=1))
    return sorted(cuts)


def cut_instants(rules: Iterable[AffiliationRule]) -> list[datetime]:
    """`cut_dates` as instants (midnight UTC), for the query that splits rows at them."""
    return [datetime(d.year, d.month, d.day, tzinfo=UTC) for d in cut_dates(rules)]


def months_between(first: str, last: str) -> Iterator[str]:
    """Every "YYYY-MM" from `first` to `last`, both included."""
    year, month = int(first[:4]), int(first[5:7])
    while (key := f"{year:04d}-{month:02d}") <= last:
        yield key
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def percent(part: int, whole: int) -> Decimal:
    """`part` of `whole` in percent, to a tenth (half up); 0 of nothing is 0."""
    if whole == 0:
        return Decimal(0).quantize(TENTH)
    return (Decimal(part * 100) / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _funding_percents(commits: Mapping[Funding, int]) -> dict[Funding, Decimal]:
    """Tenths of a percent split by largest remainder, so the table adds up to 100.0."""
    total = sum(commits.values())
    if total == 0:
        return {f: Decimal(0).quantize(TENTH) for f in FUNDING_ORDER}
    tenths = largest_remainder(1000, {f: commits.get(f, 0) for f in FUNDING_ORDER})
    return {f: (Decimal(n) / 10).quantize(TENTH) for f, n in tenths.items()}


# --- the report -----------------------------------------------------------------------------------


@dataclass
class _Person:
    commits: int = 0
    added: int = 0
    removed: int = 0
    first_month: str = "9999-99"


@dataclass
class _Tally:
    commits: Counter[str] = field(default_factory=Counter)
    people: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def add(self, key: str, agent: int, commits: int) -> None:
        self.commits[key] += commits
        self.people[key].add(agent)


class _Classifier:
    """`classify`, remembered per address and stretch between cut dates: every row of an
    address in the same stretch gets the same answer."""

    def __init__(self, rules: Sequence[AffiliationRule]) -> None:
        self.rules = rules
        self.cuts = cut_dates(rules)
        self.known: dict[tuple[str, int], tuple[Funding, str | None]] = {}

    def __call__(self, email: str, on: date) -> tuple[Funding, str | None]:
        key = (email_key(email), bisect_right(self.cuts, on))
        if key not in self.known:
            self.known[key] = classify(email, on, self.rules)
        return self.known[key]


def report(
    activity: Iterable[Activity], rules: Sequence[AffiliationRule], *, top: int = TOP
) -> Report:
    """Every figure of the health report from the rows of one commons' history; `rules` are its
    affiliations. The rows may come in any order and are read once."""
    classifier = _Classifier(rules)
    people: defaultdict[int, _Person] = defaultdict(_Person)
    per_month = _Tally()
    funding = _Tally()
    organisations = _Tally()
    first: datetime | None = None
    last: datetime | None = None
    counted = added = removed = 0
    for row in activity:
        person = people[row.agent]
        person.commits += row.commits
        person.added += row.added
        person.removed += row.removed
        person.first_month = min(person.first_month, row.month)
        per_month.add(row.month, row.agent, row.commits)
        paid_by, organisation = classifier(row.email, row.first.astimezone(UTC).date())
        funding.add(paid_by.value, row.agent, row.commits)
        if organisation is not None:
            organisations.add(organisation, row.agent, row.commits)
        first = row.first if first is None else min(first, row.first)
        last = row.last if last is None else max(last, row.last)
        counted += row.counted
        added += row.added
        removed += row.removed
    total = sum(p.commits for p in people.values())
    return Report(
        commits=total,
        contributors=len(people),
        first_commit=first,
        last_commit=last,
        without_lines=total - counted,
        months=_months(per_month, people),
        top=_top(people, total, top),
        bus_factor=bus_factor([p.commits for p in people.values()]),
        funding=_funding(funding),
        organisations=tuple(
            OrganisationShare(name, n, percent(n, total), len(organisations.people[name]))
            for name, n in sorted(organisations.commits.items(), key=lambda i: (-i[1], i[0]))
        ),
        added=added,
        removed=removed,
    )


def _months(per_month: _Tally, people: Mapping[int, _Person]) -> tuple[Month, ...]:
    if not per_month.commits:
        return ()
    newcomers = Counter(p.first_month for p in people.values())
    months = []
    for key in months_between(min(per_month.commits), max(per_month.commits)):
        active = len(per_month.people.get(key, ()))
        new = newcomers.get(key, 0)
        months.append(Month(key, per_month.commits.get(key, 0), active, new, active - new))
    return tuple(months)


def _top(people: Mapping[int, _Person], total: int, top: int) -> tuple[Contributor, ...]:
    # Most commits first; then most lines changed; then the oldest agent, so ties are stable.
    ranked = sorted(
        people.items(),
        key=lambda item: (-item[1].commits, -(item[1].added + item[1].removed), item[0]),
    )
    return tuple(
        Contributor(agent, p.commits, p.added, p.removed, percent(p.commits, total))
        for agent, p in ranked[:top]
    )


def bus_factor(commits_per_person: Iterable[int]) -> BusFactor:
    """The fewest people who together made at least half of the commits (0 for no commits)."""
    counts = sorted((n for n in commits_per_person if n > 0), reverse=True)
    total = sum(counts)
    made = people = 0
    for n in counts:
        if 2 * made >= total:
            break
        made += n
        people += 1
    return BusFactor(people, percent(made, total))


def _funding(funding: _Tally) -> tuple[FundingShare, ...]:
    commits = {f: funding.commits.get(f.value, 0) for f in FUNDING_ORDER}
    percents = _funding_percents(commits)
    return tuple(
        FundingShare(f, commits[f], percents[f], len(funding.people.get(f.value, ())))
        for f in FUNDING_ORDER
    )


def named(found: Report, names: Mapping[int, tuple[str, str]]) -> Report:
    """The report with its top contributors' names and display names filled in."""
    top = tuple(
        replace(c, name=names[c.agent][0], display_name=names[c.agent][1])
        if c.agent in names
        else c
        for c in found.top
    )
    return replace(found, top=top)


def _instant(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_data(found: Report, *, commons: str) -> dict[str, Any]:
    """The report as JSON-ready data: the API's body and `communs report --json`. Percentages
    are decimal strings ("72.5"), like every amount the API gives."""
    return {
        "commons": commons,
        "commits": found.commits,
        "contributors": found.contributors,
        "first_commit": _instant(found.first_commit),
        "last_commit": _instant(found.last_commit),
        "without_lines": found.without_lines,
        "lines_added": found.added,
        "lines_removed": found.removed,
        "months": [
            {
                "month": m.month,
                "commits": m.commits,
                "contributors": m.contributors,
                "new": m.new,
                "returning": m.returning,
            }
            for m in found.months
        ],
        "top_contributors": [
            {
                "agent": c.name,
                "display_name": c.display_name,
                "commits": c.commits,
                "lines_added": c.added,
                "lines_removed": c.removed,
                "percent": str(c.percent),
            }
            for c in found.top
        ],
        "bus_factor": {
            "people": found.bus_factor.people,
            "percent": str(found.bus_factor.percent),
            "measure": found.bus_factor.measure,
        },
        "funding": [
            {
                "funding": f.funding.value,
                "commits": f.commits,
                "percent": str(f.percent),
                "contributors": f.contributors,
            }
            for f in found.funding
        ],
        "organisations": [
            {
                "organisation": o.organisation,
                "commits": o.commits,
                "percent": str(o.percent),
                "contributors": o.contributors,
            }
            for o in found.organisations
        ],
    }
