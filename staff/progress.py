"""Reads behind the progress pages: a patient's visits with their measures and clinic photos,
photo rows by standard view, the comparison of two visits, and the trend charts.

Everything is read in a fixed number of queries, whatever the number of visits and photos: the
visits with their measures in one, their photos in another. Treatment session dates and a
"judge results at" window are plain data passed in (from a treatment plan, when there is one).
"""

from dataclasses import dataclass, field
from datetime import date

from bookings.models import Booking
from clinic.trend_charts import (
    Axis,
    Series,
    months_label,
    months_nearest,
    nice_axis,
    trend_chart,
)
from patients import choices
from patients.models import ClinicPhoto, SelfRating, VisitMeasures
from staff.selectors import care_team_bookings

ZONES = choices.SCALP_ZONES
DENSITY_STEP = 50


@dataclass
class Visit:
    booking: Booking
    day: date
    measures: VisitMeasures | None
    photos: dict = field(default_factory=dict)  # view code -> ClinicPhoto
    months: int = 0
    rating: SelfRating | None = None  # the patient's own, given before a review

    @property
    def months_label(self) -> str:
        return months_label(self.months)


def progress_visits(*, user, patient, started_on: date | None = None) -> list[Visit]:
    """The visits of ``patient`` this user may read that have measures, clinic photos or the
    patient's own rating, oldest first, each with its months since ``started_on`` (by default
    the first of them). Two queries."""
    bookings = list(
        care_team_bookings(user)
        .filter(patient=patient)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related(
            "consultation_type", "practitioner__user", "location", "measures", "self_rating"
        )
        .order_by("starts_at")
    )
    photos = ClinicPhoto.objects.filter(booking_id__in=[b.pk for b in bookings])
    by_booking = {}
    for photo in photos:
        by_booking.setdefault(photo.booking_id, {})[photo.view] = photo
    visits = []
    for booking in bookings:
        measures = getattr(booking, "measures", None)
        rating = getattr(booking, "self_rating", None)
        taken = by_booking.get(booking.pk, {})
        if measures is None and rating is None and not taken:
            continue
        day = booking.starts_at.astimezone(booking.location.zone).date()
        visits.append(Visit(booking, day, measures, taken, rating=rating))
    if visits:
        start = started_on or visits[0].day
        for visit in visits:
            visit.months = months_nearest(start, visit.day)
    return visits


def photo_rows(visits) -> list:
    """(view label, [(visit, photo or None)]) for each standard view taken at any visit."""
    rows = []
    for code, label in choices.CLINIC_PHOTO_VIEWS:
        cells = [(visit, visit.photos.get(code)) for visit in visits]
        if any(photo for _, photo in cells):
            rows.append((label, cells))
    return rows


def shown_records(visits) -> dict:
    """The measures, photos and patient's ratings on a page, as (object, patient id) pairs by
    kind, for the audit trail."""
    return {
        "measures": [(v.measures, v.booking.patient_id) for v in visits if v.measures],
        "clinic photo": [(p, v.booking.patient_id) for v in visits for p in v.photos.values()],
        "patient rating": [(v.rating, v.booking.patient_id) for v in visits if v.rating],
    }


def measure_charts(visits, *, start: date | None = None, sessions=(), judge_window=None) -> list:
    """The trend charts of the visits' measures: density and thin hairs by zone, the stage,
    the pull test and the shedding. A chart with no figure at all is left out."""
    if not visits:
        return []
    start = start or visits[0].day
    common = {"start": start, "sessions": sessions, "judge_window": judge_window}

    def figures(name):
        return [(v.day, getattr(v.measures, name, None)) for v in visits]

    charts = []
    densities = [Series(label, figures(f"{code}_density")) for code, label in ZONES]
    highest = max((value or 0 for s in densities for _, value in s.points), default=0)
    charts.append(
        trend_chart(
            title="Hair density",
            series=densities,
            axis=nice_axis(0, max(highest * 1.1, DENSITY_STEP), "hairs/cm²"),
            **common,
        )
    )
    thin = [Series(label, figures(f"{code}_thin")) for code, label in ZONES]
    charts.append(
        trend_chart(title="Share of thin hairs", series=thin, axis=Axis(0, 100, "%"), **common)
    )
    charts.append(_stage_chart(visits, common))
    pulled = figures("pull_test")
    most = max((value or 0 for _, value in pulled), default=0)
    charts.append(
        trend_chart(
            title="Pull test",
            series=[Series("Hairs out of about 60", pulled)],
            axis=nice_axis(0, max(most, 8), "hairs"),
            **common,
        )
    )
    charts.append(
        trend_chart(
            title="Shedding",
            series=[Series("Shedding scale (1 to 6)", figures("shedding"))],
            axis=Axis(1, 6, "", {n: str(n) for n in range(1, 7)}),
            **common,
        )
    )
    charts += rating_charts(visits, common)
    return [chart for chart in charts if chart and chart["has_figures"]]


