"""The ended weeks' booking counts the staff chart keeps (``BookingWeekCount``), and the triggers
that forget a week's counts when one of its bookings is added, deleted, or changes status or time.

On PostgreSQL each change also takes a shared advisory lock, which the chart's keeping of a
week's counts takes exclusively (``bookings.week_counts``): counts are kept only when no change
is on its way. On SQLite every write holds the database's one write lock already.

On SQLite, a later migration that rebuilds the booking table drops these triggers:
tests/bookings/test_week_counts.py then fails, and that migration must run ``SQLITE`` again.
"""

from django.db import migrations, models

# The first number of the advisory lock's two-number key: its own space ("Week").
LOCK_SPACE = 0x5765656B
FORGET = """
    DELETE FROM bookings_bookingweekcount
    WHERE week_start <= {row}.starts_at AND week_end > {row}.starts_at;
"""
# A change's old and new starts in one statement: two writers' deletes then lock the rows they
# share in the same order (one scan's), and cannot wait for each other.
FORGET_BOTH = """
    DELETE FROM bookings_bookingweekcount
    WHERE (week_start <= OLD.starts_at AND week_end > OLD.starts_at)
       OR (week_start <= NEW.starts_at AND week_end > NEW.starts_at);
"""
POSTGRESQL = [
    f"""
    CREATE FUNCTION booking_week_counts_forget() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock_shared({LOCK_SPACE}, 0);
        IF TG_OP = 'INSERT' THEN {FORGET.format(row="NEW")}
        ELSIF TG_OP = 'DELETE' THEN {FORGET.format(row="OLD")}
        ELSE {FORGET_BOTH}
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER booking_week_counts_forget
    AFTER INSERT OR DELETE ON bookings_booking
    FOR EACH ROW EXECUTE FUNCTION booking_week_counts_forget()
    """,
    """
    CREATE TRIGGER booking_week_counts_forget_change
    AFTER UPDATE OF status, starts_at ON bookings_booking
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status OR OLD.starts_at IS DISTINCT FROM NEW.starts_at
    )
    EXECUTE FUNCTION booking_week_counts_forget()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS booking_week_counts_forget ON bookings_booking",
    "DROP TRIGGER IF EXISTS booking_week_counts_forget_change ON bookings_booking",
    "DROP FUNCTION IF EXISTS booking_week_counts_forget()",
]
SQLITE = [
    f"""
    CREATE TRIGGER booking_week_counts_forget_insert AFTER INSERT ON bookings_booking
    BEGIN {FORGET.format(row="NEW")} END
    """,
    f"""
    CREATE TRIGGER booking_week_counts_forget_delete AFTER DELETE ON bookings_booking
    BEGIN {FORGET.format(row="OLD")} END
    """,
    f"""
    CREATE TRIGGER booking_week_counts_forget_change
    AFTER UPDATE OF status, starts_at ON bookings_booking
    WHEN OLD.status IS NOT NEW.status OR OLD.starts_at IS NOT NEW.starts_at
    BEGIN {FORGET_BOTH} END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS booking_week_counts_forget_insert",
    "DROP TRIGGER IF EXISTS booking_week_counts_forget_delete",
    "DROP TRIGGER IF EXISTS booking_week_counts_forget_change",
]


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}[vendor]:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}[vendor]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0030_closures"),
    ]

    operations = [
        migrations.CreateModel(
            name="BookingWeekCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("week_start", models.DateTimeField()),
                ("week_end", models.DateTimeField()),
                ("bookings", models.PositiveIntegerField()),
                ("no_shows", models.PositiveIntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("week_start", "week_end"), name="booking_week_unique"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("week_end__gt", models.F("week_start"))),
                        name="booking_week_end_after_start",
                    ),
                ],
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
