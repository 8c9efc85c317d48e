"""Where a treasury's money went, as a horizontal bar chart the server draws (inline SVG).

Only geometry and labels: the figures come from `ledger.selectors.flows` and `balances`. The
page shows the same figures as a table, for screen readers and for anyone who prefers one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

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
