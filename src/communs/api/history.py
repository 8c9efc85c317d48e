"""Imported histories: the health report of a commons (who does the work, who pays for it).
Public, like the commons it describes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema

from communs.commons.selectors import commons_get
from communs.domain import health
from communs.history import selectors

from .problems import ERRORS

router = Router(tags=["history"])


class MonthOut(Schema):
    month: str  # "YYYY-MM", UTC
    commits: int
    contributors: int
    new: int  # first commit ever in this month
    returning: int  # committed in an earlier month too


class TopContributorOut(Schema):
    agent: str
    display_name: str
    commits: int
    lines_added: int
    lines_removed: int
    percent: str  # of all commits, a decimal string ("12.5")


class BusFactorOut(Schema):
    people: int  # the fewest people who made at least half of the work
    percent: str  # the share of the work they made
    measure: Literal["commits"]  # what the work is counted in


class FundingOut(Schema):
    funding: Literal["paid", "volunteer", "unknown"]
    commits: int
    percent: str  # the three rows add up to 100
    contributors: int


class OrganisationShareOut(Schema):
    organisation: str  # the organisation agent's name
    commits: int
    percent: str
    contributors: int


class ReportOut(Schema):
    commons: str
    commits: int
    contributors: int
    first_commit: datetime | None
    last_commit: datetime | None
    without_lines: int  # commits imported without line counts
    lines_added: int
    lines_removed: int
    months: list[MonthOut]
    top_contributors: list[TopContributorOut]
    bus_factor: BusFactorOut
    funding: list[FundingOut]
    organisations: list[OrganisationShareOut]


@router.get(
    "/commons/{slug}/report", response={200: ReportOut, **ERRORS}, url_name="commons_report"
)
def get_report(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The health report of a commons, from its imported git history: contributors per month
    (new and returning), top contributors, the bus factor (the fewest people who made half of
    the commits), organisations' shares and the paid / volunteer / unknown table. Every figure
    counts commits by their author; a commons without imported commits has an empty report."""
    commons = commons_get(slug)
    return health.as_data(selectors.report_get(commons), commons=commons.slug)
