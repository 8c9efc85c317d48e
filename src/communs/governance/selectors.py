"""Reads for governance: proposals, their votes and where each decision stands, and the
discussions of a commons. Everything here is public; `can_*` tells the interfaces what to offer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from communs.accounts.models import Agent
from communs.commons.models import Commons, Contribution
from communs.commons.selectors import is_elector, rulebook_version
from communs.core.pagination import Page, keyset_page
from communs.domain import governance as methods
from communs.domain.changes import Change
from communs.domain.changes import parse as parse_change
from communs.domain.errors import Invalid, NotFound
from communs.domain.governance import Method

from .models import Comment, Proposal, Vote

STATUSES = tuple(s.value for s in Proposal.Status)


def proposal_get(pk: int) -> Proposal:
    row = Proposal.objects.select_related("commons", "proposer", "reviews").filter(pk=pk).first()
    if row is None:
        raise NotFound(f"No proposal #{pk}.")
    return row


def proposals(
    commons: Commons, *, status: str = "", cursor: str | None = None, limit: int = 50
) -> Page[Proposal]:
    if status and status not in STATUSES:
        raise Invalid.field("status", f"One of: {', '.join(STATUSES)}.")
    rows = commons.proposals.select_related("proposer", "commons")
    if status:
        rows = rows.filter(status=status)
    return keyset_page(rows, cursor=cursor, limit=limit)


def change_of(proposal: Proposal) -> Change | None:
    return parse_change(proposal.change) if proposal.change else None


def votes(proposal: Proposal, *, round: int | None = None) -> QuerySet[Vote]:
    rows = proposal.votes.select_related("voter").order_by("round", "created_at", "pk")
    return rows.filter(round=round) if round is not None else rows


def rules_of(proposal: Proposal) -> methods.Rules:
    """The decision rules in force when the proposal opened."""
    return rulebook_version(proposal.commons, proposal.rulebook_version).rules.decision_rules()


def current_round(proposal: Proposal) -> methods.Round:
    return methods.Round(Method(proposal.method), proposal.closes_at, proposal.round)


def ballot(proposal: Proposal) -> methods.Ballot:
    return methods.ballot(
        Method(proposal.method),
        (
            methods.Vote(v.voter.name, methods.Position(v.position), v.reason, v.withdrawn)
            for v in votes(proposal, round=proposal.round)
        ),
    )


@dataclass(frozen=True)
class Standing:
    """Where an open proposal stands at `now`, by its method's rules: what the "decide" view
    shows, and what closing it would do."""

    decision: methods.Decision
    eligible: int
    rules: methods.Rules
    now: datetime


def standing(proposal: Proposal, now: datetime) -> Standing:
    rules = rules_of(proposal)
    eligible = proposal.eligible
    decision = methods.decide(
        current_round(proposal), ballot(proposal), eligible=eligible, rules=rules, now=now
    )
    return Standing(decision, eligible, rules, now)


def may_vote(agent: Agent | None, proposal: Proposal) -> bool:
    """Was `agent` eligible when the proposal opened (by the rulebook then in force)?"""
    if agent is None:
        return False
    rules = rulebook_version(proposal.commons, proposal.rulebook_version).rules
    maintainers = set(proposal.maintainers_at_opening)
    return is_elector(agent, proposal.commons, rules, proposal.created_at, maintainers)


def has_voted(agent: Agent | None, proposal: Proposal) -> bool:
    return agent is not None and proposal.votes.filter(round=proposal.round, voter=agent).exists()


def due(now: datetime) -> QuerySet[Proposal]:
    """Open proposals whose period has ended: the governance job closes them."""
    return Proposal.objects.filter(status=Proposal.Status.OPEN, closes_at__lte=now).order_by("pk")


def blocks_cast(agent: Agent, commons: Commons, since: datetime) -> int:
    return Vote.objects.filter(
        voter=agent,
        proposal__commons=commons,
        position=methods.Position.BLOCK,
        created_at__gte=since,
    ).count()


@dataclass(frozen=True)
class Message:
    comment: Comment
    depth: int


def thread(
    commons: Commons,
    *,
    proposal: Proposal | None = None,
    contribution: Contribution | None = None,
) -> list[Message]:
    """A discussion, replies under what they answer, oldest first at each level."""
    rows = list(
        Comment.objects.select_related("author")
        .filter(commons=commons, proposal=proposal, contribution=contribution)
        .order_by("pk")
    )
    children: dict[int | None, list[Comment]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    out: list[Message] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        comment, depth = stack.pop()
        out.append(Message(comment, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(comment.pk, [])))
    return out


def comment_get(pk: int) -> Comment:
    row = (
        Comment.objects.select_related("commons", "proposal", "contribution").filter(pk=pk).first()
    )
    if row is None:
        raise NotFound(f"No comment #{pk}.")
    return row
