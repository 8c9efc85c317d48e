"""The open value ledger in the browser: treasury, distributions, expenses, value equations and
wallets render for everyone (in English and French), the treasurer's flows work through the
forms, refusals write nothing, and the pages cost a fixed number of queries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from communs.accounts.models import Agent
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core.models import Event
from communs.domain.equations import DEFAULT_DEFINITION
from communs.ledger import services as ledger
from communs.ledger.models import (
    Distribution,
    EquationVersion,
    Expense,
    Income,
    Posting,
    Transaction,
    Treasurer,
)

pytestmark = pytest.mark.django_db


def accept(maintainer: Agent, commons: Commons, contributor: Agent, hours: str = "12") -> None:
    row = commons_services.contribution_submit(
        actor=contributor, commons=commons, action="work", quantity=hours, description="Sorted"
    )
    commons_services.contribution_accept(actor=maintainer, contribution=row)


def ledger_snapshot() -> tuple[Any, ...]:
    return (
        Transaction.objects.count(),
        Posting.objects.count(),
        Income.objects.count(),
        list(Expense.objects.order_by("pk").values_list("pk", "status", "reason")),
        EquationVersion.objects.count(),
        Distribution.objects.count(),
        Treasurer.objects.count(),
        Event.objects.count(),
    )


@pytest.fixture
def unchanged() -> Callable[[], AbstractContextManager[None]]:
    """`with unchanged(): ...` asserts the block leaves the ledger and the log as they were."""

    @contextmanager
    def check() -> Iterator[None]:
        before = ledger_snapshot()
        yield
        assert ledger_snapshot() == before, "the request wrote something"

    return check


@pytest.fixture
def dave(make_person: Callable[..., Agent]) -> Agent:
    """Named treasurer of the seed library (not a maintainer)."""
    return make_person("dave")


@pytest.fixture
def books(alice, bob, carol, dave, seed_library, other_commons) -> SimpleNamespace:
    """Bob's accepted work; dave keeps the treasury with alice; a distributed donation, a grant
    waiting to be distributed, and bob's pending expense claim."""
    ledger.treasurer_add(actor=alice, commons=seed_library, agent=dave)
    accept(alice, seed_library, bob)
    donation = ledger.income_record(
        actor=alice,
        commons=seed_library,
        kind="donation",
        amount="100",
        currency="EUR",
        payer_name="A friend of seeds",
    )
    run = ledger.distribution_run(actor=alice, commons=seed_library, income=donation)
    grant = ledger.income_record(
        actor=dave, commons=seed_library, kind="grant", amount="40", currency="EUR", payer=carol
    )
    expense = ledger.expense_submit(
        actor=bob, commons=seed_library, amount="10", currency="EUR", description="Server bill"
    )
    return SimpleNamespace(
        donation=donation, grant=grant, distribution=run.distribution, expense=expense
    )


def public_urls(books: SimpleNamespace) -> list[str]:
    return [
        reverse("web:treasury", args=["seed-library"]),
        reverse("web:treasury", args=["other"]),  # an empty treasury
        reverse("web:distribution_detail", args=[books.distribution.pk]),
        reverse("web:expense_detail", args=[books.expense.pk]),
        reverse("web:value_equation", args=["seed-library"]),
        reverse("web:wallet", args=["bob"]),
        reverse("web:wallet", args=["carol"]),  # nothing received
    ]


WHO = ["anonymous", "alice", "bob", "carol", "dave"]


def _agent(who: str, **agents: Agent) -> Agent | None:
    return agents.get(who)


@pytest.mark.parametrize("who", WHO)
def test_public_ledger_pages_render(books, login_as, who, alice, bob, carol, dave):
    client = login_as(_agent(who, alice=alice, bob=bob, carol=carol, dave=dave))
    for url in public_urls(books):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<h1" in response.content


