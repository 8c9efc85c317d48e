"""Pages of the licence engine: a commons' licence profile and how it decides, "Can I use
this?", the answers given, licence grants anyone can verify, the badge, and organisations'
legal facts.

Same shape as `views`: parse a form, call one service or selector, render. Reading is public and
works without JavaScript; the services decide who may write (the checks here only spare a person
a form they could not use, or answer 403 before a form's own errors). The rules' texts are
English data in `domain.licences`; they are shown through the catalogue (`domain_messages`
lists them), so a visitor reads them in their language.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communs.accounts import selectors as accounts_selectors
from communs.accounts.models import Agent, Membership
from communs.commons import selectors as commons_selectors
from communs.commons.models import Commons
from communs.core import clock
from communs.domain import licences, money
from communs.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from communs.ledger import selectors as ledger_selectors
from communs.licensing import selectors, services
from communs.licensing.models import Evaluation, Evidence, Grant, Verification

from . import licence_forms as lforms
from .views import (
    _actor,
    _form_error_status,
    _older_link,
    _require_maintainer_page,
    _require_treasurer_page,
    _viewer,
    domain_errors,
)

RECENT = 20
EVALUATIONS_PAGE_SIZE = 25
# Sites that embed the badge may keep it this long (seconds): a newly adopted profile shows
# everywhere within minutes, and the image costs nothing to serve again.
BADGE_MAX_AGE = 300
# The badge is one image for every visitor of every site that embeds it (and is cached as
# such), so its words do not follow the visitor's language.
BADGE_LABEL = "licence"
BADGE_COLOURS = {
    "reciprocal": "#1f6f50",  # commercial use is conditional: a reciprocity licence
    "open": "#2f6db5",  # any use is permitted
    "unknown": "#8a94a0",  # a licence the engine does not know
}


# --- showing the engine's data in words --------------------------------------------------------


def _label(labels: Mapping[str, Any], code: object) -> str:
    return str(labels.get(str(code), code))


def _apply_errors(form: django_forms.BaseForm, error: DomainError) -> None:
    """A service's refusal on the form, each message under its field; a parameter's error
    ("parameters.fee") goes under the field of that parameter."""
    if not error.errors:
        form.add_error(None, gettext(error.detail))
        return
    for path, found in error.errors.items():
        name = path.removeprefix("parameters.")
        target = name if name in form.fields else None
        for message in found:
            form.add_error(target, gettext(message))


def _conditions(rule: licences.Rule) -> list[str]:
    shown = []
    for name, values in rule.when.items():
        fact = _label(lforms.FACT_LABELS, name)
        words = [_label(lforms.FACT_VALUE_LABELS, value) for value in sorted(values)]
        if len(words) == 1:
            shown.append(_("%(fact)s: %(value)s") % {"fact": fact, "value": words[0]})
        else:
            shown.append(
                _("%(fact)s: one of %(values)s") % {"fact": fact, "values": ", ".join(words)}
            )
    return shown


def _rules(profile: licences.Profile) -> list[dict[str, Any]]:
    return [
        {
            "id": rule.id,
            "clause": gettext(rule.clause),
            "outcome": rule.outcome.value,
            "outcome_label": _label(lforms.OUTCOME_LABELS, rule.outcome),
            "reason": gettext(rule.reason),
            "conditions": _conditions(rule),
        }
        for rule in profile.rules
    ]


def _obligations(codes: Iterable[str]) -> list[dict[str, str]]:
    return [
        {
            "code": code,
            "label": _label(lforms.OBLIGATION_LABELS, code),
            "words": gettext(licences.OBLIGATIONS.get(code, code)),
        }
        for code in codes
    ]


def _fee_terms(parameters: Mapping[str, Any]) -> str:
    currency = str(parameters.get("currency", "EUR"))
    fee = parameters.get("fee")
    if parameters.get("fee_kind") == "percent":
        return _("%(percent)s %% of the declared yearly revenue") % {"percent": fee}
    try:
        amount = money.display(money.parse_amount(fee, currency), currency)
    except (Invalid, KeyError):
        amount = f"{fee} {currency}"
    return _("%(amount)s per year") % {"amount": amount}


def _parameters_in_words(profile: licences.Profile, parameters: Mapping[str, Any]) -> list[str]:
    if not profile.parametric:
        return []
    threshold, days = licences.contribution_rule(profile, parameters)
    contributing = ngettext(
        "Contributing means at least %(n)s accepted contribution in the last %(days)s days.",
        "Contributing means at least %(n)s accepted contributions in the last %(days)s days.",
        threshold,
    ) % {"n": threshold, "days": days}
    fee = _("A non-contributing commercial user owes %(terms)s.") % {
        "terms": _fee_terms(parameters)
    }
    return [contributing, fee]


def _profile(profile: licences.Profile, parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": profile.key,
        "title": gettext(profile.title),
        "url": profile.url,
        "permissions": [
            {
                "label": _label(lforms.PERMISSION_LABELS, name),
                "value": value,
                "words": _label(lforms.PERMISSION_VALUE_LABELS, value),
            }
            for name, value in profile.permissions.items()
        ],
        "obligations": _obligations(profile.on_distribution),
        "rules": _rules(profile),
        "parameters": _parameters_in_words(profile, parameters),
        "sells_grants": profile.sells_grants,
    }


def _profile_title(key: str) -> str:
    profile = licences.PROFILES.get(key)
    return gettext(profile.title) if profile else key


def _grant_rows(grants: Iterable[Grant], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for grant in grants:
        status = selectors.grant_status(grant, now=now)
        rows.append(
            {
                "grant": grant,
                "status": status,
                "status_label": _label(lforms.GRANT_STATUS_LABELS, status),
            }
        )
    return rows


def treasury_grants(commons: Commons) -> list[dict[str, Any]]:
    """The latest licence grants of a commons, for its treasury page."""
    return _grant_rows(selectors.grants(commons)[:RECENT], clock.now())


# --- the licence of a commons ------------------------------------------------------------------


def _profile_initial(current: selectors.CurrentProfile) -> dict[str, Any]:
    parameters = current.parameters if current.parameters else licences.COPYFAIR_DEFAULTS
    return {"profile": current.profile.key if current.profile else "", **parameters}


def _licence_context(
    request: HttpRequest, commons: Commons, *, form: lforms.ProfileForm | None = None
) -> dict[str, Any]:
    viewer = _viewer(request)
    current = selectors.profile_current(commons)
    is_maintainer = commons_selectors.is_maintainer(viewer, commons)
    if form is None and is_maintainer:
        form = lforms.ProfileForm(initial=_profile_initial(current))
    page = selectors.evaluations(
        commons, cursor=request.GET.get("next"), limit=EVALUATIONS_PAGE_SIZE
    )
    older = _older_link(request, page.next)
    history = [
        {
            "row": row,
            "title": _profile_title(row.profile),
            "parameters": _parameters_in_words(licences.PROFILES[row.profile], row.parameters)
            if row.profile in licences.PROFILES
            else [],
        }
        for row in selectors.profile_history(commons)
    ]
    return {
        "commons": commons,
        "current": current,
        "profile": _profile(current.profile, current.parameters) if current.profile else None,
        "history": history,
        "evaluations": [
            {"evaluation": e, "outcome_label": _label(lforms.OUTCOME_LABELS, e.outcome)}
            for e in page.items
        ],
        "older": f"{older}#evaluations" if older else None,
        "grants": _grant_rows(selectors.grants(commons)[:RECENT], clock.now()),
        "is_maintainer": is_maintainer,
        "form": form,
    }


@require_GET
@domain_errors
def licence(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    return render(request, "web/licences/licence.html", _licence_context(request, commons))


@login_required
@require_POST
@domain_errors
def profile_adopt(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    _require_maintainer_page(request, commons)
    form = lforms.ProfileForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            row = services.profile_adopt(
                actor=_actor(request),
                commons=commons,
                profile=form.cleaned_data["profile"],
                parameters=form.parameters(),
            )
        except (Invalid, Conflict) as error:
            _apply_errors(form, error)
            status = _form_error_status(error)
        else:
            messages.success(
                request,
                _("Version %(version)s: this commons is now under %(profile)s.")
                % {"version": row.version, "profile": row.profile},
            )
            return redirect("web:licence", slug=commons.slug)
    context = _licence_context(request, commons, form=form)
    return render(request, "web/licences/licence.html", context, status=status)


@require_GET
@cache_control(public=True, max_age=BADGE_MAX_AGE)
@domain_errors
def badge(request: HttpRequest, slug: str) -> HttpResponse:
    """An SVG badge naming the commons' licence, for READMEs and web pages. Adopting a profile
    sets the commons' licence field, so the field names the current profile."""
    commons = commons_selectors.commons_get(slug)
    key = commons.licence or "none"
    profile = licences.find_profile(commons.licence)
    if profile is None:
        colour = BADGE_COLOURS["unknown"]
    elif profile.sells_grants or profile.permissions.get("commercial_use") != "yes":
        colour = BADGE_COLOURS["reciprocal"]
    else:
        colour = BADGE_COLOURS["open"]
    # About 7 pixels a character at 11 px: a badge needs no exact text metrics.
    left, right = 10 + 7 * len(BADGE_LABEL), 10 + 7 * len(key)
    # Numbers as text: a template would write them in the visitor's language ("29,5").
    context = {
        "label": BADGE_LABEL,
        "key": key,  # escaped by the template, like any text in an XML document
        "colour": colour,
        "left": str(left),
        "right": str(right),
        "width": str(left + right),
        "label_x": f"{left / 2:g}",
        "key_x": f"{left + right / 2:g}",
    }
    response = render(request, "web/licences/badge.svg", context, content_type="image/svg+xml")
    # Opened on its own, the image may run nothing and load nothing; any site may embed it.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# --- "Can I use this?" -------------------------------------------------------------------------


