"""Importing git histories built in the test with real `git` commands."""

from __future__ import annotations

import shutil
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from communs.accounts.models import Agent
from communs.commons.models import Commons, Contribution, ContributorTotal
from communs.core import eventlog
from communs.core.models import Event
from communs.domain.errors import Forbidden, Invalid
from communs.history import services
from communs.history.models import Alias, Commit
from communs.history.services import IngestResult

from .conftest import ADA, Repo

pytestmark = pytest.mark.django_db

MakeRepo = Callable[..., Repo]
Snapshot = Callable[[], dict[str, Any]]

GRACE = ("Grace Hopper", "grace@navy.example")
LINUS = ("Linus Torvalds", "linus@kernel.example")
ROOT_ONE = ("root", "root@host-one.example")
ROOT_TWO = ("root", "root@host-two.example")


def ingest(actor: Agent, commons: Commons, repo: Repo | Path, **options: Any) -> IngestResult:
    path = repo if isinstance(repo, Path) else repo.path
    return services.ingest_git(actor=actor, commons=commons, path=str(path), **options)


def agent_of(email: str) -> int:
    return Alias.objects.get(kind="email", value=email.lower()).agent_id


def commits_by_sha(commons: Commons) -> dict[str, Commit]:
    return {c.sha: c for c in Commit.objects.filter(commons=commons)}


def credited(commons: Commons) -> Counter[int]:
    return Counter(
        Contribution.objects.filter(commons=commons).values_list("contributor_id", flat=True)
    )


def totals(commons: Commons) -> dict[int, int]:
    rows = ContributorTotal.objects.filter(commons=commons, unit="commit")
    return {row.agent_id: row.count for row in rows}


def imported_events(commons: Commons) -> list[Event]:
    stream = eventlog.commons_stream(commons.slug)
    events = Event.objects.filter(stream_id=stream).order_by("seq")
    return [event for event in events if event.kind == "history.imported"]


def numstat(repo: Repo, sha: str) -> tuple[int, int]:
    """What git itself counts for one commit (a merge: what it changed of its own)."""
    shown = repo.run("show", "--format=", "--numstat", "--diff-merges=remerge", sha)
    rows = [line.split("\t") for line in shown.splitlines() if line.count("\t") >= 2]
    return sum(int(r[0]) for r in rows), sum(int(r[1]) for r in rows)


def build_team(make_repo: MakeRepo) -> Repo:
    """Ada under two emails made one by the .mailmap; Grace under a single-word name the
    .mailmap completes, at another email; Linus under two spellings of his name at two
    emails; two different `root`s; a commit with a co-author; a clean merge."""
    repo = make_repo()
    repo.commit(
        "Mailmap",
        files={
            ".mailmap": "Ada Lovelace <ada@example.org> <ada@old.example>\n"
            "Grace Hopper <grace@home.example>\n"
        },
    )
    repo.commit(author=("ada", "ada@old.example"))
    repo.commit(author=("Ada L.", "ada@old.example"))
    repo.commit(author=GRACE)
    repo.commit(author=GRACE)
    repo.commit(author=("grace", "grace@home.example"))
    repo.commit(author=LINUS)
    repo.commit(author=("linus  TORVALDS", "lt@home.example"))
    repo.commit(author=("Linus Torvalds", "LT@home.example"))
    repo.commit(author=ROOT_ONE)
    repo.commit(author=ROOT_TWO)
    repo.commit(author=ROOT_TWO)
    repo.run("checkout", "-q", "-b", "feature")
    repo.commit("Pair work", author=LINUS, co_authors=["Ada Lovelace <ada@example.org>"])
    repo.run("checkout", "-q", "main")
    repo.commit(author=ADA)
    repo.merge("feature")
    return repo


def shortlog_people(repo: Repo) -> dict[frozenset[str], int]:
    """shortlog's lines grouped the way the import tells people apart: one person per email
    (whatever its case), and per name of two words or more (whatever its case and spacing)."""
    groups: list[tuple[set[str], set[str], int]] = []
    for count, name, email in repo.shortlog():
        words = name.casefold().split()
        emails, names = {email.lower()}, ({" ".join(words)} if len(words) > 1 else set())
        for group in [g for g in groups if g[0] & emails or g[1] & names]:
            groups.remove(group)
            emails, names, count = emails | group[0], names | group[1], count + group[2]
        groups.append((emails, names, count))
    return {frozenset(emails): count for emails, _, count in groups}


