"""Licence engine: every rule of every profile, named by the clause it restates, and the
promises of the engine (first match wins, same inputs same answer, contributing, holding a grant
or proving one's legal facts never makes the answer worse)."""

from __future__ import annotations

import copy
import dataclasses
import json
from decimal import Decimal
from fractions import Fraction
from itertools import product
from math import floor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communs.domain import licences as lic
from communs.domain.errors import Invalid
from communs.domain.licences import (
    ASKERS,
    EVIDENCE_FACTS,
    OUTCOME_ORDER,
    PROFILES,
    Evidence,
    Facts,
    Outcome,
    Profile,
    evaluate,
)
from communs.domain.money import CURRENCIES, MAX_MINOR

V, D, N = Evidence.VERIFIED, Evidence.DECLARED, Evidence.NO
PERMITTED = Outcome.PERMITTED
RECIPROCITY = Outcome.RECIPROCITY_REQUIRED
REVIEW = Outcome.REVIEW
SEPARATE = Outcome.SEPARATE_LICENSE_REQUIRED
PROHIBITED = Outcome.PROHIBITED
ALLOWED = frozenset({PERMITTED, RECIPROCITY})

FIRM = "for_profit"
WORKER_COOP = "worker_coop"
COOP = "cooperative"
NONPROFIT = "nonprofit"
PUBLIC = "public_body"
SOLE = "sole_trader"
GROUP = "informal_group"
PERSON = "person"

PPL = "PPL-1.0"
COOPCYCLE = "CoopCycle"
COPYFAIR = "CopyFair"
NC_SA = "CC-BY-NC-SA-4.0"


def params(profile: Profile, raw: dict[str, Any] | None = None) -> dict[str, Any]:
    return lic.check_parameters(profile, raw)


def rank(outcome: Outcome) -> int:
    """0 is best for the asker."""
    return OUTCOME_ORDER.index(outcome)


def case(
    profile: str,
    rule: str,
    outcome: Outcome,
    asker: str,
    flags: str,
    label: str,
    **evidence: Evidence,
) -> Any:
    """One row of a decision table. `flags` lists the facts that are true, among commercial,
    distributes, contributed and granted; the test id starts with the clause the rule cites."""
    words = set(flags.split())
    assert words <= {"commercial", "distributes", "contributed", "granted"}, words
    facts = Facts(
        asker=asker,
        commercial="commercial" in words,
        distributes="distributes" in words,
        contributed="contributed" in words,
        granted="granted" in words,
        evidence=evidence,
    )
    return pytest.param(profile, facts, outcome, rule, id=f"{CLAUSES[rule]} {label}")


# ---- the decision table of each profile ----

# The clause each rule must cite.
CLAUSES = {
    "ppl.non-commercial": "PPL-1.0 §3",
    "ppl.separate-licence": "Licence grant of the commons (outside PPL-1.0)",
    "ppl.wage-labour-firm": "PPL-1.0 §4(c)(iii)",
    "ppl.working-alone": "PPL-1.0 §4(c)(i)",
    "ppl.worker-owned": "PPL-1.0 §4(c)(i)-(ii)",
    "ppl.worker-owned-unverified": "PPL-1.0 §4(c)(i)-(ii)",
    "ppl.gains-kept": "PPL-1.0 §4(c)(ii)",
    "ppl.not-worker-owned": "PPL-1.0 §4(c)",
    "coopcycle.non-commercial": "CoopCycle licence §3",
    "coopcycle.employing-cooperative": "CoopCycle licence §4(c)",
    "coopcycle.employing-cooperative-unverified": "CoopCycle licence §4(c)",
    "coopcycle.other-commercial": "CoopCycle licence §4(c)",
    "copyfair.non-commercial": "CopyFair §1",
    "copyfair.contributor": "CopyFair §2",
    "copyfair.commons-economy": "CopyFair §3",
    "copyfair.fee-paid": "CopyFair §4",
    "copyfair.reciprocity": "CopyFair §4",
    "cc-by-nc-sa.non-commercial": "CC-BY-NC-SA-4.0 §2(a)(1)",
    "cc-by-nc-sa.separate-licence": "Licence grant of the commons (outside CC-BY-NC-SA-4.0)",
    "cc-by-nc-sa.commercial": "CC-BY-NC-SA-4.0 §1(k), §2(a)(1)",
    "mit.any-use": "MIT, permission notice",
    "apache-2.0.any-use": "Apache-2.0 §2-§4",
    "gpl-3.0-or-later.any-use": "GPL-3.0 §2, §4-§6",
    "agpl-3.0-or-later.any-use": "AGPL-3.0 §2, §4-§6, §13",
    "cc-by-4.0.any-use": "CC-BY-4.0 §2(a), §3(a)",
    "cc-by-sa-4.0.any-use": "CC-BY-SA-4.0 §2(a), §3(a)-(b)",
    "cern-ohl-s-2.0.any-use": "CERN-OHL-S-2.0 §3-§4",
}

