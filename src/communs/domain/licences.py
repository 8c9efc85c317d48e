"""Licence profiles as data, and the pure function that answers "may I use this commons?".

A profile is an ordered list of rules. Each rule names the facts it applies to and the outcome,
and cites the clause of the licence it restates; the first rule whose conditions all hold
decides. Conditions are data (a fact name and the values it may take), never code, so a profile
can be listed, shown, diffed and versioned like any other record.

The facts come from the request (commercial use? distribution or public performance?), from the
asker (a person or the kind of organisation), from the organisation's legal facts (each either
`verified`, `declared` and not yet verified, or `no`), and from the ledger (has the asker
contributed enough lately?). The clock is never read here: the caller computes `contributed`.

`PPL-1.0` is the Peer Production License as written: it has no contributor exemption, so a wage
-labour firm is not permitted commercial use however much it contributes. That exemption is the
idea of `CopyFair`, a separate, parametric profile whose non-contributing for-profit users owe
a fee. `CoopCycle` restates the commercial-use article of the CoopCycle licence. The SPDX
profiles list what those licences already permit and require.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from .commons import OrganisationKind
from .errors import FieldErrors, Invalid
from .money import (
    AMOUNT_RE,
    CURRENCIES,
    check_currency,
    format_amount,
    parse_amount,
)


class Outcome(StrEnum):
    PERMITTED = "PERMITTED"
    RECIPROCITY_REQUIRED = "RECIPROCITY_REQUIRED"
    REVIEW = "REVIEW"
    SEPARATE_LICENSE_REQUIRED = "SEPARATE_LICENSE_REQUIRED"
    PROHIBITED = "PROHIBITED"


# From the asker's point of view, best first: "more contribution never makes it worse" is
# checked against this order.
OUTCOME_ORDER = tuple(Outcome)


class Evidence(StrEnum):
    VERIFIED = "verified"  # declared, and checked by someone this commons trusts
    DECLARED = "declared"  # claimed by the organisation, not yet checked
    NO = "no"  # not claimed (false or unknown)


# An organisation's legal facts that licences ask about.
EVIDENCE_FACTS: dict[str, str] = {
    "worker_owned": "The organisation is owned by the people who work in it.",
    "gains_to_workers": "All financial gain, surplus and profit is distributed to the "
    "worker-owners.",
    "sse": "The organisation has social-and-solidarity-economy status.",
    "employs_workers": "The cooperative employs its workers (wages, not self-employment).",
}

PERSON = "person"
ASKERS = (PERSON, *(kind.value for kind in OrganisationKind))
COOPERATIVES = frozenset({OrganisationKind.WORKER_COOP.value, OrganisationKind.COOPERATIVE.value})
COMMONS_ECONOMY = COOPERATIVES | {
    OrganisationKind.NONPROFIT.value,
    OrganisationKind.INFORMAL_GROUP.value,
}
ALONE = frozenset({PERSON, OrganisationKind.SOLE_TRADER.value})
CLAIMED = frozenset({Evidence.VERIFIED.value, Evidence.DECLARED.value})
VERIFIED = frozenset({Evidence.VERIFIED.value})

OBLIGATIONS: dict[str, str] = {
    "attribution": "Credit the authors and keep the copyright and licence notices.",
    "share_alike": "Share what you build on it under the same licence.",
    "change_notice": "Say that you changed it, and how.",
    "no_drm": "Add no technical protection measures that restrict what recipients may do.",
    "source": "Give the complete source to those you pass it on to.",
    "network_source": "Offer the source to people who use it over a network.",
}


@dataclass(frozen=True)
class Rule:
    id: str
    clause: str
    outcome: Outcome
    reason: str
    # fact name → the values it may take for the rule to apply; no entry means any value.
    when: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def applies(self, facts: Mapping[str, str]) -> bool:
        return all(facts[name] in values for name, values in self.when.items())

    def as_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "clause": self.clause,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "when": {name: sorted(values) for name, values in self.when.items()},
        }


@dataclass(frozen=True)
class Profile:
    key: str
    title: str
    url: str
    # Commercial use, modification, distribution, ...: "yes", "no" or "conditional".
    permissions: Mapping[str, str]
    # Obligations that come with passing it on (distribution or public performance).
    on_distribution: tuple[str, ...]
    rules: tuple[Rule, ...]
    parametric: bool = False
    # Whether the commons may sell a licence grant under this profile (a reciprocity fee, or
    # the separate licence a commercial user needs); the rules honour a valid grant.
    sells_grants: bool = False

    def as_data(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "url": self.url,
            "permissions": dict(self.permissions),
            "obligations_on_distribution": list(self.on_distribution),
            "parametric": self.parametric,
            "sells_grants": self.sells_grants,
            "parameters": dict(COPYFAIR_DEFAULTS) if self.parametric else {},
            "rules": [rule.as_data() for rule in self.rules],
        }


def _is(*values: str) -> frozenset[str]:
    return frozenset(values)


COMMERCIAL = {"use": _is("commercial")}
GRANTED = {**COMMERCIAL, "granted": _is("yes")}
NON_COMMERCIAL = {"use": _is("non_commercial")}


def _always_permitted(key: str, clause: str, reason: str) -> tuple[Rule, ...]:
    return (Rule(f"{key.lower()}.any-use", clause, Outcome.PERMITTED, reason),)


def _spdx(
    key: str, title: str, url: str, on_distribution: tuple[str, ...], clause: str, reason: str
) -> Profile:
    return Profile(
        key=key,
        title=title,
        url=url,
        permissions={"commercial_use": "yes", "modification": "yes", "distribution": "yes"},
        on_distribution=on_distribution,
        rules=_always_permitted(key, clause, reason),
    )


PPL = Profile(
    key="PPL-1.0",
    title="Peer Production License",
    url="https://wiki.p2pfoundation.net/Peer_Production_License",
    permissions={"commercial_use": "conditional", "modification": "yes", "distribution": "yes"},
    on_distribution=("attribution", "share_alike", "change_notice", "no_drm"),
    sells_grants=True,
    rules=(
        Rule(
            "ppl.non-commercial",
            "PPL-1.0 §3",
            Outcome.PERMITTED,
            "Anyone may use, adapt and share the work for non-commercial purposes.",
            NON_COMMERCIAL,
        ),
        Rule(
            "ppl.separate-licence",
            "Licence grant of the commons (outside PPL-1.0)",
            Outcome.PERMITTED,
            "The asker holds a valid licence grant from this commons for commercial use.",
            GRANTED,
        ),
        Rule(
            "ppl.working-alone",
            "PPL-1.0 §4(c)(i)",
            Outcome.REVIEW,
            "Commercial use is reserved to worker-owned businesses and collectives; whether one "
            "person working alone counts as one is for the maintainers to judge.",
            {**COMMERCIAL, "asker": ALONE},
        ),
        Rule(
            "ppl.worker-owned",
            "PPL-1.0 §4(c)(i)-(ii)",
            Outcome.PERMITTED,
            "A worker-owned business that distributes all its gains to its worker-owners may "
            "use the work commercially.",
            {**COMMERCIAL, "worker_owned": VERIFIED, "gains_to_workers": VERIFIED},
        ),
        Rule(
            "ppl.worker-owned-unverified",
            "PPL-1.0 §4(c)(i)-(ii)",
            Outcome.REVIEW,
            "The organisation declares it is worker-owned and distributes all its gains to its "
            "worker-owners; a maintainer of this commons, or the for-benefit association that "
            "keeps its treasury, must verify it first.",
            {**COMMERCIAL, "worker_owned": CLAIMED, "gains_to_workers": CLAIMED},
        ),
        Rule(
            "ppl.gains-kept",
            "PPL-1.0 §4(c)(ii)",
            Outcome.SEPARATE_LICENSE_REQUIRED,
            "Being worker-owned is not enough: all gains must go to the worker-owners.",
            {**COMMERCIAL, "worker_owned": CLAIMED},
        ),
        Rule(
            "ppl.wage-labour-firm",
            "PPL-1.0 §4(c)(iii)",
            Outcome.SEPARATE_LICENSE_REQUIRED,
            "A privately owned business profiting from waged labour may not use the work "
            "commercially under this licence, whatever it contributes; only a separate licence "
            "from the authors can allow it. (A firm its workers own, and that gives them all "
            "its gains, is judged by the rules above.)",
            {**COMMERCIAL, "asker": _is(OrganisationKind.FOR_PROFIT.value)},
        ),
        Rule(
            "ppl.not-worker-owned",
            "PPL-1.0 §4(c)",
            Outcome.SEPARATE_LICENSE_REQUIRED,
            "Commercial use is reserved to worker-owned businesses and collectives.",
            COMMERCIAL,
        ),
    ),
)

COOPCYCLE = Profile(
    key="CoopCycle",
    title="CoopCycle licence (commercial-use article)",
    url="https://coopcycle.org/en/software/",
    permissions={"commercial_use": "conditional", "modification": "yes", "distribution": "yes"},
    on_distribution=("attribution", "share_alike", "change_notice", "no_drm"),
    rules=(
        Rule(
            "coopcycle.non-commercial",
            "CoopCycle licence §3",
            Outcome.PERMITTED,
            "Anyone may use, adapt and share the software for non-commercial purposes.",
            NON_COMMERCIAL,
        ),
        Rule(
            "coopcycle.employing-cooperative",
            "CoopCycle licence §4(c)",
            Outcome.PERMITTED,
            "A cooperative of the social and solidarity economy that employs its workers may "
            "use the software commercially.",
            {
                **COMMERCIAL,
                "asker": COOPERATIVES,
                "sse": VERIFIED,
                "employs_workers": VERIFIED,
            },
        ),
        Rule(
            "coopcycle.employing-cooperative-unverified",
            "CoopCycle licence §4(c)",
            Outcome.REVIEW,
            "The cooperative declares social-and-solidarity-economy status and that it employs "
            "its workers; a maintainer of this commons, or the for-benefit association that "
            "keeps its treasury, must verify it first.",
            {**COMMERCIAL, "asker": COOPERATIVES, "sse": CLAIMED, "employs_workers": CLAIMED},
        ),
        Rule(
            "coopcycle.other-commercial",
            "CoopCycle licence §4(c)",
            Outcome.PROHIBITED,
            "Commercial use is reserved to cooperatives of the social and solidarity economy "
            "that employ their workers; firms and the self-employed may not use it commercially.",
            COMMERCIAL,
        ),
    ),
)

COPYFAIR = Profile(
    key="CopyFair",
    title="CopyFair (reciprocity licence)",
    url="https://wiki.p2pfoundation.net/CopyFair",
    permissions={"commercial_use": "conditional", "modification": "yes", "distribution": "yes"},
    on_distribution=("attribution", "share_alike", "change_notice"),
    parametric=True,
    sells_grants=True,
    rules=(
        Rule(
            "copyfair.non-commercial",
            "CopyFair §1",
            Outcome.PERMITTED,
            "Anyone may use, adapt and share the commons for non-commercial purposes.",
            NON_COMMERCIAL,
        ),
        Rule(
            "copyfair.contributor",
            "CopyFair §2",
            Outcome.PERMITTED,
            "Those who contribute to the commons may also use it commercially.",
            {**COMMERCIAL, "contributed": _is("yes")},
        ),
        Rule(
            "copyfair.commons-economy",
            "CopyFair §3",
            Outcome.PERMITTED,
            "Cooperatives, non-profits and groups of commoners whose social-and-solidarity-"
            "economy status is verified may use it commercially.",
            # Anyone can register an organisation of any kind: the kind alone proves nothing.
            {**COMMERCIAL, "asker": COMMONS_ECONOMY, "sse": VERIFIED},
        ),
        Rule(
            "copyfair.fee-paid",
            "CopyFair §4",
            Outcome.PERMITTED,
            "The asker has paid the reciprocity fee and holds a valid licence grant.",
            GRANTED,
        ),
        Rule(
            "copyfair.reciprocity",
            "CopyFair §4",
            Outcome.RECIPROCITY_REQUIRED,
            "Commercial users who do not contribute pay their share back to the commons.",
            COMMERCIAL,
        ),
    ),
)

SPDX = (
    _spdx(
        "MIT",
        "MIT License",
        "https://spdx.org/licenses/MIT.html",
        ("attribution",),
        "MIT, permission notice",
        "Any use is permitted, provided the copyright and permission notice are kept.",
    ),
    _spdx(
        "Apache-2.0",
        "Apache License 2.0",
        "https://spdx.org/licenses/Apache-2.0.html",
        ("attribution", "change_notice"),
        "Apache-2.0 §2-§4",
        "Any use is permitted; redistribution keeps the notices and marks changed files.",
    ),
    _spdx(
        "GPL-3.0-or-later",
        "GNU General Public License v3.0 or later",
        "https://spdx.org/licenses/GPL-3.0-or-later.html",
        ("attribution", "share_alike", "change_notice", "source"),
        "GPL-3.0 §2, §4-§6",
        "Any use is permitted; what you convey goes on under the GPL, with its source.",
    ),
    _spdx(
        "AGPL-3.0-or-later",
        "GNU Affero General Public License v3.0 or later",
        "https://spdx.org/licenses/AGPL-3.0-or-later.html",
        ("attribution", "share_alike", "change_notice", "source", "network_source"),
        "AGPL-3.0 §2, §4-§6, §13",
        "Any use is permitted; what you convey or offer over a network goes on under the "
        "AGPL, with its source.",
    ),
    _spdx(
        "CC-BY-4.0",
        "Creative Commons Attribution 4.0",
        "https://spdx.org/licenses/CC-BY-4.0.html",
        ("attribution", "change_notice", "no_drm"),
        "CC-BY-4.0 §2(a), §3(a)",
        "Any use is permitted, with attribution.",
    ),
    _spdx(
        "CC-BY-SA-4.0",
        "Creative Commons Attribution-ShareAlike 4.0",
        "https://spdx.org/licenses/CC-BY-SA-4.0.html",
        ("attribution", "share_alike", "change_notice", "no_drm"),
        "CC-BY-SA-4.0 §2(a), §3(a)-(b)",
        "Any use is permitted, with attribution; adaptations are shared alike.",
    ),
    Profile(
        key="CC-BY-NC-SA-4.0",
        title="Creative Commons Attribution-NonCommercial-ShareAlike 4.0",
        url="https://spdx.org/licenses/CC-BY-NC-SA-4.0.html",
        permissions={"commercial_use": "no", "modification": "yes", "distribution": "yes"},
        on_distribution=("attribution", "share_alike", "change_notice", "no_drm"),
        sells_grants=True,
        rules=(
            Rule(
                "cc-by-nc-sa.non-commercial",
                "CC-BY-NC-SA-4.0 §2(a)(1)",
                Outcome.PERMITTED,
                "Non-commercial use is permitted, with attribution; adaptations are shared alike.",
                NON_COMMERCIAL,
            ),
            Rule(
                "cc-by-nc-sa.separate-licence",
                "Licence grant of the commons (outside CC-BY-NC-SA-4.0)",
                Outcome.PERMITTED,
                "The asker holds a valid licence grant from this commons for commercial use.",
                GRANTED,
            ),
            Rule(
                "cc-by-nc-sa.commercial",
                "CC-BY-NC-SA-4.0 §1(k), §2(a)(1)",
                Outcome.SEPARATE_LICENSE_REQUIRED,
                "The licence grants no commercial use; ask the authors for a separate licence.",
                COMMERCIAL,
            ),
        ),
    ),
    _spdx(
        "CERN-OHL-S-2.0",
        "CERN Open Hardware Licence v2, strongly reciprocal",
        "https://spdx.org/licenses/CERN-OHL-S-2.0.html",
        ("attribution", "share_alike", "change_notice", "source"),
        "CERN-OHL-S-2.0 §3-§4",
        "Any use is permitted; products you make available come with their complete source "
        "under the same licence.",
    ),
)

PROFILES: dict[str, Profile] = {p.key: p for p in (PPL, COOPCYCLE, COPYFAIR, *SPDX)}
_BY_LOWER_KEY = {key.lower(): profile for key, profile in PROFILES.items()}
PERCENT_RE = re.compile(r"[0-9]{1,3}(\.[0-9]{1,2})?")

# CopyFair's parameters: what counts as contributing, and the fee non-contributors owe.
COPYFAIR_DEFAULTS: dict[str, Any] = {
    "threshold": 3,  # accepted contributions ...
    "window_days": 365,  # ... within this many days before the request
    "fee_kind": "flat",  # "flat" (an amount per year) or "percent" (of declared revenue)
    "fee": "500.00",
    "currency": "EUR",
}
# Without CopyFair's parameters, "has contributed" still shows in the inputs with these.
CONTRIBUTION_DEFAULTS = {"threshold": 1, "window_days": 365}
MAX_THRESHOLD = 100_000
MAX_WINDOW_DAYS = 3650
GRANT_DAYS = 365  # a reciprocity fee buys a year


def find_profile(key: object) -> Profile | None:
    """The profile a licence identifier names; SPDX identifiers are case-insensitive."""
    return _BY_LOWER_KEY.get(str(key or "").strip().lower())


def get_profile(key: object) -> Profile:
    profile = find_profile(key)
    if profile is None:
        known = ", ".join(PROFILES)
        raise Invalid.field("profile", f"Unknown licence profile '{key}'; choose one of {known}.")
    return profile


def check_parameters(profile: Profile, raw: object) -> dict[str, Any]:
    """A profile's parameters, complete and normalised; only CopyFair takes any."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise Invalid.field("parameters", "Give the parameters as an object.")
    if not profile.parametric:
        if raw:
            raise Invalid.field("parameters", f"{profile.key} takes no parameters.")
        return {}
    errors = FieldErrors()
    unknown = sorted(set(map(str, raw)) - set(COPYFAIR_DEFAULTS))
    if unknown:
        errors.add("parameters", f"Unknown parameters: {', '.join(unknown)}.")
    values = {**COPYFAIR_DEFAULTS, **raw}
    for name, top in (("threshold", MAX_THRESHOLD), ("window_days", MAX_WINDOW_DAYS)):
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            errors.add(f"parameters.{name}", f"Give a whole number from 1 to {top}.")
    if values["fee_kind"] not in ("flat", "percent"):
        errors.add("parameters.fee_kind", 'Use "flat" (per year) or "percent" (of revenue).')
    try:
        values["currency"] = check_currency(values["currency"], "parameters.currency")
    except Invalid as exc:
        errors.errors.update(exc.errors)
    else:
        try:
            if values["fee_kind"] == "flat":
                minor = parse_amount(values["fee"], values["currency"], "parameters.fee")
                values["fee"] = format_amount(minor, values["currency"])
            elif values["fee_kind"] == "percent":
                values["fee"] = str(_percent(values["fee"]))
        except Invalid as exc:
            errors.errors.update(exc.errors)
    errors.raise_if_any()
    return values


