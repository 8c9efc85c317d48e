"""Reading a git history, and the rules for who made and who paid for each commit. Pure.

`git log` is asked for one record per commit, followed by its `--numstat` lines. Its separators
begin with a NUL byte: git lets any other character into a name, an email or a subject (control
characters included, so a commit message could otherwise forge a record), but never a NUL.
`LogReader` turns that byte stream into `LoggedCommit`s as it arrives, so a history of any
length is read in constant memory. Names and emails come out of git with the repository's
`.mailmap` applied (`%aN`, `%aE`); bytes that are not UTF-8 are replaced.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

RECORD = "\x00\x1e"
FIELD = "\x00\x1f"
LIST = "\x00\x1d"
# sha, author name and email (mailmapped), author time, parents, co-authors (a trailer folded
# over several lines unfolded, as the record's first line must hold them), subject.
LOG_FORMAT = (
    "%x00%x1e%H%x00%x1f%aN%x00%x1f%aE%x00%x1f%at%x00%x1f%P%x00%x1f"
    "%(trailers:key=Co-authored-by,valueonly,unfold,separator=%x00%x1d)%x00%x1f%s"
)
MAX_TEXT = 200
CONTACT = re.compile(r"^\s*(?P<name>.*?)\s*<(?P<email>[^<>]*)>\s*$")
NAME_PART = re.compile(r"[a-z0-9]+")
MAX_AGENT_NAME = 32  # leaves room for "-12345" under the 40 characters of an agent name


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class LoggedCommit:
    sha: str
    author: Contact
    authored_at: datetime
    parents: int
    co_authors: tuple[Contact, ...]
    subject: str
    # Lines added and removed; None when git could not count them.
    added: int | None
    removed: int | None

    @property
    def merge(self) -> bool:
        return self.parents > 1


def clean(text: str, limit: int = MAX_TEXT) -> str:
    """Printable text for names, emails and subjects: control characters (a NUL, an escape
    sequence hidden in an author name) are dropped, whitespace is collapsed."""
    if not text.isprintable():  # rare: checked whole first, as the character loop is slow
        text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())[:limit]


def parse_contact(raw: str) -> Contact | None:
    """ "Ada Lovelace <ada@example.org>" → Contact; None when it has no <email>."""
    found = CONTACT.match(raw)
    if found is None:
        return None
    email = clean(found["email"], 254)
    name = clean(found["name"]) or email
    return Contact(name, email) if email or name else None


def parse_record(record: str, *, counted: bool = True) -> LoggedCommit | None:
    """One commit's record (without its leading separator). `counted`: whether the log was
    asked for --numstat; if not, line counts are unknown. None for a record that is not one
    (git's own text, say)."""
    header, _, body = record.partition("\n")
    fields = header.split(FIELD)
    if len(fields) != 7 or not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", fields[0]):
        return None
    sha, name, email, seconds, parents, trailers, subject = fields
    if (name, email) == ("%aN", "%aE"):
        # git prints the placeholders themselves when it cannot read the author line.
        name = email = ""
    try:
        when = datetime.fromtimestamp(int(seconds), UTC)
    except (ValueError, OverflowError, OSError):
        when = datetime.fromtimestamp(0, UTC)
    co_authors = tuple(
        contact
        for raw in trailers.split(LIST)
        if raw.strip() and (contact := parse_contact(raw)) is not None
    )
    added: int | None = 0 if counted else None
    removed: int | None = 0 if counted else None
    if counted:
        for line in body.split("\n"):
            parts = line.split("\t", 2)
            if len(parts) == 3 and added is not None and removed is not None:
                # Binary files show "-": they have no lines to count.
                added += int(parts[0]) if parts[0].isdigit() else 0
                removed += int(parts[1]) if parts[1].isdigit() else 0
    author_email = clean(email, 254)
    return LoggedCommit(
        sha=sha,
        author=Contact(clean(name) or author_email or "unknown", author_email),
        authored_at=when,
        parents=len(parents.split()),
        co_authors=co_authors,
        subject=clean(subject, 500),
        added=added,
        removed=removed,
    )


class LogReader:
    """Incremental parser: `feed` bytes, get the commits completed so far; `finish` returns
    the last one. A record is complete only once the next one has begun, so when git stops
    half-way (a missing object) the caller skips `finish` and the cut record is never read."""

    def __init__(self, *, counted: bool = True) -> None:
        self.counted = counted
        self._pending = b""

    def feed(self, chunk: bytes) -> Iterator[LoggedCommit]:
        records = (self._pending + chunk).split(RECORD.encode())
        self._pending = records.pop()
        for raw in records:
            if raw.strip():
                commit = parse_record(raw.decode("utf-8", "replace"), counted=self.counted)
                if commit is not None:
                    yield commit

    def finish(self) -> Iterator[LoggedCommit]:
        raw, self._pending = self._pending, b""
        if raw.strip():
            commit = parse_record(raw.decode("utf-8", "replace"), counted=self.counted)
            if commit is not None:
                yield commit


# --- identities ---------------------------------------------------------------------------------


def email_key(email: str) -> str:
    return email.strip().lower()


def name_key(name: str) -> str | None:
    """A name that identifies a person across emails: at least two words ("Ada Lovelace"), so
    that "root", "admin" or "ubuntu" never merge strangers."""
    words = unicodedata.normalize("NFKC", name).casefold().split()
    return " ".join(words) if len(words) >= 2 else None


def agent_name_candidates(contact: Contact) -> Iterator[str]:
    """Names for a new agent, best first: from the person's name, else the email's local part;
    then with -2, -3 … appended."""
    ascii_name = unicodedata.normalize("NFKD", contact.name).encode("ascii", "ignore").decode()
    local = contact.email.split("@")[0]
    base = ""
    for source in (ascii_name, local):
        base = "-".join(NAME_PART.findall(source.lower()))[:MAX_AGENT_NAME].strip("-")
        if base:
            break
    base = base or "git-author"
    yield base
    n = 2
    while True:
        yield f"{base}-{n}"
        n += 1


# --- who pays -----------------------------------------------------------------------------------


class Funding(StrEnum):
    PAID = "paid"  # made for an organisation
    VOLUNTEER = "volunteer"  # made by an individual on their own account
    UNKNOWN = "unknown"


# Addresses anyone can have: work done from them is counted as an individual's.
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "yahoo.fr", "yahoo.co.uk", "icloud.com", "me.com", "mac.com", "aol.com",
    "protonmail.com", "proton.me", "pm.me", "gmx.de", "gmx.net", "gmx.com", "web.de",
    "posteo.de", "posteo.net", "mailbox.org", "fastmail.com", "fastmail.fm", "tutanota.com",
    "zoho.com", "yandex.ru", "yandex.com", "mail.ru", "qq.com", "163.com", "126.com",
    "free.fr", "orange.fr", "laposte.net", "riseup.net", "disroot.org", "hey.com",
})  # fmt: skip
# Forges' no-reply addresses hide a person's own address.
NOREPLY = (
    "users.noreply.github.com", "noreply.github.com", "users.noreply.gitlab.com",
    "noreply.gitlab.com", "noreply.codeberg.org", "users.noreply.codeberg.org",
)  # fmt: skip


