"""On PostgreSQL, make two holds of one room or piece of equipment at once impossible.

An exclusion constraint over the held interval (the procedure widened by its buffers, as the
practitioner is blocked): no two holds of one resource may have overlapping ranges. Holds exist
only for active bookings (cancelling a booking, or marking its patient a no-show, deletes them),
so the constraint needs no condition on the booking's status. SQLite has no such constraint;
there the booking service serialises writers instead (IMMEDIATE transactions), as for a
practitioner's bookings. The btree_gist extension the constraint needs was created by 0002.
"""

from django.db import migrations

ADD = """
ALTER TABLE bookings_resourcehold ADD CONSTRAINT resource_hold_no_overlap
EXCLUDE USING gist (
    resource_id WITH =,
    tstzrange(held_from, held_until, '[)') WITH &&
)
"""
DROP = "ALTER TABLE bookings_resourcehold DROP CONSTRAINT resource_hold_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0012_resources")]

    operations = [migrations.RunPython(add_constraint, drop_constraint)]
