"""Whether a booking's answers have come, kept on the booking by the database.

The review queue lists confirmed bookings with answers, soonest first, and "intake missing" those
without: walking every confirmed booking in time order and asking each whether it has answers
read thousands of rows to show 25 (all the next weeks' answered bookings before the first
unanswered one). With the answer on the booking, one index holds each list in its order.

The copy is written by triggers, so that no way of adding or deleting answers (the intake
service, an erasure, a bulk load, a test's factory) can leave it wrong: one on the intake table
sets it when answers are added, moved or deleted, and one on the booking table puts it back when
a save from an instance loaded earlier writes its old value (Django writes every column).

On SQLite, a later migration that rebuilds either table (Django copies it to a new one) drops
these triggers: tests/bookings/test_intake_received.py then fails, and that migration must
create them again.
"""

from django.db import migrations, models

FILL = (
    "UPDATE bookings_booking SET intake_received = TRUE "
    "WHERE id IN (SELECT booking_id FROM patients_hairlossintake)"
)

POSTGRESQL = [
    """
    CREATE FUNCTION booking_intake_received_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE bookings_booking SET intake_received = FALSE WHERE id = OLD.booking_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE bookings_booking SET intake_received = TRUE WHERE id = NEW.booking_id;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER intake_received_sync
    AFTER INSERT OR DELETE OR UPDATE OF booking_id ON patients_hairlossintake
    FOR EACH ROW EXECUTE FUNCTION booking_intake_received_sync()
    """,
    # Whatever a save writes, the value is the truth: the answers exist or not.
    """
    CREATE FUNCTION booking_intake_received_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.intake_received := EXISTS (
            SELECT 1 FROM patients_hairlossintake WHERE booking_id = NEW.id
        );
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER intake_received_keep
    BEFORE UPDATE OF intake_received ON bookings_booking
    FOR EACH ROW EXECUTE FUNCTION booking_intake_received_keep()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER intake_received_keep ON bookings_booking",
    "DROP FUNCTION booking_intake_received_keep()",
    "DROP TRIGGER intake_received_sync ON patients_hairlossintake",
    "DROP FUNCTION booking_intake_received_sync()",
]

# SQLite's triggers cannot change the row being written: the last one writes the truth again
# after a save wrote an old value (its own write does not fire triggers again, SQLite's
# recursive triggers being off).
SQLITE = [
    """
    CREATE TRIGGER intake_received_insert AFTER INSERT ON patients_hairlossintake
    BEGIN
        UPDATE bookings_booking SET intake_received = 1 WHERE id = NEW.booking_id;
    END
    """,
    """
    CREATE TRIGGER intake_received_delete AFTER DELETE ON patients_hairlossintake
    BEGIN
        UPDATE bookings_booking SET intake_received = 0 WHERE id = OLD.booking_id;
    END
    """,
    """
    CREATE TRIGGER intake_received_move AFTER UPDATE OF booking_id ON patients_hairlossintake
    BEGIN
        UPDATE bookings_booking SET intake_received = 0 WHERE id = OLD.booking_id;
        UPDATE bookings_booking SET intake_received = 1 WHERE id = NEW.booking_id;
    END
    """,
    """
    CREATE TRIGGER intake_received_keep AFTER UPDATE OF intake_received ON bookings_booking
    WHEN NEW.intake_received IS NOT EXISTS (
        SELECT 1 FROM patients_hairlossintake WHERE booking_id = NEW.id
    )
    BEGIN
        UPDATE bookings_booking
        SET intake_received = EXISTS (
            SELECT 1 FROM patients_hairlossintake WHERE booking_id = NEW.id
        )
        WHERE id = NEW.id;
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER intake_received_keep",
    "DROP TRIGGER intake_received_move",
    "DROP TRIGGER intake_received_delete",
    "DROP TRIGGER intake_received_insert",
]


def statements(schema_editor, postgresql, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        return postgresql
    if vendor == "sqlite":
        return sqlite
    raise NotImplementedError(f"No intake_received triggers written for {vendor}.")


def add_triggers(apps, schema_editor):
    schema_editor.execute(FILL)
    for statement in statements(schema_editor, POSTGRESQL, SQLITE):
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    for statement in statements(schema_editor, POSTGRESQL_DROP, SQLITE_DROP):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0020_booking_start_indexes"),
        ("patients", "0014_patient_self_rating"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="booking",
            name="booking_confirmed_start_idx",
        ),
        migrations.AddField(
            model_name="booking",
            name="intake_received",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(
                condition=models.Q(("status", "confirmed")),
                fields=["intake_received", "starts_at", "id"],
                name="booking_confirmed_intake_idx",
            ),
        ),
    ]
