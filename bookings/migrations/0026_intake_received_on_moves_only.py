"""Migration 0021's copy of "the answers exist" is rewritten only when answers are added,
deleted, or moved to another booking.

Its trigger fired on every save of an intake, since Django's save writes every column, the
booking's included: each time a patient saved their answers, their booking's row was written
twice (false, then true) and locked until the commit, and with a column of a partial index
changing, every index of the booking table took new entries. Moves are told apart by the
booking they name, as migration 0025 does for assessments.
"""

import importlib

from django.db import migrations

POSTGRESQL = [
    "DROP TRIGGER intake_received_sync ON patients_hairlossintake",
    """
    CREATE TRIGGER intake_received_sync
    AFTER INSERT OR DELETE ON patients_hairlossintake
    FOR EACH ROW EXECUTE FUNCTION booking_intake_received_sync()
    """,
    """
    CREATE TRIGGER intake_received_move
    AFTER UPDATE OF booking_id ON patients_hairlossintake
    FOR EACH ROW WHEN (OLD.booking_id IS DISTINCT FROM NEW.booking_id)
    EXECUTE FUNCTION booking_intake_received_sync()
    """,
]
POSTGRESQL_BACK = [
    "DROP TRIGGER intake_received_move ON patients_hairlossintake",
    "DROP TRIGGER intake_received_sync ON patients_hairlossintake",
    """
    CREATE TRIGGER intake_received_sync
    AFTER INSERT OR DELETE OR UPDATE OF booking_id ON patients_hairlossintake
    FOR EACH ROW EXECUTE FUNCTION booking_intake_received_sync()
    """,
]

_SQLITE_MOVE = """
    CREATE TRIGGER intake_received_move AFTER UPDATE OF booking_id ON patients_hairlossintake
    {when}
    BEGIN
        UPDATE bookings_booking SET intake_received = 0 WHERE id = OLD.booking_id;
        UPDATE bookings_booking SET intake_received = 1 WHERE id = NEW.booking_id;
    END
"""
SQLITE = [
    "DROP TRIGGER intake_received_move",
    _SQLITE_MOVE.format(when="WHEN OLD.booking_id IS NOT NEW.booking_id"),
]
SQLITE_BACK = ["DROP TRIGGER intake_received_move", _SQLITE_MOVE.format(when="")]


# Written for the same two databases as migration 0021's, and chosen by its helper.
statements = importlib.import_module("bookings.migrations.0021_booking_intake_received").statements


def forward(apps, schema_editor):
    for statement in statements(schema_editor, POSTGRESQL, SQLITE):
        schema_editor.execute(statement)


def back(apps, schema_editor):
    for statement in statements(schema_editor, POSTGRESQL_BACK, SQLITE_BACK):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0025_booking_assessed"),
    ]

    operations = [migrations.RunPython(forward, back)]
