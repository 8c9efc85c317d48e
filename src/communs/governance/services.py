"""Writes for governance: proposals and their votes, the decisions and the changes they
execute, the merit job, review dates, and discussions. Each use case checks who may act,
validates everything before writing, and logs what it did in the same transaction.

A proposal's change is applied by the service that owns it (commons, ledger, licensing), in
the transaction that records the decision: when the decision passes and the change still
holds, both are written; when the change no longer holds (the maintainer it removes is the last
one, the expense was paid meanwhile), the proposal fails with that reason and nothing changes.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Q

from communs.accounts.models import Agent
from communs.commons import selectors as commons_selectors
from communs.commons import services as commons_services
from communs.commons.models import Approval, Commons, Contribution, Emeritus, Maintainer
from communs.core import clock, eventlog
from communs.domain import changes, contributions, equations
from communs.domain import governance as methods
from communs.domain import rulebook as rulebooks
from communs.domain.commons import check_approvals
from communs.domain.contributions import MAX_DESCRIPTION, has_nul
from communs.domain.errors import Conflict, DomainError, FieldErrors, Forbidden, Invalid
from communs.domain.governance import Method, Position
from communs.domain.rulebook import Power
from communs.ledger import services as ledger_services
from communs.ledger.models import Expense
from communs.licensing import services as licensing_services

from . import selectors
from .models import Comment, Proposal, Vote

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_COMMENT = 10_000
MAX_REASON = MAX_DESCRIPTION  # as a contribution's rejection
logger = logging.getLogger(__name__)
RENOMINATION_DAYS = 30
JOB = "governance"  # the log's actor for what the governance job does on its own


def _log(commons: Commons, kind: str, actor: Agent | None, data: dict[str, Any]) -> None:
    eventlog.append(eventlog.commons_stream(commons.slug), kind, actor.name if actor else JOB, data)


def _text(raw: object, field: str, limit: int, errors: FieldErrors) -> str:
    value = str(raw or "").strip()
    if not value:
        errors.add(field, "This field is required.")
    elif len(value) > limit or has_nul(value):
        errors.add(field, f"At most {limit} characters, no NUL.")
    return value


# -- proposals ------------------------------------------------------------------------------


def proposal_open(
    *,
    actor: Agent,
    commons: Commons,
    title: str,
    text: str,
    method: str | None = None,
    change: object = None,
    review_on: date | None = None,
) -> Proposal:
    """Open a proposal. Who may is the rulebook's say; its method must be one the rulebook
    allows; its change is checked now, and again when it passes."""
    now = clock.now()
    book = commons_selectors.rulebook_current(commons)
    if not commons_selectors.may_propose(actor, commons, book.rules, now):
        raise Forbidden(_who_proposes(commons, book.rules))
    errors = FieldErrors()
    clean_title = _text(title, "title", MAX_TITLE, errors)
    clean_text = _text(text, "text", MAX_TEXT, errors)
    if review_on is not None and review_on <= now.date():
        errors.add("review_on", "A review date lies in the future.")
    errors.raise_if_any()
    first = methods.opening(method or book.rules.default_method, now=now, rules=_rules(book))
    if first.method not in book.rules.methods:
        allowed = ", ".join(m.value for m in book.rules.methods)
        raise Invalid.field("method", f"The rulebook of {commons.slug} allows: {allowed}.")
    parsed = changes.parse(change) if change is not None else None
    if parsed is not None:
        _check_applicable(commons, parsed, book.rules)
    return _open(
        commons=commons,
        proposer=actor,
        title=clean_title,
        text=clean_text,
        first=first,
        change=parsed,
        book=book,
        now=now,
        review_on=review_on,
    )


def _rules(book: commons_selectors.RulebookInForce) -> methods.Rules:
    return book.rules.decision_rules()


def _who_proposes(commons: Commons, rules: rulebooks.Rulebook) -> str:
    if rules.who_proposes == rulebooks.Who.MAINTAINERS:
        return f"The rulebook of {commons.slug} lets its maintainers open proposals."
    return (
        f"The rulebook of {commons.slug} lets people with at least "
        f"{rules.eligibility_contributions} accepted contribution(s) in the last "
        f"{rules.eligibility_days} days open proposals."
    )


def _open(
    *,
    commons: Commons,
    proposer: Agent | None,
    title: str,
    text: str,
    first: methods.Round,
    change: changes.Change | None,
    book: commons_selectors.RulebookInForce,
    now: datetime,
    review_on: date | None = None,
    origin: str = Proposal.Origin.PERSON,
    evidence: dict[str, Any] | None = None,
    reviews: Proposal | None = None,
    eligible: int | None = None,
) -> Proposal:
    """Write an opened proposal. `eligible`, when given, was counted at `now` under the same
    rules (the merit job counts once for all its nominations)."""
    with transaction.atomic():
        maintainers = set(commons.maintainers.values_list("agent_id", flat=True))
        if eligible is None:
            eligible = commons_selectors.electorate_size(commons, book.rules, now, maintainers)
        proposal = Proposal.objects.create(
            commons=commons,
            person=_named_person(change),
            title=title,
            text=text,
            method=first.method,
            change=change.to_data() if change else None,
            origin=origin,
            proposer=proposer,
            evidence=evidence,
            reviews=reviews,
            review_on=review_on,
            rulebook_version=book.version,
            closes_at=first.closes_at,
            maintainers_at_opening=sorted(maintainers),
            eligible=eligible,
            created_at=now,
        )
        _log(
            commons,
            "proposal.opened",
            proposer,
            {
                "id": proposal.pk,
                "title": title,
                "text": text,
                "method": first.method.value,
                "change": proposal.change,
                "origin": origin,
                "evidence": evidence,
                "reviews": reviews.pk if reviews else None,
                "review_on": review_on.isoformat() if review_on else None,
                "closes_at": first.closes_at.isoformat(),
                "rulebook_version": book.version,
                "eligible": eligible,
            },
        )
    return proposal


def _named_person(change: changes.Change | None) -> Agent | None:
    """The person a maintainer change is about, kept as a column so the merit job finds
    earlier nominations by a join."""
    if change is None or change.type not in (Power.ADD_MAINTAINER, Power.REMOVE_MAINTAINER):
        return None
    return _person(change.data["agent"])


def _locked(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("commons", "proposer")
        .get(pk=proposal.pk)
    )


def _require_open(row: Proposal, now: datetime) -> None:
    if row.status != Proposal.Status.OPEN:
        raise Conflict(f"Proposal #{row.pk} is {row.status}: its voting is closed.")
    if now >= row.closes_at:
        raise Conflict(f"Proposal #{row.pk}'s voting period has ended; it is being decided.")


def vote_cast(*, actor: Agent, proposal: Proposal, position: object, reason: str = "") -> Proposal:
    """One vote per person per round, by those the rulebook lets vote; objections and blocks
    carry their reason. A consensus reached by everyone decides at once."""
    method = Method(proposal.method)
    chosen = methods.check_vote(method, position, reason or "")
    text = _reason(reason)
    with transaction.atomic():
        row = _locked(proposal)
        now = clock.now()
        _require_open(row, now)
        if not selectors.may_vote(actor, row):
            raise Forbidden(_who_votes(row))
        if chosen == Position.BLOCK:
            rules = selectors.rules_of(row)
            methods.check_block_allowed(
                rules, selectors.blocks_cast(actor, row.commons, now - rules.block_period)
            )
        try:
            with transaction.atomic():
                Vote.objects.create(
                    proposal=row,
                    round=row.round,
                    voter=actor,
                    position=chosen,
                    reason=text,
                    created_at=now,
                )
        except IntegrityError:
            raise Conflict("You have already voted in this round.") from None
        _log(
            row.commons,
            "proposal.voted",
            actor,
            {"id": row.pk, "round": row.round, "position": chosen.value, "reason": text},
        )
        _settle_early(row, actor, now)
    return row


def _reason(raw: str | None) -> str:
    """A vote's reason (check_vote made sure an objection or a block has one)."""
    text = (raw or "").strip()
    if len(text) > MAX_REASON or has_nul(text):
        raise Invalid.field("reason", f"At most {MAX_REASON} characters, no NUL.")
    return text


