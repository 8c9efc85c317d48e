"""Claiming the identities met in imported histories: a person with an account proves an email
address is theirs with a token, and the agent the histories credited under that address is
merged into theirs (contributions, commits, aliases, totals; its ledger postings stay put and
show in the claimant's wallet). Refusals write nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count, Sum

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons, Contribution, ContributorTotal
from communs.core import clock, eventlog
from communs.core.models import Event, EventStream
from communs.domain.errors import Conflict, Forbidden, Invalid
from communs.history import selectors, services
from communs.history.models import Alias, ClaimToken, Commit
from communs.ledger import selectors as ledger_selectors
from communs.ledger import services as ledger
from communs.ledger.models import Posting

from .conftest import ADA, Repo

pytestmark = pytest.mark.django_db

GRACE = ("Grace Hopper", "grace@navy.example")
# One word only: never merged with "Ada Lovelace" by name, so a second identity of hers.
ADA_AT_WORK = ("ada", "Ada@Work.Example")


@pytest.fixture
def history(make_repo: Callable[..., Repo]) -> Repo:
    """Ada commits twice as ada@example.org and once as ada@work.example; Grace commits once
    with Ada (example.org) as co-author; Ada (work) commits once with Ada (example.org) as
    co-author: that last commit credits both of her identities."""
    repo = make_repo()
    repo.commit("One", author=ADA)
    repo.commit("Two", author=ADA)
    repo.commit("Three", author=ADA_AT_WORK)
    repo.commit("Four", author=GRACE, co_authors=[f"{ADA[0]} <{ADA[1]}>"])
    repo.commit("Five", author=ADA_AT_WORK, co_authors=[f"{ADA[0]} <{ADA[1]}>"])
    return repo


@pytest.fixture
def imported(alice: Agent, seed_library: Commons, history: Repo) -> Repo:
    services.ingest_git(actor=alice, commons=seed_library, path=str(history.path))
    return history


def agent_by_email(email: str) -> Agent:
    return Alias.objects.get(kind="email", value=email.lower()).agent


def recounted(agent: Agent) -> dict[tuple[int, str], tuple[int, Decimal]]:
    """An agent's totals summed from the contributions themselves."""
    rows = (
        Contribution.objects.filter(contributor=agent, status="accepted")
        .values("commons_id", "unit")
        .annotate(n=Count("pk"), q=Sum("quantity"))
    )
    return {(r["commons_id"], r["unit"]): (r["n"], r["q"]) for r in rows}


def stored_totals(agent: Agent) -> dict[tuple[int, str], tuple[int, Decimal]]:
    return {
        (row.commons_id, row.unit): (row.count, row.quantity)
        for row in ContributorTotal.objects.filter(agent=agent)
    }


def state() -> dict[str, Any]:
    """Everything a claim writes, to prove that a refused one wrote nothing."""
    return {
        "agents": list(Agent.objects.order_by("pk").values_list("pk", "merged_into")),
        "aliases": list(Alias.objects.order_by("pk").values_list("pk", "agent")),
        "commits": list(Commit.objects.order_by("pk").values_list("pk", "author", "co_authors")),
        "contributions": list(Contribution.objects.order_by("pk").values_list("pk", "contributor")),
        "totals": list(
            ContributorTotal.objects.order_by("pk").values_list("pk", "agent", "count", "quantity")
        ),
        "tokens": list(ClaimToken.objects.order_by("pk").values_list("pk", "used_at")),
        "events": Event.objects.count(),
        "streams": list(
            EventStream.objects.order_by("name").values_list("name", "length", "head_hash")
        ),
    }


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    from contextlib import contextmanager

    @contextmanager
    def check() -> Iterator[None]:
        before = state()
        yield
        assert state() == before, "a refused claim wrote something"

    return check


def instance_events(kind: str) -> list[dict[str, Any]]:
    rows = Event.objects.filter(stream_id=eventlog.INSTANCE_STREAM).order_by("seq")
    return [row.body for row in rows if row.body["kind"] == kind]


# --- requesting ---------------------------------------------------------------------------------


def test_a_request_keeps_only_the_digest_and_logs_no_token_nor_address(bob, imported):
    before = clock.now()
    token = services.claim_request(claimant=bob, email=" ADA@example.org ")

    row = ClaimToken.objects.get()
    assert token.startswith(services.CLAIM_PREFIX)
    assert len(token) > 40
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert row.email == "ada@example.org"
    assert row.claimant == bob
    assert row.used_at is None
    assert before + timedelta(hours=24) <= row.expires_at <= clock.now() + timedelta(hours=24)
    (event,) = instance_events("identity.claim_requested")
    assert event["actor"] == "bob"
    assert event["data"]["identities"] == [agent_by_email(ADA[1]).name]
    logged = str([e.body for e in Event.objects.all()])
    assert token not in logged
    assert token[len(services.CLAIM_PREFIX) :] not in logged
    assert "ada@example.org" not in logged.lower()
    assert eventlog.verify().ok


