"""Small git repositories built in the test with real `git` commands, and a snapshot of every
table an import writes, so a test can prove that a refused import wrote nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.commons.models import Commons, Contribution, ContributorTotal
from communs.core.models import Event, EventStream
from communs.history import services
from communs.history.models import Affiliation, Alias, ClaimToken, Commit

# Authored at 2024-01-01 00:00 UTC plus one hour per commit: the same history hashes the same.
EPOCH = 1_704_067_200
Text = str | bytes
Person = tuple[Text, Text]  # name, email
ADA: Person = ("Ada Lovelace", "ada@example.org")

if shutil.which("git") is None:  # pragma: no cover - the import needs git, so do its tests
    pytest.skip("git is not installed", allow_module_level=True)


def _isolated_env(home: Path, ceiling: Path) -> dict[str, str]:
    """No global or system configuration: a developer's own settings (a mailmap file, signed
    commits, another default branch) must not change what the tests build or import."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CEILING_DIRECTORIES=str(ceiling),
        LC_ALL="C",
        TZ="UTC",
    )
    return env


class Repo:
    """A repository in `path`; each `commit` is made at the next hour after EPOCH."""

    clock = EPOCH  # shared by every repository of a test, so clones continue the same clock

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = dict(env)

    def run(
        self,
        *args: str,
        env: Mapping[str, Text] | None = None,
        check: bool = True,
        stdin: bytes | None = None,
    ) -> str:
        full: dict[str, Text] = {**self.env, **(env or {})}
        done = subprocess.run(  # noqa: S603 - fixed program, test arguments
            ["git", "-c", "user.useConfigOnly=false", "-c", "gc.auto=0", *args],  # noqa: S607
            cwd=self.path,
            env=full,
            input=stdin,
            capture_output=True,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.decode()}")
        return done.stdout.decode("utf-8", "replace")

    def _identity(self, author: Person, committer: Person | None) -> dict[str, Text]:
        """Author and committer (bytes allowed: subprocess passes them to git as they are),
        dated one hour after the previous commit."""
        Repo.clock += 3600
        date = f"@{Repo.clock} +0000"
        name, email = author
        c_name, c_email = committer or author
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": c_name,
            "GIT_COMMITTER_EMAIL": c_email,
            "GIT_COMMITTER_DATE": date,
        }

    def write(self, files: Mapping[str, str | bytes]) -> None:
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
            self.run("add", "--", name)

    def commit(
        self,
        message: str = "Change",
        *,
        author: Person = ADA,
        committer: Person | None = None,
        files: Mapping[str, str | bytes] | None = None,
        co_authors: Iterable[str] = (),
    ) -> str:
        """Commit `files` (default: one new line in a file of the commit's own) and return its
        id. `co_authors` are "Name <email>" written as Co-authored-by trailers."""
        if files is None:
            files = {f"file-{Repo.clock}.txt": "one line\n"}
        self.write(files)
        trailers = "".join(f"Co-authored-by: {who}\n" for who in co_authors)
        body = f"{message}\n\n{trailers}" if trailers else message
        self.run("commit", "-q", "--allow-empty", "-m", body, env=self._identity(author, committer))
        return self.head()

    def merge(self, branch: str, *, author: Person = ADA, message: str | None = None) -> str:
        """Merge `branch` into the current branch (always a merge commit); on a conflict the
        caller resolves it and calls `conclude`."""
        self.run(
            "merge", "--no-ff", "-q", "-m", message or f"Merge {branch}", branch,
            env=self._identity(author, None), check=False,
        )  # fmt: skip
        return self.head()

    def conclude(self, files: Mapping[str, str], *, author: Person = ADA) -> str:
        """Finish a merge that stopped on a conflict, with `files` as the resolution."""
        self.write(files)
        self.run("commit", "-q", "--no-edit", env=self._identity(author, None))
        return self.head()

    def raw_commit(self, author: bytes, message: bytes) -> str:
        """A commit object written byte for byte, on top of HEAD: what `git commit` would
        refuse or repair (bytes that are not UTF-8, a broken author line), but another tool,
        or an old git, may have written."""
        Repo.clock += 3600
        tree, parent = self.run("rev-parse", "HEAD^{tree}").strip(), self.head()
        content = (
            f"tree {tree}\nparent {parent}\n".encode()
            + b"author " + author + b"\n"
            + f"committer Ada Lovelace <ada@example.org> {Repo.clock} +0000\n\n".encode()
            + message + b"\n"
        )  # fmt: skip
        sha = self.run("hash-object", "-t", "commit", "-w", "--stdin", "--literally", stdin=content)
        self.run("update-ref", "HEAD", sha.strip())
        return sha.strip()

    def head(self) -> str:
        return self.run("rev-parse", "HEAD").strip()

    def shas(self, *args: str) -> list[str]:
        return self.run("rev-list", *args, "HEAD").split()

    def shortlog(self) -> list[tuple[int, str, str]]:
        """`git shortlog -sne --no-merges HEAD`: (commits, name, email), mailmap applied."""
        rows = []
        for line in self.run("shortlog", "-sne", "--no-merges", "HEAD").splitlines():
            count, _, who = line.strip().partition("\t")
            name, _, email = who.rpartition(" <")
            rows.append((int(count), name, email.removesuffix(">")))
        return rows

    def clone(self, into: Path, *options: str) -> Repo:
        self.run("clone", "-q", *options, f"file://{self.path}", str(into))
        return Repo(into, self.env)

    def missing_objects(self) -> list[str]:
        """Objects the history refers to but the repository lacks (fetching none)."""
        listed = self.run("rev-list", "--objects", "--missing=print", "HEAD").split()
        return [line[1:] for line in listed if line.startswith("?")]

    def loose_objects(self) -> set[str]:
        objects = self.path / ".git" / "objects"
        return {
            f"{d.name}{f.name}" for d in objects.iterdir() if len(d.name) == 2 for f in d.iterdir()
        }

    def delete_object(self, sha: str) -> None:
        (self.path / ".git" / "objects" / sha[:2] / sha[2:]).unlink()