def _who_votes(row: Proposal) -> str:
    return (
        f"Proposal #{row.pk} is decided by those eligible when it opened: "
        f"{row.commons.slug}'s maintainers and recent contributors, as its rulebook says."
    )


def objection_withdraw(*, actor: Agent, proposal: Proposal) -> Proposal:
    """The objector lifts their objection or block: it stands aside from then on."""
    with transaction.atomic():
        row = _locked(proposal)
        now = clock.now()
        _require_open(row, now)
        vote = Vote.objects.filter(
            proposal=row,
            round=row.round,
            voter=actor,
            position__in=[Position.OBJECT, Position.BLOCK],
            withdrawn=False,
        ).first()
        if vote is None:
            raise Conflict("You have no standing objection or block on this proposal.")
        vote.withdrawn = True
        vote.save(update_fields=["withdrawn"])
        _log(row.commons, "proposal.objection_withdrawn", actor, {"id": row.pk, "round": row.round})
        _settle_early(row, actor, now)
    return row


def proposal_amend(
    *, actor: Agent, proposal: Proposal, text: str, title: str = "", change: object = None
) -> Proposal:
    """Consent: the proposer rewrites the text (and, if it carries one, the change) to meet
    objections. A new round opens with a full period; earlier consents no longer count,
    objections stand until withdrawn."""
    errors = FieldErrors()
    clean_text = _text(text, "text", MAX_TEXT, errors)
    clean_title = _text(title, "title", MAX_TITLE, errors) if title else ""
    errors.raise_if_any()
    with transaction.atomic():
        row = _locked(proposal)
        now = clock.now()
        _require_proposer(actor, row)
        _require_open(row, now)
        if change is not None:
            if row.change is None:
                raise Invalid.field("change", "This proposal carries no change to amend.")
            amended = changes.parse(change)
            if amended.type.value != row.change["type"]:
                raise Invalid.field("change.type", "An amendment keeps the type of change.")
            _check_applicable(
                row.commons, amended, commons_selectors.rulebook_current(row.commons).rules
            )
            row.change = amended.to_data()
            row.person = _named_person(amended)
        rules = selectors.rules_of(row)
        next_round, kept = methods.amend(
            selectors.current_round(row), selectors.ballot(row), now=now, rules=rules
        )
        standing = {v.voter for v in kept.votes}
        Vote.objects.bulk_create(
            Vote(
                proposal=row,
                round=next_round.number,
                voter=v.voter,
                position=v.position,
                reason=v.reason,
                created_at=now,
            )
            for v in selectors.votes(row, round=row.round)
            if v.voter.name in standing
        )
        row.text = clean_text
        row.title = clean_title or row.title
        row.round, row.closes_at = next_round.number, next_round.closes_at
        row.save(update_fields=["text", "title", "change", "person", "round", "closes_at"])
        _log(
            row.commons,
            "proposal.amended",
            actor,
            {
                "id": row.pk,
                "round": row.round,
                "title": row.title,
                "text": clean_text,
                "change": row.change,
                "closes_at": row.closes_at.isoformat(),
            },
        )
    return row


