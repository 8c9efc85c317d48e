"""`communs distribute` and `communs export valueflows`: output, exit codes, nothing half-done."""

from __future__ import annotations

import json

import pytest

from communs.accounts.models import Agent
from communs.cli.main import main
from communs.commons import services as commons_services
from communs.commons.models import Commons
from communs.ledger import services
from communs.ledger.models import Distribution, Income

pytestmark = pytest.mark.django_db


@pytest.fixture
def income(alice: Agent, bob: Agent, carol: Agent, seed_library: Commons) -> Income:
    for who, hours in [(bob, "12"), (carol, "4")]:
        row = commons_services.contribution_submit(
            actor=who,
            commons=seed_library,
            action="work",
            quantity=hours,
            unit="hour",
            description="Sorted seeds",
        )
        commons_services.contribution_accept(actor=alice, contribution=row)
    return services.income_record(
        actor=alice, commons=seed_library, kind="grant", amount="100", currency="EUR"
    )


def distribute(income: Income, *extra: str, who: str = "alice") -> int:
    return main(["distribute", "seed-library", "--income", str(income.pk), "--as", who, *extra])


def test_dry_run_prints_recipients_and_writes_nothing(
    income: Income, capsys: pytest.CaptureFixture[str]
) -> None:
    assert distribute(income, "--dry-run") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Dry run (nothing written): income #")
    bob = next(line for line in out if line.strip().startswith("bob"))
    assert "€67.50" in bob
    assert "12 hour work × 25 = 300" in bob
    assert any(line.strip().startswith("carol") and "€22.50" in line for line in out)
    assert out[-1] == "Total: €90.00 to 2 recipient(s), €10.00 kept, of €100.00."
    assert not Distribution.objects.exists()


def test_distribution_is_made_once(income: Income, capsys: pytest.CaptureFixture[str]) -> None:
    assert distribute(income) == 0
    out = capsys.readouterr().out
    made = Distribution.objects.get()
    assert out.startswith(f"Distribution #{made.pk}: income #{income.pk}")
    assert distribute(income) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "already been distributed" in err
    assert Distribution.objects.count() == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as", "bob"], "Only treasurers"),
        (["--as", "nobody"], "No agent is named 'nobody'"),
    ],
)
def test_user_errors_exit_1_with_one_line(
    income: Income, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code = main(["distribute", "seed-library", "--income", str(income.pk), *argv])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("communs: ")
    assert err.count("\n") == 1
    assert message in err
    assert not Distribution.objects.exists()


def test_unknown_income_or_commons_exit_1(
    income: Income, carol: Agent, other_commons: Commons, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["distribute", "seed-library", "--income", "999999", "--as", "alice"]) == 1
    assert "No income has id 999999" in capsys.readouterr().err
    assert main(["distribute", "nowhere", "--income", str(income.pk), "--as", "alice"]) == 1
    assert "nowhere" in capsys.readouterr().err
    foreign = services.income_record(
        actor=carol, commons=other_commons, kind="sale", amount="1", currency="EUR"
    )
    assert main(["distribute", "seed-library", "--income", str(foreign.pk), "--as", "alice"]) == 1
    assert "another commons" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["distribute", "seed-library", "--as", "alice"],
        ["distribute", "seed-library", "--income", "x", "--as", "alice"],
        ["distribute", "seed-library", "--income", "1"],
        ["export"],
        ["export", "csv", "seed-library"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_export_valueflows_prints_json_ld(
    income: Income, capsys: pytest.CaptureFixture[str]
) -> None:
    assert distribute(income) == 0
    capsys.readouterr()
    assert main(["export", "valueflows", "seed-library", "--base", "https://c.example/api/v1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["@context"]["vf"] == "https://w3id.org/valueflows/ont/vf#"
    graph = doc["@graph"]
    assert graph[0]["@id"] == "https://c.example/api/v1/commons/seed-library"
    work = [n for n in graph if n.get("vf:action") == "vf:work"]
    assert len(work) == 2
    transfers = [n for n in graph if n.get("vf:action") == "vf:transfer"]
    assert len(transfers) == 3  # the income, and bob's and carol's payouts


def test_export_of_a_missing_commons_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "valueflows", "nowhere"]) == 1
    assert capsys.readouterr().err.startswith("communs: No commons")
