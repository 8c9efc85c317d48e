"""Forms of the web interface. They only parse what a person typed; the rules live in the
services, whose errors `apply_errors` puts back on the form, next to the field they are about."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from communs.accounts.models import Agent
from communs.domain.commons import MAX_APPROVALS, Kind, OrganisationKind
from communs.domain.contributions import ALL_UNITS, Action, Status, Stream
from communs.domain.errors import DomainError

# Translated labels for the codes the domain uses. The codes themselves stay the same in every
# language (the API and the log use them).
KIND_LABELS: dict[str, Any] = {
    Kind.SOFTWARE: _("software"),
    Kind.DESIGN: _("design"),
    Kind.KNOWLEDGE: _("knowledge"),
    Kind.DATASET: _("dataset"),
    Kind.PHYSICAL_POOL: _("physical pool"),
}
ACTION_LABELS: dict[str, Any] = {
    Action.WORK: _("work"),
    Action.PRODUCE: _("produce"),
    Action.DELIVER_SERVICE: _("deliver a service"),
    Action.CITE: _("cite"),
    Action.USE: _("use"),
    Action.TRANSFER: _("transfer"),
}
STREAM_LABELS: dict[str, Any] = {
    Stream.LIVELIHOOD: _("livelihood"),
    Stream.PRO_BONO: _("pro bono"),
    Stream.CARE: _("care"),
}
STATUS_LABELS: dict[str, Any] = {
    Status.SUBMITTED: _("submitted"),
    Status.ACCEPTED: _("accepted"),
    Status.REJECTED: _("rejected"),
    Status.WITHDRAWN: _("withdrawn"),
}
UNIT_LABELS: dict[str, Any] = {
    "citation": _("citation"),
    "commit": _("commit"),
    "day": _("day"),
    "design": pgettext_lazy("unit", "design"),
    "file": _("file"),
    "hour": _("hour"),
    "item": _("item"),
    "kg": _("kg"),
    "line": _("line"),
    "page": _("page"),
    "session": _("session"),
    "use": pgettext_lazy("unit", "use"),
}
ORGANISATION_KIND_LABELS: dict[str, Any] = {
    OrganisationKind.WORKER_COOP: _("worker cooperative"),
    OrganisationKind.COOPERATIVE: _("cooperative"),
    OrganisationKind.NONPROFIT: _("nonprofit"),
    OrganisationKind.PUBLIC_BODY: _("public body"),
    OrganisationKind.FOR_PROFIT: _("for-profit company"),
    OrganisationKind.SOLE_TRADER: _("sole trader"),
    OrganisationKind.INFORMAL_GROUP: _("informal group"),
}
# Codes can mean different things by category ("use" is an action and a unit), so labels are
# looked up per category.
LABELS: dict[str, dict[str, Any]] = {
    "org_kind": ORGANISATION_KIND_LABELS,
    "kind": KIND_LABELS,
    "action": ACTION_LABELS,
    "stream": STREAM_LABELS,
    "status": STATUS_LABELS,
    "unit": UNIT_LABELS,
}


def apply_errors(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's refusal on the form: each message under its field, the rest on top."""
    if not error.errors:
        form.add_error(None, gettext(error.detail))
        return
    for field, messages in error.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, gettext(message))


class SignupForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=40,
        help_text=_("Lowercase letters, digits, '-' and '_'. It is your public name."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=200, required=False)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password"), data.get("password_again")
        if first and second and first != second:
            self.add_error("password_again", gettext("The two passwords differ."))
        return data


class TokenForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, such as 'laptop' or 'backup script'."),
    )


class CommonsForm(forms.Form):
    slug = forms.CharField(
        label=_("Slug"),
        max_length=50,
        help_text=_("The short name in its address: lowercase letters, digits and hyphens."),
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=500, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=list(KIND_LABELS.items()))
    licence = forms.CharField(
        label=_("Licence"),
        max_length=64,
        required=False,
        help_text=_("An identifier such as MIT, CC-BY-SA-4.0 or PPL-1.0."),
    )


class ForkForm(forms.Form):
    slug = forms.CharField(
        label=_("Slug of the fork"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to keep the title of the original."),
    )


class MaintainerForm(forms.Form):
    username = forms.CharField(
        label=_("Username of the new maintainer"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )


class SettingsForm(forms.Form):
    approvals_required = forms.IntegerField(
        label=_("Approvals required"),
        min_value=1,
        max_value=MAX_APPROVALS,
        help_text=_("How many maintainers must approve a contribution before it is accepted."),
    )


class ContributionForm(forms.Form):
    action = forms.ChoiceField(label=_("What you did"), choices=list(ACTION_LABELS.items()))
    # Parsed by the domain (it knows the limits); a comma is accepted as the decimal mark.
    quantity = forms.CharField(
        label=_("Quantity"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    unit = forms.ChoiceField(
        label=_("Unit"),
        required=False,
        choices=[("", _("the usual unit of this action"))]
        + [(u, UNIT_LABELS.get(u, u)) for u in ALL_UNITS],
    )
    description = forms.CharField(
        label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence_url = forms.CharField(
        label=_("Evidence (web address)"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    occurred_at = forms.DateTimeField(
        label=_("When (UTC)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    stream = forms.ChoiceField(
        label=_("Value stream"), choices=list(STREAM_LABELS.items()), initial=Stream.LIVELIHOOD
    )
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"),
        queryset=Agent.objects.none(),
        required=False,
        to_field_name="name",
        empty_label=_("myself only"),
    )

    def __init__(self, *args: Any, organisations: QuerySet[Agent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = organisations

    def clean_quantity(self) -> str:
        return str(self.cleaned_data["quantity"]).strip().replace(",", ".")


class AcceptForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(),
    )


class RejectForm(forms.Form):
    # The service requires the reason and says why; the browser asks for it first.
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"required": True}),
    )


class ContributionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("any status")), *STATUS_LABELS.items()],
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("any action")), *ACTION_LABELS.items()],
    )
    contributor = forms.CharField(label=_("Contributor"), max_length=40, required=False)
    next = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput())


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("any kind")), *KIND_LABELS.items()]
    )