def proposal_second_round(*, actor: Agent, proposal: Proposal) -> Proposal:
    """Consensus: after a first round without unanimity, the proposer takes it to a second
    round, decided by modified consensus."""
    with transaction.atomic():
        row = _locked(proposal)
        _require_proposer(actor, row)
        if not row.second_round_possible:
            raise Conflict("Only a consensus proposal whose first round failed goes on.")
        now = clock.now()
        rules = selectors.rules_of(row)
        # Soon after the first round, while its electorate and rules still speak for today.
        if row.decided_at is not None and now > row.decided_at + rules.duration:
            raise Conflict(
                "The first round ended more than a voting period ago; open a new proposal."
            )
        following = methods.second_round(selectors.current_round(row), now=now, rules=rules)
        row.status, row.round, row.closes_at = Proposal.Status.OPEN, 2, following.closes_at
        row.second_round_possible, row.outcome, row.decided_at = False, "", None
        row.save(
            update_fields=[
                "status",
                "round",
                "closes_at",
                "second_round_possible",
                "outcome",
                "decided_at",
            ]
        )
        _log(
            row.commons,
            "proposal.second_round",
            actor,
            {"id": row.pk, "closes_at": row.closes_at.isoformat()},
        )
    return row


def proposal_withdraw(*, actor: Agent, proposal: Proposal) -> Proposal:
    with transaction.atomic():
        row = _locked(proposal)
        _require_proposer(actor, row)
        if row.status != Proposal.Status.OPEN and not row.second_round_possible:
            raise Conflict(f"Proposal #{row.pk} is {row.status}.")
        row.status, row.decided_at = Proposal.Status.WITHDRAWN, clock.now()
        row.second_round_possible = False
        row.save(update_fields=["status", "decided_at", "second_round_possible"])
        _log(row.commons, "proposal.withdrawn", actor, {"id": row.pk})
    return row