def _percent(raw: object) -> Decimal:
    text = str(raw).strip()
    value = Decimal(text) if PERCENT_RE.fullmatch(text) else Decimal(-1)
    if not 0 < value <= 100:
        raise Invalid.field(
            "parameters.fee", 'Give the percentage as a number above 0 and up to 100, like "2.5".'
        )
    return value


def contribution_rule(profile: Profile, parameters: Mapping[str, Any]) -> tuple[int, int]:
    """(threshold, window_days): how many accepted contributions, within how many days,
    count as having contributed."""
    source = parameters if profile.parametric else CONTRIBUTION_DEFAULTS
    return int(source["threshold"]), int(source["window_days"])


@dataclass(frozen=True)
class Facts:
    """What a decision is made from. `evidence` maps EVIDENCE_FACTS names to Evidence."""

    asker: str  # "person" or an organisation kind
    commercial: bool
    distributes: bool
    contributed: bool
    granted: bool = False  # holds a valid licence grant from the commons
    evidence: Mapping[str, Evidence] = field(default_factory=dict)
    declared_revenue: int | None = None  # minor units of the profile's currency

    def values(self) -> dict[str, str]:
        return {
            "asker": self.asker,
            "use": "commercial" if self.commercial else "non_commercial",
            "distributes": "yes" if self.distributes else "no",
            "contributed": "yes" if self.contributed else "no",
            "granted": "yes" if self.granted else "no",
            **{
                name: Evidence(self.evidence.get(name, Evidence.NO)).value
                for name in EVIDENCE_FACTS
            },
        }


