"""Writing many rows at once, for the few paths that write tens of thousands (distributions,
history imports). Everything else uses the ORM."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models


def insert(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (values in the order of `columns`) into `model`'s table, bypassing model
    instances: COPY on PostgreSQL, one prepared INSERT run with executemany on SQLite.
    `bulk_create` spends most of its time building instances and compiling SQL at this size."""
    if not rows:
        return
    quote = connection.ops.quote_name
    into = f"{quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # Stored as the ORM stores them (naive UTC text), so comparisons keep working.
            # Each distinct value adapted once: rows share dates (`now`), and Django's adapter
            # is the costliest step of the insert.
            adapted = _Adapted(connection.ops.adapt_datetimefield_value)
            rows = [[adapted[v] if isinstance(v, datetime) else v for v in row] for row in rows]
            values = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {into} VALUES ({values})", rows)  # noqa: S608


class _Adapted(dict[datetime, Any]):
    def __init__(self, adapt: Callable[[datetime], Any]) -> None:
        super().__init__()
        self.adapt = adapt

    def __missing__(self, value: datetime) -> Any:
        self[value] = found = self.adapt(value)
        return found
