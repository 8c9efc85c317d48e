"""Writes for licences. Each use case checks who may act, validates everything before writing,
and appends its event to the public log in the same transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction

from communs.accounts.models import Agent, Membership
from communs.commons.models import Commons
from communs.commons.selectors import is_maintainer
from communs.commons.services import require_power, rulebook_record
from communs.core import clock, eventlog
from communs.domain import licences, money
from communs.domain.contributions import check_reason, check_url, has_nul
from communs.domain.errors import Conflict, FieldErrors, Forbidden, Invalid
from communs.domain.rulebook import Power
from communs.ledger import selectors as ledger_selectors
from communs.ledger import services as ledger_services
from communs.ledger.models import Income

from . import selectors
from .models import Evaluation, Evidence, Grant, ProfileVersion, Verification

MAX_LEGAL_FORM = 200


def _log(commons: Commons, kind: str, actor: Agent, data: dict[str, Any]) -> None:
    eventlog.append(eventlog.commons_stream(commons.slug), kind, actor.name, data)


def profile_adopt(
    *,
    actor: Agent,
    commons: Commons,
    profile: object,
    parameters: object = None,
    proposal: int | None = None,
) -> ProfileVersion:
    """Put the commons under a licence profile — its maintainers, if the rulebook leaves that to
    them, or an adopted `proposal`; a new version each time, so grants and evaluations keep
    naming the version they were made under."""
    if proposal is None:
        require_power(actor, commons, Power.CHANGE_LICENCE, "choose its licence")
    chosen = licences.get_profile(profile)
    values = licences.check_parameters(chosen, parameters)
    with transaction.atomic():
        # The commons row lock queues concurrent adoptions, so versions never collide.
        locked = Commons.objects.select_for_update().get(pk=commons.pk)
        current = selectors.profile_current(locked)
        row = ProfileVersion.objects.create(
            commons=locked,
            version=current.version + 1,
            profile=chosen.key,
            parameters=values,
            adopted_by=actor,
            adopted_at=clock.now(),
        )
        Commons.objects.filter(pk=commons.pk).update(licence=chosen.key)
        commons.licence = chosen.key
        rulebook_record(
            actor=actor,
            commons=locked,
            proposal=proposal,
            note=f"Licence profile v{row.version} ({chosen.key}) adopted",
            licence_version=row.version,
        )
        _log(
            commons,
            "licence.profile_adopted",
            actor,
            {
                "version": row.version,
                "profile": chosen.key,
                "parameters": values,
                **({"proposal": proposal} if proposal else {}),
            },
        )
    return row


def _require_admin(actor: Agent, organisation: Agent) -> None:
    if not Membership.objects.filter(
        organisation=organisation, person=actor, role=Membership.Role.ADMIN
    ).exists():
        raise Forbidden(f"Only an admin of {organisation.name} can declare its legal facts.")


def evidence_declare(
    *,
    actor: Agent,
    organisation: Agent,
    facts: dict[str, object],
    legal_form: str = "",
    statutes_url: str = "",
) -> Evidence:
    """An organisation's admin declares its legal facts. They stay `declared` until a
    maintainer or a for-benefit association verifies this declaration."""
    if not organisation.is_organisation:
        raise Invalid.field("organisation", "Only organisations declare legal facts.")
    _require_admin(actor, organisation)
    claims = licences.check_evidence(organisation.org_kind, facts)
    errors = FieldErrors()
    form = (legal_form or "").strip()
    if len(form) > MAX_LEGAL_FORM or has_nul(form):
        errors.add("legal_form", f"Keep it under {MAX_LEGAL_FORM} characters, without NUL.")
    url = check_url(statutes_url or "", errors, "statutes_url")
    errors.raise_if_any()
    with transaction.atomic():
        evidence = Evidence.objects.create(
            organisation=organisation,
            legal_form=form,
            statutes_url=url,
            declared_by=actor,
            declared_at=clock.now(),
            **claims,
        )
        eventlog.append(
            eventlog.INSTANCE_STREAM,
            "organisation.evidence_declared",
            actor.name,
            {
                "organisation": organisation.name,
                "evidence": evidence.pk,
                "legal_form": form,
                "statutes_url": url,
                **claims,
            },
        )
    return evidence


def evidence_verify(
    *,
    actor: Agent,
    organisation: Agent,
    commons: Commons | None = None,
    association: Agent | None = None,
) -> Verification:
    """Check an organisation's current declaration: a maintainer for their commons, or an
    admin of a for-benefit association for the commons whose treasury it keeps."""
    if (commons is None) == (association is None):
        raise Invalid.field(
            "commons", "Verify either as a maintainer of a commons or for an association."
        )
    if commons is not None and not is_maintainer(actor, commons):
        raise Forbidden(f"Only maintainers of {commons.slug} can verify for it.")
    if (
        association is not None
        and not selectors.associations_of(actor).filter(pk=association.pk).exists()
    ):
        raise Forbidden(
            f"Only an admin of {association.name}, a for-benefit association, can verify for it."
        )
    declaration = selectors.evidence_current(organisation)
    if declaration is None:
        raise Conflict(f"{organisation.name} has declared no legal facts to verify.")
    # A fellow member would be vouching for their own organisation just the same.
    if (
        declaration.declared_by_id == actor.pk
        or Membership.objects.filter(organisation=organisation, person=actor).exists()
    ):
        raise Forbidden("Nobody verifies their own declaration, nor their organisation's.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = Verification.objects.create(
                    evidence=declaration,
                    verified_by=actor,
                    association=association,
                    commons=commons,
                    verified_at=clock.now(),
                )
        except IntegrityError:
            raise Conflict("This declaration is already verified in this scope.") from None
        data = {"organisation": organisation.name, "evidence": declaration.pk}
        if commons is not None:
            _log(commons, "organisation.evidence_verified", actor, data)
        elif association is not None:
            eventlog.append(
                eventlog.INSTANCE_STREAM,
                "organisation.evidence_verified",
                actor.name,
                {**data, "association": association.name},
            )
    return row


def usage_evaluate(
    *,
    actor: Agent,
    commons: Commons,
    commercial: bool,
    distributes: bool,
    organisation: Agent | None = None,
    declared_revenue: object = None,
) -> Evaluation:
    """Answer "may I use this commons?" for the actor or one of their organisations, from the
    commons' current licence profile, the asker's legal facts and the ledger; log the answer."""
    if organisation is not None:
        if not organisation.is_organisation:
            raise Invalid.field("organisation", f"{organisation.name} is not an organisation.")
        if not Membership.objects.filter(organisation=organisation, person=actor).exists():
            raise Forbidden("You can only ask for organisations you belong to.")
    if not isinstance(commercial, bool) or not isinstance(distributes, bool):
        raise Invalid.field("commercial", "Answer commercial and distributes with true or false.")
    asker = organisation or actor
    current = selectors.profile_current(commons)
    if current.profile is None:
        raise Conflict(
            f"The engine does not know {commons.slug}'s licence ('{commons.licence or 'none'}'); "
            "its maintainers can choose a licence profile."
        )
    profile = current.profile
    currency = current.parameters.get("currency", "EUR")
    revenue = licences.parse_revenue(declared_revenue, currency)
    now = clock.now()
    count, threshold, days = selectors.contribution_window(
        asker, commons, profile, current.parameters, now=now
    )
    grant = (
        selectors.grant_held(asker, commons, now=now, profile=profile.key)
        if profile.sells_grants
        else None
    )
    facts = licences.Facts(
        asker=asker.org_kind if asker.is_organisation else licences.PERSON,
        commercial=commercial,
        distributes=distributes,
        contributed=count >= threshold,
        granted=grant is not None,
        evidence=selectors.evidence_for(asker, commons),
        declared_revenue=revenue,
    )
    decision = licences.evaluate(profile, current.parameters, facts)
    inputs: dict[str, Any] = {
        **decision.facts,
        "accepted_contributions": count,
        "threshold": threshold,
        "window_days": days,
        "declared_revenue": money.format_amount(revenue, currency) if revenue is not None else None,
        "grant": str(grant.pk) if grant else None,
        "parameters": current.parameters,
    }
    fee = decision.fee
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            commons=commons,
            profile=profile.key,
            profile_version=current.version,
            asker=asker,
            requested_by=actor,
            outcome=decision.outcome.value,
            rule=decision.rule.id,
            clause=decision.rule.clause,
            reason=decision.rule.reason,
            obligations=list(decision.obligations),
            fee=fee.minor if fee else None,
            fee_currency=fee.currency if fee else "",
            fee_basis=fee.basis if fee else "",
            inputs=inputs,
            evaluated_at=now,
        )
        _log(
            commons,
            "licence.evaluated",
            actor,
            {
                "id": evaluation.pk,
                "asker": asker.name,
                "profile": profile.key,
                "profile_version": current.version,
                "outcome": decision.outcome.value,
                "rule": decision.rule.id,
                "clause": decision.rule.clause,
                "fee": money.format_amount(fee.minor, fee.currency) if fee else None,
                "currency": fee.currency if fee else None,
                "inputs": inputs,
            },
        )
    return evaluation


def grant_issue(
    *,
    actor: Agent,
    commons: Commons,
    grantee: Agent,
    amount: object,
    currency: object,
    memo: str = "",
) -> Grant:
    """A treasurer records a paid reciprocity fee (or separate-licence fee): a `licence_fee`
    income to the treasury, distributable like any other, and the grant it buys for a year.

    Under CopyFair the fee is the profile's: its currency, and at least the flat fee. Any
    other grant is a separate licence, which only maintainers who keep the treasury sell.
    Nobody sells one to themselves or to an organisation they belong to."""
    if not ledger_selectors.is_treasurer(actor, commons):
        raise Forbidden(f"Only treasurers of {commons.slug} can record licence fees.")
    current = selectors.profile_current(commons)
    if current.profile is None or not current.profile.sells_grants:
        key = current.profile.key if current.profile else commons.licence or "no licence"
        raise Conflict(f"Under {key} this commons sells no licence grants.")
    if grantee == actor or Membership.objects.filter(organisation=grantee, person=actor).exists():
        raise Forbidden("Nobody sells a licence to themselves or to their own organisation.")
    if not current.profile.parametric and not is_maintainer(actor, commons):
        raise Forbidden(
            f"A separate licence under {current.profile.key} is the maintainers' decision."
        )
    if current.profile.parametric:
        fee_currency = current.parameters["currency"]
        if money.check_currency(currency) != fee_currency:
            raise Invalid.field("currency", f"The reciprocity fee is paid in {fee_currency}.")
        paid = money.parse_amount(amount, fee_currency)
        if current.parameters["fee_kind"] == "flat":
            fee = money.parse_amount(current.parameters["fee"], fee_currency)
            if paid < fee:
                raise Invalid.field(
                    "amount",
                    f"The reciprocity fee is {money.display(fee, fee_currency)} a year; record "
                    "at least that.",
                )
    with transaction.atomic():
        income = ledger_services.income_record(
            actor=actor,
            commons=commons,
            kind=Income.Kind.LICENCE_FEE,
            amount=amount,
            currency=currency,
            payer=grantee,
            memo=memo or f"Licence fee from {grantee.name}",
        )
        now = clock.now()
        grant = Grant.objects.create(
            commons=commons,
            grantee=grantee,
            profile=current.profile.key,
            profile_version=current.version,
            income=income,
            valid_from=now,
            valid_until=now + timedelta(days=licences.GRANT_DAYS),
            issued_by=actor,
            issued_at=now,
        )
        _log(
            commons,
            "licence.granted",
            actor,
            {
                "grant": str(grant.pk),
                "grantee": grantee.name,
                "profile": grant.profile,
                "profile_version": grant.profile_version,
                "income": income.pk,
                "valid_from": grant.valid_from.isoformat(),
                "valid_until": grant.valid_until.isoformat(),
            },
        )
    return grant


def grant_revoke(*, actor: Agent, grant: Grant, reason: str) -> Grant:
    """Maintainers revoke a grant (e.g. a cancelled payment); the reason is public."""
    if not is_maintainer(actor, grant.commons):
        raise Forbidden(f"Only maintainers of {grant.commons.slug} can revoke its licences.")
    if not (reason or "").strip():
        raise Invalid.field("reason", "Say why the licence is revoked: the reason is public.")
    text = check_reason(reason, required=True)
    with transaction.atomic():
        locked = Grant.objects.select_for_update().get(pk=grant.pk)
        if locked.revoked_at is not None:
            raise Conflict("This licence grant is already revoked.")
        locked.revoked_at = clock.now()
        locked.revoked_by = actor
        locked.revoke_reason = text
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        _log(grant.commons, "licence.revoked", actor, {"grant": str(grant.pk), "reason": text})
    return locked
