"""Importing a git history as contributions.

`ingest_git` runs `git log` once and reads its output while git is still writing it: a reader
thread drains the pipe into a bounded queue, so git never waits for the database, and the
import costs about what reading the history costs (bench/ingest.py). Commits are written in
batches, each in its own transaction with one event in the commons' log: an interrupted import
keeps the batches it finished, and running it again skips every commit already imported (the
commit id is the key), so it resumes where it stopped.

Imported commits were already validated by the forge: their contributions are `accepted`.

Below the import: claiming the identities met in histories (a person with an account merges
them into their own agent), and each commons' map of who pays for work done from which email
domains.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import re
import secrets
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef

from communs.accounts.models import Agent
from communs.accounts.services import token_digest
from communs.commons.models import Commons, Contribution, ContributorTotal
from communs.commons.selectors import is_maintainer
from communs.core import bulk, clock, eventlog
from communs.domain import githistory as gh
from communs.domain.contributions import Action, Status, Stream
from communs.domain.errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound

from .models import Affiliation, Alias, ClaimToken, Commit

BATCH = 2000
CHUNK = 1 << 16
# Missing objects (partial clones) are counted one commit at a time; after this many failures
# in a row the rest of the history is imported without line counts.
MAX_FAILED_COUNTS = 20
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1"}
# Never fetch: a partial clone's missing objects stay missing rather than reach the network;
# no external diff or text conversion programs from the repository's configuration.
GIT = ("git", "-c", "protocol.allow=never", "-c", "log.showSignature=false")
LOG_OPTIONS = ("--no-color", "--no-ext-diff", "--no-textconv")
# A merge's own changes: the difference between the automatic merge and what was committed.
COUNT_OPTIONS = ("--numstat", "--diff-merges=remerge")


@dataclass
class IngestResult:
    total: int = 0  # commits in the history
    imported: int = 0
    skipped: int = 0  # imported before
    merges_skipped: int = 0  # merges that changed nothing of their own
    without_lines: int = 0  # imported without line counts (missing objects, shallow boundary)
    co_authors: int = 0
    new_agents: int = 0
    notes: list[str] = field(default_factory=list)


Progress = Callable[[IngestResult], None]


def _git(path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603 - fixed program, arguments are ours
        [*GIT, "-C", str(path), *args],
        capture_output=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )


def _check_repository(path_text: str, rev: str) -> tuple[Path, str | None]:
    """The repository's path and the commit `rev` names (None for an empty repository)."""
    path = Path(path_text).expanduser()
    if not path.is_dir():
        raise Invalid.field("path", f"{path_text} is not a directory.")
    if _git(path, "rev-parse", "--git-dir").returncode != 0:
        raise Invalid.field("path", f"{path_text} is not a git repository.")
    if rev.startswith("-") or not rev.strip():
        raise Invalid.field("rev", "Name a branch, tag or commit.")
    found = _git(path, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if found.returncode != 0:
        if rev == "HEAD" and _git(path, "rev-list", "-n", "1", "--all").stdout.strip() == b"":
            return path, None
        raise Invalid.field("rev", f"{rev} names no commit in {path_text}.")
    return path, found.stdout.decode().strip()


def _shallow_boundary(path: Path) -> set[str]:
    """Commits whose parents a shallow clone lacks: git diffs them against nothing, so their
    line counts would be the whole tree."""
    found = _git(path, "rev-parse", "--git-path", "shallow")
    shallow = (path / found.stdout.decode().strip()) if found.returncode == 0 else None
    if shallow is None or not shallow.is_file():
        return set()
    return {line.strip() for line in shallow.read_text().splitlines() if line.strip()}


class _Pipe:
    """`git log` running, its output drained by a thread into a bounded queue."""

    def __init__(self, path: Path, *args: str) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed program, arguments are ours
            [*GIT, "-C", str(path), "log", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **GIT_ENV},
        )
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=256)
        self.stderr = b""
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        assert self.process.stdout is not None  # noqa: S101 - stdout=PIPE above
        fd = self.process.stdout.fileno()
        while chunk := os.read(fd, CHUNK):
            self.chunks.put(chunk)
        self.chunks.put(None)

    def read(self) -> Iterator[bytes]:
        while (chunk := self.chunks.get()) is not None:
            yield chunk

    def close(self) -> bool:
        """Wait for git; whether it succeeded."""
        if self.process.poll() is None:
            self.process.kill()
        assert self.process.stderr is not None  # noqa: S101 - stderr=PIPE above
        self.stderr = self.process.stderr.read()
        self.process.wait()
        self.reader.join()
        return self.process.returncode == 0

    def kill(self) -> None:
        self.process.kill()
        # Unblock the reader if the queue is full.
        while self.reader.is_alive():
            with contextlib.suppress(queue.Empty):
                self.chunks.get(timeout=0.1)
        self.process.wait()


