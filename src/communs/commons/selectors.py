"""Reads for commons and contributions. A commons and its log are public; writes are checked
in services, and `can_*` here tells the interfaces which actions to offer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum

from communs.accounts.models import Agent
from communs.core.pagination import Page, keyset_page
from communs.domain import contributions as contrib
from communs.domain import rulebook as rulebooks
from communs.domain.commons import check_kind, is_slug
from communs.domain.contributions import Action, Status, has_nul
from communs.domain.errors import DomainError, FieldErrors, Invalid, NotFound
from communs.domain.rulebook import Rulebook

from .models import (
    Approval,
    Citation,
    Commons,
    Contribution,
    ContributorTotal,
    Emeritus,
    Maintainer,
    RulebookVersion,
    WorkingGroup,
)

MAX_LINEAGE = 20


def commons_get(slug: str) -> Commons:
    if not is_slug(slug):  # no commons has such a name: do not ask the database
        raise NotFound("No commons has this name.")
    try:
        return Commons.objects.select_related("forked_from", "created_by").get(slug=slug)
    except Commons.DoesNotExist:
        raise NotFound(f"No commons is named '{slug}'.") from None


def commons_list(*, query: str = "", kind: str = "") -> QuerySet[Commons]:
    """Commons by title, filtered by a search text and a kind; Invalid names a bad filter."""
    errors = FieldErrors()
    query = query.strip()
    if has_nul(query):
        errors.add("q", "Remove the NUL character.")
    if kind:
        check_kind(kind, errors)
    errors.raise_if_any()
    rows = Commons.objects.select_related("forked_from", "created_by")
    if query:
        rows = rows.filter(
            Q(slug__icontains=query) | Q(title__icontains=query) | Q(summary__icontains=query)
        )
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("title", "slug")


def commons_page(
    *, query: str = "", kind: str = "", cursor: str | None = None, limit: int = 50
) -> Page[Commons]:
    """`commons_list`, newest first, one keyset page at a time (the API's list)."""
    return keyset_page(commons_list(query=query, kind=kind), cursor=cursor, limit=limit)


def maintainers(commons: Commons) -> QuerySet[Maintainer]:
    return commons.maintainers.select_related("agent").order_by("added_at", "pk")


def is_maintainer(agent: Agent | None, commons: Commons) -> bool:
    return agent is not None and Maintainer.objects.filter(commons=commons, agent=agent).exists()


def why_not_leave(commons: Commons, agent: Agent) -> str | None:
    """Why `agent` cannot stop maintaining `commons` now (None: they can). A commons keeps at
    least one maintainer, and as many as the approvals it requires."""
    if not is_maintainer(agent, commons):
        return f"{agent.name} does not maintain {commons.slug}."
    remaining = commons.maintainers.count() - 1
    if remaining == 0:
        return f"{agent.name} is the last maintainer of {commons.slug}."
    if remaining < commons.approvals_required:
        return (
            f"{commons.slug} requires {commons.approvals_required} approvals; with {remaining} "
            "maintainer(s) left none could be given. Lower it first."
        )
    return None


def is_emeritus(agent: Agent, commons: Commons) -> bool:
    return Emeritus.objects.filter(commons=commons, agent=agent).exists()


def totals(commons: Commons, *, limit: int = 50) -> list[ContributorTotal]:
    """Credited contributors of a commons, most contributions first."""
    return list(
        commons.totals.select_related("agent")
        .filter(count__gt=0)
        .order_by("-count", "agent__name", "unit")[:limit]
    )


def lineage(commons: Commons) -> list[Commons]:
    """Parent, grandparent, … of a fork (nearest first), at most `MAX_LINEAGE` of them."""
    chain: list[Commons] = []
    current = commons.forked_from
    while current is not None and len(chain) < MAX_LINEAGE:
        chain.append(current)
        current = (
            Commons.objects.select_related("forked_from").get(pk=current.pk).forked_from
            if current.forked_from_id
            else None
        )
    return chain


def lineage_truncated(chain: list[Commons]) -> bool:
    """Was this `lineage()` cut at `MAX_LINEAGE`, with older ancestors left out?"""
    return len(chain) >= MAX_LINEAGE and chain[-1].forked_from_id is not None


@dataclass(frozen=True)
class Credit:
    """One person's accepted work in a commons, all units together."""

    agent: Agent
    totals: list[ContributorTotal]
    count: int


def credits(commons: Commons, *, limit: int = 50) -> list[Credit]:
    """Credited contributors, most accepted contributions first: two queries, whatever the size."""
    top = list(
        commons.totals.filter(count__gt=0)
        .values("agent")
        .annotate(n=Sum("count"))
        .order_by("-n", "agent")[:limit]
    )
    rows: dict[int, list[ContributorTotal]] = {row["agent"]: [] for row in top}
    for total in (
        commons.totals.select_related("agent")
        .filter(agent__in=list(rows), count__gt=0)
        .order_by("-count", "unit")
    ):
        rows[total.agent_id].append(total)
    return [Credit(rows[r["agent"]][0].agent, rows[r["agent"]], r["n"]) for r in top]


@dataclass(frozen=True)
class Ancestor:
    commons: Commons
    credits: list[Credit]


def credited_ancestors(chain: list[Commons], *, limit: int = 20) -> list[Ancestor]:
    """The contributors of every commons in a fork's `lineage()`, credited on the fork's page.
    Takes the lineage the caller already has, so it is walked once per page."""
    return [Ancestor(parent, credits(parent, limit=limit)) for parent in chain]


def forks(commons: Commons) -> QuerySet[Commons]:
    return commons.forks.order_by("created_at", "pk")


def upstreams(commons: Commons) -> QuerySet[Citation]:
    return commons.citations.select_related("upstream").order_by("-weight_ppm", "upstream__slug")


def contribution_get(pk: int) -> Contribution:
    try:
        return Contribution.objects.select_related("commons", "contributor", "organisation").get(
            pk=pk
        )
    except (Contribution.DoesNotExist, ValueError, OverflowError):
        raise NotFound(f"No contribution has id {pk}.") from None


def contribution_list(
    commons: Commons,
    *,
    status: str = "",
    action: str = "",
    contributor: str = "",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Contribution]:
    rows = Contribution.objects.filter(commons=commons)
    if status:
        if status not in set(Status):
            raise Invalid.field("status", f"Choose one of {', '.join(Status)}.")
        rows = rows.filter(status=status)
    if action:
        if action not in set(Action):
            raise Invalid.field("action", f"Choose one of {', '.join(Action)}.")
        rows = rows.filter(action=action)
    if contributor:
        if has_nul(contributor):
            raise Invalid.field("contributor", "Remove the NUL character.")
        rows = rows.filter(contributor__name=contributor)
    rows = rows.select_related("contributor", "organisation")
    return keyset_page(rows, cursor=cursor, limit=limit)


def review_queue(reviewer: Agent, *, limit: int = 100) -> list[Contribution]:
    """Submitted contributions this person may validate: in commons they maintain, not their
    own, not already approved by them. Oldest first, so nothing waits forever."""
    return list(
        Contribution.objects.filter(status=Status.SUBMITTED, commons__maintainers__agent=reviewer)
        .exclude(contributor=reviewer)
        .exclude(approvals__maintainer=reviewer)
        .select_related("commons", "contributor", "organisation")
        .order_by("pk")[:limit]
    )


def can_review(agent: Agent | None, contribution: Contribution) -> bool:
    """Would `contribution_accept` / `_reject` let this person decide now? (The same rule.)"""
    if agent is None:
        return False
    try:
        contrib.check_review(
            status=contribution.status,
            reviewer_is_maintainer=is_maintainer(agent, contribution.commons),
            reviewer_is_contributor=contribution.contributor_id == agent.pk,
            already_approved=Approval.objects.filter(
                contribution=contribution, maintainer=agent
            ).exists(),
        )
    except DomainError:
        return False
    return True


def approvals_of(contribution: Contribution) -> QuerySet[Approval]:
    """The maintainers who approved a contribution so far, oldest first."""
    return contribution.approvals.select_related("maintainer").order_by("created_at", "pk")


def contributions_by(
    agent: Agent, *, cursor: str | None = None, limit: int = 50
) -> Page[Contribution]:
    """A person's contributions, or those made on behalf of an organisation, newest first."""
    rows = Contribution.objects.filter(Q(contributor=agent) | Q(organisation=agent))
    rows = rows.select_related("commons", "contributor", "organisation")
    return keyset_page(rows, cursor=cursor, limit=limit)


def maintained_by(agent: Agent) -> QuerySet[Commons]:
    """The commons a person maintains, by title."""
    return Commons.objects.filter(maintainers__agent=agent).order_by("title", "slug")


def can_withdraw(agent: Agent | None, contribution: Contribution) -> bool:
    return (
        agent is not None
        and contribution.status == Status.SUBMITTED
        and contribution.contributor_id == agent.pk
    )


@dataclass(frozen=True)
class RulebookInForce:
    version: int
    rules: Rulebook
    row: RulebookVersion


def rulebook_current(commons: Commons) -> RulebookInForce:
    row = commons.rulebooks.order_by("-version").first()
    if row is None:  # every commons is founded with version 1; this is a broken database
        raise NotFound(f"{commons.slug} has no rulebook.")
    return RulebookInForce(row.version, rulebooks.parse(row.rules), row)


def rulebook_versions(commons: Commons) -> QuerySet[RulebookVersion]:
    return commons.rulebooks.select_related("created_by").order_by("-version")


def rulebook_version(commons: Commons, version: object) -> RulebookInForce:
    number = str(version)
    row = (
        commons.rulebooks.filter(version=int(number)).first()
        if number.isascii() and number.isdigit() and len(number) < 10
        else None
    )
    if row is None:
        raise NotFound(f"{commons.slug} has no rulebook version {version}.")
    return RulebookInForce(row.version, rulebooks.parse(row.rules), row)


def emeriti(commons: Commons) -> QuerySet[Emeritus]:
    return commons.emeriti.select_related("agent").order_by("since", "pk")


def working_groups(commons: Commons) -> QuerySet[WorkingGroup]:
    return commons.working_groups.prefetch_related("members__agent").order_by("closed_at", "name")


def working_groups_of(agent: Agent, commons: Commons) -> QuerySet[WorkingGroup]:
    """The open groups of `commons` that `agent` belongs to: those they may charge."""
    return commons.working_groups.filter(closed_at=None, members__agent=agent).order_by("slug")


def working_group_get(commons: Commons, slug: str) -> WorkingGroup:
    row = commons.working_groups.filter(slug=slug).first() if is_slug(slug) else None
    if row is None:
        raise NotFound(f"{commons.slug} has no working group '{slug}'.")
    return row


def _recent_work(commons: Commons, rules: Rulebook, at: datetime) -> QuerySet[Contribution]:
    """Accepted contributions that count toward eligibility at `at`: done within the
    rulebook's window before it, and accepted by then."""
    return Contribution.objects.filter(
        commons=commons,
        status=Status.ACCEPTED,
        occurred_at__gte=at - timedelta(days=rules.eligibility_days),
        occurred_at__lte=at,
        decided_at__lte=at,
    )


def electorate_size(commons: Commons, rules: Rulebook, at: datetime, maintainers: set[int]) -> int:
    """How many may vote on a proposal opened at `at`: the `maintainers` then, and, when the
    rulebook gives contributors a say, everyone with an account and enough recent accepted
    contributions. One counting query, whatever the number of people."""
    if rules.who_votes != rulebooks.Who.CONTRIBUTORS:
        return len(maintainers)
    contributors = (
        _recent_work(commons, rules, at)
        .filter(contributor__type=Agent.Type.PERSON, contributor__user__isnull=False)
        .exclude(contributor__in=maintainers)
        .values("contributor")
        .annotate(n=Count("id"))
        .filter(n__gte=rules.eligibility_contributions)
    )
    return len(maintainers) + contributors.count()


def is_elector(
    agent: Agent, commons: Commons, rules: Rulebook, at: datetime, maintainers: set[int]
) -> bool:
    """May `agent` vote on a proposal opened at `at` (see `electorate_size`)?"""
    if agent.pk in maintainers:
        return True
    if rules.who_votes != rulebooks.Who.CONTRIBUTORS or agent.user_id is None:
        return False
    return (
        _recent_work(commons, rules, at).filter(contributor=agent).count()
        >= rules.eligibility_contributions
    )


def may_propose(agent: Agent | None, commons: Commons, rules: Rulebook, now: datetime) -> bool:
    if agent is None or agent.is_organisation:
        return False
    if rules.who_proposes == rulebooks.Who.ANYONE or is_maintainer(agent, commons):
        return True
    if rules.who_proposes == rulebooks.Who.MAINTAINERS:
        return False
    since = now - timedelta(days=rules.eligibility_days)
    return (
        Contribution.objects.filter(
            commons=commons, contributor=agent, status=Status.ACCEPTED, occurred_at__gte=since
        ).count()
        >= rules.eligibility_contributions
    )
