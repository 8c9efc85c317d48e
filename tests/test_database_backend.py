"""Proves which database the suite ran on, so a PostgreSQL run cannot silently fall back."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_suite_runs_on_the_database_it_was_asked_for() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    expected = "postgresql" if os.environ.get("COMMUNS_TEST_DATABASE") else "sqlite"
    assert connection.vendor == expected
