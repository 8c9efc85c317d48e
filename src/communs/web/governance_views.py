"""Pages of peer governance: a commons' rulebook and its history, proposals and their votes,
how each method decides and where a proposal stands, discussions, working groups, and emeritus
maintainers coming back.

Same shape as `views`: parse a form, call one service or selector, render. Reading is public and
works without JavaScript; the services decide who may write (the checks here only spare a person
a form they could not use). The rules' own texts are English data; the fixed ones are shown
through the catalogue (`governance_forms.GOVERNANCE_MESSAGES` lists them).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communs.commons import selectors as commons_selectors
from communs.commons import services as commons_services
from communs.commons.models import Commons, Contribution, RulebookVersion, WorkingGroup
from communs.core import clock
from communs.domain import equations, licences
from communs.domain import governance as methods
from communs.domain import rulebook as rulebooks
from communs.domain.changes import Change
from communs.domain.errors import Conflict, Forbidden, Invalid, NotFound
from communs.domain.governance import Method, Position
from communs.domain.money import display
from communs.domain.rulebook import Power, Rulebook, Who
from communs.governance import selectors, services
from communs.governance.models import Comment, Proposal, Vote
from communs.ledger import selectors as ledger_selectors
from communs.ledger.models import Expense
from communs.licensing import selectors as licensing_selectors

from . import forms
from . import governance_forms as gforms
from .ledger_forms import pretty
from .views import _actor, _form_error_status, _older_link, _viewer, domain_errors

PROPOSALS_PAGE_SIZE = 50
PREVIEW_DISTRIBUTIONS = 5  # an equation proposal's impact is replayed on this many, by default
MAX_PREVIEW_DISTRIBUTIONS = 20


# --- rules in words ----------------------------------------------------------------------------


def _label(labels: Mapping[str, Any], code: object) -> str:
    return str(labels.get(str(code), code))


def percent(share: Fraction) -> str:
    """A share as people read it: "66,7 %" in French, "66.7 %" in English."""
    value = share * 100
    if value.denominator == 1:
        return f"{value.numerator} %"
    tenths = Decimal(round(value * 10)) / 10
    return f"{number_format(tenths, decimal_pos=1)} %"


def _hours(n: int) -> str:
    words = ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}
    if n % 24 == 0:
        days = n // 24
        words += " " + ngettext("(%(d)s day)", "(%(d)s days)", days) % {"d": days}
    return words


def _days(n: int) -> str:
    return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}


def rule_in_words(name: str, value: object) -> str:
    """One rule's value (as `Rulebook.to_data` writes it) for a reader."""
    default = getattr(Rulebook(), name, None)
    try:
        if name == "methods":
            return ", ".join(_label(gforms.METHOD_LABELS, v) for v in _list(value))
        if name == "maintainers_may":
            powers = [p.value for p in Power if p.value in set(_list(value))]
            if not powers:
                return _("nothing: every change goes through a proposal")
            return ", ".join(_label(gforms.CHANGE_LABELS, p) for p in powers)
        if name == "default_method":
            return _label(gforms.METHOD_LABELS, value)
        if isinstance(default, Who):
            return _label(gforms.WHO_LABELS, value)
        if isinstance(default, Fraction):
            return percent(Fraction(str(value)))
        if isinstance(default, bool):
            return _("yes") if value is True else _("no") if value is False else str(value)
        if name == "blocks_per_period":
            if value is None:
                return _("no limit")
            return ngettext("%(n)s block", "%(n)s blocks", int(str(value))) % {"n": value}
        if name.endswith("_hours"):
            return _hours(int(str(value)))
        if name.endswith("_days"):
            return _days(int(str(value)))
    except (ValueError, ZeroDivisionError):
        pass  # a value the rulebook would refuse: shown as written
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


@dataclass(frozen=True)
class RuleLine:
    name: str
    description: str
    value: str


