"""The core flow through the JSON API with a bearer token, as a script would drive it."""

from __future__ import annotations

from datetime import datetime

import pytest

from communs.core.models import Event
from tests.api.client import Api

pytestmark = pytest.mark.django_db


def signup_and_token(name: str) -> Api:
    anon = Api()
    created = anon.post(
        "/accounts",
        {"username": name, "email": f"{name}@example.org", "password": "correct horse battery"},
    )
    assert created.status_code == 201, created.content
    assert created.json()["name"] == name
    token = anon.post("/tokens", {"username": name, "password": "correct horse battery"})
    assert token.status_code == 201
    return Api(token.json()["token"])


def test_sign_up_create_contribute_accept_fork_and_verify() -> None:
    ada = signup_and_token("ada")
    ben = signup_and_token("ben")

    created = ada.post(
        "/commons",
        {
            "slug": "open-tractor",
            "title": "Open tractor",
            "kind": "design",
            "licence": "CERN-OHL-S-2.0",
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["maintainers"] == ["ada"]

    submitted = ben.post(
        "/commons/open-tractor/contributions",
        {
            "action": "work",
            "quantity": "3.5",
            "unit": "hour",
            "description": "Welded the frame",
            "evidence_url": "https://example.org/photos/frame",
            "occurred_at": "2026-11-01T10:00:00Z",
            "stream": "pro_bono",
        },
    )
    assert submitted.status_code == 201, submitted.content
    contribution = submitted.json()
    assert contribution["status"] == "submitted"
    assert contribution["quantity"] == "3.5"

    listed = Api().get("/commons/open-tractor/contributions", status="submitted")
    assert [c["id"] for c in listed.json()["items"]] == [contribution["id"]]

    accepted = ada.post(f"/contributions/{contribution['id']}/accept", {"note": "Solid work"})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"

    detail = Api().get("/commons/open-tractor").json()
    assert detail["totals"] == [{"agent": "ben", "unit": "hour", "quantity": "3.5", "count": 1}]

    fork = ben.post("/commons/open-tractor/forks", {"slug": "tractor-andes"})
    assert fork.status_code == 201, fork.content
    body = fork.json()
    assert body["forked_from"] == "open-tractor"
    assert (body["lineage"], body["lineage_truncated"]) == (["open-tractor"], False)
    assert body["approvals_required"] == 1
    assert body["upstreams"] == [{"slug": "open-tractor", "weight_ppm": 1_000_000}]
    assert body["credited_ancestors"][0]["totals"][0]["agent"] == "ben"
    assert Api().get("/commons/open-tractor").json()["forks"] == ["tractor-andes"]

    events = Api().get("/events", commons="open-tractor").json()["items"]
    assert [e["kind"] for e in events][:3] == [
        "commons.fork_created",
        "contribution.accepted",
        "contribution.approved",
    ]
    verified = Api().get("/events/verify").json()
    assert (verified["ok"], verified["breaks"], verified["streams"]) == (True, [], 3)
    assert datetime.fromisoformat(verified["verified_at"]).tzinfo is not None


def test_verify_reports_a_tampered_event(as_alice: Api, seed_library) -> None:
    event = Event.objects.filter(stream_id="commons:seed-library").first()
    assert event is not None
    Event.objects.filter(pk=event.pk).update(body={**event.body, "actor": "mallory"})
    result = Api().get("/events/verify").json()
    assert result["ok"] is False
    assert result["breaks"][0]["stream"] == "commons:seed-library"
    assert result["breaks"][0]["event_id"] == event.pk


@pytest.mark.parametrize(("sent", "stored"), [("0.10000", "0.1"), ("2.50", "2.5"), (3, "3")])
def test_quantity_is_read_exactly(as_bob: Api, seed_library, sent, stored) -> None:
    response = as_bob.post(
        "/commons/seed-library/contributions",
        {"action": "work", "quantity": sent, "description": "Sorted seeds"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["quantity"] == stored
    assert Event.objects.order_by("-pk").first().data["quantity"] == stored


def test_pagination_walks_every_contribution_once(as_bob: Api, seed_library) -> None:
    ids = []
    for n in range(7):
        response = as_bob.post(
            "/commons/seed-library/contributions",
            {"action": "produce", "quantity": n + 1, "unit": "item", "description": f"Packet {n}"},
        )
        ids.append(response.json()["id"])
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = Api().get("/commons/seed-library/contributions", **params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
