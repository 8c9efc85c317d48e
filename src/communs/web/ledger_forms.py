"""Forms and labels of the ledger pages. Like `forms`, they only parse what a person typed: the
amounts, currencies and equations are checked by the services (and `domain`), whose refusals
`forms.apply_errors` puts back on the form."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from communs.domain.money import CURRENCIES

# Translated labels for the ledger's codes (looked up by the `label` filter, per category).
INCOME_KIND_LABELS: dict[str, Any] = {
    "donation": _("donation"),
    "sponsorship": _("sponsorship"),
    "licence_fee": _("licence fee"),
    "grant": _("grant"),
    "sale": _("sale"),
    "upstream": _("share from a citing commons"),
}
EXPENSE_STATUS_LABELS: dict[str, Any] = {
    "pending": _("pending"),
    "approved": _("approved"),
    "paid": _("paid"),
    "rejected": _("rejected"),
}
TARGET_LABELS: dict[str, Any] = {
    "agent": _("a fixed agent"),
    "upstream": _("cited upstream commons, by citation weight"),
    "contributors": _("contributors, by the value of their accepted contributions"),
}
POLICY_LABELS: dict[str, Any] = {
    "immediate": _("immediate: value in a look-back window"),
    "balanced": _("balanced: lifetime value minus what was already paid"),
}
CLAIM_LABELS: dict[str, Any] = {
    "equity": _("equity-like (counts in every distribution)"),
    "debt": _("debt-like (counts until paid)"),
    "once": _("once (the first distribution after acceptance)"),
}
OF_LABELS: dict[str, Any] = {
    "whole": _("of the whole income"),
    "remaining": _("of what remains"),
}
LEDGER_LABELS: dict[str, dict[str, Any]] = {
    "income_kind": INCOME_KIND_LABELS,
    "expense_status": EXPENSE_STATUS_LABELS,
    "target": TARGET_LABELS,
    "policy": POLICY_LABELS,
    "claim": CLAIM_LABELS,
    "of": OF_LABELS,
}
RECORDABLE_KINDS = [(k, v) for k, v in INCOME_KIND_LABELS.items() if k != "upstream"]
CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCIES)]


def _amount_field() -> forms.CharField:
    # Parsed by the domain (it knows each currency's decimals); a comma is taken as the mark.
    return forms.CharField(
        label=_("Amount"),
        max_length=40,
        help_text=_("In the currency's units, such as 120 or 52.50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def _clean_amount(form: forms.Form) -> str:
    return str(form.cleaned_data["amount"]).strip().replace(",", ".")


class IncomeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RECORDABLE_KINDS)
    amount = _amount_field()
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="EUR")
    memo = forms.CharField(label=_("Memo"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is the name the service gives its errors (and a Python keyword).
        self.fields["from"] = forms.CharField(
            label=_("From"),
            max_length=200,
            required=False,
            help_text=_("The payer: a username or organisation here, or any name."),
        )
        self.order_fields(["kind", "amount", "currency", "from", "memo"])

    def clean_amount(self) -> str:
        return _clean_amount(self)


class TreasurerForm(forms.Form):
    username = forms.CharField(
        label=_("Username or organisation name"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )


class ExpenseForm(forms.Form):
    amount = _amount_field()
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="EUR")
    description = forms.CharField(
        label=_("What it paid for"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence_url = forms.CharField(
        label=_("Evidence (web address)"),
        max_length=500,
        required=False,
        help_text=_("An invoice or a receipt, for instance."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    working_group = forms.ChoiceField(
        label=_("Charge it to a working group"),
        required=False,
        help_text=_("One of yours: its spending cap limits what is approved."),
    )

    def __init__(self, *args: Any, groups: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if groups:
            self.fields["working_group"].choices = [("", "—"), *((g, g) for g in groups)]  # type: ignore[attr-defined]
        else:
            del self.fields["working_group"]

    def clean_amount(self) -> str:
        return _clean_amount(self)


class ExpenseRejectForm(forms.Form):
    # The service requires the reason and says why; the browser asks for it first.
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"required": True}),
    )


class EquationForm(forms.Form):
    definition = forms.CharField(
        label=_("Value equation (JSON)"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
    )
    last = forms.IntegerField(
        label=_("Distributions to compare"),
        min_value=1,
        max_value=20,
        initial=5,
        help_text=_("The preview replays this many of the latest distributions."),
    )

    def clean_definition(self) -> Any:
        """The parsed JSON (the equation itself is checked by the domain)."""
        text = self.cleaned_data["definition"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                gettext("This is not valid JSON (line %(line)s, column %(column)s): %(msg)s.")
                % {"line": error.lineno, "column": error.colno, "msg": error.msg}
            ) from None
        except RecursionError:
            raise forms.ValidationError(gettext("This JSON is nested too deeply.")) from None


def pretty(definition: object) -> str:
    """An equation as the textarea shows it."""
    return json.dumps(definition, indent=2, ensure_ascii=False)