def test_ledger_pages_render_in_french(books, login_as, alice):
    client = login_as(alice)
    french = {
        reverse("web:treasury", args=["seed-library"]): "Où est allé l’argent",
        reverse("web:distribution_detail", args=[books.distribution.pk]): "Versements",
        reverse("web:expense_detail", args=[books.expense.pk]): "Approuver",
        reverse("web:value_equation", args=["seed-library"]): "Équation de valeur",
        reverse("web:wallet", args=["bob"]): "Reçu, par commun",
        reverse("web:distribution_preview", args=[books.grant.pk]): "Confirmer",
        reverse("web:expense_create", args=["seed-library"]): "Réclamer une dépense",
    }
    for url, words in french.items():
        response = client.get(url, headers={"Accept-Language": "fr"})
        assert response.status_code == 200, url
        text = response.content.decode()
        assert '<html lang="fr">' in text
        assert words in text, url


def test_treasury_shows_balance_chart_lists_and_exports(books, login_as):
    response = login_as(None).get(reverse("web:treasury", args=["seed-library"]))
    text = response.content.decode()
    # 100 + 40 in, 90 paid out to contributors (the 10 % upstream share had nobody to go to)
    assert "€50.00" in text
    assert "<svg" in text
    assert 'role="img"' in text
    assert "€140.00" not in text  # the chart is per kind: a donation and a grant
    assert "€100.00" in text
    assert "€40.00" in text
    assert "€90.00" in text
    assert "bucket “contributors”" in text
    assert "still in the treasury" in text
    assert '<table class="flows">' in text  # the chart's figures as a table
    assert reverse("web:distribution_detail", args=[books.distribution.pk]) in text
    assert reverse("web:expense_detail", args=[books.expense.pk]) in text
    assert "/api/v1/commons/seed-library/ledger.csv" in text
    assert "/api/v1/commons/seed-library/valueflows" in text
    assert ">dave<" in text or "dave" in text
    # reading: no treasurer's form, no distribute button
    assert reverse("web:income_record", args=["seed-library"]) not in text
    assert reverse("web:distribution_preview", args=[books.grant.pk]) not in text


def test_treasury_offers_forms_by_role(books, login_as, alice, bob, dave):
    url = reverse("web:treasury", args=["seed-library"])
    record = reverse("web:income_record", args=["seed-library"])
    distribute = reverse("web:distribution_preview", args=[books.grant.pk])
    add = reverse("web:treasurer_add", args=["seed-library"])
    as_dave = login_as(dave).get(url).content.decode()
    assert record in as_dave
    assert distribute in as_dave
    assert add not in as_dave
    as_alice = login_as(alice).get(url).content.decode()
    assert record in as_alice
    assert distribute in as_alice
    assert add in as_alice
    as_bob = login_as(bob).get(url).content.decode()
    assert record not in as_bob
    assert add not in as_bob


def test_commons_and_agent_pages_link_to_treasury_and_wallet(books, login_as):
    client = login_as(None)
    commons = client.get(reverse("web:commons_detail", args=["seed-library"])).content.decode()
    assert reverse("web:treasury", args=["seed-library"]) in commons
    agent = client.get(reverse("web:agent_detail", args=["bob"])).content.decode()
    assert reverse("web:wallet", args=["bob"]) in agent


# --- the treasurer's flows ---------------------------------------------------------------------