@dataclass(frozen=True)
class Fee:
    minor: int
    currency: str
    basis: str  # in words: "flat, per year" or "2.5 % of declared yearly revenue 40000.00 EUR"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    rule: Rule
    obligations: tuple[str, ...]
    fee: Fee | None
    facts: dict[str, str]


def evaluate(profile: Profile, parameters: Mapping[str, Any], facts: Facts) -> Decision:
    """The first rule of `profile` that applies to `facts` decides. Pure: same inputs, same
    answer. Every profile ends with rules that cover any use, so one always applies."""
    if facts.asker not in ASKERS:
        raise Invalid.field("asker", f"Unknown kind of asker '{facts.asker}'.")
    values = facts.values()
    rule = next(rule for rule in profile.rules if rule.applies(values))
    allowed = rule.outcome in (Outcome.PERMITTED, Outcome.RECIPROCITY_REQUIRED)
    obligations = profile.on_distribution if allowed and facts.distributes else ()
    fee = None
    if rule.outcome is Outcome.RECIPROCITY_REQUIRED:
        fee = fee_quote(parameters, facts.declared_revenue)
    return Decision(rule.outcome, rule, obligations, fee, values)


def fee_quote(parameters: Mapping[str, Any], declared_revenue: int | None) -> Fee:
    currency = parameters["currency"]
    if parameters["fee_kind"] == "flat":
        return Fee(parse_amount(parameters["fee"], currency), currency, "flat, per year")
    if declared_revenue is None:
        raise Invalid.field(
            "declared_revenue",
            f"This commons' fee is {parameters['fee']} % of revenue: declare your yearly "
            f"revenue in {currency}.",
        )
    percent = Decimal(parameters["fee"])
    minor = int((declared_revenue * percent / 100).quantize(Decimal(1), ROUND_HALF_UP))
    revenue = format_amount(declared_revenue, currency)
    return Fee(minor, currency, f"{percent} % of declared yearly revenue {revenue} {currency}")


