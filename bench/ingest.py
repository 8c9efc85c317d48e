"""History import benchmark: does importing a git history cost about what reading it costs?

Run: .venv/bin/python bench/ingest.py [--commits 20000] [--authors 400] [--seed 2026]
     [--repo PATH] [--rev HEAD] [--repeat 3] [--profile]

It builds its own database like bench/pages.py (a temporary SQLite file, or a fresh database on
the PostgreSQL server named by DATABASE_URL, dropped afterwards). The repository is generated
with `git fast-import` into a temporary directory (seeded, so every run builds the same
history): --commits commits by --authors people with names and emails on free mail, company
and forge no-reply domains, about one author in ten committing under a second email that the
`.mailmap` committed in the repository unifies, Co-authored-by trailers on some commits, a few
changed lines per commit, and a handful of merges (one of them with a change of its own).
--repo imports an existing repository (from --rev) instead; it is only read.

Measured in the same run, page cache warm for both (one warm-up read first), the baseline, the
read + parse and the import interleaved (so other work on the machine weighs on all alike):
- baseline: `git log` with the very format and options the import uses (`--numstat`), its
  output read from a pipe and discarded; median of --repeat. Reading the history is the floor
  of an import's cost;
- read + parse: the import's own reading of the history (git, the reader thread, LogReader),
  without the database;
- import: `ingest_git` into a fresh commons each time (a full import), median of --repeat;
  then --repeat re-imports into the last one (every commit already there, skipped);
- memory: one more full import under tracemalloc (peak of Python allocations; not timed, tracing
  slows Python down) and the process's maximum resident set size from the baseline on (the
  set-up's peak, Argon2 hashing the maintainer's password, is shown apart).

Each step also shows the CPU seconds of this process and of git: the import runs them side by
side, so on two free cores its wall time is about the larger of the two, on a busy machine about
their sum.

Targets: import / baseline <= 1.3x on SQLite, <= 2x on PostgreSQL; memory < 512 MB. Afterwards
every import must hold one Commit row per non-merge commit (plus the merges that changed
something), one contribution per author and co-author, matching totals, and the event log must
verify. Prints OK/OVER; always exits 0.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from distribution import maxrss, mb
from pages import Database, prepare_database, table, verdict

TARGETS = {"sqlite": 1.3, "postgresql": 2.0}
DEFAULT_TARGET = 2.0
MEMORY_TARGET = 512 * 1024**2  # bytes
PASSWORD = "bench-passphrase-2026"  # noqa: S105 - throwaway account in a throwaway database
GIT_ENV = {"LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}

# --- a synthetic repository ---------------------------------------------------------------------

FIRST_NAMES_TEXT = """Ada Grace Alan Linus Margaret Dennis Barbara Ken Frances Edsger Radia Tim Hedy
John Sophie Yukihiro Guido Anita Leslie Donald Karen Bjarne Shafi Niklaus Lynn Whitfield Joan
Chen Wei Priya Arjun Fatima Omar Amara Kwame Chiara Matteo Zoë José María Łukasz Agnieszka Søren
Ingrid Björn Aoife Siobhan Dmitri Olga Mehmet Elif Hiroshi Yuki Min-jun Ji-woo Thandiwe Nnamdi
Camille Théo Léa Jürgen Anneke Pieter Rosa Diego Valentina Tomás Mai Aisha Kofi Inès Rafael
Beatriz Noor Yara Emil Freya Oskar Mila Sven Marta Paulo Ana"""
LAST_NAMES_TEXT = """Lovelace Hopper Turing Torvalds Hamilton Ritchie Liskov Thompson Allen Dijkstra
Perlman Berners-Lee Lamarr McCarthy Wilson Matsumoto Rossum Borg Lamport Knuth Jones Stroustrup
Goldwasser Wirth Conway Diffie Clarke Wang Li Sharma Patel Haddad Rahman Okafor Mensah Rossi
Bianchi Dupont Martin García Fernández Kowalski Nowak Nielsen Andersson Lindqvist Murphy Byrne
Ivanova Petrov Yılmaz Demir Tanaka Suzuki Kim Park Dlamini Eze Lefèvre Moreau Müller Schmidt
Jansen Bakker Silva Costa Nguyen Tran Mwangi Boateng Laurent Oliveira Pereira Hossain Khalil
Novak Horvat Svensson Johansson Fischer Weber"""
FIRST_NAMES, LAST_NAMES = FIRST_NAMES_TEXT.split(), LAST_NAMES_TEXT.split()
FREE_MAIL = ["gmail.com", "outlook.com", "proton.me", "yahoo.com", "posteo.de", "gmx.de"]
COMPANIES = ["acme-systems.com", "globex.io", "initech.net", "umbrella-labs.eu"]
NOREPLY = "users.noreply.github.com"
TIMEZONES = ["+0000", "+0100", "+0200", "-0500", "-0800", "+0530", "+0900", "-0300", "+1000"]
WORDS_TEXT = """value ledger commons maintainer contribution licence stream event hash chain agent
commit batch import total payout income rate bucket policy window history author alias email
name domain affiliation token claim review approval status reason quantity unit source"""
WORDS = WORDS_TEXT.split()
VERBS = ["Fix", "Add", "Refactor", "Document", "Test", "Speed up", "Simplify", "Rename", "Clean"]
MODULES = ["core", "ledger", "commons", "accounts", "history", "web", "api", "cli", "domain"]
MAX_LINES = 300  # files past this length lose lines rather than gain them


@dataclass
class Person:
    name: str
    email: str
    tz: str
    old: tuple[str, str] | None = None  # (name, email) the .mailmap maps to this person


def ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in folded if c.isalnum())


def make_people(rng: random.Random, count: int) -> list[Person]:
    """Distinct people; about 10% also commit under an older identity (a one-word name and
    another email) that only the .mailmap ties to them."""
    people: list[Person] = []
    names: set[str] = set()
    emails: set[str] = set()

    def unique(email: str) -> str:
        local, domain = email.split("@")
        n = 1
        while email in emails:
            n += 1
            email = f"{local}{n}@{domain}"
        emails.add(email)
        return email

    while len(people) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        if name in names:
            continue
        names.add(name)
        f, lw = ascii_word(first), ascii_word(last)
        kind = rng.random()
        if kind < 0.5:
            local = rng.choice([f"{f}.{lw}", f"{f[0]}{lw}", f"{f}{lw}{rng.randint(1, 99)}"])
            email = unique(f"{local}@{rng.choice(FREE_MAIL)}")
        elif kind < 0.8:
            email = unique(f"{f}.{lw}@{rng.choice(COMPANIES)}")
        else:
            email = unique(f"{rng.randint(10_000, 9_999_999)}+{f}{lw}@{NOREPLY}")
        person = Person(name, email, rng.choice(TIMEZONES))
        if rng.random() < 0.1:
            domain = rng.choice(COMPANIES + FREE_MAIL)
            person.old = (f"{f[0]}{lw}", unique(f"{f[0]}{lw}@{domain}"))
        people.append(person)
    return people


def data(payload: bytes) -> bytes:
    return b"data %d\n%b\n" % (len(payload), payload)


class Synth:
    """Writes a fast-import stream: the main branch, side branches merged back later."""

    def __init__(self, out: BinaryIO, rng: random.Random, people: list[Person]) -> None:
        self.out = out
        self.rng = rng
        self.people = people
        # Zipf-like: a few people make most commits, everyone makes some.
        self.weights = [1 / (rank + 1) for rank in range(len(people))]
        self.mark = 0
        self.when = 1_420_070_400  # 2015-01-01
        self.files: dict[str, list[str]] = {}  # the main branch's tree
        self.next_file = 0
        self.commits = 0
        self.co_authored = 0

    def line(self) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(2, 6))
        return f"{'_'.join(words[:2])} = {' '.join(words[2:])} {self.rng.randint(0, 999)}"

    def new_path(self) -> str:
        n = self.next_file
        self.next_file += 1
        module = MODULES[n % len(MODULES)]
        return {0: f"src/{module}/part{n}.py", 1: f"tests/{module}/test_part{n}.py"}.get(
            n % 3, f"docs/{module}/note{n}.md"
        )

    def edit(self, lines: list[str]) -> None:
        """A few lines replaced, inserted or deleted."""
        for _ in range(self.rng.randint(1, 3)):
            at = self.rng.randrange(len(lines) + 1)
            op = self.rng.random()
            if op < 0.4 and at < len(lines):
                lines[at] = self.line()
            elif op < 0.75 and len(lines) < MAX_LINES:
                lines[at:at] = [self.line() for _ in range(self.rng.randint(1, 4))]
            elif len(lines) > 5:
                del lines[at : at + self.rng.randint(1, 3)]

    def identity(self, person: Person) -> tuple[str, str]:
        if person.old is not None and self.rng.random() < 0.4:
            return person.old
        return person.name, person.email

    def message(self, person: Person) -> str:
        rng = self.rng
        subject = f"{rng.choice(VERBS)} {rng.choice(WORDS)} {rng.choice(WORDS)} in "
        subject += rng.choice(MODULES)
        body = ""
        if rng.random() < 0.3:
            body = "\n\n" + " ".join(rng.choices(WORDS, k=rng.randint(8, 30)))
        if rng.random() < 0.05 and len(self.people) > 1:
            others = [
                p for p in rng.sample(self.people, min(3, len(self.people))) if p is not person
            ]
            others = others[: rng.randint(1, 2)]
            body += "\n\n" + "\n".join(f"Co-authored-by: {p.name} <{p.email}>" for p in others)
            self.co_authored += 1
        return subject + body + "\n"

    def commit(
        self,
        ref: str,
        person: Person,
        message: str,
        changes: list[tuple[str, list[str] | None]],
        *,
        parent: int | None = None,
        merge: int | None = None,
        who: tuple[str, str] | None = None,
    ) -> int:
        self.mark += 1
        self.when += self.rng.randint(120, 20_000)
        name, email = who or self.identity(person)
        stamp = f"{self.when} {person.tz}"
        out = [
            f"commit refs/heads/{ref}\nmark :{self.mark}\n".encode(),
            f"author {name} <{email}> {stamp}\ncommitter {name} <{email}> {stamp}\n".encode(),
            data(message.encode()),
        ]
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        if merge is not None:
            out.append(b"merge :%d\n" % merge)
        for path, lines in changes:
            if lines is None:
                out.append(f"D {path}\n".encode())
            else:
                text = ("\n".join(lines) + "\n").encode()
                out.append(f"M 100644 inline {path}\n".encode() + data(text))
        out.append(b"\n")
        self.out.write(b"".join(out))
        self.commits += 1
        return self.mark

    def author(self) -> Person:
        return self.rng.choices(self.people, self.weights)[0]

    def first(self, mailmap: str, target_files: int) -> int:
        changes: list[tuple[str, list[str] | None]] = [
            (".mailmap", mailmap.splitlines()),
            ("README.md", ["# A synthetic commons", "", "Generated for bench/ingest.py."]),
        ]
        for _ in range(min(10, target_files)):
            path = self.new_path()
            self.files[path] = [self.line() for _ in range(self.rng.randint(20, 60))]
            changes.append((path, self.files[path]))
        person = self.people[0]
        return self.commit("main", person, "Initial commit\n", changes, who=(person.name,
                           person.email))  # fmt: skip

    def main_commit(self, target_files: int) -> int:
        rng = self.rng
        person = self.author()
        changes: list[tuple[str, list[str] | None]] = []
        roll = rng.random()
        if roll < 0.1 and len(self.files) < target_files:
            path = self.new_path()
            self.files[path] = [self.line() for _ in range(rng.randint(10, 60))]
            changes.append((path, self.files[path]))
        elif roll < 0.103 and len(self.files) > 20:
            path = rng.choice(sorted(self.files))
            del self.files[path]
            changes.append((path, None))
        else:
            for path in rng.sample(sorted(self.files), min(len(self.files), rng.randint(1, 3))):
                self.edit(self.files[path])
                changes.append((path, self.files[path]))
        return self.commit("main", person, self.message(person), changes)

    def side_branch(self, k: int, fork: int, length: int) -> tuple[int, dict[str, list[str]]]:
        """A feature branch touching only its own files, so merging it back conflicts with
        nothing: the merge changes nothing of its own."""
        person = self.author()
        files: dict[str, list[str]] = {}
        tip = fork
        for n in range(length):
            path = f"features/f{k}/part{n % 2}.md"
            if path in files:
                self.edit(files[path])
            else:
                files[path] = [self.line() for _ in range(self.rng.randint(5, 30))]
            tip = self.commit(f"feature-{k}", person, self.message(person),
                              [(path, files[path])], parent=tip)  # fmt: skip
        return tip, files

    def merge(self, k: int, tip: int, files: dict[str, list[str]], *, evil: bool) -> int:
        """Merging a side branch back: its files as they are on the branch, and, when `evil`,
        one more change of the merge's own (which the import then counts)."""
        changes: list[tuple[str, list[str] | None]] = list(files.items())
        if evil:
            path = sorted(self.files)[0]
            self.edit(self.files[path])
            changes.append((path, self.files[path]))
        person = self.people[k % min(3, len(self.people))]
        return self.commit("main", person, f"Merge branch 'feature-{k}'\n", changes, merge=tip,
                           who=(person.name, person.email))  # fmt: skip


