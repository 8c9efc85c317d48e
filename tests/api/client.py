from __future__ import annotations

from typing import Any

from django.test import Client

from communs.accounts import services as accounts
from communs.accounts.models import Agent


class Api:
    """A JSON client for /api/v1 acting as one person (or anonymously)."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            body if body is not None else {},
            content_type="application/json",
            headers=self.headers,
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}", body, content_type="application/json", headers=self.headers
        )


def api_for(agent: Agent | None) -> Api:
    if agent is None:
        return Api()
    assert agent.user is not None
    return Api(accounts.token_create(user=agent.user, label="test"))