def _require_proposer(actor: Agent, row: Proposal) -> None:
    if row.proposer_id != actor.pk:
        raise Forbidden("Only the proposer can do this.")


def proposal_close(*, proposal: Proposal, actor: Agent | None = None) -> Proposal:
    """Decide a proposal whose period has ended (anyone may ask; the governance job does it
    for every due proposal). Idempotent: a decided proposal is returned as it is."""
    with transaction.atomic():
        row = _locked(proposal)
        if row.status == Proposal.Status.OPEN:
            _settle(row, actor, clock.now())
    return row


def _settle_early(row: Proposal, actor: Agent | None, now: datetime) -> None:
    """After a vote: settle only if this vote can have decided (a counting query), so a vote
    costs the same whether it is the first or the thousandth."""
    cast = row.votes.filter(round=row.round).count()
    if methods.may_end_early(selectors.current_round(row), cast=cast, eligible=row.eligible):
        _settle(row, actor, now)


def _settle(row: Proposal, actor: Agent | None, now: datetime) -> None:
    """Record the decision if the method has reached one; apply the change if it passed."""
    decision = selectors.standing(row, now).decision
    if decision.status == methods.Status.OPEN:
        return
    row.status = decision.status.value
    row.outcome = decision.reason
    row.decided_at = now
    row.second_round_possible = decision.second_round
    applied: dict[str, Any] | None = None
    if decision.status == methods.Status.PASSED and row.change:
        try:
            with transaction.atomic():  # a savepoint: a change that no longer holds leaves nothing
                applied = _apply(row, changes.parse(row.change))
        except DomainError as error:
            row.status = Proposal.Status.FAILED
            row.outcome = f"{decision.reason} The change could not be applied: {error.detail}"
    row.applied = applied
    row.save(update_fields=["status", "outcome", "decided_at", "second_round_possible", "applied"])
    tally = decision.tally
    _log(
        row.commons,
        "proposal.decided",
        actor,
        {
            "id": row.pk,
            "status": row.status,
            "outcome": row.outcome,
            "round": row.round,
            "votes": {str(k): v for k, v in sorted(tally.counts.items())},
            "eligible": row.eligible,
            "applied": applied,
        },
    )


# -- executing changes ----------------------------------------------------------------------


