"""The licence engine in the browser: a commons' profile with its rule table, "Can I use this?"
and the public answer, licence grants anyone can check (and maintainers revoke), the badge, a
treasurer's licence fee, organisations' legal facts and their verification. Pages render for
everyone (in English and French), forms work end to end, refusals write nothing, and the
licence page costs a fixed number of queries."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from communs.accounts import services as accounts
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.core import clock
from communs.core.models import Event
from communs.domain import licences
from communs.ledger import services as ledger
from communs.ledger.models import Income
from communs.licensing import services as licensing
from communs.licensing.models import Evaluation, Evidence, Grant, ProfileVersion, Verification

pytestmark = pytest.mark.django_db


def licence_snapshot() -> tuple[Any, ...]:
    return (
        ProfileVersion.objects.count(),
        list(Commons.objects.order_by("pk").values_list("licence", flat=True)),
        Evidence.objects.count(),
        Verification.objects.count(),
        Evaluation.objects.count(),
        list(Grant.objects.order_by("pk").values_list("pk", "revoked_at", "revoke_reason")),
        Income.objects.count(),
        Event.objects.count(),
    )


@pytest.fixture
def unchanged() -> Callable[[], AbstractContextManager[None]]:
    """`with unchanged(): ...` asserts the block leaves licences, the ledger and the log as
    they were."""

    @contextmanager
    def check() -> Iterator[None]:
        before = licence_snapshot()
        yield
        assert licence_snapshot() == before, "the request wrote something"

    return check


@pytest.fixture
def town(alice, bob, carol, seed_library, other_commons, make_person) -> SimpleNamespace:
    """alice maintains the seed library (CC-BY-SA-4.0), dave keeps its treasury, frank runs
    a for-profit (acme) and a worker cooperative (coop), gina runs a for-benefit association,
    bob is nobody in particular, carol maintains another commons."""
    dave = make_person("dave")
    frank = make_person("frank")
    gina = make_person("gina")
    ledger.treasurer_add(actor=alice, commons=seed_library, agent=dave)
    acme = accounts.organisation_create(
        actor=frank, name="acme", display_name="Acme Ltd", kind="for_profit"
    )
    coop = accounts.organisation_create(
        actor=frank, name="coop", display_name="Bike Coop", kind="worker_coop"
    )
    assoc = accounts.organisation_create(
        actor=gina, name="assoc", display_name="Commons Association", kind="nonprofit"
    )
    return SimpleNamespace(
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        frank=frank,
        gina=gina,
        acme=acme,
        coop=coop,
        assoc=assoc,
        seeds=seed_library,
        other=other_commons,
    )


def copyfair(town: SimpleNamespace, **parameters: Any) -> None:
    licensing.profile_adopt(
        actor=town.alice, commons=town.seeds, profile="CopyFair", parameters=parameters
    )


def text(response: Any) -> str:
    return str(response.content.decode())


# --- the licence page --------------------------------------------------------------------------


def test_licence_page_shows_the_profile_and_every_rule(town, login_as):
    copyfair(town, threshold=2, window_days=90, fee="300")
    page = text(login_as(None).get(reverse("web:licence", args=["seed-library"])))
    assert "CopyFair (reciprocity licence)" in page
    assert "version 1" in page
    # every rule, in order, with its id, clause, outcome and reason
    positions = []
    for rule in licences.COPYFAIR.rules:
        assert f"<code>{rule.id}</code>" in page
        assert rule.clause in page
        assert rule.reason in page
        positions.append(page.index(f'id="rule-{rule.id}"'))
    assert positions == sorted(positions)
    assert "Reciprocity required" in page
    assert "use: commercial" in page  # the rule's conditions in words
    assert "has contributed enough lately: yes" in page
    # the parameters, in words, and the obligations
    assert "at least 2 accepted contributions in the last 90 days" in page
    assert "€300.00 per year" in page
    assert licences.OBLIGATIONS["share_alike"] in page
    # the history names who adopted which version
    assert 'href="/agents/alice/"' in page
    # reading: no adopt form
    assert reverse("web:profile_adopt", args=["seed-library"]) not in page


def test_version_zero_is_the_licence_the_commons_was_created_with(town, login_as):
    page = text(login_as(None).get(reverse("web:licence", args=["seed-library"])))
    assert "Creative Commons Attribution-ShareAlike 4.0" in page
    assert "version 0" in page
    assert "<code>cc-by-sa-4.0.any-use</code>" in page
    assert "No profile adopted yet" in page


def test_unknown_licence_is_said_plainly(town, login_as, unchanged):
    """The other commons names no licence: the engine cannot answer, and says so."""
    client = login_as(town.bob)
    page = text(client.get(reverse("web:licence", args=["other"])))
    assert "The engine does not know this commons’ licence" in page
    ask = client.get(reverse("web:usage_ask", args=["other"]))
    assert ask.status_code == 200
    assert 'name="commercial"' not in text(ask)
    with unchanged():
        response = client.post(
            reverse("web:usage_ask", args=["other"]), {"commercial": "no", "distributes": "no"}
        )
    assert response.status_code == 409


def test_maintainer_adopts_a_profile(town, login_as):
    client = login_as(town.alice)
    page = text(client.get(reverse("web:licence", args=["seed-library"])))
    assert reverse("web:profile_adopt", args=["seed-library"]) in page
    response = client.post(
        reverse("web:profile_adopt", args=["seed-library"]),
        {
            "profile": "CopyFair",
            "threshold": "5",
            "window_days": "30",
            "fee_kind": "percent",
            "fee": "2,5",  # a comma is taken as the decimal mark
            "currency": "CHF",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:licence", args=["seed-library"])
    row = ProfileVersion.objects.get()
    assert (row.version, row.profile) == (1, "CopyFair")
    assert row.parameters == {
        "threshold": 5,
        "window_days": 30,
        "fee_kind": "percent",
        "fee": "2.5",
        "currency": "CHF",
    }
    town.seeds.refresh_from_db()
    assert town.seeds.licence == "CopyFair"
    page = text(client.get(response["Location"]))
    assert "Version 1: this commons is now under CopyFair." in page
    assert "2.5 % of the declared yearly revenue" in page
    # a profile without parameters ignores the CopyFair fields
    again = client.post(
        reverse("web:profile_adopt", args=["seed-library"]),
        {"profile": "PPL-1.0", "threshold": "5", "fee_kind": "flat", "fee": "1", "currency": "EUR"},
    )
    assert again.status_code == 302
    latest = ProfileVersion.objects.order_by("-version").first()
    assert latest is not None
    assert (latest.version, latest.profile, latest.parameters) == (2, "PPL-1.0", {})


def test_bad_parameters_show_under_their_field(town, login_as, unchanged):
    url = reverse("web:profile_adopt", args=["seed-library"])
    client = login_as(town.alice)
    with unchanged():
        response = client.post(
            url,
            {
                "profile": "CopyFair",
                "threshold": "0",
                "window_days": "30",
                "fee_kind": "percent",
                "fee": "250",
                "currency": "EUR",
            },
        )
        assert response.status_code == 422
        form = response.context["form"]
        assert form.errors["threshold"] == ["Give a whole number from 1 to 100000."]
        assert "Give the percentage as a number above 0" in form.errors["fee"][0]
        assert 'id="id_threshold-error"' in text(response)
        unknown = client.post(url, {"profile": "WTFPL"})
        assert unknown.status_code == 422
        assert "profile" in unknown.context["form"].errors


# --- "Can I use this?" -------------------------------------------------------------------------


def test_anonymous_visitor_reads_the_explanation_and_is_asked_to_log_in(town, login_as, unchanged):
    url = reverse("web:usage_ask", args=["seed-library"])
    client = login_as(None)
    response = client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert "Creative Commons Attribution-ShareAlike 4.0" in page
    assert f"/accounts/login/?next={url}" in page
    assert 'name="commercial"' not in page
    with unchanged():
        posted = client.post(url, {"commercial": "no", "distributes": "no"})
    assert posted.status_code == 302
    assert posted["Location"].startswith(reverse("web:login"))


def test_ask_and_read_the_answer(town, login_as):
    client = login_as(town.bob)
    response = client.post(
        reverse("web:usage_ask", args=["seed-library"]),
        {"organisation": "", "commercial": "yes", "distributes": "yes"},
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert response["Location"] == reverse("web:evaluation_detail", args=[evaluation.pk])
    assert (evaluation.asker, evaluation.requested_by) == (town.bob, town.bob)
    # the answer is public
    page = text(login_as(None).get(response["Location"]))
    assert "Permitted" in page
    assert "<code>cc-by-sa-4.0.any-use</code>" in page
    assert "CC-BY-SA-4.0 §2(a), §3(a)-(b)" in page
    assert "Any use is permitted, with attribution; adaptations are shared alike." in page
    for code in licences.PROFILES["CC-BY-SA-4.0"].on_distribution:
        assert licences.OBLIGATIONS[code] in page
    assert "Go ahead." in page
    assert "Ask again" not in page  # only for who asked
    assert "Ask again" in text(client.get(response["Location"]))
    # listed on the licence page
    listing = text(login_as(None).get(reverse("web:licence", args=["seed-library"])))
    assert reverse("web:evaluation_detail", args=[evaluation.pk]) in listing


def test_no_obligations_without_passing_it_on(town, login_as):
    client = login_as(town.bob)
    response = client.post(
        reverse("web:usage_ask", args=["seed-library"]), {"commercial": "no", "distributes": "no"}
    )
    page = text(client.get(response["Location"]))
    assert "Permitted" in page
    assert "Your obligations" not in page


def test_reciprocity_answer_quotes_the_fee_and_says_whom_to_pay(town, login_as):
    copyfair(town)
    client = login_as(town.frank)
    response = client.post(
        reverse("web:usage_ask", args=["seed-library"]),
        {"organisation": "acme", "commercial": "yes", "distributes": "no"},
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.asker, evaluation.requested_by) == (town.acme, town.frank)
    page = text(client.get(response["Location"]))
    assert "Reciprocity required" in page
    assert "<code>copyfair.reciprocity</code>" in page
    assert "CopyFair §4" in page
    assert "€500.00" in page
    assert "a flat fee, per year" in page
    assert "Pay €500.00 to the treasury of Seed library." in page
    assert reverse("web:treasury", args=["seed-library"]) in page
    assert 'href="/agents/dave/"' in page  # the named treasurer
    assert 'href="/agents/alice/"' in page  # maintainers keep the treasury too
    assert "for-profit company" in page  # what it was decided from
    assert "0 in the last 365 days (3 needed)" in page


def test_percent_fee_asks_for_revenue(town, login_as, unchanged):
    copyfair(town, fee_kind="percent", fee="2.5")
    url = reverse("web:usage_ask", args=["seed-library"])
    client = login_as(town.frank)
    form_page = text(client.get(url))
    assert 'name="declared_revenue"' in form_page
    with unchanged():
        missing = client.post(
            url, {"organisation": "acme", "commercial": "yes", "distributes": "no"}
        )
        assert missing.status_code == 422
        assert "declared_revenue" in missing.context["form"].errors
        negative = client.post(
            url,
            {
                "organisation": "acme",
                "commercial": "yes",
                "distributes": "no",
                "declared_revenue": "-5",
            },
        )
        assert negative.status_code == 422
        assert "Revenue cannot be negative." in text(negative)
    response = client.post(
        url,
        {
            "organisation": "acme",
            "commercial": "yes",
            "distributes": "no",
            "declared_revenue": "40000",
        },
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.fee, evaluation.fee_currency) == (100_000, "EUR")
    page = text(client.get(response["Location"]))
    assert "€1000.00" in page
    assert "2.5 % of the declared yearly revenue of €40000.00" in page


def test_flat_fee_profile_does_not_ask_for_revenue(town, login_as):
    copyfair(town)
    page = text(login_as(town.frank).get(reverse("web:usage_ask", args=["seed-library"])))
    assert 'name="commercial"' in page
    assert 'name="declared_revenue"' not in page


def test_asking_for_an_organisation_one_does_not_belong_to_is_refused(town, login_as, unchanged):
    url = reverse("web:usage_ask", args=["seed-library"])
    with unchanged():
        response = login_as(town.bob).post(
            url, {"organisation": "acme", "commercial": "yes", "distributes": "no"}
        )
        assert response.status_code == 422
        assert "organisation" in response.context["form"].errors
        blank = login_as(town.bob).post(url, {})
        assert blank.status_code == 422
        assert set(blank.context["form"].errors) == {"commercial", "distributes"}
    # the choice lists only the asker's organisations
    page = text(login_as(town.bob).get(url))
    assert 'value="acme"' not in page
    assert 'value="acme"' in text(login_as(town.frank).get(url))


# --- licence grants ----------------------------------------------------------------------------


def test_treasurer_records_a_licence_fee_and_the_grant_makes_use_permitted(town, login_as):
    copyfair(town)
    treasurer = login_as(town.dave)
    treasury = text(treasurer.get(reverse("web:treasury", args=["seed-library"])))
    new = reverse("web:grant_new", args=["seed-library"])
    assert new in treasury
    form_page = treasurer.get(new)
    assert form_page.status_code == 200
    assert 'value="500.00"' in text(form_page)  # the flat fee, proposed
    response = treasurer.post(
        new, {"grantee": "acme", "amount": "500", "currency": "EUR", "memo": "Invoice 7"}
    )
    assert response.status_code == 302
    grant = Grant.objects.get()
    assert response["Location"] == reverse("web:grant_detail", args=[grant.pk])
    assert (grant.grantee, grant.income.kind, grant.income.amount) == (
        town.acme,
        "licence_fee",
        50000,
    )
    assert grant.income.memo == "Invoice 7"
    page = text(login_as(None).get(response["Location"]))
    assert "Valid" in page
    assert "Acme Ltd" in page
    assert "Seed library" in page
    assert "<code>CopyFair</code>" in page
    assert "version 1" in page
    assert f"€500.00, income #{grant.income.pk}" in page
    assert reverse("web:treasury", args=["seed-library"]) + "#incomes" in page
    assert grant.valid_until.strftime("%Y-%m-%d") in page
    assert "Revoke this grant" not in page
    # the treasury lists it; asking again is permitted by the paid fee
    treasury = text(login_as(None).get(reverse("web:treasury", args=["seed-library"])))
    assert reverse("web:grant_detail", args=[grant.pk]) in treasury
    assert new not in treasury  # the link is for treasurers
    asked = login_as(town.frank).post(
        reverse("web:usage_ask", args=["seed-library"]),
        {"organisation": "acme", "commercial": "yes", "distributes": "no"},
    )
    evaluation = Evaluation.objects.get()
    assert (evaluation.outcome, evaluation.rule) == ("PERMITTED", "copyfair.fee-paid")
    answer = text(login_as(None).get(asked["Location"]))
    assert reverse("web:grant_detail", args=[grant.pk]) in answer


def test_bad_licence_fee_is_refused(town, login_as, unchanged):
    copyfair(town)
    url = reverse("web:grant_new", args=["seed-library"])
    client = login_as(town.dave)
    with unchanged():
        response = client.post(url, {"grantee": "acme", "amount": "-5", "currency": "EUR"})
        assert response.status_code == 422
        assert "Give a positive decimal amount" in text(response)
        nobody = client.post(url, {"grantee": "nobody-here", "amount": "5", "currency": "EUR"})
        assert nobody.status_code == 422
        assert "Nobody here has this name." in text(nobody)
        assert client.post(url, {"amount": "5", "currency": "EUR"}).status_code == 422


def test_no_grants_under_a_profile_that_sells_none(town, login_as, unchanged):
    """The seed library is under CC-BY-SA-4.0: any use is permitted, nothing to sell."""
    url = reverse("web:grant_new", args=["seed-library"])
    client = login_as(town.dave)
    page = text(client.get(url))
    assert "Under CC-BY-SA-4.0 this commons sells no licence grants." in page
    with unchanged():
        response = client.post(url, {"grantee": "acme", "amount": "5", "currency": "EUR"})
    assert response.status_code == 409
    assert "sells no licence grants" in text(response)


@pytest.fixture
def grant(town) -> Grant:
    copyfair(town)
    return licensing.grant_issue(
        actor=town.dave, commons=town.seeds, grantee=town.acme, amount="500", currency="EUR"
    )


def test_maintainer_revokes_a_grant_with_a_reason(town, grant, login_as, unchanged):
    url = reverse("web:grant_revoke", args=[grant.pk])
    client = login_as(town.alice)
    assert "Revoke this grant" in text(client.get(reverse("web:grant_detail", args=[grant.pk])))
    with unchanged():
        empty = client.post(url, {"reason": "  "})
    assert empty.status_code == 422
    assert "Say why" in text(empty)
    assert 'id="id_reason-error"' in text(empty)
    response = client.post(url, {"reason": "The payment bounced"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_by == town.alice
    page = text(login_as(None).get(response["Location"]))
    assert "Revoked" in page
    assert "The payment bounced" in page
    assert "Revoke this grant" not in text(client.get(response["Location"]))
    with unchanged():
        again = client.post(url, {"reason": "Twice"})
    assert again.status_code == 409
    assert "already revoked" in text(again)


@pytest.mark.parametrize(
    ("shift", "status", "words"),
    [
        (timedelta(days=-400), "expired", "Expired"),
        (timedelta(days=10), "not_yet_valid", "Not yet valid"),
        (timedelta(0), "valid", "Valid"),
    ],
)
def test_grant_page_tells_its_status(grant, login_as, shift, status, words):
    start = clock.now() + shift
    Grant.objects.filter(pk=grant.pk).update(
        valid_from=start, valid_until=start + timedelta(days=365)
    )
    response = login_as(None).get(reverse("web:grant_detail", args=[grant.pk]))
    assert response.context["status"] == status
    assert f'<p class="verdict-outcome">{words}</p>' in text(response)


def test_unknown_grant_or_answer_is_404(db, login_as):
    client = login_as(None)
    assert client.get("/licences/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert client.get("/licences/not-a-uuid/").status_code == 404
    assert client.get(reverse("web:evaluation_detail", args=[999])).status_code == 404
    assert client.get(reverse("web:licence", args=["nope"])).status_code == 404
    assert client.get(reverse("web:licence_badge", args=["nope"])).status_code == 404


# --- the badge ---------------------------------------------------------------------------------


def _svg_texts(response: Any) -> list[str]:
    root = ET.fromstring(response.content)  # noqa: S314 - our own response
    return [node.text or "" for node in root.iter("{http://www.w3.org/2000/svg}text")]


def test_badge_is_a_cacheable_svg_naming_the_licence(town, login_as):
    # a logged-in visitor gets the same image: nothing in it depends on who asks
    response = login_as(town.bob).get(reverse("web:licence_badge", args=["seed-library"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert _svg_texts(response) == ["licence", "CC-BY-SA-4.0"]
    copyfair(town)
    again = login_as(None).get(reverse("web:licence_badge", args=["seed-library"]))
    assert _svg_texts(again) == ["licence", "CopyFair"]


def test_badge_escapes_its_text(town, login_as):
    """Licences are identifiers, but the badge escapes whatever the field holds."""
    Commons.objects.filter(pk=town.seeds.pk).update(licence='A&B<"x">')
    response = login_as(None).get(
        reverse("web:licence_badge", args=["seed-library"]), headers={"Accept-Language": "fr"}
    )
    assert b"<x>" not in response.content
    assert _svg_texts(response) == ["licence", 'A&B<"x">']
    root = ET.fromstring(response.content)  # noqa: S314 - our own response
    float(root.attrib["width"])  # numbers stay numbers in French ("29,5" would not parse)
    for node in root.iter("{http://www.w3.org/2000/svg}text"):
        float(node.attrib["x"])


def test_commons_page_offers_the_question_and_the_badge(town, login_as):
    page = text(login_as(None).get(reverse("web:commons_detail", args=["seed-library"])))
    assert reverse("web:usage_ask", args=["seed-library"]) in page
    assert reverse("web:licence", args=["seed-library"]) in page
    assert f'<img src="{reverse("web:licence_badge", args=["seed-library"])}"' in page
    # the snippet to copy names the badge and the page with full addresses
    assert "[![licence](http://testserver/commons/seed-library/licence/badge.svg)]" in page
    assert "(http://testserver/commons/seed-library/licence/)" in page


# --- organisations' legal facts ----------------------------------------------------------------


def _declare(client: Client, name: str, **facts: bool) -> Any:
    data: dict[str, str] = {"legal_form": "SCOP SARL", "statutes_url": "https://example.org/s"}
    data.update({fact: "on" for fact, value in facts.items() if value})
    return client.post(reverse("web:evidence_declare", args=[name]), data)


def test_admin_declares_legal_facts(town, login_as):
    client = login_as(town.frank)
    agent_page = text(client.get(reverse("web:agent_detail", args=["coop"])))
    assert "No legal facts declared." in agent_page
    assert reverse("web:evidence_declare", args=["coop"]) in agent_page
    form_page = client.get(reverse("web:evidence_declare", args=["coop"]))
    assert form_page.status_code == 200
    assert licences.EVIDENCE_FACTS["gains_to_workers"] in text(form_page)
    response = _declare(client, "coop", worker_owned=True, gains_to_workers=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:agent_detail", args=["coop"]) + "#legal-facts"
    evidence = Evidence.objects.get()
    assert (evidence.worker_owned, evidence.gains_to_workers, evidence.sse) == (True, True, False)
    page = text(login_as(None).get(response["Location"]))
    assert "declared, not verified" in page
    assert "SCOP SARL" in page
    assert "https://example.org/s" in page
    assert licences.EVIDENCE_FACTS["worker_owned"] in page
    assert reverse("web:evidence_declare", args=["coop"]) not in page  # only for its admins
    # the form starts from the current declaration
    again = client.get(reverse("web:evidence_declare", args=["coop"]))
    assert again.context["form"]["worker_owned"].value() is True
    assert again.context["form"]["sse"].value() is False


def test_contradictory_legal_facts_are_refused(town, login_as, unchanged):
    client = login_as(town.frank)
    with unchanged():
        response = _declare(client, "acme", gains_to_workers=True)
        assert response.status_code == 422
        assert "Only a worker-owned organisation can distribute all gains" in text(response)
        cooperative = _declare(client, "acme", employs_workers=True)
        assert cooperative.status_code == 422
        assert "employs_workers" in cooperative.context["form"].errors
        bad_url = client.post(
            reverse("web:evidence_declare", args=["acme"]), {"statutes_url": "ftp://x"}
        )
        assert bad_url.status_code == 422
        assert "statutes_url" in bad_url.context["form"].errors


def test_verification_by_a_maintainer_counts_for_their_commons(town, login_as, unchanged):
    """Under PPL-1.0, a worker cooperative's commercial use needs its legal facts verified:
    declared, the answer is a review; verified by a maintainer of the commons, permitted."""
    licensing.profile_adopt(actor=town.alice, commons=town.seeds, profile="PPL-1.0")
    _declare(login_as(town.frank), "coop", worker_owned=True, gains_to_workers=True)
    ask = reverse("web:usage_ask", args=["seed-library"])
    asking = {"organisation": "coop", "commercial": "yes", "distributes": "no"}
    first = login_as(town.frank).post(ask, asking)
    review = text(login_as(None).get(first["Location"]))
    assert "Needs review" in review
    assert "<code>ppl.worker-owned-unverified</code>" in review
    assert reverse("web:agent_detail", args=["coop"]) + "#legal-facts" in review

    maintainer = login_as(town.alice)
    page = text(maintainer.get(reverse("web:agent_detail", args=["coop"])))
    assert reverse("web:evidence_verify", args=["coop"]) in page
    assert 'value="commons:seed-library"' in page
    response = maintainer.post(
        reverse("web:evidence_verify", args=["coop"]), {"scope": "commons:seed-library"}
    )
    assert response.status_code == 302
    check = Verification.objects.get()
    assert (check.verified_by, check.commons, check.association) == (town.alice, town.seeds, None)
    page = text(login_as(None).get(reverse("web:agent_detail", args=["coop"])))
    assert "Verified by alice, maintainer of Seed library" in page
    assert "it counts for that commons" in page
    # the scope is used: no second verify button for it, and a second post is a conflict
    assert 'value="commons:seed-library"' not in text(
        maintainer.get(reverse("web:agent_detail", args=["coop"]))
    )
    with unchanged():
        twice = maintainer.post(
            reverse("web:evidence_verify", args=["coop"]), {"scope": "commons:seed-library"}
        )
    assert twice.status_code == 409

    second = login_as(town.frank).post(ask, asking)
    permitted = text(login_as(None).get(second["Location"]))
    assert "Permitted" in permitted
    assert "<code>ppl.worker-owned</code>" in permitted


def test_association_admin_verifies_where_it_keeps_the_treasury(town, login_as):
    _declare(login_as(town.frank), "coop", worker_owned=True)
    client = login_as(town.gina)
    page = text(client.get(reverse("web:agent_detail", args=["coop"])))
    assert 'value="association:assoc"' in page
    response = client.post(
        reverse("web:evidence_verify", args=["coop"]), {"scope": "association:assoc"}
    )
    assert response.status_code == 302
    check = Verification.objects.get()
    assert (check.association, check.commons) == (town.assoc, None)
    page = text(login_as(None).get(reverse("web:agent_detail", args=["coop"])))
    assert "Verified by gina for Commons Association" in page
    assert "it counts for the commons whose treasury it keeps" in page


def test_verify_refusals_write_nothing(town, login_as, unchanged):
    url = reverse("web:evidence_verify", args=["coop"])
    with unchanged():
        # nothing declared yet
        nothing = login_as(town.alice).post(url, {"scope": "commons:seed-library"})
        assert nothing.status_code == 409
        assert "has declared no legal facts" in text(nothing)
    _declare(login_as(town.frank), "coop", worker_owned=True)
    with unchanged():
        # bob maintains nothing and administers no association
        assert login_as(town.bob).post(url, {"scope": "commons:seed-library"}).status_code == 403
        # carol maintains another commons: she cannot verify for this one
        assert login_as(town.carol).post(url, {"scope": "commons:seed-library"}).status_code == 422
    # frank, now a maintainer, would verify his own declaration
    commons_services.maintainer_add(actor=town.alice, commons=town.seeds, agent=town.frank)
    with unchanged():
        own = login_as(town.frank).post(url, {"scope": "commons:seed-library"})
        assert own.status_code == 403
        assert "Nobody verifies their own declaration" in text(own)
    # and the button is not offered to him
    page = text(login_as(town.frank).get(reverse("web:agent_detail", args=["coop"])))
    assert reverse("web:evidence_verify", args=["coop"]) not in page


def test_members_are_not_offered_to_verify_their_organisation(town, login_as, unchanged):
    """gina runs a for-benefit association, but she is also a member of the cooperative."""
    _declare(login_as(town.frank), "coop", worker_owned=True)
    accounts.membership_add(actor=town.frank, organisation=town.coop, person=town.gina)
    client = login_as(town.gina)
    page = text(client.get(reverse("web:agent_detail", args=["coop"])))
    assert reverse("web:evidence_verify", args=["coop"]) not in page
    with unchanged():
        response = client.post(
            reverse("web:evidence_verify", args=["coop"]), {"scope": "association:assoc"}
        )
    assert response.status_code == 403


def test_persons_have_no_legal_facts_page(town, login_as):
    assert login_as(town.bob).get(reverse("web:evidence_declare", args=["bob"])).status_code == 404


# --- who may do what ---------------------------------------------------------------------------

ROLES = ["anonymous", "stranger", "maintainer", "treasurer", "org_admin"]
MATRIX: dict[str, dict[str, Any]] = {
    "profile_adopt": {"stranger": 403, "maintainer": "ok", "treasurer": 403, "org_admin": 403},
    "grant_new": {"stranger": 403, "maintainer": "ok", "treasurer": "ok", "org_admin": 403},
    "grant_revoke": {"stranger": 403, "maintainer": "ok", "treasurer": 403, "org_admin": 403},
    "evidence_declare": {"stranger": 403, "maintainer": 403, "treasurer": 403, "org_admin": "ok"},
    "evidence_verify": {"stranger": 403, "maintainer": "ok", "treasurer": 403, "org_admin": 403},
    "usage_ask": {"stranger": "ok", "maintainer": "ok", "treasurer": "ok", "org_admin": "ok"},
}


def _write(name: str, grant: Grant) -> tuple[str, dict[str, str]]:
    return {
        "profile_adopt": (reverse("web:profile_adopt", args=["seed-library"]), {"profile": "MIT"}),
        "grant_new": (
            reverse("web:grant_new", args=["seed-library"]),
            {"grantee": "coop", "amount": "500", "currency": "EUR"},
        ),
        "grant_revoke": (reverse("web:grant_revoke", args=[grant.pk]), {"reason": "Bounced"}),
        "evidence_declare": (
            reverse("web:evidence_declare", args=["coop"]),
            {"worker_owned": "on"},
        ),
        "evidence_verify": (
            reverse("web:evidence_verify", args=["acme"]),
            {"scope": "commons:seed-library"},
        ),
        "usage_ask": (
            reverse("web:usage_ask", args=["seed-library"]),
            {"commercial": "no", "distributes": "no"},
        ),
    }[name]


def _done(name: str, grant: Grant) -> bool:
    grant.refresh_from_db()
    return {
        "profile_adopt": lambda: ProfileVersion.objects.filter(profile="MIT").exists(),
        "grant_new": lambda: Grant.objects.filter(grantee__name="coop").exists(),
        "grant_revoke": lambda: grant.revoked_at is not None,
        "evidence_declare": lambda: Evidence.objects.filter(organisation__name="coop").exists(),
        "evidence_verify": lambda: Verification.objects.exists(),
        "usage_ask": lambda: Evaluation.objects.exists(),
    }[name]()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("write", list(MATRIX))
def test_licence_write_authorisation(write, role, town, grant, login_as, unchanged):
    licensing.evidence_declare(actor=town.frank, organisation=town.acme, facts={})
    actor = {
        "anonymous": None,
        "stranger": town.bob,
        "maintainer": town.alice,
        "treasurer": town.dave,
        "org_admin": town.frank,
    }[role]
    url, data = _write(write, grant)
    client = login_as(actor)
    expected = "login" if role == "anonymous" else MATRIX[write][role]
    if expected == "ok":
        response = client.post(url, data)
        assert response.status_code == 302, response.content[:800]
        assert _done(write, grant)
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
def test_form_pages_are_for_those_who_may_use_them(role, town, login_as):
    actor = {"stranger": town.bob, "maintainer": town.alice, "treasurer": town.dave}
    actor["org_admin"] = town.frank
    client = login_as(actor.get(role))
    grant_form = client.get(reverse("web:grant_new", args=["seed-library"]))
    evidence_form = client.get(reverse("web:evidence_declare", args=["coop"]))
    if role == "anonymous":
        assert grant_form.status_code == 302
        assert evidence_form.status_code == 302
        return
    assert grant_form.status_code == (200 if role in ("maintainer", "treasurer") else 403)
    assert evidence_form.status_code == (200 if role == "org_admin" else 403)


@pytest.mark.parametrize("who", ["anonymous", "bob", "alice", "frank"])
def test_public_licence_pages_render(who, town, grant, login_as):
    client = login_as(getattr(town, who, None))
    evaluation = licensing.usage_evaluate(
        actor=town.frank, commons=town.seeds, commercial=True, distributes=True
    )
    for url in (
        reverse("web:licence", args=["seed-library"]),
        reverse("web:licence", args=["other"]),
        reverse("web:usage_ask", args=["seed-library"]),
        reverse("web:evaluation_detail", args=[evaluation.pk]),
        reverse("web:grant_detail", args=[grant.pk]),
        reverse("web:agent_detail", args=["acme"]),
        reverse("web:treasury", args=["seed-library"]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<h1" in response.content


# --- French --------------------------------------------------------------------------------


def test_licence_pages_in_french(town, grant, login_as):
    client = login_as(town.frank)
    response = client.get(
        reverse("web:licence", args=["seed-library"]), headers={"Accept-Language": "fr"}
    )
    page = text(response)
    assert '<html lang="fr">' in page
    assert "Comment elle décide" in page
    with translation.override("fr"):
        reason = translation.gettext(licences.COPYFAIR.rules[1].reason)
        obligation = translation.gettext(licences.OBLIGATIONS["attribution"])
    assert reason != licences.COPYFAIR.rules[1].reason
    assert reason in page
    assert obligation in page
    asked = client.post(
        reverse("web:usage_ask", args=["seed-library"]),
        {"organisation": "coop", "commercial": "yes", "distributes": "no"},
        headers={"Accept-Language": "fr"},
    )
    answer = text(client.get(asked["Location"], headers={"Accept-Language": "fr"}))
    assert "Autorisé" in answer  # a worker cooperative is part of the commons economy
    grant_page = text(
        client.get(reverse("web:grant_detail", args=[grant.pk]), headers={"Accept-Language": "fr"})
    )
    assert "Licence accordée" in grant_page


def test_every_rule_and_obligation_has_a_french_text():
    """The pages show the rules through the catalogue: none may fall back to English."""
    texts = [rule.reason for profile in licences.PROFILES.values() for rule in profile.rules]
    texts += list(licences.OBLIGATIONS.values()) + list(licences.EVIDENCE_FACTS.values())
    with translation.override("fr"):
        untranslated = [t for t in texts if translation.gettext(t) == t]
    assert untranslated == []


# --- query-count guards ------------------------------------------------------------------------


@pytest.fixture(params=[3, 30], ids=["3 answers", "30 answers"])
def asked(request, town) -> int:
    """`param` answers by different askers and as many grants, under CopyFair."""
    copyfair(town)
    for i in range(request.param):
        person = accounts.user_create(
            username=f"asker{i}", email=f"asker{i}@example.org", password="a-long-passphrase-1"
        )
        licensing.usage_evaluate(
            actor=person, commons=town.seeds, commercial=bool(i % 2), distributes=True
        )
        licensing.grant_issue(
            actor=town.dave, commons=town.seeds, grantee=person, amount="500", currency="EUR"
        )
    return int(request.param)


# Budgets hold for both sizes; an N+1 on any list would exceed them with 30 rows.
LICENCE_PAGE = 9
ORGANISATION_PAGE = 12


@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_licence_page_queries(asked, who, town, login_as, django_assert_max_num_queries):
    client = login_as(town.alice if who == "alice" else None)
    with django_assert_max_num_queries(LICENCE_PAGE):
        response = client.get(reverse("web:licence", args=["seed-library"]))
    assert response.status_code == 200
    assert len(response.context["evaluations"]) == min(asked, 25)
    assert len(response.context["grants"]) == min(asked, 20)


def test_organisation_page_queries(asked, town, login_as, django_assert_max_num_queries):
    licensing.evidence_declare(
        actor=town.frank, organisation=town.coop, facts={"worker_owned": True}
    )
    licensing.evidence_verify(actor=town.alice, organisation=town.coop, commons=town.seeds)
    licensing.evidence_verify(actor=town.gina, organisation=town.coop, association=town.assoc)
    client = login_as(town.alice)
    with django_assert_max_num_queries(ORGANISATION_PAGE):
        response = client.get(reverse("web:agent_detail", args=["coop"]))
    assert response.status_code == 200
    assert len(response.context["legal"]["verifications"]) == 2


def test_answers_are_paginated(town, login_as):
    for _ in range(30):
        licensing.usage_evaluate(
            actor=town.bob, commons=town.seeds, commercial=False, distributes=False
        )
    client = login_as(None)
    first = client.get(reverse("web:licence", args=["seed-library"]))
    assert len(first.context["evaluations"]) == 25
    assert first.context["older"].endswith("#evaluations")
    second = client.get(reverse("web:licence", args=["seed-library"]) + first.context["older"])
    assert len(second.context["evaluations"]) == 5
    assert second.context["older"] is None
    assert client.get(reverse("web:licence", args=["seed-library"]) + "?next=x").status_code == 422
