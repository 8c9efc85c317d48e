"""Shapes of the licence engine's API. Fees and revenue cross as decimal strings ("12.50");
times as ISO 8601 UTC. Inputs refuse unknown fields: a misspelt `organization` or `parameter`
would otherwise be dropped silently and the answer given for something else than was asked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr

from communs.domain import licences
from communs.domain.money import format_amount
from communs.licensing.models import Evaluation, Evidence, Grant, ProfileVersion, Verification

STRICT = ConfigDict(extra="forbid")


class ObligationOut(Schema):
    name: str
    text: str

    @staticmethod
    def of(names: list[str] | tuple[str, ...]) -> list[ObligationOut]:
        return [ObligationOut(name=name, text=licences.OBLIGATIONS.get(name, "")) for name in names]


class RuleOut(Schema):
    id: str
    clause: str
    outcome: str
    reason: str
    when: dict[str, list[str]]  # fact → the values it must take; a missing fact: any value


class ProfileOut(Schema):
    key: str
    title: str
    url: str
    permissions: dict[str, str]  # commercial_use, modification, distribution → yes/no/conditional
    obligations_on_distribution: list[ObligationOut]
    parametric: bool
    sells_grants: bool
    parameters: dict[str, Any]  # the defaults; only CopyFair takes any
    rules: list[RuleOut]  # in order: the first that applies decides

    @staticmethod
    def of(profile: licences.Profile) -> ProfileOut:
        data = profile.as_data()
        return ProfileOut(
            **{**data, "obligations_on_distribution": ObligationOut.of(profile.on_distribution)}
        )


class ProfilePage(Schema):
    items: list[ProfileOut]
    next: str | None  # always null: the profiles fit on one page


# --- a commons' licence profile --------------------------------------------------------------


class ProfileIn(Schema):
    model_config = STRICT

    profile: str = Field(max_length=64)
    parameters: dict[str, Any] | None = None


class ProfileVersionOut(Schema):
    version: int
    profile: str
    parameters: dict[str, Any]
    adopted_by: str
    adopted_at: datetime

    @staticmethod
    def of(row: ProfileVersion) -> ProfileVersionOut:
        return ProfileVersionOut(
            version=row.version,
            profile=row.profile,
            parameters=dict(row.parameters),
            adopted_by=row.adopted_by.name,
            adopted_at=row.adopted_at,
        )


class CommonsProfileOut(Schema):
    commons: str
    licence: str  # the commons' licence field
    version: int  # 0: the profile the licence field names, with default parameters
    profile: str | None  # null: the engine does not know this licence
    title: str | None
    url: str | None
    permissions: dict[str, str]
    obligations_on_distribution: list[ObligationOut]
    parametric: bool
    sells_grants: bool
    parameters: dict[str, Any]
    rules: list[RuleOut]
    history: list[ProfileVersionOut]  # adopted versions, newest first


# --- usage requests --------------------------------------------------------------------------


class UsageIn(Schema):
    model_config = STRICT

    # The name of an organisation the asker belongs to; the asker themself when absent.
    organisation: str | None = Field(None, max_length=200)
    commercial: StrictBool
    distributes: StrictBool
    # Yearly revenue as a decimal string in the profile's currency; needed for a percent fee.
    declared_revenue: StrictStr | StrictInt | None = None


class FeeOut(Schema):
    amount: str
    currency: str
    basis: str


class EvaluationOut(Schema):
    id: int
    commons: str
    outcome: str
    rule: str
    clause: str
    reason: str
    obligations: list[ObligationOut]
    fee: FeeOut | None  # only for RECIPROCITY_REQUIRED
    inputs: dict[str, Any]  # every fact the answer was decided from
    profile: str
    profile_version: int
    asker: str  # the person, or the organisation they asked for
    requested_by: str
    evaluated_at: datetime

    @staticmethod
    def of(row: Evaluation, commons_slug: str | None = None) -> EvaluationOut:
        fee = None
        if row.fee is not None:
            fee = FeeOut(
                amount=format_amount(row.fee, row.fee_currency),
                currency=row.fee_currency,
                basis=row.fee_basis,
            )
        return EvaluationOut(
            id=row.pk,
            commons=commons_slug or row.commons.slug,
            outcome=row.outcome,
            rule=row.rule,
            clause=row.clause,
            reason=row.reason,
            obligations=ObligationOut.of(list(row.obligations)),
            fee=fee,
            inputs=dict(row.inputs),
            profile=row.profile,
            profile_version=row.profile_version,
            asker=row.asker.name,
            requested_by=row.requested_by.name,
            evaluated_at=row.evaluated_at,
        )


class EvaluationPage(Schema):
    items: list[EvaluationOut]
    next: str | None


# --- organisations' legal facts --------------------------------------------------------------


class EvidenceIn(Schema):
    model_config = STRICT

    legal_form: str | None = Field(None, max_length=200)
    worker_owned: StrictBool
    gains_to_workers: StrictBool
    sse: StrictBool
    employs_workers: StrictBool
    statutes_url: str | None = Field(None, max_length=500)

    def facts(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in licences.EVIDENCE_FACTS}


class VerifyIn(Schema):
    model_config = STRICT

    # Exactly one: a commons the verifier maintains, or a for-benefit association they run.
    commons: str | None = Field(None, max_length=200)
    association: str | None = Field(None, max_length=200)


class VerificationOut(Schema):
    id: int
    organisation: str
    evidence: int
    verified_by: str
    commons: str | None  # verified for this commons' evaluations only
    association: str | None  # verified by this for-benefit association, for what it keeps
    verified_at: datetime

    @staticmethod
    def of(row: Verification, organisation: str) -> VerificationOut:
        return VerificationOut(
            id=row.pk,
            organisation=organisation,
            evidence=row.evidence_id,
            verified_by=row.verified_by.name,
            commons=row.commons.slug if row.commons else None,
            association=row.association.name if row.association else None,
            verified_at=row.verified_at,
        )


class EvidenceOut(Schema):
    id: int
    organisation: str
    legal_form: str
    worker_owned: bool
    gains_to_workers: bool
    sse: bool
    employs_workers: bool
    statutes_url: str
    declared_by: str
    declared_at: datetime
    # "verified" where a check counts, listed in `verified_for` (a checking maintainer's commons;
    # those whose treasury a checking association keeps); otherwise "declared".
    status: str
    verified_for: list[str]
    verifications: list[VerificationOut]

    @staticmethod
    def of(row: Evidence, checks: list[Verification], verified_for: list[str]) -> EvidenceOut:
        name = row.organisation.name
        return EvidenceOut(
            id=row.pk,
            organisation=name,
            legal_form=row.legal_form,
            worker_owned=row.worker_owned,
            gains_to_workers=row.gains_to_workers,
            sse=row.sse,
            employs_workers=row.employs_workers,
            statutes_url=row.statutes_url,
            declared_by=row.declared_by.name,
            declared_at=row.declared_at,
            status="verified" if verified_for else "declared",
            verified_for=verified_for,
            verifications=[VerificationOut.of(v, name) for v in checks],
        )


# --- licence grants --------------------------------------------------------------------------


class GrantIn(Schema):
    model_config = STRICT

    grantee: str = Field(max_length=200)  # an agent's name
    amount: StrictStr | StrictInt  # the fee paid, a decimal string
    currency: str = Field(max_length=10)
    memo: str | None = Field(None, max_length=500)


class RevokeIn(Schema):
    model_config = STRICT

    reason: str = Field(max_length=10_000)


class GrantIncomeOut(Schema):
    id: int
    amount: str
    currency: str


class GrantOut(Schema):
    id: str
    status: str  # valid, expired, revoked or not_yet_valid
    valid: bool
    grantee: str
    commons: str
    profile: str
    profile_version: int
    valid_from: datetime
    valid_until: datetime
    income: GrantIncomeOut  # the licence_fee income it was paid with
    issued_by: str
    issued_at: datetime
    revoked_at: datetime | None
    revoke_reason: str

    @staticmethod
    def of(row: Grant, status: str, commons_slug: str | None = None) -> GrantOut:
        return GrantOut(
            id=str(row.pk),
            status=status,
            valid=status == "valid",
            grantee=row.grantee.name,
            commons=commons_slug or row.commons.slug,
            profile=row.profile,
            profile_version=row.profile_version,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            income=GrantIncomeOut(
                id=row.income.pk,
                amount=format_amount(row.income.amount, row.income.currency),
                currency=row.income.currency,
            ),
            issued_by=row.issued_by.name,
            issued_at=row.issued_at,
            revoked_at=row.revoked_at,
            revoke_reason=row.revoke_reason,
        )


class GrantPage(Schema):
    items: list[GrantOut]
    next: str | None