def parse_revenue(raw: object, currency: str) -> int | None:
    """Declared yearly revenue: a non-negative decimal string in the profile's currency."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if text.startswith("-"):
        raise Invalid.field("declared_revenue", "Revenue cannot be negative.")
    # parse_amount refuses zero, so a well-formed zero is taken here; "." or "0.0.0" are not,
    # and a zero with more decimals than the currency has is refused like any other amount.
    if (
        AMOUNT_RE.fullmatch(text)
        and Decimal(text) == 0
        and len(text.partition(".")[2]) <= CURRENCIES[currency]
    ):
        return 0
    if isinstance(raw, bool) or not AMOUNT_RE.fullmatch(text):
        raise Invalid.field(
            "declared_revenue", 'Give the revenue as a decimal amount, such as "40000".'
        )
    # parse_amount says what else is wrong: too many decimals for the currency, too large.
    return parse_amount(text, currency, "declared_revenue")


def check_evidence(kind: str, claims: Mapping[str, object]) -> dict[str, bool]:
    """An organisation's declared legal facts, refused when they contradict each other or the
    organisation's kind."""
    errors = FieldErrors()
    unknown = sorted(set(map(str, claims)) - set(EVIDENCE_FACTS))
    if unknown:
        errors.add("evidence", f"Unknown legal facts: {', '.join(unknown)}.")
    facts: dict[str, bool] = {}
    for name in EVIDENCE_FACTS:
        value = claims.get(name, False)
        if not isinstance(value, bool):
            errors.add(name, "Answer true or false.")
        facts[name] = value is True
    errors.raise_if_any()
    if facts["gains_to_workers"] and not facts["worker_owned"]:
        errors.add(
            "gains_to_workers",
            "Only a worker-owned organisation can distribute all gains to its worker-owners.",
        )
    if kind == OrganisationKind.WORKER_COOP.value and claims.get("worker_owned") is False:
        errors.add("worker_owned", "A worker cooperative is worker-owned by definition.")
    if kind == OrganisationKind.PUBLIC_BODY.value and facts["worker_owned"]:
        errors.add("worker_owned", "A public body is not owned by its workers.")
    if facts["employs_workers"] and kind not in COOPERATIVES:
        errors.add("employs_workers", "This fact is about cooperatives; this is a " + kind + ".")
    errors.raise_if_any()
    return facts