def _logged(path: Path, sha: str, *, counted: bool) -> Iterator[gh.LoggedCommit]:
    """The history from `sha`, newest first. With `counted`, git counts lines; if it stops at a
    missing object, the commits it completed are yielded and `_MissingObjects` is raised."""
    args = [f"--format={gh.LOG_FORMAT}", *LOG_OPTIONS]
    if counted:
        args.extend(COUNT_OPTIONS)
    pipe = _Pipe(path, *args, sha, "--")
    reader = gh.LogReader(counted=counted)
    try:
        for chunk in pipe.read():
            yield from reader.feed(chunk)
    except BaseException:
        pipe.kill()
        raise
    if pipe.close():
        yield from reader.finish()
        return
    message = pipe.stderr.decode("utf-8", "replace").strip().splitlines()
    raise _MissingObjects(message[-1] if message else "git log failed")


class _MissingObjects(Exception):
    pass


def _count_lines(path: Path, sha: str) -> tuple[int, int] | None:
    shown = _git(path, "show", "--format=", *LOG_OPTIONS, *COUNT_OPTIONS, sha, "--")
    if shown.returncode != 0:
        return None
    added = removed = 0
    for line in shown.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3:
            added += int(parts[0]) if parts[0].isdigit() else 0
            removed += int(parts[1]) if parts[1].isdigit() else 0
    return added, removed


def _history(path: Path, sha: str, result: IngestResult) -> Iterator[gh.LoggedCommit]:
    """Every commit with its line counts where the repository has what it takes to count them:
    one `git log --numstat`; if that stops at a missing object, the rest without counts, each
    counted on its own while that still works."""
    done: set[str] = set()
    try:
        for commit in _logged(path, sha, counted=True):
            done.add(commit.sha)
            yield commit
        return
    except _MissingObjects as problem:
        result.notes.append(f"git could not count every commit's lines ({problem}).")
    failures = 0
    for commit in _logged(path, sha, counted=False):
        if commit.sha in done:
            continue
        counts = _count_lines(path, commit.sha) if failures < MAX_FAILED_COUNTS else None
        failures = 0 if counts else failures + 1
        if counts is None:
            yield commit
        else:
            yield gh.LoggedCommit(
                commit.sha, commit.author, commit.authored_at, commit.parents,
                commit.co_authors, commit.subject, counts[0], counts[1],
            )  # fmt: skip


class Mailmap:
    """git applies the .mailmap to authors (`%aN`, `%aE`) but not to trailers: co-authors are
    looked up with `git check-mailmap`, each contact once per import."""

    BATCH = 200  # contacts per git call

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: dict[gh.Contact, gh.Contact] = {}

    def co_authors(self, batch: list[gh.LoggedCommit]) -> list[gh.LoggedCommit]:
        wanted = sorted(
            {c for commit in batch for c in commit.co_authors if c.email} - self.known.keys(),
            key=lambda c: (c.email, c.name),
        )
        for start in range(0, len(wanted), self.BATCH):
            self._look_up(wanted[start : start + self.BATCH])
        if not any(commit.co_authors for commit in batch):
            return batch
        return [
            replace(commit, co_authors=tuple(self.known.get(c, c) for c in commit.co_authors))
            for commit in batch
        ]

    def _look_up(self, contacts: list[gh.Contact]) -> None:
        found = _git(self.path, "check-mailmap", *(f"{c.name} <{c.email}>" for c in contacts))
        lines = found.stdout.decode("utf-8", "replace").splitlines()
        if found.returncode != 0 or len(lines) != len(contacts):
            lines = []  # git refused one of them: keep these contacts as they were written
        for contact, line in zip(contacts, lines, strict=False):
            self.known[contact] = gh.parse_contact(line) or contact
        for contact in contacts:
            self.known.setdefault(contact, contact)


