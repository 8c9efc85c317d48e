"""Who may do what with the licence engine: every write against every role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.commons.models import Commons
from communs.domain.errors import DomainError, Forbidden
from communs.licensing import services
from communs.licensing.models import Evaluation, Evidence, Grant, ProfileVersion, Verification

from .conftest import Roles, snapshot

pytestmark = pytest.mark.django_db

ROLES = [
    "stranger",
    "contributor",
    "maintainer",
    "other_maintainer",
    "treasurer",
    "org_member",
    "org_admin",
    "association_admin",
]
EVERYONE = set(ROLES)
MAINTAINERS = {"maintainer"}
TREASURERS = {"maintainer", "treasurer"}  # maintainers keep the treasury by default
FIRM_ADMINS = {"org_admin"}
FIRM_MEMBERS = {"org_member", "org_admin"}
ASSOCIATION_ADMINS = {"association_admin"}


def _declared(r: Roles) -> Evidence:
    return services.evidence_declare(
        actor=r.org_admin, organisation=r.firm, facts={"worker_owned": True}
    )


def _granted(r: Roles) -> Grant:
    return services.grant_issue(
        actor=r.maintainer, commons=r.commons, grantee=r.firm, amount="500.00", currency="EUR"
    )


# Each write: (who may, setup run by those entitled, the call as `actor`, what it leaves behind).
Setup = Callable[[Roles], Any]
Call = Callable[[Roles, Agent, Any], Any]
Check = Callable[[Roles, Agent, Any], bool]
WRITES: dict[str, tuple[set[str], Setup, Call, Check]] = {
    "profile_adopt": (
        MAINTAINERS,
        lambda r: None,
        lambda r, actor, _: services.profile_adopt(
            actor=actor, commons=r.commons, profile="PPL-1.0"
        ),
        lambda r, actor, _: (
            ProfileVersion.objects.filter(commons=r.commons, version=2, adopted_by=actor).exists()
            and Commons.objects.get(pk=r.commons.pk).licence == "PPL-1.0"
        ),
    ),
    "evidence_declare": (
        FIRM_ADMINS,
        lambda r: None,
        lambda r, actor, _: services.evidence_declare(
            actor=actor, organisation=r.firm, facts={"worker_owned": True}
        ),
        lambda r, actor, _: Evidence.objects.filter(
            organisation=r.firm, declared_by=actor
        ).exists(),
    ),
    "evidence_verify_for_a_commons": (
        MAINTAINERS,
        _declared,
        lambda r, actor, _: services.evidence_verify(
            actor=actor, organisation=r.firm, commons=r.commons
        ),
        lambda r, actor, declaration: Verification.objects.filter(
            evidence=declaration, verified_by=actor, commons=r.commons
        ).exists(),
    ),
    "evidence_verify_for_an_association": (
        ASSOCIATION_ADMINS,
        _declared,
        lambda r, actor, _: services.evidence_verify(
            actor=actor, organisation=r.firm, association=r.association
        ),
        lambda r, actor, declaration: Verification.objects.filter(
            evidence=declaration, verified_by=actor, association=r.association
        ).exists(),
    ),
    "usage_evaluate_for_oneself": (
        EVERYONE,
        lambda r: None,
        lambda r, actor, _: services.usage_evaluate(
            actor=actor, commons=r.commons, commercial=True, distributes=True
        ),
        lambda r, actor, _: Evaluation.objects.filter(asker=actor, requested_by=actor).exists(),
    ),
    "usage_evaluate_for_a_firm": (
        FIRM_MEMBERS,
        lambda r: None,
        lambda r, actor, _: services.usage_evaluate(
            actor=actor, commons=r.commons, commercial=True, distributes=True, organisation=r.firm
        ),
        lambda r, actor, _: Evaluation.objects.filter(asker=r.firm, requested_by=actor).exists(),
    ),
    "grant_issue": (
        TREASURERS,
        lambda r: None,
        lambda r, actor, _: services.grant_issue(
            actor=actor, commons=r.commons, grantee=r.firm, amount="500.00", currency="EUR"
        ),
        lambda r, actor, _: Grant.objects.filter(
            commons=r.commons, grantee=r.firm, issued_by=actor, income__kind="licence_fee"
        ).exists(),
    ),
    "grant_revoke": (
        MAINTAINERS,
        _granted,
        lambda r, actor, grant: services.grant_revoke(
            actor=actor, grant=grant, reason="The payment bounced."
        ),
        lambda r, actor, grant: Grant.objects.get(pk=grant.pk).revoked_by == actor,
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", sorted(WRITES))
def test_licence_writes_by_role(roles: Roles, write: str, role: str) -> None:
    allowed, setup, call, done = WRITES[write]
    actor: Agent = getattr(roles, role)
    state = setup(roles)
    before = snapshot()
    if role in allowed:
        call(roles, actor, state)
        assert done(roles, actor, state)
        assert snapshot() != before
    else:
        with pytest.raises(DomainError) as caught:
            call(roles, actor, state)
        assert type(caught.value) is Forbidden
        assert caught.value.status == 403
        assert snapshot() == before
        assert not done(roles, actor, state)