@pytest.mark.parametrize(
    ("email", "field"),
    [
        ("", "email"),
        ("   ", "email"),
        ("ada", "email"),  # no @
        ("@example.org", "email"),
        ("ada@", "email"),
        ("ada lovelace@example.org", "email"),
        ("ada@exa\x00mple.org", "email"),
        ("a" * 250 + "@example.org", "email"),
        ("nobody@example.org", "email"),  # in no imported history
    ],
)
def test_a_bad_or_unknown_address_is_refused(bob, imported, unchanged, email, field):
    with unchanged(), pytest.raises(Invalid) as refused:
        services.claim_request(claimant=bob, email=email)
    assert field in refused.value.errors


def test_only_a_person_with_an_account_can_claim(alice, bob, imported, unchanged):
    organisation = accounts.organisation_create(
        actor=bob, name="acme", display_name="ACME", kind="for_profit"
    )
    grace = agent_by_email(GRACE[1])  # a person met in the history, without an account
    for who in (organisation, grace):
        with unchanged(), pytest.raises(Forbidden):
            services.claim_request(claimant=who, email=ADA[1])


def test_requests_for_an_address_already_claimed_are_refused(bob, carol, imported, unchanged):
    services.claim_confirm(claimant=bob, token=services.claim_request(claimant=bob, email=ADA[1]))
    with unchanged():
        with pytest.raises(Conflict, match="already yours"):
            services.claim_request(claimant=bob, email=ADA[1])
        with pytest.raises(Conflict, match="belongs to an account"):
            services.claim_request(claimant=carol, email=ADA[1])


# --- confirming ---------------------------------------------------------------------------------


def test_confirming_merges_the_identity_into_the_claimant(bob, seed_library, imported):
    ada = agent_by_email(ADA[1])
    contributions = set(Contribution.objects.filter(contributor=ada).values_list("pk", flat=True))
    commits = set(Commit.objects.filter(author=ada).values_list("sha", flat=True))
    aliases = set(Alias.objects.filter(agent=ada).values_list("kind", "value"))
    assert len(contributions) == 4
    assert len(commits) == 2
    assert aliases == {("email", "ada@example.org"), ("name", "ada lovelace")}
    token = services.claim_request(claimant=bob, email=ADA[1])

    result = services.claim_confirm(claimant=bob, token=token)

    assert [a.pk for a in result.agents] == [ada.pk]
    assert (result.email, result.contributions, result.duplicates) == ("ada@example.org", 4, 0)
    assert (result.commits, result.aliases) == (2, 2)
    ada.refresh_from_db()
    assert ada.merged_into == bob
    assert ada.user is None
    assert set(bob.contributions.values_list("pk", flat=True)) == contributions
    assert not Contribution.objects.filter(contributor=ada).exists()
    assert set(Commit.objects.filter(author=bob).values_list("sha", flat=True)) == commits
    assert set(Alias.objects.filter(agent=bob).values_list("kind", "value")) == aliases
    assert stored_totals(bob) == recounted(bob) == {(seed_library.pk, "commit"): (4, Decimal(4))}
    assert not ContributorTotal.objects.filter(agent=ada).exists()
    assert ClaimToken.objects.get().used_at is not None
    (event,) = instance_events("identity.claimed")
    assert event["actor"] == "bob"
    assert event["data"] == {
        "claimant": "bob",
        "merged": [ada.name],
        "contributions": 4,
        "duplicates": 0,
        "commits": 2,
        "aliases": 2,
    }
    assert eventlog.verify().ok
    # The other people of the history are untouched.
    grace = agent_by_email(GRACE[1])
    assert grace.merged_into is None
    assert grace.contributions.count() == 1


