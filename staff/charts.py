"""The dashboard's chart: bookings and no-shows per week, and recommendations by treatment.

Figures are read in one query and drawn as an SVG in the template (no script and
no third-party library at page load); the same numbers are in a table for screen readers.

A week that has ended is read from the counts kept of it (``bookings.BookingWeekCount``, which
the database forgets when one of its bookings changes); a week without them is counted, and an
ended one's counts are then kept (``bookings.week_counts.keep_weeks``), so that a view counts
only this week: counting the eleven ended ones again cost 0.5–0.6 ms of the day list's 11–13.
A week is counted by the index's range of its starts (``week_counts.week_count_sql``), so
that a week of a busy clinic (900 bookings) costs a count of index entries and nothing per
booking. Putting each booking of the twelve weeks in its week with a CASE over the Mondays and
summing its status cost PostgreSQL eight times as long
(2.4 ms for 10k bookings, against 0.3 ms; the counting is the rest). The weeks' Mondays are
worked out here, in local time. The recommendations are added up from the counts the database
keeps by day (``patients.models.RecommendationDay``: signed-off assessments only, as the
part-day's are read here), so that twelve weeks cost a few hundred rows however many
assessments they hold. The query is written out in SQL (plain SQL, the same on
SQLite and PostgreSQL but for the types PostgreSQL's PREPARE is told): built through the ORM, it
took longer to compile than to run.
"""

import functools
import json
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from bookings import week_counts
from bookings.models import Booking, BookingWeekCount
from clinic import sql_prepared
from patients import choices
from patients.models import Assessment, RecommendationDay
from staff import chart_drawing

WEEKS = 12
CHART_WIDTH = 600
CHART_HEIGHT = 160
# On a phone the weeks run down the screen, a row each, so that the labels keep a readable
# size: the drawing is about as wide as the screen, not scaled down from 600 units.
NARROW_WIDTH = 320
NARROW_LABEL = 52  # room for the week's date on the left of each row
NARROW_ROW = 26
NARROW_BAR = 9


@functools.cache
def _figures_query(vendor: str, weeks: int) -> str:
    """The weeks' counts, a row each; then the options recommended on each whole day (UTC) from
    the first week's, added up (``RecommendationDay``), a row each; then the options of each
    signed-off assessment made before the first of those days, a row each (the part-day the
    weeks' first Monday, at midnight local time, begins with). One statement: a second round
    trip cost more than its query."""
    table = Booking._meta.db_table
    kept = BookingWeekCount._meta.db_table
    days = RecommendationDay._meta.db_table
    assessments = Assessment._meta.db_table
    # PostgreSQL prepares the statement (clinic/sql_prepared.py) before it sees a value: the
    # weeks' columns are given their types, which nothing else in it would tell.
    if vendor == "postgresql":
        cast = "CAST(%s AS timestamptz)"
        values = ", ".join([f"(CAST(%s AS integer), {cast}, {cast})"] * weeks)
    else:
        values = ", ".join(["(%s, %s, %s)"] * weeks)
    booked, no_shows = week_counts.week_count_sql(table)
    # A week's counts are kept (k) or counted: CASE runs its subqueries only for the latter.
    return (
        f"WITH w (n, week_start, week_end) AS (VALUES {values}) "  # noqa: S608 - no input
        f"SELECT w.n, CASE WHEN k.id IS NULL THEN {booked} ELSE k.bookings END, "
        f"CASE WHEN k.id IS NULL THEN {no_shows} ELSE k.no_shows END, k.id IS NOT NULL, NULL, NULL "
        f"FROM w LEFT JOIN {kept} k ON k.week_start = w.week_start AND k.week_end = w.week_end "
        f"UNION ALL SELECT NULL, NULL, NULL, NULL, r.option, SUM(r.count) FROM {days} r "
        "WHERE r.day >= %s GROUP BY r.option "
        "UNION ALL SELECT NULL, NULL, NULL, NULL, CAST(a.recommendations AS TEXT), NULL "
        f"FROM {assessments} a WHERE a.created_at >= %s AND a.created_at < %s "
        "AND a.signed_off_at IS NOT NULL"
    )