PPL_CASES = [
    # A company its workers own, giving them all its gains, is not a wage-labour firm.
    case(
        PPL,
        "ppl.worker-owned",
        PERMITTED,
        FIRM,
        "commercial",
        "worker-owned company",
        worker_owned=V,
        gains_to_workers=V,
    ),
    case(
        PPL,
        "ppl.worker-owned-unverified",
        REVIEW,
        FIRM,
        "commercial",
        "company declaring worker ownership",
        worker_owned=D,
        gains_to_workers=D,
    ),
    case(PPL, "ppl.non-commercial", PERMITTED, FIRM, "distributes", "non-commercial, firm"),
    case(PPL, "ppl.non-commercial", PERMITTED, PERSON, "", "non-commercial, person"),
    case(PPL, "ppl.separate-licence", PERMITTED, FIRM, "commercial granted", "wage-labour firm"),
    case(PPL, "ppl.separate-licence", PERMITTED, PUBLIC, "commercial granted", "public body"),
    case(PPL, "ppl.wage-labour-firm", SEPARATE, FIRM, "commercial", "wage-labour firm"),
    case(
        PPL,
        "ppl.wage-labour-firm",
        SEPARATE,
        FIRM,
        "commercial contributed distributes",
        "wage-labour firm, contributing",
    ),
    case(PPL, "ppl.working-alone", REVIEW, PERSON, "commercial", "individual, commercial use"),
    case(PPL, "ppl.working-alone", REVIEW, SOLE, "commercial contributed", "sole trader"),
    case(
        PPL,
        "ppl.worker-owned",
        PERMITTED,
        WORKER_COOP,
        "commercial",
        "worker cooperative, ownership and gains verified",
        worker_owned=V,
        gains_to_workers=V,
    ),
    case(
        PPL,
        "ppl.worker-owned",
        PERMITTED,
        COOP,
        "commercial distributes",
        "cooperative, ownership and gains verified",
        worker_owned=V,
        gains_to_workers=V,
    ),
    case(
        PPL,
        "ppl.worker-owned-unverified",
        REVIEW,
        WORKER_COOP,
        "commercial",
        "worker cooperative, ownership and gains declared only",
        worker_owned=D,
        gains_to_workers=D,
    ),
    case(
        PPL,
        "ppl.worker-owned-unverified",
        REVIEW,
        WORKER_COOP,
        "commercial",
        "worker cooperative, ownership verified, gains declared",
        worker_owned=V,
        gains_to_workers=D,
    ),
    case(
        PPL,
        "ppl.gains-kept",
        SEPARATE,
        WORKER_COOP,
        "commercial contributed",
        "worker cooperative that does not distribute all gains",
        worker_owned=V,
    ),
    case(
        PPL,
        "ppl.gains-kept",
        SEPARATE,
        GROUP,
        "commercial",
        "group declared worker-owned, gains kept",
        worker_owned=D,
        gains_to_workers=N,
    ),
    case(PPL, "ppl.not-worker-owned", SEPARATE, NONPROFIT, "commercial contributed", "non-profit"),
    case(PPL, "ppl.not-worker-owned", SEPARATE, PUBLIC, "commercial", "public body"),
    case(
        PPL,
        "ppl.not-worker-owned",
        SEPARATE,
        WORKER_COOP,
        "commercial",
        "worker cooperative that declared no ownership",
        sse=V,
        employs_workers=V,
    ),
]

COOPCYCLE_CASES = [
    case(
        COOPCYCLE, "coopcycle.non-commercial", PERMITTED, FIRM, "distributes", "non-commercial firm"
    ),
    case(
        COOPCYCLE,
        "coopcycle.employing-cooperative",
        PERMITTED,
        COOP,
        "commercial",
        "employing SSE cooperative, verified",
        sse=V,
        employs_workers=V,
    ),
    case(
        COOPCYCLE,
        "coopcycle.employing-cooperative",
        PERMITTED,
        WORKER_COOP,
        "commercial distributes",
        "employing SSE worker cooperative, verified",
        sse=V,
        employs_workers=V,
    ),
    case(
        COOPCYCLE,
        "coopcycle.employing-cooperative-unverified",
        REVIEW,
        COOP,
        "commercial",
        "employing SSE cooperative, declared only",
        sse=D,
        employs_workers=D,
    ),
    case(
        COOPCYCLE,
        "coopcycle.employing-cooperative-unverified",
        REVIEW,
        WORKER_COOP,
        "commercial",
        "SSE verified, employing declared",
        sse=V,
        employs_workers=D,
    ),
    case(
        COOPCYCLE,
        "coopcycle.other-commercial",
        PROHIBITED,
        FIRM,
        "commercial contributed",
        "firm, even contributing",
    ),
    case(
        COOPCYCLE,
        "coopcycle.other-commercial",
        PROHIBITED,
        FIRM,
        "commercial",
        "firm claiming SSE status and employment, verified",
        sse=V,
        employs_workers=V,
    ),
    case(
        COOPCYCLE,
        "coopcycle.other-commercial",
        PROHIBITED,
        SOLE,
        "commercial",
        "self-employed sole trader",
    ),
    case(
        COOPCYCLE,
        "coopcycle.other-commercial",
        PROHIBITED,
        PERSON,
        "commercial",
        "self-employed person",
    ),
    case(
        COOPCYCLE,
        "coopcycle.other-commercial",
        PROHIBITED,
        COOP,
        "commercial",
        "SSE cooperative that does not employ its workers",
        sse=V,
    ),
    case(
        COOPCYCLE,
        "coopcycle.other-commercial",
        PROHIBITED,
        FIRM,
        "commercial granted",
        "firm holding a grant, which CoopCycle does not sell",
    ),
]

COPYFAIR_CASES = [
    case(COPYFAIR, "copyfair.non-commercial", PERMITTED, FIRM, "", "non-commercial, firm"),
    case(
        COPYFAIR,
        "copyfair.contributor",
        PERMITTED,
        FIRM,
        "commercial contributed distributes",
        "contributing firm",
    ),
    case(
        COPYFAIR,
        "copyfair.contributor",
        PERMITTED,
        PERSON,
        "commercial contributed",
        "contributing person",
    ),
    *(
        case(COPYFAIR, "copyfair.commons-economy", PERMITTED, kind, "commercial", kind, sse=V)
        for kind in (WORKER_COOP, COOP, NONPROFIT, GROUP)
    ),
    # Anyone can register an organisation of any kind: without verified status it pays.
    *(
        case(
            COPYFAIR,
            "copyfair.reciprocity",
            RECIPROCITY,
            kind,
            "commercial",
            f"{kind}, status {level}",
            sse=level,
        )
        for kind in (COOP, GROUP)
        for level in (N, D)
    ),
    case(
        COPYFAIR,
        "copyfair.reciprocity",
        RECIPROCITY,
        FIRM,
        "commercial",
        "firm with verified status",
        sse=V,
    ),
    case(COPYFAIR, "copyfair.fee-paid", PERMITTED, FIRM, "commercial granted", "firm, fee paid"),
    *(
        case(COPYFAIR, "copyfair.reciprocity", RECIPROCITY, kind, "commercial", f"{kind}, owes")
        for kind in (FIRM, PUBLIC, SOLE, PERSON)
    ),
]