def _check_applicable(commons: Commons, change: changes.Change, rules: rulebooks.Rulebook) -> None:
    """What can be checked against today's state before the vote: the rulebook amendment is
    valid, the people and things named exist."""
    data = change.data
    match change.type:
        case Power.AMEND_RULEBOOK:
            amended = rulebooks.amend(rules, data["set"])
            if amended.approvals_required != rules.approvals_required:
                errors = FieldErrors()
                check_approvals(
                    amended.approvals_required, errors, maintainers=commons.maintainers.count()
                )
                errors.raise_if_any()
        case Power.ADD_MAINTAINER:
            agent = _person(data["agent"])
            if commons_selectors.is_maintainer(agent, commons):
                raise Conflict(f"{agent.name} already maintains {commons.slug}.")
        case Power.REMOVE_MAINTAINER:
            agent = _person(data["agent"])
            # An emeritus is removed too: they lose the right to come back.
            problem = (
                None
                if commons_selectors.is_emeritus(agent, commons)
                else commons_selectors.why_not_leave(commons, agent)
            )
            if problem is not None:
                raise Invalid.field("change.agent", problem)
        case Power.APPROVE_EXPENSE:
            if not Expense.objects.filter(
                pk=data["expense"], commons=commons, status=Expense.Status.PENDING
            ).exists():
                raise Invalid.field(
                    "change.expense", f"{commons.slug} has no pending expense #{data['expense']}."
                )
        case Power.CREATE_WORKING_GROUP:
            if commons.working_groups.filter(slug=data["slug"]).exists():
                raise Conflict(f"{commons.slug} already has a working group '{data['slug']}'.")
            known = set(
                Agent.objects.filter(name__in=data["members"], type=Agent.Type.PERSON).values_list(
                    "name", flat=True
                )
            )
            for name in data["members"]:
                if name not in known:
                    raise Invalid.field("change.members", f"No person is named '{name}'.")
        case Power.CLOSE_WORKING_GROUP:
            if not commons.working_groups.filter(slug=data["slug"], closed_at=None).exists():
                raise Invalid.field("change.slug", f"No open working group '{data['slug']}'.")
        case Power.SET_APPROVALS:
            errors = FieldErrors()
            check_approvals(
                data["approvals_required"], errors, maintainers=commons.maintainers.count()
            )
            if data["approvals_required"] == rules.approvals_required:
                errors.add("approvals_required", "This is the number already required.")
            if errors.errors:  # named like the change's other fields
                found = errors.errors["approvals_required"]
                raise Invalid(
                    "change.approvals_required: " + " ".join(found),
                    {"change.approvals_required": found},
                )
        case Power.ADOPT_EQUATION:
            # The shape was checked by changes.parse; the agents its buckets pay must exist
            # (equation_adopt refuses them otherwise, and only after the vote).
            ledger_services.check_payees(
                equations.parse_equation(data["equation"]), prefix="change.equation."
            )
        case Power.CHANGE_LICENCE:
            pass  # fully checked by changes.parse


def _person(name: str, field: str = "change.agent") -> Agent:
    agent = Agent.objects.filter(name=name, type=Agent.Type.PERSON).first()
    if agent is None:
        raise Invalid.field(field, f"No person is named '{name}'.")
    return agent


