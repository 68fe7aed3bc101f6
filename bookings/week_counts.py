"""Keeping the counts of weeks that have ended (``BookingWeekCount``; why, in its module).

``keep_weeks`` counts the weeks given afresh and keeps them, in a transaction of its own, only if
no change to a booking is on its way: every change takes a shared lock in the database's trigger
(migration bookings 0031), and the keeping tries for the same lock exclusively, without waiting.
Taken, no change can be half-way: one committed before is in the counts (read after the lock),
and one after waits for the counts to be kept and then forgets its week. Not taken, nothing is
kept, and the chart counts the week again next time. On PostgreSQL it never waits for the lock,
so it can never be part of a deadlock; on SQLite its transaction takes the database's one write
lock from its start, as every write there does. The triggers' deletes of kept rows lock them:
two changes to bookings of the same ended week (rare: a no-show marked late, a correction) wait
for each other's commit.
"""

import functools
import logging

from django.db import DatabaseError, connection, transaction

from bookings.models import Booking, BookingWeekCount
from clinic import sql_prepared

# As the triggers' (migration bookings 0031; tests/bookings/test_week_counts.py checks).
LOCK_SPACE = 0x5765656B
_LOCK = (
    "SELECT current_setting('transaction_isolation') = 'read committed' "
    "AND pg_try_advisory_xact_lock(%s, 0)"
)
logger = logging.getLogger(__name__)


def week_count_sql(table: str) -> tuple[str, str]:
    """The counts of the week ``w`` (its ``week_start`` and ``week_end``), as two SQL
    expressions without parameters: its bookings, cancelled ones apart, and its no-shows. All of
    a week's bookings are counted from the index on ``starts_at`` and the cancelled ones and
    no-shows from the small index of those two statuses (``booking_closed_start_idx``): a count
    of index entries, nothing per booking. The statuses are written into the text, so that a
    plan kept for any values (clinic/sql_prepared.py) still uses that partial index."""
    in_week = "b.starts_at >= w.week_start AND b.starts_at < w.week_end"
    cancelled = sql_prepared.literal(Booking.Status.CANCELLED)
    no_show = sql_prepared.literal(Booking.Status.NO_SHOW)
    return (
        f"((SELECT COUNT(*) FROM {table} b WHERE {in_week}) - "  # noqa: S608 - no input
        f"(SELECT COUNT(*) FROM {table} b WHERE b.status = {cancelled} AND {in_week}))",
        f"(SELECT COUNT(*) FROM {table} b WHERE b.status = {no_show} AND {in_week})",  # noqa: S608
    )


@functools.cache
def _keep_query(weeks: int) -> str:
    booked, no_shows = week_count_sql(Booking._meta.db_table)
    counts = BookingWeekCount._meta.db_table
    values = ", ".join(["(%s, %s)"] * weeks)
    # WHERE true: SQLite reads an INSERT's SELECT ... ON CONFLICT as a join without it.
    return (
        f"WITH w (week_start, week_end) AS (VALUES {values}) "  # noqa: S608 - no input
        f"INSERT INTO {counts} (week_start, week_end, bookings, no_shows) "
        f"SELECT w.week_start, w.week_end, {booked}, {no_shows} "
        "FROM w WHERE true ON CONFLICT (week_start, week_end) DO NOTHING"
    )


def keep_weeks(weeks: list[tuple]) -> bool:
    """Count the weeks (each its start and end, both past) and keep their counts; return
    whether they were kept (not if a change to a booking was on its way, nor on any error:
    the chart then counts them again next time)."""
    if not weeks:
        return True
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(moment) for week in weeks for moment in week]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The counts must read what was committed before the lock, which only READ
                # COMMITTED's snapshot a statement gives: under another isolation level the
                # snapshot may be older than the lock, and nothing is kept.
                cursor.execute(_LOCK, [LOCK_SPACE])
                if not cursor.fetchone()[0]:
                    return False
            # A statement of its own, so that it reads what was committed before the lock.
            cursor.execute(_keep_query(len(weeks)), params)
    except DatabaseError:
        # A database that is read-only, or busy past its timeouts: the page is drawn anyway.
        logger.warning("The chart's week counts were not kept.", exc_info=True)
        return False
    return True
