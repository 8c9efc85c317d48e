"""Reads of imported histories. The health report is public, like the commons it describes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from communs.accounts.models import Agent
from communs.commons.models import Commons
from communs.commons.selectors import is_maintainer
from communs.core import clock
from communs.domain import health
from communs.domain.errors import NotFound
from communs.domain.githistory import AffiliationRule, Funding

from .models import Affiliation, Alias, ClaimToken, Commit

# Rows read from the database at a time: the report is computed while they stream in.
REPORT_CHUNK = 5000


class MonthUTC(Func):
    """A timestamp's month in UTC, as "YYYY-MM"."""

    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM')"
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps aware datetimes as UTC text ("2024-01-31 23:30:00"): the month is its
        # first seven characters, read without calling Django's Python function on every row.
        return self.as_sql(compiler, connection, template="SUBSTR(%(expressions)s, 1, 7)", **extra)


def affiliation_rules(commons: Commons) -> list[AffiliationRule]:
    """The commons' affiliations as the domain's rules; a paid one names its organisation by
    the organisation agent's name."""
    rows = Affiliation.objects.filter(commons=commons).select_related("organisation")
    return [
        AffiliationRule(
            domain=row.domain,
            funding=Funding.PAID if row.kind == Affiliation.Kind.PAID else Funding.VOLUNTEER,
            organisation=row.organisation.name if row.organisation is not None else None,
            email=row.email,
            since=row.since,
            until=row.until,
        )
        for row in rows.order_by("pk")
    ]


def _activity(commons: Commons, cuts: list[datetime]) -> Iterator[health.Activity]:
    """One row per person, month, address and stretch between cut dates, summed in the
    database: a long history arrives as far fewer rows than it has commits. A person merged
    into another (a claimed identity) counts as the one they were merged into."""
    stretch = (
        Case(
            *(When(authored_at__lt=cut, then=Value(i)) for i, cut in enumerate(cuts)),
            default=Value(len(cuts)),
            output_field=IntegerField(),
        )
        if cuts
        else Value(0, output_field=IntegerField())
    )
    fields = ("person", "month", "author_email", "first", "last", "commits", "counted",
              "lines_added", "lines_removed")  # fmt: skip
    rows = (
        Commit.objects.filter(commons=commons)
        .annotate(
            person=Coalesce("author__merged_into_id", "author_id"),
            month=MonthUTC("authored_at"),
            stretch=stretch,
        )
        .values("person", "month", "author_email", "stretch")
        .annotate(
            commits=Count("pk"),
            counted=Count("pk", filter=Q(added__isnull=False)),
            lines_added=Sum("added"),
            lines_removed=Sum("removed"),
            first=Min("authored_at"),
            last=Max("authored_at"),
        )
        .order_by()
        .values_list(*fields)
    )
    for person, month, email, first, last, commits, counted, added, removed in rows.iterator(
        chunk_size=REPORT_CHUNK
    ):
        yield health.Activity(
            agent=person,
            month=month,
            email=email,
            first=first,
            last=last,
            commits=commits,
            counted=counted,
            added=added or 0,
            removed=removed or 0,
        )


def report_get(commons: Commons, *, top: int = health.TOP) -> health.Report:
    """The health report of a commons from its imported commits (an empty report when none
    was imported). Three queries whatever the history's length: the affiliations, the
    commits grouped by person and month, the names of the top contributors."""
    rules = affiliation_rules(commons)
    found = health.report(_activity(commons, health.cut_instants(rules)), rules, top=top)
    if not found.top:
        return found
    names = {
        pk: (name, display)
        for pk, name, display in Agent.objects.filter(
            pk__in=[c.agent for c in found.top]
        ).values_list("pk", "name", "display_name")
    }
    return health.named(found, names)


# --- claims and affiliations ------------------------------------------------------------------


def aliases_of(agent: Agent, *, viewer: Agent | None) -> list[Alias]:
    """The names and emails under which imported histories know `agent`. Emails are personal
    data: only the agent themself sees them; everyone else sees the names."""
    rows = Alias.objects.filter(agent=agent)
    if viewer is None or viewer.pk != agent.pk:
        rows = rows.filter(kind=Alias.Kind.NAME)
    return list(rows.order_by("kind", "value"))


def pending_claims(claimant: Agent) -> list[ClaimToken]:
    """The claimant's claims still waiting for their token (not used, not expired)."""
    rows = ClaimToken.objects.filter(claimant=claimant, used_at__isnull=True)
    return list(rows.filter(expires_at__gt=clock.now()).order_by("expires_at", "pk"))


def can_edit_affiliations(agent: Agent | None, commons: Commons) -> bool:
    return is_maintainer(agent, commons)


@dataclass(frozen=True)
class AffiliationEntry:
    """One rule of a commons' affiliation map as a viewer may see it: a rule for one person's
    address names the person (the agent imported histories know by it) and shows the address
    only to the commons' maintainers."""

    pk: int
    domain: str
    for_address: bool
    email: str  # empty unless the viewer maintains the commons
    person: Agent | None
    kind: str
    organisation: Agent | None
    since: date | None
    until: date | None
    created_by: Agent
    created_at: datetime


def affiliation_get(commons: Commons, pk: int) -> Affiliation:
    try:
        return Affiliation.objects.select_related("commons", "organisation").get(
            commons=commons, pk=pk
        )
    except (Affiliation.DoesNotExist, ValueError, OverflowError):
        raise NotFound(f"{commons.slug} has no affiliation with id {pk}.") from None


def affiliation_entries(commons: Commons, *, viewer: Agent | None) -> list[AffiliationEntry]:
    """The commons' affiliation map, by domain, address and period. Three queries: the
    rules, the viewer's role, the persons behind the addresses."""
    rows = list(
        Affiliation.objects.filter(commons=commons)
        .select_related("organisation", "created_by")
        .order_by("domain", "email", "since", "until", "pk")
    )
    shows_emails = bool(rows) and is_maintainer(viewer, commons)
    emails = {row.email for row in rows if row.email}
    aliases = Alias.objects.filter(kind=Alias.Kind.EMAIL, value__in=emails)
    persons = {
        alias.value: alias.agent.merged_into or alias.agent
        for alias in (aliases.select_related("agent__merged_into") if emails else [])
    }
    return [
        AffiliationEntry(
            pk=row.pk,
            domain=row.domain,
            for_address=bool(row.email),
            email=row.email if shows_emails else "",
            person=persons.get(row.email) if row.email else None,
            kind=row.kind,
            organisation=row.organisation,
            since=row.since,
            until=row.until,
            created_by=row.created_by,
            created_at=row.created_at,
        )
        for row in rows
    ]
