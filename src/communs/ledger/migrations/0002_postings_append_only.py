"""Postings are never updated or deleted: the database refuses it, not only the code."""

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER ledger_posting_no_update BEFORE UPDATE ON ledger_posting "
    "BEGIN SELECT RAISE(ABORT, 'ledger postings are append-only'); END;",
    "CREATE TRIGGER ledger_posting_no_delete BEFORE DELETE ON ledger_posting "
    "BEGIN SELECT RAISE(ABORT, 'ledger postings are append-only'); END;",
]
SQLITE_REVERSE = [
    "DROP TRIGGER ledger_posting_no_update;",
    "DROP TRIGGER ledger_posting_no_delete;",
]
POSTGRES = [
    """CREATE FUNCTION ledger_posting_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'ledger postings are append-only'; END; $$ LANGUAGE plpgsql;""",
    "CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting "
    "FOR EACH ROW EXECUTE FUNCTION ledger_posting_append_only();",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER ledger_posting_append_only ON ledger_posting;",
    "DROP FUNCTION ledger_posting_append_only();",
]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, []):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