NC_SA_CASES = [
    case(NC_SA, "cc-by-nc-sa.non-commercial", PERMITTED, FIRM, "distributes", "non-commercial"),
    case(NC_SA, "cc-by-nc-sa.separate-licence", PERMITTED, FIRM, "commercial granted", "granted"),
    case(NC_SA, "cc-by-nc-sa.commercial", SEPARATE, FIRM, "commercial", "commercial firm"),
    case(
        NC_SA,
        "cc-by-nc-sa.commercial",
        SEPARATE,
        WORKER_COOP,
        "commercial contributed",
        "commercial, contributing worker cooperative",
        worker_owned=V,
        gains_to_workers=V,
    ),
]

SPDX_CASES = [
    case(key, f"{key.lower()}.any-use", PERMITTED, FIRM, "commercial distributes", "firm")
    for key in (
        "MIT",
        "Apache-2.0",
        "GPL-3.0-or-later",
        "AGPL-3.0-or-later",
        "CC-BY-4.0",
        "CC-BY-SA-4.0",
        "CERN-OHL-S-2.0",
    )
]

CASES = PPL_CASES + COOPCYCLE_CASES + COPYFAIR_CASES + NC_SA_CASES + SPDX_CASES


@pytest.mark.parametrize(("key", "facts", "outcome", "rule"), CASES)
def test_decision_table(key: str, facts: Facts, outcome: Outcome, rule: str) -> None:
    profile = PROFILES[key]
    decision = evaluate(profile, params(profile), facts)
    assert decision.outcome is outcome
    assert decision.rule.id == rule
    assert decision.rule.clause == CLAUSES[rule]
    assert decision.rule.outcome is outcome
    assert decision.rule.reason


def test_the_cases_cover_every_rule_of_every_profile() -> None:
    """A rule added to a profile without a case above fails here."""
    hit = set()
    for param in CASES:
        key, facts = param.values[0], param.values[1]
        profile = PROFILES[key]
        hit.add((key, evaluate(profile, params(profile), facts).rule.id))
    every = {(key, rule.id) for key, profile in PROFILES.items() for rule in profile.rules}
    assert hit == every
    assert set(CLAUSES) == {rule_id for _, rule_id in every}


# ---- the profiles as data ----

FACT_VALUES: dict[str, frozenset[str]] = {
    "asker": frozenset(ASKERS),
    "use": frozenset({"commercial", "non_commercial"}),
    "distributes": frozenset({"yes", "no"}),
    "contributed": frozenset({"yes", "no"}),
    "granted": frozenset({"yes", "no"}),
    **{name: frozenset(e.value for e in Evidence) for name in EVIDENCE_FACTS},
}


def test_rules_name_only_facts_and_values_that_exist() -> None:
    # A misspelt fact or value would make a rule silently never (or always) apply.
    for profile in PROFILES.values():
        for rule in profile.rules:
            for name, values in rule.when.items():
                assert name in FACT_VALUES, (rule.id, name)
                assert values, (rule.id, name)
                assert values <= FACT_VALUES[name], (rule.id, name, values)


def test_rule_ids_are_unique_and_each_rule_cites_a_clause() -> None:
    ids = [rule.id for profile in PROFILES.values() for rule in profile.rules]
    assert len(ids) == len(set(ids))
    for key, profile in PROFILES.items():
        assert profile.key == key
        assert set(profile.on_distribution) <= set(lic.OBLIGATIONS)
        for rule in profile.rules:
            assert rule.clause.strip()
            assert rule.reason.strip()
        # shown and stored as JSON: the conditions survive the trip
        data = json.loads(json.dumps(profile.as_data()))
        assert [r["id"] for r in data["rules"]] == [r.id for r in profile.rules]
        for shown, rule in zip(data["rules"], profile.rules, strict=True):
            assert Outcome(shown["outcome"]) is rule.outcome
            assert {k: frozenset(v) for k, v in shown["when"].items()} == dict(rule.when)


def test_a_profile_sells_grants_exactly_when_a_rule_honours_one() -> None:
    for profile in PROFILES.values():
        honours = any("granted" in rule.when for rule in profile.rules)
        assert profile.sells_grants == honours, profile.key
    assert {key for key, p in PROFILES.items() if p.sells_grants} == {PPL, COPYFAIR, NC_SA}