# --- what is imported ---------------------------------------------------------------------------


def test_commits_per_person_match_git_shortlog(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = build_team(make_repo)
    expected = shortlog_people(repo)
    assert sorted(expected.values()) == [1, 2, 3, 4, 4]  # the history is what the test means

    ingest(alice, seed_library, repo)

    by_author = Counter(
        Commit.objects.filter(commons=seed_library, merge=False).values_list("author", flat=True)
    )
    emails: dict[int, set[str]] = {}
    for agent, value in Alias.objects.filter(kind="email").values_list("agent", "value"):
        emails.setdefault(agent, set()).add(value)
    assert {frozenset(emails[agent]): n for agent, n in by_author.items()} == expected


def test_each_commit_is_an_accepted_contribution_at_its_author_date(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    first = repo.commit("Add seeds", files={"seeds.txt": "a\nb\nc\n"})
    second = repo.commit("Trim seeds", author=GRACE, files={"seeds.txt": "a\nB\n"})

    result = ingest(alice, seed_library, repo)

    assert (result.total, result.imported, result.skipped, result.new_agents) == (2, 2, 0, 2)
    assert result.notes == []
    rows = {c.source: c for c in Contribution.objects.filter(commons=seed_library)}
    assert set(rows) == {f"git:{first}", f"git:{second}"}
    trim = rows[f"git:{second}"]
    assert trim.contributor_id == agent_of(GRACE[1])
    assert (trim.action, trim.quantity, trim.unit) == ("produce", 1, "commit")
    assert (trim.status, trim.stream) == ("accepted", "livelihood")
    assert trim.decided_at is not None
    assert trim.description == f"Commit {second[:12]}: Trim seeds, +1 −2 lines"
    commits = commits_by_sha(seed_library)
    assert (commits[first].added, commits[first].removed) == (3, 0)
    assert (commits[second].added, commits[second].removed) == (1, 2)
    assert commits[second].author_email == GRACE[1]
    for sha, commit in commits.items():
        authored = int(repo.run("show", "-s", "--format=%at", sha))
        assert commit.authored_at.timestamp() == authored
        assert rows[f"git:{sha}"].occurred_at == commit.authored_at
    grace = Agent.objects.get(pk=agent_of(GRACE[1]))
    assert grace.user is None
    assert grace.type == "person"
    assert (grace.name, grace.display_name) == ("grace-hopper", "Grace Hopper")


def test_a_branch_or_tag_imports_its_own_history(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    base = repo.commit()
    repo.run("tag", "v1")
    repo.commit()
    repo.run("checkout", "-q", "-b", "side", base)
    side = repo.commit(author=GRACE)

    assert ingest(alice, seed_library, repo, rev="v1").imported == 1
    assert set(commits_by_sha(seed_library)) == {base}
    assert ingest(alice, seed_library, repo, rev="side").imported == 1
    assert set(commits_by_sha(seed_library)) == {base, side}


def test_re_import_adds_nothing_and_new_commits_add_exactly_themselves(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons, snapshot: Snapshot
) -> None:
    repo = build_team(make_repo)
    first = ingest(alice, seed_library, repo)
    before = snapshot()

    again = ingest(alice, seed_library, repo)

    assert snapshot() == before
    assert (again.imported, again.skipped, again.new_agents) == (0, first.imported, 0)
    assert again.merges_skipped == first.merges_skipped == 1

    new = [repo.commit(author=GRACE), repo.commit(author=("Hedy Lamarr", "hedy@example.org"))]
    later = ingest(alice, seed_library, repo)

    assert (later.imported, later.new_agents) == (2, 1)
    after = snapshot()
    assert after["commits"] == before["commits"] + 2
    assert after["contributions"] == before["contributions"] + 2
    assert len(after["agents"]) == len(before["agents"]) + 1
    assert after["events"] == before["events"] + 1
    assert set(commits_by_sha(seed_library)) >= set(new)
    assert Contribution.objects.filter(source__in=[f"git:{sha}" for sha in new]).count() == 2


def test_another_commons_imports_the_same_history_with_the_same_agents(
    make_repo: MakeRepo, alice: Agent, carol: Agent, seed_library: Commons, other_commons: Commons
) -> None:
    repo = build_team(make_repo)
    ingest(alice, seed_library, repo)
    agents = Agent.objects.count()

    result = ingest(carol, other_commons, repo)

    assert result.new_agents == 0
    assert Agent.objects.count() == agents
    assert result.imported == Commit.objects.filter(commons=seed_library).count()
    assert credited(other_commons) == credited(seed_library)
    assert totals(other_commons) == totals(seed_library)


# --- co-authors ---------------------------------------------------------------------------------


def test_co_authors_are_credited_once_each(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    repo.commit(author=GRACE)
    pair = repo.commit(
        "Pair work",
        author=ADA,
        co_authors=[
            "Grace Hopper <grace@navy.example>",
            "Ada Lovelace <ada@example.org>",  # the author herself
            "Ada Lovelace <ADA@Example.org>",
            "Grace Hopper <grace@navy.example>",  # listed twice
            "Hedy Lamarr <hedy@example.org>",
            "Nobody without an address",
        ],
    )

    result = ingest(alice, seed_library, repo)

    assert result.co_authors == 2
    rows = Contribution.objects.filter(commons=seed_library, source=f"git:{pair}")
    assert sorted(rows.values_list("contributor", flat=True)) == sorted(
        [agent_of(ADA[1]), agent_of(GRACE[1]), agent_of("hedy@example.org")]
    )
    assert {row.status for row in rows} == {"accepted"}
    assert [r.description for r in rows if r.contributor_id == agent_of(GRACE[1])] == [
        f"Commit {pair[:12]} (co-author): Pair work, +1 −0 lines"
    ]
    commit = Commit.objects.get(sha=pair)
    assert (commit.author_id, commit.co_authors) == (agent_of(ADA[1]), 2)
    assert credited(seed_library) == Counter(
        {agent_of(ADA[1]): 1, agent_of(GRACE[1]): 2, agent_of("hedy@example.org"): 1}
    )
    assert totals(seed_library) == dict(credited(seed_library))


def test_a_co_author_is_known_by_a_name_used_at_another_address(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    repo.commit(author=GRACE)
    repo.commit(author=ADA, co_authors=["grace  hopper <grace@home.example>"])

    ingest(alice, seed_library, repo)

    assert agent_of("grace@home.example") == agent_of(GRACE[1])
    assert credited(seed_library)[agent_of(GRACE[1])] == 2


def test_a_co_author_trailer_folded_over_two_lines_is_read(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    sha = repo.commit(author=ADA, co_authors=["Grace\n  Hopper <grace@navy.example>"])

    result = ingest(alice, seed_library, repo)

    assert result.imported == 1
    assert result.co_authors == 1
    assert Commit.objects.get(sha=sha).co_authors == 1
    assert Agent.objects.get(pk=agent_of(GRACE[1])).display_name == "Grace Hopper"


# --- identities ---------------------------------------------------------------------------------


def test_one_person_under_several_emails_or_spellings_is_one_agent_with_aliases(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = build_team(make_repo)
    assert "ada <ada@old.example>" in repo.run("log", "--format=%an <%ae>")  # before the mailmap

    ingest(alice, seed_library, repo)

    ada, grace, linus = agent_of(ADA[1]), agent_of(GRACE[1]), agent_of(LINUS[1])
    assert len({ada, grace, linus}) == 3

    def aliases(agent: int) -> set[tuple[str, str]]:
        return set(Alias.objects.filter(agent=agent).values_list("kind", "value"))

    # The mailmap rewrote both name and email of Ada's old address: one email, one name.
    assert aliases(ada) == {("email", "ada@example.org"), ("name", "ada lovelace")}
    # It completed Grace's single-word name, so her other address joins by name.
    assert aliases(grace) == {
        ("email", "grace@navy.example"),
        ("email", "grace@home.example"),
        ("name", "grace hopper"),
    }
    assert aliases(linus) == {
        ("email", "linus@kernel.example"),
        ("email", "lt@home.example"),
        ("name", "linus torvalds"),
    }
    displays = set(Alias.objects.filter(agent=linus).values_list("display", flat=True))
    assert displays >= {"linus@kernel.example", "Linus Torvalds"}


def test_single_word_names_never_merge_different_emails(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = build_team(make_repo)

    ingest(alice, seed_library, repo)

    one, two = agent_of(ROOT_ONE[1]), agent_of(ROOT_TWO[1])
    assert one != two
    assert not Alias.objects.filter(kind="name", value="root").exists()
    names = Agent.objects.filter(pk__in=[one, two]).values_list("name", flat=True)
    assert sorted(names) == ["root", "root-2"]
    assert Counter(Commit.objects.values_list("author", flat=True))[two] == 2


def test_an_agent_name_already_taken_gets_a_suffix(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    repo.commit(author=("Alice", "alice@elsewhere.example"))

    ingest(alice, seed_library, repo)

    imported = Agent.objects.get(pk=agent_of("alice@elsewhere.example"))
    assert imported != alice
    assert imported.name == "alice-2"


def test_an_agent_merged_into_a_claimant_answers_for_the_claimant(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    repo.commit(author=GRACE)
    ingest(alice, seed_library, repo)
    imported = Agent.objects.get(pk=agent_of(GRACE[1]))
    claimant = Agent.objects.create(
        name="grace-account", display_name="Grace", type="person", created_at=imported.created_at
    )
    Agent.objects.filter(pk=imported.pk).update(merged_into=claimant)

    new = repo.commit(author=GRACE)
    result = ingest(alice, seed_library, repo)

    assert result.new_agents == 0
    assert Commit.objects.get(sha=new).author_id == claimant.pk


# --- merges -------------------------------------------------------------------------------------


def test_a_clean_merge_is_not_counted_and_a_resolved_conflict_is(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    repo.commit("Base", files={"x.txt": "one\ntwo\nthree\n"})
    repo.run("checkout", "-q", "-b", "feature")
    repo.commit("Feature", author=GRACE, files={"y.txt": "y\n"})
    repo.run("checkout", "-q", "main")
    repo.commit("Main", files={"z.txt": "z\n"})
    clean = repo.merge("feature")
    repo.run("checkout", "-q", "-b", "left")
    repo.commit("Left", author=GRACE, files={"x.txt": "one\ntwo (left)\nthree\n"})
    repo.run("checkout", "-q", "main")
    repo.commit("Right", files={"x.txt": "one\ntwo (right)\nthree\n"})
    resolved = repo.merge("left", author=LINUS)
    assert (repo.path / "x.txt").read_text().count("<<<<<<<") == 1  # it did conflict
    resolved = repo.conclude({"x.txt": "one\ntwo (both)\nthree\n"}, author=LINUS)
    assert len(repo.run("show", "-s", "--format=%P", resolved).split()) == 2

    result = ingest(alice, seed_library, repo)

    commits = commits_by_sha(seed_library)
    assert clean not in commits
    assert result.merges_skipped == 1
    assert set(commits) == set(repo.shas("--no-merges")) | {resolved}
    merge = commits[resolved]
    assert merge.merge
    assert merge.author_id == agent_of(LINUS[1])
    assert (merge.added, merge.removed) == numstat(repo, resolved)
    assert merge.added
    assert merge.removed
    assert Contribution.objects.filter(source=f"git:{resolved}").count() == 1
    assert result.total == 7
    assert result.imported == 6


# --- histories that lack objects ----------------------------------------------------------------


def test_a_partial_clone_imports_every_commit_without_line_counts(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    origin = make_repo("origin")
    for person in (ADA, GRACE, ADA, LINUS):
        origin.commit(author=person)
    origin.run("checkout", "-q", "-b", "feature")
    origin.commit(author=GRACE)
    origin.run("checkout", "-q", "main")
    origin.merge("feature")
    origin.run("config", "uploadpack.allowfilter", "true")
    clone = origin.clone(origin.path.parent / "clone", "--filter=blob:none", "--no-checkout")
    shutil.rmtree(origin.path)
    assert clone.missing_objects()  # no blob was fetched

    result = ingest(alice, seed_library, clone)

    non_merges = set(clone.shas("--no-merges"))
    commits = commits_by_sha(seed_library)
    assert set(commits) == non_merges
    assert len(non_merges) == 5
    assert all(c.added is None and c.removed is None for c in commits.values())
    assert result.without_lines == 5
    assert any("5 commit(s) imported without line counts" in note for note in result.notes)
    assert any("could not count" in note for note in result.notes)
    descriptions = Contribution.objects.values_list("description", flat=True)
    assert not any("lines" in text for text in descriptions)
    assert eventlog.verify().ok


def test_a_snapshot_missing_some_blobs_imports_every_commit_with_the_counts_it_can(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    first = repo.commit("First", files={"b.txt": "b1\nb2\nb3\n"})
    second = repo.commit("Second", author=GRACE, files={"a.txt": "lost 1\nlost 2\n"})
    third = repo.commit("Third", files={"a.txt": "kept 1\n"})
    fourth = repo.commit("Fourth", author=LINUS, files={"c.txt": "c\n" * 4})
    lost = repo.run("rev-parse", f"{second}:a.txt").strip()
    assert lost in repo.loose_objects()
    repo.delete_object(lost)

    result = ingest(alice, seed_library, repo)

    commits = commits_by_sha(seed_library)
    assert set(commits) == {first, second, third, fourth}
    # Counted by the log before it stopped at the missing blob, and on its own after.
    assert (commits[fourth].added, commits[fourth].removed) == (4, 0)
    assert (commits[first].added, commits[first].removed) == (3, 0)
    assert (commits[second].added, commits[third].added) == (None, None)
    assert result.without_lines == 2
    assert any("2 commit(s) imported without line counts" in n for n in result.notes)
    descriptions = dict(Contribution.objects.values_list("source", "description"))
    assert descriptions[f"git:{third}"] == f"Commit {third[:12]}: Third"
    assert descriptions[f"git:{first}"].endswith("First, +3 −0 lines")
    assert totals(seed_library) == dict(credited(seed_library))


def test_a_shallow_clone_imports_what_it_has_and_its_boundary_without_counts(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    origin = make_repo("origin")
    for n in range(5):
        origin.commit(f"Commit {n}", author=(ADA, GRACE)[n % 2], files={f"f{n}": "x\n" * (n + 1)})
    clone = origin.clone(origin.path.parent / "clone", "--depth", "3")
    boundary = clone.run("rev-parse", "HEAD~2").strip()

    result = ingest(alice, seed_library, clone)

    commits = commits_by_sha(seed_library)
    assert set(commits) == set(clone.shas())
    assert len(commits) == 3
    assert (result.total, result.imported, result.without_lines) == (3, 3, 1)
    assert (commits[boundary].added, commits[boundary].removed) == (None, None)
    counted = {c.added for sha, c in commits.items() if sha != boundary}
    assert counted == {4, 5}
    assert any("shallow clone" in note for note in result.notes)


# --- names and emails git lets through ----------------------------------------------------------


def stored_text() -> list[str]:
    texts: list[str] = []
    for name, display in Agent.objects.values_list("name", "display_name"):
        texts += [name, display]
    for value, display in Alias.objects.values_list("value", "display"):
        texts += [value, display]
    texts += list(Commit.objects.values_list("author_email", flat=True))
    texts += list(Contribution.objects.values_list("description", flat=True))
    return texts


def test_malformed_and_non_utf8_names_and_emails_import_as_clean_text(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    # git repairs what is not UTF-8 in a commit it makes, reading it as Latin-1…
    latin1 = repo.commit(author=(b"Jos\xe9 Garc\xeda", b"jose@example.org"))
    repo.commit(author=("nobody", "not-an-email"))
    repo.commit(author=("\x1b[31mRed Alert\x1b[0m", "red@example.org"))
    repo.commit(author=("\x7f", ""))  # a name git keeps that is nothing printable, no email
    repo.commit(author=("Zoë Ünïcode", b"zo\xeb@example.org"))
    repo.commit("Subject with \x1b[2J an escape and a bell \x07", author=GRACE)
    # … but commits written by other tools reach the import as they are.
    raw = repo.raw_commit(b"M\xfcller Hans <m\xfcller@example.de> 1704067200 +0000", b"Raw \xff")
    broken = repo.raw_commit(b"Broken <no-closing-bracket 1704067200 +0000", b"Broken ident")

    result = ingest(alice, seed_library, repo)

    assert result.imported == 8 == Commit.objects.count()
    for text in stored_text():
        assert not [c for c in text if unicodedata.category(c) == "Cc"], text
    jose = Agent.objects.get(pk=agent_of("jose@example.org"))
    assert (jose.name, jose.display_name) == ("jose-garcia", "José García")
    assert Commit.objects.get(sha=latin1).author_id == jose.pk
    assert Agent.objects.get(pk=agent_of("not-an-email")).name == "nobody"
    assert Agent.objects.get(pk=agent_of("red@example.org")).display_name == "[31mRed Alert [0m"
    assert Agent.objects.get(pk=agent_of("zoë@example.org")).display_name == "Zoë Ünïcode"
    muller = Commit.objects.get(sha=raw)
    assert muller.author_email == "m\ufffdller@example.de"
    assert muller.author.display_name == "M\ufffdller Hans"
    assert Contribution.objects.get(source=f"git:{raw}").description.endswith(
        "Raw \ufffd, +0 −0 lines"
    )
    nameless = Commit.objects.filter(author_email="")
    assert {c.author.display_name for c in nameless} == {"unknown"}
    assert broken in {c.sha for c in nameless}
    assert nameless.count() == 2


def test_git_separators_in_names_and_subjects_neither_lose_nor_forge_commits(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    odd = repo.commit(author=("Eve\x1eMallory\x1fX\x1dY", "eve@example.org"))
    forged = "c" * 40
    repo.commit(
        f"Innocent\x1e{forged}\x1fVictim Person\x1fvictim@example.org\x1f1\x1f\x1f\x1fforged",
        files={"big.txt": "x\n" * 50},
    )
    repo.commit(author=GRACE)

    result = ingest(alice, seed_library, repo)

    assert result.imported == 3
    assert set(commits_by_sha(seed_library)) == set(repo.shas())
    assert not Alias.objects.filter(value="victim@example.org").exists()
    assert Agent.objects.get(pk=agent_of("eve@example.org")).display_name == "Eve Mallory X Y"
    assert Commit.objects.get(sha=odd).author_email == "eve@example.org"
    assert Commit.objects.filter(added=50).count() == 1


# --- refusals -----------------------------------------------------------------------------------


def test_an_empty_repository_imports_nothing_and_says_so(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons, snapshot: Snapshot
) -> None:
    repo = make_repo()
    before = snapshot()

    result = ingest(alice, seed_library, repo)

    assert (result.total, result.imported) == (0, 0)
    assert result.notes == ["The repository has no commits yet: nothing to import."]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("where", "rev", "field"),
    [
        ("missing", "HEAD", "path"),
        ("plain", "HEAD", "path"),
        ("file", "HEAD", "path"),
        ("repo", "no-such-branch", "rev"),
        ("repo", "0" * 40, "rev"),
        ("repo", "--output=/tmp/x", "rev"),
        ("repo", " ", "rev"),
        ("repo", "HEAD:file.txt", "rev"),  # names a blob, not a commit
        ("empty", "main", "rev"),
    ],
)
def test_what_is_not_a_history_is_refused_and_nothing_is_written(
    make_repo: MakeRepo,
    tmp_path: Path,
    alice: Agent,
    seed_library: Commons,
    snapshot: Snapshot,
    where: str,
    rev: str,
    field: str,
) -> None:
    repo = make_repo()
    repo.commit(files={"file.txt": "x\n"})
    make_repo("empty")
    (tmp_path / "plain").mkdir()
    (tmp_path / "file").write_text("not a directory")
    before = snapshot()

    with pytest.raises(Invalid) as refused:
        ingest(alice, seed_library, tmp_path / where, rev=rev)

    assert list(refused.value.errors) == [field]
    assert snapshot() == before


def test_only_maintainers_may_import(
    make_repo: MakeRepo,
    bob: Agent,
    carol: Agent,
    seed_library: Commons,
    other_commons: Commons,
    snapshot: Snapshot,
) -> None:
    repo = make_repo()
    repo.commit()
    before = snapshot()

    for outsider in (bob, carol):
        with pytest.raises(Forbidden):
            ingest(outsider, seed_library, repo)
    with pytest.raises(Forbidden):  # asked before the path is looked at
        ingest(bob, seed_library, Path("/no/such/repository"))

    assert snapshot() == before


# --- batches, the log, interruptions ------------------------------------------------------------


def test_one_logged_event_per_batch_and_the_log_verifies(
    make_repo: MakeRepo,
    alice: Agent,
    seed_library: Commons,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "BATCH", 3)
    repo = make_repo()
    for n in range(8):
        repo.commit(author=(ADA, GRACE)[n % 2], co_authors=["Linus <linus@kernel.example>"] * n)
    seen: list[int] = []

    result = ingest(alice, seed_library, repo, progress=lambda r: seen.append(r.imported))

    assert seen == [3, 6, 8]
    events = imported_events(seed_library)
    assert len(events) == 3
    assert [e.body["data"]["commits"] for e in events] == [3, 3, 2]
    newest_first = repo.shas()
    assert [e.body["data"]["newest"] for e in events] == newest_first[::3]
    assert [e.body["data"]["oldest"] for e in events] == [newest_first[i] for i in (2, 5, 7)]
    assert {e.body["actor"] for e in events} == {alice.name}
    assert result.co_authors == 7
    assert eventlog.verify().ok


def test_a_batch_with_nothing_new_logs_nothing(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BATCH", 2)
    repo = make_repo()
    for _ in range(3):
        repo.commit()
    ingest(alice, seed_library, repo)
    repo.commit()

    ingest(alice, seed_library, repo)

    assert [e.body["data"]["commits"] for e in imported_events(seed_library)] == [2, 1, 1]
    assert eventlog.verify().ok


class Interrupted(KeyboardInterrupt):
    pass


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_import_keeps_its_batches_and_resumes_without_duplicates(
    make_repo: MakeRepo,
    alice: Agent,
    carol: Agent,
    seed_library: Commons,
    other_commons: Commons,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(services, "BATCH", 2)
    repo = make_repo()
    for n in range(7):
        repo.commit(author=(ADA, GRACE, LINUS)[n % 3], co_authors=["Hedy L <hedy@example.org>"])

    def stop(result: IngestResult) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        ingest(alice, seed_library, repo, progress=stop)

    # The first batch is committed (this test runs outside any transaction).
    assert set(commits_by_sha(seed_library)) == set(repo.shas()[:2])
    assert Contribution.objects.filter(commons=seed_library).count() == 4
    assert len(imported_events(seed_library)) == 1

    resumed = ingest(alice, seed_library, repo)
    clean = ingest(carol, other_commons, repo)

    assert (resumed.imported, resumed.skipped) == (5, 2)
    assert clean.imported == 7
    assert set(commits_by_sha(seed_library)) == set(commits_by_sha(other_commons))
    assert credited(seed_library) == credited(other_commons)
    assert totals(seed_library) == totals(other_commons) == dict(credited(seed_library))
    assert len(imported_events(seed_library)) == len(imported_events(other_commons)) == 4
    assert Contribution.objects.filter(commons=seed_library).count() == 14
    assert eventlog.verify().ok


def test_totals_per_agent_equal_the_commits_credited(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BATCH", 4)
    repo = build_team(make_repo)
    ingest(alice, seed_library, repo)
    repo.commit(author=GRACE, co_authors=["Ada Lovelace <ada@example.org>"])
    repo.commit(author=("Hedy Lamarr", "hedy@example.org"))
    ingest(alice, seed_library, repo)

    expected: Counter[int] = Counter()
    for commit in Commit.objects.filter(commons=seed_library):
        expected[commit.author_id] += 1
    # Both co-authored commits name Ada as co-author.
    assert Commit.objects.filter(co_authors__gt=0).count() == 2
    expected[agent_of(ADA[1])] += 2
    assert totals(seed_library) == dict(expected) == dict(credited(seed_library))
    rows = ContributorTotal.objects.filter(commons=seed_library)
    assert all(row.quantity == row.count for row in rows)


def test_co_authors_are_mailmapped_like_authors(
    make_repo: MakeRepo, alice: Agent, seed_library: Commons
) -> None:
    repo = make_repo()
    repo.commit(
        author=ADA,
        files={".mailmap": "Grace Hopper <grace@navy.example> <g.hopper@old.example>\n"},
    )
    repo.commit(author=GRACE)
    pair = repo.commit(author=ADA, co_authors=["G. Hopper <g.hopper@old.example>"])

    ingest(alice, seed_library, repo)

    grace = agent_of(GRACE[1])
    credited = Contribution.objects.filter(commons=seed_library, source=f"git:{pair}")
    assert sorted(credited.values_list("contributor", flat=True)) == sorted(
        [agent_of(ADA[1]), grace]
    )
    assert not Alias.objects.filter(value="g.hopper@old.example").exists()
