"""Pages of imported histories: the health report of a commons.

Same shape as `views`: one selector, then render. The report is public and works without
JavaScript; its charts are drawn by the server (`charts`) and repeated as tables.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from communs.commons import selectors as commons_selectors
from communs.domain.githistory import Funding
from communs.history import selectors as history_selectors

from . import charts
from .views import domain_errors

FUNDING_LABELS = {
    Funding.PAID: gettext_lazy("paid (made for an organisation)"),
    Funding.VOLUNTEER: gettext_lazy("volunteer (on their own account)"),
    Funding.UNKNOWN: gettext_lazy("unknown"),
}
# The chart's labels: short, the table above says what they mean.
FUNDING_SHORT = {
    Funding.PAID: pgettext_lazy("funding", "paid"),
    Funding.VOLUNTEER: pgettext_lazy("funding", "volunteer"),
    Funding.UNKNOWN: pgettext_lazy("funding", "unknown"),
}


@require_GET
@domain_errors
def report(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    found = history_selectors.report_get(commons)
    funding = [(str(FUNDING_LABELS[f.funding]), f) for f in found.funding]
    context = {
        "commons": commons,
        "report": found,
        "funding": funding,
        # The table: months with commits, latest first (the chart shows the silences).
        "months": [m for m in reversed(found.months) if m.commits],
        "activity_chart": charts.contributor_columns(found.months),
        "funding_chart": charts.commit_shares(
            [
                (str(FUNDING_SHORT[f.funding]), f.commits, f.percent, f.funding)
                for f in found.funding
            ],
            found.commits,
        ),
        "organisation_chart": charts.commit_shares(
            [(o.organisation, o.commits, o.percent, "organisation") for o in found.organisations],
            found.commits,
        ),
    }
    return render(request, "web/history/report.html", context)
