"""Writes for commons, forks, maintainers and contributions. Each logs what it changed."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, F

from communs.accounts.models import Agent, Membership
from communs.core import clock, eventlog
from communs.domain import commons as rules
from communs.domain import contributions as contrib
from communs.domain.errors import Conflict, FieldErrors, Forbidden, Invalid

from .models import Approval, Citation, Commons, Contribution, ContributorTotal, Maintainer


def _slug_free(slug: str) -> None:
    if Commons.objects.filter(slug=slug).exists():
        raise Conflict(f"slug: '{slug}' is taken.", {"slug": [f"'{slug}' is taken."]})


def _require_maintainer(actor: Agent, commons: Commons, doing: str) -> None:
    if not Maintainer.objects.filter(commons=commons, agent=actor).exists():
        raise Forbidden(f"Only maintainers of {commons.slug} can {doing}.")


def commons_create(
    *,
    actor: Agent,
    slug: str,
    title: str,
    summary: str = "",
    description: str = "",
    kind: str = rules.Kind.SOFTWARE,
    licence: str = "",
) -> Commons:
    """Create a commons; its creator becomes its first maintainer.

    With one maintainer it needs one approval; `settings_update` raises that once there are
    more maintainers (more approvals than maintainers would leave contributions waiting).
    """
    data = rules.check_commons(
        slug=slug,
        title=title,
        summary=summary,
        description=description,
        kind=kind,
        licence=licence,
    )
    _slug_free(data.slug)
    try:
        with transaction.atomic():
            commons = _insert(actor, data, forked_from=None)
            eventlog.append(
                eventlog.commons_stream(commons.slug),
                "commons.created",
                actor.name,
                {
                    "slug": commons.slug,
                    "title": commons.title,
                    "kind": commons.kind,
                    "licence": commons.licence,
                    "approvals_required": commons.approvals_required,
                },
            )
    except IntegrityError:  # a concurrent request took the slug between check and insert
        raise Conflict(
            f"slug: '{data.slug}' is taken.", {"slug": ["This slug is taken."]}
        ) from None
    return commons


def _insert(actor: Agent, data: rules.CommonsInput, forked_from: Commons | None) -> Commons:
    now = clock.now()
    commons = Commons.objects.create(
        slug=data.slug,
        title=data.title,
        summary=data.summary,
        description=data.description,
        kind=data.kind,
        licence=data.licence,
        approvals_required=data.approvals_required,
        forked_from=forked_from,
        created_by=actor,
        created_at=now,
    )
    Maintainer.objects.create(commons=commons, agent=actor, added_by=actor, added_at=now)
    eventlog.stream_open(eventlog.commons_stream(commons.slug))
    return commons


def commons_fork(*, actor: Agent, parent: Commons, slug: str, title: str | None = None) -> Commons:
    """Anyone may fork: the fork copies the parent's description, kind and licence, records
    the parent and cites it upstream. Its forker is its only maintainer, so it requires one
    approval whatever the parent requires (more could never be given); its maintainers can
    raise it once they are more."""
    data = rules.check_commons(
        slug=slug,
        title=title or parent.title,
        summary=parent.summary,
        description=parent.description,
        kind=parent.kind,
        licence=parent.licence,
        approvals_required=1,
    )
    _slug_free(data.slug)
    try:
        with transaction.atomic():
            fork = _insert(actor, data, forked_from=parent)
            Citation.objects.create(commons=fork, upstream=parent, created_at=clock.now())
            eventlog.append(
                eventlog.commons_stream(fork.slug),
                "commons.forked",
                actor.name,
                {"slug": fork.slug, "title": fork.title, "forked_from": parent.slug},
            )
            eventlog.append(
                eventlog.commons_stream(parent.slug),
                "commons.fork_created",
                actor.name,
                {"fork": fork.slug},
            )
    except IntegrityError:
        raise Conflict(
            f"slug: '{data.slug}' is taken.", {"slug": ["This slug is taken."]}
        ) from None
    return fork


def maintainer_add(*, actor: Agent, commons: Commons, agent: Agent) -> Maintainer:
    _require_maintainer(actor, commons, "add maintainers")
    if agent.is_organisation:
        raise Invalid.field("username", "Maintainers are persons.")
    with transaction.atomic():
        maintainer, created = Maintainer.objects.get_or_create(
            commons=commons, agent=agent, defaults={"added_by": actor, "added_at": clock.now()}
        )
        if not created:
            raise Conflict(f"{agent.name} already maintains {commons.slug}.")
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "maintainer.added",
            actor.name,
            {"maintainer": agent.name},
        )
    return maintainer


def contribution_submit(
    *,
    actor: Agent,
    commons: Commons,
    action: str,
    quantity: object,
    unit: str | None = None,
    description: str,
    evidence_url: str | None = None,
    occurred_at: datetime | None = None,
    stream: str | None = None,
    organisation: Agent | None = None,
) -> Contribution:
    """Anyone contributes, without asking: the contribution is public at once, `submitted`."""
    now = clock.now()
    data = contrib.check_contribution(
        action=action,
        quantity=quantity,
        unit=unit,
        description=description,
        evidence_url=evidence_url,
        occurred_at=occurred_at,
        stream=stream,
        now=now,
    )
    if (
        organisation is not None
        and not Membership.objects.filter(organisation=organisation, person=actor).exists()
    ):
        raise Invalid.field(
            "organisation", "You can only contribute on behalf of an organisation you belong to."
        )
    with transaction.atomic():
        contribution = Contribution.objects.create(
            commons=commons,
            contributor=actor,
            organisation=organisation,
            action=data.action,
            quantity=data.quantity,
            unit=data.unit,
            description=data.description,
            evidence_url=data.evidence_url,
            occurred_at=data.occurred_at,
            stream=data.stream,
            created_at=now,
        )
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "contribution.submitted",
            actor.name,
            {
                "id": contribution.pk,
                "contributor": actor.name,
                "organisation": organisation.name if organisation else None,
                "action": data.action.value,
                "quantity": contrib.quantity_text(data.quantity),
                "unit": data.unit,
                "description": data.description,
                "evidence_url": data.evidence_url,
                "occurred_at": data.occurred_at.isoformat(),
                "stream": data.stream.value,
            },
        )
    return contribution


def _locked(contribution: Contribution) -> Contribution:
    # Lock the row so two maintainers deciding at once are applied one after the other.
    return (
        Contribution.objects.select_for_update(of=("self",))
        .select_related("commons", "contributor")
        .get(pk=contribution.pk)
    )


def _check_review(actor: Agent, row: Contribution) -> None:
    contrib.check_review(
        status=row.status,
        reviewer_is_maintainer=Maintainer.objects.filter(commons=row.commons, agent=actor).exists(),
        reviewer_is_contributor=row.contributor_id == actor.pk,
        already_approved=Approval.objects.filter(contribution=row, maintainer=actor).exists(),
    )


def contribution_accept(
    *, actor: Agent, contribution: Contribution, note: str = ""
) -> Contribution:
    """A maintainer approves; with enough approvals the contribution is accepted and credited."""
    text = contrib.check_reason(note, required=False)
    with transaction.atomic():
        # The commons row first: `settings_update` holds it while it changes the number of
        # approvals required, so this approval counts against the setting in force.
        _lock_commons(contribution.commons_id)
        row = _locked(contribution)
        _check_review(actor, row)
        now = clock.now()
        Approval.objects.create(contribution=row, maintainer=actor, note=text, created_at=now)
        approvals = Approval.objects.filter(contribution=row).count()
        eventlog.append(
            eventlog.commons_stream(row.commons.slug),
            "contribution.approved",
            actor.name,
            {
                "id": row.pk,
                "note": text,
                "approvals": approvals,
                "required": row.commons.approvals_required,
            },
        )
        status = contrib.status_after_approval(approvals, row.commons.approvals_required)
        if status == contrib.Status.ACCEPTED:
            _accept(actor, row, now)
    return row


def _lock_commons(pk: int) -> Commons:
    return Commons.objects.select_for_update().get(pk=pk)


def _accept(actor: Agent, row: Contribution, now: datetime) -> None:
    """Accept a (locked, submitted) contribution that has its approvals: credit and log it."""
    row.status = contrib.Status.ACCEPTED
    row.decided_at = now
    row.save(update_fields=["status", "decided_at"])
    _credit(row)
    eventlog.append(
        eventlog.commons_stream(row.commons.slug),
        "contribution.accepted",
        actor.name,
        {
            "id": row.pk,
            "contributor": row.contributor.name,
            "quantity": contrib.quantity_text(row.quantity),
            "unit": row.unit,
        },
    )


def _credit(row: Contribution) -> None:
    total, _ = ContributorTotal.objects.get_or_create(
        commons=row.commons, agent_id=row.contributor_id, unit=row.unit
    )
    ContributorTotal.objects.filter(pk=total.pk).update(
        quantity=F("quantity") + row.quantity, count=F("count") + 1
    )


def contribution_reject(*, actor: Agent, contribution: Contribution, reason: str) -> Contribution:
    text = contrib.check_reason(reason, required=True)
    with transaction.atomic():
        row = _locked(contribution)
        _check_review(actor, row)
        row.status = contrib.Status.REJECTED
        row.reason = text
        row.decided_at = clock.now()
        row.save(update_fields=["status", "reason", "decided_at"])
        eventlog.append(
            eventlog.commons_stream(row.commons.slug),
            "contribution.rejected",
            actor.name,
            {"id": row.pk, "reason": text},
        )
    return row


def contribution_withdraw(*, actor: Agent, contribution: Contribution) -> Contribution:
    with transaction.atomic():
        row = _locked(contribution)
        contrib.check_withdrawal(
            status=row.status, actor_is_contributor=row.contributor_id == actor.pk
        )
        row.status = contrib.Status.WITHDRAWN
        row.decided_at = clock.now()
        row.save(update_fields=["status", "decided_at"])
        eventlog.append(
            eventlog.commons_stream(row.commons.slug),
            "contribution.withdrawn",
            actor.name,
            {"id": row.pk},
        )
    return row


def settings_update(*, actor: Agent, commons: Commons, approvals_required: object) -> Commons:
    """Change how many maintainer approvals a contribution needs: at most as many as the commons
    has maintainers. Lowering it accepts, at once, every submitted contribution that already
    has the approvals now required (as if its last approval had just been given)."""
    _require_maintainer(actor, commons, "change its settings")
    errors = FieldErrors()
    approvals = rules.check_approvals(
        approvals_required, errors, maintainers=Maintainer.objects.filter(commons=commons).count()
    )
    errors.raise_if_any()
    with transaction.atomic():
        # Held until commit: an approval given meanwhile waits, then counts against the new
        # setting, so no contribution is left with enough approvals but not accepted.
        _lock_commons(commons.pk)
        commons.approvals_required = approvals
        commons.save(update_fields=["approvals_required"])
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "commons.settings_changed",
            actor.name,
            {"approvals_required": approvals},
        )
        now = clock.now()
        for row in _approved_enough(commons, approvals):
            _accept(actor, row, now)
    return commons


def _approved_enough(commons: Commons, required: int) -> list[Contribution]:
    """Submitted contributions of a commons with at least `required` approvals, locked, oldest
    first. (FOR UPDATE cannot go with GROUP BY, so the count picks them and the lock follows.)"""
    ids = list(
        Contribution.objects.filter(commons=commons, status=contrib.Status.SUBMITTED)
        .annotate(approvals_given=Count("approvals"))
        .filter(approvals_given__gte=required)
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    return list(
        Contribution.objects.select_for_update(of=("self",))
        .select_related("commons", "contributor")
        .filter(pk__in=ids, status=contrib.Status.SUBMITTED)
        .order_by("pk")
    )