def test_record_distribute_confirm_and_refuse_a_second_time(
    alice, bob, dave, seed_library, login_as, unchanged
):
    ledger.treasurer_add(actor=alice, commons=seed_library, agent=dave)
    accept(alice, seed_library, bob, "12")
    client = login_as(dave)
    response = client.post(
        reverse("web:income_record", args=["seed-library"]),
        {
            "kind": "sponsorship",
            "amount": "52,50",  # a comma is taken as the decimal mark
            "currency": "EUR",
            "from": "alice",
            "memo": "Q1",
        },
    )
    assert response.status_code == 302
    income = Income.objects.get()
    assert (income.amount, income.currency, income.payer, income.memo) == (5250, "EUR", alice, "Q1")
    treasury = client.get(response["Location"]).content.decode()
    assert "Income recorded: €52.50." in treasury
    assert reverse("web:distribution_preview", args=[income.pk]) in treasury

    preview_url = reverse("web:distribution_preview", args=[income.pk])
    with unchanged():
        preview = client.get(preview_url)
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "A dry run" in text
    assert "12 hour work × 25 = 300" in text  # the explanation in words
    assert "→ €47.25" in text  # 90 % of €52.50 to bob
    assert "no cited commons to pay; kept in the treasury" in text  # the upstream bucket
    assert "Equation version" in text

    confirmed = client.post(preview_url)
    assert confirmed.status_code == 302
    distribution = Distribution.objects.get()
    assert confirmed["Location"] == reverse("web:distribution_detail", args=[distribution.pk])
    page = client.get(confirmed["Location"]).content.decode()
    assert "12 hour work × 25 = 300" in page
    assert "€47.25" in page
    assert "€5.25" in page

    with unchanged():
        again = client.post(preview_url)
    assert again.status_code == 409
    assert "has already been distributed" in again.content.decode()
    assert reverse("web:distribution_detail", args=[distribution.pk]) in again.content.decode()
    assert client.get(preview_url).status_code == 409


def test_distribution_needs_free_money(alice, bob, seed_library, login_as, unchanged):
    accept(alice, seed_library, bob)
    income = ledger.income_record(
        actor=alice, commons=seed_library, kind="donation", amount="20", currency="EUR"
    )
    claim = ledger.expense_submit(
        actor=bob, commons=seed_library, amount="15", currency="EUR", description="Seeds"
    )
    ledger.expense_approve(actor=alice, expense=claim)
    with unchanged():
        response = login_as(alice).post(reverse("web:distribution_preview", args=[income.pk]))
    assert response.status_code == 409
    assert "only money in the treasury is distributed" in response.content.decode()


def test_bad_income_form_shows_errors_and_writes_nothing(alice, seed_library, login_as, unchanged):
    url = reverse("web:income_record", args=["seed-library"])
    client = login_as(alice)
    with unchanged():
        response = client.post(url, {"kind": "donation", "amount": "-3", "currency": "EUR"})
        assert response.status_code == 422
        assert "Give a positive decimal amount" in response.content.decode()
        response = client.post(url, {"kind": "donation", "amount": "1.234", "currency": "EUR"})
        assert response.status_code == 422
        assert "EUR has 2 decimal places at most." in response.content.decode()
        response = client.post(url, {"kind": "theft", "amount": "1", "currency": "XXX"})
        assert response.status_code == 422
        french = client.post(
            url, {"kind": "donation", "amount": "0", "currency": "EUR"}, HTTP_ACCEPT_LANGUAGE="fr"
        )
        assert french.status_code == 422
        assert "Le montant doit être supérieur à zéro." in french.content.decode()


def test_add_a_treasurer_by_organisation_name(alice, seed_library, make_person, login_as):
    from communs.accounts import services as accounts

    frank = make_person("frank")
    accounts.organisation_create(
        actor=frank, name="infra-assoc", display_name="Infra association", kind="nonprofit"
    )
    client = login_as(alice)
    url = reverse("web:treasurer_add", args=["seed-library"])
    assert client.post(url, {"username": "infra-assoc"}).status_code == 302
    assert Treasurer.objects.filter(agent__name="infra-assoc").exists()
    again = client.post(url, {"username": "infra-assoc"})
    assert again.status_code == 409
    assert "already a treasurer" in again.content.decode()
    missing = client.post(url, {"username": "nobody-here"})
    assert missing.status_code == 422
    assert "Nobody here has this name." in missing.content.decode()


