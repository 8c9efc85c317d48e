"""Writes for commons, forks, maintainers and contributions. Each logs what it changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F

from communs.accounts.models import Agent, Membership
from communs.core import clock, eventlog
from communs.domain import changes, money
from communs.domain import commons as rules
from communs.domain import contributions as contrib
from communs.domain import rulebook as rulebooks
from communs.domain.errors import Conflict, FieldErrors, Forbidden, Invalid
from communs.domain.rulebook import Power, Rulebook

from . import selectors
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
    WorkingGroupMember,
)

JOB = "governance"  # the log's actor for what the governance job does on its own


def _slug_free(slug: str) -> None:
    if Commons.objects.filter(slug=slug).exists():
        raise Conflict(f"slug: '{slug}' is taken.", {"slug": [f"'{slug}' is taken."]})


def _require_maintainer(actor: Agent, commons: Commons, doing: str) -> None:
    if not Maintainer.objects.filter(commons=commons, agent=actor).exists():
        raise Forbidden(f"Only maintainers of {commons.slug} can {doing}.")


def require_power(actor: Agent, commons: Commons, power: Power, doing: str) -> None:
    """A change made directly, without a proposal: only by a maintainer, and only if the
    commons' rulebook leaves that change to its maintainers."""
    _require_maintainer(actor, commons, doing)
    if power not in selectors.rulebook_current(commons).rules.maintainers_may:
        raise Forbidden(f"The rulebook of {commons.slug} asks for a proposal to {doing}; open one.")


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
            commons = _insert(
                actor,
                data,
                forked_from=None,
                rulebook=Rulebook(approvals_required=data.approvals_required),
            )
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


def _insert(
    actor: Agent, data: rules.CommonsInput, forked_from: Commons | None, rulebook: Rulebook
) -> Commons:
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
    note = f"Copied from {forked_from.slug} at the fork" if forked_from else "Founding rules"
    RulebookVersion.objects.create(
        commons=commons,
        version=1,
        rules=rulebook.to_data(),
        note=note,
        created_by=actor,
        created_at=now,
    )
    eventlog.stream_open(eventlog.commons_stream(commons.slug))
    return commons


def commons_fork(*, actor: Agent, parent: Commons, slug: str, title: str | None = None) -> Commons:
    """Anyone may fork: the fork copies the parent's description, kind, licence and rulebook,
    records the parent and cites it upstream, and may then change its rules freely. Its forker
    is its only maintainer, so it requires one approval whatever the parent requires (more could
    never be given); its people can raise it once they are more."""
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
            inherited = selectors.rulebook_current(parent).rules
            fork = _insert(
                actor,
                data,
                forked_from=parent,
                # Its own equation and licence versions start again from the built-in ones.
                rulebook=dataclasses.replace(
                    inherited, approvals_required=1, equation_version=0, licence_version=0
                ),
            )
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


def _by(actor: Agent | None) -> str:
    """The log's actor: a person, or the governance job applying a decision on its own."""
    return actor.name if actor else JOB


def maintainer_add(
    *, actor: Agent | None, commons: Commons, agent: Agent, proposal: int | None = None
) -> Maintainer:
    """Add a maintainer: directly if the rulebook leaves it to maintainers, or as the change of
    an adopted `proposal` (`actor`: its proposer; None when the merit job opened it). An
    emeritus maintainer added again comes back."""
    if proposal is None:
        require_power(_acting(actor), commons, Power.ADD_MAINTAINER, "add maintainers")
    if agent.is_organisation:
        raise Invalid.field("username", "Maintainers are persons.")
    with transaction.atomic():
        maintainer, created = Maintainer.objects.get_or_create(
            commons=commons, agent=agent, defaults={"added_by": actor, "added_at": clock.now()}
        )
        if not created:
            raise Conflict(f"{agent.name} already maintains {commons.slug}.")
        returning = Emeritus.objects.filter(commons=commons, agent=agent).delete()[0] > 0
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "maintainer.added",
            _by(actor),
            {
                "maintainer": agent.name,
                **({"proposal": proposal} if proposal else {}),
                **({"returning": True} if returning else {}),
            },
        )
    return maintainer


def _acting(actor: Agent | None) -> Agent:
    if actor is None:
        raise Forbidden("Only a person, or an adopted proposal, makes this change.")
    return actor


