"""Pages of the open value ledger: treasuries, distributions, expenses, value equations, wallets.

Same shape as `views`: parse a form, call one service or selector, render. Reading is public and
works without JavaScript; the services decide who may write (the checks here only spare a
person a form they could not use, or answer 403 before a form's own errors).
"""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communs.accounts import selectors as accounts_selectors
from communs.commons import selectors as commons_selectors
from communs.commons.models import Commons
from communs.domain import equations
from communs.domain.errors import Conflict, Invalid, NotFound
from communs.domain.money import display
from communs.ledger import selectors as ledger_selectors
from communs.ledger import services as ledger_services
from communs.ledger.models import Distribution, Expense

from . import charts, forms, licence_views
from . import ledger_forms as lforms
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
PAYOUTS_PAGE_SIZE = 50
WALLET_PAGE_SIZE = 50
DRY_RUN_SHOWN = 1000  # payouts listed on the dry-run page; the rest are counted


# --- the treasury ------------------------------------------------------------------------------


def _treasury_context(
    request: HttpRequest,
    commons: Commons,
    *,
    income_form: django_forms.Form | None = None,
    treasurer_form: django_forms.Form | None = None,
) -> dict[str, Any]:
    viewer = _viewer(request)
    is_treasurer = ledger_selectors.is_treasurer(viewer, commons)
    is_maintainer = commons_selectors.is_maintainer(viewer, commons)
    balances = ledger_selectors.balances(commons)
    return {
        "commons": commons,
        "balances": sorted(balances.items()),
        "charts": charts.flow_charts(ledger_selectors.flows(commons), balances),
        "incomes": ledger_selectors.incomes(commons, limit=RECENT).items,
        "expenses": ledger_selectors.expenses(commons, limit=RECENT).items,
        "distributions": ledger_selectors.distributions(commons, limit=RECENT).items,
        "licence_grants": licence_views.treasury_grants(commons),
        "maintainers": commons_selectors.maintainers(commons),
        "treasurers": ledger_selectors.treasurers(commons),
        "is_treasurer": is_treasurer,
        "is_maintainer": is_maintainer,
        "income_form": income_form or (lforms.IncomeForm() if is_treasurer else None),
        "treasurer_form": treasurer_form or (lforms.TreasurerForm() if is_maintainer else None),
    }


