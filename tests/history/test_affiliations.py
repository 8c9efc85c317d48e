"""A commons' affiliation map: which organisation (or nobody) pays for work done from an email
domain, or from one person's address, optionally for a period. Maintainers edit it, every
change is logged without the addresses, bad input writes nothing, and the report's rules
follow it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest

from communs.accounts import services as accounts
from communs.accounts.models import Agent
from communs.commons.models import Commons
from communs.core import eventlog
from communs.core.models import Event, EventStream
from communs.domain import githistory as gh
from communs.domain.errors import Forbidden, Invalid
from communs.history import selectors, services
from communs.history.models import Affiliation, Alias

from .conftest import ADA, Repo
from .test_claims import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(bob: Agent) -> Agent:
    return accounts.organisation_create(
        actor=bob, name="acme", display_name="ACME", kind="for_profit"
    )


@pytest.fixture
def globex(bob: Agent) -> Agent:
    return accounts.organisation_create(
        actor=bob, name="globex", display_name="Globex", kind="for_profit"
    )


def state() -> tuple[Any, ...]:
    return (
        list(
            Affiliation.objects.order_by("pk").values_list(
                "pk", "domain", "email", "kind", "organisation", "since", "until", "created_by"
            )
        ),
        Event.objects.count(),
        list(EventStream.objects.order_by("name").values_list("name", "length", "head_hash")),
    )


@pytest.fixture
def unchanged() -> Callable[[], Any]:
    @contextmanager
    def check() -> Iterator[None]:
        before = state()
        yield
        assert state() == before, "a refused change wrote something"

    return check


def commons_events(commons: Commons, kind: str) -> list[dict[str, Any]]:
    rows = Event.objects.filter(stream_id=eventlog.commons_stream(commons.slug)).order_by("seq")
    return [row.body for row in rows if row.body["kind"] == kind]


def test_a_maintainer_maps_a_domain_to_an_organisation(alice, seed_library, acme):
    row, created = services.affiliation_set(
        actor=alice, commons=seed_library, domain=" ACME.Example. ", kind="paid", organisation=acme
    )

    assert created
    assert (row.domain, row.email, row.kind, row.organisation) == ("acme.example", "", "paid", acme)
    assert row.created_by == alice
    assert selectors.affiliation_rules(seed_library) == [
        gh.AffiliationRule("acme.example", gh.Funding.PAID, "acme")
    ]
    rules = selectors.affiliation_rules(seed_library)
    on = date(2024, 5, 1)
    assert gh.classify("wile@lab.acme.example", on, rules) == (gh.Funding.PAID, "acme")
    assert gh.classify("ada@gmail.com", on, rules) == (gh.Funding.VOLUNTEER, None)
    assert gh.classify("ada@elsewhere.example", on, rules) == (gh.Funding.UNKNOWN, None)
    (event,) = commons_events(seed_library, "history.affiliation_set")
    assert event["actor"] == "alice"
    assert event["data"] == {
        "id": row.pk, "domain": "acme.example", "scope": "domain", "person": None,
        "kind": "paid", "organisation": "acme", "since": None, "until": None, "replaced": False,
    }  # fmt: skip
    assert eventlog.verify().ok


def test_a_rule_for_one_address_and_a_period(alice, seed_library, acme, make_repo):
    # The address belongs to Ada in an imported history: the log names her, not her address.
    repo: Repo = make_repo()
    repo.commit(author=ADA)
    services.ingest_git(actor=alice, commons=seed_library, path=str(repo.path))
    ada = Alias.objects.get(kind="email", value=ADA[1]).agent

    row, created = services.affiliation_set(
        actor=alice, commons=seed_library, email="Ada@Example.org", kind="paid",
        organisation=acme, since=date(2023, 1, 1), until=date(2023, 12, 31),
    )  # fmt: skip

    assert created
    assert (row.domain, row.email) == ("example.org", "ada@example.org")
    rules = selectors.affiliation_rules(seed_library)
    assert gh.classify("ada@example.org", date(2023, 6, 1), rules) == (gh.Funding.PAID, "acme")
    assert gh.classify("ada@example.org", date(2024, 1, 1), rules)[0] == gh.Funding.UNKNOWN
    assert gh.classify("bob@example.org", date(2023, 6, 1), rules)[0] == gh.Funding.UNKNOWN
    (event,) = commons_events(seed_library, "history.affiliation_set")
    assert event["data"]["scope"] == "address"
    assert event["data"]["person"] == ada.name
    assert (event["data"]["since"], event["data"]["until"]) == ("2023-01-01", "2023-12-31")
    assert "ada@example.org" not in str(list(Event.objects.values_list("body", flat=True)))


def test_a_free_mail_address_can_be_mapped_one_person_at_a_time(alice, seed_library, acme):
    row, _ = services.affiliation_set(
        actor=alice, commons=seed_library, email="ada@gmail.com", kind="paid", organisation=acme
    )
    rules = selectors.affiliation_rules(seed_library)
    assert row.domain == "gmail.com"
    assert gh.classify("ada@gmail.com", date(2024, 1, 1), rules) == (gh.Funding.PAID, "acme")
    assert gh.classify("bob@gmail.com", date(2024, 1, 1), rules)[0] == gh.Funding.VOLUNTEER


def test_setting_the_same_scope_again_replaces_the_rule(alice, seed_library, acme, globex):
    first, _ = services.affiliation_set(
        actor=alice, commons=seed_library, domain="acme.example", kind="paid", organisation=acme
    )
    # Another period is another rule.
    dated, created = services.affiliation_set(
        actor=alice, commons=seed_library, domain="acme.example", kind="volunteer",
        since=date(2020, 1, 1),
    )  # fmt: skip
    assert created
    assert dated.pk != first.pk

    again, created = services.affiliation_set(
        actor=alice, commons=seed_library, domain="acme.example", kind="paid", organisation=globex
    )

    assert not created
    assert again.pk == first.pk
    assert Affiliation.objects.filter(commons=seed_library).count() == 2
    assert Affiliation.objects.get(pk=first.pk).organisation == globex
    replaced = commons_events(seed_library, "history.affiliation_set")[-1]
    assert replaced["data"]["replaced"] is True
    assert replaced["data"]["organisation"] == "globex"


def test_rules_belong_to_their_commons(alice, carol, seed_library, other_commons, acme):
    services.affiliation_set(
        actor=alice, commons=seed_library, domain="acme.example", kind="paid", organisation=acme
    )
    assert selectors.affiliation_rules(other_commons) == []
    assert selectors.affiliation_entries(other_commons, viewer=carol) == []


def test_a_maintainer_removes_a_rule(alice, seed_library, acme):
    row, _ = services.affiliation_set(
        actor=alice, commons=seed_library, domain="acme.example", kind="paid", organisation=acme
    )
    services.affiliation_remove(actor=alice, affiliation=row)
    assert not Affiliation.objects.exists()
    assert selectors.affiliation_rules(seed_library) == []
    (event,) = commons_events(seed_library, "history.affiliation_removed")
    assert event["data"]["id"] == row.pk
    assert event["data"]["domain"] == "acme.example"
    assert eventlog.verify().ok


# --- bad input ------------------------------------------------------------------------------------


BAD: list[tuple[dict[str, Any], str]] = [
    ({"domain": "", "kind": "volunteer"}, "domain"),
    ({"domain": "localhost", "kind": "volunteer"}, "domain"),  # one label: no domain
    ({"domain": "exa mple.org", "kind": "volunteer"}, "domain"),
    ({"domain": "-acme.example", "kind": "volunteer"}, "domain"),
    ({"domain": "acme..example", "kind": "volunteer"}, "domain"),
    ({"domain": "acme_corp.example", "kind": "volunteer"}, "domain"),
    ({"domain": "acme.exa\x00mple", "kind": "volunteer"}, "domain"),
    ({"domain": "a" * 64 + ".example", "kind": "volunteer"}, "domain"),
    ({"domain": ("abc." * 70) + "org", "kind": "volunteer"}, "domain"),
    ({"domain": "gmail.com", "kind": "volunteer"}, "domain"),  # anyone can have one
    ({"domain": "users.noreply.github.com", "kind": "volunteer"}, "domain"),
    ({"domain": "acme.example", "kind": "donated"}, "kind"),
    ({"domain": "acme.example", "kind": ""}, "kind"),
    ({"domain": "acme.example", "kind": "paid"}, "organisation"),
    ({"domain": "acme.example", "kind": "volunteer", "organisation": "acme"}, "organisation"),
    ({"domain": "acme.example", "kind": "paid", "organisation": "bob"}, "organisation"),
    ({"email": "not an address", "kind": "volunteer"}, "email"),
    ({"email": "ada@", "kind": "volunteer"}, "email"),
    ({"email": "ada@exam\nple.org", "kind": "volunteer"}, "email"),
    ({"email": "ada@example.org", "domain": "x", "kind": "volunteer"}, "domain"),
    ({"email": "ada@elsewhere.example", "domain": "acme.example", "kind": "volunteer"}, "email"),
    ({"email": "ada@acme.example.evil", "domain": "acme.example", "kind": "volunteer"}, "email"),
    (
        {
            "domain": "acme.example",
            "kind": "volunteer",
            "since": date(2024, 2, 1),
            "until": date(2024, 1, 31),
        },
        "until",
    ),
]


@pytest.mark.parametrize(("given", "field"), BAD)
def test_bad_input_is_refused_on_its_field(alice, bob, seed_library, acme, unchanged, given, field):
    named = {"acme": acme, "bob": bob}
    if "organisation" in given:
        given = {**given, "organisation": named[given["organisation"]]}
    with unchanged(), pytest.raises(Invalid) as refused:
        services.affiliation_set(actor=alice, commons=seed_library, **given)
    assert field in refused.value.errors


def test_every_problem_is_reported_at_once(alice, seed_library, unchanged):
    with unchanged(), pytest.raises(Invalid) as refused:
        services.affiliation_set(
            actor=alice, commons=seed_library, domain="not a domain", kind="paid",
            since=date(2024, 2, 1), until=date(2024, 1, 1),
        )  # fmt: skip
    assert set(refused.value.errors) == {"domain", "organisation", "until"}


# --- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["contributor", "other_maintainer"])
def test_only_maintainers_edit_the_map(
    alice, bob, carol, seed_library, other_commons, acme, unchanged, role
):
    # bob is also acme's admin: speaking for the organisation does not make him a maintainer.
    who = {"contributor": bob, "other_maintainer": carol}[role]
    row, _ = services.affiliation_set(
        actor=alice, commons=seed_library, domain="acme.example", kind="paid", organisation=acme
    )
    with unchanged():
        with pytest.raises(Forbidden):
            services.affiliation_set(
                actor=who, commons=seed_library, domain="acme.example", kind="volunteer"
            )
        with pytest.raises(Forbidden):
            services.affiliation_remove(actor=who, affiliation=row)


def test_permission_is_checked_before_the_input(bob, seed_library, unchanged):
    with unchanged(), pytest.raises(Forbidden):
        services.affiliation_set(actor=bob, commons=seed_library, domain="", kind="")


def test_addresses_are_shown_to_maintainers_only(alice, bob, seed_library, acme, make_repo):
    repo: Repo = make_repo()
    repo.commit(author=ADA)
    services.ingest_git(actor=alice, commons=seed_library, path=str(repo.path))
    services.affiliation_set(
        actor=alice, commons=seed_library, email=ADA[1], kind="paid", organisation=acme
    )
    services.affiliation_set(
        actor=alice, commons=seed_library, email="nobody@acme.example", kind="paid",
        organisation=acme,
    )  # fmt: skip
    ada = Alias.objects.get(kind="email", value=ADA[1]).agent

    for viewer in (None, bob):
        entries = selectors.affiliation_entries(seed_library, viewer=viewer)
        assert [(e.domain, e.email, e.person) for e in entries] == [
            ("acme.example", "", None),
            ("example.org", "", ada),
        ]
        assert all(e.for_address for e in entries)
    entries = selectors.affiliation_entries(seed_library, viewer=alice)
    assert [e.email for e in entries] == ["nobody@acme.example", "ada@example.org"]


@pytest.mark.django_db(transaction=True)
def test_the_same_affiliation_set_twice_at_once_makes_one_rule(
    requires_postgres, alice, seed_library
):
    def set_rule() -> object:
        return services.affiliation_set(
            actor=alice, commons=seed_library, domain="acme.example", kind="volunteer"
        )

    results = race([set_rule, set_rule])
    assert not [r for r in results if isinstance(r, BaseException)]
    assert sorted(created for _, created in results) == [False, True]  # type: ignore[misc]
    assert Affiliation.objects.count() == 1
