"""Five indexes of the booking table that no read uses, dropped: each took an entry on every
booking written, and on every change of a booking's status (which moves the row, so every
index takes a new entry).

- The practitioner's and the location's own indexes (Django's, for a foreign key): each column
  leads a composite index that serves the same reads, a delete's check included
  (``booking_pract_until_idx``, ``booking_location_start_idx``).
- The token's unique index, and on PostgreSQL its index for LIKE: the private link finds its
  booking by the token's digest, whose unique index keeps the tokens unique as well (a token
  with another's digest would be that token).
- On PostgreSQL, the digest's index for LIKE: nothing looks a digest up by its beginning.

The tokens are random, so their indexes took their entries all over: on the benchmark clinic
(100k bookings) these three were 34 MB of the table's 86 MB of indexes, and with the two of the
foreign keys, the planner weighed every read of bookings against 18 indexes (13 now).

On SQLite a unique constraint lives in the table's definition, and only a rebuild of the table
removes it (which would drop migration 0021's and 0025's triggers with it): there the token
keeps its unique index until the table is next rebuilt, and only the foreign keys' go.
"""

import django.db.models.deletion
from django.db import migrations, models

import bookings.models

BOTH = [
    (
        "DROP INDEX bookings_booking_practitioner_id_818e89d1",
        "CREATE INDEX bookings_booking_practitioner_id_818e89d1 ON bookings_booking (practitioner_id)",
    ),
    (
        "DROP INDEX bookings_booking_location_id_ab55b4c5",
        "CREATE INDEX bookings_booking_location_id_ab55b4c5 ON bookings_booking (location_id)",
    ),
]
POSTGRESQL = [
    (
        "ALTER TABLE bookings_booking DROP CONSTRAINT bookings_booking_token_key",
        "ALTER TABLE bookings_booking ADD CONSTRAINT bookings_booking_token_key UNIQUE (token)",
    ),
    (
        "DROP INDEX bookings_booking_token_0755cb82_like",
        "CREATE INDEX bookings_booking_token_0755cb82_like "
        "ON bookings_booking (token varchar_pattern_ops)",
    ),
    (
        "DROP INDEX bookings_booking_token_digest_df606563_like",
        "CREATE INDEX bookings_booking_token_digest_df606563_like "
        "ON bookings_booking (token_digest varchar_pattern_ops)",
    ),
]


def _pairs(schema_editor):
    return BOTH + (POSTGRESQL if schema_editor.connection.vendor == "postgresql" else [])


def drop(apps, schema_editor):
    for statement, _ in _pairs(schema_editor):
        schema_editor.execute(statement)


def make_again(apps, schema_editor):
    for _, statement in reversed(_pairs(schema_editor)):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0027_booking_blocked_range_idx")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, make_again)],
            state_operations=[
                migrations.AlterField(
                    model_name="booking",
                    name="location",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bookings",
                        to="bookings.location",
                    ),
                ),
                migrations.AlterField(
                    model_name="booking",
                    name="practitioner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bookings",
                        to="bookings.practitioner",
                    ),
                ),
                migrations.AlterField(
                    model_name="booking",
                    name="token",
                    field=models.CharField(
                        default=bookings.models.new_booking_token, editable=False, max_length=64
                    ),
                ),
            ],
        )
    ]
