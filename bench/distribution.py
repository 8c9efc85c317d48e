"""Distribution benchmark: does sharing an income out cost about what reading the value does?

Run: .venv/bin/python bench/distribution.py [--contributions 1000000] [--contributors 50000]
     [--repeat 3] [--profile]

It builds its own database like bench/pages.py (a temporary SQLite file, or a fresh database on
the PostgreSQL server named by DATABASE_URL, dropped afterwards). A maintainer and the commons
are created through the services; the contributors (User and Agent rows, unusable passwords) and
the accepted contributions (work in hours, produce in items, mixed quantities) are seeded in bulk
in one transaction (COPY on PostgreSQL, executemany on SQLite). The contributions get no
events: this benchmark is about the ledger, and the log it writes is verified at the end.

Measured in the same run:
- baseline: one SQL query summing each contributor's contribution value with the equation's
  rates, fetched fully; median of --repeat;
- for each policy (`immediate` with a window covering everything, then `balanced`), after
  adopting a one-bucket equation through `equation_adopt`: the dry run, and --repeat full runs
  of `distribution_run` (read, compute, write a payout per contributor, log), each for a fresh
  income recorded through `income_record`; then one more full run under tracemalloc for the
  peak of Python allocations (not timed: tracing slows Python down).

Targets: full run (median) / baseline <= 3x; peak memory < 1 GB (tracemalloc peak, and the
process's maximum resident set size). Afterwards every distribution's payouts must sum exactly
to its amount minus what it kept, and the event log must verify. Prints OK/OVER; exits 0.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pages import Database, prepare_database, table, verdict

RATIO_TARGET = 3.0
MEMORY_TARGET = 1024**3  # bytes
SLUG = "bench-ledger"
PASSWORD = "bench-passphrase-2026"  # noqa: S105 - throwaway account in a throwaway database
BATCH = 10_000
INCOME = "1000000.00"  # EUR per income: about €20 for each of 50,000 contributors
RATES = {"work": 25, "produce": 10}  # the equation's rates, repeated in the baseline's SQL
# (action, unit, quantities): mixed, so contributors end up with different values
SHAPES = [
    ("work", "hour", ["1", "2.5", "4", "8"]),
    ("produce", "item", ["1", "3"]),
    ("work", "hour", ["0.5", "6"]),
]


def equation(policy: str) -> dict[str, Any]:
    return {
        "rates": {"hour": str(RATES["work"]), "artefact": str(RATES["produce"])},
        "buckets": [
            {
                "name": "contributors",
                "percent": "100",
                "of": "whole",
                "to": "contributors",
                "policy": policy,
                "window_days": 3650,
                "rules": [
                    {"action": "work", "unit": "hour", "value": "quantity * hour"},
                    {"action": "produce", "unit": "item", "value": "quantity * artefact"},
                ],
            }
        ],
    }


# --- seeding -----------------------------------------------------------------------------------


@dataclass
class World:
    commons: Any
    maintainer: Any
    contributor_ids: list[int] = field(default_factory=list)


def create_world() -> World:
    from communs.accounts import services as accounts
    from communs.commons import services as commons_services

    maintainer = accounts.user_create(
        username="treasurer", email="treasurer@example.org", password=PASSWORD
    )
    commons = commons_services.commons_create(
        actor=maintainer,
        slug=SLUG,
        title="Bench ledger commons",
        summary="Seeded in bulk",
        kind="software",
        licence="AGPL-3.0-or-later",
    )
    return World(commons, maintainer)


def seed_contributors(world: World, count: int) -> None:
    """User and Agent rows in bulk; '!' is an unusable password, as set_unusable_password
    would store (without hashing anything)."""
    from django.contrib.auth.models import User

    from communs.accounts.models import Agent

    now = datetime.now(UTC)
    for start in range(0, count, BATCH):
        numbers = range(start, min(start + BATCH, count))
        users = User.objects.bulk_create(
            [
                User(
                    username=f"c{n:06d}",
                    email=f"c{n:06d}@example.org",
                    password="!",  # noqa: S106 - unusable, see the docstring
                    date_joined=now,
                )
                for n in numbers
            ]
        )
        agents = Agent.objects.bulk_create(
            [
                Agent(
                    name=user.username,
                    display_name=f"Contributor {n}",
                    type=Agent.Type.PERSON,
                    user=user,
                    created_at=now,
                )
                for n, user in zip(numbers, users, strict=True)
            ]
        )
        world.contributor_ids += [agent.pk for agent in agents]


def seed_contributions(world: World, count: int) -> None:
    """Accepted contributions, spread over the last eight years (inside every window)."""
    from django.db import connection

    from communs.commons.models import Contribution

    ops = connection.ops
    table_name = Contribution._meta.db_table
    columns = [
        "commons_id",
        "contributor_id",
        "organisation_id",
        "action",
        "quantity",
        "unit",
        "description",
        "evidence_url",
        "occurred_at",
        "stream",
        "status",
        "reason",
        "created_at",
        "decided_at",
    ]
    now = datetime.now(UTC).replace(microsecond=0)
    # A few distinct dates, adapted once: adapting a million datetimes would dominate seeding.
    days = [ops.adapt_datetimefield_value(now - timedelta(days=d)) for d in range(2, 2900, 7)]
    decided = [ops.adapt_datetimefield_value(now - timedelta(days=d)) for d in range(1, 2899, 7)]
    shapes = [(a, u, [Decimal(q) for q in qs]) for a, u, qs in SHAPES]
    commons_id = world.commons.pk
    people = world.contributor_ids

    def rows(start: int, stop: int) -> list[tuple[Any, ...]]:
        out = []
        for n in range(start, stop):
            action, unit, quantities = shapes[n % len(shapes)]
            d = (n // 7) % len(days)
            out.append(
                (
                    commons_id,
                    people[(n * 7919) % len(people)],  # every contributor, in a mixed order
                    None,
                    action,
                    quantities[(n // 3) % len(quantities)],
                    unit,
                    f"Bench contribution {n}",
                    "",
                    days[d],
                    "livelihood",
                    "accepted",
                    "",
                    days[d],
                    decided[d],
                )
            )
        return out

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copy_sql = f"COPY {table_name} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for start in range(0, count, BATCH):
                    for row in rows(start, min(start + BATCH, count)):
                        copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            insert = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            for start in range(0, count, BATCH):
                cursor.executemany(insert, rows(start, min(start + BATCH, count)))


def seed(world: World, contributors: int, contributions: int) -> float:
    from django.db import connection, transaction

    start = time.perf_counter()
    with transaction.atomic():
        seed_contributors(world, contributors)
        seed_contributions(world, contributions)
    with connection.cursor() as cursor:
        # What autovacuum (PostgreSQL) or a maintenance job (SQLite) would do after a bulk load.
        cursor.execute("ANALYZE")
    return time.perf_counter() - start


# --- measuring ---------------------------------------------------------------------------------


def baseline(world: World) -> tuple[float, int]:
    """One query: each contributor's value, summed in the database, fetched fully."""
    from django.db import connection

    from communs.commons.models import Contribution

    sql = (
        f"SELECT contributor_id, SUM(CASE WHEN action = 'work' THEN quantity * {RATES['work']} "  # noqa: S608
        f"ELSE quantity * {RATES['produce']} END) FROM {Contribution._meta.db_table} "
        "WHERE commons_id = %s AND status = 'accepted' GROUP BY contributor_id"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [world.commons.pk])
        rows = cursor.fetchall()
    return time.perf_counter() - start, len(rows)