def _batches(commits: Iterable[gh.LoggedCommit]) -> Iterator[list[gh.LoggedCommit]]:
    batch: list[gh.LoggedCommit] = []
    for commit in commits:
        batch.append(commit)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class Identities:
    """Agents by email and by full name, looked up once and created when new."""

    def __init__(self) -> None:
        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.created = 0

    def resolve(self, contacts: Iterable[gh.Contact]) -> dict[gh.Contact, int]:
        contacts = set(contacts)
        self._load(contacts)
        found: dict[gh.Contact, int] = {}
        aliases: list[Alias] = []
        now = clock.now()
        for contact in sorted(contacts, key=lambda c: (c.email, c.name)):
            email, name = gh.email_key(contact.email), gh.name_key(contact.name)
            agent_id = self.by_email.get(email) if email else None
            if agent_id is None and name:
                agent_id = self.by_name.get(name)
            if agent_id is None:
                agent_id = self._create(contact, now)
            if email and email not in self.by_email:
                self.by_email[email] = agent_id
                aliases.append(Alias(kind="email", value=email, display=contact.email,
                                     agent_id=agent_id, created_at=now))  # fmt: skip
            if name and name not in self.by_name:
                self.by_name[name] = agent_id
                aliases.append(Alias(kind="name", value=name, display=contact.name,
                                     agent_id=agent_id, created_at=now))  # fmt: skip
            found[contact] = agent_id
        Alias.objects.bulk_create(aliases)
        return found

    def _load(self, contacts: set[gh.Contact]) -> None:
        emails = {gh.email_key(c.email) for c in contacts} - self.by_email.keys() - {""}
        names = {n for c in contacts if (n := gh.name_key(c.name))} - self.by_name.keys()
        for kind, wanted, into in (("email", emails, self.by_email), ("name", names, self.by_name)):
            if wanted:
                rows = Alias.objects.filter(kind=kind, value__in=wanted)
                # An agent merged into a claimant's answers for the claimant.
                for value, agent_id, merged in rows.values_list(
                    "value", "agent_id", "agent__merged_into_id"
                ):
                    into[value] = merged or agent_id

    def _create(self, contact: gh.Contact, now: datetime) -> int:
        for candidate in gh.agent_name_candidates(contact):
            if not Agent.objects.filter(name=candidate).exists():
                agent = Agent.objects.create(
                    name=candidate,
                    display_name=contact.name[:200] or candidate,
                    type=Agent.Type.PERSON,
                    created_at=now,
                )
                self.created += 1
                return agent.pk
        raise AssertionError("unreachable: candidates are endless")  # pragma: no cover


_CONTRIBUTION = ("commons_id", "contributor_id", "action", "quantity", "unit", "description",
                 "evidence_url", "occurred_at", "stream", "status", "reason", "created_at",
                 "decided_at", "source")  # fmt: skip
_COMMIT = ("commons_id", "sha", "author_id", "author_email", "authored_at", "added", "removed",
           "co_authors", "merge", "imported_at")  # fmt: skip


