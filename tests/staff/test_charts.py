from datetime import timedelta

import pytest
from django.utils import timezone

from patients.models import Assessment
from staff.charts import WEEKS, weekly_figures
from tests.factories import BookingFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def add(setup, start, status="confirmed"):
    return BookingFactory(
        patient=PatientFactory(),
        practitioner=setup["practitioners"][0],
        consultation_type=setup["type"],
        location=setup["location"],
        starts_at=start,
        status=status,
    )


def test_weekly_counts_and_recommendations(clinic_setup):
    now = timezone.now()
    local = timezone.localtime(now)
    # Monday noon of this week, whatever day and hour the test runs.
    monday_noon = (local - timedelta(days=local.weekday())).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    this_week = add(clinic_setup, monday_noon)
    add(clinic_setup, monday_noon + timedelta(hours=1), status="no_show")
    add(clinic_setup, monday_noon + timedelta(hours=2), status="cancelled")
    last_week = add(clinic_setup, monday_noon - timedelta(days=7))
    Assessment.objects.create(
        booking=last_week,
        author=UserFactory(),
        pattern="male_pattern",
        stage="nh3",
        likely_cause="androgenetic",
        recommendations=["prp", "medication"],
        rationale="r",
        patient_summary="s",
        signed_off_at=now - timedelta(days=6),
    )
    # A draft's options are not advice given yet: not counted.
    Assessment.objects.create(
        booking=this_week, author=UserFactory(), recommendations=["transplant"]
    )
    figures = weekly_figures(now)
    weeks = figures["weeks"]
    assert len(weeks) == WEEKS
    assert (weeks[-1]["bookings"], weeks[-1]["no_shows"]) == (2, 1)  # cancelled not counted
    assert weeks[-2]["bookings"] == 1
    assert weeks[-1]["bookings_height"] == figures["height"]  # the tallest bar fills the chart
    assert {t["name"]: t["count"] for t in figures["treatments"]} == {"PRP": 1, "Medication": 1}


def test_both_drawings_stand_on_their_axis_and_share_one_scale(clinic_setup):
    """The desktop drawing's bars stand on the axis; the phone's rows start at the labels and
    the busiest week fills the row, each bar ending before its count."""
    from staff.charts import NARROW_LABEL, NARROW_WIDTH

    now = timezone.now()
    local = timezone.localtime(now)
    monday_noon = (local - timedelta(days=local.weekday())).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    for hour in range(4):
        add(clinic_setup, monday_noon + timedelta(hours=hour))
    add(clinic_setup, monday_noon + timedelta(hours=5), status="no_show")
    figures = weekly_figures(now)
    week = figures["weeks"][-1]
    assert (week["bookings"], week["no_shows"]) == (5, 1)
    for key in ("bookings", "no_shows"):
        assert week[f"{key}_y"] + week[f"{key}_height"] == figures["height"]
    assert week["no_shows_height"] == round(figures["height"] / 5, 1)
    assert week["bookings_text_x"] == round(NARROW_LABEL + week["bookings_length"] + 4, 1)
    assert week["bookings_text_x"] + 20 <= NARROW_WIDTH  # the count fits after the bar
    assert week["no_shows_length"] == round(week["bookings_length"] / 5, 1)
    assert week["narrow_no_shows_y"] > week["row_y"]


def test_a_booking_counts_in_its_local_week_in_summer_time_and_after_the_clocks_change(
    clinic_setup, settings
):
    """Weeks start at midnight on Monday at the clinic: in British summer time that midnight
    is 23:00 UTC on the Sunday, and the week of the change back to GMT is an hour longer."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    settings.TIME_ZONE = "Europe/London"
    london = ZoneInfo("Europe/London")
    now = datetime(2026, 11, 4, 12, tzinfo=london)  # a Wednesday, GMT again since 25 October
    add(clinic_setup, datetime(2026, 10, 19, 0, 30, tzinfo=london))  # Sunday 23:30 UTC
    add(clinic_setup, datetime(2026, 10, 18, 23, 30, tzinfo=london))
    add(clinic_setup, datetime(2026, 10, 25, 23, 30, tzinfo=london), status="no_show")  # GMT
    add(clinic_setup, datetime(2026, 11, 2, 0, 0, tzinfo=london))
    weeks = {
        w["monday"].isoformat(): (w["bookings"], w["no_shows"])
        for w in weekly_figures(now)["weeks"]
    }
    assert weeks["2026-10-12"] == (1, 0)
    assert weeks["2026-10-19"] == (2, 1)
    assert weeks["2026-10-26"] == (0, 0)
    assert weeks["2026-11-02"] == (1, 0)
