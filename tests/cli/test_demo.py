"""The demo community: built through the services, complete, and loaded only once."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import authenticate

from communs.accounts.models import Agent
from communs.cli.demo import DEMO_PASSWORD, load_demo
from communs.commons import selectors
from communs.commons.models import Approval, Commons, Contribution
from communs.core import eventlog
from communs.core.models import Event, EventStream
from communs.domain.contributions import Action, Status, Stream
from communs.history.models import Alias, Commit
from communs.history.selectors import report_get
from communs.ledger import selectors as ledger_selectors
from communs.ledger.models import (
    Distribution,
    EquationVersion,
    Expense,
    Income,
    Posting,
    Transaction,
)
from communs.licensing import selectors as licensing_selectors
from communs.licensing.models import Evaluation, Grant

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_loading_twice_creates_everything_once() -> None:
    first_logins = load_demo()
    after_first = _row_counts()
    events_first = Event.objects.count()
    heads_first = list(
        EventStream.objects.order_by("name").values_list("name", "length", "head_hash")
    )

    second_logins = load_demo()

    assert _row_counts() == after_first
    assert Event.objects.count() == events_first
    assert (
        list(EventStream.objects.order_by("name").values_list("name", "length", "head_hash"))
        == heads_first
    )
    assert second_logins == first_logins
    assert events_first > 50
    assert after_first["commons.Contribution"] >= 20
    assert after_first["ledger.Income"] >= 5  # four recorded, one upstream share
    assert after_first["ledger.Distribution"] == 2
    assert after_first["ledger.Expense"] == 2  # a paid server bill, the working group's backup


def test_logins_work_and_are_lowercase() -> None:
    logins = load_demo()
    assert 6 <= len(logins) <= 8
    assert len({login.username for login in logins}) == len(logins)
    for login in logins:
        assert login.username == login.username.lower()
        assert login.password == DEMO_PASSWORD
        assert login.role
        assert authenticate(username=login.username, password=login.password) is not None


def test_every_status_action_and_stream_is_present() -> None:
    load_demo()
    statuses = set(Contribution.objects.values_list("status", flat=True))
    assert statuses == {str(s) for s in Status}
    assert set(Contribution.objects.values_list("action", flat=True)) == {str(a) for a in Action}
    assert set(Contribution.objects.values_list("stream", flat=True)) == {str(s) for s in Stream}
    rejected = Contribution.objects.filter(status=Status.REJECTED)
    assert all(row.reason.strip() for row in rejected)
    assert Contribution.objects.filter(organisation__isnull=False).exists()
    # Dates are spread over the last months, not all "now".
    dates = sorted(Contribution.objects.values_list("occurred_at", flat=True))
    assert (dates[-1] - dates[0]).days >= 90


def test_organisations_of_every_kind_the_essay_needs() -> None:
    load_demo()
    kinds = set(
        apps.get_model("accounts", "Agent")
        .objects.filter(type="organisation")
        .values_list("org_kind", flat=True)
    )
    assert {"worker_coop", "for_profit", "nonprofit", "public_body"} <= kinds


def test_a_commons_needing_two_approvals_has_one_halfway() -> None:
    load_demo()
    strict = Commons.objects.get(approvals_required=2)
    halfway = [
        row
        for row in Contribution.objects.filter(commons=strict, status=Status.SUBMITTED)
        if Approval.objects.filter(contribution=row).count() == 1
    ]
    assert len(halfway) == 1


def test_the_fork_lists_its_parent_and_credits_its_contributors() -> None:
    load_demo()
    fork = Commons.objects.get(slug="open-tractor-hills")
    parent = Commons.objects.get(slug="open-tractor")
    assert fork.forked_from == parent
    assert fork.licence == "CERN-OHL-S-2.0"
    assert selectors.lineage(fork) == [parent]
    assert [c.upstream for c in selectors.upstreams(fork)] == [parent]
    (ancestor,) = selectors.credited_ancestors(selectors.lineage(fork))
    credited = {credit.agent.name for credit in ancestor.credits}
    accepted_in_parent = set(
        Contribution.objects.filter(commons=parent, status=Status.ACCEPTED).values_list(
            "contributor__name", flat=True
        )
    )
    assert credited == accepted_in_parent
    assert {"ada", "bruno", "emil", "fatou", "gus"} <= credited


def test_the_log_verifies_and_records_the_story() -> None:
    load_demo()
    assert eventlog.verify().breaks == ()
    kinds = {event.kind for event in Event.objects.all()}
    assert {
        "account.created",
        "organisation.created",
        "organisation.member_added",
        "commons.created",
        "commons.forked",
        "maintainer.added",
        "commons.settings_changed",
        "contribution.submitted",
        "contribution.approved",
        "contribution.accepted",
        "contribution.rejected",
        "contribution.withdrawn",
    } <= kinds


def test_the_treasuries_have_incomes_of_every_outside_kind_and_a_paid_expense() -> None:
    load_demo()
    courier = Commons.objects.get(slug="courier-app")
    foundation = Agent.objects.get(name="open-commons-foundation")
    assert list(ledger_selectors.treasurers(courier)) == [foundation]
    assert ledger_selectors.is_treasurer(Agent.objects.get(name="dara"), courier)
    kinds = set(Income.objects.values_list("kind", flat=True))
    assert {"sponsorship", "grant", "licence_fee", "donation"} <= kinds
    sponsorship = Income.objects.get(kind="sponsorship")
    assert sponsorship.payer is not None
    assert sponsorship.payer.org_kind == "for_profit"
    grant = Income.objects.get(kind="grant")
    assert grant.payer is not None
    assert grant.payer.org_kind == "public_body"
    (expense,) = Expense.objects.filter(working_group=None)
    assert expense.status == Expense.Status.PAID
    assert expense.claimant.type == "person"
    assert "server" in expense.description.lower()
    assert expense.transaction is not None
    # Paid from the treasury: it holds the incomes minus the bill.
    assert (
        ledger_selectors.balance(courier, "EUR")
        == grant.amount
        + Income.objects.get(commons=courier, kind="licence_fee").amount
        - expense.amount
    )


def test_two_distributions_explain_every_payout_and_the_fork_pays_its_parent() -> None:
    load_demo()
    fork = Commons.objects.get(slug="open-tractor-hills")
    parent = Commons.objects.get(slug="open-tractor")
    assert Distribution.objects.count() == 2
    equation = EquationVersion.objects.get(commons=fork)
    targets = [bucket["to"] for bucket in equation.definition["buckets"]]
    assert targets == ["agent", "upstream", "contributors"]
    assert equation.definition["buckets"][0]["agent"] == "open-commons-foundation"
    for row in Distribution.objects.all():
        payouts = row.transaction.postings.exclude(payout_to="")
        assert payouts.count() >= 2
        assert sum(p.amount for p in payouts) == row.amount - row.kept
        assert all(p.explanation.strip() and "→" in p.explanation for p in payouts)
    on_fork = Distribution.objects.get(commons=fork)
    assert on_fork.equation_version == equation.version
    recipients = {p.payout_to for p in on_fork.transaction.postings.exclude(payout_to="")}
    assert recipients == {"agent", "upstream", "contributors"}
    arrived = Income.objects.get(commons=parent, kind=Income.Kind.UPSTREAM)
    assert arrived.source_commons == fork
    assert arrived.transaction == on_fork.transaction
    assert Distribution.objects.filter(commons=parent).exists()
    assert Posting.objects.filter(account="wallet", agent__name="open-commons-foundation").exists()


def test_double_entry_holds_for_every_transaction() -> None:
    load_demo()
    assert Transaction.objects.count() >= 7  # four incomes, an expense, two distributions
    for txn in Transaction.objects.all():
        totals: dict[str, int] = {}
        for currency, amount in txn.postings.values_list("currency", "amount"):
            totals[currency] = totals.get(currency, 0) + amount
        assert totals, txn
        assert not any(totals.values()), (txn, totals)
    # No treasury is overdrawn.
    for commons in Commons.objects.all():
        assert all(v >= 0 for v in ledger_selectors.balances(commons).values())


def test_the_log_records_the_money() -> None:
    load_demo()
    kinds = {event.kind for event in Event.objects.all()}
    assert {
        "treasurer.added",
        "income.recorded",
        "expense.submitted",
        "expense.approved",
        "expense.paid",
        "value_equation.adopted",
        "distribution.made",
    } <= kinds
    assert eventlog.verify().breaks == ()


def test_licences_under_ppl_copyfair_and_spdx_with_a_grant_that_verifies() -> None:
    load_demo()
    profiles = {
        commons.slug: licensing_selectors.profile_current(commons)
        for commons in Commons.objects.all()
    }
    keys = {slug: current.profile.key for slug, current in profiles.items() if current.profile}
    assert keys["courier-app"] == "PPL-1.0"
    assert keys["soil-handbook"] == "CopyFair"
    assert profiles["soil-handbook"].version == 1
    assert keys["open-tractor"] == "CERN-OHL-S-2.0"

    def answers(slug: str, asker: str) -> list[str]:
        rows = Evaluation.objects.filter(commons__slug=slug, asker__name=asker).order_by("id")
        return [row.rule for row in rows]

    # The worker cooperative (verified by the for-benefit association) may, the firm may not
    # although it contributes, one person alone is reviewed, the city's non-commercial use is
    # permitted.
    assert answers("courier-app", "farmtools-coop") == ["ppl.worker-owned"]
    assert answers("courier-app", "agrimach") == ["ppl.wage-labour-firm"]
    assert (
        Evaluation.objects.get(commons__slug="courier-app", asker__name="agrimach").inputs[
            "accepted_contributions"
        ]
        >= 1
    )
    assert answers("courier-app", "gus") == ["ppl.working-alone"]
    assert answers("courier-app", "city-of-riverside") == ["ppl.non-commercial"]
    # Under CopyFair the non-contributing firm owes a fee, pays it, and is then permitted;
    # the contributing city is permitted.
    assert answers("soil-handbook", "agrimach") == ["copyfair.reciprocity", "copyfair.fee-paid"]
    assert answers("soil-handbook", "city-of-riverside") == ["copyfair.contributor"]

    (grant,) = Grant.objects.all()
    assert grant.grantee.name == "agrimach"
    assert grant.income.kind == "licence_fee"
    assert grant.income.payer == grant.grantee
    assert licensing_selectors.grant_status(grant, now=grant.issued_at) == "valid"
    kinds = {event.kind for event in Event.objects.all()}
    assert {"licence.profile_adopted", "licence.evaluated", "licence.granted"} <= kinds
    assert {"organisation.evidence_declared", "organisation.evidence_verified"} <= kinds


def test_the_courier_platforms_history_is_imported_with_who_pays_for_it() -> None:
    load_demo()
    courier = Commons.objects.get(slug="courier-app")
    report = report_get(courier)
    assert report.commits == Commit.objects.filter(commons=courier).count() >= 200
    funding = {row.funding: row.commits for row in report.funding}
    assert set(funding) == {"paid", "volunteer", "unknown"}
    assert all(funding.values())
    assert funding["paid"] > funding["volunteer"] > funding["unknown"]
    # The mailmap joins Gus's two addresses; Chen claimed her work address.
    gus = Alias.objects.get(kind="email", value="gus.ferreira@gmail.com").agent
    assert Commit.objects.filter(commons=courier, author=gus).count() > 30
    chen = Agent.objects.get(name="chen")
    assert Alias.objects.get(kind="email", value="chen@opencommons.example").agent == chen
    assert Commit.objects.filter(commons=courier, author=chen).exists()
    assert Agent.objects.get(name="chen-li").merged_into == chen
    assert Contribution.objects.filter(commons=courier, source__startswith="git:").count() > 200


def test_the_courier_community_governs_itself() -> None:
    from communs.governance.models import Proposal

    load_demo()
    courier = Commons.objects.get(slug="courier-app")
    proposals = {p.title: p for p in courier.proposals.all()}

    # A consent proposal, amended to meet an objection, adopted a new value-equation version.
    pay = proposals["Value rider-support hours at 30"]
    assert (pay.method, pay.status, pay.round) == ("consent", "passed", 2)
    assert pay.applied == {"equation_version": 1}
    equation = ledger_selectors.equation_current(courier)
    assert equation.version == 1
    assert equation.equation.definition["rates"]["hour"] == "30"
    assert pay.votes.filter(position="object", withdrawn=True).exists()

    # A consensus proposal stopped by a reasoned block: the licence did not change.
    mit = proposals["Relicense the platform under MIT"]
    assert (mit.method, mit.status, mit.applied) == ("consensus", "failed", None)
    block = mit.votes.get(position="block")
    assert block.reason
    assert not block.withdrawn
    assert courier.licence == "PPL-1.0"
    assert mit.comments.filter(parent__isnull=False).exists()  # a threaded discussion

    # The merit job nominated a person who meets the promotion criteria, with the evidence.
    nomination = courier.proposals.get(origin=Proposal.Origin.MERIT)
    assert (nomination.status, nomination.method) == ("open", "consent")
    assert nomination.change == {"type": "add_maintainer", "agent": "bruno"}
    assert nomination.evidence["accepted_contributions"] >= 20

    # A working group with a spending cap, and an expense approved under it.
    group = courier.working_groups.get(slug="infrastructure")
    assert (group.spending_cap, group.currency, group.cap_period_days) == (10_000, "EUR", 30)
    assert group.expenses.get().status == Expense.Status.APPROVED

    # The rulebook's history: founding, a direct change, the adopted amendment, and the
    # equation the consent proposal adopted, recorded as in force.
    versions = list(selectors.rulebook_versions(courier).values_list("version", "proposal"))
    rules_proposal = proposals["Value equations and licences change by proposal only"]
    assert versions == [(4, pay.pk), (3, rules_proposal.pk), (2, None), (1, None)]
    assert selectors.rulebook_current(courier).rules.equation_version == 1
    assert "adopt_equation" not in selectors.rulebook_current(courier).rules.maintainers_may
