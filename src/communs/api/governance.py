"""Governance: each commons' rulebook and its history, proposals and their votes, the
discussions of commons, proposals and contributions, working groups, and emeritus maintainers
coming back. Reads are public; writes take a bearer token, and the services decide who may
make them (the rulebook says who proposes and who votes)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from communs.accounts.models import Agent
from communs.accounts.selectors import acting_agent
from communs.commons import selectors as commons_selectors
from communs.commons import services as commons_services
from communs.commons.models import Commons, Contribution, WorkingGroup
from communs.commons.selectors import commons_get, contribution_get
from communs.core import clock
from communs.core.pagination import keyset_page
from communs.domain import changes, equations
from communs.domain import governance as methods
from communs.domain import rulebook as rulebooks
from communs.domain.errors import Conflict, DomainError, Invalid, NotAuthenticated, NotFound
from communs.domain.money import format_amount
from communs.domain.rulebook import Power
from communs.governance import selectors, services
from communs.governance.models import Comment, Proposal
from communs.ledger import selectors as ledger_selectors
from communs.ledger.selectors import equation_current
from communs.licensing.selectors import profile_current

from .auth import actor, bearer
from .governance_schemas import (
    AmendIn,
    CommentIn,
    CommentOut,
    DiffQuery,
    ImpactQuery,
    InForceOut,
    MaintainersOut,
    MessageOut,
    ProposalDetailOut,
    ProposalIn,
    ProposalOut,
    ProposalPage,
    ProposalQuery,
    RulebookDiffOut,
    RulebookOut,
    RulebookVersionDetailOut,
    RulebookVersionOut,
    RulebookVersionPage,
    RuleChangeOut,
    StandingOut,
    ThreadOut,
    VersionPath,
    VoteIn,
    VoteOut,
    WorkingGroupIn,
    WorkingGroupOut,
    WorkingGroupPage,
    WorkingGroupPath,
)
from .ledger import preview_out
from .ledger_schemas import IdPath, PageQuery, PreviewOut
from .problems import ERRORS

router = Router(tags=["governance"])


def _caller(request: HttpRequest) -> Agent | None:
    """The person behind the request's token on a public read, or None: a read answers
    everyone, and only says more (may I vote?) to someone it recognises."""
    user = bearer(request)
    if user is None:
        return None
    try:
        return acting_agent(user)
    except NotAuthenticated:
        return None


# --- the rulebook ----------------------------------------------------------------------------


def _version_detail(
    commons: Commons, book: commons_selectors.RulebookInForce
) -> RulebookVersionDetailOut:
    return RulebookVersionDetailOut(
        **RulebookVersionOut.fields_of(book.row),
        commons=commons.slug,
        rules=book.rules.to_data(),
        descriptions=dict(rulebooks.DESCRIPTIONS),
    )


@router.get("/commons/{slug}/rulebook", response={200: RulebookOut, **ERRORS})
def get_rulebook(request: HttpRequest, slug: str) -> RulebookOut:
    """The rulebook in force, with the value-equation and licence-profile versions in force."""
    commons = commons_get(slug)
    licence = profile_current(commons)
    return RulebookOut(
        **_version_detail(commons, commons_selectors.rulebook_current(commons)).dict(),
        in_force=InForceOut(
            equation_version=equation_current(commons).version,
            licence_profile=licence.profile.key if licence.profile else None,
            licence_version=licence.version,
        ),
    )


@router.get("/commons/{slug}/rulebook/versions", response={200: RulebookVersionPage, **ERRORS})
def list_rulebook_versions(
    request: HttpRequest, slug: str, query: Query[PageQuery]
) -> RulebookVersionPage:
    commons = commons_get(slug)
    page = keyset_page(
        commons_selectors.rulebook_versions(commons), cursor=query.cursor, limit=query.limit
    )
    return RulebookVersionPage(items=[RulebookVersionOut.of(v) for v in page.items], next=page.next)


@router.get(
    "/commons/{slug}/rulebook/versions/{n}", response={200: RulebookVersionDetailOut, **ERRORS}
)
def get_rulebook_version(request: HttpRequest, path: Path[VersionPath]) -> RulebookVersionDetailOut:
    commons = commons_get(path.slug)
    return _version_detail(commons, commons_selectors.rulebook_version(commons, path.n))


@router.get("/commons/{slug}/rulebook/diff", response={200: RulebookDiffOut, **ERRORS})
def diff_rulebook(request: HttpRequest, slug: str, query: Query[DiffQuery]) -> RulebookDiffOut:
    """What changed from version `from` to version `to` (default: the version in force)."""
    commons = commons_get(slug)
    old = commons_selectors.rulebook_version(commons, query.from_)
    new = (
        commons_selectors.rulebook_version(commons, query.to)
        if query.to is not None
        else commons_selectors.rulebook_current(commons)
    )
    return RulebookDiffOut(
        commons=commons.slug,
        from_version=old.version,
        to_version=new.version,
        changes=[
            RuleChangeOut(rule=rule, old=before, new=after)
            for rule, before, after in rulebooks.diff(old.rules, new.rules)
        ],
    )


# --- proposals -------------------------------------------------------------------------------


def _change(row: Proposal) -> changes.Change | None:
    try:
        return selectors.change_of(row)
    except DomainError:
        # Stored changes were checked when written; one a later release reads differently is
        # still shown as stored, only without its summary.
        return None


def _summary(row: Proposal) -> str | None:
    change = _change(row)
    return change.summary() if change else None


def _standing(row: Proposal) -> StandingOut | None:
    if row.status != Proposal.Status.OPEN:
        return None
    now = selectors.standing(row, clock.now())
    decision = now.decision
    return StandingOut(
        status=decision.status.value,
        reason=decision.reason,
        second_round=decision.second_round,
        cast=decision.tally.cast,
        counts={str(p): n for p, n in sorted(decision.tally.counts.items())},
        unresolved=list(decision.tally.unresolved),
        at=now.now,
    )


def _detail(row: Proposal, caller: Agent | None) -> ProposalDetailOut:
    return ProposalDetailOut(
        **ProposalOut.fields_of(row, _summary(row)),
        text=row.text,
        change=row.change,
        outcome=row.outcome,
        applied=row.applied,
        evidence=row.evidence,
        reviews=row.reviews_id,
        review_on=row.review_on,
        review_proposals=list(row.review_proposals.order_by("pk").values_list("pk", flat=True)),
        rulebook_version=row.rulebook_version,
        second_round_possible=row.second_round_possible,
        positions=sorted(p.value for p in methods.POSITIONS[methods.Method(row.method)]),
        eligible=row.eligible,
        votes=[VoteOut.of(v) for v in selectors.votes(row)],
        standing=_standing(row),
        may_vote=selectors.may_vote(caller, row) if caller else None,
        has_voted=selectors.has_voted(caller, row) if caller else None,
    )


@router.get("/commons/{slug}/proposals", response={200: ProposalPage, **ERRORS})
def list_proposals(request: HttpRequest, slug: str, query: Query[ProposalQuery]) -> ProposalPage:
    page = selectors.proposals(
        commons_get(slug), status=query.status, cursor=query.cursor, limit=query.limit
    )
    return ProposalPage(
        items=[ProposalOut(**ProposalOut.fields_of(p, _summary(p))) for p in page.items],
        next=page.next,
    )


@router.post("/commons/{slug}/proposals", auth=bearer, response={201: ProposalDetailOut, **ERRORS})
def open_proposal(
    request: HttpRequest, slug: str, payload: ProposalIn
) -> Status[ProposalDetailOut]:
    commons = commons_get(slug)
    who = actor(request)
    row = services.proposal_open(
        actor=who,
        commons=commons,
        title=payload.title,
        text=payload.text,
        method=payload.method,
        change=payload.change,
        review_on=payload.review_on,
    )
    return Status(201, _detail(row, who))


@router.get("/proposals/{id}", response={200: ProposalDetailOut, **ERRORS})
def get_proposal(request: HttpRequest, path: Path[IdPath]) -> ProposalDetailOut:
    """A proposal with its votes and, while it is open, where its method says it stands."""
    return _detail(selectors.proposal_get(path.id), _caller(request))


@router.get("/proposals/{id}/impact", response={200: PreviewOut, **ERRORS})
def proposal_impact(
    request: HttpRequest, path: Path[IdPath], query: Query[ImpactQuery]
) -> PreviewOut:
    """For a proposal adopting a value equation: what the last N distributions would have paid
    each person under it, against what they were paid — to read before voting."""
    proposal = selectors.proposal_get(path.id)
    change = selectors.change_of(proposal)
    if change is None or change.type != Power.ADOPT_EQUATION:
        raise NotFound(f"Proposal #{proposal.pk} proposes no value equation.")
    proposed = equations.parse_equation(change.data["equation"])
    previews = ledger_selectors.equation_preview(proposal.commons, proposed, last=query.last)
    return preview_out(proposal.commons, previews, query.last)


@router.post("/proposals/{id}/votes", auth=bearer, response={201: ProposalDetailOut, **ERRORS})
def vote(request: HttpRequest, path: Path[IdPath], payload: VoteIn) -> Status[ProposalDetailOut]:
    """One vote per person per round; an objection or a block says why."""
    who = actor(request)
    row = services.vote_cast(
        actor=who,
        proposal=selectors.proposal_get(path.id),
        position=payload.position,
        reason=payload.reason or "",
    )
    return Status(201, _detail(row, who))


@router.post(
    "/proposals/{id}/objection/withdraw", auth=bearer, response={200: ProposalDetailOut, **ERRORS}
)
def withdraw_objection(request: HttpRequest, path: Path[IdPath]) -> ProposalDetailOut:
    who = actor(request)
    row = services.objection_withdraw(actor=who, proposal=selectors.proposal_get(path.id))
    return _detail(row, who)


@router.post("/proposals/{id}/amend", auth=bearer, response={200: ProposalDetailOut, **ERRORS})
def amend(request: HttpRequest, path: Path[IdPath], payload: AmendIn) -> ProposalDetailOut:
    """Consent: the proposer rewrites the proposal; a new round opens."""
    who = actor(request)
    row = services.proposal_amend(
        actor=who,
        proposal=selectors.proposal_get(path.id),
        text=payload.text,
        title=payload.title or "",
        change=payload.change,
    )
    return _detail(row, who)


@router.post(
    "/proposals/{id}/second-round", auth=bearer, response={200: ProposalDetailOut, **ERRORS}
)
def second_round(request: HttpRequest, path: Path[IdPath]) -> ProposalDetailOut:
    """Consensus: after a first round without unanimity, a round of modified consensus."""
    who = actor(request)
    row = services.proposal_second_round(actor=who, proposal=selectors.proposal_get(path.id))
    return _detail(row, who)


@router.post("/proposals/{id}/withdraw", auth=bearer, response={200: ProposalDetailOut, **ERRORS})
def withdraw(request: HttpRequest, path: Path[IdPath]) -> ProposalDetailOut:
    who = actor(request)
    row = services.proposal_withdraw(actor=who, proposal=selectors.proposal_get(path.id))
    return _detail(row, who)


@router.post("/proposals/{id}/close", auth=bearer, response={200: ProposalDetailOut, **ERRORS})
def close(request: HttpRequest, path: Path[IdPath]) -> ProposalDetailOut:
    """Decide the proposal if its method has reached a decision (its period ended, or a
    consensus everyone joined); otherwise it stays open. A decided proposal is unchanged."""
    who = actor(request)
    row = services.proposal_close(actor=who, proposal=selectors.proposal_get(path.id))
    return _detail(row, who)


# --- discussions -----------------------------------------------------------------------------


def _thread(
    commons: Commons, proposal: Proposal | None = None, contribution: Contribution | None = None
) -> ThreadOut:
    messages = selectors.thread(commons, proposal=proposal, contribution=contribution)
    return ThreadOut(
        items=[
            MessageOut(**CommentOut.fields_of(m.comment, commons.slug), depth=m.depth)
            for m in messages
        ],
        next=None,
    )


def _parent(pk: int | None) -> Comment | None:
    """The message a reply answers: one that does not exist is an error of this field."""
    if pk is None:
        return None
    try:
        return selectors.comment_get(pk)
    except NotFound as exc:
        raise Invalid.field("parent", exc.detail) from None


@router.get("/commons/{slug}/discussion", response={200: ThreadOut, **ERRORS})
def commons_discussion(request: HttpRequest, slug: str) -> ThreadOut:
    return _thread(commons_get(slug))


@router.post("/commons/{slug}/discussion", auth=bearer, response={201: CommentOut, **ERRORS})
def post_to_commons(request: HttpRequest, slug: str, payload: CommentIn) -> Status[CommentOut]:
    commons = commons_get(slug)
    row = services.comment_post(
        actor=actor(request), commons=commons, text=payload.text, parent=_parent(payload.parent)
    )
    return Status(201, CommentOut.of(row, commons.slug))


@router.get("/proposals/{id}/discussion", response={200: ThreadOut, **ERRORS})
def proposal_discussion(request: HttpRequest, path: Path[IdPath]) -> ThreadOut:
    proposal = selectors.proposal_get(path.id)
    return _thread(proposal.commons, proposal=proposal)


@router.post("/proposals/{id}/discussion", auth=bearer, response={201: CommentOut, **ERRORS})
def post_to_proposal(
    request: HttpRequest, path: Path[IdPath], payload: CommentIn
) -> Status[CommentOut]:
    proposal = selectors.proposal_get(path.id)
    row = services.comment_post(
        actor=actor(request),
        commons=proposal.commons,
        proposal=proposal,
        text=payload.text,
        parent=_parent(payload.parent),
    )
    return Status(201, CommentOut.of(row, proposal.commons.slug))


@router.get("/contributions/{id}/discussion", response={200: ThreadOut, **ERRORS})
def contribution_discussion(request: HttpRequest, path: Path[IdPath]) -> ThreadOut:
    contribution = contribution_get(path.id)
    return _thread(contribution.commons, contribution=contribution)


@router.post("/contributions/{id}/discussion", auth=bearer, response={201: CommentOut, **ERRORS})
def post_to_contribution(
    request: HttpRequest, path: Path[IdPath], payload: CommentIn
) -> Status[CommentOut]:
    contribution = contribution_get(path.id)
    row = services.comment_post(
        actor=actor(request),
        commons=contribution.commons,
        contribution=contribution,
        text=payload.text,
        parent=_parent(payload.parent),
    )
    return Status(201, CommentOut.of(row, contribution.commons.slug))


# --- working groups --------------------------------------------------------------------------


def _group(row: WorkingGroup, spent: dict[int, int]) -> WorkingGroupOut:
    cap = row.spending_cap
    return WorkingGroupOut(
        slug=row.slug,
        name=row.name,
        mandate=row.mandate,
        members=sorted(m.agent.name for m in row.members.all()),
        spending_cap=format_amount(cap, row.currency) if cap is not None else None,
        currency=row.currency if cap is not None else None,
        cap_period_days=row.cap_period_days if cap is not None else None,
        spent=format_amount(spent[row.pk], row.currency) if row.pk in spent else None,
        proposal=row.proposal,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


def _unprefixed(error: Invalid) -> Invalid:
    """The change reader names fields `change.<field>`; sent directly, they are top-level."""
    fields = {name.removeprefix("change."): messages for name, messages in error.errors.items()}
    detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
    return Invalid(detail or error.detail, fields)


@router.get("/commons/{slug}/working-groups", response={200: WorkingGroupPage, **ERRORS})
def list_working_groups(request: HttpRequest, slug: str) -> WorkingGroupPage:
    now = clock.now()
    rows = commons_selectors.working_groups(commons_get(slug))
    spent = ledger_selectors.working_groups_spent(rows, now)
    return WorkingGroupPage(items=[_group(g, spent) for g in rows], next=None)


@router.post(
    "/commons/{slug}/working-groups", auth=bearer, response={201: WorkingGroupOut, **ERRORS}
)
def create_working_group(
    request: HttpRequest, slug: str, payload: WorkingGroupIn
) -> Status[WorkingGroupOut]:
    """Directly, when the rulebook leaves it to the maintainers; otherwise open a proposal
    with a `create_working_group` change."""
    commons = commons_get(slug)
    who = actor(request)
    # Who may comes first: someone who may not create groups learns that, not a field error.
    commons_services.require_power(
        who, commons, Power.CREATE_WORKING_GROUP, "create working groups"
    )
    try:
        change = changes.parse(
            {"type": Power.CREATE_WORKING_GROUP.value, **payload.dict(exclude_none=True)}
        )
        commons_services.working_group_create(actor=who, commons=commons, group=change.data)
    except Invalid as error:
        raise _unprefixed(error) from None
    group = commons_selectors.working_groups(commons).get(slug=change.data["slug"])
    return Status(201, _group(group, ledger_selectors.working_groups_spent([group], clock.now())))


@router.post(
    "/commons/{slug}/working-groups/{group}/close",
    auth=bearer,
    response={200: WorkingGroupOut, **ERRORS},
)
def close_working_group(request: HttpRequest, path: Path[WorkingGroupPath]) -> WorkingGroupOut:
    commons = commons_get(path.slug)
    who = actor(request)
    row = commons_selectors.working_group_get(commons, path.group)
    if row.closed_at is not None:
        raise Conflict(f"The working group {row.slug} is already closed.")
    commons_services.working_group_close(actor=who, commons=commons, slug=row.slug)
    closed = commons_selectors.working_groups(commons).get(pk=row.pk)
    return _group(closed, ledger_selectors.working_groups_spent([closed], clock.now()))


# --- maintainers -----------------------------------------------------------------------------


@router.post(
    "/commons/{slug}/maintainers/return", auth=bearer, response={200: MaintainersOut, **ERRORS}
)
def maintainer_return(request: HttpRequest, slug: str) -> MaintainersOut:
    """An emeritus maintainer of this commons comes back, on their own word."""
    commons = commons_get(slug)
    commons_services.maintainer_return(actor=actor(request), commons=commons)
    return MaintainersOut(
        commons=commons.slug,
        maintainers=[m.agent.name for m in commons_selectors.maintainers(commons)],
        emeriti=[e.agent.name for e in commons_selectors.emeriti(commons)],
    )
