"""Governance benchmark: does deciding together stay cheap in a large commons?

Run: .venv/bin/python bench/governance.py [--contributions 1000000] [--contributors 50000]
     [--votes 2000] [--repeat 3]

It builds its own database like bench/distribution.py (whose seeding it reuses: a temporary
SQLite file, or a fresh database on the PostgreSQL server named by DATABASE_URL, dropped
afterwards): a commons with --contributions accepted contributions from --contributors people,
all with accounts, so every one of them is eligible to vote.

Measured in the same run:
- baseline: one SQL query listing who has an accepted contribution in the eligibility window
  (the electorate's question), fetched fully; median of --repeat;
- `proposal_open` (checks, the electorate fixed with the proposal, the log): median of --repeat,
  against the baseline;
- `vote_cast` (one transaction each: eligibility, the vote, the log, settling): the median of
  the first 100 votes against the median of the last 100 of --votes on one proposal — a vote
  must not get slower as votes pile up;
- `proposal_close` after those votes, and `merit_run` (nominations over the whole commons, here
  every contributor meets the criteria once, then nobody new) against the baseline.

Targets: proposal_open / baseline <= 3x; last votes / first votes <= 1.5x; merit_run (second,
idempotent run) / baseline <= 3x. Afterwards the event log must verify. Prints OK/OVER; exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from distribution import World, create_world, maxrss, mb, seed
from pages import Database, prepare_database, table, verdict

OPEN_TARGET = 3.0
VOTE_TARGET = 1.5
MERIT_TARGET = 3.0
WINDOW = 100


def eligible_rows(world: World) -> list[tuple[int]]:
    return baseline(world, rows=True)[2]


def baseline(world: World, *, rows: bool = False) -> tuple[float, int, list[tuple[int]]]:
    from django.db import connection

    from communs.commons.models import Contribution

    sql = (
        f"SELECT contributor_id FROM {Contribution._meta.db_table} "  # noqa: S608
        "WHERE commons_id = %s AND status = 'accepted' AND occurred_at >= %s "
        "GROUP BY contributor_id HAVING COUNT(*) >= 1"
    )
    from datetime import timedelta

    from communs.core import clock

    since = clock.now() - timedelta(days=365)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [world.commons.pk, since])
        found = cursor.fetchall()
    return time.perf_counter() - start, len(found), found if rows else []


def open_proposal(world: World, n: int) -> Any:
    from communs.governance import services

    return services.proposal_open(
        actor=world.maintainer,
        commons=world.commons,
        title=f"Bench proposal {n}",
        text="Shall we?",
        method="majority",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--contributors", type=int, default=50_000)
    parser.add_argument("--votes", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not 2 * WINDOW <= args.votes <= args.contributors <= args.contributions:
        parser.error(f"need {2 * WINDOW} <= --votes <= --contributors <= --contributions")

    tmp = Path(tempfile.mkdtemp(prefix="communs-bench-"))
    os.environ["COMMUNS_DATA"] = str(tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "communs.config.settings.dev"
    src = Path(__file__).resolve().parents[1] / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    database = prepare_database(tmp)
    os.environ["DATABASE_URL"] = database.url
    try:
        return run(args, database)
    finally:
        database.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, database: Database) -> int:
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False

    from django.core.management import call_command
    from django.db import connection

    from communs.accounts.models import Agent
    from communs.core import eventlog
    from communs.governance import services

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} ({database.url.split('@')[-1]})")
    world = create_world()
    seconds = seed(world, args.contributors, args.contributions)
    print(
        f"seeded {args.contributions:,} accepted contributions from {args.contributors:,} "
        f"contributors in {seconds:.1f} s",
        flush=True,
    )

    times = [baseline(world) for _ in range(args.repeat + 1)][1:]
    base = statistics.median(t for t, _, _ in times)
    print(f"baseline: {times[0][1]:,} eligible people in one query, median {base:.3f} s")

    opened = []
    for n in range(args.repeat):
        start = time.perf_counter()
        proposal = open_proposal(world, n)
        opened.append(time.perf_counter() - start)
    open_median = statistics.median(opened)
    print(f"proposal_open: {' '.join(f'{t:.3f}' for t in opened)} s", flush=True)

    eligible_ids = sorted(pk for (pk,) in eligible_rows(world))[: args.votes]
    voters = list(Agent.objects.filter(pk__in=eligible_ids))
    positions = ("yes", "no", "abstain")
    vote_times = []
    for i, voter in enumerate(voters):
        start = time.perf_counter()
        services.vote_cast(actor=voter, proposal=proposal, position=positions[i % 3])
        vote_times.append(time.perf_counter() - start)
    first = statistics.median(vote_times[:WINDOW])
    last = statistics.median(vote_times[-WINDOW:])
    print(f"vote_cast: first {WINDOW} median {first * 1000:.2f} ms, last {last * 1000:.2f} ms")

    from communs.core import clock

    real = clock.now
    later = proposal.closes_at
    setattr(clock, "now", lambda: later)  # noqa: B010 - the period has ended
    start = time.perf_counter()
    closed = services.proposal_close(proposal=proposal)
    close_took = time.perf_counter() - start
    setattr(clock, "now", real)  # noqa: B010
    print(f"proposal_close: {closed.status} in {close_took:.3f} s ({closed.outcome})")

    start = time.perf_counter()
    report = services.merit_run(commons=world.commons)
    merit_first = time.perf_counter() - start
    start = time.perf_counter()
    services.merit_run(commons=world.commons)
    merit_again = time.perf_counter() - start
    print(
        f"merit_run: {len(report.nominations):,} nominations in {merit_first:.2f} s; "
        f"again (nothing new) {merit_again:.3f} s",
        flush=True,
    )

    rows = [["measure", "seconds", "ratio", "target", "verdict"]]
    ratio = open_median / base
    rows.append(
        ["proposal_open / baseline", f"{open_median:.3f}", f"{ratio:.1f}x",
         f"<= {OPEN_TARGET:g}x", verdict(ratio, OPEN_TARGET)]
    )  # fmt: skip
    ratio = last / first
    rows.append(
        [f"vote_cast, last {WINDOW} / first {WINDOW}", f"{last:.4f}", f"{ratio:.2f}x",
         f"<= {VOTE_TARGET:g}x", verdict(ratio, VOTE_TARGET)]
    )  # fmt: skip
    ratio = merit_again / base
    rows.append(
        ["merit_run (idempotent) / baseline", f"{merit_again:.3f}", f"{ratio:.1f}x",
         f"<= {MERIT_TARGET:g}x", verdict(ratio, MERIT_TARGET)]
    )  # fmt: skip
    print()
    for line in table(rows):
        print(line)
    print(f"max RSS {mb(maxrss())}")
    breaks = eventlog.verify().breaks
    print("event log verifies" if not breaks else f"event log BROKEN: {breaks[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