def _write(
    actor: Agent,
    commons: Commons,
    batch: list[gh.LoggedCommit],
    identities: Identities,
    boundary: set[str],
    result: IngestResult,
) -> None:
    with transaction.atomic():
        known = set(
            Commit.objects.filter(commons=commons, sha__in=[c.sha for c in batch]).values_list(
                "sha", flat=True
            )
        )
        fresh = []
        for commit in batch:
            if commit.sha in known:
                result.skipped += 1
            elif commit.merge and not commit.added and not commit.removed:
                result.merges_skipped += 1  # a merge that changed nothing of its own
            else:
                fresh.append(commit)
        if not fresh:
            return
        agents = identities.resolve(
            contact for commit in fresh for contact in (commit.author, *commit.co_authors)
        )
        now = clock.now()
        contributions, commits = [], []
        credited: Counter[int] = Counter()
        for commit in fresh:
            counted = commit.added is not None and commit.sha not in boundary
            if not counted:
                result.without_lines += 1
            author = agents[commit.author]
            people = [author]
            for contact in commit.co_authors:
                if agents[contact] not in people:
                    people.append(agents[contact])
            lines = f", +{commit.added} −{commit.removed} lines" if counted else ""
            for person in people:
                role = "" if person == author else " (co-author)"
                contributions.append((
                    commons.pk, person, Action.PRODUCE.value, 1, "commit",
                    f"Commit {commit.sha[:12]}{role}: {commit.subject}{lines}"[:2000], "",
                    commit.authored_at, Stream.LIVELIHOOD.value, Status.ACCEPTED.value, "", now,
                    now, f"git:{commit.sha}",
                ))  # fmt: skip
                credited[person] += 1
            result.co_authors += len(people) - 1
            commits.append((
                commons.pk, commit.sha, author, commit.author.email, commit.authored_at,
                commit.added if counted else None, commit.removed if counted else None,
                len(people) - 1, commit.merge, now,
            ))  # fmt: skip
        bulk.insert(Contribution, _CONTRIBUTION, contributions)
        bulk.insert(Commit, _COMMIT, commits)
        _add_totals(commons, credited)
        shas = "\n".join(commit.sha for commit in fresh)
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "history.imported",
            actor.name,
            {
                "commits": len(fresh),
                "newest": fresh[0].sha,
                "oldest": fresh[-1].sha,
                "shas_sha256": hashlib.sha256(shas.encode()).hexdigest(),
                "co_authors": sum(len(c.co_authors) for c in fresh),
            },
        )
        result.imported += len(fresh)


def _add_totals(commons: Commons, credited: Counter[int]) -> None:
    """Add the batch's commits to each person's total: plain UPDATEs run with executemany.
    bulk_update builds a CASE with one branch per row, which costs more than the batch's own
    inserts, and more the more authors a batch has."""
    known = set(
        ContributorTotal.objects.filter(
            commons=commons, unit="commit", agent_id__in=list(credited)
        ).values_list("agent_id", flat=True)
    )
    q = connection.ops.quote_name
    table, count, quantity = q(ContributorTotal._meta.db_table), q("count"), q("quantity")
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {count} = {count} + %s, {quantity} = {quantity} + %s "  # noqa: S608
            "WHERE commons_id = %s AND agent_id = %s AND unit = %s",
            [(n, n, commons.pk, a, "commit") for a, n in credited.items() if a in known],
        )
    ContributorTotal.objects.bulk_create(
        ContributorTotal(commons=commons, agent_id=agent, unit="commit", quantity=n, count=n)
        for agent, n in credited.items()
        if agent not in known
    )


def ingest_git(
    *,
    actor: Agent,
    commons: Commons,
    path: str,
    rev: str = "HEAD",
    progress: Progress | None = None,
) -> IngestResult:
    """Import the history of the repository at `path` (from `rev`) into `commons`: one
    accepted `produce` contribution per commit for its author and for each co-author. Only a
    maintainer of the commons may. Re-running imports only what is new."""
    if not is_maintainer(actor, commons):
        raise Forbidden(f"Only maintainers of {commons.slug} can import its history.")
    repository, sha = _check_repository(path, rev)
    result = IngestResult()
    if sha is None:
        result.notes.append("The repository has no commits yet: nothing to import.")
        return result
    counted = _git(repository, "rev-list", "--count", sha, "--")
    result.total = int(counted.stdout or 0) if counted.returncode == 0 else 0
    boundary = _shallow_boundary(repository)
    if boundary:
        result.notes.append(
            "This is a shallow clone: its oldest commits are imported without line counts, and "
            "the history before them is not here to import."
        )
    identities = Identities()
    mailmap = Mailmap(repository)
    for batch in _batches(_history(repository, sha, result)):
        _write(actor, commons, mailmap.co_authors(batch), identities, boundary, result)
        if progress is not None:
            progress(result)
    result.new_agents = identities.created
    if result.without_lines:
        result.notes.append(
            f"{result.without_lines} commit(s) imported without line counts: the repository "
            "lacks the objects to count them."
        )
    return result


# --- claiming imported identities -----------------------------------------------------------

CLAIM_PREFIX = "claim_"
CLAIM_VALIDITY = timedelta(hours=24)
MAX_CLAIM_TOKEN = 100  # a real token has 49 characters; anything much longer is not one
MAX_EMAIL = 254


@dataclass(frozen=True)
class ClaimResult:
    email: str
    agents: list[Agent]  # merged into the claimant
    contributions: int  # moved to the claimant
    duplicates: int  # dropped: the claimant was already credited for the same imported work
    commits: int  # authored commits moved to the claimant
    aliases: int  # names and emails moved to the claimant