@pytest.mark.parametrize(
    ("key", "obligations"),
    [
        ("MIT", {"attribution"}),
        ("Apache-2.0", {"attribution", "change_notice"}),
        ("GPL-3.0-or-later", {"attribution", "share_alike", "change_notice", "source"}),
        (
            "AGPL-3.0-or-later",
            {"attribution", "share_alike", "change_notice", "source", "network_source"},
        ),
        ("CC-BY-4.0", {"attribution", "change_notice", "no_drm"}),
        ("CC-BY-SA-4.0", {"attribution", "share_alike", "change_notice", "no_drm"}),
        ("CERN-OHL-S-2.0", {"attribution", "share_alike", "change_notice", "source"}),
        (NC_SA, {"attribution", "share_alike", "change_notice", "no_drm"}),
        (PPL, {"attribution", "share_alike", "change_notice", "no_drm"}),
        (COOPCYCLE, {"attribution", "share_alike", "change_notice", "no_drm"}),
        (COPYFAIR, {"attribution", "share_alike", "change_notice"}),
    ],
)
def test_obligations_of_passing_it_on(key: str, obligations: set[str]) -> None:
    profile = PROFILES[key]
    passing_on = Facts(asker=PERSON, commercial=False, distributes=True, contributed=False)
    keeping = dataclasses.replace(passing_on, distributes=False)
    assert set(evaluate(profile, params(profile), passing_on).obligations) == obligations
    assert evaluate(profile, params(profile), keeping).obligations == ()


# ---- the edge cases, one by one ----


def test_ppl_contributing_never_exempts_a_wage_labour_firm() -> None:
    ppl, copyfair = PROFILES[PPL], PROFILES[COPYFAIR]
    for contributed, distributes in product((False, True), repeat=2):
        firm = Facts(asker=FIRM, commercial=True, distributes=distributes, contributed=contributed)
        decision = evaluate(ppl, {}, firm)
        assert (decision.outcome, decision.rule.id) == (SEPARATE, "ppl.wage-labour-firm")
        assert decision.obligations == ()
        assert decision.fee is None
    # ... which is exactly the exemption CopyFair adds.
    contributing = Facts(asker=FIRM, commercial=True, distributes=False, contributed=True)
    assert evaluate(copyfair, params(copyfair), contributing).outcome is PERMITTED


def test_copyfair_contributor_dropping_below_threshold_owes_the_fee() -> None:
    copyfair = PROFILES[COPYFAIR]
    parameters = params(copyfair, {"fee": "120", "currency": "EUR"})
    above = Facts(asker=FIRM, commercial=True, distributes=True, contributed=True)
    below = dataclasses.replace(above, contributed=False)
    before, after = evaluate(copyfair, parameters, above), evaluate(copyfair, parameters, below)
    assert (before.outcome, before.rule.id, before.fee) == (
        PERMITTED,
        "copyfair.contributor",
        None,
    )
    assert (after.outcome, after.rule.id) == (RECIPROCITY, "copyfair.reciprocity")
    assert after.fee == lic.Fee(12000, "EUR", "flat, per year")
    # still allowed, so passing it on still comes with the obligations
    assert after.obligations == copyfair.on_distribution
    # paying the fee (a grant) makes it PERMITTED again, without a fee
    paid = evaluate(copyfair, parameters, dataclasses.replace(below, granted=True))
    assert (paid.outcome, paid.rule.id, paid.fee) == (PERMITTED, "copyfair.fee-paid", None)


@pytest.mark.parametrize(
    ("key", "asker", "facts", "allowing_rule"),
    [
        (PPL, WORKER_COOP, ("worker_owned", "gains_to_workers"), "ppl.worker-owned"),
        (PPL, COOP, ("worker_owned", "gains_to_workers"), "ppl.worker-owned"),
        (PPL, GROUP, ("worker_owned", "gains_to_workers"), "ppl.worker-owned"),
        (COOPCYCLE, COOP, ("sse", "employs_workers"), "coopcycle.employing-cooperative"),
        (COOPCYCLE, WORKER_COOP, ("sse", "employs_workers"), "coopcycle.employing-cooperative"),
    ],
)
def test_declared_evidence_gives_review_and_verified_gives_permitted(
    key: str, asker: str, facts: tuple[str, str], allowing_rule: str
) -> None:
    profile = PROFILES[key]

    def outcome(level: Evidence) -> tuple[Outcome, str]:
        asked = Facts(
            asker=asker,
            commercial=True,
            distributes=False,
            contributed=False,
            evidence=dict.fromkeys(facts, level),
        )
        decision = evaluate(profile, {}, asked)
        return decision.outcome, decision.rule.id

    assert outcome(D) == (REVIEW, f"{allowing_rule}-unverified")
    assert outcome(V) == (PERMITTED, allowing_rule)
    assert outcome(N)[0] in (SEPARATE, PROHIBITED)


@pytest.mark.parametrize("key", [PPL, COPYFAIR, NC_SA])
@pytest.mark.parametrize("asker", ASKERS)
def test_a_valid_grant_permits_commercial_use(key: str, asker: str) -> None:
    profile = PROFILES[key]
    without = Facts(asker=asker, commercial=True, distributes=True, contributed=False)
    decision = evaluate(profile, params(profile), dataclasses.replace(without, granted=True))
    assert decision.outcome is PERMITTED
    assert decision.fee is None
    assert decision.obligations == profile.on_distribution
    if evaluate(profile, params(profile), without).outcome is not PERMITTED:
        assert "granted" in decision.rule.when


@pytest.mark.parametrize("key", sorted(k for k, p in PROFILES.items() if not p.sells_grants))
def test_a_grant_changes_nothing_where_the_profile_sells_none(key: str) -> None:
    profile = PROFILES[key]
    for asker, commercial in product(ASKERS, (False, True)):
        facts = Facts(asker=asker, commercial=commercial, distributes=True, contributed=False)
        granted = dataclasses.replace(facts, granted=True)
        plain, holding = evaluate(profile, {}, facts), evaluate(profile, {}, granted)
        assert (plain.outcome, plain.rule) == (holding.outcome, holding.rule)


def test_cc_by_nc_sa_commercial_and_non_commercial() -> None:
    profile = PROFILES[NC_SA]
    for asker in ASKERS:
        use = Facts(asker=asker, commercial=False, distributes=True, contributed=True)
        assert evaluate(profile, {}, use).outcome is PERMITTED
        sell = dataclasses.replace(use, commercial=True)
        decision = evaluate(profile, {}, sell)
        assert decision.outcome is SEPARATE
        assert decision.obligations == ()


