"""The demo's git repository: the courier platform's history, written with `git fast-import`.

Eighteen months of work by the demo's people and a few outside contributors: a courier of the
worker cooperative, engineers of the for-profit firm and of the city, volunteers on free-mail
and forge no-reply addresses, someone whose company is not mapped, one person under two
addresses (joined by the repository's .mailmap), pair-programmed commits with co-authors, and a
merge that resolved a conflict. Dates are fixed, so the commit ids are the same on every
machine and a second `communs demo` imports nothing new.
"""

from __future__ import annotations

import random
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
COMMITS = 240
SEED = 2026

# name, email, weight (how often they commit)
AUTHORS = (
    ("Chen Li", "chen@opencommons.example", 14),
    ("Dara Byrne", "dara@opencommons.example", 9),
    ("Gus Ferreira", "gus.ferreira@gmail.com", 12),
    ("Ada Moreau", "ada@farmtools.example", 6),
    ("Bruno Keller", "bruno@farmtools.example", 5),
    ("Emil Novak", "emil@agrimach.example", 8),
    ("Jonas Weber", "jonas@agrimach.example", 6),
    ("Fatou Diallo", "fatou.diallo@riverside.example", 4),
    ("Mei Tanaka", "41234567+mei@users.noreply.github.com", 7),
    ("Tomás Ruiz", "tomas@cyclelogix.example", 5),
    ("Priya Nair", "priya.nair@proton.me", 4),
)
# Gus also committed from his old university address; the .mailmap joins it to his own.
OLD_GUS = "g.ferreira@uni-riverside.example"
MAILMAP = f"Gus Ferreira <gus.ferreira@gmail.com> <{OLD_GUS}>\n"
FILES = ("dispatch.py", "routing.py", "riders.py", "shifts.py", "api.py", "README.md")
SUBJECTS = (
    "Dispatch orders to the nearest free rider", "Fix the route for one-way streets",
    "Let riders swap shifts", "Show the delivery window to customers", "Add a cargo-bike profile",
    "Count waiting time in the shift report", "Translate the rider app to French",
    "Refuse orders outside the delivery zone", "Cache the street graph", "Document the API",
    "Pay riders for waiting time", "Batch nearby deliveries", "Fix the time zone of shifts",
)  # fmt: skip


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def _person(name: str, email: str, when: datetime) -> bytes:
    return f"{name} <{email}> {int(when.timestamp())} +0000".encode()


def _stream() -> bytes:
    rng = random.Random(SEED)  # noqa: S311 - demo data, not a secret
    weights = [w for _, _, w in AUTHORS]
    contents = {path: [f"# {path}"] for path in FILES}
    out = [b"reset refs/heads/main\n"]
    mark = 0
    when = START

    def commit(
        branch: str,
        author: tuple[str, str],
        message: str,
        changes: dict[str, str],
        parents: tuple[int, ...] = (),
    ) -> int:
        nonlocal mark
        mark += 1
        out.append(f"commit refs/heads/{branch}\nmark :{mark}\n".encode())
        out.append(b"author " + _person(*author, when) + b"\n")
        out.append(b"committer " + _person(*author, when) + b"\n")
        out.append(_data(message))
        for index, parent in enumerate(parents):
            out.append(f"{'from' if index == 0 else 'merge'} :{parent}\n".encode())
        for path, text in changes.items():
            out.append(f"M 100644 inline {path}\n".encode() + _data(text))
        return mark

    first = {".mailmap": MAILMAP, **{p: "\n".join(c) + "\n" for p, c in contents.items()}}
    main = commit("main", AUTHORS[0][:2], "Start the courier platform\n", first)
    for n in range(COMMITS):
        when += timedelta(hours=rng.randint(20, 60))
        name, email, _ = rng.choices(AUTHORS, weights)[0]
        if name == "Gus Ferreira" and n < 60:
            email = OLD_GUS  # before he moved to his own address
        path = rng.choice(FILES)
        lines = contents[path]
        for _ in range(rng.randint(1, 6)):
            lines.insert(rng.randint(1, len(lines)), f"step {n}-{rng.randint(0, 999)}")
        if len(lines) > 8 and rng.random() < 0.4:
            del lines[rng.randint(1, len(lines) - 1)]
        message = rng.choice(SUBJECTS) + "\n"
        if n % 25 == 7:  # pair programming
            partner = rng.choice([a for a in AUTHORS if a[0] != name])
            message += f"\nCo-authored-by: {partner[0]} <{partner[1]}>\n"
        main = commit("main", (name, email), message, {path: "\n".join(lines) + "\n"}, (main,))
    # Two branches edit the same line; the merge resolves the conflict by hand.
    when += timedelta(days=1)

    def routing(choice: str) -> dict[str, str]:
        return {"routing.py": "\n".join([*contents["routing.py"], f"prefer = {choice}"]) + "\n"}

    gus, chen = AUTHORS[2][:2], AUTHORS[0][:2]
    left = commit("left", gus, "Prefer cycle lanes\n", routing("'cycle lanes'"), (main,))
    right = commit("main", chen, "Prefer quiet streets\n", routing("'quiet streets'"), (main,))
    when += timedelta(hours=3)
    both = routing("('cycle lanes', 'quiet streets')")
    commit("main", chen, "Merge the cycle-lane routing\n", both, (right, left))
    out.append(b"done\n")
    return b"".join(out)


def demo_repository(path: Path) -> Path:
    """The repository at `path`, written once; an existing one is kept as it is."""
    if (path / "HEAD").exists() or (path / ".git").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "--quiet", "-b", "main")
    _git(path, "fast-import", "--quiet", "--done", stdin=_stream())
    _git(path, "checkout", "--quiet", "main")
    return path


def _git(path: Path, *args: str, stdin: bytes | None = None) -> None:
    # A fixed program and our own arguments.
    subprocess.run(["git", "-C", str(path), *args], input=stdin, check=True)  # noqa: S603, S607