def maintainer_remove(
    *, actor: Agent | None, commons: Commons, agent: Agent, proposal: int | None = None
) -> None:
    """Remove a maintainer (by proposal, unless the rulebook leaves it to maintainers). A
    commons always keeps one, and as many as the approvals it requires. Removing an emeritus
    maintainer takes away their right to come back."""
    if proposal is None:
        require_power(_acting(actor), commons, Power.REMOVE_MAINTAINER, "remove maintainers")
    with transaction.atomic():
        locked = _lock_commons(commons.pk)
        emeritus = Emeritus.objects.filter(commons=locked, agent=agent).delete()[0] > 0
        if not emeritus:
            _leave(locked, agent)
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "maintainer.removed",
            _by(actor),
            {
                "maintainer": agent.name,
                **({"proposal": proposal} if proposal else {}),
                **({"emeritus": True} if emeritus else {}),
            },
        )


def _leave(locked: Commons, agent: Agent) -> Maintainer:
    problem = selectors.why_not_leave(locked, agent)
    if problem is not None:
        raise Invalid.field("agent", problem)
    row = Maintainer.objects.get(commons=locked, agent=agent)
    row.delete()
    return row


def maintainer_retire(*, commons: Commons, agent: Agent, inactive_days: int) -> Emeritus:
    """The merit job: a maintainer inactive for the rulebook's period becomes emeritus."""
    with transaction.atomic():
        locked = _lock_commons(commons.pk)
        row = _leave(locked, agent)
        now = clock.now()
        emeritus = Emeritus.objects.create(
            commons=locked, agent=agent, maintainer_since=row.added_at, since=now
        )
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "maintainer.emeritus",
            JOB,
            {"maintainer": agent.name, "inactive_days": inactive_days},
        )
    return emeritus


def maintainer_return(*, actor: Agent, commons: Commons) -> Maintainer:
    """An emeritus maintainer comes back, on their own word."""
    with transaction.atomic():
        if not Emeritus.objects.filter(commons=commons, agent=actor).delete()[0]:
            raise Forbidden(f"Only an emeritus maintainer of {commons.slug} comes back this way.")
        maintainer = Maintainer.objects.create(
            commons=commons, agent=actor, added_by=actor, added_at=clock.now()
        )
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "maintainer.returned",
            actor.name,
            {"maintainer": actor.name},
        )
    return maintainer


def rulebook_adopt(
    *, actor: Agent | None, commons: Commons, rulebook: Rulebook, note: str, proposal: int | None
) -> RulebookVersion:
    """Write the next version of a commons' rulebook. Callers decided it may change: an adopted
    proposal, or a change the rulebook leaves to maintainers (`settings_update`). The number of
    approvals in force follows it; lowering it accepts, at once, every submitted contribution
    that already has the approvals now required."""
    with transaction.atomic():
        # Held until commit: an approval given meanwhile waits, then counts against the new
        # rules, so no contribution is left with enough approvals but not accepted.
        locked = _lock_commons(commons.pk)
        errors = FieldErrors()
        rules.check_approvals(
            rulebook.approvals_required,
            errors,
            maintainers=Maintainer.objects.filter(commons=locked).count(),
        )
        errors.raise_if_any()
        current = selectors.rulebook_current(locked)
        if rulebook == current.rules:
            raise Invalid.field("rulebook", "These are the rules already in force.")
        row = RulebookVersion.objects.create(
            commons=locked,
            version=current.version + 1,
            rules=rulebook.to_data(),
            note=note,
            proposal=proposal,
            created_by=actor,
            created_at=clock.now(),
        )
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "rulebook.amended",
            _by(actor),
            {
                "version": row.version,
                "proposal": proposal,
                "note": note,
                "changes": {k: new for k, _, new in rulebooks.diff(current.rules, rulebook)},
            },
        )
        if rulebook.approvals_required != locked.approvals_required:
            Commons.objects.filter(pk=locked.pk).update(
                approvals_required=rulebook.approvals_required
            )
            commons.approvals_required = locked.approvals_required = rulebook.approvals_required
            now = clock.now()
            for contribution in _approved_enough(locked, rulebook.approvals_required):
                _accept(_by(actor), contribution, now)
    return row