@pytest.mark.parametrize(
    ("key", "facts", "allowed"),
    [
        (PPL, Facts(FIRM, commercial=False, distributes=True, contributed=False), True),
        (PPL, Facts(FIRM, commercial=True, distributes=True, contributed=True), False),
        (PPL, Facts(PERSON, commercial=True, distributes=True, contributed=False), False),
        (COOPCYCLE, Facts(SOLE, commercial=True, distributes=True, contributed=False), False),
        (COPYFAIR, Facts(FIRM, commercial=True, distributes=True, contributed=False), True),
        (COPYFAIR, Facts(COOP, commercial=True, distributes=True, contributed=False), True),
        ("MIT", Facts(FIRM, commercial=True, distributes=True, contributed=False), True),
    ],
)
def test_obligations_only_when_allowed_and_distributing(
    key: str, facts: Facts, allowed: bool
) -> None:
    profile = PROFILES[key]
    decision = evaluate(profile, params(profile), facts)
    assert (decision.outcome in ALLOWED) == allowed
    assert decision.obligations == (profile.on_distribution if allowed else ())
    private = evaluate(profile, params(profile), dataclasses.replace(facts, distributes=False))
    assert private.outcome is decision.outcome
    assert private.obligations == ()


def test_an_unknown_asker_is_refused() -> None:
    facts = Facts(asker="corporation", commercial=True, distributes=False, contributed=False)
    with pytest.raises(Invalid) as caught:
        evaluate(PROFILES["MIT"], {}, facts)
    assert set(caught.value.errors) == {"asker"}


# ---- the reciprocity fee ----


def percent(fee: str, currency: str = "EUR") -> dict[str, Any]:
    return params(PROFILES[COPYFAIR], {"fee_kind": "percent", "fee": fee, "currency": currency})


@pytest.mark.parametrize(
    ("fee", "currency", "minor"),
    [("500.00", "EUR", 50000), ("500", "EUR", 50000), ("500", "JPY", 500), ("1.5", "TND", 1500)],
)
def test_flat_fee_is_exact_per_year_whatever_the_revenue(
    fee: str, currency: str, minor: int
) -> None:
    parameters = params(PROFILES[COPYFAIR], {"fee": fee, "currency": currency})
    for revenue in (None, 0, 10**9):
        assert lic.fee_quote(parameters, revenue) == lic.Fee(minor, currency, "flat, per year")


@pytest.mark.parametrize(
    ("fee", "revenue", "minor"),
    [
        ("2.5", 20, 1),  # 0.5 rounds up (half-even would give 0)
        ("2.5", 100, 3),  # 2.5 rounds up (half-even would give 2)
        ("2.5", 19, 0),  # 0.475
        ("2.5", 21, 1),  # 0.525
        ("2.5", 4_000_000, 100_000),  # €40,000.00 → €1,000.00
        ("100", 12345, 12345),
        ("0.01", 50, 0),  # 0.005
        ("0.01", 5000, 1),
        ("2.5", 0, 0),
    ],
)
def test_percent_fee_rounds_half_up_to_the_minor_unit(fee: str, revenue: int, minor: int) -> None:
    quote = lic.fee_quote(percent(fee), revenue)
    assert (quote.minor, quote.currency) == (minor, "EUR")


def test_percent_fee_basis_names_the_rate_and_the_revenue() -> None:
    quote = lic.fee_quote(percent("2.5"), 4_000_000)
    assert "2.5 %" in quote.basis
    assert "40000.00 EUR" in quote.basis


def test_percent_fee_without_declared_revenue_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        lic.fee_quote(percent("2.5"), None)
    assert set(caught.value.errors) == {"declared_revenue"}
    assert "2.5" in caught.value.errors["declared_revenue"][0]
    copyfair = PROFILES[COPYFAIR]
    owes = Facts(asker=FIRM, commercial=True, distributes=False, contributed=False)
    with pytest.raises(Invalid) as caught:
        evaluate(copyfair, percent("2.5"), owes)
    assert set(caught.value.errors) == {"declared_revenue"}
    # The revenue is only needed when a fee is owed.
    contributor = dataclasses.replace(owes, contributed=True)
    assert evaluate(copyfair, percent("2.5"), contributor).outcome is PERMITTED
    quoted = evaluate(copyfair, percent("2.5"), dataclasses.replace(owes, declared_revenue=200))
    assert quoted.fee == lic.fee_quote(percent("2.5"), 200)


# ---- declared revenue ----


@pytest.mark.parametrize(
    ("raw", "currency", "minor"),
    [
        (None, "EUR", None),
        ("", "EUR", None),
        ("0", "EUR", 0),
        ("0.00", "EUR", 0),
        ("000", "EUR", 0),
        ("0", "JPY", 0),
        ("40000.00", "EUR", 4_000_000),
        (" 40000.5 ", "EUR", 4_000_050),
        (40000, "EUR", 4_000_000),
        ("1000", "JPY", 1000),
        ("1.001", "TND", 1001),
    ],
)
def test_parse_revenue_accepts(raw: object, currency: str, minor: int | None) -> None:
    assert lic.parse_revenue(raw, currency) == minor


@pytest.mark.parametrize(
    ("raw", "currency"),
    [
        ("-1", "EUR"),
        ("-0.01", "EUR"),
        ("-0", "EUR"),
        ("abc", "EUR"),
        ("1,000", "EUR"),
        ("1e3", "EUR"),
        (".", "EUR"),
        ("0.0.0", "EUR"),
        ("1.234", "EUR"),
        ("0.000", "EUR"),
        ("1.5", "JPY"),
        ("0.0", "JPY"),
        ("10000000000000000", "EUR"),  # beyond any commons
        (True, "EUR"),
    ],
)
def test_parse_revenue_refuses(raw: object, currency: str) -> None:
    with pytest.raises(Invalid) as caught:
        lic.parse_revenue(raw, currency)
    assert set(caught.value.errors) == {"declared_revenue"}