@pytest.fixture
def make_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Repo]:
    """`make_repo("name")` → an empty repository (branch `main`) under tmp_path. The import
    itself also runs without the developer's git configuration."""
    home = tmp_path / "home"
    home.mkdir()
    env = _isolated_env(home, tmp_path)
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(key)
    for key in ("HOME", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_CEILING_DIRECTORIES"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setattr(Repo, "clock", EPOCH)

    def make(name: str = "repo") -> Repo:
        path = tmp_path / name
        path.mkdir()
        repo = Repo(path, env)
        repo.run("init", "-q", "-b", "main")
        return repo

    return make


def take_snapshot() -> dict[str, Any]:
    return {
        "agents": list(Agent.objects.order_by("pk").values_list("pk", "name", "merged_into")),
        "aliases": Alias.objects.count(),
        "commits": Commit.objects.count(),
        "contributions": Contribution.objects.count(),
        "totals": list(
            ContributorTotal.objects.order_by("pk").values_list("agent", "unit", "count")
        ),
        "events": Event.objects.count(),
        "streams": list(
            EventStream.objects.order_by("name").values_list("name", "length", "head_hash")
        ),
    }


@pytest.fixture
def snapshot(db: None) -> Callable[[], dict[str, Any]]:
    return take_snapshot


def import_ada(maintainer: Agent, commons: Commons, tmp_path: Path) -> Agent:
    """A one-commit history by Ada, imported into `commons` by `maintainer`: her agent, met
    in the history and claimed by nobody yet."""
    repo = tmp_path / "ada-repo"
    repo.mkdir()
    env = {
        **_isolated_env(tmp_path, tmp_path),
        "GIT_AUTHOR_NAME": str(ADA[0]), "GIT_AUTHOR_EMAIL": str(ADA[1]),
        "GIT_COMMITTER_NAME": str(ADA[0]), "GIT_COMMITTER_EMAIL": str(ADA[1]),
    }  # fmt: skip
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "First"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)  # noqa: S603, S607
    services.ingest_git(actor=maintainer, commons=commons, path=str(repo))
    return Alias.objects.get(kind="email", value=ADA[1]).agent


def identities_state() -> tuple[Any, ...]:
    """What claims and affiliations write: to prove a refused request wrote nothing."""
    return (
        list(Agent.objects.order_by("pk").values_list("pk", "merged_into")),
        list(Contribution.objects.order_by("pk").values_list("pk", "contributor")),
        list(ClaimToken.objects.order_by("pk").values_list("pk", "used_at")),
        list(Affiliation.objects.order_by("pk").values_list("pk", "kind", "organisation")),
        Event.objects.count(),
    )
