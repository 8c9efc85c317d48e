"""`communs report SLUG [--json]`: the health report as text, or as the API's JSON."""

from __future__ import annotations

import json

import pytest

from communs.accounts.models import Agent
from communs.cli.main import main
from communs.commons.models import Commons
from tests.api.client import Api
from tests.history.test_report import known_history

pytestmark = pytest.mark.django_db


def test_report_as_text(
    alice: Agent, seed_library: Commons, capsys: pytest.CaptureFixture[str]
) -> None:
    known_history(seed_library, alice)
    assert main(["report", "seed-library"]) == 0
    out = capsys.readouterr().out
    assert "Health report of Seed library (seed-library)" in out
    assert (
        "9 commit(s) by 2 contributor(s), 2024-01-10 to 2024-03-31; +37 -18 lines "
        "(2 commit(s) without line counts)." in out
    )
    lines = [line.split() for line in out.splitlines()]
    assert ["commits", "%", "contributors"] in lines
    assert ["paid", "5", "55.6", "2"] in lines
    assert ["volunteer", "1", "11.1", "1"] in lines
    assert ["unknown", "3", "33.3", "2"] in lines
    assert ["acme", "5", "55.6", "2"] in lines
    assert "Bus factor: 1 — the fewest people who made half of the commits" in out
    assert ["1.", "Ada", "Lovelace", "(ada)", "6", "66.7", "+32", "-13"] in lines
    assert ["2.", "Bob", "(bob)", "3", "33.3", "+5", "-5"] in lines
    assert ["month", "commits", "contributors", "new", "returning"] in lines
    assert ["2024-01", "4", "2", "2", "0"] in lines
    assert ["2024-02", "2", "1", "0", "1"] in lines
    assert ["2024-03", "3", "2", "0", "2"] in lines


def test_report_as_json_is_the_apis(
    alice: Agent, seed_library: Commons, capsys: pytest.CaptureFixture[str]
) -> None:
    known_history(seed_library, alice)
    assert main(["report", "seed-library", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == Api().get("/commons/seed-library/report").json()
    assert printed["bus_factor"] == {"people": 1, "percent": "66.7", "measure": "commits"}


def test_a_commons_without_history(
    seed_library: Commons, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "seed-library"]) == 0
    out = capsys.readouterr().out
    assert "No commits have been imported into seed-library yet" in out
    assert main(["report", "seed-library", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["commits"] == 0


def test_an_unknown_commons_exits_1(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "nowhere"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == "communs: No commons is named 'nowhere'."