def test_parse_revenue_says_negative_when_it_is() -> None:
    with pytest.raises(Invalid, match="negative"):
        lic.parse_revenue("-5", "EUR")


# ---- parameters ----


def test_copyfair_parameters_default_and_normalise() -> None:
    copyfair = PROFILES[COPYFAIR]
    defaults = params(copyfair)
    assert defaults == {
        "threshold": 3,
        "window_days": 365,
        "fee_kind": "flat",
        "fee": "500.00",
        "currency": "EUR",
    }
    assert params(copyfair, {}) == defaults
    defaults["threshold"] = 99  # the result is the caller's own copy
    assert params(copyfair)["threshold"] == 3
    assert params(copyfair, {"fee": "12.5", "currency": " usd "}) == {
        "threshold": 3,
        "window_days": 365,
        "fee_kind": "flat",
        "fee": "12.50",
        "currency": "USD",
    }
    assert params(copyfair, {"fee": 500, "currency": "JPY"})["fee"] == "500"
    edges = {"threshold": 1, "window_days": lic.MAX_WINDOW_DAYS, "fee_kind": "percent"}
    assert params(copyfair, {**edges, "fee": "100"})["fee"] == "100"
    assert params(copyfair, {**edges, "fee": "0.01"})["fee"] == "0.01"
    assert params(copyfair, {"threshold": lic.MAX_THRESHOLD, "window_days": 1})["threshold"] == (
        lic.MAX_THRESHOLD
    )


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ({"colour": "red"}, {"parameters"}),
        ({"threshold": True}, {"parameters.threshold"}),
        ({"threshold": "3"}, {"parameters.threshold"}),
        ({"threshold": 3.0}, {"parameters.threshold"}),
        ({"threshold": 0}, {"parameters.threshold"}),
        ({"threshold": lic.MAX_THRESHOLD + 1}, {"parameters.threshold"}),
        ({"window_days": False}, {"parameters.window_days"}),
        ({"window_days": 0}, {"parameters.window_days"}),
        ({"window_days": lic.MAX_WINDOW_DAYS + 1}, {"parameters.window_days"}),
        ({"fee_kind": "monthly"}, {"parameters.fee_kind"}),
        ({"currency": "XYZ"}, {"parameters.currency"}),
        ({"fee": "0"}, {"parameters.fee"}),
        ({"fee": "1.234"}, {"parameters.fee"}),
        ({"fee": "1.5", "currency": "JPY"}, {"parameters.fee"}),
        ({"fee_kind": "percent"}, {"parameters.fee"}),  # the default fee is not a percentage
        ({"fee_kind": "percent", "fee": "0"}, {"parameters.fee"}),
        ({"fee_kind": "percent", "fee": "100.01"}, {"parameters.fee"}),
        ({"fee_kind": "percent", "fee": "2.555"}, {"parameters.fee"}),
        ({"fee_kind": "percent", "fee": "-1"}, {"parameters.fee"}),
        ({"fee_kind": "percent", "fee": "lots"}, {"parameters.fee"}),
        ({"fee_kind": "percent", "fee": "NaN"}, {"parameters.fee"}),
        ({"fee_kind": "percent", "fee": "1e1"}, {"parameters.fee"}),
        (
            {"threshold": 0, "window_days": 0, "fee_kind": "x", "currency": "XYZ", "more": 1},
            {
                "parameters",
                "parameters.threshold",
                "parameters.window_days",
                "parameters.fee_kind",
                "parameters.currency",
            },
        ),
        ("threshold=3", {"parameters"}),
        ([("threshold", 3)], {"parameters"}),
    ],
)
def test_copyfair_parameters_refused(raw: object, fields: set[str]) -> None:
    with pytest.raises(Invalid) as caught:
        lic.check_parameters(PROFILES[COPYFAIR], raw)
    assert set(caught.value.errors) == fields


@pytest.mark.parametrize("key", sorted(k for k, p in PROFILES.items() if not p.parametric))
def test_non_parametric_profiles_take_no_parameters(key: str) -> None:
    profile = PROFILES[key]
    assert lic.check_parameters(profile, None) == {}
    assert lic.check_parameters(profile, {}) == {}
    with pytest.raises(Invalid) as caught:
        lic.check_parameters(profile, {"threshold": 3})
    assert set(caught.value.errors) == {"parameters"}
    assert key in caught.value.errors["parameters"][0]


def test_contribution_rule() -> None:
    copyfair = PROFILES[COPYFAIR]
    chosen = params(copyfair, {"threshold": 7, "window_days": 30})
    assert lic.contribution_rule(copyfair, chosen) == (7, 30)
    # Other profiles do not define contributing; the inputs still show "at least one this year".
    assert lic.contribution_rule(PROFILES[PPL], {}) == (1, 365)
    assert lic.contribution_rule(PROFILES["MIT"], {"threshold": 7}) == (1, 365)


# ---- profiles by key ----


def test_get_profile() -> None:
    for key, profile in PROFILES.items():
        assert lic.get_profile(key) is profile
    assert lic.get_profile("  CopyFair ") is PROFILES[COPYFAIR]
    # SPDX identifiers are case-insensitive.
    assert lic.get_profile("mit") is PROFILES["MIT"]
    assert lic.find_profile("cc-by-sa-4.0") is PROFILES["CC-BY-SA-4.0"]
    for unknown in ("WTFPL", "", None):
        with pytest.raises(Invalid) as caught:
            lic.get_profile(unknown)
        assert set(caught.value.errors) == {"profile"}
        message = caught.value.errors["profile"][0]
        assert all(key in message for key in PROFILES)
    with pytest.raises(Invalid, match="WTFPL"):
        lic.get_profile("WTFPL")


