"""Shapes of the JSON API. Quantities cross as decimal strings; times as ISO 8601 UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict, StrictFloat, StrictInt, StrictStr

from communs.accounts.models import Agent
from communs.commons.models import Commons, Contribution, ContributorTotal
from communs.core.eventlog import Verification
from communs.core.models import Event
from communs.domain.contributions import quantity_text


class SignupIn(Schema):
    username: str = Field(max_length=200)
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)
    display_name: str | None = Field(None, max_length=400)


class AgentOut(Schema):
    name: str
    display_name: str
    type: str
    kind: str | None

    @staticmethod
    def of(agent: Agent) -> AgentOut:
        return AgentOut(
            name=agent.name,
            display_name=agent.display_name,
            type=agent.type,
            kind=agent.org_kind or None,
        )


class TokenIn(Schema):
    username: str = Field(max_length=200)
    password: str = Field(max_length=4096)
    label: str = Field("api", max_length=100)


class TokenOut(Schema):
    token: str


class OrganisationIn(Schema):
    slug: str = Field(max_length=200)
    name: str = Field(max_length=400)
    kind: str = Field(max_length=40)


class MemberIn(Schema):
    username: str = Field(max_length=200)
    role: str = Field("member", max_length=20)


class MaintainerIn(Schema):
    """Maintainers have no role: anything but `username` is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=200)


class MemberOut(Schema):
    organisation: str
    person: str
    role: str


class CommonsIn(Schema):
    slug: str = Field(max_length=200)
    title: str = Field(max_length=1000)
    summary: str = Field("", max_length=5000)
    description: str = Field("", max_length=100_000)
    kind: str = Field("software", max_length=40)
    licence: str = Field("", max_length=200)


class CommonsSettingsIn(Schema):
    # Strict: pydantic would turn true into 1 and "2" into 2.
    approvals_required: StrictInt


class ForkIn(Schema):
    slug: str = Field(max_length=200)
    title: str | None = Field(None, max_length=1000)


class CommonsOut(Schema):
    slug: str
    title: str
    summary: str
    kind: str
    licence: str
    approvals_required: int
    forked_from: str | None
    created_by: str
    created_at: datetime

    @classmethod
    def fields_of(cls, commons: Commons) -> dict[str, Any]:
        return {
            "slug": commons.slug,
            "title": commons.title,
            "summary": commons.summary,
            "kind": commons.kind,
            "licence": commons.licence,
            "approvals_required": commons.approvals_required,
            "forked_from": commons.forked_from.slug if commons.forked_from else None,
            "created_by": commons.created_by.name,
            "created_at": commons.created_at,
        }

    @classmethod
    def of(cls, commons: Commons) -> CommonsOut:
        return cls(**cls.fields_of(commons))


class TotalOut(Schema):
    agent: str
    unit: str
    quantity: str
    count: int

    @staticmethod
    def of(total: ContributorTotal) -> TotalOut:
        return TotalOut(
            agent=total.agent.name,
            unit=total.unit,
            quantity=quantity_text(total.quantity),
            count=total.count,
        )


class UpstreamOut(Schema):
    slug: str
    weight_ppm: int


class AncestorOut(Schema):
    slug: str
    totals: list[TotalOut]


class CommonsDetailOut(CommonsOut):
    description: str
    maintainers: list[str]
    lineage: list[str]
    # True when `lineage` stops at the nearest ancestors and older ones exist.
    lineage_truncated: bool
    forks: list[str]
    upstreams: list[UpstreamOut]
    totals: list[TotalOut]
    credited_ancestors: list[AncestorOut]


class CommonsPage(Schema):
    items: list[CommonsOut]
    next: str | None


class ContributionIn(Schema):
    action: str = Field(max_length=40)
    # A decimal string ("2.5") is preferred; plain JSON numbers are accepted too.
    quantity: StrictStr | StrictInt | StrictFloat
    unit: str | None = Field(None, max_length=40)
    description: str = Field(max_length=10_000)
    evidence_url: str | None = Field(None, max_length=2000)
    occurred_at: datetime | None = None
    stream: str | None = Field(None, max_length=40)
    organisation: str | None = Field(None, max_length=200)


class ContributionOut(Schema):
    id: int
    commons: str
    contributor: str
    organisation: str | None
    action: str
    quantity: str
    unit: str
    description: str
    evidence_url: str
    occurred_at: datetime
    stream: str
    status: str
    reason: str
    created_at: datetime
    decided_at: datetime | None

    @staticmethod
    def of(row: Contribution, commons_slug: str | None = None) -> ContributionOut:
        return ContributionOut(
            id=row.pk,
            commons=commons_slug or row.commons.slug,
            contributor=row.contributor.name,
            organisation=row.organisation.name if row.organisation else None,
            action=row.action,
            quantity=quantity_text(row.quantity),
            unit=row.unit,
            description=row.description,
            evidence_url=row.evidence_url,
            occurred_at=row.occurred_at,
            stream=row.stream,
            status=row.status,
            reason=row.reason,
            created_at=row.created_at,
            decided_at=row.decided_at,
        )


class ContributionPage(Schema):
    items: list[ContributionOut]
    next: str | None


class AcceptIn(Schema):
    note: str | None = Field(None, max_length=10_000)


class RejectIn(Schema):
    reason: str = Field(max_length=10_000)


class EventOut(Schema):
    id: int
    stream: str
    seq: int
    kind: str
    actor: str
    at: str
    body: dict[str, Any]
    prev_hash: str
    hash: str

    @staticmethod
    def of(event: Event) -> EventOut:
        return EventOut(
            id=event.pk,
            stream=event.stream_id,
            seq=event.seq,
            kind=event.kind,
            actor=event.actor,
            at=event.at,
            body=event.body,
            prev_hash=event.prev_hash,
            hash=event.hash,
        )


class EventPage(Schema):
    items: list[EventOut]
    next: str | None


class BreakOut(Schema):
    stream: str
    event_id: int
    seq: int
    reason: str


class VerifyOut(Schema):
    ok: bool
    streams: int
    breaks: list[BreakOut]
    # When the chains were recomputed; a result is reused while no stream changes, up to 60 s.
    verified_at: datetime

    @staticmethod
    def of(result: Verification) -> VerifyOut:
        return VerifyOut(
            ok=result.ok,
            streams=result.streams,
            breaks=[
                BreakOut(stream=b.stream, event_id=b.event_id, seq=b.seq, reason=b.reason)
                for b in result.breaks
            ],
            verified_at=result.verified_at,
        )