def week_figures(starts: list, now: datetime) -> tuple[dict[int, tuple[int, int]], Counter]:
    """Bookings (not cancelled) and no-shows starting in each week, by the week's number (week
    n runs from ``starts[n]`` to ``starts[n + 1]``), and how many times the signed-off
    assessments made from ``starts[0]`` on recommend each option, by its key. The counts of
    the weeks ended by ``now`` that were counted here are kept for the next time."""
    adapt = connection.ops.adapt_datetimefield_value
    moments = [adapt(start) for start in starts]
    params = []
    for n in range(len(starts) - 1):
        params += [n, moments[n], moments[n + 1]]
    # The whole days counted begin at the first midnight (UTC) from the first week's start on.
    first = starts[0].astimezone(UTC)
    first_day = first.date() if first.time() == time(0) else first.date() + timedelta(days=1)
    whole_days_from = datetime.combine(first_day, time(0), tzinfo=UTC)
    params += [
        connection.ops.adapt_datefield_value(first_day),
        moments[0],
        adapt(whole_days_from),
    ]
    by_week, recommended, counted = {}, Counter(), []
    with connection.cursor() as cursor:
        sql_prepared.execute(cursor, _figures_query(connection.vendor, len(starts) - 1), params)
        for week, bookings, no_shows, kept, option, count in cursor.fetchall():
            if week is not None:
                by_week[week] = (bookings, no_shows)
                if not kept and starts[week + 1] <= now:
                    counted.append((starts[week], starts[week + 1]))
            elif count is not None:
                recommended[option] += count
            else:
                # An assessment of the part-day: its options, as the triggers count them.
                options = json.loads(option)
                if isinstance(options, list):
                    recommended.update(o for o in options if isinstance(o, str))
    week_counts.keep_weeks(counted)
    # An option counted and then no longer recommended on any day stays at 0: not shown.
    return by_week, +recommended


def weekly_figures(now=None):
    """Return the last WEEKS weeks (Monday first) with bookings and no-shows, and the
    recommendations made over the same weeks, each with its bar geometry."""
    now = now or timezone.now()
    this_monday = timezone.localtime(now).date() - timedelta(days=timezone.localtime(now).weekday())
    first_monday = this_monday - timedelta(weeks=WEEKS - 1)
    mondays = [first_monday + timedelta(weeks=n) for n in range(WEEKS + 1)]
    # Each week starts at midnight local time, so a week across a change of clock is an hour
    # shorter or longer.
    zone = timezone.get_current_timezone()
    starts = [datetime.combine(monday, time(0), tzinfo=zone) for monday in mondays]
    by_week, recommended = week_figures(starts, now)
    weeks = []
    for n in range(WEEKS):
        monday = mondays[n]
        bookings, no_shows = by_week.get(n, (0, 0))
        weeks.append(
            {
                "monday": monday,
                "bookings": bookings,
                "no_shows": no_shows,
            }
        )
    tallest = max([w["bookings"] for w in weeks] + [1])
    slot = CHART_WIDTH / WEEKS
    for n, week in enumerate(weeks):
        week["x"] = round(n * slot + slot * 0.15, 1)
        week["width"] = round(slot * 0.35, 1)
        week["x2"] = round(week["x"] + week["width"], 1)
        for key in ("bookings", "no_shows"):
            height = round(CHART_HEIGHT * week[key] / tallest, 1)
            week[f"{key}_height"] = height
            week[f"{key}_y"] = round(CHART_HEIGHT - height, 1)

    narrow_room = NARROW_WIDTH - NARROW_LABEL - 28  # and for the count after each bar
    for n, week in enumerate(weeks):
        top = n * NARROW_ROW
        week["row_y"] = top
        week["label_y"] = top + NARROW_BAR + 4
        week["bookings_length"] = round(narrow_room * week["bookings"] / tallest, 1)
        week["no_shows_length"] = round(narrow_room * week["no_shows"] / tallest, 1)
        week["narrow_no_shows_y"] = top + NARROW_BAR + 1
        week["bookings_text_x"] = round(NARROW_LABEL + week["bookings_length"] + 4, 1)
        week["no_shows_text_x"] = round(NARROW_LABEL + week["no_shows_length"] + 4, 1)
        week["no_shows_text_y"] = top + 2 * NARROW_BAR + 1

    names = dict(choices.RECOMMENDATIONS)
    most = max(recommended.values(), default=1)
    treatments = [
        {"name": names.get(key, key), "count": count, "width": round(100 * count / most, 1)}
        for key, count in recommended.most_common()
    ]
    chart = {
        "weeks": weeks,
        "treatments": treatments,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "narrow_width": NARROW_WIDTH,
        "narrow_height": WEEKS * NARROW_ROW,
        "narrow_label": NARROW_LABEL,
        "narrow_bar": NARROW_BAR,
    }
    chart_drawing.label_weeks(weeks)
    chart["narrow_bars"] = chart_drawing.narrow_bars(chart)
    chart["wide_bars"] = chart_drawing.wide_bars(chart)
    chart["table_rows"] = chart_drawing.table_rows(chart)
    return chart
