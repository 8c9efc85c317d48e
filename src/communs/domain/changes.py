"""The executable change a proposal may carry, checked for its shape before anyone votes.

A change is JSON with a `type` (one of `rulebook.Power`) and that type's fields. What can be
checked without the database is checked here — an equation that does not parse, a licence
profile that does not exist, a spending cap that is not an amount. What depends on the state
of the commons when the decision passes (is this still a maintainer? is the expense still
pending?) is checked again by the service that applies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import equations, licences, money
from .commons import MAX_TITLE, check_approvals, check_name, check_slug
from .contributions import has_nul
from .errors import FieldErrors, Invalid
from .rulebook import Power

MAX_MANDATE = 5000
MAX_MEMBERS = 200

_FIELDS: dict[Power, frozenset[str]] = {
    Power.AMEND_RULEBOOK: frozenset({"set"}),
    Power.ADOPT_EQUATION: frozenset({"equation"}),
    Power.CHANGE_LICENCE: frozenset({"profile", "parameters"}),
    Power.ADD_MAINTAINER: frozenset({"agent"}),
    Power.REMOVE_MAINTAINER: frozenset({"agent"}),
    Power.APPROVE_EXPENSE: frozenset({"expense"}),
    Power.SET_APPROVALS: frozenset({"approvals_required"}),
    Power.CREATE_WORKING_GROUP: frozenset(
        {"slug", "name", "mandate", "members", "spending_cap", "currency", "cap_period_days"}
    ),
    Power.CLOSE_WORKING_GROUP: frozenset({"slug"}),
}


@dataclass(frozen=True)
class Change:
    type: Power
    data: Mapping[str, Any]  # the normalised fields, as stored and shown

    def to_data(self) -> dict[str, Any]:
        return {"type": self.type.value, **self.data}

    def summary(self) -> str:
        d = self.data
        match self.type:
            case Power.AMEND_RULEBOOK:
                return "Amend the rulebook: " + ", ".join(sorted(d["set"]))
            case Power.ADOPT_EQUATION:
                return "Adopt a new value equation"
            case Power.CHANGE_LICENCE:
                return f"Put the commons under {d['profile']}"
            case Power.ADD_MAINTAINER:
                return f"Make {d['agent']} a maintainer"
            case Power.REMOVE_MAINTAINER:
                return f"Remove {d['agent']} as a maintainer"
            case Power.APPROVE_EXPENSE:
                return f"Approve expense #{d['expense']}"
            case Power.SET_APPROVALS:
                return f"Require {d['approvals_required']} approval(s) per contribution"
            case Power.CREATE_WORKING_GROUP:
                return f"Create the working group {d['slug']}"
            case Power.CLOSE_WORKING_GROUP:
                return f"Close the working group {d['slug']}"


def parse(raw: object) -> Change:
    """Check a proposed change's shape; Invalid names each bad field as `change.<field>`."""
    if not isinstance(raw, Mapping):
        raise Invalid.field("change", "A change is an object with a 'type'.")
    try:
        kind = Power(str(raw.get("type")))
    except ValueError:
        known = ", ".join(p.value for p in Power)
        raise Invalid.field(
            "change.type", f"Unknown change '{raw.get('type')}'; use one of: {known}."
        ) from None
    errors = FieldErrors()
    for key in sorted(set(map(str, raw)) - _FIELDS[kind] - {"type"}):
        errors.add(f"change.{key}", f"Not a field of {kind.value}.")
    errors.raise_if_any()
    return Change(kind, _READERS[kind](raw))


def _amend_rulebook(raw: Mapping[str, Any]) -> dict[str, Any]:
    rules = raw.get("set")
    if not isinstance(rules, Mapping) or not rules:
        raise Invalid.field("change.set", "Name the rules to change and their new values.")
    return {"set": dict(rules)}  # checked against the rules in force by rulebook.amend


def _adopt_equation(raw: Mapping[str, Any]) -> dict[str, Any]:
    try:
        equation = equations.parse_equation(raw.get("equation"))
    except Invalid as error:
        raise _nested(error, "change.equation") from None
    return {"equation": dict(equation.definition)}


def _change_licence(raw: Mapping[str, Any]) -> dict[str, Any]:
    try:
        profile = licences.get_profile(raw.get("profile"))
        parameters = licences.check_parameters(profile, raw.get("parameters"))
    except Invalid as error:
        raise _nested(error, "change") from None
    return {"profile": profile.key, "parameters": parameters}