def test_expense_claim_approve_pay(alice, bob, dave, seed_library, login_as):
    ledger.treasurer_add(actor=alice, commons=seed_library, agent=dave)
    ledger.income_record(
        actor=alice, commons=seed_library, kind="donation", amount="50", currency="EUR"
    )
    response = login_as(bob).post(
        reverse("web:expense_create", args=["seed-library"]),
        {
            "amount": "12.30",
            "currency": "EUR",
            "description": "Server, March",
            "evidence_url": "https://example.org/invoice",
        },
    )
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert response["Location"] == reverse("web:expense_detail", args=[expense.pk])
    own = login_as(bob).get(response["Location"]).content.decode()
    assert reverse("web:expense_approve", args=[expense.pk]) not in own  # not on one's own claim

    treasurer = login_as(dave)
    page = treasurer.get(response["Location"]).content.decode()
    assert reverse("web:expense_approve", args=[expense.pk]) in page
    assert treasurer.post(reverse("web:expense_approve", args=[expense.pk])).status_code == 302
    expense.refresh_from_db()
    assert expense.status == "approved"
    page = treasurer.get(response["Location"]).content.decode()
    assert reverse("web:expense_pay", args=[expense.pk]) in page
    assert treasurer.post(reverse("web:expense_pay", args=[expense.pk])).status_code == 302
    expense.refresh_from_db()
    assert expense.status == "paid"
    again = treasurer.post(reverse("web:expense_pay", args=[expense.pk]))
    assert again.status_code == 409
    assert "This expense is paid, not approved." in again.content.decode()
    wallet = login_as(None).get(reverse("web:wallet", args=["bob"])).content.decode()
    assert "€12.30" in wallet
    assert f"expense #{expense.pk} reimbursed" in wallet


def test_expense_that_would_overdraw_is_refused(alice, bob, seed_library, login_as, unchanged):
    claim = ledger.expense_submit(
        actor=bob, commons=seed_library, amount="5", currency="EUR", description="Seeds"
    )
    with unchanged():
        response = login_as(alice).post(reverse("web:expense_approve", args=[claim.pk]))
    assert response.status_code == 409
    assert "overdraw the treasury" in response.content.decode()


def test_reject_needs_a_reason(books, login_as, dave, unchanged):
    url = reverse("web:expense_reject", args=[books.expense.pk])
    client = login_as(dave)
    with unchanged():
        response = client.post(url, {"reason": "  "})
    assert response.status_code == 422
    text = response.content.decode()
    assert 'id="id_reason-error"' in text
    assert "Say why: a rejection always carries a reason." in text
    assert client.post(url, {"reason": "No invoice"}).status_code == 302
    books.expense.refresh_from_db()
    assert (books.expense.status, books.expense.reason) == ("rejected", "No invoice")


def test_bad_expense_claim_is_refused(bob, seed_library, login_as, unchanged):
    url = reverse("web:expense_create", args=["seed-library"])
    with unchanged():
        response = login_as(bob).post(
            url,
            {"amount": "abc", "currency": "EUR", "description": "x", "evidence_url": "ftp://x"},
        )
    assert response.status_code == 422
    assert "Give a positive decimal amount" in response.content.decode()


# --- the value equation ------------------------------------------------------------------------


def _equation_form(definition: object, last: int = 5) -> dict[str, str]:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    return {"definition": text, "last": str(last)}


def _with_fixed_share(agent: str) -> dict[str, Any]:
    """Half of each income to a fixed agent, the rest to contributors by the default rules."""
    definition = json.loads(json.dumps(DEFAULT_DEFINITION))
    contributors = definition["buckets"][1]
    return {
        "rates": definition["rates"],
        "buckets": [
            {"name": "infrastructure", "percent": "50", "of": "whole", "to": "agent",
             "agent": agent},
            contributors,
        ],
    }  # fmt: skip


