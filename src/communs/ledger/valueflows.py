"""A commons' open value ledger as ValueFlows 1.0 JSON-LD, built lazily so that a commons with
hundreds of thousands of contributions is written out in constant memory. Reads only.

The document is `{"@context": CONTEXT, "@graph": [...]}` with, in this order:
- the commons as a `vf:EconomicResource` (its maintainers as `vf:primaryAccountable`);
- every agent the ledger mentions, as `vf:Person` or `vf:Organization`;
- every accepted contribution as a `vf:EconomicEvent` with its action (`vf:work`, `vf:produce`,
  `vf:deliverService`, `vf:cite`, `vf:use`, `vf:transfer`), provider, quantity (work as
  `vf:effortQuantity`, the rest as `vf:resourceQuantity`) and time;
- every income, payout and reimbursed expense as a `vf:EconomicEvent` with action `vf:transfer`
  and a `vf:resourceQuantity` in the currency (a QUDT currency unit; amounts are exact decimals).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.db.models import Q

from communs.accounts.models import Agent
from communs.commons.models import Commons, Contribution, Maintainer
from communs.domain.money import format_amount

from .models import Posting, Transaction

CONTEXT: dict[str, Any] = {
    "vf": "https://w3id.org/valueflows/ont/vf#",
    "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "cur": "http://qudt.org/vocab/currency/",
    "vf:action": {"@type": "@id"},
    "vf:provider": {"@type": "@id"},
    "vf:receiver": {"@type": "@id"},
    "vf:inScopeOf": {"@type": "@id"},
    "vf:primaryAccountable": {"@type": "@id"},
    "vf:resourceInventoriedAs": {"@type": "@id"},
    "vf:toResourceInventoriedAs": {"@type": "@id"},
    "vf:hasPointInTime": {"@type": "xsd:dateTime"},
    "om2:hasUnit": {"@type": "@id"},
    "om2:hasNumericalValue": {"@type": "xsd:decimal"},
}

# Contribution units as OM 2.0 units: time in hours or days, mass in kilograms, the rest counted.
UNITS = {"hour": "om2:hour", "day": "om2:day", "kg": "om2:kilogram"}
COUNTED = "om2:one"
EFFORT_ACTIONS = {"work"}
CHUNK = 64 * 1024
BATCH = 2000


class Iris:
    """Identifiers of the things in the document, under the API's base URL."""

    def __init__(self, base: str, commons: Commons) -> None:
        self.base = base if base.endswith("/") else base + "/"
        self.document = f"{self.commons(commons.slug)}/valueflows"

    def commons(self, slug: str) -> str:
        return f"{self.base}commons/{quote(slug, safe='')}"

    def agent(self, name: str) -> str:
        return f"{self.base}agents/{quote(name, safe='')}"

    def contribution(self, pk: int) -> str:
        return f"{self.base}contributions/{pk}"

    def income(self, pk: int) -> str:
        return f"{self.base}incomes/{pk}"

    def posting(self, pk: int) -> str:
        return f"{self.document}#posting-{pk}"


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _quantity(value: Decimal | str, unit: str) -> dict[str, str]:
    number = format(value.normalize(), "f") if isinstance(value, Decimal) else value
    return {"om2:hasNumericalValue": number, "om2:hasUnit": unit}


def _money(minor: int, currency: str) -> dict[str, str]:
    return _quantity(format_amount(abs(minor), currency), f"cur:{currency}")


def _accepted(commons: Commons) -> Any:
    return Contribution.objects.filter(commons=commons, status="accepted")


def graph(commons: Commons, *, base: str) -> Iterator[dict[str, Any]]:
    """The nodes of the commons' ValueFlows graph, one at a time."""
    iris = Iris(base, commons)
    here = iris.commons(commons.slug)
    maintainers = Maintainer.objects.filter(commons=commons).order_by("agent__name")
    resource: dict[str, Any] = {
        "@id": here,
        "@type": "vf:EconomicResource",
        "vf:name": commons.title,
        "vf:trackingIdentifier": commons.slug,
        "vf:primaryAccountable": [
            iris.agent(name) for name in maintainers.values_list("agent__name", flat=True)
        ],
    }
    if commons.summary:
        resource["vf:note"] = commons.summary
    yield resource
    yield from _agents(commons, iris)
    yield from _contributions(commons, iris, here)
    yield from _incomes(commons, iris, here)
    yield from _transfers_out(commons, iris, here)


