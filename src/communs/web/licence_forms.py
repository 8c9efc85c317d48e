"""Forms and labels of the licence pages. Like `forms`, they only parse what a person typed: the
profiles, parameters, legal facts and fees are checked by the services (and `domain`), whose
refusals are put back on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communs.accounts.models import Agent
from communs.domain import licences
from communs.domain.licences import Outcome

from .forms import ORGANISATION_KIND_LABELS
from .ledger_forms import CURRENCY_CHOICES, _amount_field, _clean_amount

# Translated labels for the engine's codes; the codes stay the same in every language (the API
# and the public log use them).
OUTCOME_LABELS: dict[str, Any] = {
    Outcome.PERMITTED: _("Permitted"),
    Outcome.RECIPROCITY_REQUIRED: _("Reciprocity required"),
    Outcome.REVIEW: _("Needs review"),
    Outcome.SEPARATE_LICENSE_REQUIRED: _("Separate licence required"),
    Outcome.PROHIBITED: _("Prohibited"),
}
PERMISSION_LABELS: dict[str, Any] = {
    "commercial_use": _("Commercial use"),
    "modification": _("Modification"),
    "distribution": _("Distribution"),
}
PERMISSION_VALUE_LABELS: dict[str, Any] = {
    "yes": _("yes"),
    "no": _("no"),
    "conditional": _("on conditions (see the rules)"),
}
OBLIGATION_LABELS: dict[str, Any] = {
    "attribution": _("Attribution"),
    "share_alike": _("Share alike"),
    "change_notice": _("Notice of changes"),
    "no_drm": _("No DRM"),
    "source": _("Source code"),
    "network_source": _("Source for network users"),
}
# The facts a rule can ask about, and the values they take (see `licences.Facts.values`).
FACT_LABELS: dict[str, Any] = {
    "asker": _("who asks"),
    "use": _("use"),
    "distributes": _("distributes or performs in public"),
    "contributed": _("has contributed enough lately"),
    "granted": _("holds a valid licence grant"),
    "worker_owned": _("worker-owned"),
    "gains_to_workers": _("all gains to the worker-owners"),
    "sse": _("social-and-solidarity-economy status"),
    "employs_workers": _("employs its workers"),
}
FACT_VALUE_LABELS: dict[str, Any] = {
    licences.PERSON: _("a person"),
    **ORGANISATION_KIND_LABELS,
    "commercial": _("commercial"),
    "non_commercial": _("non-commercial"),
    "yes": _("yes"),
    "no": _("no"),
    licences.Evidence.VERIFIED: _("verified"),
    licences.Evidence.DECLARED: _("declared, not verified"),
}
GRANT_STATUS_LABELS: dict[str, Any] = {
    "valid": _("valid"),
    "expired": _("expired"),
    "revoked": _("revoked"),
    "not_yet_valid": _("not yet valid"),
}
FEE_KIND_CHOICES = [
    ("flat", _("a flat amount per year")),
    ("percent", _("a percentage of declared yearly revenue")),
]
YES_NO = [("no", _("No")), ("yes", _("Yes"))]


def _profile_choices() -> list[tuple[str, str]]:
    return [
        (key, f"{key} · {gettext(profile.title)}") for key, profile in licences.PROFILES.items()
    ]


def _yes_no(label: Any, help_text: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class ProfileForm(forms.Form):
    """A maintainer's choice of licence profile. CopyFair's parameters are only read for
    CopyFair; empty ones take their defaults."""

    profile = forms.ChoiceField(label=_("Licence profile"), choices=_profile_choices)
    threshold = forms.IntegerField(
        label=_("Contributions that count as contributing"),
        required=False,
        help_text=_("CopyFair only: accepted contributions needed within the window."),
    )
    window_days = forms.IntegerField(
        label=_("Window (days)"),
        required=False,
        help_text=_("CopyFair only: how far back contributions count."),
    )
    fee_kind = forms.ChoiceField(
        label=_("Fee of non-contributing commercial users"),
        choices=FEE_KIND_CHOICES,
        required=False,
        help_text=_("CopyFair only."),
    )
    fee = forms.CharField(
        label=_("Fee"),
        max_length=40,
        required=False,
        help_text=_("CopyFair only: an amount per year (such as 500.00) or a percentage (2.5)."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = forms.ChoiceField(
        label=_("Currency"), choices=CURRENCY_CHOICES, required=False, help_text=_("CopyFair only.")
    )

    def parameters(self) -> dict[str, Any] | None:
        """What the service is given: None for profiles without parameters."""
        profile = licences.PROFILES[self.cleaned_data["profile"]]
        if not profile.parametric:
            return None
        given = {
            name: self.cleaned_data.get(name)
            for name in licences.COPYFAIR_DEFAULTS
            if self.cleaned_data.get(name) not in (None, "")
        }
        if "fee" in given:  # a comma is taken as the decimal mark
            given["fee"] = str(given["fee"]).strip().replace(",", ".")
        return given


class AskForm(forms.Form):
    """Asking "Can I use this?", as oneself or for one of one's organisations."""

    organisation = forms.ModelChoiceField(
        label=_("Asking for"),
        queryset=Agent.objects.none(),
        required=False,
        to_field_name="name",
        empty_label=_("myself"),
    )
    commercial = _yes_no(
        _("Is the use commercial?"),
        _("Selling it or services built on it, or using it in a business that seeks profit."),
    )
    distributes = _yes_no(
        _("Will you distribute it or perform it in public?"),
        _("Passing copies or adaptations on, or showing it to the public: this decides the "
          "obligations that come with the answer."),
    )  # fmt: skip
    declared_revenue = forms.CharField(
        label=_("Declared yearly revenue"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Agent],
        revenue_currency: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = organisations
        if revenue_currency is None:  # only a percentage fee is computed from revenue
            del self.fields["declared_revenue"]
        else:
            self.fields["declared_revenue"].help_text = _(
                "In %(currency)s. The fee is a percentage of it; leave it empty if the use is "
                "not commercial."
            ) % {"currency": revenue_currency}

    def clean_declared_revenue(self) -> str:
        return str(self.cleaned_data["declared_revenue"]).strip().replace(",", ".")


class GrantForm(forms.Form):
    """A treasurer records a paid licence fee; the grant it buys follows."""

    grantee = forms.CharField(
        label=_("Who paid (username or organisation name)"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )
    amount = _amount_field()
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="EUR")
    memo = forms.CharField(label=_("Memo"), max_length=500, required=False)

    def clean_amount(self) -> str:
        return _clean_amount(self)


class RevokeForm(forms.Form):
    # The service requires the reason and says why; the browser asks for it first.
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        help_text=_("Public, such as a cancelled payment."),
        widget=forms.TextInput(attrs={"required": True}),
    )