def test_value_equation_page_shows_the_current_equation_in_words(books, login_as, alice):
    text = login_as(None).get(reverse("web:value_equation", args=["seed-library"])).content
    page = text.decode()
    assert "Version 0" in page
    assert "the built-in default" in page
    assert "quantity * hour" in page
    assert "of what remains" in page
    assert "<textarea" not in page  # the form is for maintainers
    mine = login_as(alice).get(reverse("web:value_equation", args=["seed-library"]))
    assert "<textarea" in mine.content.decode()
    assert "&quot;buckets&quot;: [" in mine.content.decode()  # pretty-printed current definition


def test_equation_preview_shows_gains_and_losses(books, login_as, alice, unchanged):
    with unchanged():
        response = login_as(alice).post(
            reverse("web:equation_preview", args=["seed-library"]),
            _equation_form(_with_fixed_share("carol")),
        )
    assert response.status_code == 200
    text = response.content.decode()
    assert "If this equation had applied" in text
    [preview] = response.context["previews"]
    rows = {r.recipient: (r.actual, r.proposed, r.change) for r in preview.rows}
    assert rows["bob"] == (9000, 5000, -4000)
    assert rows["carol"] == (0, 5000, 5000)
    assert 'class="gain"' in text
    assert 'class="loss"' in text
    assert "+€50.00" in text
    assert "-€40.00" in text


def test_adopt_a_new_version(books, login_as, alice):
    response = login_as(alice).post(
        reverse("web:equation_adopt", args=["seed-library"]),
        _equation_form(_with_fixed_share("carol")),
    )
    assert response.status_code == 302
    assert EquationVersion.objects.get().version == 1
    page = login_as(None).get(response["Location"]).content.decode()
    assert "Version 1" in page
    assert "infrastructure" in page


def test_adopt_refuses_a_forbidden_expression_and_lists_its_path(books, login_as, alice, unchanged):
    definition = _with_fixed_share("carol")
    definition["buckets"][1]["rules"][0]["value"] = "__import__('os')"
    with unchanged():
        response = login_as(alice).post(
            reverse("web:equation_adopt", args=["seed-library"]), _equation_form(definition)
        )
    assert response.status_code == 422
    text = response.content.decode()
    assert "buckets[1].rules[0].value:" in text
    # listed above the textarea
    assert text.index("buckets[1].rules[0].value:") < text.index("<textarea")


def test_bad_json_is_refused(books, login_as, alice, unchanged):
    for name in ("equation_adopt", "equation_preview"):
        with unchanged():
            response = login_as(alice).post(
                reverse(f"web:{name}", args=["seed-library"]),
                _equation_form('{"rates": {}, "buckets": [}'),
            )
        assert response.status_code == 422
        assert "This is not valid JSON (line 1, column" in response.content.decode()
        # what was typed stays in the textarea, to be fixed
        assert "{&quot;rates&quot;: {}, &quot;buckets&quot;: [}" in response.content.decode()


def test_equation_that_does_not_add_up_is_refused(books, login_as, alice, unchanged):
    definition = _with_fixed_share("carol")
    definition["buckets"][1]["percent"] = "40"
    with unchanged():
        response = login_as(alice).post(
            reverse("web:equation_adopt", args=["seed-library"]), _equation_form(definition)
        )
    assert response.status_code == 422
    assert "buckets: The buckets share out" in response.content.decode()


# --- who may do what ---------------------------------------------------------------------------

ROLES = ["anonymous", "contributor", "maintainer", "treasurer", "other_maintainer"]
TREASURERS = {"contributor": 403, "maintainer": "ok", "treasurer": "ok", "other_maintainer": 403}
MAINTAINERS = {"contributor": 403, "maintainer": "ok", "treasurer": 403, "other_maintainer": 403}
ANYONE = {"contributor": "ok", "maintainer": "ok", "treasurer": "ok", "other_maintainer": "ok"}
MATRIX = {
    "income_record": TREASURERS,
    "treasurer_add": MAINTAINERS,
    "distribute": TREASURERS,
    "expense_approve": TREASURERS,
    "expense_reject": TREASURERS,
    "expense_pay": TREASURERS,
    "equation_preview": MAINTAINERS,
    "equation_adopt": MAINTAINERS,
    "expense_create": ANYONE,
}


