"""Reading `git log` output, telling people apart, and classifying who paid for a commit."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from communs.domain import githistory as gh
from communs.domain.githistory import AffiliationRule, Contact, Funding, LogReader, classify

SHA = "a" * 40
OTHER = "b" * 40


def record(
    sha: str = SHA,
    name: str = "Ada Lovelace",
    email: str = "ada@example.org",
    seconds: str = "1704067200",
    parents: str = "",
    co_authors: tuple[str, ...] = (),
    subject: str = "Add seeds",
    numstat: tuple[tuple[str, str, str], ...] = (),
) -> bytes:
    """One commit as `git log --format=LOG_FORMAT --numstat` prints it."""
    header = gh.FIELD.join([sha, name, email, seconds, parents, gh.LIST.join(co_authors), subject])
    body = "".join(f"{added}\t{removed}\t{path}\n" for added, removed, path in numstat)
    return (gh.RECORD + header + "\n" + (f"\n{body}" if body else "")).encode()


def read(stream: bytes, *, counted: bool = True, chunks: list[int] | None = None) -> list:
    """Feed `stream` whole, or cut at the offsets in `chunks`, then finish."""
    reader = LogReader(counted=counted)
    cuts = [0, *sorted(chunks or []), len(stream)]
    found = []
    for start, end in itertools.pairwise(cuts):
        found.extend(reader.feed(stream[start:end]))
    found.extend(reader.finish())
    return found


def printable(text: str) -> bool:
    return all(c.isprintable() for c in text)


# --- the format ---------------------------------------------------------------------------------


def test_a_record_gives_every_field() -> None:
    stream = record(
        parents=f"{OTHER} {'c' * 40}",
        co_authors=("Grace Hopper <grace@example.org>", "Linus <linus@example.org>"),
        numstat=(("3", "1", "seeds.txt"), ("10", "0", "docs/readme.md")),
    )
    [commit] = read(stream)
    assert commit.sha == SHA
    assert commit.author == Contact("Ada Lovelace", "ada@example.org")
    assert commit.authored_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert commit.parents == 2
    assert commit.merge
    assert commit.co_authors == (
        Contact("Grace Hopper", "grace@example.org"),
        Contact("Linus", "linus@example.org"),
    )
    assert commit.subject == "Add seeds"
    assert (commit.added, commit.removed) == (13, 1)


def test_binary_files_count_no_lines_and_a_commit_without_files_counts_zero() -> None:
    stream = record(numstat=(("-", "-", "seed.png"), ("2", "5", "a.txt"))) + record(OTHER)
    binary, empty = read(stream)
    assert (binary.added, binary.removed) == (2, 5)
    assert (empty.added, empty.removed) == (0, 0)
    assert not binary.merge
    assert binary.parents == 0


def test_without_numstat_line_counts_are_unknown() -> None:
    [commit] = read(record(numstat=(("1", "1", "a"),)), counted=False)
    assert (commit.added, commit.removed) == (None, None)


def test_the_sha256_object_format_is_read() -> None:
    [commit] = read(record(sha="f" * 64))
    assert commit.sha == "f" * 64


@pytest.mark.parametrize("sha", ["", "g" * 40, "a" * 39, "A" * 40, "fatal: bad object"])
def test_what_is_not_a_commit_record_is_skipped(sha: str) -> None:
    assert read(record(sha=sha) + record(OTHER)) == read(record(OTHER))
    assert [c.sha for c in read(record(OTHER))] == [OTHER]


def test_a_record_with_missing_fields_is_skipped() -> None:
    assert read((gh.RECORD + gh.FIELD.join([SHA, "Ada", "a@x"]) + "\n").encode()) == []


@pytest.mark.parametrize("seconds", ["", "soon", "99999999999999999999999"])
def test_an_unreadable_date_falls_back_to_the_epoch(seconds: str) -> None:
    [commit] = read(record(seconds=seconds))
    assert commit.authored_at == datetime(1970, 1, 1, tzinfo=UTC)


def test_the_last_record_waits_for_finish_so_a_cut_stream_loses_only_it() -> None:
    reader = LogReader()
    assert [c.sha for c in reader.feed(record(SHA) + record(OTHER))] == [SHA]
    assert [c.sha for c in reader.finish()] == [OTHER]
    assert list(reader.finish()) == []


def test_co_authors_without_an_address_are_dropped() -> None:
    [commit] = read(record(co_authors=("Grace Hopper", " ", "<linus@example.org>")))
    assert commit.co_authors == (Contact("linus@example.org", "linus@example.org"),)


def test_control_characters_are_dropped_from_names_emails_and_subjects() -> None:
    [commit] = read(
        record(
            name="Ada\x1b[31m \x07Lovelace\x7f",
            email="ada@exa\x08mple.org",
            subject="Add\tseeds\r",
        )
    )
    assert commit.author == Contact("Ada [31m Lovelace", "ada@exa mple.org")
    assert commit.subject == "Add seeds"


def test_a_name_of_control_characters_only_falls_back_to_the_email_then_unknown() -> None:
    [by_email, unknown] = read(record(name="\x01\x02") + record(OTHER, name=" ", email="\x7f"))
    assert by_email.author == Contact("ada@example.org", "ada@example.org")
    assert unknown.author == Contact("unknown", "")


def test_bytes_that_are_not_utf8_are_replaced() -> None:
    stream = record(name="JosX GarcY").replace(b"X", b"\xe9").replace(b"Y", b"\xed\xff")
    [commit] = read(stream)
    assert printable(commit.author.name)
    assert commit.author.name == "Jos\ufffd Garc\ufffd\ufffd"


def test_an_author_line_git_cannot_read_gives_an_unknown_author() -> None:
    # git prints its placeholders as they are when a commit's author line is broken.
    [commit] = read(record(name="%aN", email="%aE", seconds="%at"))
    assert commit.author == Contact("unknown", "")
    assert commit.authored_at == datetime(1970, 1, 1, tzinfo=UTC)


def test_control_characters_git_lets_through_neither_lose_nor_forge_a_commit() -> None:
    forged = f"Innocent\x1e{'c' * 40}\x1fVictim Person\x1fvictim@example.org\x1f1\x1f\x1f\x1fforged"
    stream = record(
        name="Eve\x1eMallory\x1f\x1d", subject=forged, numstat=(("5", "0", "f"),)
    ) + record(OTHER, co_authors=("Grace\x1dHopper <grace@example.org>",))
    eve, other = read(stream)
    assert (eve.sha, other.sha) == (SHA, OTHER)
    assert eve.author.name == "Eve Mallory"
    assert eve.subject.startswith("Innocent c")
    assert eve.added == 5
    assert other.co_authors == (Contact("Grace Hopper", "grace@example.org"),)


def test_long_text_is_cut() -> None:
    [commit] = read(record(name="n" * 1000, subject="s" * 1000, email="e" * 1000))
    assert len(commit.author.name) == gh.MAX_TEXT
    assert len(commit.subject) == 500
    assert len(commit.author.email) == 254


# git lets any byte but NUL and a newline into a name, an email or a subject (its own separators
# included), and any split of its output into pipe reads must give the same commits.
field_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\n"), max_size=30
)
# git quotes control characters in paths.
path_text = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30)
shas = st.text("0123456789abcdef", min_size=40, max_size=40)
records = st.builds(
    dict,
    sha=shas,
    name=field_text,
    email=field_text,
    seconds=st.integers(0, 2**33).map(str),
    parents=st.lists(shas, max_size=3).map(" ".join),
    co_authors=st.lists(st.tuples(field_text, field_text), max_size=3),
    subject=field_text,
    numstat=st.lists(
        st.tuples(st.integers(0, 10**6).map(str), st.integers(0, 10**6).map(str), path_text),
        max_size=4,
    ),
)


def encode(fields: dict) -> bytes:
    co_authors = tuple(f"{name} <{email}>" for name, email in fields["co_authors"])
    numstat = tuple((a, r, path.replace("\t", " ") or "p") for a, r, path in fields["numstat"])
    return record(**{**fields, "co_authors": co_authors, "numstat": numstat})


@settings(max_examples=300)
@given(st.lists(records, max_size=5))
def test_any_names_and_subjects_come_back_cleaned_and_no_commit_is_lost_or_invented(
    history: list[dict],
) -> None:
    commits = read(b"".join(encode(fields) for fields in history))
    assert [c.sha for c in commits] == [fields["sha"] for fields in history]
    for commit, fields in zip(commits, history, strict=True):
        email = gh.clean(fields["email"], 254)
        assert commit.author.email == email
        assert commit.author.name == (gh.clean(fields["name"]) or email or "unknown")
        assert commit.subject == gh.clean(fields["subject"], 500)
        assert commit.authored_at.timestamp() == int(fields["seconds"])
        assert commit.parents == len(fields["parents"].split())
        assert commit.added == sum(int(a) for a, _, _ in fields["numstat"])
        assert commit.removed == sum(int(r) for _, r, _ in fields["numstat"])
        assert all(printable(c.name) and printable(c.email) for c in commit.co_authors)


@given(st.lists(records, max_size=4), st.data())
def test_records_cut_across_chunks_parse_as_the_whole(
    history: list[dict], data: st.DataObject
) -> None:
    stream = b"".join(encode(fields) for fields in history)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12))
    assert read(stream, chunks=cuts) == read(stream)


@settings(max_examples=300)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=8))
def test_arbitrary_bytes_never_crash_and_give_only_clean_text(
    stream: bytes, cuts: list[int]
) -> None:
    cuts = [min(cut, len(stream)) for cut in cuts]
    for counted in (True, False):
        commits = read(stream, counted=counted, chunks=cuts)
        assert commits == read(stream, counted=counted)
        for commit in commits:
            assert printable(commit.author.name)
            assert printable(commit.author.email)
            assert printable(commit.subject)
            assert commit.added is None or commit.added >= 0


@given(st.lists(st.sampled_from([gh.RECORD, gh.FIELD, gh.LIST, "\n", "\t", SHA, "1", "-"])))
def test_separators_in_any_order_never_crash(parts: list[str]) -> None:
    read("".join(parts).encode())


# --- identities ---------------------------------------------------------------------------------


def test_email_key_ignores_case_and_surrounding_space() -> None:
    assert gh.email_key("  Ada@Example.ORG ") == "ada@example.org"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Ada Lovelace", "ada lovelace"),
        ("  ADA   lovelace ", "ada lovelace"),
        ("Ａｄａ Lovelace", "ada lovelace"),  # full-width letters are the same letters
        ("Straße Weg", "strasse weg"),
        ("root", None),
        ("  admin ", None),
        ("", None),
    ],
)
def test_only_names_of_two_words_or_more_identify_a_person(name: str, key: str | None) -> None:
    assert gh.name_key(name) == key


@pytest.mark.parametrize(
    ("raw", "contact"),
    [
        ("Ada Lovelace <ada@example.org>", Contact("Ada Lovelace", "ada@example.org")),
        ("  Ada   <ada@example.org>  ", Contact("Ada", "ada@example.org")),
        ("<ada@example.org>", Contact("ada@example.org", "ada@example.org")),
        ("Ada <>", Contact("Ada", "")),
        ("Ada Lovelace", None),
        ("Ada <ada@example.org", None),
    ],
)
def test_parse_contact(raw: str, contact: Contact | None) -> None:
    assert gh.parse_contact(raw) == contact


@pytest.mark.parametrize(
    ("contact", "first"),
    [
        (Contact("José García", "jose@example.org"), "jose-garcia"),
        (Contact("Ada O'Lovelace-King", "ada@example.org"), "ada-o-lovelace-king"),
        (Contact("李小龍", "bruce.lee@example.org"), "bruce-lee"),
        (Contact("...", "@example.org"), "git-author"),
        (Contact("x" * 100, "x@example.org"), "x" * gh.MAX_AGENT_NAME),
    ],
)
def test_agent_names_come_from_the_name_else_the_email(contact: Contact, first: str) -> None:
    names = gh.agent_name_candidates(contact)
    assert [next(names), next(names), next(names)] == [first, f"{first}-2", f"{first}-3"]


@given(st.text(max_size=60), st.text(max_size=60))
def test_agent_names_are_always_valid(name: str, email: str) -> None:
    candidate = next(gh.agent_name_candidates(Contact(name, email)))
    assert 0 < len(candidate) <= gh.MAX_AGENT_NAME
    assert all(part and part.isascii() and part.isalnum() for part in candidate.split("-"))


# --- who pays -----------------------------------------------------------------------------------

ON = date(2024, 6, 1)
ACME = AffiliationRule("acme.example", Funding.PAID, "Acme")


@pytest.mark.parametrize(
    "email",
    [
        "ada@gmail.com",
        "Ada@GMAIL.com",
        "ada@proton.me",
        "12345+ada@users.noreply.github.com",
        "ada@users.noreply.gitlab.com",
        "ada@noreply.codeberg.org",
    ],
)
def test_free_mail_and_no_reply_addresses_are_volunteers(email: str) -> None:
    assert classify(email, ON, []) == (Funding.VOLUNTEER, None)
    assert classify(email, ON, [ACME]) == (Funding.VOLUNTEER, None)


@pytest.mark.parametrize(
    "email", ["ada@unknown.example", "ada", "", "ada@", "ada@gmail.com.evil.example"]
)
def test_unknown_domains_are_unknown(email: str) -> None:
    assert classify(email, ON, [ACME]) == (Funding.UNKNOWN, None)


@pytest.mark.parametrize(
    ("email", "funding"),
    [
        ("ada@acme.example", Funding.PAID),
        ("ada@ACME.example", Funding.PAID),
        ("ada@lab.acme.example", Funding.PAID),
        ("ada@a.b.acme.example", Funding.PAID),
        ("ada@notacme.example", Funding.UNKNOWN),
        ("ada@acme.example.org", Funding.UNKNOWN),
    ],
)
def test_a_domain_rule_matches_its_subdomains_only(email: str, funding: Funding) -> None:
    assert classify(email, ON, [ACME])[0] == funding


def test_one_persons_rule_beats_the_domain_rule() -> None:
    volunteer = AffiliationRule("acme.example", Funding.VOLUNTEER, email="Ada@Acme.example")
    rules = [ACME, volunteer]
    assert classify("ada@acme.example", ON, rules) == (Funding.VOLUNTEER, None)
    assert classify("grace@acme.example", ON, rules) == (Funding.PAID, "Acme")
    # Reversing the order changes nothing: specificity decides, not position.
    assert classify("ada@acme.example", ON, rules[::-1]) == (Funding.VOLUNTEER, None)


def test_one_persons_rule_beats_the_free_mail_default() -> None:
    paid = AffiliationRule("gmail.com", Funding.PAID, "Acme", email="ada@gmail.com")
    assert classify("ada@gmail.com", ON, [paid]) == (Funding.PAID, "Acme")
    assert classify("grace@gmail.com", ON, [paid]) == (Funding.VOLUNTEER, None)


def test_a_longer_domain_beats_a_shorter_one() -> None:
    lab = AffiliationRule("lab.acme.example", Funding.PAID, "Acme Lab")
    assert classify("ada@lab.acme.example", ON, [lab, ACME]) == (Funding.PAID, "Acme Lab")
    assert classify("ada@acme.example", ON, [lab, ACME]) == (Funding.PAID, "Acme")


def test_date_ranges_are_inclusive_and_outside_them_the_next_rule_decides() -> None:
    sponsored = AffiliationRule(
        "acme.example", Funding.PAID, "Sponsor", since=date(2024, 1, 1), until=date(2024, 12, 31)
    )
    rules = [ACME, sponsored]
    assert classify("ada@acme.example", date(2024, 1, 1), rules) == (Funding.PAID, "Sponsor")
    assert classify("ada@acme.example", date(2024, 12, 31), rules) == (Funding.PAID, "Sponsor")
    assert classify("ada@acme.example", date(2023, 12, 31), rules) == (Funding.PAID, "Acme")
    assert classify("ada@acme.example", date(2025, 1, 1), rules) == (Funding.PAID, "Acme")
    # Alone, a dated rule says nothing outside its dates.
    assert classify("ada@acme.example", date(2025, 1, 1), [sponsored])[0] == Funding.UNKNOWN


def test_a_persons_dated_rule_covers_only_its_dates() -> None:
    contract = AffiliationRule(
        "gmail.com", Funding.PAID, "Acme", email="ada@gmail.com", since=date(2024, 3, 1)
    )
    assert classify("ada@gmail.com", date(2024, 3, 1), [contract]) == (Funding.PAID, "Acme")
    assert classify("ada@gmail.com", date(2024, 2, 29), [contract]) == (Funding.VOLUNTEER, None)


def test_email_domain() -> None:
    assert gh.email_domain("Ada@Lab.Acme.Example.") == "lab.acme.example"
    assert gh.email_domain("a@b@acme.example") == "acme.example"
    assert gh.email_domain("no-at-sign") == ""
