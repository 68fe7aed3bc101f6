"""On PostgreSQL, make overlapping active bookings of one practitioner impossible.

An exclusion constraint over the blocked interval (the consultation widened by its buffers):
no two rows of one practitioner, neither of them cancelled, may have overlapping ranges. SQLite
has no such constraint; there the booking service serialises writers instead (IMMEDIATE
transactions), which the concurrency tests prove.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

ADD = """
ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_overlap
EXCLUDE USING gist (
    practitioner_id WITH =,
    tstzrange(blocked_from, blocked_until, '[)') WITH &&
) WHERE (status <> 'cancelled')
"""
DROP = "ALTER TABLE bookings_booking DROP CONSTRAINT booking_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraint, drop_constraint),
    ]
