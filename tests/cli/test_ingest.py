"""`communs ingest git`: the import from the shell, its progress bar, its errors and resuming."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from communs.accounts.models import Agent
from communs.cli.history import ProgressBar
from communs.cli.main import main
from communs.commons.models import Commons
from communs.history import services
from communs.history.models import Commit
from communs.history.services import IngestResult

pytestmark = pytest.mark.django_db


def repository(path: Path, commits: int) -> Path:
    env = {
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada Lovelace",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(path),
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(["git", "init", "-q", str(path)], check=True, env=env)  # noqa: S603, S607
    for n in range(commits):
        (path / f"file-{n}.txt").write_text(f"line {n}\n")
        for args in (["add", "."], ["commit", "-q", "-m", f"Change {n}"]):
            subprocess.run(["git", "-C", str(path), *args], check=True, env=env)  # noqa: S603, S607
    return path


def test_ingest_prints_what_it_did_and_a_progress_line(
    tmp_path: Path, alice: Agent, seed_library: Commons, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = repository(tmp_path / "repo", 3)
    argv = ["ingest", "git", str(repo), "--commons", "seed-library", "--as", "alice"]

    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "Imported 3 commit(s) into seed-library (0 already there" in captured.out
    assert "3/3 commits" in captured.err
    assert Commit.objects.filter(commons=seed_library).count() == 3

    assert main(argv) == 0
    assert "Imported 0 commit(s) into seed-library (3 already there" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent-path", "--as", "alice"], "path: /nonexistent-path is not a directory."),
        (["{tmp}", "--as", "alice"], "is not a git repository."),
        (["{repo}", "--as", "bob"], "Only maintainers of seed-library can import its history."),
        (["{repo}", "--as", "alice", "--rev", "no-such-branch"], "no-such-branch names no commit"),
    ],
)
def test_ingest_errors_are_one_line_and_exit_1(
    tmp_path: Path,
    alice: Agent,
    bob: Agent,
    seed_library: Commons,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    repo = repository(tmp_path / "repo", 1)
    (tmp_path / "plain").mkdir()
    filled = [a.format(tmp=tmp_path / "plain", repo=repo) for a in args]
    assert main(["ingest", "git", filled[0], "--commons", "seed-library", *filled[1:]]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert message in err[0]
    assert not Commit.objects.exists()


def test_an_interrupted_ingest_says_how_to_resume(
    tmp_path: Path,
    alice: Agent,
    seed_library: Commons,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = repository(tmp_path / "repo", 4)
    monkeypatch.setattr(services, "BATCH", 2)
    original = ProgressBar.__call__

    def interrupt_after_the_first_batch(self: ProgressBar, result: IngestResult) -> None:
        original(self, result)
        raise KeyboardInterrupt

    monkeypatch.setattr(ProgressBar, "__call__", interrupt_after_the_first_batch)
    argv = ["ingest", "git", str(repo), "--commons", "seed-library", "--as", "alice"]
    assert main(argv) == 130
    assert "run the same command again to resume" in capsys.readouterr().err
    assert Commit.objects.count() == 2

    monkeypatch.setattr(ProgressBar, "__call__", original)
    assert main(argv) == 0
    assert "Imported 2 commit(s) into seed-library (2 already there" in capsys.readouterr().out
    assert Commit.objects.count() == 4


def test_the_progress_line_shows_done_rate_and_time_left() -> None:
    bar = ProgressBar(io.StringIO())
    bar.started -= 10  # ten seconds in
    line = bar.line(IngestResult(total=1000, imported=200, skipped=50), bar.started + 10)
    assert "250/1,000 commits" in line
    assert "25/s" in line
    assert "0:30 left" in line
    assert line.startswith("[#######-")
