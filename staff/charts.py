"""The dashboard's chart: bookings and no-shows per week, and recommendations by treatment.

Figures are read in two aggregate queries and drawn as an SVG in the template (no script and
no third-party library at page load); the same numbers are in a table for screen readers.

The weeks' counts read only ``starts_at`` and ``status``, which the index on the two holds, so
PostgreSQL counts twelve weeks of a busy clinic (10k bookings) from the index alone; each booking
is put in its week by comparing its start with the Mondays', worked out here in local time,
where truncating every start to its week in the database's time zone cost four times as long.
"""

from collections import Counter
from datetime import timedelta

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone

from bookings.models import Booking
from patients import choices
from patients.models import Assessment

WEEKS = 12
CHART_WIDTH = 600
CHART_HEIGHT = 160
# On a phone the weeks run down the screen, a row each, so that the labels keep a readable
# size: the drawing is about as wide as the screen, not scaled down from 600 units.
NARROW_WIDTH = 320
NARROW_LABEL = 52  # room for the week's date on the left of each row
NARROW_ROW = 26
NARROW_BAR = 9


def weekly_figures(now=None):
    """Return the last WEEKS weeks (Monday first) with bookings and no-shows, and the
    recommendations made over the same weeks, each with its bar geometry."""
    now = now or timezone.now()
    this_monday = timezone.localtime(now).date() - timedelta(days=timezone.localtime(now).weekday())
    first_monday = this_monday - timedelta(weeks=WEEKS - 1)
    mondays = [first_monday + timedelta(weeks=n) for n in range(WEEKS + 1)]
    # Each week starts at midnight local time, so a week across a change of clock is an hour
    # shorter or longer.
    starts = [
        timezone.make_aware(timezone.datetime.combine(monday, timezone.datetime.min.time()))
        for monday in mondays
    ]
    week_number = Case(
        *(When(starts_at__lt=starts[n + 1], then=Value(n)) for n in range(WEEKS - 1)),
        default=Value(WEEKS - 1),
        output_field=IntegerField(),
    )
    rows = (
        Booking.objects.filter(starts_at__gte=starts[0], starts_at__lt=starts[-1])
        .annotate(week=week_number)
        .values("week")
        .annotate(
            bookings=Count("starts_at", filter=~Q(status=Booking.Status.CANCELLED)),
            no_shows=Count("starts_at", filter=Q(status=Booking.Status.NO_SHOW)),
        )
        .order_by()
    )
    by_week = {row["week"]: row for row in rows}
    weeks = []
    for n in range(WEEKS):
        monday = mondays[n]
        row = by_week.get(n, {})
        weeks.append(
            {
                "monday": monday,
                "bookings": row.get("bookings", 0),
                "no_shows": row.get("no_shows", 0),
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

    recommended = Counter()
    for options in Assessment.objects.filter(created_at__gte=starts[0]).values_list(
        "recommendations", flat=True
    ):
        recommended.update(options)
    names = dict(choices.RECOMMENDATIONS)
    most = max(recommended.values(), default=1)
    treatments = [
        {"name": names.get(key, key), "count": count, "width": round(100 * count / most, 1)}
        for key, count in recommended.most_common()
    ]
    return {
        "weeks": weeks,
        "treatments": treatments,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "narrow_width": NARROW_WIDTH,
        "narrow_height": WEEKS * NARROW_ROW,
        "narrow_label": NARROW_LABEL,
        "narrow_bar": NARROW_BAR,
    }