@pytest.fixture
def approved(books, alice, bob, seed_library) -> Expense:
    claim = ledger.expense_submit(
        actor=bob, commons=seed_library, amount="3", currency="EUR", description="Envelopes"
    )
    return ledger.expense_approve(actor=alice, expense=claim)


def _write(name: str, books: SimpleNamespace, approved: Expense) -> tuple[str, dict[str, str]]:
    expense = books.expense.pk
    return {
        "income_record": (
            reverse("web:income_record", args=["seed-library"]),
            {"kind": "donation", "amount": "5", "currency": "EUR", "from": "", "memo": ""},
        ),
        "treasurer_add": (reverse("web:treasurer_add", args=["seed-library"]), {"username": "bob"}),
        "distribute": (reverse("web:distribution_preview", args=[books.grant.pk]), {}),
        "expense_approve": (reverse("web:expense_approve", args=[expense]), {}),
        "expense_reject": (reverse("web:expense_reject", args=[expense]), {"reason": "No"}),
        "expense_pay": (reverse("web:expense_pay", args=[approved.pk]), {}),
        "equation_preview": (
            reverse("web:equation_preview", args=["seed-library"]),
            _equation_form(DEFAULT_DEFINITION),
        ),
        "equation_adopt": (
            reverse("web:equation_adopt", args=["seed-library"]),
            _equation_form(DEFAULT_DEFINITION),
        ),
        "expense_create": (
            reverse("web:expense_create", args=["seed-library"]),
            {"amount": "1", "currency": "EUR", "description": "Stamps"},
        ),
    }[name]


def _done(name: str, books: SimpleNamespace, approved: Expense) -> bool:
    books.expense.refresh_from_db()
    approved.refresh_from_db()
    return {
        "income_record": lambda: Income.objects.filter(amount=500).exists(),
        "treasurer_add": lambda: Treasurer.objects.filter(agent__name="bob").exists(),
        "distribute": lambda: Distribution.objects.filter(income=books.grant).exists(),
        "expense_approve": lambda: books.expense.status == "approved",
        "expense_reject": lambda: books.expense.status == "rejected",
        "expense_pay": lambda: approved.status == "paid",
        "equation_preview": lambda: True,  # a preview writes nothing
        "equation_adopt": lambda: EquationVersion.objects.exists(),
        "expense_create": lambda: Expense.objects.filter(description="Stamps").exists(),
    }[name]()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", list(MATRIX))
def test_ledger_write_authorisation(
    write, role, books, approved, alice, bob, carol, dave, login_as, unchanged
):
    actor = {
        "anonymous": None,
        "contributor": bob,
        "maintainer": alice,
        "treasurer": dave,
        "other_maintainer": carol,
    }[role]
    url, data = _write(write, books, approved)
    client = login_as(actor)
    expected = "login" if role == "anonymous" else MATRIX[write][role]
    if expected == "ok":
        response = client.post(url, data)
        assert response.status_code in (200, 302), response.content[:800]
        assert _done(write, books, approved)
        return
    with unchanged():
        response = client.post(url, data)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))
    else:
        assert response.status_code == expected
        assert b"Not allowed" in response.content


@pytest.mark.parametrize("role", ROLES)
def test_dry_run_page_is_for_treasurers(role, books, alice, bob, carol, dave, login_as, unchanged):
    actor = {"contributor": bob, "maintainer": alice, "treasurer": dave, "other_maintainer": carol}
    client = login_as(actor.get(role))
    with unchanged():
        response = client.get(reverse("web:distribution_preview", args=[books.grant.pk]))
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if role in ("maintainer", "treasurer") else 403)


def test_forms_with_errors_answer_403_to_those_not_allowed(books, bob, dave, login_as, unchanged):
    with unchanged():
        income = login_as(bob).post(reverse("web:income_record", args=["seed-library"]), {})
        equation = login_as(dave).post(
            reverse("web:equation_adopt", args=["seed-library"]), _equation_form("{")
        )
    assert income.status_code == 403
    assert equation.status_code == 403