def rating_charts(visits, common) -> list:
    """The patient's own view beside the practitioner's figures: how they rate their hair
    (0 to 10) and how satisfied they are (1 to 5), before each review."""
    if not any(v.rating for v in visits):
        return []

    def answers(name):
        return [(v.day, getattr(v.rating, name, None)) for v in visits]

    return [
        trend_chart(
            title="The patient's own rating",
            series=[Series("Their hair now, 0 to 10", answers("hair_now"))],
            axis=Axis(0, 10, "out of 10"),
            **common,
        ),
        trend_chart(
            title="The patient's satisfaction",
            series=[Series("Satisfaction", answers("satisfaction"))],
            axis=Axis(1, 5, "", {n: str(n) for n in range(1, 6)}),
            **common,
        ),
    ]


def _stage_chart(visits, common):
    """The stage on the scale of the latest stage recorded; stages on another scale (a patient
    reassessed from Norwood to Sinclair, say) are gaps on it, and listed in the table."""
    staged = [v for v in visits if v.measures and v.measures.stage]
    if not staged:
        return None
    scale = staged[-1].measures.scale
    name = dict(choices.STAGE_SCALES)[scale]
    labels = {
        n: choices.STAGE_LABELS[f"{scale}{n}"].split()[-1]
        for n in range(1, choices.SCALE_STAGES[scale] + 1)
    }
    points = [
        (
            v.day,
            int(v.measures.stage[2:]) if v.measures and v.measures.scale == scale else None,
        )
        for v in visits
    ]
    return trend_chart(
        title=f"{name} stage",
        series=[Series(f"{name} stage", points)],
        axis=Axis(1, choices.SCALE_STAGES[scale], "", labels),
        **common,
    )


def comparison(visits, first_pk, second_pk):
    """The two visits to set side by side (the first and the latest unless chosen), and the
    rows comparing them: photos by view, then each measure with its change."""
    by_pk = {v.booking.pk: v for v in visits}
    first = by_pk.get(first_pk) or visits[0]
    second = by_pk.get(second_pk) or visits[-1]
    if first.day > second.day:
        first, second = second, first
    photos = [
        (label, first.photos.get(code), second.photos.get(code))
        for code, label in choices.CLINIC_PHOTO_VIEWS
        if first.photos.get(code) or second.photos.get(code)
    ]
    figures = []
    for code, label in ZONES:
        figures.append((f"Density, {label.lower()}", f"{code}_density", "hairs/cm²"))
        figures.append((f"Thin hairs, {label.lower()}", f"{code}_thin", "%"))
    figures += [("Pull test", "pull_test", "hairs"), ("Shedding", "shedding", "")]
    measures = []
    for label, name, unit in figures:
        before = getattr(first.measures, name, None)
        after = getattr(second.measures, name, None)
        if before is None and after is None:
            continue
        change = after - before if before is not None and after is not None else None
        # More hair is better; fewer thin hairs, fewer pulled and less shedding are better.
        better = None
        if change:
            better = change > 0 if name.endswith("_density") else change < 0
        measures.append(
            {
                "label": label,
                "unit": unit,
                "before": before,
                "after": after,
                "change": change,
                "better": better,
            }
        )
    # The patient's own view, beside the practitioner's figures: a higher answer is better.
    for label, name, unit in (
        ("The patient's own rating", "hair_now", "out of 10"),
        ("The patient's satisfaction", "satisfaction", "out of 5"),
    ):
        before, after = getattr(first.rating, name, None), getattr(second.rating, name, None)
        if before is None and after is None:
            continue
        change = after - before if before is not None and after is not None else None
        measures.append(
            {
                "label": label,
                "unit": unit,
                "before": before,
                "after": after,
                "change": change,
                "better": change > 0 if change else None,
            }
        )
    stages = (
        first.measures.get_stage_display() if first.measures and first.measures.stage else "",
        second.measures.get_stage_display() if second.measures and second.measures.stage else "",
    )
    return {
        "first": first,
        "second": second,
        "photos": photos,
        "measures": measures,
        "stages": stages,
    }


def since_start(visits) -> list:
    """The figures that changed between the first and the latest visit, density first: the
    headline of a timeline."""
    if len(visits) < 2:
        return []
    rows = comparison(visits, None, None)["measures"]
    changed = [row for row in rows if row["change"] is not None]
    return sorted(changed, key=lambda row: not row["label"].startswith("Density"))[:4]