def _apply(row: Proposal, change: changes.Change) -> dict[str, Any]:
    commons, actor, data, pk = row.commons, row.proposer, change.data, row.pk
    match change.type:
        case Power.AMEND_RULEBOOK | Power.SET_APPROVALS:
            current = commons_selectors.rulebook_current(commons).rules
            amended = (
                rulebooks.amend(current, data["set"])
                if change.type == Power.AMEND_RULEBOOK
                else dataclasses.replace(current, approvals_required=data["approvals_required"])
            )
            version = commons_services.rulebook_adopt(
                actor=actor,
                commons=commons,
                rulebook=amended,
                note=f"Proposal #{pk}: {row.title}"[:300],
                proposal=pk,
            )
            return {"rulebook_version": version.version}
        case Power.ADOPT_EQUATION:
            equation = ledger_services.equation_adopt(
                actor=_acting(row), commons=commons, definition=data["equation"], proposal=pk
            )
            return {"equation_version": equation.version}
        case Power.CHANGE_LICENCE:
            profile = licensing_services.profile_adopt(
                actor=_acting(row),
                commons=commons,
                profile=data["profile"],
                parameters=data["parameters"],
                proposal=pk,
            )
            return {"licence_version": profile.version}
        case Power.ADD_MAINTAINER:
            agent = _person(data["agent"])
            commons_services.maintainer_add(actor=actor, commons=commons, agent=agent, proposal=pk)
            return {"maintainer_added": agent.name}
        case Power.REMOVE_MAINTAINER:
            agent = _person(data["agent"])
            commons_services.maintainer_remove(
                actor=actor, commons=commons, agent=agent, proposal=pk
            )
            return {"maintainer_removed": agent.name}
        case Power.APPROVE_EXPENSE:
            expense = Expense.objects.filter(pk=data["expense"], commons=commons).first()
            if expense is None:
                raise Invalid.field("change.expense", f"No expense #{data['expense']}.")
            # Decided by the community, not by its proposer (who may be the claimant).
            ledger_services.expense_approve(actor=None, expense=expense, proposal=pk)
            return {"expense_approved": expense.pk}
        case Power.CREATE_WORKING_GROUP:
            group = commons_services.working_group_create(
                actor=_acting(row), commons=commons, group=dict(data), proposal=pk
            )
            return {"working_group": group.slug}
        case Power.CLOSE_WORKING_GROUP:
            commons_services.working_group_close(
                actor=_acting(row), commons=commons, slug=data["slug"], proposal=pk
            )
            return {"working_group_closed": data["slug"]}


def _acting(row: Proposal) -> Agent:
    """Who a passed change is recorded as made by: its proposer. (The jobs open only
    nominations and reviews, which need no author.)"""
    if row.proposer is None:
        raise Invalid.field("change", "Only a person's proposal carries this change.")
    return row.proposer


# -- merit, emeritus and review dates: the governance job ------------------------------------


@dataclasses.dataclass(frozen=True)
class TickReport:
    closed: list[int]
    reviews_opened: list[int]
    nominations: list[int]
    emeriti: list[str]
    failures: list[str] = dataclasses.field(default_factory=list)


def governance_tick(*, commons: Commons | None = None) -> TickReport:
    """What the daily job does: close due proposals, open review proposals whose date came,
    nominate people who meet the promotion criteria, and retire inactive maintainers."""
    now = clock.now()
    due = selectors.due(now)
    if commons is not None:
        due = due.filter(commons=commons)
    closed, failures = [], []
    # One item's failure (a bug, a damaged row) must not stop the job for every commons: each
    # is its own transaction, logged and reported, and the job goes on.
    for proposal in due:
        try:
            closed.append(proposal_close(proposal=proposal).pk)
        except Exception:
            logger.exception("closing proposal #%s failed", proposal.pk)
            failures.append(f"proposal #{proposal.pk}")
    reviews = _open_reviews(now, commons)
    nominations: list[int] = []
    emeriti: list[str] = []
    for each in [commons] if commons else Commons.objects.order_by("pk"):
        try:
            result = merit_run(commons=each)
        except Exception:
            logger.exception("the merit job failed for %s", each.slug)
            failures.append(f"merit job of {each.slug}")
            continue
        nominations += result.nominations
        emeriti += result.emeriti
    return TickReport(closed, reviews, nominations, emeriti, failures)


def _job_method(rules: rulebooks.Rulebook) -> Method:
    """Nominations and reviews go by consent (the essay's "good enough for now, safe enough to
    try"), unless the rulebook does not allow it: then by its default method."""
    return Method.CONSENT if Method.CONSENT in rules.methods else rules.default_method


def _open_reviews(now: datetime, commons: Commons | None) -> list[int]:
    due = Proposal.objects.filter(
        status=Proposal.Status.PASSED, review_on__lte=now.date(), review_proposals=None
    ).select_related("commons")
    if commons is not None:
        due = due.filter(commons=commons)
    opened = []
    for decided in due.order_by("pk"):
        book = commons_selectors.rulebook_current(decided.commons)
        first = methods.opening(_job_method(book.rules), now=now, rules=_rules(book))
        review = _open(
            commons=decided.commons,
            proposer=None,
            title=f"Review: {decided.title}"[:MAX_TITLE],
            text=(
                f"Proposal #{decided.pk} was adopted on {decided.decided_at:%Y-%m-%d} with "
                f"{decided.review_on:%Y-%m-%d} as its review date. Does it still serve? "
                "Consent keeps it; an objection asks for a new proposal."
            ),
            first=first,
            change=None,
            book=book,
            now=now,
            origin=Proposal.Origin.REVIEW,
            reviews=decided,
        )
        opened.append(review.pk)
    return opened


