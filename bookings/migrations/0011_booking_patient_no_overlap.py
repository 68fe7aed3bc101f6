"""On PostgreSQL, make overlapping active bookings of one patient impossible.

An exclusion constraint over the consultation itself (not the buffers, which keep only the
practitioner busy): no two confirmed bookings of one patient may have overlapping ranges. Only
confirmed ones: a consultation already completed or missed holds nobody's time any more (a
patient may be booked again straight after one closed early), and past pairs made before this
rule could not be cancelled to let it in. Before it, two browsers confirming one person's details at the same moment could book
them with two practitioners at once. SQLite has no such constraint; there the booking service
checks under the database's write lock, taken at BEGIN.

A database may already hold such pairs. They are listed, and the migration stops, rather than
one of each pair being cancelled here without the patient hearing of it.
"""

from django.db import migrations

FIND = """
SELECT earlier.id, later.id, earlier.patient_id
FROM bookings_booking earlier
JOIN bookings_booking later
  ON later.patient_id = earlier.patient_id
 AND later.id > earlier.id
 AND later.starts_at < earlier.ends_at
 AND earlier.starts_at < later.ends_at
WHERE earlier.status = 'confirmed' AND later.status = 'confirmed'
ORDER BY earlier.id, later.id
LIMIT 20
"""
ADD = """
ALTER TABLE bookings_booking ADD CONSTRAINT booking_patient_no_overlap
EXCLUDE USING gist (
    patient_id WITH =,
    tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (status = 'confirmed')
"""
DROP = "ALTER TABLE bookings_booking DROP CONSTRAINT booking_patient_no_overlap"


class OverlappingBookings(Exception):
    """Some patients hold overlapping confirmed bookings; a person must choose what to cancel."""


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FIND)
        pairs = cursor.fetchall()
    if pairs:
        listed = "; ".join(
            f"bookings {earlier} and {later} of patient {patient}"
            for earlier, later, patient in pairs
        )
        raise OverlappingBookings(
            "Some patients hold two confirmed bookings at overlapping times, which this migration "
            f"makes impossible: {listed}. Cancel one of each pair from the staff diary (the "
            "patient is told by e-mail), then run the migrations again."
        )
    schema_editor.execute(ADD)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    # The btree_gist extension the constraint needs was created by 0002.
    dependencies = [("bookings", "0010_sequence_help_text")]

    operations = [migrations.RunPython(add_constraint, drop_constraint)]
