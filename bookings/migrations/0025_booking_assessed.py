"""Whether a consultation's assessment exists, kept on the booking by the database.

The review queue lists confirmed consultations with answers and no assessment. Its page and its
count walked every answered consultation from the queue's first day on and asked the assessment
table about each: a probe per row, which grows with the clinic's assessments. With the answer on
the booking, one partial index holds exactly the consultations waiting, in the page's order.

As for ``intake_received`` (migration 0021), the copy is written by triggers, so that no way of
adding or deleting an assessment (the review form, an erasure, a bulk load, a test's factory)
can leave it wrong: one on the assessment table, and one on the booking table that puts it back
when a save from an instance loaded earlier writes its old value.

On SQLite, adding the column rebuilds the booking table (Django copies it to a new one), which
migration 0021's triggers would stop (they name the table being replaced): they are dropped
first and made again after. A later migration that rebuilds either table drops these triggers
too: tests/bookings/test_assessed.py then fails, and that migration must create them again.
"""

import importlib

from django.db import migrations, models

# Migration 0021's triggers, which the rebuild of the booking table on SQLite must not meet.
INTAKE_RECEIVED = importlib.import_module("bookings.migrations.0021_booking_intake_received")

FILL = (
    "UPDATE bookings_booking SET assessed = TRUE "
    "WHERE id IN (SELECT booking_id FROM patients_assessment)"
)

POSTGRESQL = [
    """
    CREATE FUNCTION booking_assessed_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE bookings_booking SET assessed = FALSE WHERE id = OLD.booking_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            UPDATE bookings_booking SET assessed = TRUE WHERE id = NEW.booking_id;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER assessed_sync
    AFTER INSERT OR DELETE ON patients_assessment
    FOR EACH ROW EXECUTE FUNCTION booking_assessed_sync()
    """,
    # Only when the assessment really moves to another booking: Django's save writes every
    # column, and an edit of a draft must not lock (nor write) its consultation's row, which it
    # would take after the follow-up's schedule version, against every other booking write.
    """
    CREATE TRIGGER assessed_move
    AFTER UPDATE OF booking_id ON patients_assessment
    FOR EACH ROW WHEN (OLD.booking_id IS DISTINCT FROM NEW.booking_id)
    EXECUTE FUNCTION booking_assessed_sync()
    """,
    # Whatever a save writes, the value is the truth: the assessment exists or not.
    """
    CREATE FUNCTION booking_assessed_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.assessed := EXISTS (SELECT 1 FROM patients_assessment WHERE booking_id = NEW.id);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER assessed_keep
    BEFORE UPDATE OF assessed ON bookings_booking
    FOR EACH ROW EXECUTE FUNCTION booking_assessed_keep()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER assessed_keep ON bookings_booking",
    "DROP FUNCTION booking_assessed_keep()",
    "DROP TRIGGER assessed_move ON patients_assessment",
    "DROP TRIGGER assessed_sync ON patients_assessment",
    "DROP FUNCTION booking_assessed_sync()",
]

# As in migration 0021: SQLite's triggers cannot change the row being written, so the last one
# writes the truth again after a save wrote an old value.
SQLITE = [
    """
    CREATE TRIGGER assessed_insert AFTER INSERT ON patients_assessment
    BEGIN
        UPDATE bookings_booking SET assessed = 1 WHERE id = NEW.booking_id;
    END
    """,
    """
    CREATE TRIGGER assessed_delete AFTER DELETE ON patients_assessment
    BEGIN
        UPDATE bookings_booking SET assessed = 0 WHERE id = OLD.booking_id;
    END
    """,
    """
    CREATE TRIGGER assessed_move AFTER UPDATE OF booking_id ON patients_assessment
    WHEN OLD.booking_id IS NOT NEW.booking_id
    BEGIN
        UPDATE bookings_booking SET assessed = 0 WHERE id = OLD.booking_id;
        UPDATE bookings_booking SET assessed = 1 WHERE id = NEW.booking_id;
    END
    """,
    """
    CREATE TRIGGER assessed_keep AFTER UPDATE OF assessed ON bookings_booking
    WHEN NEW.assessed IS NOT EXISTS (
        SELECT 1 FROM patients_assessment WHERE booking_id = NEW.id
    )
    BEGIN
        UPDATE bookings_booking
        SET assessed = EXISTS (SELECT 1 FROM patients_assessment WHERE booking_id = NEW.id)
        WHERE id = NEW.id;
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER assessed_keep",
    "DROP TRIGGER assessed_move",
    "DROP TRIGGER assessed_delete",
    "DROP TRIGGER assessed_insert",
]


# Written for the same two databases as migration 0021's, and chosen by its helper.
statements = INTAKE_RECEIVED.statements


def add_triggers(apps, schema_editor):
    schema_editor.execute(FILL)
    for statement in statements(schema_editor, POSTGRESQL, SQLITE):
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    for statement in statements(schema_editor, POSTGRESQL_DROP, SQLITE_DROP):
        schema_editor.execute(statement)


def before_rebuild(apps, schema_editor):
    """On SQLite, drop migration 0021's triggers before the booking table is rebuilt."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in INTAKE_RECEIVED.SQLITE_DROP:
            schema_editor.execute(statement)


def after_rebuild(apps, schema_editor):
    """On SQLite, make migration 0021's triggers again once the booking table is rebuilt."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in INTAKE_RECEIVED.SQLITE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0024_location_phone_help"),
        ("patients", "0015_unaccent"),
    ]

    operations = [
        migrations.RunPython(before_rebuild, after_rebuild),
        migrations.AddField(
            model_name="booking",
            name="assessed",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(after_rebuild, before_rebuild),
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(
                condition=models.Q(
                    ("assessed", False), ("intake_received", True), ("status", "confirmed")
                ),
                fields=["starts_at", "id"],
                name="booking_awaiting_review_idx",
            ),
        ),
    ]
