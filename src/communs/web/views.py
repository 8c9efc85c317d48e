"""Pages of the web interface: parse a form, call one service or selector, render.

No rule is decided here. A service's refusal comes back as a `DomainError`: input errors are
shown on the form (422, or 409 for a conflict), the rest become a 403 or 404 page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communs.accounts import selectors as accounts_selectors
from communs.accounts import services as accounts_services
from communs.accounts.models import Agent
from communs.commons import selectors, services
from communs.commons.models import Commons, Contribution
from communs.core import eventlog
from communs.core import selectors as core_selectors
from communs.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
)
from communs.ledger import selectors as ledger_selectors

from . import forms

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]

COMMONS_PAGE_SIZE = 50
CONTRIBUTIONS_PAGE_SIZE = 25
EVENTS_PAGE_SIZE = 50
RECENT_EVENTS = 10


def _error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {"status": error.status, "message": gettext(error.detail)},
        status=error.status,
    )


def domain_errors(view: View[P]) -> View[P]:
    """Turn refusals the view did not handle itself into 404 / 403 / 4xx pages, never a 500."""

    def wrapped(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.detail) from None
        except NotAuthenticated as error:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            return _error_page(request, error)
        except DomainError as error:
            return _error_page(request, error)

    functools.update_wrapper(wrapped, view)
    return wrapped


def _viewer(request: HttpRequest) -> Agent | None:
    """The person looking at the page, or None for an anonymous visitor."""
    if not request.user.is_authenticated:
        return None
    return accounts_selectors.acting_agent(request.user)


def _actor(request: HttpRequest) -> Agent:
    return accounts_selectors.acting_agent(request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _form_error_status(error: DomainError) -> int:
    return 409 if isinstance(error, Conflict) else 422


# --- home and accounts -------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None)
    status = 200
    page = None
    if form.is_bound and not form.is_valid():
        status = 422
    else:
        data = form.cleaned_data if form.is_bound else {}
        try:
            rows = selectors.commons_list(query=data.get("q", ""), kind=data.get("kind", ""))
        except Invalid as error:
            forms.apply_errors(form, error)
            status = 422
        else:
            page = Paginator(rows, COMMONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/home.html", {"form": form, "page": page}, status=status)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                agent = accounts_services.user_create(
                    username=data["username"],
                    email=data["email"],
                    password=data["password"],
                    display_name=data["display_name"],
                )
            except (Invalid, Conflict) as error:
                forms.apply_errors(form, error)
                return render(
                    request, "web/signup.html", {"form": form}, status=_form_error_status(error)
                )
            assert agent.user is not None  # noqa: S101 - a person always has a user
            login(request, agent.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome, %(name)s.") % {"name": agent.display_name})
            return redirect(_safe_next(request, reverse("web:home")))
        return render(request, "web/signup.html", {"form": form}, status=422)
    return render(request, "web/signup.html", {"form": form})


class LoginPage(LoginView):
    template_name = "web/login.html"

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 422
        return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    form = forms.TokenForm(request.POST or None)
    token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            token = accounts_services.token_create(user=user, label=form.cleaned_data["label"])
            form = forms.TokenForm()
        else:
            status = 422
    context = {"form": form, "token": token, "tokens": accounts_selectors.tokens_of(user)}
    return render(request, "web/tokens.html", context, status=status)


# --- commons -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def commons_create(request: HttpRequest) -> HttpResponse:
    form = forms.CommonsForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                commons = services.commons_create(actor=_actor(request), **data)
            except (Invalid, Conflict) as error:
                forms.apply_errors(form, error)
                return render(
                    request,
                    "web/commons_form.html",
                    {"form": form},
                    status=_form_error_status(error),
                )
            messages.success(request, _("The commons is created; you maintain it."))
            return redirect("web:commons_detail", slug=commons.slug)
        return render(request, "web/commons_form.html", {"form": form}, status=422)
    return render(request, "web/commons_form.html", {"form": form})


@require_GET
@domain_errors
def commons_detail(request: HttpRequest, slug: str) -> HttpResponse:
    commons = selectors.commons_get(slug)
    viewer = _viewer(request)
    filters = forms.ContributionFilterForm(request.GET or None)
    status = 200
    page = None
    if filters.is_bound and not filters.is_valid():
        status = 422
    else:
        data = filters.cleaned_data if filters.is_bound else {}
        try:
            page = selectors.contribution_list(
                commons,
                status=data.get("status", ""),
                action=data.get("action", ""),
                contributor=data.get("contributor", ""),
                cursor=data.get("next") or None,
                limit=CONTRIBUTIONS_PAGE_SIZE,
            )
        except Invalid as error:
            forms.apply_errors(filters, error)
            status = 422
    older = None
    if page is not None and page.next:
        query = request.GET.copy()
        query["next"] = page.next
        older = f"?{query.urlencode()}#contributions"
    is_maintainer = selectors.is_maintainer(viewer, commons)
    lineage = selectors.lineage(commons)
    context = {
        "commons": commons,
        "viewer": viewer,
        "is_maintainer": is_maintainer,
        "maintainers": selectors.maintainers(commons),
        "credits": selectors.credits(commons),
        "filters": filters,
        "page": page,
        "older": older,
        "lineage": lineage,
        "lineage_truncated": selectors.lineage_truncated(lineage),
        "forks": selectors.forks(commons),
        "upstreams": selectors.upstreams(commons),
        "ancestors": selectors.credited_ancestors(lineage),
        "events": core_selectors.commons_events(commons.slug, limit=RECENT_EVENTS).items,
        "maintainer_form": forms.MaintainerForm() if is_maintainer else None,
    }
    return render(request, "web/commons_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def contribute(request: HttpRequest, slug: str) -> HttpResponse:
    commons = selectors.commons_get(slug)
    actor = _actor(request)
    form = forms.ContributionForm(
        request.POST or None, organisations=accounts_selectors.organisations_of(actor)
    )
    context = {"commons": commons, "form": form}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            occurred_at: datetime | None = data["occurred_at"]
            try:
                contribution = services.contribution_submit(
                    actor=actor,
                    commons=commons,
                    action=data["action"],
                    quantity=data["quantity"],
                    unit=data["unit"] or None,
                    description=data["description"],
                    evidence_url=data["evidence_url"],
                    occurred_at=occurred_at.astimezone(UTC) if occurred_at else None,
                    stream=data["stream"],
                    organisation=data["organisation"],
                )
            except (Invalid, Conflict) as error:
                forms.apply_errors(form, error)
                return render(
                    request, "web/contribute.html", context, status=_form_error_status(error)
                )
            messages.success(
                request, _("Thank you. Your contribution is public; maintainers will review it.")
            )
            return redirect("web:contribution_detail", pk=contribution.pk)
        return render(request, "web/contribute.html", context, status=422)
    return render(request, "web/contribute.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def fork(request: HttpRequest, slug: str) -> HttpResponse:
    parent = selectors.commons_get(slug)
    form = forms.ForkForm(request.POST or None)
    context = {"commons": parent, "form": form}
    if request.method == "POST":
        if form.is_valid():
            try:
                child = services.commons_fork(
                    actor=_actor(request),
                    parent=parent,
                    slug=form.cleaned_data["slug"],
                    title=form.cleaned_data["title"] or None,
                )
            except (Invalid, Conflict) as error:
                forms.apply_errors(form, error)
                return render(request, "web/fork.html", context, status=_form_error_status(error))
            messages.success(request, _("Forked. The fork credits its parent."))
            return redirect("web:commons_detail", slug=child.slug)
        return render(request, "web/fork.html", context, status=422)
    return render(request, "web/fork.html", context)


def _require_maintainer_page(request: HttpRequest, commons: Commons) -> None:
    """Only to decide whether to show a maintainer's form; the service checks again."""
    if not selectors.is_maintainer(_actor(request), commons):
        raise Forbidden(_("Only maintainers of this commons can do this."))


