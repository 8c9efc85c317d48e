"""Pages about identities met in imported histories: claiming the commits made under one's own
email address, and a commons' map of who pays for the work done from which email domains.

Same shape as `views`: parse a form, call one service or selector, render. A claim is requested
by an operator (`communs claim request`), who sends the token to the address: the token proves
its owner reads that mail, so it is never shown to the requester here. The page confirms it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from communs.accounts import selectors as accounts_selectors
from communs.commons import selectors as commons_selectors
from communs.commons.models import Commons
from communs.domain import githistory as gh
from communs.domain.errors import DomainError, Forbidden, NotFound
from communs.history import selectors, services
from communs.history.models import Affiliation

from .forms import apply_errors
from .views import _actor, _viewer, domain_errors

KIND_LABELS: dict[str, Any] = {
    Affiliation.Kind.PAID: gettext_lazy("paid (made for an organisation)"),
    Affiliation.Kind.VOLUNTEER: gettext_lazy("volunteer (on their own account)"),
}
# The services' fixed refusals, listed so the catalogue keeps them and `apply_errors` shows
# them in the visitor's language (see `domain_messages`).
MESSAGES = (
    gettext_noop("Enter the token you were given."),
    gettext_noop("This token is not valid."),
    gettext_noop("This token was given to someone else."),
    gettext_noop("This token was already used."),
    gettext_noop("This token has expired: ask for a new one."),
    gettext_noop("This address is already yours."),
    gettext_noop("This address belongs to an account: it cannot be claimed."),
    gettext_noop("Only a person with an account can claim identities."),
    gettext_noop("Enter a domain, such as example.org."),
    gettext_noop("Enter a domain such as example.org (an international name in its xn-- form)."),
    gettext_noop("Enter an email address, such as ada@example.org."),
    gettext_noop("Choose paid or volunteer."),
    gettext_noop("Name the organisation that pays for this work."),
    gettext_noop("Volunteer work is paid by no organisation: leave it empty."),
    gettext_noop("The period ends before it starts."),
)


def _status(error: DomainError) -> int:
    """A refusal shown on its form keeps its own status (403, 409, 422)."""
    return error.status if error.status in (403, 409) else 422


# --- claims ------------------------------------------------------------------------------------


class ClaimForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Token"),
        max_length=200,
        help_text=gettext_lazy("The token sent to the email address you claim."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def claim(request: HttpRequest) -> HttpResponse:
    me = _actor(request)
    form = ClaimForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = services.claim_confirm(claimant=me, token=form.cleaned_data["token"])
            except DomainError as error:
                apply_errors(form, error)
                status = _status(error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(email)s is yours: %(count)d contribution came with it.",
                        "%(email)s is yours: %(count)d contributions came with it.",
                        result.contributions,
                    )
                    % {"email": result.email, "count": result.contributions},
                )
                return redirect("web:claim")
        else:
            status = 422
    context = {
        "form": form,
        "aliases": selectors.aliases_of(me, viewer=me),
        "pending": selectors.pending_claims(me),
    }
    return render(request, "web/history/claim.html", context, status=status)


# --- affiliations ------------------------------------------------------------------------------


class AffiliationForm(forms.Form):
    domain = forms.CharField(
        label=gettext_lazy("Email domain"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Such as example.org; it also covers its subdomains."),
    )
    email = forms.CharField(
        label=gettext_lazy("Only this address"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Optional: one person's address (the domain is then its own)."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Who pays"), choices=list(KIND_LABELS.items()))
    organisation = forms.CharField(
        label=gettext_lazy("Organisation"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For paid work: the organisation's name on Communs."),
    )
    since = forms.DateField(
        label=gettext_lazy("Valid from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Optional: the first day the rule holds."),
    )
    until = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Optional: the last day it holds."),
    )


def _affiliations_page(
    request: HttpRequest, commons: Commons, form: AffiliationForm | None, status: int = 200
) -> HttpResponse:
    viewer = _viewer(request)
    can_edit = selectors.can_edit_affiliations(viewer, commons)
    context = {
        "commons": commons,
        "entries": selectors.affiliation_entries(commons, viewer=viewer),
        "can_edit": can_edit,
        "form": (form or AffiliationForm()) if can_edit else None,
        "free_mail": sorted(gh.FREE_MAIL),
        "noreply": gh.NOREPLY,
    }
    return render(request, "web/history/affiliations.html", context, status=status)


@require_http_methods(["GET", "POST"])
@domain_errors
def affiliations(request: HttpRequest, slug: str) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    if request.method == "GET":
        return _affiliations_page(request, commons, None)
    actor = _actor(request)  # NotAuthenticated: to the login page
    if not selectors.can_edit_affiliations(actor, commons):  # before the form's own errors
        raise Forbidden(_("Only maintainers of this commons can do this."))
    form = AffiliationForm(request.POST)
    if not form.is_valid():
        return _affiliations_page(request, commons, form, 422)
    data = form.cleaned_data
    organisation = None
    if data["organisation"].strip():
        try:
            organisation = accounts_selectors.agent_get(data["organisation"].strip())
        except NotFound:
            form.add_error("organisation", _("No organisation has this name."))
            return _affiliations_page(request, commons, form, 422)
    try:
        row, created = services.affiliation_set(
            actor=actor,
            commons=commons,
            domain=data["domain"],
            kind=data["kind"],
            organisation=organisation,
            email=data["email"],
            since=data["since"],
            until=data["until"],
        )
    except DomainError as error:
        apply_errors(form, error)
        return _affiliations_page(request, commons, form, _status(error))
    if created:
        messages.success(request, _("Rule added for %(domain)s.") % {"domain": row.domain})
    else:
        messages.success(request, _("Rule replaced for %(domain)s.") % {"domain": row.domain})
    return redirect("web:affiliations", slug=commons.slug)


@login_required
@require_POST
@domain_errors
def affiliation_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    commons = commons_selectors.commons_get(slug)
    row = selectors.affiliation_get(commons, pk)
    services.affiliation_remove(actor=_actor(request), affiliation=row)
    messages.success(request, _("Rule removed for %(domain)s.") % {"domain": row.domain})
    return redirect("web:affiliations", slug=commons.slug)