def _agent(raw: Mapping[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    name = check_name(_string(raw.get("agent")), errors, field="change.agent")
    errors.raise_if_any()
    return {"agent": name}


def _string(value: object) -> str:
    # A name or slug is text: a number or a list written in its place is not read as one.
    return value if isinstance(value, str) else ""


def _expense(raw: Mapping[str, Any]) -> dict[str, Any]:
    value = raw.get("expense")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid.field("change.expense", "The number of a pending expense claim.")
    return {"expense": value}


def _approvals(raw: Mapping[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    value = check_approvals(raw.get("approvals_required"), errors)
    if errors.errors:
        raise Invalid(
            "change.approvals_required: " + " ".join(errors.errors["approvals_required"]),
            {"change.approvals_required": errors.errors["approvals_required"]},
        )
    return {"approvals_required": value}


def _create_group(raw: Mapping[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    slug = check_slug(_string(raw.get("slug")), errors, field="change.slug")
    name = _string(raw.get("name")).strip()
    if not name or len(name) > MAX_TITLE or has_nul(name):
        errors.add(
            "change.name", f"Give the working group a name (at most {MAX_TITLE} characters)."
        )
    mandate = _string(raw.get("mandate")).strip()
    if not mandate:
        errors.add("change.mandate", "Say what the group is mandated to do.")
    elif len(mandate) > MAX_MANDATE or has_nul(mandate):
        errors.add("change.mandate", f"At most {MAX_MANDATE} characters, no NUL.")
    members = raw.get("members", [])
    names: list[str] = []
    if not isinstance(members, list) or len(members) > MAX_MEMBERS:
        errors.add("change.members", f"A list of at most {MAX_MEMBERS} user names.")
    else:
        for member in members:
            names.append(check_name(_string(member), errors, field="change.members"))
    data: dict[str, Any] = {
        "slug": slug,
        "name": name,
        "mandate": mandate,
        "members": sorted(set(names)),
        "spending_cap": None,
        "currency": None,
        "cap_period_days": None,
    }
    if raw.get("spending_cap") in (None, ""):
        pass  # no cap: the group spends within what the treasury approves
    elif raw.get("currency") in (None, ""):
        errors.add("change.currency", "A spending cap needs its currency, such as EUR.")
    else:
        try:
            currency = money.check_currency(raw.get("currency"), field="change.currency")
            cap = money.parse_amount(raw.get("spending_cap"), currency, field="change.spending_cap")
        except Invalid as error:
            for key, messages in error.errors.items():
                for message in messages:
                    errors.add(key, message)
        else:
            period = raw.get("cap_period_days", 30)
            if isinstance(period, bool) or not isinstance(period, int) or not 1 <= period <= 3650:
                errors.add("change.cap_period_days", "A whole number of days from 1 to 3650.")
            data.update(
                spending_cap=money.format_amount(cap, currency),
                currency=currency,
                cap_period_days=period,
            )
    errors.raise_if_any()
    return data


def _close_group(raw: Mapping[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    slug = check_slug(_string(raw.get("slug")), errors, field="change.slug")
    errors.raise_if_any()
    return {"slug": slug}


def _nested(error: Invalid, prefix: str) -> Invalid:
    """The errors of a nested reader under `prefix`; an error about the whole of what was
    read (the reader names it by its own name, such as "equation") is the prefix itself."""
    whole = prefix.rsplit(".", 1)[-1]
    fields = {
        prefix if k in (prefix, whole) else f"{prefix}.{k}": v for k, v in error.errors.items()
    }
    return Invalid(f"{prefix}: {error.detail}", fields)


_READERS = {
    Power.AMEND_RULEBOOK: _amend_rulebook,
    Power.ADOPT_EQUATION: _adopt_equation,
    Power.CHANGE_LICENCE: _change_licence,
    Power.ADD_MAINTAINER: _agent,
    Power.REMOVE_MAINTAINER: _agent,
    Power.APPROVE_EXPENSE: _expense,
    Power.SET_APPROVALS: _approvals,
    Power.CREATE_WORKING_GROUP: _create_group,
    Power.CLOSE_WORKING_GROUP: _close_group,
}