def email_domain(email: str) -> str:
    _, at, domain = email_key(email).rpartition("@")
    return domain.strip(".") if at else ""


def _within(domain: str, rule_domain: str) -> bool:
    return domain == rule_domain or domain.endswith("." + rule_domain)


@dataclass(frozen=True)
class AffiliationRule:
    domain: str
    funding: Funding  # PAID or VOLUNTEER
    organisation: str | None = None
    email: str = ""  # for this address only
    since: date | None = None
    until: date | None = None

    def matches(self, email: str, domain: str, on: date) -> bool:
        if self.email and email_key(self.email) != email_key(email):
            return False
        if not self.email and not _within(domain, self.domain):
            return False
        return (self.since is None or self.since <= on) and (self.until is None or on <= self.until)


def classify(email: str, on: date, rules: Sequence[AffiliationRule]) -> tuple[Funding, str | None]:
    """Who paid for work done from `email` on `on`: the most specific rule decides (one
    person's address over a domain, a longer domain over a shorter, a dated rule over an
    undated one); then free mail and no-reply addresses count as volunteers; else unknown."""
    domain = email_domain(email)
    matching = [rule for rule in rules if rule.matches(email, domain, on)]
    if matching:
        best = max(
            matching,
            key=lambda r: (
                bool(r.email),
                len(r.domain),
                r.since is not None or r.until is not None,
            ),
        )
        return best.funding, best.organisation
    if domain in FREE_MAIL or any(_within(domain, d) for d in NOREPLY):
        return Funding.VOLUNTEER, None
    return Funding.UNKNOWN, None
