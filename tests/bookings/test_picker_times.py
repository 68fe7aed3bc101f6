"""The picker's times written out (bookings.picker.pick_time): kept per process, as a pure
function of the instant and the zone, so the same answer as writing them afresh."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bookings import picker
from bookings.availability import Slot
from bookings.drafts import format_start

LONDON = ZoneInfo("Europe/London")


def test_a_time_is_written_in_clinic_time_with_its_day_and_url_form():
    start = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    time = picker.pick_time(start, ZoneInfo("Asia/Tokyo"))
    assert (time.label, time.hour, time.day) == ("08:30", 8, date(2026, 12, 8))
    assert time.param == format_start(start) and time.iso == "2026-12-07T23:30:00+00:00"


def test_the_repeated_hour_keeps_its_zone_when_kept():
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = first + timedelta(hours=1)  # 01:30 GMT
    for _ in range(2):  # written, then kept
        assert picker.pick_time(first, LONDON).label == "01:30 BST"
        assert picker.pick_time(second, LONDON).label == "01:30 GMT"


def test_an_instant_given_in_another_zone_keeps_its_own_iso_form():
    start = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    same = start.astimezone(timezone(timedelta(hours=2)))
    assert picker.pick_time(start, LONDON).iso == "2026-12-07T10:00:00+00:00"
    assert picker.pick_time(same, LONDON).iso == "2026-12-07T12:00:00+02:00"


def test_times_by_day_groups_in_order_by_local_day():
    starts = [datetime(2026, 12, 7, 23, 0, tzinfo=UTC), datetime(2026, 12, 7, 15, 0, tzinfo=UTC)]
    slots = [Slot(start, start + timedelta(minutes=30), (1,)) for start in sorted(starts)]
    days = picker.times_by_day(slots, ZoneInfo("Asia/Tokyo"))
    assert list(days) == [date(2026, 12, 8)]
    assert [time.label for time in days[date(2026, 12, 8)]] == ["00:00", "08:00"]