# ---- declared legal facts ----


@pytest.mark.parametrize(
    ("kind", "claims", "expected"),
    [
        (
            WORKER_COOP,
            {"worker_owned": True, "gains_to_workers": True},
            {
                "worker_owned": True,
                "gains_to_workers": True,
                "sse": False,
                "employs_workers": False,
            },
        ),
        (
            COOP,
            {"sse": True, "employs_workers": True},
            {
                "worker_owned": False,
                "gains_to_workers": False,
                "sse": True,
                "employs_workers": True,
            },
        ),
        (
            FIRM,
            {"worker_owned": True, "gains_to_workers": False},
            {
                "worker_owned": True,
                "gains_to_workers": False,
                "sse": False,
                "employs_workers": False,
            },
        ),
        (PUBLIC, {"sse": True}, {**dict.fromkeys(EVIDENCE_FACTS, False), "sse": True}),
        # Saying nothing about ownership is not denying it.
        (WORKER_COOP, {}, dict.fromkeys(EVIDENCE_FACTS, False)),
    ],
)
def test_check_evidence_accepts(
    kind: str, claims: dict[str, object], expected: dict[str, bool]
) -> None:
    assert lic.check_evidence(kind, claims) == expected


@pytest.mark.parametrize(
    ("kind", "claims", "fields"),
    [
        (FIRM, {"gains_to_workers": True}, {"gains_to_workers"}),
        (COOP, {"worker_owned": False, "gains_to_workers": True}, {"gains_to_workers"}),
        (WORKER_COOP, {"worker_owned": False}, {"worker_owned"}),
        (PUBLIC, {"worker_owned": True}, {"worker_owned"}),
        (FIRM, {"employs_workers": True}, {"employs_workers"}),
        (NONPROFIT, {"employs_workers": True}, {"employs_workers"}),
        (SOLE, {"employs_workers": True}, {"employs_workers"}),
        (
            PUBLIC,
            {"worker_owned": True, "employs_workers": True},
            {"worker_owned", "employs_workers"},
        ),
        (COOP, {"sse": "yes"}, {"sse"}),
        (COOP, {"worker_owned": 1}, {"worker_owned"}),
        (COOP, {"employs_workers": None}, {"employs_workers"}),
        (COOP, {"sse": "true", "worker_owned": 0}, {"sse", "worker_owned"}),
        (COOP, {"worker_ownd": True}, {"evidence"}),  # a typo is not silently "false"
    ],
)
def test_check_evidence_refuses_contradictions(
    kind: str, claims: dict[str, object], fields: set[str]
) -> None:
    with pytest.raises(Invalid) as caught:
        lic.check_evidence(kind, claims)
    assert set(caught.value.errors) == fields


# ---- properties over any facts ----

EVIDENCE = st.dictionaries(st.sampled_from(sorted(EVIDENCE_FACTS)), st.sampled_from(list(Evidence)))
FACTS = st.builds(
    Facts,
    asker=st.sampled_from(ASKERS),
    commercial=st.booleans(),
    distributes=st.booleans(),
    contributed=st.booleans(),
    granted=st.booleans(),
    evidence=EVIDENCE,
    declared_revenue=st.none() | st.integers(0, MAX_MINOR),
)
PROFILE = st.sampled_from(sorted(PROFILES)).map(PROFILES.__getitem__)
COMMON = {
    "threshold": st.integers(1, lic.MAX_THRESHOLD),
    "window_days": st.integers(1, lic.MAX_WINDOW_DAYS),
    "currency": st.sampled_from(sorted(CURRENCIES)),
}
FLAT = st.fixed_dictionaries(
    {**COMMON, "fee_kind": st.just("flat"), "fee": st.integers(1, 10**7).map(str)}
)
PERCENT = st.fixed_dictionaries(
    {
        **COMMON,
        "fee_kind": st.just("percent"),
        "fee": st.decimals(Decimal("0.01"), Decimal(100), places=2).map(str),
    }
)


def parameters_for(profile: Profile, raw: dict[str, Any]) -> dict[str, Any]:
    return lic.check_parameters(profile, raw if profile.parametric else None)


def facts_as_the_rules_see_them(facts: Facts) -> dict[str, str]:
    """Restated here from the meaning of each fact, so the engine is checked against it."""
    yes_no = {True: "yes", False: "no"}
    return {
        "asker": facts.asker,
        "use": "commercial" if facts.commercial else "non_commercial",
        "distributes": yes_no[facts.distributes],
        "contributed": yes_no[facts.contributed],
        "granted": yes_no[facts.granted],
        **{name: str(facts.evidence.get(name, "no")) for name in EVIDENCE_FACTS},
    }


@settings(max_examples=300)
@given(PROFILE, FLAT, FACTS)
def test_some_rule_always_applies(profile: Profile, raw: dict[str, Any], facts: Facts) -> None:
    decision = evaluate(profile, parameters_for(profile, raw), facts)
    assert decision.rule in profile.rules
    assert decision.outcome is decision.rule.outcome
    if not facts.commercial:
        assert decision.outcome is PERMITTED


@settings(max_examples=300)
@given(PROFILE, FLAT, FACTS)
def test_evaluation_is_deterministic(profile: Profile, raw: dict[str, Any], facts: Facts) -> None:
    parameters = parameters_for(profile, raw)
    before = copy.deepcopy(parameters)
    first = evaluate(profile, parameters, facts)
    assert evaluate(profile, parameters, facts) == first
    # an equal copy, with the evidence listed in the other order
    twin = dataclasses.replace(facts, evidence=dict(reversed(list(facts.evidence.items()))))
    assert twin == facts
    assert evaluate(profile, copy.deepcopy(parameters), twin) == first
    assert parameters == before