def _require_claimant(agent: Agent) -> None:
    if agent.is_organisation or agent.user_id is None:
        raise Forbidden("Only a person with an account can claim identities.")


def _address(text: str) -> str | None:
    """An address as histories write it (git takes "ada@localhost" as well as any other), as
    the key aliases use; None when it is not one."""
    local, at, host = text.rpartition("@")
    if not at or not local or not host or len(text) > MAX_EMAIL:
        return None
    if any(c.isspace() or not c.isprintable() for c in text):  # NUL, escapes, line breaks
        return None
    return gh.email_key(text)


def _claimed_email(raw: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise Invalid.field("email", "Enter the email address to claim.")
    key = _address(text)
    if key is None:
        raise Invalid.field("email", "Enter an email address as it appears in the history.")
    return key


def _claimable(claimant: Agent, email: str, *, lock: bool = False) -> list[Agent]:
    """The agents without an account that imported histories know by `email`. Refuses an
    address that is already the claimant's, or another account holder's: only identities
    nobody has claimed can be claimed."""
    rows = Agent.objects.filter(aliases__kind=Alias.Kind.EMAIL, aliases__value=email)
    if lock:
        rows = rows.select_for_update(of=("self",))
    agents = list(rows.order_by("pk"))
    if not agents:
        raise Invalid.field("email", "No imported history has this address.")
    for agent in agents:
        owner = agent.merged_into_id or agent.pk
        if owner == claimant.pk:
            raise Conflict("This address is already yours.")
        if agent.merged_into_id is not None or agent.user_id is not None or agent.is_organisation:
            raise Conflict("This address belongs to an account: it cannot be claimed.")
    return agents


def claim_request(*, claimant: Agent, email: str) -> str:
    """Start claiming the imported identities of `email`: returns a token, valid for
    `CLAIM_VALIDITY`, that the owner of that address gives back to `claim_confirm`. Only its
    digest is kept, and the log names who claims which identities, never the address."""
    _require_claimant(claimant)
    key = _claimed_email(email)
    agents = _claimable(claimant, key)
    token = CLAIM_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + CLAIM_VALIDITY
    with transaction.atomic():
        ClaimToken.objects.create(
            digest=token_digest(token),
            email=key,
            claimant=claimant,
            created_at=now,
            expires_at=expires,
        )
        eventlog.append(
            eventlog.INSTANCE_STREAM,
            "identity.claim_requested",
            claimant.name,
            {
                "claimant": claimant.name,
                "identities": [agent.name for agent in agents],
                "expires_at": expires.isoformat(timespec="seconds"),
            },
        )
    return token


def claim_confirm(*, claimant: Agent, token: str) -> ClaimResult:
    """Finish a claim: every agent without an account known by the token's email is merged
    into the claimant. Its contributions, authored commits and aliases move to the claimant,
    its totals are added to the claimant's, and it points at the claimant (`merged_into`). Its
    ledger postings stay where they are (they are append-only); the claimant's wallet shows
    them. The token must be the claimant's, unused and unexpired; it is then used up."""
    _require_claimant(claimant)
    text = (token or "").strip()
    if not text:
        raise Invalid.field("token", "Enter the token you were given.")
    if len(text) > MAX_CLAIM_TOKEN or not text.isascii():
        raise Invalid.field("token", "This token is not valid.")
    with transaction.atomic():
        row = ClaimToken.objects.select_for_update().filter(digest=token_digest(text)).first()
        if row is None:
            raise Invalid.field("token", "This token is not valid.")
        if row.claimant_id != claimant.pk:
            raise Forbidden("This token was given to someone else.")
        if row.used_at is not None:
            raise Conflict("This token was already used.")
        now = clock.now()
        if row.expires_at <= now:
            raise Invalid.field("token", "This token has expired: ask for a new one.")
        agents = _claimable(claimant, row.email, lock=True)
        moved = duplicates = commits = aliases = 0
        for agent in agents:
            counts = _merge(agent, claimant)
            moved += counts[0]
            duplicates += counts[1]
            commits += counts[2]
            aliases += counts[3]
        row.used_at = now
        row.save(update_fields=["used_at"])
        eventlog.append(
            eventlog.INSTANCE_STREAM,
            "identity.claimed",
            claimant.name,
            {
                "claimant": claimant.name,
                "merged": [agent.name for agent in agents],
                "contributions": moved,
                "duplicates": duplicates,
                "commits": commits,
                "aliases": aliases,
            },
        )
    return ClaimResult(row.email, agents, moved, duplicates, commits, aliases)


def _merge(agent: Agent, claimant: Agent) -> tuple[int, int, int, int]:
    """Move what `agent` holds to `claimant`: (contributions moved, duplicates dropped,
    commits, aliases)."""
    # The same imported work credited to both (one person as author and co-author of a commit
    # under two addresses): the import credits a person once per commit, so the merged
    # agent's copy goes, and its commit has one co-author fewer.
    same = Contribution.objects.filter(
        contributor=claimant, commons=OuterRef("commons"), source=OuterRef("source")
    )
    twins = list(
        Contribution.objects.filter(contributor=agent)
        .exclude(source="")
        .filter(Exists(same))
        .values_list("pk", "commons_id", "source", "status", "unit", "quantity")
    )
    dropped: dict[tuple[int, str], tuple[int, Decimal]] = {}
    for _, commons_id, source, status, unit, quantity in twins:
        if status == Status.ACCEPTED.value:
            count, total = dropped.get((commons_id, unit), (0, Decimal(0)))
            dropped[commons_id, unit] = (count + 1, total + quantity)
        if source.startswith("git:"):
            Commit.objects.filter(commons_id=commons_id, sha=source[4:], co_authors__gt=0).update(
                co_authors=F("co_authors") - 1
            )
    Contribution.objects.filter(pk__in=[twin[0] for twin in twins]).delete()
    moved = Contribution.objects.filter(contributor=agent).update(contributor=claimant)
    commits = Commit.objects.filter(author=agent).update(author=claimant)
    aliases = Alias.objects.filter(agent=agent).update(agent=claimant)
    _fold_totals(agent, claimant, dropped)
    Agent.objects.filter(pk=agent.pk).update(merged_into=claimant)
    agent.merged_into = claimant
    return moved, len(twins), commits, aliases


def _fold_totals(
    agent: Agent, claimant: Agent, dropped: dict[tuple[int, str], tuple[int, Decimal]]
) -> None:
    """Add the merged agent's totals (less the duplicates dropped) to the claimant's: summed
    where the claimant has a row for the same commons and unit, re-pointed where not."""
    theirs = list(ContributorTotal.objects.select_for_update().filter(agent=agent))
    mine = {
        (row.commons_id, row.unit): row
        for row in ContributorTotal.objects.select_for_update().filter(
            agent=claimant, commons_id__in={row.commons_id for row in theirs}
        )
    }
    summed, repointed, emptied = [], [], []
    for row in theirs:
        count, quantity = dropped.get((row.commons_id, row.unit), (0, Decimal(0)))
        row.count -= count
        row.quantity -= quantity
        target = mine.get((row.commons_id, row.unit))
        if target is not None:
            target.count += row.count
            target.quantity += row.quantity
            summed.append(target)
            emptied.append(row.pk)
        elif row.count <= 0:
            emptied.append(row.pk)
        else:
            row.agent = claimant
            repointed.append(row)
    ContributorTotal.objects.filter(pk__in=emptied).delete()
    ContributorTotal.objects.bulk_update(summed, ["count", "quantity"])
    ContributorTotal.objects.bulk_update(repointed, ["agent", "count", "quantity"])


# --- affiliations: who pays for the work done from an email domain ----------------------------

DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
MAX_DOMAIN = 253


def _rule_domain(raw: str, errors: FieldErrors) -> str:
    text = (raw or "").strip().lower().rstrip(".")
    labels = text.split(".")
    if not text:
        errors.add("domain", "Enter a domain, such as example.org.")
    elif len(text) > MAX_DOMAIN or len(labels) < 2 or not all(map(DOMAIN_LABEL.fullmatch, labels)):
        errors.add(
            "domain", "Enter a domain such as example.org (an international name in its xn-- form)."
        )
    return text


def _open_to_anyone(domain: str) -> bool:
    return domain in gh.FREE_MAIL or any(
        domain == d or domain.endswith("." + d) for d in gh.NOREPLY
    )


def _rule_person(email: str) -> str | None:
    """The name of the agent an address belongs to in imported histories: the log names the
    person a rule is about, never their address."""
    found = (
        Alias.objects.filter(kind=Alias.Kind.EMAIL, value=email)
        .select_related("agent__merged_into")
        .first()
    )
    if found is None:
        return None
    return found.agent.merged_into.name if found.agent.merged_into else found.agent.name


def _affiliation_data(row: Affiliation) -> dict[str, Any]:
    return {
        "id": row.pk,
        "domain": row.domain,
        "scope": "address" if row.email else "domain",
        "person": _rule_person(row.email) if row.email else None,
        "kind": row.kind,
        "organisation": row.organisation.name if row.organisation else None,
        "since": row.since.isoformat() if row.since else None,
        "until": row.until.isoformat() if row.until else None,
    }


def affiliation_set(
    *,
    actor: Agent,
    commons: Commons,
    domain: str = "",
    kind: str,
    organisation: Agent | None = None,
    email: str = "",
    since: date | None = None,
    until: date | None = None,
) -> tuple[Affiliation, bool]:
    """Say who pays for work done from `domain` (or from one `email` address, whose domain is
    then the default), optionally only from `since` to `until` (inclusive): an organisation
    (`paid`) or nobody (`volunteer`). A rule for the same domain, address and period is
    replaced. Maintainers only. Returns the rule and whether it is new."""
    if not is_maintainer(actor, commons):
        raise Forbidden(f"Only maintainers of {commons.slug} can edit its affiliations.")
    errors = FieldErrors()
    typed = (email or "").strip()
    found = _address(typed) if typed else ""
    if found is None:
        errors.add("email", "Enter an email address, such as ada@example.org.")
    address = found or ""
    domain_text = (domain or "").strip() or gh.email_domain(address)
    # A mistyped address with no domain: its own error is enough.
    key = _rule_domain(domain_text, errors) if domain_text or found is not None else ""
    if address and "domain" not in errors.errors:
        own = gh.email_domain(address)
        if own != key and not own.endswith("." + key):
            errors.add("email", f"This address is not at {key}.")
    if not typed and "domain" not in errors.errors and _open_to_anyone(key):
        errors.add(
            "domain",
            f"Anyone can have an address at {key}: set a rule for one person's address instead.",
        )
    if kind not in Affiliation.Kind.values:
        errors.add("kind", "Choose paid or volunteer.")
    elif kind == Affiliation.Kind.PAID and organisation is None:
        errors.add("organisation", "Name the organisation that pays for this work.")
    elif kind == Affiliation.Kind.VOLUNTEER and organisation is not None:
        errors.add("organisation", "Volunteer work is paid by no organisation: leave it empty.")
    if organisation is not None and not organisation.is_organisation:
        errors.add("organisation", f"{organisation.name} is a person, not an organisation.")
    if since is not None and until is not None and since > until:
        errors.add("until", "The period ends before it starts.")
    errors.raise_if_any()
    with transaction.atomic():
        # The commons' lock: two maintainers setting the same rule at once make one row.
        Commons.objects.select_for_update().filter(pk=commons.pk).first()
        row = Affiliation.objects.filter(
            commons=commons, domain=key, email=address, since=since, until=until
        ).first()
        created = row is None
        if row is None:
            row = Affiliation(commons=commons, domain=key, email=address, since=since, until=until)
        row.kind = kind
        row.organisation = organisation
        row.created_by = actor
        row.created_at = clock.now()
        row.save()
        eventlog.append(
            eventlog.commons_stream(commons.slug),
            "history.affiliation_set",
            actor.name,
            {**_affiliation_data(row), "replaced": not created},
        )
    return row, created


def affiliation_remove(*, actor: Agent, affiliation: Affiliation) -> None:
    """Remove a rule of a commons' affiliation map. Maintainers only."""
    commons = affiliation.commons
    if not is_maintainer(actor, commons):
        raise Forbidden(f"Only maintainers of {commons.slug} can edit its affiliations.")
    with transaction.atomic():
        data = _affiliation_data(affiliation)
        deleted, _ = Affiliation.objects.filter(pk=affiliation.pk).delete()
        if not deleted:
            raise NotFound("This affiliation was already removed.")
        eventlog.append(
            eventlog.commons_stream(commons.slug), "history.affiliation_removed", actor.name, data
        )
