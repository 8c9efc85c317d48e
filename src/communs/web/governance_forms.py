"""Forms and labels of the governance pages. Like `forms`, they only parse what a person typed:
a proposal's change is put together here from the fields of its type, and checked by the
services (and `domain`), whose refusals are put back next to the field they are about."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from communs.domain import rulebook as rulebooks
from communs.domain.contributions import MAX_DESCRIPTION
from communs.domain.errors import DomainError
from communs.domain.governance import Method, Position
from communs.domain.rulebook import Power, Who

from .ledger_forms import CURRENCY_CHOICES

# Translated labels for the codes of governance; the codes stay the same in every language (the
# API, the CLI and the public log use them).
METHOD_LABELS: dict[str, Any] = {
    Method.CONSENT: _("consent"),
    Method.CONSENSUS: _("consensus"),
    Method.MAJORITY: _("majority"),
    Method.SUPERMAJORITY: _("supermajority"),
    Method.LAZY_CONSENSUS: _("lazy consensus"),
}
POSITION_LABELS: dict[str, Any] = {
    Position.AGREE: _("agree"),
    Position.OBJECT: _("object"),
    Position.BLOCK: _("block"),
    Position.STAND_ASIDE: _("stand aside"),
    Position.YES: _("yes"),
    Position.NO: _("no"),
    Position.ABSTAIN: _("abstain"),
}
# The order a vote form offers them in: assent first, then the ways of not assenting.
POSITION_ORDER = [str(p) for p in POSITION_LABELS]
PROPOSAL_STATUS_LABELS: dict[str, Any] = {
    "open": _("open"),
    "passed": _("passed"),
    "failed": _("failed"),
    "withdrawn": _("withdrawn"),
}
CHANGE_LABELS: dict[str, Any] = {
    Power.AMEND_RULEBOOK: _("Amend the rulebook"),
    Power.ADOPT_EQUATION: _("Adopt a value equation"),
    Power.CHANGE_LICENCE: _("Change the licence"),
    Power.ADD_MAINTAINER: _("Add a maintainer"),
    Power.REMOVE_MAINTAINER: _("Remove a maintainer"),
    Power.APPROVE_EXPENSE: _("Approve an expense"),
    Power.SET_APPROVALS: _("Set the approvals a contribution needs"),
    Power.CREATE_WORKING_GROUP: _("Create a working group"),
    Power.CLOSE_WORKING_GROUP: _("Close a working group"),
}
WHO_LABELS: dict[str, Any] = {
    Who.ANYONE: _("anyone with an account"),
    Who.CONTRIBUTORS: _("maintainers and people with recent accepted contributions"),
    Who.MAINTAINERS: _("maintainers"),
}
GOVERNANCE_LABELS: dict[str, dict[str, Any]] = {
    "method": METHOD_LABELS,
    "position": POSITION_LABELS,
    "proposal_status": PROPOSAL_STATUS_LABELS,
    "change": CHANGE_LABELS,
    "who": WHO_LABELS,
}

# What each rule means (`rulebook.DESCRIPTIONS`), listed so the catalogue translates them; a
# test keeps this list and the rulebook's in step.
RULE_DESCRIPTIONS = (
    gettext_noop("Decision methods a proposal may use"),
    gettext_noop("Method a proposal uses when it names none"),
    gettext_noop("Voting period, in hours"),
    gettext_noop("Lazy consensus period, in hours"),
    gettext_noop("Quorum for majority votes, share of those eligible"),
    gettext_noop("Supermajority threshold"),
    gettext_noop("Modified consensus threshold (second round)"),
    gettext_noop("May the second round's threshold override a block?"),
    gettext_noop("Blocks one person may cast per period (empty: no limit)"),
    gettext_noop("Length of that period, in days"),
    gettext_noop("Who may open a proposal"),
    gettext_noop("Who may vote"),
    gettext_noop("Contributions count toward eligibility for this many days"),
    gettext_noop("Accepted contributions needed in that window"),
    gettext_noop("Maintainer approvals a contribution needs"),
    gettext_noop("Accepted contributions for a maintainer nomination"),
    gettext_noop("Over at least this many days"),
    gettext_noop("A maintainer inactive this many days becomes emeritus"),
    gettext_noop("Changes maintainers may make without a proposal"),
    gettext_noop("Value equation version in force"),
    gettext_noop("Licence profile version in force"),
)

# The fixed messages of the decision methods and of the governance services, listed so the
# pages show them in the visitor's language (messages with names or numbers in them appear as
# the rules wrote them).
GOVERNANCE_MESSAGES = (
    gettext_noop("The period is still running."),
    gettext_noop("Unanimity is sought; the round is still open."),
    gettext_noop("Everyone agreed or stood aside."),
    gettext_noop("Everyone who voted agreed or stood aside."),
    gettext_noop("The second round is still open."),
    gettext_noop("The vote is still open."),
    gettext_noop("The period ended with no objection."),
    gettext_noop("The period ended with no unresolved objection."),
    gettext_noop(
        "The first round ended without unanimity (a block stands); it may go to a second round."
    ),
    gettext_noop(
        "The first round ended without unanimity (nobody agreed); it may go to a second round."
    ),
    gettext_noop("Say why: an objection always carries a reason."),
    gettext_noop("Say why: a block always carries a reason."),
    gettext_noop("You have already voted in this round."),
    gettext_noop("You have no standing objection or block on this proposal."),
    gettext_noop("Only the proposer can do this."),
    gettext_noop("Only a consensus proposal whose first round failed goes on."),
    gettext_noop("Only a consent proposal is amended in its round."),
    gettext_noop("This proposal carries no change to amend."),
    gettext_noop("An amendment keeps the type of change."),
    gettext_noop("This field is required."),
    gettext_noop("A review date lies in the future."),
    gettext_noop("A change is an object with a 'type'."),
    gettext_noop("Name the rules to change and their new values."),
    gettext_noop("Name at least one rule to change, with its new value."),
    gettext_noop("These values are the rules already in force."),
    gettext_noop("No such rule."),
    gettext_noop("true or false."),
    gettext_noop("Allow at least one method."),
    gettext_noop("The default method must be one of the methods allowed."),
    gettext_noop("Voting is for contributors or maintainers."),
    gettext_noop("The rulebook itself changes only by an adopted proposal."),
    gettext_noop("Say what the group is mandated to do."),
    gettext_noop("The number of a pending expense claim."),
    gettext_noop("Give the parameters as an object."),
    gettext_noop("People speak in discussions, not organisations."),
    gettext_noop("A reply belongs to the thread of the message it answers."),
    gettext_noop("Founding rules"),  # the note of every commons' first rulebook version
)

MAX_JSON = 100_000
LIST_SEPARATORS = re.compile(r"[\s,]+")
TRUE_WORDS = {"true", "yes", "1", "oui", "vrai"}
FALSE_WORDS = {"false", "no", "0", "non", "faux"}


def _json(form: forms.Form, name: str) -> Any:
    """The parsed JSON of a textarea, or a form error saying where it is broken."""
    text = form.cleaned_data.get(name) or ""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        form.add_error(
            name,
            gettext("This is not valid JSON (line %(line)s, column %(column)s): %(msg)s.")
            % {"line": error.lineno, "column": error.colno, "msg": error.msg},
        )
    except RecursionError:
        form.add_error(name, gettext("This JSON is nested too deeply."))
    return None


def rule_value(name: str, text: str) -> Any:
    """A rule's new value as typed in a text box, in the type the rulebook reads (lists for
    methods and powers, whole numbers, true/false); anything else goes to the rulebook as typed,
    which then says what it expects."""
    raw = text.strip()
    default = getattr(rulebooks.Rulebook(), name, None)
    if name == "blocks_per_period":
        if raw.lower() in {"", "none", "null", "-", "—"}:
            return None
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else raw
    if isinstance(default, tuple | frozenset):
        return [v for v in LIST_SEPARATORS.split(raw) if v]
    if isinstance(default, bool):
        if raw.lower() in TRUE_WORDS:
            return True
        if raw.lower() in FALSE_WORDS:
            return False
        return raw
    if isinstance(default, int):
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else raw
    return raw


def _optional(field: forms.Field) -> forms.Field:
    field.required = False
    return field


class ProposalForm(forms.Form):
    """A proposal and, optionally, the change it executes once adopted: its type, then the
    fields of that type (the others are ignored)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Proposal"),
        max_length=20_000,
        help_text=_("What you propose and why. Everyone can read it."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    method = forms.ChoiceField(label=_("Decision method"))
    review_on = forms.DateField(
        label=_("Review date"),
        required=False,
        help_text=_("Optional: the day a review proposal asks whether this still serves."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    change_type = forms.ChoiceField(label=_("What it changes once adopted"), required=False)
    # amend the rulebook: one rule and its value, or several as JSON
    rule = _optional(forms.ChoiceField(label=_("Rule")))
    rule_value = _optional(
        forms.CharField(
            label=_("New value"),
            max_length=500,
            help_text=_(
                'As the rulebook writes it: "2/3" or "90" for a share, a number of hours or '
                "days, true or false, names separated by commas for a list."
            ),
        )
    )
    rules_json = _optional(
        forms.CharField(
            label=_("Or several rules (JSON)"),
            max_length=MAX_JSON,
            help_text=_(
                'Rule names and new values, such as {"quorum": "1/2", "duration_hours": 96}.'
            ),
            widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "code"}),
        )
    )
    # adopt a value equation
    equation = _optional(
        forms.CharField(
            label=_("Value equation (JSON)"),
            max_length=MAX_JSON,
            help_text=_(
                "Prefilled with the equation in force; its impact is shown before anyone votes."
            ),
            widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "code"}),
        )
    )
    # change the licence
    profile = _optional(forms.ChoiceField(label=_("Licence profile")))
    parameters = _optional(
        forms.CharField(
            label=_("Parameters (JSON)"),
            max_length=MAX_JSON,
            help_text=_("Only CopyFair takes parameters; leave {} for the others."),
            widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code"}),
        )
    )
    # add or remove a maintainer (two fields: each type of change has its own inputs)
    agent = _optional(
        forms.CharField(
            label=_("Username"),
            max_length=40,
            widget=forms.TextInput(attrs={"autocapitalize": "none"}),
        )
    )
    removed = _optional(
        forms.CharField(
            label=_("Username"),
            max_length=40,
            widget=forms.TextInput(attrs={"autocapitalize": "none"}),
        )
    )
    # approve an expense
    expense = _optional(forms.TypedChoiceField(label=_("Pending expense"), coerce=int))
    # the approvals a contribution needs
    approvals_required = _optional(
        forms.IntegerField(label=_("Approvals per contribution"), min_value=1, max_value=100)
    )
    # create a working group
    group_slug = _optional(
        forms.CharField(
            label=_("Working group slug"),
            max_length=50,
            help_text=_("Lowercase letters, digits and hyphens: its name in addresses."),
        )
    )
    group_name = _optional(forms.CharField(label=_("Working group name"), max_length=200))
    mandate = _optional(
        forms.CharField(
            label=_("Mandate"),
            max_length=5000,
            help_text=_("What the group is mandated to do, and what not."),
            widget=forms.Textarea(attrs={"rows": 4}),
        )
    )
    members = _optional(
        forms.CharField(
            label=_("Members"),
            max_length=10_000,
            help_text=_("Usernames, separated by commas."),
            widget=forms.TextInput(attrs={"autocapitalize": "none"}),
        )
    )
    spending_cap = _optional(
        forms.CharField(
            label=_("Spending cap"),
            max_length=40,
            help_text=_("Optional: what the group may spend per period, such as 500."),
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )
    )
    currency = _optional(forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES))
    cap_period_days = _optional(
        forms.IntegerField(label=_("Period of the cap, in days"), min_value=1, max_value=3650)
    )
    # close a working group
    close_group = _optional(forms.ChoiceField(label=_("Working group to close")))

    # The fields of each type of change, in the order the page shows them.
    FIELDS_OF: dict[str, tuple[str, ...]] = {
        Power.AMEND_RULEBOOK: ("rule", "rule_value", "rules_json"),
        Power.ADOPT_EQUATION: ("equation",),
        Power.CHANGE_LICENCE: ("profile", "parameters"),
        Power.ADD_MAINTAINER: ("agent",),
        Power.REMOVE_MAINTAINER: ("removed",),
        Power.APPROVE_EXPENSE: ("expense",),
        Power.SET_APPROVALS: ("approvals_required",),
        Power.CREATE_WORKING_GROUP: (
            "group_slug",
            "group_name",
            "mandate",
            "members",
            "spending_cap",
            "currency",
            "cap_period_days",
        ),
        Power.CLOSE_WORKING_GROUP: ("close_group",),
    }

    def __init__(
        self,
        *args: Any,
        methods: Iterable[str],
        profiles: Iterable[tuple[str, str]],
        expenses: Iterable[tuple[int, str]],
        open_groups: Iterable[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.change: dict[str, Any] | None = None
        self.fields["method"].choices = [(m, METHOD_LABELS.get(m, m)) for m in methods]  # type: ignore[attr-defined]
        self.fields["change_type"].choices = [  # type: ignore[attr-defined]
            ("", _("Nothing: a decision without an automatic change")),
            *((p.value, CHANGE_LABELS[p]) for p in Power),
        ]
        self.fields["rule"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *(
                (n, f"{n} — {gettext(rulebooks.DESCRIPTIONS[n])}")
                for n in rulebooks.NAMES
                if n not in rulebooks.RECORDED
            ),
        ]
        self.fields["profile"].choices = [("", "—"), *profiles]  # type: ignore[attr-defined]
        self.fields["expense"].choices = [("", "—"), *expenses]  # type: ignore[attr-defined]
        self.fields["close_group"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((slug, slug) for slug in open_groups),
        ]

    def fields_of(self, kind: str) -> list[forms.BoundField]:
        return [self[name] for name in self.FIELDS_OF.get(kind, ())]

    def change_fieldsets(self) -> list[tuple[str, Any, list[forms.BoundField]]]:
        """(type, label, fields) of each kind of change, for the page to show one per fieldset."""
        return [(p.value, CHANGE_LABELS[p], self.fields_of(p.value)) for p in Power]

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        assert data is not None  # noqa: S101 - forms.Form.clean returns cleaned_data
        kind = data.get("change_type") or ""
        if kind:
            self.change = self._change(kind, data)
        return data

    def _require(self, *names: str) -> bool:
        missing = [n for n in names if self.cleaned_data.get(n) in (None, "")]
        for name in missing:
            if name not in self.errors:
                self.add_error(name, gettext("This field is required for this change."))
        return not missing

    def _change(self, kind: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
        change: dict[str, Any] = {"type": kind}
        if kind == Power.AMEND_RULEBOOK:
            if (data.get("rules_json") or "").strip():
                rules = _json(self, "rules_json")
                if rules is None:
                    return None
                change["set"] = rules
            elif self._require("rule", "rule_value"):
                change["set"] = {data["rule"]: rule_value(data["rule"], data["rule_value"])}
            else:
                return None
        elif kind == Power.ADOPT_EQUATION:
            if not self._require("equation"):
                return None
            change["equation"] = _json(self, "equation")
            if change["equation"] is None:
                return None
        elif kind == Power.CHANGE_LICENCE:
            if not self._require("profile"):
                return None
            change["profile"] = data["profile"]
            if (data.get("parameters") or "").strip():
                change["parameters"] = _json(self, "parameters")
                if change["parameters"] is None:
                    return None
        elif kind in (Power.ADD_MAINTAINER, Power.REMOVE_MAINTAINER):
            field = "agent" if kind == Power.ADD_MAINTAINER else "removed"
            if not self._require(field):
                return None
            change["agent"] = data[field].strip()
        elif kind == Power.APPROVE_EXPENSE:
            if not self._require("expense"):
                return None
            change["expense"] = data["expense"]
        elif kind == Power.SET_APPROVALS:
            if not self._require("approvals_required"):
                return None
            change["approvals_required"] = data["approvals_required"]
        elif kind == Power.CREATE_WORKING_GROUP:
            if not self._require("group_slug", "group_name", "mandate"):
                return None
            change.update(
                slug=data["group_slug"].strip(),
                name=data["group_name"],
                mandate=data["mandate"],
                members=[m for m in LIST_SEPARATORS.split(data.get("members") or "") if m],
            )
            cap = (data.get("spending_cap") or "").strip().replace(",", ".")
            if cap:
                change.update(
                    spending_cap=cap,
                    currency=data.get("currency") or "",
                    cap_period_days=data.get("cap_period_days") or 30,
                )
        elif kind == Power.CLOSE_WORKING_GROUP:
            if not self._require("close_group"):
                return None
            change["slug"] = data["close_group"]
        return change


# Where the rules' field names land on the proposal form.
_CHANGE_FIELD = {
    "change": "change_type",
    "change.type": "change_type",
    "change.expense": "expense",
    "change.approvals_required": "approvals_required",
    "approvals_required": "approvals_required",
    "change.profile": "profile",
    "change.name": "group_name",
    "change.mandate": "mandate",
    "change.members": "members",
    "change.spending_cap": "spending_cap",
    "change.currency": "currency",
    "change.cap_period_days": "cap_period_days",
}


def apply_proposal_errors(form: ProposalForm, error: DomainError) -> None:
    """A service's refusal on the proposal form: each message under the field it is about (a
    rule of the rulebook, a part of the equation or a licence parameter under its box, with its
    name in front), the rest on top."""
    if not error.errors:
        form.add_error(None, gettext(error.detail))
        return
    kind = form.cleaned_data.get("change_type") or ""
    by_json = bool((form.cleaned_data.get("rules_json") or "").strip())
    for path, found in error.errors.items():
        target, named = _target(path, kind, by_json)
        for message in found:
            text = gettext(message)
            form.add_error(
                target if target in form.fields else None, f"{named}: {text}" if named else text
            )


def _target(path: str, kind: str, by_json: bool) -> tuple[str | None, str]:
    """(the form field, the name to put before the message) of an error's path."""
    if path in ("title", "text", "method", "review_on"):
        return path, ""
    if path == "change.agent":
        return ("removed" if kind == Power.REMOVE_MAINTAINER else "agent"), ""
    if path == "change.slug":
        return ("close_group" if kind == Power.CLOSE_WORKING_GROUP else "group_slug"), ""
    if path in _CHANGE_FIELD:
        return _CHANGE_FIELD[path], ""
    rules_field = "rules_json" if by_json else "rule_value"
    if path == "change.set" or path == "set":
        return rules_field, ""
    if path in rulebooks.NAMES or (kind == Power.AMEND_RULEBOOK and "." not in path):
        return rules_field, path  # a rule's value, or a name that is no rule
    if path.startswith("change.equation"):
        inner = path.removeprefix("change.equation").lstrip(".")
        return "equation", inner
    if path.startswith("change.parameters"):
        inner = path.removeprefix("change.parameters").lstrip(".")
        return "parameters", inner
    return None, path


class VoteForm(forms.Form):
    position = forms.ChoiceField(label=_("Your position"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_DESCRIPTION,
        required=False,
        help_text=_("Required for an objection or a block; public, like the vote."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, positions: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = set(positions)
        self.fields["position"].choices = [  # type: ignore[attr-defined]
            (p, POSITION_LABELS[p]) for p in POSITION_ORDER if p in allowed
        ]


def apply_vote_errors(form: forms.Form, error: DomainError) -> None:
    if not error.errors:
        form.add_error(None, gettext(error.detail))
        return
    for path, found in error.errors.items():
        # the rules call an optional reason a "note"
        target = "reason" if path in ("reason", "note") else path
        for message in found:
            form.add_error(target if target in form.fields else None, gettext(message))


class AmendForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    text = forms.CharField(
        label=_("Amended proposal"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    change = forms.CharField(
        label=_("Its change (JSON)"),
        max_length=MAX_JSON,
        required=False,
        help_text=_("Edit it to meet the objections; it keeps its type."),
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "code"}),
    )

    def clean_change(self) -> Any:
        text = (self.cleaned_data.get("change") or "").strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                gettext("This is not valid JSON (line %(line)s, column %(column)s): %(msg)s.")
                % {"line": error.lineno, "column": error.colno, "msg": error.msg}
            ) from None
        except RecursionError:
            raise forms.ValidationError(gettext("This JSON is nested too deeply.")) from None


def apply_amend_errors(form: forms.Form, error: DomainError) -> None:
    if not error.errors:
        form.add_error(None, gettext(error.detail))
        return
    for path, found in error.errors.items():
        target = path if path in ("title", "text") else "change"
        named = "" if path in ("title", "text", "change") else path
        for message in found:
            text = gettext(message)
            form.add_error(target, f"{named}: {text}" if named else text)


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Your message"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # The message answered; hidden, so a bad one is said above the form (`clean`).
    parent = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: it shares the proposal page with the amendment form's "text".
        kwargs.setdefault("auto_id", "comment_%s")
        super().__init__(*args, **kwargs)

    def clean_parent(self) -> int | None:
        raw = (self.cleaned_data.get("parent") or "").strip()
        if not raw:
            return None
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            raise forms.ValidationError(gettext("The message you answer does not exist."))
        return int(raw)

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        # A hidden field's error would not show: it goes above the form.
        for message in self.errors.pop("parent", []):
            self.add_error(None, message)
        return data


class DiffForm(forms.Form):
    """Two versions of a rulebook to compare (`?from=N&to=M`)."""

    def __init__(self, *args: Any, versions: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(v), str(v)) for v in versions]
        # "from" is the name in the address (and a Python keyword).
        self.fields["from"] = forms.TypedChoiceField(
            label=_("From version"), choices=choices, coerce=int
        )
        self.fields["to"] = forms.TypedChoiceField(
            label=_("to version"), choices=choices, coerce=int
        )


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("any")), *PROPOSAL_STATUS_LABELS.items()],
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)