def test_missing_things_are_404(db, login_as):
    client = login_as(None)
    for url in (
        reverse("web:treasury", args=["nope"]),
        reverse("web:distribution_detail", args=[999]),
        reverse("web:expense_detail", args=[999]),
        reverse("web:value_equation", args=["nope"]),
        reverse("web:wallet", args=["nobody"]),
    ):
        assert client.get(url).status_code == 404, url


# --- query-count guards ------------------------------------------------------------------------


@pytest.fixture(params=[3, 30], ids=["3 payouts", "30 payouts"])
def paid(request, alice, seed_library, make_person) -> SimpleNamespace:
    """`param` contributors paid by one distribution; the first also has a reimbursed expense
    and two other commons' payouts in their wallet; an expense and a waiting income."""
    people = [make_person(f"person{i}") for i in range(request.param)]
    for i, person in enumerate(people):
        accept(alice, seed_library, person, str(i + 1))
    income = ledger.income_record(
        actor=alice, commons=seed_library, kind="donation", amount="1000", currency="EUR"
    )
    run = ledger.distribution_run(actor=alice, commons=seed_library, income=income)
    for i in range(request.param):
        ledger.income_record(
            actor=alice, commons=seed_library, kind="sale", amount=str(i + 1), currency="CHF"
        )
        claim = ledger.expense_submit(
            actor=people[0], commons=seed_library, amount="1", currency="EUR", description="Ink"
        )
        ledger.expense_pay(actor=alice, expense=ledger.expense_approve(actor=alice, expense=claim))
    return SimpleNamespace(count=request.param, distribution=run.distribution, people=people)


# Budgets hold for both sizes; an N+1 on any list would exceed them with 30 rows.
TREASURY_PAGE = 16  # includes the licence grants the commons sold
DISTRIBUTION_PAGE = 4
WALLET_PAGE = 4


@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_treasury_page_queries(paid, who, alice, login_as, django_assert_max_num_queries):
    client = login_as(alice if who == "alice" else None)
    with django_assert_max_num_queries(TREASURY_PAGE):
        response = client.get(reverse("web:treasury", args=["seed-library"]))
    assert response.status_code == 200
    assert len(response.context["incomes"]) == min(paid.count + 1, 20)


def test_distribution_page_queries(paid, login_as, django_assert_max_num_queries):
    client = login_as(None)
    with django_assert_max_num_queries(DISTRIBUTION_PAGE):
        response = client.get(reverse("web:distribution_detail", args=[paid.distribution.pk]))
    assert response.status_code == 200
    assert len(response.context["payouts"]) == paid.count


def test_wallet_page_queries(paid, login_as, django_assert_max_num_queries):
    client = login_as(None)
    with django_assert_max_num_queries(WALLET_PAGE):
        response = client.get(reverse("web:wallet", args=["person0"]))
    assert response.status_code == 200
    assert len(response.context["postings"]) == paid.count + 1  # a payout, and the expenses


def test_payouts_are_paginated(alice, seed_library, make_person, login_as):
    people = [make_person(f"p{i}") for i in range(55)]
    for person in people:
        accept(alice, seed_library, person, "1")
    income = ledger.income_record(
        actor=alice, commons=seed_library, kind="donation", amount="550", currency="EUR"
    )
    distribution = ledger.distribution_run(
        actor=alice, commons=seed_library, income=income
    ).distribution
    assert distribution is not None
    client = Client()
    url = reverse("web:distribution_detail", args=[distribution.pk])
    first = client.get(url)
    assert len(first.context["payouts"]) == 50
    assert first.context["older"]
    second = client.get(url + first.context["older"])
    assert second.status_code == 200
    assert len(second.context["payouts"]) == 5
    assert second.context["older"] is None
    assert "Buckets" not in second.content.decode()  # shown once, on the first page