def _agents(commons: Commons, iris: Iris) -> Iterator[dict[str, Any]]:
    accepted = _accepted(commons)
    mentioned = (
        Q(pk__in=accepted.values("contributor"))
        | Q(pk__in=accepted.filter(organisation__isnull=False).values("organisation"))
        | Q(pk__in=Maintainer.objects.filter(commons=commons).values("agent"))
        | Q(pk__in=commons.incomes.filter(payer__isnull=False).values("payer"))
        | Q(
            pk__in=Posting.objects.filter(
                transaction__commons=commons, account=Posting.Account.WALLET
            ).values("agent")
        )
    )
    rows = Agent.objects.filter(mentioned).order_by("pk").only("name", "display_name", "type")
    for agent in rows.iterator(chunk_size=BATCH):
        yield {
            "@id": iris.agent(agent.name),
            "@type": "vf:Organization" if agent.is_organisation else "vf:Person",
            "vf:name": agent.display_name or agent.name,
        }


def _contributions(commons: Commons, iris: Iris, here: str) -> Iterator[dict[str, Any]]:
    rows = (
        _accepted(commons)
        .order_by("pk")
        .values_list(
            "pk",
            "action",
            "quantity",
            "unit",
            "description",
            "occurred_at",
            "contributor__name",
            "organisation__name",
        )
    )
    for pk, action, quantity, unit, description, occurred_at, name, organisation in rows.iterator(
        chunk_size=BATCH
    ):
        measure = "vf:effortQuantity" if action in EFFORT_ACTIONS else "vf:resourceQuantity"
        node: dict[str, Any] = {
            "@id": iris.contribution(pk),
            "@type": "vf:EconomicEvent",
            "vf:action": f"vf:{action}",
            "vf:provider": iris.agent(name),
            "vf:resourceInventoriedAs": here,
            measure: _quantity(Decimal(quantity), UNITS.get(unit, COUNTED)),
            "vf:hasPointInTime": _time(occurred_at),
            "vf:note": description,
        }
        if organisation:
            node["vf:inScopeOf"] = iris.agent(organisation)
        yield node


def _incomes(commons: Commons, iris: Iris, here: str) -> Iterator[dict[str, Any]]:
    rows = commons.incomes.select_related("payer", "source_commons").order_by("pk")
    for income in rows.iterator(chunk_size=BATCH):
        node: dict[str, Any] = {
            "@id": iris.income(income.pk),
            "@type": "vf:EconomicEvent",
            "vf:action": "vf:transfer",
            "vf:toResourceInventoriedAs": here,
            "vf:resourceQuantity": _money(income.amount, income.currency),
            "vf:hasPointInTime": _time(income.received_at),
            "vf:note": " · ".join(filter(None, [income.kind, income.memo])),
        }
        if income.payer is not None:
            node["vf:provider"] = iris.agent(income.payer.name)
        elif income.source_commons is not None:
            node["vf:resourceInventoriedAs"] = iris.commons(income.source_commons.slug)
        elif income.payer_name:
            node["vf:provider"] = {"@type": "vf:Agent", "vf:name": income.payer_name}
        yield node


def _transfers_out(commons: Commons, iris: Iris, here: str) -> Iterator[dict[str, Any]]:
    """Payouts of distributions and reimbursed expenses: money leaving the treasury."""
    rows = (
        Posting.objects.filter(transaction__commons=commons)
        .filter(~Q(payout_to="") | Q(transaction__kind=Transaction.Kind.EXPENSE))
        .filter(amount__gt=0)
        .exclude(account=Posting.Account.TREASURY, commons=commons)
        .select_related("agent", "commons", "transaction")
        .order_by("pk")
    )
    for posting in rows.iterator(chunk_size=BATCH):
        node: dict[str, Any] = {
            "@id": iris.posting(posting.pk),
            "@type": "vf:EconomicEvent",
            "vf:action": "vf:transfer",
            "vf:resourceInventoriedAs": here,
            "vf:resourceQuantity": _money(posting.amount, posting.currency),
            "vf:hasPointInTime": _time(posting.transaction.created_at),
        }
        if posting.agent is not None:
            node["vf:receiver"] = iris.agent(posting.agent.name)
        elif posting.commons is not None:  # an upstream share, into the cited commons' treasury
            node["vf:toResourceInventoriedAs"] = iris.commons(posting.commons.slug)
        if posting.explanation:
            node["vf:note"] = posting.explanation
        yield node


def document(commons: Commons, *, base: str) -> Iterator[str]:
    """The JSON-LD document as text, in chunks of about 64 KiB."""
    head = json.dumps({"@context": CONTEXT}, ensure_ascii=False)[:-1]
    parts: list[str] = [head, ', "@graph": [\n']
    size = 0
    first = True
    for node in graph(commons, base=base):
        text = json.dumps(node, ensure_ascii=False)
        parts.append(text if first else ",\n" + text)
        first = False
        size += len(text)
        if size >= CHUNK:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("\n]}\n")
    yield "".join(parts)
