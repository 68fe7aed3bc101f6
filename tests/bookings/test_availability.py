"""The pure slot engine: rules, daylight saving, "any practitioner", and properties over random
schedules checked against a brute-force oracle."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookings.availability import (
    Interval,
    PractitionerSchedule,
    ResourceSchedule,
    SlotRules,
    WeeklySpan,
    any_practitioner_slots,
    choose_practitioner,
    practitioner_slots,
    subtract,
)

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 3, 2)
BEFORE_OPENING = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SPLIT_DAY = (WeeklySpan(0, time(9), time(12, 30)), WeeklySpan(0, time(13, 30), time(17)))
HALF_HOUR = SlotRules(duration=timedelta(minutes=30))


def utc(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def local_times(slots, zone):
    return [s.astimezone(zone).strftime("%H:%M") for s in slots]


def test_split_day_offers_each_span_on_the_grid():
    schedule = PractitionerSchedule(1, SPLIT_DAY)
    slots = practitioner_slots(schedule, HALF_HOUR, LONDON, MONDAY, MONDAY, BEFORE_OPENING)
    times = local_times(slots, LONDON)
    assert times[0] == "09:00"
    assert "12:00" in times and "12:15" not in times  # 12:15 + 30 min would pass 12:30
    assert "13:00" not in times and "13:30" in times
    assert times[-1] == "16:30"
    assert len(times) == 13 + 13


def test_busy_interval_and_buffers_block_nearby_starts():
    rules = SlotRules(
        duration=timedelta(minutes=30),
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=5),
    )
    # An existing booking blocked 10:00–10:45 (its own buffers included).
    busy = (Interval(utc(MONDAY, 10), utc(MONDAY, 10, 45)),)
    schedule = PractitionerSchedule(1, (WeeklySpan(0, time(9), time(12)),), busy=busy)
    times = local_times(
        practitioner_slots(schedule, rules, LONDON, MONDAY, MONDAY, BEFORE_OPENING), LONDON
    )
    # 09:15 ends 09:45 and its after-buffer reaches 09:50: free. 09:30 would reach 10:05: taken.
    assert "09:15" in times and "09:30" not in times
    # 10:45 needs its before-buffer from 10:35: taken. 11:00 needs it from 10:50: free.
    assert "10:45" not in times and "11:00" in times


def test_gap_exactly_as_long_as_consultation_and_buffers_is_offered():
    rules = SlotRules(
        duration=timedelta(minutes=30),
        buffer_before=timedelta(minutes=5),
        buffer_after=timedelta(minutes=5),
        step=timedelta(minutes=5),
    )
    busy = (
        Interval(utc(MONDAY, 9), utc(MONDAY, 10)),
        Interval(utc(MONDAY, 10, 40), utc(MONDAY, 11)),
    )
    schedule = PractitionerSchedule(1, (WeeklySpan(0, time(9), time(11)),), busy=busy)
    slots = practitioner_slots(schedule, rules, LONDON, MONDAY, MONDAY, BEFORE_OPENING)
    assert slots == [utc(MONDAY, 10, 5)]


def test_gap_off_the_grid_offers_its_earliest_start():
    busy = (
        Interval(utc(MONDAY, 9), utc(MONDAY, 10, 5)),
        Interval(utc(MONDAY, 10, 35), utc(MONDAY, 11)),
    )
    schedule = PractitionerSchedule(1, (WeeklySpan(0, time(9), time(11)),), busy=busy)
    slots = practitioner_slots(schedule, HALF_HOUR, LONDON, MONDAY, MONDAY, BEFORE_OPENING)
    assert slots == [utc(MONDAY, 10, 5)]


def test_engine_refuses_a_zero_step():
    rules = SlotRules(duration=timedelta(minutes=30), step=timedelta(0))
    with pytest.raises(ValueError, match="positive"):
        practitioner_slots(
            PractitionerSchedule(1, SPLIT_DAY), rules, LONDON, MONDAY, MONDAY, BEFORE_OPENING
        )


def test_time_off_removes_slots_but_keeps_the_grid():
    time_off = (Interval(utc(MONDAY, 10, 5), utc(MONDAY, 11)),)
    schedule = PractitionerSchedule(1, (WeeklySpan(0, time(9), time(12)),), time_off=time_off)
    times = local_times(
        practitioner_slots(schedule, HALF_HOUR, LONDON, MONDAY, MONDAY, BEFORE_OPENING), LONDON
    )
    assert times == ["09:00", "09:15", "09:30", "11:00", "11:15", "11:30"]


def test_minimum_notice_and_horizon_bound_the_slots():
    rules = SlotRules(
        duration=timedelta(minutes=30), min_notice=timedelta(hours=2), horizon=timedelta(days=1)
    )
    now = utc(MONDAY, 9, 50)
    hours = tuple(WeeklySpan(day, time(9), time(17)) for day in range(7))
    slots = practitioner_slots(
        PractitionerSchedule(1, hours), rules, LONDON, MONDAY, MONDAY + timedelta(days=3), now
    )
    assert slots[0] == utc(MONDAY, 12)  # first grid point at or after 11:50
    assert slots[-1] == utc(MONDAY + timedelta(days=1), 9, 45)  # last at or before now + 1 day
    assert all(now + rules.min_notice <= s <= now + rules.horizon for s in slots)


def test_subtract_splits_and_trims():
    base = [Interval(utc(MONDAY, 9), utc(MONDAY, 17))]
    holes = [Interval(utc(MONDAY, 8), utc(MONDAY, 10)), Interval(utc(MONDAY, 12), utc(MONDAY, 13))]
    assert subtract(base, holes) == [
        Interval(utc(MONDAY, 10), utc(MONDAY, 12)),
        Interval(utc(MONDAY, 13), utc(MONDAY, 17)),
    ]


# Daylight saving: 2026 transitions. London: 29 March (01:00 -> 02:00), 25 October (02:00 ->
# 01:00). Los Angeles: 8 March (02:00 -> 03:00), 1 November (02:00 -> 01:00).
DST_WEEKS = [
    ("Europe/London", date(2026, 3, 29)),
    ("Europe/London", date(2026, 10, 25)),
    ("America/Los_Angeles", date(2026, 3, 8)),
    ("America/Los_Angeles", date(2026, 11, 1)),
]


@pytest.mark.parametrize(("zone_name", "change_day"), DST_WEEKS)
def test_daylight_saving_keeps_nine_oclock_local_and_loses_no_slot(zone_name, change_day):
    zone = ZoneInfo(zone_name)
    hours = tuple(WeeklySpan(day, time(9), time(17)) for day in range(7))
    first, last = change_day - timedelta(days=3), change_day + timedelta(days=3)
    now = datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC)
    slots = practitioner_slots(PractitionerSchedule(1, hours), HALF_HOUR, zone, first, last, now)

    assert len(slots) == len(set(slots))
    by_day = {}
    for slot in slots:
        by_day.setdefault(slot.astimezone(zone).date(), []).append(slot.astimezone(zone))
    assert sorted(by_day) == [first + timedelta(days=n) for n in range(7)]
    for local_slots in by_day.values():
        assert local_slots[0].strftime("%H:%M") == "09:00"
        assert local_slots[-1].strftime("%H:%M") == "16:30"
        assert len(local_slots) == 31  # 09:00 to 16:30 every 15 minutes
    # Across the change the UTC time of 09:00 local moves by exactly one hour.
    before = by_day[change_day - timedelta(days=1)][0].astimezone(UTC).time()
    after = by_day[change_day][0].astimezone(UTC).time()
    assert abs(before.hour - after.hour) == 1


@pytest.mark.parametrize(
    ("zone_name", "change_day", "expected"),
    [
        # A night span 00:00–04:00 lasts 3 real hours when clocks go forward, 5 when they go back:
        # the slots follow real time, each instant offered once.
        ("Europe/London", date(2026, 3, 29), 11),
        ("Europe/London", date(2026, 10, 25), 19),
        ("America/Los_Angeles", date(2026, 3, 8), 11),
        ("America/Los_Angeles", date(2026, 11, 1), 19),
    ],
)
def test_span_across_the_change_follows_real_time(zone_name, change_day, expected):
    zone = ZoneInfo(zone_name)
    hours = (WeeklySpan(change_day.weekday(), time(0), time(4)),)
    now = datetime.combine(change_day - timedelta(days=2), time(0), tzinfo=UTC)
    slots = practitioner_slots(
        PractitionerSchedule(1, hours), HALF_HOUR, zone, change_day, change_day, now
    )
    assert len(slots) == len(set(slots)) == expected
    assert all(b - a == timedelta(minutes=15) for a, b in pairwise(slots))


def test_any_practitioner_offers_a_slot_when_at_least_one_is_free():
    busy_first = (Interval(utc(MONDAY, 9), utc(MONDAY, 10)),)
    first = PractitionerSchedule(1, (WeeklySpan(0, time(9), time(11)),), busy=busy_first)
    second = PractitionerSchedule(2, (WeeklySpan(0, time(10), time(12)),))
    slots = any_practitioner_slots(
        [first, second], HALF_HOUR, LONDON, MONDAY, MONDAY, BEFORE_OPENING
    )
    by_time = {s.start.astimezone(LONDON).strftime("%H:%M"): s.practitioner_ids for s in slots}
    assert "09:00" not in by_time  # first is busy, second not yet working
    assert by_time["10:00"] == (1, 2)
    assert by_time["11:30"] == (2,)


def test_choose_practitioner_prefers_the_lighter_day_then_the_lower_id():
    assert choose_practitioner([3, 7], {3: 4, 7: 1}) == 7
    assert choose_practitioner([3, 7], {3: 2, 7: 2}) == 3
    assert choose_practitioner([9, 4], {}) == 4


# Property-based tests: random schedules, time off, bookings and rules, checked against an
# independent brute-force oracle that tries every grid point.

ZONES = st.sampled_from(["Europe/London", "America/Los_Angeles", "Asia/Dubai", "Asia/Kolkata"])
FIRST_DAYS = st.sampled_from([date(2026, 3, 27), date(2026, 10, 23), date(2026, 6, 10)])
DAYS = 2


@st.composite
def weekly_hours(draw):
    spans = []
    for weekday in range(7):
        cuts = sorted(
            draw(st.sets(st.integers(0, 24 * 60 - 1), min_size=0, max_size=4).map(sorted))
        )
        for start, end in zip(cuts[::2], cuts[1::2], strict=False):
            spans.append(
                WeeklySpan(weekday, time(start // 60, start % 60), time(end // 60, end % 60))
            )
    return tuple(spans)


def intervals(range_start):
    return st.lists(
        st.builds(
            lambda offset, length: Interval(
                range_start + timedelta(minutes=offset),
                range_start + timedelta(minutes=offset + length),
            ),
            st.integers(-120, (DAYS + 1) * 24 * 60),
            st.integers(1, 300),
        ),
        max_size=14,
    )


@st.composite
def scenarios(draw):
    zone = ZoneInfo(draw(ZONES))
    first_day = draw(FIRST_DAYS)
    range_start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    rules = SlotRules(
        duration=timedelta(minutes=draw(st.integers(5, 120))),
        buffer_before=timedelta(minutes=draw(st.integers(0, 30))),
        buffer_after=timedelta(minutes=draw(st.integers(0, 30))),
        step=timedelta(minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45]))),
        min_notice=timedelta(minutes=draw(st.integers(0, 48 * 60))),
        horizon=timedelta(minutes=draw(st.integers(60, (DAYS + 1) * 24 * 60))),
    )
    schedule = PractitionerSchedule(
        1,
        draw(weekly_hours()),
        tuple(draw(intervals(range_start))),
        tuple(draw(intervals(range_start))),
    )
    now = range_start + timedelta(minutes=draw(st.integers(-24 * 60, DAYS * 24 * 60)))
    return zone, first_day, first_day + timedelta(days=DAYS - 1), rules, schedule, now


def oracle_windows(schedule, zone, first_day, last_day):
    day = first_day
    while day <= last_day:
        for span in schedule.weekly_hours:
            if span.weekday == day.weekday():
                start = datetime.combine(day, span.start, tzinfo=zone).astimezone(UTC)
                end = datetime.combine(day, span.end, tzinfo=zone).astimezone(UTC)
                yield start, end
        day += timedelta(days=1)


def bookable(start, rules, schedule, now, span_end):
    consultation = Interval(start, start + rules.duration)
    widened = Interval(start - rules.buffer_before, consultation.end + rules.buffer_after)
    return (
        consultation.end <= span_end
        and now + rules.min_notice <= start <= now + rules.horizon
        and not any(consultation.overlaps(off) for off in schedule.time_off)
        and not any(widened.overlaps(busy) for busy in schedule.busy)
    )


def oracle_slots(zone, first_day, last_day, rules, schedule, now, resources_free=None):
    """Try every minute of every span (all inputs are whole minutes) and apply the rules.

    Offered: the bookable grid points, plus the first minute of each run of bookable starts
    that holds no grid point, unless that run begins only because of the notice period. With
    ``resources_free``, a start is bookable only if it also says every resource is free.
    """
    found = set()
    minute = timedelta(minutes=1)
    for span_start, span_end in oracle_windows(schedule, zone, first_day, last_day):
        run = []
        start = span_start
        while start + rules.duration <= span_end + minute:
            if (
                start + rules.duration <= span_end
                and bookable(start, rules, schedule, now, span_end)
                and (resources_free is None or resources_free(start))
            ):
                run.append(start)
                start += minute
                continue
            if run:
                on_grid = [t for t in run if (t - span_start) % rules.step == timedelta(0)]
                found.update(on_grid)
                if not on_grid and run[0] != now + rules.min_notice:
                    found.add(run[0])
                run = []
            start += minute
    return sorted(found)


@given(scenarios())
def test_engine_offers_exactly_the_bookable_grid_points(scenario):
    zone, first_day, last_day, rules, schedule, now = scenario
    slots = practitioner_slots(schedule, rules, zone, first_day, last_day, now)
    assert slots == oracle_slots(*scenario)


@given(scenarios())
def test_no_offered_slot_touches_a_busy_interval_or_time_off(scenario):
    zone, first_day, last_day, rules, schedule, now = scenario
    for start in practitioner_slots(schedule, rules, zone, first_day, last_day, now):
        widened = Interval(start - rules.buffer_before, start + rules.duration + rules.buffer_after)
        assert not any(widened.overlaps(busy) for busy in schedule.busy)
        consultation = Interval(start, start + rules.duration)
        assert not any(consultation.overlaps(off) for off in schedule.time_off)
        assert now + rules.min_notice <= start <= now + rules.horizon


@given(scenarios())
def test_every_free_gap_long_enough_yields_a_slot(scenario):
    """A gap in a working span, clear of time off and of busy times with their buffers, that is
    as long as the consultation always contains an offered slot (one step longer when the gap
    is cut short by the notice period, which keeps to the grid)."""
    zone, first_day, last_day, rules, schedule, now = scenario
    offered = practitioner_slots(schedule, rules, zone, first_day, last_day, now)
    for span_start, span_end in oracle_windows(schedule, zone, first_day, last_day):
        holes = list(schedule.time_off) + [
            Interval(b.start - rules.buffer_after, b.end + rules.buffer_before)
            for b in schedule.busy
        ]
        window = Interval(
            max(span_start, now + rules.min_notice),
            min(span_end, now + rules.horizon + rules.duration),
        )
        if window.end <= window.start:
            continue
        for gap in subtract([window], holes):
            # A gap cut short by the notice period keeps to the grid, so it needs one more step.
            cut_by_notice = gap.start == now + rules.min_notice
            needed = rules.duration + (rules.step if cut_by_notice else timedelta(0))
            if gap.end - gap.start >= needed:
                assert any(gap.start <= s and s + rules.duration <= gap.end for s in offered), gap


# Procedures: the same engine, with rooms and equipment that must be free for the whole held
# stretch (the procedure widened by its buffers).

SIXTY_PLUS_CLEANING = SlotRules(duration=timedelta(minutes=60), buffer_after=timedelta(minutes=15))
ALL_DAY = (WeeklySpan(0, time(9), time(17)),)


def test_procedure_is_offered_only_when_its_room_is_free_for_the_whole_hold():
    room = ResourceSchedule(7, ALL_DAY, held=(Interval(utc(MONDAY, 10), utc(MONDAY, 11)),))
    slots = practitioner_slots(
        PractitionerSchedule(1, ALL_DAY),
        SIXTY_PLUS_CLEANING,
        LONDON,
        MONDAY,
        MONDAY,
        BEFORE_OPENING,
        resources=[room],
    )
    times = local_times(slots, LONDON)
    # 09:00 would hold the room until 10:15, into the other hold; from 11:00 it is free. The
    # room closes at 17:00, so the last start keeps its cleaning time inside: 15:45.
    assert times == [f"{h:02d}:{m:02d}" for h in range(11, 16) for m in (0, 15, 30, 45)]


def test_a_room_without_hours_is_never_free():
    room = ResourceSchedule(7, ())
    slots = practitioner_slots(
        PractitionerSchedule(1, ALL_DAY),
        HALF_HOUR,
        LONDON,
        MONDAY,
        MONDAY,
        BEFORE_OPENING,
        resources=[room],
    )
    assert slots == []


def test_buffer_before_must_fit_in_the_rooms_hours_and_touching_spans_join():
    rules = SlotRules(duration=timedelta(minutes=60), buffer_before=timedelta(minutes=15))
    room = ResourceSchedule(
        7, (WeeklySpan(0, time(9), time(12)), WeeklySpan(0, time(12), time(13)))
    )
    practitioner = PractitionerSchedule(1, (WeeklySpan(0, time(8), time(13)),))
    times = local_times(
        practitioner_slots(
            practitioner, rules, LONDON, MONDAY, MONDAY, BEFORE_OPENING, resources=[room]
        ),
        LONDON,
    )
    # The room opens at 09:00, so its set-up time puts the first start at 09:15 (off the
    # practitioner's 08:00 grid, the earliest start of that gap); 11:30 runs across the join.
    assert times[0] == "09:15" and "11:30" in times and times[-1] == "12:00"


def test_every_resource_must_be_free_and_any_practitioner_shares_them():
    room = ResourceSchedule(7, ALL_DAY, held=(Interval(utc(MONDAY, 9), utc(MONDAY, 12)),))
    centrifuge = ResourceSchedule(8, ALL_DAY, held=(Interval(utc(MONDAY, 14), utc(MONDAY, 17)),))
    schedules = [PractitionerSchedule(1, ALL_DAY), PractitionerSchedule(2, ALL_DAY)]
    slots = any_practitioner_slots(
        schedules, HALF_HOUR, LONDON, MONDAY, MONDAY, BEFORE_OPENING, [room, centrifuge]
    )
    assert local_times([slot.start for slot in slots], LONDON) == [
        "12:00",
        "12:15",
        "12:30",
        "12:45",
        "13:00",
        "13:15",
        "13:30",
    ]
    assert all(slot.practitioner_ids == (1, 2) for slot in slots)


def minute(moment):
    return int(moment.timestamp()) // 60


def free_minutes_oracle(resource, zone, first_day, last_day):
    """Map each free minute of a resource to the end of the free run it is in, by brute force:
    every minute of its hours (a few days either side), less every minute held."""
    hours = PractitionerSchedule(0, resource.weekly_hours)
    covered = set()
    for start, end in oracle_windows(
        hours, zone, first_day - timedelta(days=2), last_day + timedelta(days=2)
    ):
        covered.update(range(minute(start), minute(end)))
    for held in resource.held:
        covered.difference_update(range(minute(held.start), minute(held.end)))
    run_end = {}
    for m in sorted(covered, reverse=True):
        run_end[m] = run_end.get(m + 1, m + 1)
    return run_end


def resources_free_oracle(resources, rules, zone, first_day, last_day):
    """A predicate: is every resource free for the whole held stretch of a start?"""
    runs = [free_minutes_oracle(r, zone, first_day, last_day) for r in resources]

    def free(start):
        begin = minute(start - rules.buffer_before)
        end = minute(start + rules.duration + rules.buffer_after)
        return all(run.get(begin, begin) >= end for run in runs)

    return free


@st.composite
def procedure_scenarios(draw):
    """A practitioner and one or two rooms, each with hours, time off or holds. Hours are
    mostly long days (so that there is something to offer), sometimes as ragged as anything
    ``weekly_hours`` draws; "now" is before the days, so the notice period cuts little."""
    zone = ZoneInfo(draw(ZONES))
    first_day = draw(FIRST_DAYS)
    range_start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    long_days = st.builds(
        lambda start, end: tuple(WeeklySpan(day, time(start), time(end)) for day in range(7)),
        st.integers(0, 10),
        st.integers(14, 23),
    )
    hours = st.one_of(long_days, long_days, weekly_hours())
    some = intervals(range_start).map(lambda found: found[:6])
    rules = SlotRules(
        duration=timedelta(minutes=draw(st.integers(5, 180))),
        buffer_before=timedelta(minutes=draw(st.integers(0, 30))),
        buffer_after=timedelta(minutes=draw(st.integers(0, 30))),
        step=timedelta(minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45]))),
        min_notice=timedelta(minutes=draw(st.integers(0, 12 * 60))),
        horizon=timedelta(days=DAYS + 2),
    )
    schedule = PractitionerSchedule(1, draw(hours), tuple(draw(some)), tuple(draw(some)))
    resources = [
        ResourceSchedule(index, draw(hours), tuple(draw(some)))
        for index in range(draw(st.integers(1, 2)))
    ]
    now = range_start - timedelta(minutes=draw(st.integers(0, 24 * 60)))
    return zone, first_day, first_day + timedelta(days=DAYS - 1), rules, schedule, now, resources


@given(procedure_scenarios())
def test_procedure_engine_offers_exactly_the_bookable_grid_points(scenario):
    zone, first_day, last_day, rules, schedule, now, resources = scenario
    slots = practitioner_slots(schedule, rules, zone, first_day, last_day, now, resources)
    free = resources_free_oracle(resources, rules, zone, first_day, last_day)
    assert slots == oracle_slots(zone, first_day, last_day, rules, schedule, now, free)


@given(procedure_scenarios())
def test_every_slot_offered_for_a_procedure_has_the_practitioner_and_every_resource_free(
    scenario,
):
    zone, first_day, last_day, rules, schedule, now, resources = scenario
    other = PractitionerSchedule(2, schedule.weekly_hours[::2], busy=schedule.time_off)
    slots = any_practitioner_slots(
        [schedule, other], rules, zone, first_day, last_day, now, resources
    )
    for slot in slots:
        held = Interval(slot.start - rules.buffer_before, slot.end + rules.buffer_after)
        for resource in resources:
            assert not any(held.overlaps(hold) for hold in resource.held), (slot, resource)
            # Inside the resource's hours, minute by minute.
            hours = PractitionerSchedule(0, resource.weekly_hours)
            windows = list(
                oracle_windows(
                    hours, zone, first_day - timedelta(days=2), last_day + timedelta(days=2)
                )
            )
            moment = held.start
            while moment < held.end:
                assert any(start <= moment < end for start, end in windows), (slot, resource)
                moment += timedelta(minutes=1)
        for pid in slot.practitioner_ids:
            practitioner = schedule if pid == schedule.practitioner_id else other
            spans = [
                end
                for start, end in oracle_windows(practitioner, zone, first_day, last_day)
                if start <= slot.start and slot.end <= end
            ]
            assert spans, (slot, pid)
            assert bookable(slot.start, rules, practitioner, now, spans[0]), (slot, pid)