@dataclasses.dataclass(frozen=True)
class MeritReport:
    nominations: list[int]
    emeriti: list[str]


def merit_run(*, commons: Commons) -> MeritReport:
    """Nominate, by a consent proposal with the evidence attached, everyone who meets the
    rulebook's promotion criteria and is not a maintainer yet; retire maintainers without any
    activity for the rulebook's period. Idempotent: nobody is nominated twice while a
    nomination is open, nor again within the promotion period after one failed."""
    now = clock.now()
    book = commons_selectors.rulebook_current(commons)
    rules = book.rules
    candidates = _candidates(commons, rules, now)
    eligible = None
    if candidates:  # every nomination opens at `now` under the same rules: count once
        maintainers = set(commons.maintainers.values_list("agent_id", flat=True))
        eligible = commons_selectors.electorate_size(commons, rules, now, maintainers)
    nominations = [
        _nominate(commons, book, candidate, evidence, now, eligible).pk
        for candidate, evidence in candidates
    ]
    retired = []
    for maintainer, idle_days in _inactive(commons, rules, now):
        try:
            commons_services.maintainer_retire(
                commons=commons, agent=maintainer, inactive_days=idle_days
            )
        except DomainError:
            continue  # the last maintainer, or one the approvals required still need, stays
        retired.append(maintainer.name)
    return MeritReport(nominations, retired)