@settings(max_examples=300)
@given(PROFILE, FLAT, FACTS)
def test_the_first_rule_that_applies_decides(
    profile: Profile, raw: dict[str, Any], facts: Facts
) -> None:
    decision = evaluate(profile, parameters_for(profile, raw), facts)
    seen = facts_as_the_rules_see_them(facts)
    first = next(
        rule
        for rule in profile.rules
        if all(seen[name] in values for name, values in rule.when.items())
    )
    assert decision.rule is first
    assert decision.facts == seen


@settings(max_examples=300)
@given(PROFILE, FLAT, FACTS)
def test_contributing_or_holding_a_grant_never_makes_it_worse(
    profile: Profile, raw: dict[str, Any], facts: Facts
) -> None:
    parameters = parameters_for(profile, raw)

    def outcome(changed: Facts) -> int:
        return rank(evaluate(profile, parameters, changed).outcome)

    replace = dataclasses.replace
    assert outcome(replace(facts, contributed=True)) <= outcome(replace(facts, contributed=False))
    assert outcome(replace(facts, granted=True)) <= outcome(replace(facts, granted=False))


@settings(max_examples=300)
@given(PROFILE, FACTS, st.sampled_from(sorted(EVIDENCE_FACTS)))
def test_proving_a_legal_fact_never_makes_it_worse(
    profile: Profile, facts: Facts, name: str
) -> None:
    parameters = parameters_for(profile, {})

    def outcome(level: Evidence) -> int:
        evidence = {**facts.evidence, name: level}
        return rank(
            evaluate(profile, parameters, dataclasses.replace(facts, evidence=evidence)).outcome
        )

    assert outcome(V) <= outcome(D) <= outcome(N)


Point = tuple[str, bool, bool, bool, tuple[Evidence, ...]]
LEVELS = (N, D, V)


def test_monotonic_over_the_whole_space_of_facts() -> None:
    """The facts that decide are finite: check every combination (distribution aside, which
    only the obligations read; the properties above cover it)."""
    space: list[Point] = [
        (asker, commercial, contributed, granted, evidence)
        for asker in ASKERS
        for commercial, contributed, granted in product((False, True), repeat=3)
        for evidence in product(LEVELS, repeat=len(EVIDENCE_FACTS))
    ]
    for key, profile in PROFILES.items():
        parameters = params(profile)
        outcomes: dict[Point, int] = {}
        for asker, commercial, contributed, granted, evidence in space:
            facts = Facts(
                asker=asker,
                commercial=commercial,
                distributes=False,
                contributed=contributed,
                granted=granted,
                evidence=dict(zip(EVIDENCE_FACTS, evidence, strict=True)),
            )
            point = (asker, commercial, contributed, granted, evidence)
            outcomes[point] = rank(evaluate(profile, parameters, facts).outcome)
        for (asker, commercial, contributed, granted, evidence), worst in outcomes.items():
            # one step up: contributing, holding a grant, or one legal fact proven one level more
            better: list[Point] = []
            if not contributed:
                better.append((asker, commercial, True, granted, evidence))
            if not granted:
                better.append((asker, commercial, contributed, True, evidence))
            for i, level in enumerate(evidence):
                if level is not V:
                    up = (*evidence[:i], LEVELS[LEVELS.index(level) + 1], *evidence[i + 1 :])
                    better.append((asker, commercial, contributed, granted, up))
            for point in better:
                assert outcomes[point] <= worst, (key, point)


@settings(max_examples=300)
@given(PROFILE, FLAT, PERCENT, FACTS)
def test_reciprocity_required_always_carries_a_fee_and_nothing_else_does(
    profile: Profile, flat: dict[str, Any], by_revenue: dict[str, Any], facts: Facts
) -> None:
    parameters = parameters_for(profile, flat)
    decision = evaluate(profile, parameters, facts)
    assert (decision.fee is not None) == (decision.outcome is RECIPROCITY)
    if decision.fee is not None:
        digits = CURRENCIES[flat["currency"]]
        assert decision.fee.currency == flat["currency"]
        assert decision.fee.minor == Fraction(Decimal(flat["fee"])) * 10**digits

    # A fee of a percentage of revenue is refused without the revenue, and only when owed.
    parameters = parameters_for(profile, by_revenue)
    owed = decision.outcome is RECIPROCITY
    if facts.declared_revenue is None and owed:
        with pytest.raises(Invalid) as refused:
            evaluate(profile, parameters, facts)
        assert set(refused.value.errors) == {"declared_revenue"}
        return
    by_percent = evaluate(profile, parameters, facts)
    # how the fee is reckoned never changes which rule decides
    assert by_percent.rule is decision.rule
    decision = by_percent
    assert (decision.fee is not None) == owed
    if decision.fee is not None:
        assert facts.declared_revenue is not None
        share = facts.declared_revenue * Fraction(Decimal(by_revenue["fee"])) / 100
        assert decision.fee.minor == floor(share + Fraction(1, 2))
        assert decision.fee.currency == by_revenue["currency"]


@settings(max_examples=300)
@given(PROFILE, FLAT, FACTS)
def test_obligations_follow_allowed_use_and_distribution(
    profile: Profile, raw: dict[str, Any], facts: Facts
) -> None:
    decision = evaluate(profile, parameters_for(profile, raw), facts)
    expected = profile.on_distribution if decision.outcome in ALLOWED and facts.distributes else ()
    assert decision.obligations == expected