def test_totals_are_added_where_the_claimant_has_some_and_moved_where_not(
    alice, bob, carol, seed_library, other_commons, imported
):
    # Bob had one accepted commit of his own in the seed library; the other commons imported
    # the same history and knows nothing of bob.
    own = commons_services.contribution_submit(
        actor=bob, commons=seed_library, action="produce", quantity="1", unit="commit",
        description="A patch sent by mail",
    )  # fmt: skip
    commons_services.contribution_accept(actor=alice, contribution=own)
    services.ingest_git(actor=carol, commons=other_commons, path=str(imported.path))
    ada = agent_by_email(ADA[1])
    assert stored_totals(ada) == {
        (seed_library.pk, "commit"): (4, Decimal(4)),
        (other_commons.pk, "commit"): (4, Decimal(4)),
    }

    services.claim_confirm(claimant=bob, token=services.claim_request(claimant=bob, email=ADA[1]))

    assert (
        stored_totals(bob)
        == recounted(bob)
        == {
            (seed_library.pk, "commit"): (5, Decimal(5)),
            (other_commons.pk, "commit"): (4, Decimal(4)),
        }
    )
    assert not ContributorTotal.objects.filter(agent=ada).exists()
    # One row per commons, contributor and unit, as before.
    assert ContributorTotal.objects.filter(agent=bob).count() == 2


def test_work_credited_to_two_identities_of_one_person_counts_once(bob, seed_library, imported):
    """Commit "Five" credits both of Ada's identities (author and co-author). Once she has
    claimed both, she is credited for it once, as the import would have done, and the commit
    has no co-author left."""
    five = Commit.objects.get(commons=seed_library, author=agent_by_email(ADA_AT_WORK[1]),
                              co_authors=1)  # fmt: skip
    services.claim_confirm(claimant=bob, token=services.claim_request(claimant=bob, email=ADA[1]))

    result = services.claim_confirm(
        claimant=bob, token=services.claim_request(claimant=bob, email=ADA_AT_WORK[1])
    )

    assert (result.contributions, result.duplicates, result.commits) == (1, 1, 2)
    sources = list(bob.contributions.values_list("source", flat=True))
    assert len(sources) == len(set(sources)) == 5  # one credit per commit she worked on
    assert stored_totals(bob) == recounted(bob) == {(seed_library.pk, "commit"): (5, Decimal(5))}
    five.refresh_from_db()
    assert five.author == bob
    assert five.co_authors == 0
    assert not Contribution.objects.filter(contributor__merged_into=bob).exists()


def test_the_claimants_next_imports_credit_the_claimant(alice, bob, seed_library, imported):
    services.claim_confirm(claimant=bob, token=services.claim_request(claimant=bob, email=ADA[1]))
    agents = Agent.objects.count()
    imported.commit("Six", author=ADA)

    services.ingest_git(actor=alice, commons=seed_library, path=str(imported.path))

    newest = Commit.objects.get(commons=seed_library, sha=imported.head())
    assert newest.author == bob
    assert Agent.objects.count() == agents
    assert stored_totals(bob) == recounted(bob) == {(seed_library.pk, "commit"): (5, Decimal(5))}


def test_the_wallet_of_the_claimant_shows_what_the_identity_was_paid(
    alice, bob, seed_library, imported
):
    """Postings are append-only: they stay on the merged agent, and the claimant's wallet
    includes them."""
    ada = agent_by_email(ADA[1])
    # The import dates contributions by their commits; the distribution window counts from now.
    Contribution.objects.filter(commons=seed_library).update(occurred_at=clock.now())
    income = ledger.income_record(
        actor=alice, commons=seed_library, kind="donation", amount="100.00", currency="EUR"
    )
    ledger.distribution_run(actor=alice, commons=seed_library, income=income)
    paid = Posting.objects.get(account="wallet", agent=ada)
    assert paid.amount > 0
    assert ledger_selectors.wallet(bob) == []

    services.claim_confirm(claimant=bob, token=services.claim_request(claimant=bob, email=ADA[1]))

    assert Posting.objects.get(pk=paid.pk).agent_id == ada.pk  # not moved
    (line,) = ledger_selectors.wallet(bob)
    assert (line.commons, line.currency, line.received) == (seed_library, "EUR", paid.amount)
    assert [p.pk for p in ledger_selectors.wallet_postings(bob).items] == [paid.pk]
    # Nobody else's wallet shows it.
    assert ledger_selectors.wallet(alice) == []


# --- refused confirmations write nothing ---------------------------------------------------------


@pytest.mark.parametrize("token", ["", "  ", "claim_not-a-real-token", "é" * 10, "x" * 500])
def test_an_unknown_token_is_refused(bob, imported, unchanged, token):
    services.claim_request(claimant=bob, email=ADA[1])
    with unchanged(), pytest.raises(Invalid) as refused:
        services.claim_confirm(claimant=bob, token=token)
    assert "token" in refused.value.errors


def test_someone_elses_token_is_refused(bob, carol, imported, unchanged):
    token = services.claim_request(claimant=carol, email=ADA[1])
    with unchanged(), pytest.raises(Forbidden):
        services.claim_confirm(claimant=bob, token=token)