@dataclass
class PolicyResult:
    policy: str
    dry: float = 0.0
    full: list[float] = field(default_factory=list)
    payouts: int = 0
    traced_peak: int = 0
    read: float = 0.0
    compute: float = 0.0
    profile: str = ""


def fresh_income(world: World, n: int) -> Any:
    from communs.ledger import services

    return services.income_record(
        actor=world.maintainer,
        commons=world.commons,
        kind="donation",
        amount=INCOME,
        currency="EUR",
        payer_name=f"Bench donor {n}",
        memo=f"bench income {n}",
    )


def phases(world: World) -> tuple[float, float]:
    """The read (the selectors a run calls) and the compute (the pure domain function) of one
    run, timed apart; what a full run takes beyond the dry run is the write and the log."""
    from communs.core import clock
    from communs.domain import distribution as dist
    from communs.ledger import selectors

    commons = world.commons
    current = selectors.equation_current(commons)
    now = clock.now()
    start = time.perf_counter()
    selectors.balance(commons, "EUR")
    paid, debt_paid = selectors.paid_before(commons, "EUR", as_of=now)
    tallies = selectors.tallies(commons, current.equation, as_of=now)
    upstreams = selectors.upstreams(commons, exclude=[commons.slug])
    read = time.perf_counter() - start
    start = time.perf_counter()
    dist.distribute(
        amount=100_000_000,
        currency="EUR",
        equation=current.equation,
        tallies=tallies,
        paid=paid,
        debt_paid=debt_paid,
        upstreams=upstreams,
    )
    return read, time.perf_counter() - start


def run_policy(world: World, policy: str, repeat: int, *, profile: bool) -> PolicyResult:
    from communs.ledger import services

    services.equation_adopt(
        actor=world.maintainer, commons=world.commons, definition=equation(policy)
    )
    out = PolicyResult(policy)
    n = 0

    def full_run() -> Any:
        nonlocal n
        n += 1
        income = fresh_income(world, n)
        return services.distribution_run(
            actor=world.maintainer, commons=world.commons, income=income
        )

    income = fresh_income(world, 0)
    start = time.perf_counter()
    services.distribution_run(
        actor=world.maintainer, commons=world.commons, income=income, dry_run=True
    )
    out.dry = time.perf_counter() - start
    print(f"  {policy}: dry run {out.dry:.2f} s", flush=True)
    for _ in range(repeat):
        income = fresh_income(world, (n := n + 1))
        start = time.perf_counter()
        made = services.distribution_run(
            actor=world.maintainer, commons=world.commons, income=income
        )
        out.full.append(time.perf_counter() - start)
        out.payouts = len(made.result.payouts)
        print(f"  {policy}: full run {out.full[-1]:.2f} s", flush=True)
    out.read, out.compute = phases(world)
    tracemalloc.start()
    full_run()
    out.traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        full_run()
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
        out.profile = text.getvalue()
    return out