@require_GET
@domain_errors
def treasury(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    return render(request, "web/ledger/treasury.html", _treasury_context(request, commons))


@login_required
@require_POST
@domain_errors
def income_record(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    _require_treasurer_page(request, commons)
    form = lforms.IncomeForm(request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        text = data["from"].strip()
        payer = None
        with contextlib.suppress(NotFound):  # not an agent here: then the text names the payer
            payer = accounts_selectors.agent_get(text) if text else None
        try:
            income = ledger_services.income_record(
                actor=_actor(request),
                commons=commons,
                kind=data["kind"],
                amount=data["amount"],
                currency=data["currency"],
                payer=payer,
                payer_name="" if payer else text,
                memo=data["memo"],
            )
        except (Invalid, Conflict) as error:
            forms.apply_errors(form, error)
            status = _form_error_status(error)
        else:
            messages.success(
                request,
                _("Income recorded: %(amount)s. Distribute it when you are ready.")
                % {"amount": display(income.amount, income.currency)},
            )
            return redirect(reverse("web:treasury", args=[commons.slug]) + "#incomes")
    context = _treasury_context(request, commons, income_form=form)
    return render(request, "web/ledger/treasury.html", context, status=status)


@login_required
@require_POST
@domain_errors
def treasurer_add(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    _require_maintainer_page(request, commons)
    form = lforms.TreasurerForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            agent = accounts_selectors.agent_get(form.cleaned_data["username"])
            ledger_services.treasurer_add(actor=_actor(request), commons=commons, agent=agent)
        except NotFound:
            form.add_error("username", _("Nobody here has this name."))
        except (Invalid, Conflict) as error:
            forms.apply_errors(form, error)
            status = _form_error_status(error)
        else:
            messages.success(
                request,
                _("%(name)s now keeps this treasury.") % {"name": agent.display_name},
            )
            return redirect(reverse("web:treasury", args=[commons.slug]) + "#treasurers")
    context = _treasury_context(request, commons, treasurer_form=form)
    return render(request, "web/ledger/treasury.html", context, status=status)


# --- distributions -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def distribution_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the dry run of an income's distribution. POST (the confirm button): the real one."""
    income = ledger_selectors.income_get(pk)
    commons = income.commons
    context: dict[str, Any] = {"income": income, "commons": commons}
    try:
        run = ledger_services.distribution_run(
            actor=_actor(request), commons=commons, income=income, dry_run=request.method == "GET"
        )
    except Conflict as error:
        context["error"] = gettext(error.detail)
        context["distribution"] = getattr(income, "distribution", None)  # already distributed?
        return render(request, "web/ledger/distribution_preview.html", context, status=409)
    if run.distribution is not None:
        messages.success(
            request,
            _("Distributed: %(amount)s shared out by equation version %(version)s.")
            % {
                "amount": display(income.amount, income.currency),
                "version": run.equation_version,
            },
        )
        return redirect("web:distribution_detail", pk=run.distribution.pk)
    payouts = run.result.payouts
    context.update(
        run=run,
        payouts=payouts[:DRY_RUN_SHOWN],
        hidden=max(0, len(payouts) - DRY_RUN_SHOWN),
        paid_out=income.amount - run.result.kept,
    )
    return render(request, "web/ledger/distribution_preview.html", context)


def _stored_buckets(distribution: Distribution) -> list[dict[str, Any]]:
    stored = distribution.inputs.get("buckets", []) if isinstance(distribution.inputs, dict) else []
    return [
        {
            "name": str(b.get("name", "")),
            "amount": int(b.get("amount", 0)),
            "kept": int(b.get("kept", 0)),
            "note": str(b.get("note", "")),
        }
        for b in stored
        if isinstance(b, dict)
    ]


def _readable(definition: object) -> equations.Equation | None:
    """A stored equation, read back to be shown in words (None if it no longer parses)."""
    try:
        return equations.parse_equation(definition)
    except Invalid:
        return None


@require_GET
@domain_errors
def distribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    distribution = ledger_selectors.distribution_get(pk)
    page = ledger_selectors.payouts(
        distribution, cursor=request.GET.get("next"), limit=PAYOUTS_PAGE_SIZE
    )
    context = {
        "distribution": distribution,
        "commons": distribution.commons,
        "income": distribution.income,
        "buckets": _stored_buckets(distribution),
        "equation": _readable(distribution.equation),
        "equation_json": lforms.pretty(distribution.equation),
        "payouts": page.items,
        "older": _older_link(request, page.next),
        "first_page": not request.GET.get("next"),
    }
    return render(request, "web/ledger/distribution_detail.html", context)


# --- expenses ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def expense_create(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    actor = _actor(request)
    groups = [g.slug for g in commons_selectors.working_groups_of(actor, commons)]
    form = lforms.ExpenseForm(request.POST or None, groups=groups)
    context = {"commons": commons, "form": form}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            group = data.get("working_group")
            try:
                expense = ledger_services.expense_submit(
                    actor=actor,
                    commons=commons,
                    amount=data["amount"],
                    currency=data["currency"],
                    description=data["description"],
                    evidence_url=data["evidence_url"],
                    working_group=(
                        commons_selectors.working_group_get(commons, group) if group else None
                    ),
                )
            except (Invalid, Conflict) as error:
                forms.apply_errors(form, error)
                return render(
                    request,
                    "web/ledger/expense_form.html",
                    context,
                    status=_form_error_status(error),
                )
            messages.success(request, _("Your claim is public; a treasurer will decide on it."))
            return redirect("web:expense_detail", pk=expense.pk)
        return render(request, "web/ledger/expense_form.html", context, status=422)
    return render(request, "web/ledger/expense_form.html", context)


def _expense_context(
    request: HttpRequest,
    expense: Expense,
    *,
    reject_form: django_forms.Form | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    viewer = _viewer(request)
    can_decide = (
        viewer is not None
        and expense.claimant_id != viewer.pk
        and ledger_selectors.is_treasurer(viewer, expense.commons)
    )
    return {
        "expense": expense,
        "commons": expense.commons,
        "can_decide": can_decide,
        "reject_form": reject_form or lforms.ExpenseRejectForm(),
        "error": error,
    }


@require_GET
@domain_errors
def expense_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expense = ledger_selectors.expense_get(pk)
    return render(request, "web/ledger/expense_detail.html", _expense_context(request, expense))


def _expense_decided(
    request: HttpRequest, expense: Expense, error: Invalid | Conflict | None, done: str
) -> HttpResponse:
    if error is None:
        messages.success(request, done)
        return redirect("web:expense_detail", pk=expense.pk)
    context = _expense_context(request, expense, error=gettext(error.detail))
    return render(request, "web/ledger/expense_detail.html", context, status=error.status)


@login_required
@require_POST
@domain_errors
def expense_approve(request: HttpRequest, pk: int) -> HttpResponse:
    expense = ledger_selectors.expense_get(pk)
    try:
        expense = ledger_services.expense_approve(actor=_actor(request), expense=expense)
    except (Invalid, Conflict) as error:
        return _expense_decided(request, expense, error, "")
    return _expense_decided(request, expense, None, _("Approved: it can now be paid."))


@login_required
@require_POST
@domain_errors
def expense_pay(request: HttpRequest, pk: int) -> HttpResponse:
    expense = ledger_selectors.expense_get(pk)
    try:
        expense = ledger_services.expense_pay(actor=_actor(request), expense=expense)
    except (Invalid, Conflict) as error:
        return _expense_decided(request, expense, error, "")
    return _expense_decided(request, expense, None, _("Paid from the treasury."))


@login_required
@require_POST
@domain_errors
def expense_reject(request: HttpRequest, pk: int) -> HttpResponse:
    expense = ledger_selectors.expense_get(pk)
    form = lforms.ExpenseRejectForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            ledger_services.expense_reject(
                actor=_actor(request), expense=expense, reason=form.cleaned_data["reason"]
            )
        except (Invalid, Conflict) as error:
            forms.apply_errors(form, error)
            status = _form_error_status(error)
        else:
            messages.success(request, _("Rejected."))
            return redirect("web:expense_detail", pk=expense.pk)
    context = _expense_context(request, expense, reject_form=form)
    return render(request, "web/ledger/expense_detail.html", context, status=status)


# --- the value equation ------------------------------------------------------------------------


def _equation_context(
    request: HttpRequest,
    commons: Commons,
    *,
    form: lforms.EquationForm | None = None,
    previews: list[ledger_selectors.Preview] | None = None,
) -> dict[str, Any]:
    viewer = _viewer(request)
    current = ledger_selectors.equation_current(commons)
    is_maintainer = commons_selectors.is_maintainer(viewer, commons)
    if form is None and is_maintainer:
        form = lforms.EquationForm(
            initial={"definition": lforms.pretty(current.equation.definition), "last": 5}
        )
    return {
        "commons": commons,
        "current": current,
        "equation": current.equation,
        "history": ledger_selectors.equation_history(commons),
        "is_maintainer": is_maintainer,
        "form": form,
        "previews": previews,
    }


def _equation_errors(form: lforms.EquationForm, error: Invalid | Conflict) -> None:
    """The rules' complaints, each with the path of the part it is about."""
    if not error.errors:
        form.add_error(None, gettext(error.detail))
        return
    for path, found in error.errors.items():
        for message in found:
            form.add_error("definition", f"{path}: {gettext(message)}")


@require_GET
@domain_errors
def value_equation(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    return render(request, "web/ledger/value_equation.html", _equation_context(request, commons))


@login_required
@require_POST
@domain_errors
def equation_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """'If this equation had applied to the last N distributions': nothing is written."""
    commons = commons_selectors.commons_get(slug)
    _require_maintainer_page(request, commons)
    form = lforms.EquationForm(request.POST)
    previews = None
    status = 422
    if form.is_valid():
        try:
            proposed = equations.parse_equation(form.cleaned_data["definition"])
            previews = ledger_selectors.equation_preview(
                commons, proposed, last=form.cleaned_data["last"]
            )
        except Invalid as error:
            _equation_errors(form, error)
        else:
            status = 200
    context = _equation_context(request, commons, form=form, previews=previews)
    return render(request, "web/ledger/value_equation.html", context, status=status)


@login_required
@require_POST
@domain_errors
def equation_adopt(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    _require_maintainer_page(request, commons)
    form = lforms.EquationForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            row = ledger_services.equation_adopt(
                actor=_actor(request), commons=commons, definition=form.cleaned_data["definition"]
            )
        except (Invalid, Conflict) as error:
            _equation_errors(form, error)
            status = _form_error_status(error)
        else:
            messages.success(
                request,
                _("Version %(version)s of the value equation is adopted.")
                % {"version": row.version},
            )
            return redirect("web:value_equation", slug=commons.slug)
    context = _equation_context(request, commons, form=form)
    return render(request, "web/ledger/value_equation.html", context, status=status)


# --- wallets -----------------------------------------------------------------------------------


@require_GET
@domain_errors
def wallet(request: HttpRequest, name: str) -> HttpResponse:
    agent = accounts_selectors.agent_get(name)
    page = ledger_selectors.wallet_postings(
        agent, cursor=request.GET.get("next"), limit=WALLET_PAGE_SIZE
    )
    context = {
        "agent": agent,
        "received": ledger_selectors.wallet(agent),
        "postings": page.items,
        "older": _older_link(request, page.next),
    }
    return render(request, "web/ledger/wallet.html", context)