def _revenue_currency(current: selectors.CurrentProfile) -> str | None:
    """The currency revenue is declared in, when the fee is a share of it."""
    if (
        current.profile is not None
        and current.profile.parametric
        and current.parameters.get("fee_kind") == "percent"
    ):
        return str(current.parameters.get("currency", "EUR"))
    return None


@require_http_methods(["GET", "POST"])
@domain_errors
def usage_ask(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    current = selectors.profile_current(commons)
    viewer = _viewer(request)
    context: dict[str, Any] = {
        "commons": commons,
        "current": current,
        "profile_title": gettext(current.profile.title) if current.profile else "",
        "form": None,
    }
    if viewer is None:  # the explanation is public; asking is logged, so it needs an account
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        return render(request, "web/licences/ask.html", context)
    form = lforms.AskForm(
        request.POST if request.method == "POST" else None,
        organisations=accounts_selectors.organisations_of(viewer),
        revenue_currency=_revenue_currency(current),
    )
    context["form"] = form
    if request.method != "POST":
        return render(request, "web/licences/ask.html", context)
    if not form.is_valid():
        return render(request, "web/licences/ask.html", context, status=422)
    data = form.cleaned_data
    try:
        evaluation = services.usage_evaluate(
            actor=viewer,
            commons=commons,
            commercial=data["commercial"],
            distributes=data["distributes"],
            organisation=data["organisation"],
            declared_revenue=data.get("declared_revenue") or None,
        )
    except (Invalid, Conflict) as error:
        _apply_errors(form, error)
        return render(request, "web/licences/ask.html", context, status=_form_error_status(error))
    return redirect("web:evaluation_detail", pk=evaluation.pk)


def _fee_basis(evaluation: Evaluation) -> str:
    """The fee's basis in the visitor's language, from the inputs the answer was made from."""
    inputs = evaluation.inputs if isinstance(evaluation.inputs, dict) else {}
    parameters = inputs.get("parameters")
    kind = parameters.get("fee_kind") if isinstance(parameters, dict) else None
    if kind == "flat":
        return _("a flat fee, per year")
    revenue = inputs.get("declared_revenue")
    if kind == "percent" and isinstance(parameters, dict) and revenue is not None:
        currency = evaluation.fee_currency
        try:
            shown = money.display(money.parse_amount(revenue, currency), currency)
        except (Invalid, KeyError):  # a revenue of zero is no amount to display
            shown = f"{revenue} {currency}"
        return _("%(percent)s %% of the declared yearly revenue of %(revenue)s") % {
            "percent": parameters.get("fee"),
            "revenue": shown,
        }
    return evaluation.fee_basis


def _facts(evaluation: Evaluation) -> list[dict[str, str]]:
    """What the answer was decided from, as the rules name it."""
    inputs = evaluation.inputs if isinstance(evaluation.inputs, dict) else {}
    names = ["asker", "use", "distributes", "contributed", "granted"]
    if evaluation.asker.is_organisation:
        names += list(licences.EVIDENCE_FACTS)
    return [
        {
            "name": name,
            "label": _label(lforms.FACT_LABELS, name),
            "value": str(inputs[name]),
            "words": _label(lforms.FACT_VALUE_LABELS, inputs[name]),
        }
        for name in names
        if name in inputs
    ]


@require_GET
@domain_errors
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = selectors.evaluation_get(pk)
    commons = evaluation.commons
    inputs = evaluation.inputs if isinstance(evaluation.inputs, dict) else {}
    profile = licences.PROFILES.get(evaluation.profile)
    context: dict[str, Any] = {
        "evaluation": evaluation,
        "commons": commons,
        "outcome_label": _label(lforms.OUTCOME_LABELS, evaluation.outcome),
        "clause": gettext(evaluation.clause),
        "reason": gettext(evaluation.reason),
        "obligations": _obligations(evaluation.obligations or []),
        "fee_basis": _fee_basis(evaluation) if evaluation.fee is not None else "",
        "facts": _facts(evaluation),
        "inputs": inputs,
        "profile_title": _profile_title(evaluation.profile),
        "sells_grants": bool(profile and profile.sells_grants),
        "is_asker": evaluation.requested_by_id == getattr(_viewer(request), "pk", None),
    }
    if evaluation.outcome == licences.Outcome.RECIPROCITY_REQUIRED:
        context["maintainers"] = commons_selectors.maintainers(commons)
        context["treasurers"] = ledger_selectors.treasurers(commons)
    return render(request, "web/licences/evaluation.html", context)


# --- licence grants ----------------------------------------------------------------------------


def _grant_context(
    request: HttpRequest, grant: Grant, *, form: lforms.RevokeForm | None = None
) -> dict[str, Any]:
    viewer = _viewer(request)
    status = selectors.grant_status(grant, now=clock.now())
    can_revoke = status != "revoked" and commons_selectors.is_maintainer(viewer, grant.commons)
    if form is None and can_revoke:
        form = lforms.RevokeForm()
    return {
        "grant": grant,
        "commons": grant.commons,
        "status": status,
        "status_label": _label(lforms.GRANT_STATUS_LABELS, status),
        "profile_title": _profile_title(grant.profile),
        "income": grant.income,
        "distribution": getattr(grant.income, "distribution", None),
        "form": form,
    }


@require_GET
@domain_errors
def grant_detail(request: HttpRequest, grant_id: uuid.UUID) -> HttpResponse:
    grant = selectors.grant_get(str(grant_id))
    return render(request, "web/licences/grant.html", _grant_context(request, grant))


@login_required
@require_POST
@domain_errors
def grant_revoke(request: HttpRequest, grant_id: uuid.UUID) -> HttpResponse:
    grant = selectors.grant_get(str(grant_id))
    _require_maintainer_page(request, grant.commons)
    form = lforms.RevokeForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.grant_revoke(
                actor=_actor(request), grant=grant, reason=form.cleaned_data["reason"]
            )
        except (Invalid, Conflict) as error:
            _apply_errors(form, error)
            status = _form_error_status(error)
        else:
            messages.success(request, _("The licence grant is revoked."))
            return redirect("web:grant_detail", grant_id=grant.pk)
    context = _grant_context(request, grant, form=form)
    return render(request, "web/licences/grant.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def grant_new(request: HttpRequest, slug: str) -> HttpResponse:
    """A treasurer records a paid licence fee: an income to the treasury, and the grant."""
    commons = commons_selectors.commons_get(slug)
    _require_treasurer_page(request, commons)
    current = selectors.profile_current(commons)
    initial = {"currency": current.parameters.get("currency", "EUR")}
    if current.parameters.get("fee_kind") == "flat":
        initial["amount"] = current.parameters.get("fee")
    form = lforms.GrantForm(request.POST if request.method == "POST" else None, initial=initial)
    context = {
        "commons": commons,
        "current": current,
        "profile_title": gettext(current.profile.title) if current.profile else "",
        "sells_grants": bool(current.profile and current.profile.sells_grants),
        "grant_days": licences.GRANT_DAYS,
        "form": form,
    }
    if request.method != "POST":
        return render(request, "web/licences/grant_form.html", context)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            grantee = accounts_selectors.agent_get(data["grantee"].strip())
            grant = services.grant_issue(
                actor=_actor(request),
                commons=commons,
                grantee=grantee,
                amount=data["amount"],
                currency=data["currency"],
                memo=data["memo"],
            )
        except NotFound:
            form.add_error("grantee", _("Nobody here has this name."))
        except (Invalid, Conflict) as error:
            _apply_errors(form, error)
            status = _form_error_status(error)
        else:
            messages.success(
                request,
                _("Licence fee recorded: %(name)s holds this licence until %(date)s.")
                % {
                    "name": grantee.display_name,
                    "date": grant.valid_until.date().isoformat(),
                },
            )
            return redirect("web:grant_detail", grant_id=grant.pk)
    return render(request, "web/licences/grant_form.html", context, status=status)


# --- organisations' legal facts ----------------------------------------------------------------


def _is_admin(person: Agent | None, organisation: Agent) -> bool:
    return (
        person is not None
        and accounts_selectors.members_of(organisation)
        .filter(person=person, role=Membership.Role.ADMIN)
        .exists()
    )


def _verify_scopes(person: Agent, *, done: Iterable[Verification] = ()) -> list[tuple[str, str]]:
    """The capacities `person` may verify in, less those already used on this declaration."""
    verified = {(v.commons_id, v.association_id) for v in done}
    scopes = [
        (
            f"commons:{commons.slug}",
            _("as a maintainer of %(title)s (it counts for this commons)")
            % {"title": commons.title},
        )
        for commons in commons_selectors.maintained_by(person)
        if (commons.pk, None) not in verified
    ]
    scopes += [
        (
            f"association:{association.name}",
            _("for %(name)s, a for-benefit association (it counts where it keeps the treasury)")
            % {"name": association.display_name},
        )
        for association in selectors.associations_of(person)
        if (None, association.pk) not in verified
    ]
    return scopes


def _declared_facts(declaration: Evidence | None) -> list[dict[str, Any]]:
    if declaration is None:
        return []
    return [
        {
            "name": name,
            "label": _label(lforms.FACT_LABELS, name),
            "words": gettext(words),
            "value": bool(getattr(declaration, name)),
        }
        for name, words in licences.EVIDENCE_FACTS.items()
    ]


def legal_facts(request: HttpRequest, organisation: Agent) -> dict[str, Any]:
    """What an organisation's page shows of its legal facts, and who may declare or verify."""
    viewer = _viewer(request)
    declaration = selectors.evidence_current(organisation)
    checks = list(selectors.verifications(declaration)) if declaration else []
    scopes = []
    # Nobody vouches for their own declaration or organisation: no button for them.
    if (
        viewer is not None
        and declaration is not None
        and declaration.declared_by_id != viewer.pk
        and not accounts_selectors.is_member(viewer, organisation)
    ):
        scopes = _verify_scopes(viewer, done=checks)
    return {
        "legal": {
            "declaration": declaration,
            "facts": _declared_facts(declaration),
            "verifications": checks,
            "can_declare": _is_admin(viewer, organisation),
            "verify_form": lforms.VerifyForm(choices=scopes) if scopes else None,
        }
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def evidence_declare(request: HttpRequest, name: str) -> HttpResponse:
    organisation = accounts_selectors.organisation_get(name)
    actor = _actor(request)
    if not _is_admin(actor, organisation):
        raise Forbidden(_("Only admins of this organisation can declare its legal facts."))
    current = selectors.evidence_current(organisation)
    initial: dict[str, Any] = {}
    if current is not None:
        initial = {
            "legal_form": current.legal_form,
            "statutes_url": current.statutes_url,
            **{fact: getattr(current, fact) for fact in licences.EVIDENCE_FACTS},
        }
    form = lforms.EvidenceForm(request.POST if request.method == "POST" else None, initial=initial)
    context = {"organisation": organisation, "current": current, "form": form}
    if request.method != "POST":
        return render(request, "web/licences/evidence_form.html", context)
    status = 422
    if form.is_valid():
        try:
            services.evidence_declare(
                actor=actor,
                organisation=organisation,
                facts=form.facts(),
                legal_form=form.cleaned_data["legal_form"],
                statutes_url=form.cleaned_data["statutes_url"],
            )
        except (Invalid, Conflict) as error:
            _apply_errors(form, error)
            status = _form_error_status(error)
        else:
            messages.success(
                request,
                _(
                    "Declared. A maintainer of a commons, or the for-benefit association "
                    "keeping its treasury, can now verify it."
                ),
            )
            return redirect(reverse("web:agent_detail", args=[organisation.name]) + "#legal-facts")
    return render(request, "web/licences/evidence_form.html", context, status=status)


@login_required
@require_POST
@domain_errors
def evidence_verify(request: HttpRequest, name: str) -> HttpResponse:
    """A maintainer (for one commons) or an association's admin (for the commons whose treasury
    the association keeps) checks the current
    declaration. The service's refusals (nothing declared, already verified, one's own
    declaration) come back as the error page."""
    organisation = accounts_selectors.organisation_get(name)
    actor = _actor(request)
    scopes = _verify_scopes(actor)
    if not scopes:
        raise Forbidden(
            _("Only maintainers of a commons or admins of a for-benefit association verify.")
        )
    form = lforms.VerifyForm(request.POST, choices=scopes)
    if not form.is_valid():
        raise Invalid(_("Choose in which capacity you verify."))
    kind, _sep, key = form.cleaned_data["scope"].partition(":")
    if kind == "commons":
        services.evidence_verify(
            actor=actor, organisation=organisation, commons=commons_selectors.commons_get(key)
        )
    else:
        services.evidence_verify(
            actor=actor,
            organisation=organisation,
            association=accounts_selectors.organisation_get(key),
        )
    messages.success(request, _("Verified: the declaration now counts as verified."))
    return redirect(reverse("web:agent_detail", args=[organisation.name]) + "#legal-facts")
