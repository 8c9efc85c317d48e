"""Shapes of the governance API: rulebooks, proposals and their votes, discussions and working
groups. Times are ISO 8601 UTC; spending caps cross as decimal strings ("250.00"). Inputs refuse
unknown fields: a misspelt `reasons` or `methd` would otherwise be dropped silently and the
vote or proposal recorded without what its author meant to say."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict, StrictInt, StrictStr

from communs.commons.models import RulebookVersion
from communs.governance.models import Comment, Proposal, Vote

from .ledger_schemas import MAX_ID

STRICT = ConfigDict(extra="forbid")
# Generous bounds: the services give the precise limits and messages; these keep a request
# from carrying megabytes into them.
MAX_TEXT = 100_000
MAX_NAME = 1000


# --- rulebooks -------------------------------------------------------------------------------


class InForceOut(Schema):
    equation_version: int  # 0: the built-in default equation
    licence_profile: str | None  # None: the commons' licence is not one the engine knows
    licence_version: int  # 0: the profile its licence field names


class RulebookVersionOut(Schema):
    version: int
    note: str
    proposal: int | None  # the adopted proposal that wrote it (None: founding, fork, settings)
    created_by: str | None
    created_at: datetime

    @classmethod
    def fields_of(cls, row: RulebookVersion) -> dict[str, Any]:
        return {
            "version": row.version,
            "note": row.note,
            "proposal": row.proposal,
            "created_by": row.created_by.name if row.created_by else None,
            "created_at": row.created_at,
        }

    @classmethod
    def of(cls, row: RulebookVersion) -> RulebookVersionOut:
        return cls(**cls.fields_of(row))


class RulebookVersionPage(Schema):
    items: list[RulebookVersionOut]  # newest first
    next: str | None


class RulebookVersionDetailOut(RulebookVersionOut):
    commons: str
    rules: dict[str, Any]  # every rule by name; shares as "2/3", durations in hours or days
    descriptions: dict[str, str]  # rule name → what it means, in words


class RulebookOut(RulebookVersionDetailOut):
    in_force: InForceOut


class VersionPath(Schema):
    slug: str
    n: int = Field(..., ge=1, le=MAX_ID)


class DiffQuery(Schema):
    from_: int = Field(..., alias="from", ge=1, le=MAX_ID)
    to: int | None = Field(None, ge=1, le=MAX_ID)  # default: the version in force


class RuleChangeOut(Schema):
    rule: str
    old: Any
    new: Any


class RulebookDiffOut(Schema):
    commons: str
    from_version: int
    to_version: int
    changes: list[RuleChangeOut]  # in the rulebook's order; empty when nothing differs


# --- proposals -------------------------------------------------------------------------------


class ProposalQuery(Schema):
    status: str = Field("", max_length=20)
    cursor: str | None = None
    limit: int = 50


class ProposalIn(Schema):
    model_config = STRICT

    title: str = Field(max_length=MAX_NAME)
    text: str = Field(max_length=MAX_TEXT)
    method: str | None = Field(None, max_length=40)  # default: the rulebook's default method
    change: dict[str, Any] | None = None  # {"type": ..., fields of that type}
    review_on: date | None = None  # when passed, a review proposal opens on this day


class AmendIn(Schema):
    model_config = STRICT

    text: str = Field(max_length=MAX_TEXT)
    title: str | None = Field(None, max_length=MAX_NAME)
    change: dict[str, Any] | None = None  # the same type of change, with new values


class VoteIn(Schema):
    model_config = STRICT

    position: str = Field(max_length=40)
    reason: str | None = Field(None, max_length=MAX_TEXT)  # required to object or block


class ProposalOut(Schema):
    id: int
    commons: str
    title: str
    status: str  # open, passed, failed, withdrawn
    method: str
    round: int
    origin: str  # person, merit (a nomination) or review
    proposer: str | None  # None when the merit job or a review date opened it
    change_type: str | None
    change_summary: str | None
    closes_at: datetime
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def fields_of(cls, row: Proposal, summary: str | None) -> dict[str, Any]:
        return {
            "id": row.pk,
            "commons": row.commons.slug,
            "title": row.title,
            "status": row.status,
            "method": row.method,
            "round": row.round,
            "origin": row.origin,
            "proposer": row.proposer.name if row.proposer else None,
            "change_type": (row.change or {}).get("type"),
            "change_summary": summary,
            "closes_at": row.closes_at,
            "created_at": row.created_at,
            "decided_at": row.decided_at,
        }


class ProposalPage(Schema):
    items: list[ProposalOut]
    next: str | None


class VoteOut(Schema):
    round: int
    voter: str
    position: str
    reason: str
    withdrawn: bool  # an objection or block its author lifted: it counts as standing aside
    created_at: datetime

    @staticmethod
    def of(row: Vote) -> VoteOut:
        return VoteOut(
            round=row.round,
            voter=row.voter.name,
            position=row.position,
            reason=row.reason,
            withdrawn=row.withdrawn,
            created_at=row.created_at,
        )


class StandingOut(Schema):
    """What the proposal's method says of the current round at `at`: what closing it now
    would decide."""

    status: str  # open, passed or failed
    reason: str
    second_round: bool  # consensus: the first round failed and may go to a second
    cast: int
    counts: dict[str, int]  # position → votes (a withdrawn objection counts as stand_aside)
    unresolved: list[str]  # voters whose objection or block stands
    at: datetime


class ProposalDetailOut(ProposalOut):
    text: str
    change: dict[str, Any] | None
    outcome: str  # why it passed or failed, in words
    applied: dict[str, Any] | None  # what the passed change did
    evidence: dict[str, Any] | None  # the merit job's figures for a nomination
    reviews: int | None  # the earlier decision this proposal reviews
    review_on: date | None
    review_proposals: list[int]  # proposals opened when its review date came
    rulebook_version: int  # its decision rules are those of this version
    second_round_possible: bool
    positions: list[str]  # what a vote may say under this method
    eligible: int  # how many may vote, fixed when it opened
    votes: list[VoteOut]  # every round, oldest first
    standing: StandingOut | None  # while open
    may_vote: bool | None  # for the caller; None when the request is anonymous
    has_voted: bool | None  # in the current round


# --- discussions -----------------------------------------------------------------------------


class CommentIn(Schema):
    model_config = STRICT

    text: str = Field(max_length=MAX_TEXT)
    parent: StrictInt | None = Field(None, ge=1, le=MAX_ID)  # the message this one answers


class CommentOut(Schema):
    id: int
    commons: str
    proposal: int | None
    contribution: int | None
    parent: int | None
    author: str
    text: str
    created_at: datetime

    @classmethod
    def fields_of(cls, row: Comment, commons_slug: str) -> dict[str, Any]:
        return {
            "id": row.pk,
            "commons": commons_slug,
            "proposal": row.proposal_id,
            "contribution": row.contribution_id,
            "parent": row.parent_id,
            "author": row.author.name,
            "text": row.text,
            "created_at": row.created_at,
        }

    @classmethod
    def of(cls, row: Comment, commons_slug: str) -> CommentOut:
        return cls(**cls.fields_of(row, commons_slug))


class MessageOut(CommentOut):
    depth: int  # 0 for a message that answers none, 1 for a reply to it, …


class ThreadOut(Schema):
    items: list[MessageOut]  # replies under what they answer, oldest first at each level
    next: str | None  # always null: a thread comes whole


# --- working groups and maintainers ----------------------------------------------------------


class WorkingGroupIn(Schema):
    """Creating a group directly, when the rulebook leaves it to the maintainers; otherwise
    it is the `create_working_group` change of a proposal, with the same fields."""

    model_config = STRICT

    slug: str = Field(max_length=MAX_NAME)
    name: str = Field(max_length=MAX_NAME)
    mandate: str = Field(max_length=MAX_TEXT)
    members: list[str] = Field(default_factory=list, max_length=1000)
    spending_cap: StrictStr | StrictInt | None = None  # a decimal string, such as "250.00"
    currency: str | None = Field(None, max_length=10)
    cap_period_days: StrictInt | None = None  # default 30 when there is a cap


class WorkingGroupOut(Schema):
    slug: str
    name: str
    mandate: str
    members: list[str]
    spending_cap: str | None  # per period; None: no cap
    currency: str | None
    cap_period_days: int | None
    spent: str | None  # approved or paid within the last `cap_period_days`; None: no cap
    proposal: int | None  # the adopted proposal that created it
    created_at: datetime
    closed_at: datetime | None


class WorkingGroupPage(Schema):
    items: list[WorkingGroupOut]  # open groups first
    next: str | None  # always null


class WorkingGroupPath(Schema):
    slug: str
    group: str


class MaintainersOut(Schema):
    commons: str
    maintainers: list[str]
    emeriti: list[str]  # maintainers who stepped back after a time without activity


class ImpactQuery(Schema):
    last: int = Field(5, ge=1, le=20, description="How many recent distributions to replay.")