def check(world: World) -> list[str]:
    """Every distribution: payouts sum to amount - kept, the transaction balances, the treasury
    paid out exactly that; the log verifies. Returns the problems found."""
    from django.db.models import Sum

    from communs.core import eventlog
    from communs.ledger.models import Distribution, Posting

    problems = []
    for row in Distribution.objects.filter(commons=world.commons).order_by("pk"):
        postings = Posting.objects.filter(transaction=row.transaction)
        paid = postings.exclude(payout_to="").aggregate(s=Sum("amount"))["s"] or 0
        total = postings.aggregate(s=Sum("amount"))["s"] or 0
        if paid != row.amount - row.kept:
            problems.append(f"distribution {row.pk}: payouts {paid} != {row.amount} - {row.kept}")
        if total != 0:
            problems.append(f"distribution {row.pk}: postings sum to {total}, not 0")
    problems += [f"event log: {b}" for b in eventlog.verify().breaks]
    return problems


def mb(size: float) -> str:
    return f"{size / 1024**2:,.0f} MB"


def maxrss() -> int:
    """The process's peak resident set size in bytes (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--contributors", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--profile", action="store_true", help="profile one more full run per policy (cProfile)"
    )
    args = parser.parse_args(argv)
    if not 0 < args.contributors <= args.contributions or args.repeat < 1:
        parser.error("need 0 < --contributors <= --contributions and --repeat >= 1")

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
    settings.DEBUG = False  # no per-query logging

    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} ({database.url.split('@')[-1]})")
    world = create_world()
    seconds = seed(world, args.contributors, args.contributions)
    print(
        f"seeded {args.contributions:,} accepted contributions from {args.contributors:,} "
        f"contributors in {seconds:.1f} s (max RSS so far {mb(maxrss())})",
        flush=True,
    )

    base_times = []
    for _ in range(args.repeat + 1):  # the first one warms the cache up
        took, groups = baseline(world)
        base_times.append(took)
    base = statistics.median(base_times[1:])
    print(f"baseline: {groups:,} contributors summed in one query, median {base:.3f} s", flush=True)

    results = [
        run_policy(world, p, args.repeat, profile=args.profile) for p in ("immediate", "balanced")
    ]

    rows = [
        [
            "policy",
            "payouts",
            "dry run s",
            "full runs s",
            "median s",
            "full/baseline",
            "target",
            "verdict",
        ]
    ]
    for r in results:
        median = statistics.median(r.full)
        ratio = median / base
        rows.append(
            [
                r.policy,
                f"{r.payouts:,}",
                f"{r.dry:.2f}",
                " ".join(f"{t:.2f}" for t in r.full),
                f"{median:.2f}",
                f"{ratio:.1f}x",
                f"<= {RATIO_TARGET:g}x",
                verdict(ratio, RATIO_TARGET),
            ]
        )
    print()
    print(f"distribution of one income, baseline {base:.3f} s")
    for line in table(rows):
        print(line)

    phase_rows = [["policy", "read s", "compute s", "write + log s (full - dry)"]]
    for r in results:
        phase_rows.append(
            [
                r.policy,
                f"{r.read:.2f}",
                f"{r.compute:.2f}",
                f"{statistics.median(r.full) - r.dry:.2f}",
            ]
        )
    print()
    print("where a run's time goes (read: selectors; compute: domain.distribution.distribute)")
    for line in table(phase_rows):
        print(line)

    rss = maxrss()
    memory_rows = [["measure", "peak", "target", "verdict"]]
    for r in results:
        memory_rows.append(
            [
                f"tracemalloc peak, one full {r.policy} run",
                mb(r.traced_peak),
                "< 1 GB",
                "OK" if r.traced_peak < MEMORY_TARGET else "OVER",
            ]
        )
    memory_rows.append(
        ["max RSS of the whole process", mb(rss), "< 1 GB", "OK" if rss < MEMORY_TARGET else "OVER"]
    )
    print()
    for line in table(memory_rows):
        print(line)

    start = time.perf_counter()
    problems = check(world)
    took = time.perf_counter() - start
    print()
    if problems:
        print(f"checks FAILED ({took:.1f} s):")
        for problem in problems:
            print(f"  {problem}")
    else:
        print(
            f"checks OK ({took:.1f} s): every distribution's payouts sum to amount - kept, "
            "its postings to zero; the event log verifies"
        )
    for r in results:
        if r.profile:
            print()
            print(f"profile of one full {r.policy} run (cumulative):")
            print(r.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