def generate(path: Path, commits: int, authors: int, seed: int) -> None:
    """`commits` commits in all (merges included) on `main`, by `authors` people."""
    rng = random.Random(seed)
    people = make_people(rng, authors)
    mailmap = "\n".join(
        sorted(f"{p.name} <{p.email}> <{p.old[1]}>" for p in people if p.old is not None)
    )
    run_git(path.parent, "init", "-q", "-b", "main", str(path))
    importer = subprocess.Popen(
        ["git", "-C", str(path), "fast-import", "--quiet", "--done"],
        stdin=subprocess.PIPE,
        env={**os.environ, **GIT_ENV},
    )
    assert importer.stdin is not None
    synth = Synth(importer.stdin, rng, people)
    target_files = max(12, commits // 60)
    merges = min(8, commits // 2500) if commits >= 100 else 0
    forks = [int(commits * (k + 1) / (merges + 1)) for k in range(merges)]
    pending: list[tuple[int, int, int, dict[str, list[str]]]] = []  # (due, k, tip, files)
    main_tip = synth.first(mailmap, target_files)
    k = 0
    while synth.commits < commits:
        left = commits - synth.commits
        if pending and (synth.commits >= pending[0][0] or left <= len(pending)):
            _, n, tip, files = pending.pop(0)
            main_tip = synth.merge(n, tip, files, evil=n == 0)
        elif k < len(forks) and synth.commits >= forks[k] and left > len(pending) + 6:
            length = rng.randint(2, 4)
            tip, files = synth.side_branch(k, main_tip, length)
            pending.append((synth.commits + rng.randint(3, 12), k, tip, files))
            k += 1
        else:
            main_tip = synth.main_commit(target_files)
    importer.stdin.write(b"done\n")
    importer.stdin.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    # The .mailmap git reads is the work tree's: check it out, as a clone would be.
    run_git(path, "reset", "-q", "--hard")
    run_git(path, "gc", "-q")


def run_git(path: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(path), *args],
        capture_output=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {done.stderr.decode().strip()}")
    return done.stdout.decode("utf-8", "replace")


# --- the repository's size ----------------------------------------------------------------------


@dataclass
class Repository:
    path: Path
    sha: str
    commits: int = 0
    non_merges: int = 0
    merges: int = 0
    changed_merges: int = 0  # merges whose own change the import counts
    authors: int = 0  # distinct emails, .mailmap applied
    raw_emails: int = 0  # distinct emails as committed
    files: int = 0
    git_size: str = ""
    log_bytes: int = 0


def describe(path: Path, rev: str) -> Repository:
    sha = run_git(path, "rev-parse", "--verify", f"{rev}^{{commit}}").strip()
    repo = Repository(path, sha)
    repo.commits = int(run_git(path, "rev-list", "--count", sha, "--"))
    repo.non_merges = int(run_git(path, "rev-list", "--count", "--no-merges", sha, "--"))
    repo.merges = repo.commits - repo.non_merges
    emails = run_git(path, "log", "--format=%aE%x1f%ae", sha, "--").splitlines()
    repo.authors = len({line.split("\x1f")[0].lower() for line in emails})
    repo.raw_emails = len({line.split("\x1f")[-1].lower() for line in emails})
    repo.files = len(run_git(path, "ls-tree", "-r", "--name-only", sha).splitlines())
    # Merges with a change of their own: their remerge diff counts some line.
    shown = run_git(path, "log", "--merges", "--format=%x1e", "--numstat", "--diff-merges=remerge",
                    sha, "--")  # fmt: skip
    for record in shown.split("\x1e")[1:]:
        lines = sum(
            int(part)
            for line in record.splitlines()
            for part in line.split("\t")[:2]
            if line.count("\t") >= 2 and part.isdigit()
        )
        repo.changed_merges += lines > 0
    git_dir = Path(run_git(path, "rev-parse", "--absolute-git-dir").strip())
    du = subprocess.run(["du", "-sh", str(git_dir)], capture_output=True, check=False)
    repo.git_size = du.stdout.decode().split("\t")[0] if du.returncode == 0 else "?"
    return repo


# --- measuring ----------------------------------------------------------------------------------


def read_log(repo: Repository) -> int:
    """The baseline: the import's `git log` (same program, options, format and environment),
    its output read from a pipe in the import's chunk size and thrown away. Returns its size."""
    from communs.domain import githistory as gh
    from communs.history import services

    args = [*services.GIT, "-C", str(repo.path), "log", f"--format={gh.LOG_FORMAT}",
            *services.LOG_OPTIONS, *services.COUNT_OPTIONS, repo.sha, "--"]  # fmt: skip
    git = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **services.GIT_ENV},
    )
    assert git.stdout is not None
    size = 0
    fd = git.stdout.fileno()
    while chunk := os.read(fd, services.CHUNK):
        size += len(chunk)
    if git.wait() != 0:
        raise SystemExit("git log failed on the repository")
    return size


