"""Helpers shared by the licence engine's service tests: a clock the test moves, accepted
contributions, the agents in every role, and a snapshot proving a refusal wrote nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from communs.accounts import services as accounts
from communs.accounts.models import Agent, Membership
from communs.commons import services as commons_services
from communs.commons.models import Commons, Contribution
from communs.core.models import Event, EventStream
from communs.ledger import services as ledger_services
from communs.ledger.models import Income, Posting, Transaction
from communs.licensing import services
from communs.licensing.models import Evaluation, Evidence, Grant, ProfileVersion, Verification


def submit(
    commons: Commons,
    contributor: Agent,
    *,
    organisation: Agent | None = None,
    occurred_at: datetime | None = None,
) -> Contribution:
    return commons_services.contribution_submit(
        actor=contributor,
        commons=commons,
        action="work",
        quantity="1",
        unit="hour",
        description="An hour of work",
        occurred_at=occurred_at,
        organisation=organisation,
    )


def accept(
    maintainer: Agent,
    commons: Commons,
    contributor: Agent,
    *,
    organisation: Agent | None = None,
    occurred_at: datetime | None = None,
) -> Contribution:
    """Submit a contribution and have a maintainer accept it."""
    row = submit(commons, contributor, organisation=organisation, occurred_at=occurred_at)
    accepted = commons_services.contribution_accept(actor=maintainer, contribution=row)
    assert accepted.status == "accepted"
    return accepted


def copyfair(maintainer: Agent, commons: Commons, **parameters: Any) -> ProfileVersion:
    return services.profile_adopt(
        actor=maintainer, commons=commons, profile="CopyFair", parameters=parameters
    )


def snapshot() -> dict[str, Any]:
    """Everything the licence engine, the ledger and the log hold."""
    return {
        "profiles": list(
            ProfileVersion.objects.order_by("pk").values_list("commons", "version", "profile")
        ),
        "licences": list(Commons.objects.order_by("pk").values_list("pk", "licence")),
        "evidence": Evidence.objects.count(),
        "verifications": Verification.objects.count(),
        "evaluations": Evaluation.objects.count(),
        "grants": list(
            Grant.objects.order_by("pk").values_list("pk", "revoked_at", "revoke_reason")
        ),
        "incomes": Income.objects.count(),
        "transactions": Transaction.objects.count(),
        "postings": Posting.objects.count(),
        "memberships": Membership.objects.count(),
        "events": Event.objects.count(),
        "streams": list(
            EventStream.objects.order_by("name").values_list("name", "length", "head_hash")
        ),
    }


@pytest.fixture
def unchanged(db: None) -> Callable[[], AbstractContextManager[None]]:
    """`with unchanged(): ...` asserts the block leaves every table above as it was."""

    @contextmanager
    def check() -> Iterator[None]:
        before = snapshot()
        yield
        assert snapshot() == before

    return check


def organisation(admin: Agent, name: str, kind: str, *members: Agent) -> Agent:
    org = accounts.organisation_create(actor=admin, name=name, display_name=name.title(), kind=kind)
    for member in members:
        accounts.membership_add(actor=admin, organisation=org, person=member, role="member")
    return org


@dataclass
class Roles:
    """A commons under CopyFair and an agent in each role the licence engine distinguishes."""

    commons: Commons  # seed-library, under CopyFair
    maintainer: Agent  # alice
    contributor: Agent  # bob: an accepted contribution, no role
    stranger: Agent  # gus: nothing to do with anything
    other_maintainer: Agent  # carol, maintainer of another commons
    treasurer: Agent  # dave, named treasurer, not a maintainer
    org_member: Agent  # erin, plain member of acme
    org_admin: Agent  # frank, admin of acme
    association_admin: Agent  # grace, admin of a non-profit association
    firm: Agent  # acme, a for-profit firm
    association: Agent  # assoc, a non-profit


@pytest.fixture
def roles(
    alice: Agent,
    bob: Agent,
    carol: Agent,
    seed_library: Commons,
    other_commons: Commons,
    make_person: Callable[..., Agent],
) -> Roles:
    dave, erin, frank = make_person("dave"), make_person("erin"), make_person("frank")
    grace, gus = make_person("grace"), make_person("gus")
    firm = organisation(frank, "acme", "for_profit", erin)
    association = organisation(grace, "assoc", "nonprofit")
    ledger_services.treasurer_add(actor=alice, commons=seed_library, agent=dave)
    copyfair(alice, seed_library)
    accept(alice, seed_library, bob)
    return Roles(
        commons=seed_library,
        maintainer=alice,
        contributor=bob,
        stranger=gus,
        other_maintainer=carol,
        treasurer=dave,
        org_member=erin,
        org_admin=frank,
        association_admin=grace,
        firm=firm,
        association=association,
    )
