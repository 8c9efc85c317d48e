"""Page benchmark: do the commons pages cost the same with 1,000 contributions or 200,000?

Run: .venv/bin/python bench/pages.py [--small 1000] [--large 200000] [--repeat 30] [--submits 300]

It builds its own database (a temporary SQLite file, or a fresh database on the PostgreSQL
server named by DATABASE_URL, dropped afterwards), creates people and a commons through the
services, then seeds contributions in bulk: Contribution, Approval and Event rows with a correct
hash chain, the stream head and the ContributorTotal rows, all in one transaction.

Pages are measured with django.test.Client (no server), median of --repeat requests, first at
--small contributions, then after topping the *same* commons up to --large. Topping up (rather
than a second commons) keeps everything else equal — slug, maintainers, people, log stream —
so the ratio shows only what the commons' own growth costs.

Then `contribution_submit` (validation, insert, log append) is timed against a bare
`Contribution.objects.create` of the same row, interleaved, in the same large database.

Targets: pages large/small <= 2x, submit/bare <= 3x. Prints OK/OVER; always exits 0.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PAGE_TARGET = 2.0
SUBMIT_TARGET = 3.0
SLUG = "bench-commons"
PASSWORD = "bench-passphrase-2026"  # noqa: S105 - throwaway accounts in a throwaway database
CONTRIBUTORS = 12
CHUNK = 5_000
BATCH = 1_000

# (action, unit, quantities)
SHAPES = [
    ("work", "hour", ["1", "2.5", "4", "8"]),
    ("produce", "commit", ["1", "3", "12"]),
    ("deliverService", "session", ["1", "2"]),
    ("cite", "citation", ["1"]),
    ("use", "day", ["1", "3"]),
    ("transfer", "kg", ["5", "40.25"]),
]
STREAMS = ["livelihood", "livelihood", "pro_bono", "care"]
# Mixed statuses, weighted roughly like a lively commons.
STATUSES = ["accepted"] * 14 + ["submitted"] * 3 + ["rejected"] * 2 + ["withdrawn"]


# --- database set-up ---------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    cleanup: Callable[[], None] = field(default=lambda: None)


def prepare_database(tmp: Path) -> Database:
    """A fresh SQLite file, or a fresh database on the PostgreSQL server of DATABASE_URL."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql://")):
        return Database(f"sqlite:///{tmp / 'bench.sqlite3'}")

    import psycopg  # only needed for PostgreSQL
    from psycopg import sql

    name = f"communs_bench_{os.getpid()}"
    with psycopg.connect(given, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(given)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(given, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    return Database(url, drop)


# --- seeding -----------------------------------------------------------------------------------


@dataclass
class World:
    commons: Any
    maintainers: list[Any]
    people: list[Any]
    organisation: Any
    seeded: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(2026))


def create_world() -> World:
    from communs.accounts import services as accounts
    from communs.commons import services as commons_services

    maintainers = [
        accounts.user_create(username=f"maint{i}", email=f"maint{i}@example.org", password=PASSWORD)
        for i in range(2)
    ]
    people = [
        accounts.user_create(
            username=f"person{i}", email=f"person{i}@example.org", password=PASSWORD
        )
        for i in range(CONTRIBUTORS)
    ]
    organisation = accounts.organisation_create(
        actor=people[0], name="bench-coop", display_name="Bench Coop", kind="worker_coop"
    )
    for person in people[1:4]:
        accounts.membership_add(actor=people[0], organisation=organisation, person=person)
    commons = commons_services.commons_create(
        actor=maintainers[0],
        slug=SLUG,
        title="Bench commons",
        summary="Seeded in bulk",
        kind="software",
        licence="AGPL-3.0-or-later",
    )
    commons_services.maintainer_add(actor=maintainers[0], commons=commons, agent=maintainers[1])
    return World(commons, maintainers, people, organisation)


class Chain:
    """Appends event rows to one stream in memory, keeping the hash chain."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.seq = stream.length
        self.head = stream.head_hash
        self.rows: list[Any] = []

    def add(self, kind: str, actor: str, at: datetime, data: dict[str, Any]) -> None:
        from communs.core.models import Event
        from communs.domain.hashchain import event_hash

        self.seq += 1
        body = {
            "stream": self.stream.name,
            "seq": self.seq,
            "kind": kind,
            "actor": actor,
            "at": at.isoformat(timespec="microseconds"),
            "data": data,
        }
        digest = event_hash(self.head, body)
        self.rows.append(
            Event(
                stream_id=self.stream.name,
                seq=self.seq,
                body=body,
                prev_hash=self.head,
                hash=digest,
            )
        )
        self.head = digest


def seed(world: World, target: int) -> float:
    """Top the commons up to `target` contributions; returns the seconds it took."""
    from django.db import connection, transaction
    from django.db.models import F

    from communs.commons.models import Approval, Contribution, ContributorTotal
    from communs.core import eventlog
    from communs.core.models import Event, EventStream
    from communs.domain.contributions import quantity_text

    start = time.perf_counter()
    rng = world.rng
    base = datetime(2025, 1, 1, tzinfo=UTC)
    totals: dict[tuple[int, str], tuple[Decimal, int]] = {}
    with transaction.atomic():
        stream = EventStream.objects.select_for_update().get(
            name=eventlog.commons_stream(world.commons.slug)
        )
        chain = Chain(stream)
        while world.seeded < target:
            size = min(CHUNK, target - world.seeded)
            rows = []
            for k in range(size):
                n = world.seeded + k
                action, unit, quantities = SHAPES[n % len(SHAPES)]
                person = world.people[n % len(world.people)]
                status = rng.choice(STATUSES)
                created = base + timedelta(seconds=30 * n)
                decided = created + timedelta(hours=2) if status != "submitted" else None
                member = n % len(world.people) < 4
                on_behalf = world.organisation if member and n % 3 == 0 else None
                rows.append(
                    Contribution(
                        commons=world.commons,
                        contributor=person,
                        organisation=on_behalf,
                        action=action,
                        quantity=Decimal(rng.choice(quantities)),
                        unit=unit,
                        description=f"Bench contribution {n}: {action} on part {n % 97}",
                        evidence_url=f"https://example.org/evidence/{n}" if n % 4 == 0 else "",
                        occurred_at=created - timedelta(days=n % 30),
                        stream=rng.choice(STREAMS),
                        status=status,
                        reason="Out of scope for this commons." if status == "rejected" else "",
                        created_at=created,
                        decided_at=decided,
                    )
                )
            Contribution.objects.bulk_create(rows, batch_size=BATCH)
            approvals = []
            for row in rows:
                actor = row.contributor.name
                chain.add(
                    "contribution.submitted",
                    actor,
                    row.created_at,
                    {
                        "id": row.pk,
                        "contributor": actor,
                        "organisation": row.organisation.name if row.organisation else None,
                        "action": row.action,
                        "quantity": quantity_text(row.quantity),
                        "unit": row.unit,
                        "description": row.description,
                        "evidence_url": row.evidence_url,
                        "occurred_at": row.occurred_at.isoformat(),
                        "stream": row.stream,
                    },
                )
                reviewer = world.maintainers[row.pk % 2]
                decided = row.decided_at or row.created_at
                if row.status == "accepted":
                    approvals.append(
                        Approval(contribution=row, maintainer=reviewer, created_at=decided)
                    )
                    chain.add(
                        "contribution.approved",
                        reviewer.name,
                        decided,
                        {
                            "id": row.pk,
                            "note": "",
                            "approvals": 1,
                            "required": world.commons.approvals_required,
                        },
                    )
                    chain.add(
                        "contribution.accepted",
                        reviewer.name,
                        decided,
                        {
                            "id": row.pk,
                            "contributor": actor,
                            "quantity": quantity_text(row.quantity),
                            "unit": row.unit,
                        },
                    )
                    key = (row.contributor_id, row.unit)
                    quantity, count = totals.get(key, (Decimal(0), 0))
                    totals[key] = (quantity + row.quantity, count + 1)
                elif row.status == "rejected":
                    chain.add(
                        "contribution.rejected",
                        reviewer.name,
                        decided,
                        {"id": row.pk, "reason": row.reason},
                    )
                elif row.status == "withdrawn":
                    chain.add("contribution.withdrawn", actor, decided, {"id": row.pk})
            Approval.objects.bulk_create(approvals, batch_size=BATCH)
            Event.objects.bulk_create(chain.rows, batch_size=BATCH)
            chain.rows = []
            world.seeded += size
        EventStream.objects.filter(pk=stream.pk).update(length=chain.seq, head_hash=chain.head)
        for (agent_id, unit), (quantity, count) in totals.items():
            total, _ = ContributorTotal.objects.get_or_create(
                commons=world.commons, agent_id=agent_id, unit=unit
            )
            ContributorTotal.objects.filter(pk=total.pk).update(
                quantity=F("quantity") + quantity, count=F("count") + count
            )
    if connection.vendor == "postgresql":
        # What autovacuum would do soon after a bulk load; plans need fresh statistics.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - start


# --- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    label: str
    path: str


PROBES = [
    Probe("commons page", f"/commons/{SLUG}/"),
    Probe("contributions API", f"/api/v1/commons/{SLUG}/contributions"),
    Probe("event log page", f"/commons/{SLUG}/events/"),
]


def measure(client: Any, path: str, repeat: int) -> float | str:
    """Median milliseconds of `repeat` GETs, or why it could not be measured."""
    try:
        first = client.get(path)
    except Exception as exc:
        return f"error ({type(exc).__name__})"
    if first.status_code == 404:
        return "missing"
    if first.status_code != 200:
        return f"HTTP {first.status_code}"
    client.get(path)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def cell(value: float | str) -> str:
    return f"{value:.2f}" if isinstance(value, float) else value


def verdict(ratio: float, target: float) -> str:
    return "OK" if ratio <= target else "OVER"


def time_submits(world: World, count: int) -> tuple[float, float]:
    from communs.commons import services
    from communs.commons.models import Contribution

    person = world.people[-1]
    when = datetime.now(UTC) - timedelta(days=1)
    submit_times: list[float] = []
    bare_times: list[float] = []
    for i in range(count):
        description = f"Timed contribution {i}"
        start = time.perf_counter()
        services.contribution_submit(
            actor=person,
            commons=world.commons,
            action="work",
            quantity="2.5",
            unit="hour",
            description=description,
            occurred_at=when,
            stream="pro_bono",
        )
        submit_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        Contribution.objects.create(
            commons=world.commons,
            contributor=person,
            organisation=None,
            action="work",
            quantity=Decimal("2.5"),
            unit="hour",
            description=description,
            evidence_url="",
            occurred_at=when,
            stream="pro_bono",
            created_at=datetime.now(UTC),
        )
        bare_times.append(time.perf_counter() - start)
    return statistics.median(submit_times) * 1000, statistics.median(bare_times) * 1000


def table(rows: list[list[str]]) -> Iterator[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        yield "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True))
        if n == 0:
            yield "  ".join("-" * width for width in widths)


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--submits", type=int, default=300)
    args = parser.parse_args(argv)
    if not 0 < args.small <= args.large:
        parser.error("need 0 < --small <= --large")

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
    # No per-query logging: measure what production does, not the debug toolbar's cost.
    settings.DEBUG = False

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from communs.core import eventlog
    from communs.core.models import EventStream

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} ({database.url.split('@')[-1]})")
    world = create_world()
    client = Client(HTTP_HOST="localhost")

    results: dict[str, list[float | str]] = {probe.label: [] for probe in PROBES}
    for size in (args.small, args.large):
        seconds = seed(world, size)
        print(f"seeded {size:,} contributions in {seconds:.1f} s")
        for probe in PROBES:
            results[probe.label].append(measure(client, probe.path, args.repeat))

    rows = [
        ["path", f"ms @ {args.small:,}", f"ms @ {args.large:,}", "large/small", "target", "verdict"]
    ]
    for probe in PROBES:
        small, large = results[probe.label]
        if isinstance(small, float) and isinstance(large, float):
            ratio = large / small
            rows.append(
                [
                    probe.path,
                    cell(small),
                    cell(large),
                    f"{ratio:.2f}x",
                    f"<= {PAGE_TARGET:g}x",
                    verdict(ratio, PAGE_TARGET),
                ]
            )
        else:
            rows.append([probe.path, cell(small), cell(large), "-", f"<= {PAGE_TARGET:g}x", "-"])
    print()
    print(f"pages, median of {args.repeat} requests")
    for line in table(rows):
        print(line)

    submit_ms, bare_ms = time_submits(world, args.submits)
    ratio = submit_ms / bare_ms
    print()
    print(f"writes, median of {args.submits} each, at {args.large:,} contributions")
    for line in table(
        [
            ["operation", "median ms"],
            ["contribution_submit (validate, insert, log)", f"{submit_ms:.3f}"],
            ["Contribution.objects.create (bare insert)", f"{bare_ms:.3f}"],
            [
                "ratio",
                f"{ratio:.2f}x (target <= {SUBMIT_TARGET:g}x) {verdict(ratio, SUBMIT_TARGET)}",
            ],
        ]
    ):
        print(line)

    start = time.perf_counter()
    result = eventlog.verify()
    took = time.perf_counter() - start
    events = sum(EventStream.objects.values_list("length", flat=True))
    print()
    if not result.ok:
        print(f"event log verify: BROKEN after {took:.1f} s: {result.breaks[0]}")
    else:
        print(f"event log verify: OK, {events:,} events re-hashed in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