def rulebook_record(
    *,
    actor: Agent,
    commons: Commons,
    proposal: int | None,
    note: str,
    equation_version: int | None = None,
    licence_version: int | None = None,
) -> RulebookVersion:
    """Record in the rulebook the equation or licence version now in force: adopting one is a
    change of the commons' rules like any other."""
    current = selectors.rulebook_current(commons).rules
    return rulebook_adopt(
        actor=actor,
        commons=commons,
        rulebook=dataclasses.replace(
            current,
            equation_version=current.equation_version
            if equation_version is None
            else equation_version,
            licence_version=current.licence_version if licence_version is None else licence_version,
        ),
        note=note,
        proposal=proposal,
    )


def working_group_create(
    *, actor: Agent, commons: Commons, group: Mapping[str, Any], proposal: int | None = None
) -> WorkingGroup:
    """Create a working group from its `domain.changes` description (checked again here, so
    no caller can store a cap without its currency and period)."""
    if proposal is None:
        require_power(actor, commons, Power.CREATE_WORKING_GROUP, "create working groups")
    group = changes.parse({**group, "type": Power.CREATE_WORKING_GROUP.value}).data
    slug = str(group["slug"])
    names = [str(n) for n in group.get("members") or []]
    members = {a.name: a for a in Agent.objects.filter(name__in=names, type=Agent.Type.PERSON)}
    missing = sorted(set(names) - set(members))
    if missing:
        raise Invalid.field("change.members", f"No person is named {', '.join(missing)}.")
    cap = group.get("spending_cap")
    currency = str(group.get("currency") or "")
    with transaction.atomic():
        if WorkingGroup.objects.filter(commons=commons, slug=slug).exists():
            raise Conflict(f"{commons.slug} already has a working group '{slug}'.")
        now = clock.now()
        row = WorkingGroup.objects.create(
            commons=commons,
            slug=slug,
            name=str(group["name"]),
            mandate=str(group["mandate"]),
            spending_cap=money.parse_amount(cap, currency) if cap else None,
            currency=currency if cap else "",
            cap_period_days=group.get("cap_period_days") if cap else None,
            proposal=proposal,
            created_at=now,
        )
        WorkingGroupMember.objects.bulk_create(
            WorkingGroupMember(group=row, agent=agent, added_at=now) for agent in members.values()
        )
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "working_group.created",
            actor.name,
            {**group, **({"proposal": proposal} if proposal else {})},
        )
    return row


def working_group_close(
    *, actor: Agent, commons: Commons, slug: str, proposal: int | None = None
) -> WorkingGroup:
    if proposal is None:
        require_power(actor, commons, Power.CLOSE_WORKING_GROUP, "close working groups")
    with transaction.atomic():
        row = (
            WorkingGroup.objects.select_for_update()
            .filter(commons=commons, slug=slug, closed_at=None)
            .first()
        )
        if row is None:
            raise Invalid.field(
                "change.slug", f"{commons.slug} has no open working group '{slug}'."
            )
        row.closed_at = clock.now()
        row.save(update_fields=["closed_at"])
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "working_group.closed",
            actor.name,
            {"slug": slug, "proposal": proposal},
        )
    return row


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
            _accept(actor.name, row, now)
    return row


def _lock_commons(pk: int) -> Commons:
    return Commons.objects.select_for_update().get(pk=pk)


def _accept(by: str, row: Contribution, now: datetime) -> None:
    """Accept a (locked, submitted) contribution that has its approvals: credit and log it."""
    row.status = contrib.Status.ACCEPTED
    row.decided_at = now
    row.save(update_fields=["status", "decided_at"])
    _credit(row)
    eventlog.append(
        eventlog.commons_stream(row.commons.slug),
        "contribution.accepted",
        by,
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
    """Change how many maintainer approvals a contribution needs, directly: a rule of the
    rulebook its maintainers may set as long as the rulebook leaves it to them. At most as many
    as the commons has maintainers."""
    require_power(actor, commons, Power.SET_APPROVALS, "change its settings")
    errors = FieldErrors()
    approvals = rules.check_approvals(
        approvals_required, errors, maintainers=Maintainer.objects.filter(commons=commons).count()
    )
    errors.raise_if_any()
    with transaction.atomic():
        _lock_commons(commons.pk)
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "commons.settings_changed",
            actor.name,
            {"approvals_required": approvals},
        )
        current = selectors.rulebook_current(commons).rules
        if approvals != current.approvals_required:
            rulebook_adopt(
                actor=actor,
                commons=commons,
                rulebook=dataclasses.replace(current, approvals_required=approvals),
                note=f"{actor.name} set the approvals required to {approvals}",
                proposal=None,
            )
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