class EvidenceForm(forms.Form):
    """An organisation's legal facts, as its admin declares them."""

    legal_form = forms.CharField(
        label=_("Legal form"),
        max_length=200,
        required=False,
        help_text=_("Such as SCOP SA, Genossenschaft, association loi 1901."),
    )
    worker_owned = forms.BooleanField(required=False)
    gains_to_workers = forms.BooleanField(required=False)
    sse = forms.BooleanField(required=False)
    employs_workers = forms.BooleanField(required=False)
    statutes_url = forms.CharField(
        label=_("Statutes (web address)"),
        max_length=500,
        required=False,
        help_text=_("Where a verifier can read them."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, words in licences.EVIDENCE_FACTS.items():
            self.fields[name].label = FACT_LABELS[name]
            self.fields[name].help_text = gettext(words)  # listed in `domain_messages`
        self.order_fields(["legal_form", *licences.EVIDENCE_FACTS, "statutes_url"])

    def facts(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in licences.EVIDENCE_FACTS}


class VerifyForm(forms.Form):
    """Which capacity a verifier acts in: maintainer of one commons (`commons:<slug>`) or admin
    of a for-benefit association (`association:<name>`)."""

    scope = forms.ChoiceField(label=_("Verify as"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["scope"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101
        field.choices = choices
