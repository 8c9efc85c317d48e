"""The demo's peer governance, on the courier platform over the last month.

The community first decides that value equations and licences change only by proposal; then
adopts, by consent, a new value equation — after an objection, an amendment that meets it, and
the objection withdrawn; a for-profit contributor's proposal to relicense the platform under MIT
is stopped by a reasoned block; an infrastructure working group is created with a spending cap
and charges a first expense to it; Bruno claims his commits, and the merit job nominates him as
a maintainer with the evidence attached.

A proposal is decided when its period has ended, so each step runs at its moment in the past
(`at` moves the clock the services read); the log records those moments. Loading is
idempotent: nothing is done again once the courier platform has proposals.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core import clock
from communs.domain.equations import DEFAULT_DEFINITION
from communs.domain.rulebook import FOUNDING_POWERS, Power
from communs.governance import services as governance
from communs.ledger import services as ledger

# The default equation with support hours valued above code artefacts, as riders asked.
SUPPORT_RATE = "30"


def equation(hour: str) -> dict[str, Any]:
    return {**DEFAULT_DEFINITION, "rates": {**DEFAULT_DEFINITION["rates"], "hour": hour}}


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    real = clock.now
    setattr(clock, "now", lambda: moment)  # noqa: B010 - the services read clock.now
    try:
        yield
    finally:
        setattr(clock, "now", real)  # noqa: B010


def load(agents: dict[str, Agent], courier: Commons, now: datetime) -> None:
    if courier.proposals.exists():
        governance.merit_run(commons=courier)  # idempotent: opens nothing twice
        return
    a = agents

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    # 1. Equations and licences by proposal only (consent; passes with no objection).
    with at(ago(30)):
        rules = governance.proposal_open(
            actor=a["chen"],
            commons=courier,
            title="Value equations and licences change by proposal only",
            text="Who gets paid and who may use the platform concern every contributor, so "
            "these should no longer be changed by maintainers alone.",
            method="consent",
            change={
                "type": Power.AMEND_RULEBOOK.value,
                "set": {
                    "maintainers_may": sorted(
                        p.value
                        for p in FOUNDING_POWERS - {Power.ADOPT_EQUATION, Power.CHANGE_LICENCE}
                    )
                },
            },
        )
    with at(ago(29)):
        for name in ("dara", "gus", "fatou"):
            governance.vote_cast(actor=a[name], proposal=rules, position="agree")
        governance.vote_cast(actor=a["emil"], proposal=rules, position="stand_aside")
    with at(ago(22)):
        governance.proposal_close(proposal=rules)

    # 2. A new value equation by consent: an objection, an amendment, the objection withdrawn.
    with at(ago(21)):
        pay = governance.proposal_open(
            actor=a["dara"],
            commons=courier,
            title="Value rider-support hours at 35",
            text="Rider support is most of our unpaid work; raise the hourly rate from 25 to 35.",
            method="consent",
            change={"type": Power.ADOPT_EQUATION.value, "equation": equation("35")},
        )
        governance.comment_post(
            actor=a["fatou"],
            commons=courier,
            proposal=pay,
            text="Would this change what the city's grant pays for last year's work?",
        )
    with at(ago(20)):
        governance.vote_cast(actor=a["chen"], proposal=pay, position="agree")
        governance.vote_cast(
            actor=a["gus"],
            proposal=pay,
            position="object",
            reason="At 35 an hour, support would outweigh all code work in the balanced "
            "policy; 30 closes most of the gap without that.",
        )
    with at(ago(19)):
        governance.proposal_amend(
            actor=a["dara"],
            proposal=pay,
            title=f"Value rider-support hours at {SUPPORT_RATE}",
            text="Rider support is most of our unpaid work; raise the hourly rate from 25 to "
            f"{SUPPORT_RATE}, as Gus suggested.",
            change={"type": Power.ADOPT_EQUATION.value, "equation": equation(SUPPORT_RATE)},
        )
        governance.objection_withdraw(actor=a["gus"], proposal=pay)
        for name in ("chen", "fatou"):
            governance.vote_cast(actor=a[name], proposal=pay, position="agree")
    with at(ago(11)):
        governance.proposal_close(proposal=pay)

    # 3. Relicensing under MIT, by consensus: stopped by a reasoned block.
    with at(ago(10)):
        mit = governance.proposal_open(
            actor=a["emil"],
            commons=courier,
            title="Relicense the platform under MIT",
            text="A permissive licence would let firms like ours adopt the platform and "
            "contribute more.",
            method="consensus",
            change={"type": Power.CHANGE_LICENCE.value, "profile": "MIT"},
        )
    with at(ago(9)):
        governance.vote_cast(
            actor=a["gus"],
            proposal=mit,
            position="block",
            reason="The Peer Production License is how the cooperatives keep the platform "
            "theirs: under MIT a firm could run it as a closed service and pay nothing back.",
        )
        governance.vote_cast(actor=a["dara"], proposal=mit, position="stand_aside")
        first = governance.comment_post(
            actor=a["ines"],
            commons=courier,
            proposal=mit,
            text="Could a CopyFair licence give firms a clear way in, with a fee?",
        )
        governance.comment_post(
            actor=a["emil"],
            commons=courier,
            proposal=mit,
            parent=first,
            text="We would pay a fee; we cannot accept the PPL's ban on wage labour.",
        )
    with at(ago(2)):
        governance.proposal_close(proposal=mit)

    # 4. The infrastructure working group, with a spending cap, and its first expense.
    with at(ago(9)):
        group = governance.proposal_open(
            actor=a["chen"],
            commons=courier,
            title="An infrastructure working group",
            text="Dara and Gus keep the servers running; let them spend up to €100 a month "
            "without asking each time. We review this in six months.",
            method="consent",
            review_on=(ago(9) + timedelta(days=182)).date(),
            change={
                "type": Power.CREATE_WORKING_GROUP.value,
                "slug": "infrastructure",
                "name": "Infrastructure",
                "mandate": "Run, back up and update the platform's servers.",
                "members": ["dara", "gus"],
                "spending_cap": "100.00",
                "currency": "EUR",
                "cap_period_days": 30,
            },
        )
    with at(ago(8)):
        for name in ("dara", "gus", "ines"):
            governance.vote_cast(actor=a[name], proposal=group, position="agree")
    with at(ago(1)):
        governance.proposal_close(proposal=group)
        infrastructure = courier.working_groups.get(slug="infrastructure")
        expense = ledger.expense_submit(
            actor=a["gus"],
            commons=courier,
            amount="45.00",
            currency="EUR",
            description="Off-site backup storage, December",
            working_group=infrastructure,
        )
        ledger.expense_approve(actor=a["dara"], expense=expense)
    governance.comment_post(
        actor=a["chen"],
        commons=courier,
        text="Welcome to the courier platform's discussion: questions, ideas and objections "
        "belong here, in the open.",
    )
    # 5. The merit job: Bruno's claimed commits, and his recent work, meet the promotion
    # criteria (enough accepted contributions over enough time, and still active).
    with at(ago(3)):
        work = commons_services.contribution_submit(
            actor=a["bruno"],
            commons=courier,
            action="work",
            quantity="6",
            description="Ported the rider app's offline queue to the new dispatch API",
            occurred_at=ago(4),
        )
        for name in ("chen", "dara"):
            commons_services.contribution_accept(actor=a[name], contribution=work)
    governance.merit_run(commons=courier)