def _rules_table(book: Rulebook) -> list[RuleLine]:
    data = book.to_data()
    return [
        RuleLine(name, gettext(rulebooks.DESCRIPTIONS[name]), rule_in_words(name, data[name]))
        for name in rulebooks.NAMES
    ]


@dataclass(frozen=True)
class DiffLine:
    name: str
    description: str
    old: str
    new: str


def _diff_lines(old: Rulebook, new: Rulebook) -> list[DiffLine]:
    return [
        DiffLine(
            name,
            gettext(rulebooks.DESCRIPTIONS[name]),
            rule_in_words(name, before),
            rule_in_words(name, after),
        )
        for name, before, after in rulebooks.diff(old, new)
    ]


def how_it_decides(method: str, rules: methods.Rules) -> str:
    """One short explanation per method, with the numbers of the rulebook that decides."""
    hours = int(rules.duration.total_seconds() // 3600)
    if method == Method.CONSENT:
        return _(
            "Consent: the proposal passes when its period (%(period)s) ends with no unresolved "
            "objection. An objection carries a reason; its author may withdraw it; the proposer "
            "may amend the text to meet it, which opens a new round where earlier consents no "
            "longer count. Standing aside is recorded and stops nothing."
        ) % {"period": _hours(hours)}
    if method == Method.CONSENSUS:
        blocks = (
            _("a block is overridden when the threshold is met")
            if rules.override_blocks
            else _("a block still stops it")
        )
        return _(
            "Consensus: unanimity is sought. It passes at once when everyone eligible agrees or "
            "stands aside, or when the round (%(period)s) ends with everyone who voted agreeing "
            "or standing aside. A block carries a reason. If the first round ends without "
            "unanimity, the proposer may take it to a second round decided by modified "
            "consensus: at least %(threshold)s of the votes cast, standing aside apart, in "
            "favour; %(blocks)s."
        ) % {
            "period": _hours(hours),
            "threshold": percent(rules.modified_consensus),
            "blocks": blocks,
        }
    if method == Method.MAJORITY:
        return _(
            "Majority: when the vote (%(period)s) ends, it passes if at least %(quorum)s of "
            "those eligible voted (abstaining counts toward the quorum) and more than half of "
            "the yes and no votes are yes."
        ) % {"period": _hours(hours), "quorum": percent(rules.quorum)}
    if method == Method.SUPERMAJORITY:
        return _(
            "Supermajority: when the vote (%(period)s) ends, it passes if at least %(quorum)s "
            "of those eligible voted (abstaining counts toward the quorum) and at least "
            "%(threshold)s of the yes and no votes are yes."
        ) % {
            "period": _hours(hours),
            "quorum": percent(rules.quorum),
            "threshold": percent(rules.supermajority),
        }
    lazy = int(rules.lazy_duration.total_seconds() // 3600)
    return _(
        "Lazy consensus: the proposal passes once its period (%(period)s) ends with no "
        "objection; silence is assent. An objection carries a reason and may be withdrawn."
    ) % {"period": _hours(lazy)}


def _thresholds(proposal: Proposal, standing: selectors.Standing) -> list[str]:
    """The quorum and threshold of the method, where it has them, with what they mean here."""
    rules, eligible = standing.rules, standing.eligible
    method = proposal.method
    lines = []
    if method in (Method.MAJORITY, Method.SUPERMAJORITY):
        needed = math.ceil(rules.quorum * eligible)
        lines.append(
            ngettext(
                "Quorum: %(share)s of the %(eligible)s eligible, that is %(n)s vote.",
                "Quorum: %(share)s of the %(eligible)s eligible, that is %(n)s votes.",
                needed,
            )
            % {"share": percent(rules.quorum), "eligible": eligible, "n": needed}
        )
        if method == Method.MAJORITY:
            lines.append(_("Threshold: more than half of the yes and no votes."))
        else:
            lines.append(
                _("Threshold: at least %(share)s of the yes and no votes.")
                % {"share": percent(rules.supermajority)}
            )
    elif method == Method.CONSENSUS and proposal.round == 2:
        lines.append(
            _("Threshold: at least %(share)s of the votes cast, standing aside apart.")
            % {"share": percent(rules.modified_consensus)}
        )
    return lines


# --- changes in words --------------------------------------------------------------------------


def change_in_words(change: Change) -> str:
    """`Change.summary()` in the visitor's language."""
    d = change.data
    kind = change.type
    if kind == Power.AMEND_RULEBOOK:
        return _("Amend the rulebook: %(rules)s") % {"rules": ", ".join(sorted(d["set"]))}
    if kind == Power.ADOPT_EQUATION:
        return _("Adopt a new value equation")
    if kind == Power.CHANGE_LICENCE:
        return _("Put the commons under %(profile)s") % {"profile": d["profile"]}
    if kind == Power.ADD_MAINTAINER:
        return _("Make %(name)s a maintainer") % {"name": d["agent"]}
    if kind == Power.REMOVE_MAINTAINER:
        return _("Remove %(name)s as a maintainer") % {"name": d["agent"]}
    if kind == Power.APPROVE_EXPENSE:
        return _("Approve expense #%(id)s") % {"id": d["expense"]}
    if kind == Power.SET_APPROVALS:
        n = int(d["approvals_required"])
        return ngettext(
            "Require %(n)s approval per contribution", "Require %(n)s approvals per contribution", n
        ) % {"n": n}
    if kind == Power.CREATE_WORKING_GROUP:
        return _("Create the working group %(slug)s") % {"slug": d["slug"]}
    return _("Close the working group %(slug)s") % {"slug": d["slug"]}


def _change_of(proposal: Proposal) -> Change | None:
    """The proposal's change, read back (None if it has none, or if it no longer reads)."""
    try:
        return selectors.change_of(proposal)
    except Invalid:
        return None


def _change_details(commons: Commons, change: Change) -> dict[str, Any]:
    """What the page shows of a change beyond its summary."""
    d = change.data
    details: dict[str, Any] = {"type": change.type.value, "json": pretty(change.to_data())}
    if change.type == Power.AMEND_RULEBOOK:
        current = commons_selectors.rulebook_current(commons).rules
        try:
            proposed = rulebooks.parse({**current.to_data(), **d["set"]}).to_data()
        except Invalid:
            proposed = {}
        now = current.to_data()
        details["rules"] = [
            DiffLine(
                str(name),
                gettext(rulebooks.DESCRIPTIONS[name]) if name in now else "",
                rule_in_words(str(name), now[name]) if name in now else "—",
                rule_in_words(str(name), proposed.get(str(name), value)),
            )
            for name, value in sorted(d["set"].items())
        ]
    elif change.type == Power.ADOPT_EQUATION:
        details["equation"] = equations.parse_equation(d["equation"])
    elif change.type == Power.CHANGE_LICENCE:
        profile = licences.find_profile(d["profile"])
        details["profile_title"] = gettext(profile.title) if profile else d["profile"]
        details["parameters"] = sorted(d["parameters"].items())
    elif change.type == Power.CREATE_WORKING_GROUP:
        details["group"] = d
    return details


def _applied_links(proposal: Proposal) -> list[tuple[str, str]]:
    """(words, address) of what an adopted change did."""
    applied = proposal.applied or {}
    slug = proposal.commons.slug
    links = []
    if "rulebook_version" in applied:
        v = int(applied["rulebook_version"])
        links.append(
            (
                _("Rulebook version %(v)s") % {"v": v},
                reverse("web:rulebook", args=[slug]) + f"?from={v - 1}&to={v}#diff",
            )
        )
    if "equation_version" in applied:
        links.append(
            (
                _("Value equation version %(v)s") % {"v": applied["equation_version"]},
                reverse("web:value_equation", args=[slug]),
            )
        )
    if "licence_version" in applied:
        links.append(
            (
                _("Licence profile version %(v)s") % {"v": applied["licence_version"]},
                reverse("web:licence", args=[slug]),
            )
        )
    if "maintainer_added" in applied:
        name = str(applied["maintainer_added"])
        links.append(
            (_("%(name)s maintains it") % {"name": name}, reverse("web:agent_detail", args=[name]))
        )
    if "maintainer_removed" in applied:
        name = str(applied["maintainer_removed"])
        links.append(
            (
                _("%(name)s no longer maintains it") % {"name": name},
                reverse("web:agent_detail", args=[name]),
            )
        )
    if "expense_approved" in applied:
        pk = int(applied["expense_approved"])
        links.append(
            (_("Expense #%(id)s approved") % {"id": pk}, reverse("web:expense_detail", args=[pk]))
        )
    for key, words in (
        ("working_group", _("Working group %(slug)s created")),
        ("working_group_closed", _("Working group %(slug)s closed")),
    ):
        if key in applied:
            group = str(applied[key])
            links.append(
                (
                    words % {"slug": group},
                    reverse("web:working_groups", args=[slug]) + f"#group-{group}",
                )
            )
    return links


# --- the rulebook ------------------------------------------------------------------------------


def _diff(
    request: HttpRequest, versions: list[RulebookVersion]
) -> tuple[gforms.DiffForm, list[DiffLine] | None, tuple[int, int] | None]:
    numbers = sorted(v.version for v in versions)
    if "from" in request.GET or "to" in request.GET:
        form = gforms.DiffForm(request.GET, versions=numbers)
    else:
        latest = numbers[-1] if numbers else 1
        form = gforms.DiffForm(versions=numbers, initial={"from": max(latest - 1, 1), "to": latest})
    if not form.is_bound or not form.is_valid():
        return form, None, None
    by_number = {v.version: v for v in versions}
    old, new = (by_number[form.cleaned_data[k]] for k in ("from", "to"))
    lines = _diff_lines(rulebooks.parse(old.rules), rulebooks.parse(new.rules))
    return form, lines, (old.version, new.version)


@require_GET
@domain_errors
def rulebook(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    versions = list(commons_selectors.rulebook_versions(commons))
    if not versions:  # every commons is founded with version 1; this is a broken database
        raise NotFound(f"{commons.slug} has no rulebook.")
    current = versions[0]  # newest first
    rules = rulebooks.parse(current.rules)
    diff_form, diff, compared = _diff(request, versions)
    viewer = _viewer(request)
    emeriti = list(commons_selectors.emeriti(commons))
    licence = licensing_selectors.profile_current(commons)
    context = {
        "commons": commons,
        "current": current,
        "rules": _rules_table(rules),
        "equation": ledger_selectors.equation_current(commons),
        "licence": licence,
        "licence_title": gettext(licence.profile.title) if licence.profile else commons.licence,
        "history": [
            {"row": row, "note": gettext(row.note), "previous": row.version - 1} for row in versions
        ],
        "diff_form": diff_form,
        "diff": diff,
        "compared": compared,
        "maintainers": commons_selectors.maintainers(commons),
        "emeriti": emeriti,
        "is_emeritus": viewer is not None and any(e.agent_id == viewer.pk for e in emeriti),
        "how": [
            (_label(gforms.METHOD_LABELS, m), how_it_decides(m, rules.decision_rules()))
            for m in rules.methods
        ],
    }
    status = 422 if diff_form.is_bound and diff_form.errors else 200
    return render(request, "web/governance/rulebook.html", context, status=status)


@login_required
@require_POST
@domain_errors
def maintainer_return(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    commons_services.maintainer_return(actor=_actor(request), commons=commons)
    messages.success(request, _("Welcome back: you maintain this commons again."))
    return redirect(reverse("web:rulebook", args=[commons.slug]) + "#maintainers")


# --- proposals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalLine:
    proposal: Proposal
    change: str


@require_GET
@domain_errors
def proposals(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    filters = gforms.StatusFilterForm(request.GET or None)
    status = 200
    lines: list[ProposalLine] = []
    older = None
    if filters.is_bound and not filters.is_valid():
        status = 422
    else:
        data = filters.cleaned_data if filters.is_bound else {}
        try:
            page = selectors.proposals(
                commons,
                status=data.get("status", ""),
                cursor=data.get("next") or None,
                limit=PROPOSALS_PAGE_SIZE,
            )
        except Invalid as error:
            forms.apply_errors(filters, error)
            status = 422
        else:
            for row in page.items:
                change = _change_of(row)
                lines.append(ProposalLine(row, change_in_words(change) if change else ""))
            older = _older_link(request, page.next)
    context = {"commons": commons, "filters": filters, "lines": lines, "older": older}
    return render(request, "web/governance/proposals.html", context, status=status)


def _who_proposes(commons: Commons, rules: Rulebook) -> str:
    if rules.who_proposes == Who.MAINTAINERS:
        return _("The rulebook of %(slug)s lets its maintainers open proposals.") % {
            "slug": commons.slug
        }
    return ngettext(
        "The rulebook of %(slug)s lets people with at least %(n)s accepted contribution in the "
        "last %(days)s days open proposals.",
        "The rulebook of %(slug)s lets people with at least %(n)s accepted contributions in the "
        "last %(days)s days open proposals.",
        rules.eligibility_contributions,
    ) % {
        "slug": commons.slug,
        "n": rules.eligibility_contributions,
        "days": rules.eligibility_days,
    }


def _expense_choice(expense: Expense) -> str:
    amount = display(expense.amount, expense.currency)
    return f"#{expense.pk} — {amount} — {expense.claimant.name}: {expense.description[:60]}"


def _proposal_form(request: HttpRequest, commons: Commons, rules: Rulebook) -> gforms.ProposalForm:
    """The proposal form: methods the rulebook allows; the equation and licence in force, the
    pending expenses and the open working groups to choose from."""
    pending = ledger_selectors.pending_expenses(commons)
    expenses = [(e.pk, _expense_choice(e)) for e in pending]
    groups = [g.slug for g in commons.working_groups.filter(closed_at=None).order_by("slug")]
    profiles = [(key, gettext(p.title)) for key, p in licences.PROFILES.items()]
    kwargs: dict[str, Any] = {
        "methods": [m.value for m in rules.methods],
        "profiles": profiles,
        "expenses": expenses,
        "open_groups": groups,
    }
    if request.method == "POST":
        return gforms.ProposalForm(request.POST, **kwargs)
    licence = licensing_selectors.profile_current(commons)
    kind = request.GET.get("type", "")
    initial = {
        "method": rules.default_method.value,
        "change_type": kind if kind in set(Power) else "",
        "equation": pretty(ledger_selectors.equation_current(commons).equation.definition),
        "profile": licence.profile.key if licence.profile else "",
        "parameters": pretty(licence.parameters),
        "currency": "EUR",
        "cap_period_days": 30,
    }
    return gforms.ProposalForm(initial=initial, **kwargs)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def proposal_new(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    actor = _actor(request)
    book = commons_selectors.rulebook_current(commons)
    if not commons_selectors.may_propose(actor, commons, book.rules, clock.now()):
        raise Forbidden(_who_proposes(commons, book.rules))
    form = _proposal_form(request, commons, book.rules)
    context = {
        "commons": commons,
        "form": form,
        "rules_data": [
            (name, json.dumps(value, ensure_ascii=False))
            for name, value in book.rules.to_data().items()
        ],
        "version": book.version,
    }
    if request.method == "GET":
        return render(request, "web/governance/proposal_form.html", context)
    status = 422
    if form.is_valid():
        # A change type whose fields are missing or broken left its errors: not valid.
        data = form.cleaned_data
        try:
            proposal = services.proposal_open(
                actor=actor,
                commons=commons,
                title=data["title"],
                text=data["text"],
                method=data["method"],
                change=form.change,
                review_on=data["review_on"],
            )
        except (Invalid, Conflict) as error:
            gforms.apply_proposal_errors(form, error)
            status = _form_error_status(error)
        else:
            messages.success(
                request,
                _("Proposal #%(id)s is open until %(when)s UTC.")
                % {"id": proposal.pk, "when": f"{proposal.closes_at:%Y-%m-%d %H:%M}"},
            )
            return redirect("web:proposal_detail", pk=proposal.pk)
    return render(request, "web/governance/proposal_form.html", context, status=status)


@dataclass(frozen=True)
class Round:
    number: int
    votes: list[Vote]


def _preview_last(request: HttpRequest) -> int:
    raw = request.GET.get("last", "")
    if raw.isascii() and raw.isdigit() and len(raw) < 4:
        return min(max(int(raw), 1), MAX_PREVIEW_DISTRIBUTIONS)
    return PREVIEW_DISTRIBUTIONS


def _proposal_context(
    request: HttpRequest,
    proposal: Proposal,
    *,
    vote_form: django_forms.Form | None = None,
    amend_form: django_forms.Form | None = None,
    comment_form: django_forms.Form | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    viewer = _viewer(request)
    now = clock.now()
    commons = proposal.commons
    change = _change_of(proposal)
    votes = list(selectors.votes(proposal))
    standing = selectors.standing(proposal, now)
    is_open = proposal.status == Proposal.Status.OPEN
    running = is_open and now < proposal.closes_at
    mine = next(
        (
            v
            for v in votes
            if viewer is not None and v.round == proposal.round and v.voter_id == viewer.pk
        ),
        None,
    )
    is_proposer = viewer is not None and proposal.proposer_id == viewer.pk
    may_vote = selectors.may_vote(viewer, proposal)
    can_vote = running and may_vote and mine is None
    positions = sorted(
        (p.value for p in methods.POSITIONS[Method(proposal.method)]),
        key=gforms.POSITION_ORDER.index,
    )
    can_amend = is_proposer and running and proposal.method == Method.CONSENT
    if amend_form is None and can_amend:
        amend_form = gforms.AmendForm(
            initial={
                "title": proposal.title,
                "text": proposal.text,
                "change": pretty(proposal.change) if proposal.change else "",
            }
        )
    previews = None
    if change is not None and change.type == Power.ADOPT_EQUATION and is_open:
        previews = ledger_selectors.equation_preview(
            commons,
            equations.parse_equation(change.data["equation"]),
            last=_preview_last(request),
        )
    tally = standing.decision.tally
    return {
        "proposal": proposal,
        "commons": commons,
        "change": change,
        "change_words": change_in_words(change) if change else "",
        "details": _change_details(commons, change) if change else None,
        "applied": _applied_links(proposal),
        "evidence": proposal.evidence if isinstance(proposal.evidence, dict) else None,
        "outcome": gettext(proposal.outcome) if proposal.outcome else "",
        "rounds": [
            Round(n, list(group)) for n, group in itertools.groupby(votes, key=lambda v: v.round)
        ],
        "standing": standing,
        "standing_reason": gettext(standing.decision.reason),
        "counts": [
            (_label(gforms.POSITION_LABELS, p), tally.counts[Position(p)])
            for p in gforms.POSITION_ORDER
            if Position(p) in tally.counts
        ],
        "thresholds": _thresholds(proposal, standing),
        "how": how_it_decides(proposal.method, standing.rules),
        "is_open": is_open,
        "running": running,
        "ended": is_open and not running,
        "is_proposer": is_proposer,
        "may_vote": may_vote,
        "mine": mine,
        "can_vote": can_vote,
        "vote_form": vote_form or (gforms.VoteForm(positions=positions) if can_vote else None),
        "can_withdraw_objection": running
        and mine is not None
        and mine.position in methods.REASONED
        and not mine.withdrawn,
        "can_amend": can_amend,
        "amend_form": amend_form,
        "can_second_round": is_proposer and proposal.second_round_possible,
        "can_withdraw": is_proposer and (is_open or proposal.second_round_possible),
        "previews": previews,
        "preview_last": _preview_last(request),
        "thread": selectors.thread(commons, proposal=proposal),
        "comment_form": comment_form or gforms.CommentForm(),
        "error": error,
    }


def _proposal_page(
    request: HttpRequest, proposal: Proposal, *, status: int = 200, **kwargs: Any
) -> HttpResponse:
    context = _proposal_context(request, proposal, **kwargs)
    return render(request, "web/governance/proposal.html", context, status=status)


@require_GET
@domain_errors
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _proposal_page(request, selectors.proposal_get(pk))


def _done(request: HttpRequest, proposal: Proposal, words: str, anchor: str = "") -> HttpResponse:
    messages.success(request, words)
    return redirect(reverse("web:proposal_detail", args=[proposal.pk]) + anchor)


@login_required
@require_POST
@domain_errors
def proposal_vote(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get(pk)
    positions = [p.value for p in methods.POSITIONS[Method(proposal.method)]]
    form = gforms.VoteForm(request.POST, positions=positions)
    status = 422
    if form.is_valid():
        try:
            proposal = services.vote_cast(
                actor=_actor(request),
                proposal=proposal,
                position=form.cleaned_data["position"],
                reason=form.cleaned_data["reason"],
            )
        except (Invalid, Conflict) as error:
            gforms.apply_vote_errors(form, error)
            status = _form_error_status(error)
        else:
            return _done(request, proposal, _("Your vote is recorded."), "#votes")
    return _proposal_page(request, proposal, status=status, vote_form=form)


def _action(
    request: HttpRequest,
    pk: int,
    do: Callable[..., Proposal],
    words: str,
    anchor: str = "",
) -> HttpResponse:
    """A button on the proposal page: the service, then the page again (or the refusal on it)."""
    proposal = selectors.proposal_get(pk)
    try:
        proposal = do(actor=_actor(request), proposal=proposal)
    except (Invalid, Conflict) as error:
        return _proposal_page(
            request, selectors.proposal_get(pk), status=error.status, error=gettext(error.detail)
        )
    return _done(request, proposal, words, anchor)


@login_required
@require_POST
@domain_errors
def objection_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        services.objection_withdraw,
        _("Your objection is withdrawn: you stand aside."),
        "#votes",
    )


@login_required
@require_POST
@domain_errors
def proposal_second_round(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        services.proposal_second_round,
        _("The second round is open: modified consensus decides it."),
    )


@login_required
@require_POST
@domain_errors
def proposal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, services.proposal_withdraw, _("The proposal is withdrawn."))


@login_required
@require_POST
@domain_errors
def proposal_close(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get(pk)
    if proposal.status == Proposal.Status.OPEN and clock.now() < proposal.closes_at:
        return _proposal_page(
            request,
            proposal,
            status=409,
            error=_("Its period has not ended yet: it is decided when it does."),
        )
    closed = services.proposal_close(proposal=proposal, actor=_actor(request))
    return _done(
        request,
        closed,
        _("Decided: %(status)s.")
        % {"status": _label(gforms.PROPOSAL_STATUS_LABELS, closed.status)},
    )


@login_required
@require_POST
@domain_errors
def proposal_amend(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get(pk)
    form = gforms.AmendForm(request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        # An unchanged change is no amendment of it: only the text is.
        change = data["change"] if data["change"] != proposal.change else None
        try:
            proposal = services.proposal_amend(
                actor=_actor(request),
                proposal=proposal,
                text=data["text"],
                title=data["title"],
                change=change,
            )
        except (Invalid, Conflict) as error:
            gforms.apply_amend_errors(form, error)
            status = _form_error_status(error)
        else:
            return _done(
                request,
                proposal,
                _("Amended: round %(n)s is open; earlier consents no longer count.")
                % {"n": proposal.round},
            )
    return _proposal_page(request, proposal, status=status, amend_form=form)


# --- discussions -------------------------------------------------------------------------------


def _parent(form: gforms.CommentForm) -> Comment | None:
    parent = form.cleaned_data.get("parent")
    if not parent:
        return None
    try:
        return selectors.comment_get(parent)
    except NotFound:
        form.add_error(None, _("The message you answer does not exist."))
        return None


def _post_comment(
    request: HttpRequest,
    form: gforms.CommentForm,
    commons: Commons,
    *,
    proposal: Proposal | None = None,
    contribution: Contribution | None = None,
) -> tuple[Comment | None, int]:
    """Post the message of a valid form; (the comment, 200) or (None, the error status)."""
    actor = _actor(request)  # anonymous: sent to log in before anything is checked
    if not form.is_valid():
        return None, 422
    parent = _parent(form)
    if form.errors:
        return None, 422
    try:
        comment = services.comment_post(
            actor=actor,
            commons=commons,
            text=form.cleaned_data["text"],
            proposal=proposal,
            contribution=contribution,
            parent=parent,
        )
    except (Invalid, Conflict) as error:
        if error.errors:
            for path, found in error.errors.items():
                for message in found:
                    form.add_error("text" if path == "text" else None, gettext(message))
        else:
            form.add_error(None, gettext(error.detail))
        return None, _form_error_status(error)
    messages.success(request, _("Your message is posted."))
    return comment, 200


@login_required
@require_POST
@domain_errors
def proposal_comment(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get(pk)
    form = gforms.CommentForm(request.POST)
    comment, status = _post_comment(request, form, proposal.commons, proposal=proposal)
    if comment is not None:
        return redirect(reverse("web:proposal_detail", args=[pk]) + f"#comment-{comment.pk}")
    return _proposal_page(request, proposal, status=status, comment_form=form)


def _discussion_page(
    request: HttpRequest,
    commons: Commons,
    *,
    contribution: Contribution | None,
    back: str,
    post_url: str,
) -> HttpResponse:
    """The whole discussion of a commons or a contribution, with its form; a post that fails
    comes back here with its errors and the text kept."""
    form = gforms.CommentForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        comment, status = _post_comment(request, form, commons, contribution=contribution)
        if comment is not None:
            return redirect(f"{back}#comment-{comment.pk}")
    context = {
        "commons": commons,
        "contribution": contribution,
        "thread": selectors.thread(commons, contribution=contribution),
        "form": form,
        "back": back,
        "post_url": post_url,
    }
    return render(request, "web/governance/discussion.html", context, status=status)


@require_http_methods(["GET", "POST"])
@domain_errors
def commons_discussion(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    return _discussion_page(
        request,
        commons,
        contribution=None,
        back=reverse("web:commons_detail", args=[commons.slug]),
        post_url=reverse("web:commons_discussion", args=[commons.slug]),
    )


@require_http_methods(["GET", "POST"])
@domain_errors
def contribution_discussion(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = commons_selectors.contribution_get(pk)
    return _discussion_page(
        request,
        contribution.commons,
        contribution=contribution,
        back=reverse("web:contribution_detail", args=[contribution.pk]),
        post_url=reverse("web:contribution_discussion", args=[contribution.pk]),
    )


# --- working groups ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupLine:
    group: WorkingGroup
    spent: int | None  # approved or paid within the current cap period; None: no cap
    left: int | None


@require_GET
@domain_errors
def working_groups(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    groups = list(commons_selectors.working_groups(commons))
    spent = ledger_selectors.working_groups_spent(groups, clock.now())
    lines = [
        GroupLine(
            g,
            spent.get(g.pk),
            max((g.spending_cap or 0) - spent[g.pk], 0) if g.pk in spent else None,
        )
        for g in groups
    ]
    context = {
        "commons": commons,
        "open_groups": [line for line in lines if line.group.closed_at is None],
        "closed_groups": [line for line in lines if line.group.closed_at is not None],
    }
    return render(request, "web/governance/working_groups.html", context)
