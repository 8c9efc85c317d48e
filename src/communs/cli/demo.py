"""The demo community, modelled on Bauwens' *Blueprint for P2P Society*.

An open-hardware tractor design and a local fork of it, a delivery platform under the Peer
Production License, a soil handbook; a worker cooperative, a for-profit firm that builds on the
commons, a for-benefit association that runs the infrastructure and a city acting as a Partner
State; eight people, and contributions in every state of their a-posteriori validation. Then the
money: a sponsorship, a grant, a licence fee and a donation come in; the for-benefit association
keeps the courier platform's treasury and pays a server bill; the fork adopts a value equation
(infrastructure fund, upstream, contributors) and shares its donation out, so part of it arrives
at the parent design, which shares out its own sponsorship. Licences: the courier platform under
the Peer Production License, the handbook under CopyFair with a paid reciprocity grant. Last, the
courier platform's git history (cli/demo_history.py) is imported, for its health report.

Everything is written through the services, so the demo's event log is the one real use would
produce. Loading is idempotent: each step first looks for what it would create, so a second run
(or a run after a partial one) adds nothing and logs nothing. Nothing here prints; the CLI shows
the logins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from communs.accounts import services as accounts
from communs.accounts.models import Agent, Membership
from communs.cli import demo_governance
from communs.cli.demo_history import demo_repository
from communs.commons import services as commons_services
from communs.commons.models import Approval, Commons, Contribution, Maintainer
from communs.core import clock
from communs.domain.contributions import Status
from communs.history import services as history_services
from communs.history.models import Affiliation, Alias, Commit
from communs.ledger import services as ledger
from communs.ledger.models import Distribution, Expense, Income, Treasurer
from communs.licensing import selectors as licensing_selectors
from communs.licensing import services as licensing
from communs.licensing.models import Evaluation, Grant, ProfileVersion

DEMO_PASSWORD = "commons-demo-2026"  # noqa: S105 - printed on purpose; demo accounts only
DEMO_EMAIL_DOMAIN = "example.org"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


@dataclass(frozen=True)
class _Person:
    username: str
    display_name: str
    role: str


PEOPLE = (
    _Person(
        "ada",
        "Ada Moreau",
        "maintainer of open-tractor; admin of farmtools-coop (worker cooperative)",
    ),
    _Person(
        "bruno",
        "Bruno Keller",
        "maintainer of open-tractor and its hill-farm fork; member of farmtools-coop",
    ),
    _Person(
        "chen",
        "Chen Li",
        "maintainer of courier-app; admin of open-commons-foundation (for-benefit association)",
    ),
    _Person("dara", "Dara Byrne", "maintainer of courier-app; member of open-commons-foundation"),
    _Person(
        "emil",
        "Emil Novak",
        "engineer, admin of agrimach (for-profit firm building on the tractor design)",
    ),
    _Person(
        "fatou",
        "Fatou Diallo",
        "mobility officer, admin of city-of-riverside (public body, Partner State)",
    ),
    _Person(
        "gus",
        "Gus Ferreira",
        "volunteer; maintainer of courier-app (second approver); has a rejected and a "
        "withdrawn contribution",
    ),
    _Person(
        "ines",
        "Inès Laborde",
        "hill farmer; maintainer of the open-tractor-hills fork and of soil-handbook",
    ),
)


@dataclass(frozen=True)
class _Contribution:
    """One demo contribution and what happens to it after it is submitted."""

    commons: str
    contributor: str
    action: str
    quantity: str
    unit: str
    description: str
    days_ago: int
    stream: str = "livelihood"
    organisation: str | None = None
    evidence_url: str = ""
    approvers: tuple[str, ...] = ()
    rejected_by: str | None = None
    reason: str = ""
    withdrawn: bool = False


@dataclass(frozen=True)
class _Income:
    commons: str
    kind: str
    amount: str  # EUR
    memo: str
    recorded_by: str
    days_ago: int
    payer: str | None = None
    payer_name: str = ""


class _Loader:
    def __init__(self) -> None:
        self.now = clock.now()
        self.agents: dict[str, Agent] = {}
        self.commons: dict[str, Commons] = {}

    # --- agents -------------------------------------------------------------------------------

    def person(self, spec: _Person) -> None:
        agent = Agent.objects.filter(name=spec.username).first()
        if agent is None:
            agent = accounts.user_create(
                username=spec.username,
                email=f"{spec.username}@{DEMO_EMAIL_DOMAIN}",
                password=DEMO_PASSWORD,
                display_name=spec.display_name,
            )
        self.agents[spec.username] = agent

    def organisation(
        self, name: str, display_name: str, kind: str, admin: str, members: tuple[str, ...] = ()
    ) -> None:
        organisation = Agent.objects.filter(name=name).first()
        if organisation is None:
            organisation = accounts.organisation_create(
                actor=self.agents[admin], name=name, display_name=display_name, kind=kind
            )
        self.agents[name] = organisation
        for member in members:
            person = self.agents[member]
            if not Membership.objects.filter(organisation=organisation, person=person).exists():
                accounts.membership_add(
                    actor=self.agents[admin], organisation=organisation, person=person
                )

    # --- commons ------------------------------------------------------------------------------

    def create_commons(
        self,
        *,
        creator: str,
        slug: str,
        title: str,
        summary: str,
        description: str,
        kind: str,
        licence: str,
    ) -> None:
        commons = Commons.objects.filter(slug=slug).first()
        if commons is None:
            commons = commons_services.commons_create(
                actor=self.agents[creator],
                slug=slug,
                title=title,
                summary=summary,
                description=description,
                kind=kind,
                licence=licence,
            )
        self.commons[slug] = commons

    def fork(self, *, actor: str, parent: str, slug: str, title: str) -> None:
        fork = Commons.objects.filter(slug=slug).first()
        if fork is None:
            fork = commons_services.commons_fork(
                actor=self.agents[actor], parent=self.commons[parent], slug=slug, title=title
            )
        self.commons[slug] = fork

    def maintainers(self, slug: str, by: str, names: tuple[str, ...]) -> None:
        commons = self.commons[slug]
        for name in names:
            agent = self.agents[name]
            if not Maintainer.objects.filter(commons=commons, agent=agent).exists():
                commons_services.maintainer_add(actor=self.agents[by], commons=commons, agent=agent)

    def approvals_required(self, slug: str, by: str, value: int) -> None:
        commons = self.commons[slug]
        if commons.approvals_required != value:
            self.commons[slug] = commons_services.settings_update(
                actor=self.agents[by], commons=commons, approvals_required=value
            )

    # --- contributions ------------------------------------------------------------------------

    def _submit(
        self, spec: _Contribution, commons: Commons, actor: Agent, occurred_at: datetime
    ) -> Contribution:
        return commons_services.contribution_submit(
            actor=actor,
            commons=commons,
            action=spec.action,
            quantity=spec.quantity,
            unit=spec.unit,
            description=spec.description,
            evidence_url=spec.evidence_url or None,
            occurred_at=occurred_at,
            stream=spec.stream,
            organisation=self.agents[spec.organisation] if spec.organisation else None,
        )

    def contribute(self, spec: _Contribution) -> None:
        commons = self.commons[spec.commons]
        actor = self.agents[spec.contributor]
        # The description is the demo's natural key: each one is used once per commons.
        row = Contribution.objects.filter(
            commons=commons, contributor=actor, description=spec.description
        ).first()
        occurred_at = self.now - timedelta(days=spec.days_ago, hours=spec.days_ago % 7)
        if row is None:
            with demo_governance.at(occurred_at):  # recorded when it was done
                row = self._submit(spec, commons, actor, occurred_at)
        # Reviewed the day after the work, so the log reads in order and the people who did it
        # could already take part in the decisions of the past weeks (cli/demo_governance.py).
        reviewed = min(row.occurred_at + timedelta(days=1), self.now)
        for approver in spec.approvers:
            reviewer = self.agents[approver]
            if (
                row.status == Status.SUBMITTED
                and not Approval.objects.filter(contribution=row, maintainer=reviewer).exists()
            ):
                with demo_governance.at(reviewed):
                    row = commons_services.contribution_accept(
                        actor=reviewer, contribution=row, note="Thanks, reviewed."
                    )
        with demo_governance.at(reviewed):
            if spec.rejected_by and row.status == Status.SUBMITTED:
                row = commons_services.contribution_reject(
                    actor=self.agents[spec.rejected_by], contribution=row, reason=spec.reason
                )
            if spec.withdrawn and row.status == Status.SUBMITTED:
                commons_services.contribution_withdraw(actor=actor, contribution=row)

    # --- money ------------------------------------------------------------------------------

    def treasurer(self, slug: str, by: str, name: str) -> None:
        commons, agent = self.commons[slug], self.agents[name]
        if not Treasurer.objects.filter(commons=commons, agent=agent).exists():
            ledger.treasurer_add(actor=self.agents[by], commons=commons, agent=agent)

    def income(self, spec: _Income) -> Income:
        commons = self.commons[spec.commons]
        # The memo is the demo's natural key for an income.
        row = Income.objects.filter(commons=commons, memo=spec.memo).first()
        if row is None:
            row = ledger.income_record(
                actor=self.agents[spec.recorded_by],
                commons=commons,
                kind=spec.kind,
                amount=spec.amount,
                currency="EUR",
                payer=self.agents[spec.payer] if spec.payer else None,
                payer_name=spec.payer_name,
                memo=spec.memo,
                received_at=self.now - timedelta(days=spec.days_ago),
            )
        return row

    def expense(
        self, slug: str, *, claimant: str, treasurer: str, amount: str, description: str, url: str
    ) -> None:
        commons, person = self.commons[slug], self.agents[claimant]
        row = Expense.objects.filter(
            commons=commons, claimant=person, description=description
        ).first()
        if row is None:
            row = ledger.expense_submit(
                actor=person,
                commons=commons,
                amount=amount,
                currency="EUR",
                description=description,
                evidence_url=url,
            )
        if row.status == Expense.Status.PENDING:
            row = ledger.expense_approve(actor=self.agents[treasurer], expense=row)
        if row.status == Expense.Status.APPROVED:
            ledger.expense_pay(actor=self.agents[treasurer], expense=row)

    def equation(self, slug: str, by: str, definition: dict[str, Any]) -> None:
        commons = self.commons[slug]
        if not commons.equations.exists():
            ledger.equation_adopt(actor=self.agents[by], commons=commons, definition=definition)

    def distribute(self, slug: str, income: Income, by: str) -> None:
        if not Distribution.objects.filter(income=income).exists():
            ledger.distribution_run(
                actor=self.agents[by], commons=self.commons[slug], income=income
            )

    def history(self, slug: str, by: str) -> None:
        commons = self.commons[slug]
        if not Commit.objects.filter(commons=commons).exists():
            path = demo_repository(settings.DATA_DIR / "demo" / f"{slug}.git")
            history_services.ingest_git(actor=self.agents[by], commons=commons, path=str(path))

    def claim(self, username: str, email: str) -> None:
        """A demo person claims the identity an imported history knows by `email`."""
        person = self.agents[username]
        alias = Alias.objects.filter(kind="email", value=email).first()
        if alias is not None and alias.agent_id != person.pk:
            token = history_services.claim_request(claimant=person, email=email)
            history_services.claim_confirm(claimant=person, token=token)

    def paid_by(self, slug: str, by: str, domain: str, organisation: str) -> None:
        commons = self.commons[slug]
        if not Affiliation.objects.filter(commons=commons, domain=domain).exists():
            history_services.affiliation_set(
                actor=self.agents[by],
                commons=commons,
                domain=domain,
                kind="paid",
                organisation=self.agents[organisation],
            )

    # --- licences -----------------------------------------------------------------------------

    def licence_profile(self, slug: str, by: str, profile: str, parameters: dict[str, Any]) -> None:
        commons = self.commons[slug]
        if not ProfileVersion.objects.filter(commons=commons).exists():
            licensing.profile_adopt(
                actor=self.agents[by], commons=commons, profile=profile, parameters=parameters
            )
            commons.refresh_from_db()

    def evidence(self, organisation: str, by: str, facts: dict[str, object], **extra: str) -> None:
        agent = self.agents[organisation]
        if licensing_selectors.evidence_current(agent) is None:
            licensing.evidence_declare(
                actor=self.agents[by], organisation=agent, facts=facts, **extra
            )

    def verify(self, organisation: str, by: str, association: str) -> None:
        declaration = licensing_selectors.evidence_current(self.agents[organisation])
        if declaration is not None and not declaration.verifications.exists():
            licensing.evidence_verify(
                actor=self.agents[by],
                organisation=self.agents[organisation],
                association=self.agents[association],
            )

    def ask(
        self, slug: str, by: str, *, commercial: bool, distributes: bool, org: str | None = None
    ) -> None:
        """One usage request; a second run skips it when the same asker already asked the same
        question in the same situation (holding a grant or not)."""
        commons = self.commons[slug]
        asker = self.agents[org or by]
        granted = licensing_selectors.grant_held(asker, commons, now=clock.now()) is not None
        situation = {
            "use": "commercial" if commercial else "non_commercial",
            "distributes": "yes" if distributes else "no",
            "granted": "yes" if granted else "no",
        }
        asked = Evaluation.objects.filter(commons=commons, asker=asker).values_list(
            "inputs", flat=True
        )
        if not any(all(row.get(k) == v for k, v in situation.items()) for row in asked):
            licensing.usage_evaluate(
                actor=self.agents[by],
                commons=commons,
                commercial=commercial,
                distributes=distributes,
                organisation=self.agents[org] if org else None,
            )

    def grant(self, slug: str, by: str, grantee: str, amount: str, memo: str) -> None:
        commons, agent = self.commons[slug], self.agents[grantee]
        if not Grant.objects.filter(commons=commons, grantee=agent).exists():
            licensing.grant_issue(
                actor=self.agents[by],
                commons=commons,
                grantee=agent,
                amount=amount,
                currency="EUR",
                memo=memo,
            )


SOIL = "soil-handbook"
TRACTOR = "open-tractor"
HILLS = "open-tractor-hills"
COURIER = "courier-app"

# Before the fork: the parent's contributors are then credited on the fork's page.
TRACTOR_CONTRIBUTIONS = (
    _Contribution(
        SOIL,
        "fatou",
        "produce",
        "3",
        "page",
        "Chapter on municipal composting and how the city collects green waste",
        days_ago=175,
        organisation="city-of-riverside",
        approvers=("ines",),
    ),
    _Contribution(
        SOIL,
        "ada",
        "work",
        "4",
        "hour",
        "Reviewed the chapter on soil compaction by heavy machinery",
        days_ago=160,
        stream="pro_bono",
        approvers=("ines",),
    ),
    _Contribution(
        TRACTOR,
        "ada",
        "work",
        "12",
        "hour",
        "Redesigned the three-point hitch so standard implements fit",
        days_ago=150,
        organisation="farmtools-coop",
        approvers=("bruno",),
        evidence_url="https://example.org/open-tractor/hitch-v2",
    ),
    _Contribution(
        TRACTOR,
        "bruno",
        "produce",
        "1",
        "design",
        "CAD files for the hydraulic power unit",
        days_ago=140,
        organisation="farmtools-coop",
        approvers=("ada",),
        evidence_url="https://example.org/open-tractor/hpu.step",
    ),
    _Contribution(
        TRACTOR,
        "emil",
        "work",
        "30",
        "hour",
        "Stress-tested the frame welds on the test rig; report attached",
        days_ago=120,
        organisation="agrimach",
        approvers=("ada",),
        evidence_url="https://example.org/agrimach/weld-report.pdf",
    ),
    _Contribution(
        TRACTOR,
        "fatou",
        "use",
        "3",
        "day",
        "The city workshop's CNC plasma cutter cut the chassis parts for the build day",
        days_ago=95,
        organisation="city-of-riverside",
        approvers=("bruno",),
    ),
    _Contribution(
        TRACTOR,
        "bruno",
        "deliverService",
        "6",
        "hour",
        "Cooked for and looked after the volunteers during the build weekend",
        days_ago=94,
        stream="care",
        approvers=("ada",),
    ),
    _Contribution(
        TRACTOR,
        "gus",
        "produce",
        "12",
        "page",
        "Translated the assembly guide into Portuguese",
        days_ago=80,
        stream="pro_bono",
        approvers=("bruno",),
    ),
    _Contribution(
        TRACTOR,
        "ada",
        "cite",
        "1",
        "citation",
        "Tillage depths follow the soil-handbook's guidance on compaction",
        days_ago=70,
        stream="pro_bono",
        approvers=("bruno",),
    ),
    _Contribution(
        TRACTOR,
        "gus",
        "work",
        "2",
        "hour",
        "Proposal: replace the steel frame with bamboo",
        days_ago=45,
        stream="pro_bono",
        rejected_by="ada",
        reason="Bamboo cannot carry the hitch loads measured in the weld stress test; "
        "a lighter cart for market gardens could use it, though.",
    ),
    _Contribution(
        TRACTOR,
        "gus",
        "deliverService",
        "1",
        "session",
        "Beginners' welding workshop",
        days_ago=30,
        stream="pro_bono",
        withdrawn=True,
    ),
    _Contribution(
        TRACTOR,
        "bruno",
        "transfer",
        "40",
        "kg",
        "Donated 40 kg of steel offcuts for the next build day",
        days_ago=20,
        stream="care",
        organisation="farmtools-coop",
        approvers=("ada",),
    ),
    _Contribution(
        TRACTOR,
        "emil",
        "produce",
        "1",
        "item",
        "Machined a prototype PTO shaft for field trials",
        days_ago=8,
        organisation="agrimach",
    ),
)

HILLS_CONTRIBUTIONS = (
    _Contribution(
        HILLS,
        "ines",
        "work",
        "16",
        "hour",
        "Narrowed the wheelbase and lowered the centre of gravity for 25 % slopes",
        days_ago=40,
        stream="pro_bono",
        approvers=("bruno",),
    ),
    _Contribution(
        HILLS,
        "ines",
        "cite",
        "1",
        "citation",
        "Builds on open-tractor's hitch and hydraulic power unit",
        days_ago=39,
        stream="pro_bono",
        approvers=("bruno",),
    ),
    _Contribution(
        HILLS,
        "gus",
        "produce",
        "4",
        "page",
        "Field report: first season on the terraced vineyards",
        days_ago=5,
        stream="pro_bono",
    ),
)

# With one approval needed, before the commons asks for two.
COURIER_EARLY = (
    _Contribution(
        COURIER,
        "chen",
        "work",
        "40",
        "hour",
        "Route optimisation for cargo bikes",
        days_ago=170,
        organisation="open-commons-foundation",
        approvers=("dara",),
    ),
    _Contribution(
        COURIER,
        "dara",
        "produce",
        "35",
        "commit",
        "Rider scheduling module",
        days_ago=130,
        approvers=("chen",),
        evidence_url="https://example.org/courier-app/merge-requests/12",
    ),
    _Contribution(
        COURIER,
        "chen",
        "deliverService",
        "24",
        "hour",
        "Ran the shared server, backups and upgrades for the quarter",
        days_ago=100,
        organisation="open-commons-foundation",
        approvers=("dara",),
    ),
    _Contribution(
        COURIER,
        "fatou",
        "deliverService",
        "2",
        "session",
        "Co-design sessions with the city's mobility department",
        days_ago=85,
        organisation="city-of-riverside",
        approvers=("chen",),
    ),
    _Contribution(
        COURIER,
        "emil",
        "transfer",
        "10",
        "item",
        "Lent ten cargo-bike trailers to the delivery pilot",
        days_ago=65,
        organisation="agrimach",
        approvers=("dara",),
    ),
    _Contribution(
        COURIER,
        "emil",
        "work",
        "5",
        "hour",
        "Added third-party analytics tracking to the rider app",
        days_ago=50,
        organisation="agrimach",
        rejected_by="chen",
        reason="The app must not track riders: it collects only what a delivery needs. "
        "Aggregate, opt-in statistics would be welcome.",
    ),
)

# Two approvals needed from here on.
COURIER_LATE = (
    _Contribution(
        COURIER,
        "dara",
        "work",
        "6",
        "hour",
        "Accessibility audit of the rider app (1 of 2 approvals so far)",
        days_ago=12,
        approvers=("chen",),
    ),
    _Contribution(
        COURIER,
        "gus",
        "work",
        "3",
        "hour",
        "Dark mode for night deliveries",
        days_ago=3,
        stream="pro_bono",
    ),
    _Contribution(
        COURIER,
        "ines",
        "use",
        "14",
        "use",
        "Delivered the farm's vegetable boxes through the platform",
        days_ago=15,
        approvers=("chen", "dara"),
    ),
)

SPONSORSHIP = _Income(
    TRACTOR,
    "sponsorship",
    "6000.00",
    "AgriMach sponsors the open tractor it builds its own machines on",
    recorded_by="ada",
    days_ago=60,
    payer="agrimach",
)
GRANT = _Income(
    COURIER,
    "grant",
    "12000.00",
    "City of Riverside grant for cargo-bike deliveries in the old town",
    recorded_by="dara",
    days_ago=45,
    payer="city-of-riverside",
)
LICENCE_FEE = _Income(
    COURIER,
    "licence_fee",
    "2400.00",
    "Peer Production License fee: a firm employing wage labour uses the platform",
    recorded_by="dara",
    days_ago=25,
    payer_name="Metro Parcels Ltd",
)
DONATION = _Income(
    HILLS,
    "donation",
    "1500.00",
    "Donation from the hillside vineyards that trialled the narrow tractor",
    recorded_by="ines",
    days_ago=4,
    payer_name="Hillside Vintners' Association",
)

# The fork's equation: a share for the association that runs the shared infrastructure, a share
# for the design it builds on, the rest to its contributors.
HILLS_EQUATION: dict[str, Any] = {
    "rates": {"hour": "25", "artefact": "10", "citation": "50", "use": "1", "transfer": "1"},
    "buckets": [
        {
            "name": "infrastructure",
            "percent": "5",
            "of": "whole",
            "to": "agent",
            "agent": "open-commons-foundation",
        },
        {"name": "upstream", "percent": "20", "of": "whole", "to": "upstream"},
        {
            "name": "contributors",
            "percent": "100",
            "of": "remaining",
            "to": "contributors",
            "policy": "balanced",
            "rules": [
                {"action": "work", "value": "quantity * hour", "claim": "equity"},
                {"action": "produce", "value": "quantity * artefact", "claim": "equity"},
                {"action": "cite", "value": "quantity * citation", "claim": "once"},
            ],
        },
    ],
}

SOIL_COPYFAIR = {"threshold": 1, "window_days": 365, "fee_kind": "flat", "fee": "300.00"}
SOIL_FEE_MEMO = "CopyFair reciprocity fee: AgriMach prints the handbook in its machine manuals"


def load_demo() -> list[DemoLogin]:
    """Create the demo community (once) and return its logins."""
    with transaction.atomic():
        _load()
    return [DemoLogin(p.username, DEMO_PASSWORD, p.role) for p in PEOPLE]


def _load() -> None:
    d = _Loader()
    # The community's beginnings: its people, organisations and commons, months ago.
    with demo_governance.at(d.now - timedelta(days=200)):
        for person in PEOPLE:
            d.person(person)

        d.organisation(
            "farmtools-coop",
            "Farm Tools Workers' Cooperative",
            "worker_coop",
            admin="ada",
            members=("bruno",),
        )
        d.organisation("agrimach", "AgriMach Ltd", "for_profit", admin="emil")
        d.organisation(
            "open-commons-foundation",
            "Open Commons Foundation",
            "nonprofit",
            admin="chen",
            members=("dara",),
        )
        d.organisation("city-of-riverside", "City of Riverside", "public_body", admin="fatou")

        d.create_commons(
            creator="ines",
            slug=SOIL,
            title="Soil Care Handbook",
            summary="What farmers have learnt about keeping soil alive, written together.",
            description="A living handbook on soil structure, compaction, cover crops and compost. "
            "Every chapter is reviewed by a farmer and an agronomist.",
            kind="knowledge",
            licence="CC-BY-SA-4.0",
        )
        d.create_commons(
            creator="ada",
            slug=TRACTOR,
            title="Open Tractor",
            summary="A modular, repairable farm tractor that any local workshop can build.",
            description="Design global, manufacture local: frames, hitch, hydraulics and assembly "
            "guides for a 30 hp tractor built from standard steel sections and off-the-shelf "
            "parts. Licensed so that every improvement comes back to the commons.",
            kind="design",
            licence="CERN-OHL-S-2.0",
        )
        d.maintainers(TRACTOR, by="ada", names=("bruno",))
        d.create_commons(
            creator="chen",
            slug=COURIER,
            title="Courier Platform",
            summary="Delivery platform for bike-courier cooperatives.",
            description="Dispatch, routing and rider scheduling for cooperatives of couriers. "
            "Under the Peer Production License: free for cooperatives and the commons, "
            "by agreement for firms that employ wage labour.",
            kind="software",
            licence="PPL-1.0",
        )
        d.maintainers(COURIER, by="chen", names=("dara", "gus"))

    for item in TRACTOR_CONTRIBUTIONS:
        d.contribute(item)

    with demo_governance.at(d.now - timedelta(days=45)):
        d.fork(
            actor="ines", parent=TRACTOR, slug=HILLS, title="Open Tractor — hill-farm adaptation"
        )
        d.maintainers(HILLS, by="ines", names=("bruno",))
    for item in HILLS_CONTRIBUTIONS:
        d.contribute(item)

    for item in COURIER_EARLY:
        d.contribute(item)
    with demo_governance.at(d.now - timedelta(days=45)):  # before the community's proposals
        d.approvals_required(COURIER, by="chen", value=2)
    for item in COURIER_LATE:
        d.contribute(item)

    # The for-benefit association keeps the courier platform's treasury; dara acts for it.
    d.treasurer(COURIER, by="chen", name="open-commons-foundation")
    sponsorship = d.income(SPONSORSHIP)
    d.income(GRANT)
    d.income(LICENCE_FEE)
    donation = d.income(DONATION)
    d.expense(
        COURIER,
        claimant="chen",
        treasurer="dara",
        amount="180.00",
        description="Server hosting for the courier platform, January to March",
        url="https://example.org/courier-app/invoices/hosting-q1.pdf",
    )
    d.equation(HILLS, by="ines", definition=HILLS_EQUATION)
    # The fork shares its donation out first, so an upstream share arrives at the parent ...
    d.distribute(HILLS, donation, by="ines")
    # ... which then shares out its sponsorship by the default equation.
    d.distribute(TRACTOR, sponsorship, by="ada")

    # Licences. The courier platform stays under the Peer Production License as written; the
    # soil handbook moves to CopyFair, where commercial users who do not contribute pay back.
    d.licence_profile(SOIL, by="ines", profile="CopyFair", parameters=SOIL_COPYFAIR)
    d.evidence(
        "farmtools-coop",
        by="ada",
        facts={"worker_owned": True, "gains_to_workers": True, "sse": True},
        legal_form="Workers' cooperative society",
        statutes_url="https://example.org/farmtools-coop/statutes.pdf",
    )
    d.verify("farmtools-coop", by="chen", association="open-commons-foundation")
    d.evidence("agrimach", by="emil", facts={}, legal_form="Private limited company")
    # The worker cooperative may use the courier platform commercially (PPL-1.0 §4(c)) ...
    d.ask(COURIER, "ada", org="farmtools-coop", commercial=True, distributes=True)
    # ... the firm may not, although it contributes to it: the PPL has no contributor exemption.
    d.ask(COURIER, "emil", org="agrimach", commercial=True, distributes=False)
    d.ask(COURIER, "gus", commercial=True, distributes=False)  # one person alone: REVIEW
    d.ask(COURIER, "fatou", org="city-of-riverside", commercial=False, distributes=True)
    # Under CopyFair the firm, which has not contributed to the handbook, owes a fee; it pays,
    # and the grant it receives makes its next request permitted.
    d.ask(SOIL, "emil", org="agrimach", commercial=True, distributes=True)
    d.grant(SOIL, by="ines", grantee="agrimach", amount="300.00", memo=SOIL_FEE_MEMO)
    d.ask(SOIL, "emil", org="agrimach", commercial=True, distributes=True)
    # The city wrote a chapter this year: as a contributor it may use the handbook commercially.
    d.ask(SOIL, "fatou", org="city-of-riverside", commercial=True, distributes=True)
    # The open tractor's hardware licence permits any use, with reciprocal obligations.
    d.ask(TRACTOR, "emil", org="agrimach", commercial=True, distributes=True)

    # The courier platform's code history, imported from git: who did the work, who paid. Work
    # from free mail and forge no-reply addresses counts as volunteers'; the rest is unknown.
    d.history(COURIER, by="chen")
    d.paid_by(COURIER, "chen", "opencommons.example", "open-commons-foundation")
    d.paid_by(COURIER, "chen", "farmtools.example", "farmtools-coop")
    d.paid_by(COURIER, "chen", "agrimach.example", "agrimach")
    d.paid_by(COURIER, "chen", "riverside.example", "city-of-riverside")
    # Chen's commits were imported under her work address; she claims them for her account.
    d.claim("chen", "chen@opencommons.example")
    d.claim("bruno", "bruno@farmtools.example")

    # Peer governance on the courier platform (cli/demo_governance.py).
    demo_governance.load(d.agents, d.commons[COURIER], d.now)