def _require_treasurer_page(request: HttpRequest, commons: Commons) -> None:
    """Answer 403 before a form's own errors; the service checks again."""
    if not ledger_selectors.is_treasurer(_actor(request), commons):
        raise Forbidden(_("Only treasurers of this commons can do this."))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def maintainer_add(request: HttpRequest, slug: str) -> HttpResponse:
    commons = selectors.commons_get(slug)
    form = forms.MaintainerForm(request.POST or None)
    context = {"commons": commons, "form": form}
    if request.method == "POST":
        if form.is_valid():
            try:
                agent = accounts_selectors.agent_get(form.cleaned_data["username"])
                services.maintainer_add(actor=_actor(request), commons=commons, agent=agent)
            except NotFound:
                form.add_error("username", _("Nobody has this username."))
                return render(request, "web/maintainer_add.html", context, status=422)
            except (Invalid, Conflict) as error:
                forms.apply_errors(form, error)
                return render(
                    request, "web/maintainer_add.html", context, status=_form_error_status(error)
                )
            messages.success(
                request, _("%(name)s now maintains this commons.") % {"name": agent.name}
            )
            return redirect("web:commons_detail", slug=commons.slug)
        return render(request, "web/maintainer_add.html", context, status=422)
    _require_maintainer_page(request, commons)
    return render(request, "web/maintainer_add.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def commons_settings(request: HttpRequest, slug: str) -> HttpResponse:
    commons = selectors.commons_get(slug)
    form = forms.SettingsForm(
        request.POST or None, initial={"approvals_required": commons.approvals_required}
    )
    context = {"commons": commons, "form": form}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.settings_update(
                    actor=_actor(request),
                    commons=commons,
                    approvals_required=form.cleaned_data["approvals_required"],
                )
            except (Invalid, Conflict) as error:
                forms.apply_errors(form, error)
                return render(
                    request, "web/settings.html", context, status=_form_error_status(error)
                )
            messages.success(request, _("Settings saved."))
            return redirect("web:commons_detail", slug=commons.slug)
        return render(request, "web/settings.html", context, status=422)
    _require_maintainer_page(request, commons)
    return render(request, "web/settings.html", context)


# --- the public log ----------------------------------------------------------------------------


def _older_link(request: HttpRequest, cursor: str | None) -> str | None:
    if not cursor:
        return None
    query = request.GET.copy()
    query["next"] = cursor
    return f"?{query.urlencode()}"


@require_GET
@domain_errors
def commons_events(request: HttpRequest, slug: str) -> HttpResponse:
    commons = selectors.commons_get(slug)
    page = core_selectors.commons_events(
        commons.slug, cursor=request.GET.get("next"), limit=EVENTS_PAGE_SIZE
    )
    context = {"commons": commons, "events": page.items, "older": _older_link(request, page.next)}
    return render(request, "web/events.html", context)


@require_GET
@domain_errors
def events(request: HttpRequest) -> HttpResponse:
    page = core_selectors.event_list(cursor=request.GET.get("next"), limit=EVENTS_PAGE_SIZE)
    context = {"commons": None, "events": page.items, "older": _older_link(request, page.next)}
    return render(request, "web/events.html", context)


@require_GET
def events_verify(request: HttpRequest) -> HttpResponse:
    # Reused while no stream changes (up to a minute): a public page must not let anyone make
    # the server recompute every chain at will. `communs log verify` always recomputes.
    result = eventlog.verify_cached()
    return render(request, "web/events_verify.html", {"result": result}, status=200)


# --- contributions and review ------------------------------------------------------------------


def _contribution_context(
    request: HttpRequest,
    contribution: Contribution,
    *,
    accept_form: django_forms.Form | None = None,
    reject_form: django_forms.Form | None = None,
    withdraw_error: str | None = None,
) -> dict[str, Any]:
    viewer = _viewer(request)
    return {
        "contribution": contribution,
        "commons": contribution.commons,
        "approvals": selectors.approvals_of(contribution),
        "can_review": selectors.can_review(viewer, contribution),
        "can_withdraw": selectors.can_withdraw(viewer, contribution),
        "accept_form": accept_form or forms.AcceptForm(),
        "reject_form": reject_form or forms.RejectForm(),
        "withdraw_error": withdraw_error,
    }


@require_GET
@domain_errors
def contribution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = selectors.contribution_get(pk)
    return render(
        request, "web/contribution_detail.html", _contribution_context(request, contribution)
    )


def _decided(
    request: HttpRequest,
    contribution: Contribution,
    *,
    form: django_forms.Form,
    which: str,
    do: Callable[[Agent, Contribution], Contribution],
    done: str,
) -> HttpResponse:
    """Shared ending of accept / reject / withdraw: answer the row (htmx) or the page."""
    status = 200
    outcome = None
    if form.is_valid():
        try:
            contribution = do(_actor(request), contribution)
        except (Invalid, Conflict, Forbidden) as error:
            forms.apply_errors(form, error)
            status = error.status
        else:
            outcome = done
    else:
        status = 422
    if _is_htmx(request):
        return render(
            request,
            "web/_review_row.html",
            {
                "c": contribution,
                "outcome": outcome,
                "error_form": form if status != 200 else None,
                "accept_form": form if which == "accept" else forms.AcceptForm(),
                "reject_form": form if which == "reject" else forms.RejectForm(),
                "next": reverse("web:review_queue"),
            },
            status=status,
        )
    if outcome is not None:
        messages.success(request, outcome)
        return HttpResponseRedirect(
            _safe_next(request, reverse("web:contribution_detail", args=[contribution.pk]))
        )
    if status == 403:
        return _error_page(request, Forbidden(" ".join(str(e) for e in form.non_field_errors())))
    kwargs: dict[str, Any] = {}
    if which == "withdraw":
        kwargs["withdraw_error"] = " ".join(str(e) for e in form.non_field_errors())
    else:
        kwargs[f"{which}_form"] = form
    return render(
        request,
        "web/contribution_detail.html",
        _contribution_context(request, contribution, **kwargs),
        status=status,
    )


@login_required
@require_POST
@domain_errors
def contribution_accept(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = selectors.contribution_get(pk)
    form = forms.AcceptForm(request.POST)

    def do(actor: Agent, row: Contribution) -> Contribution:
        return services.contribution_accept(
            actor=actor, contribution=row, note=form.cleaned_data["note"]
        )

    return _decided(request, contribution, form=form, which="accept", do=do, done=_("Approved."))


@login_required
@require_POST
@domain_errors
def contribution_reject(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = selectors.contribution_get(pk)
    form = forms.RejectForm(request.POST)

    def do(actor: Agent, row: Contribution) -> Contribution:
        return services.contribution_reject(
            actor=actor, contribution=row, reason=form.cleaned_data["reason"]
        )

    return _decided(request, contribution, form=form, which="reject", do=do, done=_("Rejected."))


@login_required
@require_POST
@domain_errors
def contribution_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = selectors.contribution_get(pk)

    def do(actor: Agent, row: Contribution) -> Contribution:
        return services.contribution_withdraw(actor=actor, contribution=row)

    return _decided(
        request,
        contribution,
        form=django_forms.Form(request.POST),
        which="withdraw",
        do=do,
        done=_("Withdrawn."),
    )


@login_required
@require_GET
@domain_errors
def review_queue(request: HttpRequest) -> HttpResponse:
    queue = selectors.review_queue(_actor(request))
    context = {
        "queue": queue,
        "accept_form": forms.AcceptForm(),
        "reject_form": forms.RejectForm(),
        "next": request.path,
    }
    return render(request, "web/review_queue.html", context)


# --- agents ------------------------------------------------------------------------------------


@require_GET
@domain_errors
def agent_detail(request: HttpRequest, name: str) -> HttpResponse:
    agent = accounts_selectors.agent_get(name)
    page = selectors.contributions_by(
        agent, cursor=request.GET.get("next"), limit=CONTRIBUTIONS_PAGE_SIZE
    )
    context: dict[str, Any] = {
        "agent": agent,
        "contributions": page.items,
        "older": _older_link(request, page.next),
    }
    if agent.is_organisation:
        # Imported here: the licence pages build on this module.
        from .licence_views import legal_facts

        context["members"] = accounts_selectors.members_of(agent)
        context.update(legal_facts(request, agent))
    else:
        context["organisations"] = accounts_selectors.organisations_of(agent)
        context["maintains"] = selectors.maintained_by(agent)
    return render(request, "web/agent_detail.html", context)