def _candidates(
    commons: Commons, rules: rulebooks.Rulebook, now: datetime
) -> list[tuple[Agent, dict[str, Any]]]:
    earliest = now - timedelta(days=rules.promotion_days)
    # After a nomination failed, not again within the promotion period (a month at least).
    retry_after = now - timedelta(days=max(rules.promotion_days, RENOMINATION_DAYS))
    rows = (
        Contribution.objects.filter(
            commons=commons,
            status=contributions.Status.ACCEPTED,
            contributor__type=Agent.Type.PERSON,
            contributor__user__isnull=False,
        )
        .exclude(contributor__maintains__commons=commons)
        # An emeritus comes back on their own word (maintainer_return); nominating them would
        # undo, at the next run, what the job did for their inactivity.
        .exclude(contributor__in=Emeritus.objects.filter(commons=commons).values("agent"))
        # Nominated already: the nomination is open, or failed too recently.
        .exclude(
            contributor__in=commons.proposals.filter(change__type=Power.ADD_MAINTAINER)
            .filter(Q(status=Proposal.Status.OPEN) | Q(decided_at__gte=retry_after))
            .values("person")
        )
        .values("contributor")
        .annotate(n=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
        .filter(
            n__gte=rules.promotion_contributions,
            first__lte=earliest,
            # Still active: someone gone longer than a maintainer may stay idle would be
            # made emeritus at the next run.
            last__gte=now - timedelta(days=rules.emeritus_after_days),
        )
        .order_by("contributor")
    )
    found = {row["contributor"]: row for row in rows}
    if not found:
        return []
    out = []
    for agent in Agent.objects.filter(pk__in=found).order_by("name"):
        row = found[agent.pk]
        out.append(
            (
                agent,
                {
                    "accepted_contributions": row["n"],
                    "first": row["first"].date().isoformat(),
                    "last": row["last"].date().isoformat(),
                    "days": (row["last"] - row["first"]).days,
                    "criteria": {
                        "contributions": rules.promotion_contributions,
                        "days": rules.promotion_days,
                    },
                },
            )
        )
    return out


def _nominate(
    commons: Commons,
    book: commons_selectors.RulebookInForce,
    agent: Agent,
    evidence: dict[str, Any],
    now: datetime,
    eligible: int | None,
) -> Proposal:
    first = methods.opening(_job_method(book.rules), now=now, rules=_rules(book))
    return _open(
        commons=commons,
        proposer=None,
        title=f"Make {agent.display_name or agent.name} a maintainer"[:MAX_TITLE],
        text=(
            f"{agent.name} has {evidence['accepted_contributions']} accepted contributions "
            f"to {commons.slug} from {evidence['first']} to {evidence['last']}, which meets "
            f"the rulebook's criteria for maintainers (at least "
            f"{book.rules.promotion_contributions} over at least {book.rules.promotion_days} "
            "days). Consent makes them a maintainer; an objection says why not yet."
        ),
        first=first,
        change=changes.parse({"type": Power.ADD_MAINTAINER.value, "agent": agent.name}),
        book=book,
        now=now,
        origin=Proposal.Origin.MERIT,
        evidence=evidence,
        eligible=eligible,
    )


def _inactive(
    commons: Commons, rules: rulebooks.Rulebook, now: datetime
) -> list[tuple[Agent, int]]:
    """Maintainers with no accepted contribution, approval, vote or comment in the commons,
    nor a new appointment, for the rulebook's emeritus period."""
    cutoff = now - timedelta(days=rules.emeritus_after_days)
    out = []
    for maintainer in Maintainer.objects.filter(commons=commons).select_related("agent"):
        agent = maintainer.agent
        moments = [
            maintainer.added_at,
            Contribution.objects.filter(
                commons=commons, contributor=agent, status=contributions.Status.ACCEPTED
            ).aggregate(m=Max("occurred_at"))["m"],
            Approval.objects.filter(contribution__commons=commons, maintainer=agent).aggregate(
                m=Max("created_at")
            )["m"],
            Vote.objects.filter(proposal__commons=commons, voter=agent).aggregate(
                m=Max("created_at")
            )["m"],
            Comment.objects.filter(commons=commons, author=agent).aggregate(m=Max("created_at"))[
                "m"
            ],
        ]
        last = max(m for m in moments if m is not None)
        if last < cutoff:
            out.append((agent, (now - last).days))
    return out


# -- discussions ----------------------------------------------------------------------------


def comment_post(
    *,
    actor: Agent,
    commons: Commons,
    text: str,
    proposal: Proposal | None = None,
    contribution: Contribution | None = None,
    parent: Comment | None = None,
) -> Comment:
    """Anyone with an account speaks in a commons' discussions: about the commons, one of its
    proposals or one of its contributions; a reply stays in its parent's thread."""
    if actor.is_organisation:
        raise Forbidden("People speak in discussions, not organisations.")
    errors = FieldErrors()
    body = _text(text, "text", MAX_COMMENT, errors)
    errors.raise_if_any()
    if proposal is not None and contribution is not None:
        raise Invalid.field("subject", "A message is about a proposal or a contribution.")
    for subject in (proposal, contribution):
        if subject is not None and subject.commons_id != commons.pk:
            raise Invalid.field("subject", f"This is not part of {commons.slug}.")
    if parent is not None and (
        parent.commons_id != commons.pk
        or parent.proposal_id != (proposal.pk if proposal else None)
        or parent.contribution_id != (contribution.pk if contribution else None)
    ):
        raise Invalid.field("parent", "A reply belongs to the thread of the message it answers.")
    with transaction.atomic():
        comment = Comment.objects.create(
            commons=commons,
            proposal=proposal,
            contribution=contribution,
            parent=parent,
            author=actor,
            text=body,
            created_at=clock.now(),
        )
        _log(
            commons,
            "comment.posted",
            actor,
            {
                "id": comment.pk,
                "proposal": proposal.pk if proposal else None,
                "contribution": contribution.pk if contribution else None,
                "parent": parent.pk if parent else None,
                "text": body,
            },
        )
    return comment