def read_and_parse(repo: Repository) -> int:
    """What the import reads, through its own reader (thread, queue, LogReader), no database."""
    from communs.history import services

    return sum(1 for _ in services._history(repo.path, repo.sha, services.IngestResult()))


@dataclass
class World:
    maintainer: Any
    repo: Repository
    commons: list[Any] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)

    def fresh_commons(self) -> Any:
        from communs.commons import services as commons_services

        n = len(self.commons) + 1
        commons = commons_services.commons_create(
            actor=self.maintainer,
            slug=f"bench-history-{n}",
            title=f"Bench history {n}",
            summary="A history imported by bench/ingest.py",
            kind="software",
            licence="AGPL-3.0-or-later",
        )
        self.commons.append(commons)
        return commons

    def ingest(self, commons: Any) -> Any:
        from communs.history.services import ingest_git

        result = ingest_git(
            actor=self.maintainer, commons=commons, path=str(self.repo.path), rev=self.repo.sha
        )
        self.results.append(result)
        return result


@dataclass(frozen=True)
class Sample:
    wall: float
    python: float  # CPU seconds of this process, every thread
    git: float  # CPU seconds of the child processes that ended meanwhile (git)


def timed(action: Callable[[], Any]) -> tuple[Sample, Any]:
    """Wall time and CPU time: the import runs git and Python side by side, so on two free
    cores its wall time is about the larger of the two CPU times, not their sum."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time()
    start = time.perf_counter()
    out = action()
    wall = time.perf_counter() - start
    python = time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    git = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return Sample(wall, python, git), out


def reset_peak_rss() -> bool:
    """Start the process's peak resident set size again from its current size (Linux 4.0+:
    getrusage's maximum follows); whether that was possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def check(world: World) -> list[str]:
    """Each full import: the commits it should hold, a contribution per author and co-author,
    totals that add up; then the whole event log verifies. Returns the problems found."""
    from django.db.models import Sum

    from communs.commons.models import Contribution, ContributorTotal
    from communs.core import eventlog
    from communs.history.models import Commit

    repo = world.repo
    expected = repo.non_merges + repo.changed_merges
    problems = []
    for commons in world.commons:
        commits = Commit.objects.filter(commons=commons).count()
        co_authors = Commit.objects.filter(commons=commons).aggregate(s=Sum("co_authors"))["s"]
        contributions = Contribution.objects.filter(commons=commons, source__startswith="git:")
        count = contributions.count()
        totals = ContributorTotal.objects.filter(commons=commons, unit="commit")
        total = totals.aggregate(s=Sum("count"))["s"] or 0
        if commits != expected:
            problems.append(
                f"{commons.slug}: {commits:,} Commit rows, expected {expected:,} "
                f"({repo.non_merges:,} non-merge + {repo.changed_merges} merges with changes)"
            )
        if count != commits + (co_authors or 0):
            problems.append(
                f"{commons.slug}: {count:,} contributions for {commits:,} commits and "
                f"{co_authors or 0:,} co-authors"
            )
        if total != count:
            problems.append(f"{commons.slug}: totals count {total:,}, contributions {count:,}")
    for result in world.results:
        if result.total != repo.commits:
            problems.append(f"an import saw {result.total:,} commits, git counts {repo.commits:,}")
    problems += [f"event log: {b}" for b in eventlog.verify().breaks]
    return problems


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--authors", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repo", help="import this existing repository instead (only read)")
    parser.add_argument("--rev", default="HEAD", help="with --repo: import the history from here")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--profile", action="store_true", help="profile one more full import (cProfile)"
    )
    args = parser.parse_args(argv)
    if args.commits < 1 or args.authors < 1 or args.repeat < 1:
        parser.error("need --commits >= 1, --authors >= 1 and --repeat >= 1")
    if args.repo and not Path(args.repo).is_dir():
        parser.error(f"{args.repo} is not a directory")

    tmp = Path(tempfile.mkdtemp(prefix="communs-bench-"))
    os.environ["COMMUNS_DATA"] = str(tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "communs.config.settings.dev"
    src = Path(__file__).resolve().parents[1] / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    database = prepare_database(tmp)
    os.environ["DATABASE_URL"] = database.url
    try:
        return run(args, database, tmp)
    finally:
        database.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, database: Database, tmp: Path) -> int:
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # no per-query logging

    from django.core.management import call_command
    from django.db import connection

    from communs.accounts import services as accounts

    if args.repo:
        path = Path(args.repo).expanduser().resolve()
        repo = describe(path, args.rev)
        print(f"repository: {path} at {args.rev} ({repo.sha[:12]})")
    else:
        path = tmp / "synthetic"
        took, _ = timed(lambda: generate(path, args.commits, args.authors, args.seed))
        repo = describe(path, "HEAD")
        print(f"generated with git fast-import in {took.wall:.1f} s (seed {args.seed}): {path}")
    for line in table(
        [
            ["repository", "size"],
            [
                "commits",
                f"{repo.commits:,} ({repo.non_merges:,} non-merge, {repo.merges} merges, "
                f"{repo.changed_merges} of them with changes of their own)",
            ],
            [
                "authors",
                f"{repo.authors:,} (.mailmap applied; {repo.raw_emails:,} emails as committed)",
            ],
            ["files at the imported commit", f"{repo.files:,}"],
            [".git (du -sh)", repo.git_size],
        ]
    ):
        print(line)

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    target = TARGETS.get(vendor, DEFAULT_TARGET)
    print()
    print(f"database: {vendor} ({database.url.split('@')[-1]})", flush=True)
    maintainer = accounts.user_create(
        username="historian", email="historian@example.org", password=PASSWORD
    )
    world = World(maintainer, repo)
    setup_rss = maxrss()
    # Hashing the maintainer's password (Argon2, about 100 MB) sets the peak so far: start the
    # count again, so the peak measured is the imports' own.
    reset = reset_peak_rss()

    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} before measuring", flush=True)
    repo.log_bytes = read_log(repo)  # warm-up: the page cache holds the repository now
    print(f"git log --numstat writes {repo.log_bytes / 1024**2:,.1f} MB for this history")
    # Interleaved, so that other work on the machine weighs on the baseline and the import alike.
    base: list[Sample] = []
    parse: list[Sample] = []
    imports: list[Sample] = []
    for n in range(args.repeat):
        base.append(timed(lambda: read_log(repo))[0])
        parse.append(timed(lambda: read_and_parse(repo))[0])
        commons = world.fresh_commons()
        took, result = timed(lambda c=commons: world.ingest(c))
        imports.append(took)
        print(
            f"  run {n + 1}: baseline {base[-1].wall:.2f} s, import {took.wall:.2f} s: "
            f"{result.imported:,} imported, {result.merges_skipped} merges skipped, "
            f"{result.co_authors:,} co-author credits, {result.new_agents:,} new agents",
            flush=True,
        )
        for note in result.notes:
            print(f"    note: {note}")
    base_wall = statistics.median(s.wall for s in base)
    reimports = []
    for _ in range(args.repeat):
        took, result = timed(lambda c=world.commons[-1]: world.ingest(c))
        reimports.append(took)
    print(f"  re-import: {result.skipped:,} skipped, {result.imported} imported", flush=True)

    commons = world.fresh_commons()
    tracemalloc.start()
    world.ingest(commons)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    profile = ""
    if args.profile:
        commons = world.fresh_commons()
        profiler = cProfile.Profile()
        profiler.enable()
        world.ingest(commons)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        profile = text.getvalue()

    def row(label: str, samples: list[Sample], goal: float | None) -> list[str]:
        median = statistics.median(s.wall for s in samples)
        ratio = median / base_wall
        return [
            label,
            " ".join(f"{s.wall:.2f}" for s in samples),
            f"{median:.2f}",
            f"{ratio:.2f}x",
            f"{statistics.median(s.python for s in samples):.2f}",
            f"{statistics.median(s.git for s in samples):.2f}",
            f"<= {goal:g}x" if goal else "-",
            verdict(ratio, goal) if goal else "-",
        ]

    print()
    print(f"import of {repo.commits:,} commits, median of {args.repeat} (seconds)")
    for line in table(
        [
            ["step", "runs", "median", "/baseline", "python cpu", "git cpu", "target", "verdict"],
            row("git log --numstat (baseline)", base, None),
            row("read + parse, no database", parse, None),
            row("ingest_git into a fresh commons", imports, target),
            row("ingest_git again (all skipped)", reimports, None),
        ]
    ):
        print(line)

    rss = maxrss()
    print()
    for line in table(
        [
            ["memory", "peak", "target", "verdict"],
            [
                "tracemalloc peak, one full import",
                mb(traced_peak),
                "< 512 MB",
                "OK" if traced_peak < MEMORY_TARGET else "OVER",
            ],
            [
                "max RSS of the process from the baseline on"
                if reset
                else "max RSS of the process",
                mb(rss),
                "< 512 MB",
                "OK" if rss < MEMORY_TARGET else "OVER",
            ],
        ]
        + (
            [["max RSS of the set-up (Django, migrations, Argon2)", mb(setup_rss), "-", "-"]]
            if reset
            else []
        )
    ):
        print(line)

    took, problems = timed(lambda: check(world))
    print()
    if problems:
        print(f"checks FAILED ({took.wall:.1f} s):")
        for problem in problems:
            print(f"  {problem}")
    else:
        expected = repo.non_merges + repo.changed_merges
        print(
            f"checks OK ({took.wall:.1f} s): each of {len(world.commons)} imports holds "
            f"{expected:,} commits (every non-merge commit and the merges with changes), "
            "a contribution per author and co-author, totals to match; the event log verifies"
        )
    if profile:
        print()
        print("profile of one more full import (cumulative; the reader thread is not profiled:")
        print("its work shows as the main thread's wait in queue.get):")
        print(profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
