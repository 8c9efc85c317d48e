"""Charts the server draws (inline SVG): where a treasury's money went, as horizontal bars;
and a commons' health report, as contributors per month and shares of the commits.

Only geometry and labels: the figures come from `ledger.selectors.flows` and `balances`, and
from `history.selectors.report_get`. Each page shows the same figures as a table, for screen
readers and for anyone who prefers one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from communs.domain import health
from communs.domain.money import display

from .ledger_forms import INCOME_KIND_LABELS

WIDTH = 720
LABEL_WIDTH = 250  # the labels' column
BAR_WIDTH = 330  # the longest bar; the amount is written after each bar
ROW = 30
BAR = 18
HEADING = 28
MAX_LABEL = 34  # characters; longer labels are cut (the full text is in the bar's title)


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    amount: str  # for people: "€52.50"
    minor: int
    direction: str  # "in", "out" or "kept"
    y: int
    width: int
    text_y: int
    amount_x: int


@dataclass(frozen=True)
class Heading:
    text: str
    y: int


@dataclass(frozen=True)
class Chart:
    currency: str
    headings: list[Heading]
    bars: list[Bar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH


def _part_label(key: str) -> tuple[str, str]:
    direction, _sep, name = key.partition(":")
    if direction == "in":
        return "in", str(INCOME_KIND_LABELS.get(name, name))
    if name == "expenses":
        return "out", _("expenses paid")
    return "out", _("bucket “%(name)s”") % {"name": name}


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def flow_charts(flows: Mapping[str, Mapping[str, int]], balances: Mapping[str, int]) -> list[Chart]:
    """One chart per currency: money in (per income kind), out (per bucket, expenses), and
    what the treasury still holds."""
    charts = []
    for currency in sorted(set(flows) | set(balances)):
        parts = flows.get(currency, {})
        rows: dict[str, list[tuple[str, int]]] = {"in": [], "out": [], "kept": []}
        for key, minor in parts.items():
            direction, text = _part_label(key)
            if minor:
                rows[direction].append((text, minor))
        for direction in ("in", "out"):
            rows[direction].sort(key=lambda r: (-r[1], r[0]))
        held = balances.get(currency, 0)
        if held:
            rows["kept"].append((_("still in the treasury"), held))
        largest = max((abs(m) for group in rows.values() for _t, m in group), default=0)
        if not largest:
            continue
        headings: list[Heading] = []
        bars: list[Bar] = []
        y = 0
        titles = {"in": _("Money in"), "out": _("Money out"), "kept": _("Kept")}
        for direction in ("in", "out", "kept"):
            if not rows[direction]:
                continue
            headings.append(Heading(titles[direction], y + 18))
            y += HEADING
            for text, minor in rows[direction]:
                width = max(2, round(BAR_WIDTH * abs(minor) / largest))
                bars.append(
                    Bar(
                        label=text,
                        short_label=_short(text),
                        amount=display(minor, currency),
                        minor=minor,
                        direction=direction,
                        y=y + (ROW - BAR) // 2,
                        width=width,
                        text_y=y + ROW // 2 + 5,
                        amount_x=LABEL_WIDTH + width + 8,
                    )
                )
                y += ROW
            y += 6
        charts.append(Chart(currency, headings, bars, y + 4))
    return charts


# --- the health report of a commons --------------------------------------------------------------

COLUMNS_LEFT = 44  # room for the y axis' labels
COLUMNS_TOP = 12
COLUMNS_HEIGHT = 200
COLUMNS_BOTTOM = 30  # room for the years under the axis
MAX_COLUMN = 40  # a month's width at most, so a short history does not draw slabs
TICK_SPACE = 40  # the least room between two years labelled under the axis
MAX_SILENCE = 24  # months without commits drawn as such; a longer silence is one break


@dataclass(frozen=True)
class Column:
    """One month: new contributors at the bottom, returning ones stacked on them; or a long
    silence, drawn as one narrow break."""

    month: str
    title: str
    x: str
    width: str
    new_y: str
    new_height: str
    returning_y: str
    returning_height: str
    silence: bool = False


@dataclass(frozen=True)
class Tick:
    x: str
    text: str


@dataclass(frozen=True)
class ColumnChart:
    columns: list[Column]
    ticks: list[Tick]
    largest: int
    largest_y: int
    baseline_y: int
    right: str  # where the last column ends
    height: int
    width: int = WIDTH
    left: int = COLUMNS_LEFT


def _coordinate(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _drawn(months: Sequence[health.Month]) -> list[health.Month | tuple[str, str]]:
    """The months to draw: a run of more than `MAX_SILENCE` months without commits becomes one
    (first, last) pair, so a commit with a bogus date (1970, or centuries ahead) cannot
    stretch the chart over thousands of empty months."""
    drawn: list[health.Month | tuple[str, str]] = []
    quiet: list[health.Month] = []
    for m in [*months, None]:
        if m is not None and not m.commits:
            quiet.append(m)
            continue
        if len(quiet) > MAX_SILENCE:
            drawn.append((quiet[0].month, quiet[-1].month))
        else:
            drawn.extend(quiet)
        quiet = []
        if m is not None:
            drawn.append(m)
    return drawn


def contributor_columns(months: Sequence[health.Month]) -> ColumnChart | None:
    """Contributors per month as stacked columns (new, then returning); None without any."""
    largest = max((m.contributors for m in months), default=0)
    if not largest:
        return None
    drawn = _drawn(months)
    step = min((WIDTH - COLUMNS_LEFT) / len(drawn), MAX_COLUMN)
    gap = step * 0.15 if step >= 4 else 0.0
    baseline = COLUMNS_TOP + COLUMNS_HEIGHT
    columns = []
    ticks = []
    year_shown = ""
    last_tick = -float(TICK_SPACE)
    for i, m in enumerate(drawn):
        x = COLUMNS_LEFT + i * step
        if isinstance(m, tuple):
            title = _("No commits from %(first)s to %(last)s") % {"first": m[0], "last": m[1]}
            columns.append(
                Column(m[0], title, _coordinate(x + step / 2), "0", "0", "0", "0", "0", True)
            )
            year_shown = ""  # after a break, say where the chart resumes
            continue
        new = COLUMNS_HEIGHT * m.new / largest
        returning = COLUMNS_HEIGHT * m.returning / largest
        columns.append(
            Column(
                month=m.month,
                title=ngettext(
                    "%(month)s: %(count)s contributor (%(new)s new, %(returning)s returning)",
                    "%(month)s: %(count)s contributors (%(new)s new, %(returning)s returning)",
                    m.contributors,
                )
                % {
                    "month": m.month,
                    "count": number_format(m.contributors),
                    "new": number_format(m.new),
                    "returning": number_format(m.returning),
                },
                x=_coordinate(x + gap / 2),
                width=_coordinate(max(step - gap, 0.5)),
                new_y=_coordinate(baseline - new),
                new_height=_coordinate(new),
                returning_y=_coordinate(baseline - new - returning),
                returning_height=_coordinate(returning),
            )
        )
        if m.month[:4] != year_shown:
            year_shown = m.month[:4]
            if x >= last_tick + TICK_SPACE:
                ticks.append(Tick(_coordinate(x), year_shown))
                last_tick = x
    return ColumnChart(
        columns=columns,
        ticks=ticks,
        largest=largest,
        largest_y=COLUMNS_TOP,
        baseline_y=baseline,
        right=_coordinate(COLUMNS_LEFT + step * len(drawn)),
        height=baseline + COLUMNS_BOTTOM,
    )


@dataclass(frozen=True)
class ShareBar:
    label: str
    short_label: str
    value: str  # for people: "12 commits · 55.6 %"
    title: str  # the label and the value
    kind: str  # the bar's class: paid, volunteer, unknown or organisation
    y: int
    width: int
    text_y: int
    value_x: int


@dataclass(frozen=True)
class ShareChart:
    bars: list[ShareBar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH


def commit_shares(rows: Sequence[tuple[str, int, Decimal, str]], total: int) -> ShareChart | None:
    """Horizontal bars of (label, commits, percent, kind), each as long as its share of all
    `total` commits; None when there are no commits."""
    if not total or not rows:
        return None
    bars = []
    y = 0
    for text, commits, percent, kind in rows:
        width = round(BAR_WIDTH * commits / total)
        if commits:
            width = max(width, 2)
        value = ngettext(
            "%(count)s commit · %(percent)s %%", "%(count)s commits · %(percent)s %%", commits
        ) % {"count": number_format(commits), "percent": number_format(percent, 1)}
        bars.append(
            ShareBar(
                label=text,
                short_label=_short(text),
                value=value,
                title=_("%(label)s: %(value)s") % {"label": text, "value": value},
                kind=kind,
                y=y + (ROW - BAR) // 2,
                width=width,
                text_y=y + ROW // 2 + 5,
                value_x=LABEL_WIDTH + width + 8,
            )
        )
        y += ROW
    return ShareChart(bars, y + 4)
