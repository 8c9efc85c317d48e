"""Property-based run over the whole OpenAPI document: no input may produce a server error,
and every answer matches the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from communs.accounts import services as accounts
from communs.commons import services as commons_services

MAX_EXAMPLES = 20


@pytest.fixture(autouse=True)
def keep_test_connection():  # type: ignore[no-untyped-def]
    """The WSGI handler closes "old" connections around each request, which would close the
    test's transaction on PostgreSQL; Django's own test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(alice, bob, seed_library) -> str:  # type: ignore[no-untyped-def]
    contribution = commons_services.contribution_submit(
        actor=bob, commons=seed_library, action="work", quantity="1", description="Sorted seeds"
    )
    commons_services.contribution_accept(actor=alice, contribution=contribution)
    return accounts.token_create(user=alice.user, label="schemathesis")


# Loading the document needs no database; the cases below run inside the test's transaction.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_with_a_server_error(case, token) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