def test_a_used_token_is_refused(bob, imported, unchanged):
    token = services.claim_request(claimant=bob, email=ADA[1])
    services.claim_confirm(claimant=bob, token=token)
    with unchanged(), pytest.raises(Conflict, match="already used"):
        services.claim_confirm(claimant=bob, token=token)


def test_an_expired_token_is_refused(bob, imported, unchanged, monkeypatch):
    token = services.claim_request(claimant=bob, email=ADA[1])
    later: datetime = clock.now() + services.CLAIM_VALIDITY + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    with unchanged(), pytest.raises(Invalid, match="expired"):
        services.claim_confirm(claimant=bob, token=token)


def test_a_token_for_an_address_claimed_since_by_another_account_is_refused(
    bob, carol, imported, unchanged
):
    carols = services.claim_request(claimant=carol, email=ADA[1])
    services.claim_confirm(claimant=bob, token=services.claim_request(claimant=bob, email=ADA[1]))
    with unchanged(), pytest.raises(Conflict, match="belongs to an account"):
        services.claim_confirm(claimant=carol, token=carols)


def test_a_person_without_an_account_cannot_confirm(bob, imported, unchanged):
    token = services.claim_request(claimant=bob, email=ADA[1])
    with unchanged(), pytest.raises(Forbidden):
        services.claim_confirm(claimant=agent_by_email(GRACE[1]), token=token)


# --- reads --------------------------------------------------------------------------------------


def test_aliases_show_emails_to_their_owner_only(bob, carol, imported):
    services.claim_confirm(claimant=bob, token=services.claim_request(claimant=bob, email=ADA[1]))
    own = {(a.kind, a.display) for a in selectors.aliases_of(bob, viewer=bob)}
    assert own == {("email", "ada@example.org"), ("name", "Ada Lovelace")}
    for viewer in (None, carol):
        seen = {(a.kind, a.display) for a in selectors.aliases_of(bob, viewer=viewer)}
        assert seen == {("name", "Ada Lovelace")}


def test_pending_claims_are_the_unused_unexpired_ones(bob, carol, imported, monkeypatch):
    used = services.claim_request(claimant=bob, email=ADA[1])
    services.claim_request(claimant=bob, email=ADA_AT_WORK[1])
    services.claim_request(claimant=carol, email=GRACE[1])
    services.claim_confirm(claimant=bob, token=used)
    assert [c.email for c in selectors.pending_claims(bob)] == ["ada@work.example"]
    later = clock.now() + services.CLAIM_VALIDITY
    monkeypatch.setattr(clock, "now", lambda: later)
    assert selectors.pending_claims(bob) == []


# --- the command line ---------------------------------------------------------------------------


def test_the_cli_prints_a_token_that_confirms_the_claim(bob, imported, capsys):
    from communs.cli.main import main

    assert main(["claim", "request", ADA[1], "--as", "bob"]) == 0
    printed = capsys.readouterr()
    token = printed.out.strip()
    assert token.startswith(services.CLAIM_PREFIX)
    assert "Send this token to ada@example.org only" in printed.err
    assert ClaimToken.objects.get().digest == hashlib.sha256(token.encode()).hexdigest()

    assert main(["claim", "confirm", token, "--as", "bob"]) == 0
    assert "ada@example.org is now bob's" in capsys.readouterr().out
    assert agent_by_email(ADA[1]) == bob


def test_cli_refusals_exit_1_and_write_nothing(bob, imported, unchanged, capsys):
    from communs.cli.main import main

    with unchanged():
        assert main(["claim", "request", "nobody@example.org", "--as", "bob"]) == 1
        assert "No imported history has this address." in capsys.readouterr().err
        assert main(["claim", "request", ADA[1], "--as", "nobody"]) == 1
        assert main(["claim", "confirm", "claim_made-up", "--as", "bob"]) == 1
        assert "This token is not valid." in capsys.readouterr().err


# --- races (PostgreSQL) ---------------------------------------------------------------------------


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Start every call at once, each on its own connection; return results or exceptions."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = calls[i]()
        except BaseException as exc:  # collected and checked by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_one_token_confirmed_twice_at_once_merges_once(
    requires_postgres, bob, seed_library, imported
):
    token = services.claim_request(claimant=bob, email=ADA[1])
    results = race([lambda: services.claim_confirm(claimant=bob, token=token)] * 2)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1
    assert isinstance(failed[0], Conflict)
    assert stored_totals(bob) == recounted(bob) == {(seed_library.pk, "commit"): (4, Decimal(4))}
    assert len(instance_events("identity.claimed")) == 1
    assert eventlog.verify().ok
