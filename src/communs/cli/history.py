"""`communs ingest git`: a repository's history as contributions, with a progress bar.

Django is imported inside the commands: `main` parses the arguments before setting Django up.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from communs.history.services import IngestResult

BAR = 30


class ProgressBar:
    """One line on stderr, redrawn in place on a terminal, otherwise printed every few
    seconds: commits done of the total, the rate, and the time left."""

    def __init__(self, stream: TextIO, *, every: float = 5.0) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.every = every
        self.started = time.monotonic()
        self.shown = 0.0

    def line(self, result: IngestResult, now: float) -> str:
        done = result.imported + result.skipped + result.merges_skipped
        total = max(result.total, done)
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        left = (total - done) / rate if rate else 0.0
        filled = BAR * done // total if total else BAR
        bar = "#" * filled + "-" * (BAR - filled)
        return (
            f"[{bar}] {done:,}/{total:,} commits  {rate:,.0f}/s  "
            f"{int(left // 60)}:{int(left % 60):02d} left"
        )

    def __call__(self, result: IngestResult) -> None:
        now = time.monotonic()
        if self.live:
            self.stream.write("\r" + self.line(result, now))
        elif now - self.shown >= self.every:
            self.stream.write(self.line(result, now) + "\n")
            self.shown = now
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


def cmd_ingest_git(args: argparse.Namespace) -> int:
    from communs.accounts.selectors import agent_get
    from communs.commons.selectors import commons_get
    from communs.history.services import ingest_git

    who = agent_get(args.as_)
    commons = commons_get(args.commons)
    bar = ProgressBar(sys.stderr)
    try:
        result = ingest_git(actor=who, commons=commons, path=args.path, rev=args.rev, progress=bar)
    except KeyboardInterrupt:
        bar.close()
        print(
            "Interrupted: the batches already written are kept; run the same command again to "
            "resume.",
            file=sys.stderr,
        )
        raise
    bar.close()
    print(
        f"Imported {result.imported:,} commit(s) into {commons.slug} "
        f"({result.skipped:,} already there, {result.merges_skipped:,} merge(s) with no changes "
        f"of their own, {result.co_authors:,} co-author credit(s), {result.new_agents:,} new "
        "contributor(s))."
    )
    for note in result.notes:
        print(f"Note: {note}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ingest = sub.add_parser("ingest", help="import contributions from elsewhere")
    sources = ingest.add_subparsers(dest="source", required=True)
    help_ = "import a git repository's history as accepted contributions (idempotent)"
    git = sources.add_parser("git", help=help_, description=help_)
    git.add_argument("path", help="a local repository (a partial or shallow clone will do)")
    git.add_argument("--commons", required=True, help="the commons' slug")
    git.add_argument("--rev", default="HEAD", help="branch, tag or commit (default: HEAD)")
    git.add_argument("--as", dest="as_", required=True, help="a maintainer of the commons")
    git.set_defaults(func=cmd_ingest_git)
