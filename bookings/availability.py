"""The slot engine: which start times may be offered to a patient.

A pure computation over plain values, with no ORM inside, so that it can be tested exhaustively
and benchmarked alone. ``bookings.selectors`` loads the inputs from the database.

The rules, for one practitioner:

* A working window is a weekly span (local wall-clock times at the location) on a given local
  date, turned into UTC instants; minus the practitioner's time off.
* Start times lie on a grid: the span's start plus whole multiples of the slot interval. The grid
  is anchored on each span's own local start, so a span from 09:00 offers 09:00, 09:15, … on both
  sides of a daylight-saving change. A free gap that fits the consultation but holds no grid
  point (say 10:05–10:40 for 30 minutes on a 15-minute grid) offers its earliest start instead,
  so that no gap long enough for the consultation is wasted.
* The consultation itself, ``[start, start + duration)``, lies inside one working window.
* The consultation widened by the type's buffers, ``[start - before, start + duration + after)``,
  overlaps no busy interval (an existing booking, itself already widened by its own buffers).
* ``now + minimum notice <= start <= now + horizon``.

A procedure also needs rooms and equipment (resources). For every one of them, the whole
stretch the booking holds it, ``[start - before, start + duration + after)`` (the same
stretch the practitioner is blocked), lies inside the resource's working hours (spans that touch
count as one) and overlaps none of its holds. A resource with no hours is never free. Those
rules become more forbidden ranges of start times, shared by every practitioner, so the grid,
the gaps off the grid and "any practitioner" work for procedures exactly as for consultations.

All instants are timezone-aware; the results are in UTC.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open interval of time, ``[start, end)``."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def __iter__(self):
        # Unpacks as ``start, end``, like the plain pairs the selectors pass for busy times.
        return iter((self.start, self.end))


@dataclass(frozen=True)
class WeeklySpan:
    """A span of working time on one weekday (Monday is 0), in the location's wall-clock time."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class SlotRules:
    """The consultation type's timing rules."""

    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    step: timedelta = timedelta(minutes=15)
    min_notice: timedelta = timedelta(0)
    horizon: timedelta = timedelta(days=60)


@dataclass(frozen=True)
class PractitionerSchedule:
    """Everything the engine needs to know about one practitioner's time."""

    practitioner_id: int
    weekly_hours: tuple[WeeklySpan, ...]
    time_off: tuple[Interval, ...] = ()
    # Intervals, or plain ``(start, end)`` pairs: thousands of them are read per page.
    busy: tuple[Interval | tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class ResourceSchedule:
    """A room or piece of equipment: its weekly hours at the location and what holds it."""

    resource_id: int
    weekly_hours: tuple[WeeklySpan, ...]
    held: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Slot:
    """A bookable start time and the practitioners free for it (at least one)."""

    start: datetime
    end: datetime
    practitioner_ids: tuple[int, ...] = field(default=())


def local_dates(first_day: date, last_day: date) -> Iterable[date]:
    day = first_day
    while day <= last_day:
        yield day
        day += timedelta(days=1)


def to_utc(day: date, wall_time: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of a wall-clock time on a local date.

    A wall-clock time that does not exist (skipped when clocks go forward) is read with the
    offset in force before the change, the ``fold=0`` rule, so it lands just after the gap.
    """
    return datetime.combine(day, wall_time, tzinfo=zone).astimezone(UTC)


def closed_day_intervals(days: Iterable[date], zone: ZoneInfo) -> list[Interval]:
    """Return the days a location is closed as time off: each local day from midnight to
    midnight (23 or 25 hours on the days the clocks change), in UTC."""
    return [
        Interval(to_utc(day, time(0), zone), to_utc(day + timedelta(days=1), time(0), zone))
        for day in sorted(set(days))
    ]


def working_windows(
    weekly_hours: Sequence[WeeklySpan], zone: ZoneInfo, first_day: date, last_day: date
) -> list[Interval]:
    """Return the working spans over the local dates ``first_day``..``last_day``, in UTC."""
    by_weekday: dict[int, list[WeeklySpan]] = {}
    for span in weekly_hours:
        by_weekday.setdefault(span.weekday, []).append(span)
    windows = []
    for day in local_dates(first_day, last_day):
        for span in by_weekday.get(day.weekday(), ()):
            start, end = to_utc(day, span.start, zone), to_utc(day, span.end, zone)
            if end > start:
                windows.append(Interval(start, end))
    windows.sort()
    return windows


def subtract(intervals: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    """Return the parts of sorted ``intervals`` not covered by any of ``holes``."""
    holes = sorted(holes)
    result = []
    for interval in intervals:
        pieces = [interval]
        for hole in holes:
            if hole.start >= interval.end:
                break
            if hole.end <= interval.start:
                continue
            next_pieces = []
            for piece in pieces:
                if not piece.overlaps(hole):
                    next_pieces.append(piece)
                    continue
                if piece.start < hole.start:
                    next_pieces.append(Interval(piece.start, hole.start))
                if hole.end < piece.end:
                    next_pieces.append(Interval(hole.end, piece.end))
            pieces = next_pieces
        result.extend(pieces)
    return result


def _merge_open(ranges: list[tuple[datetime, datetime]]) -> tuple[list, list]:
    """Merge open ranges given as ``(start, end)`` tuples; return their starts and ends.

    Two ranges that only touch stay apart: their shared end is in neither. Plain tuples keep
    this hot path cheap when a practitioner has thousands of bookings.
    """
    ranges.sort()
    starts: list[datetime] = []
    ends: list[datetime] = []
    for start, end in ranges:
        if ends and start < ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _ceil_to_grid(moment: datetime, anchor: datetime, step: timedelta) -> datetime:
    """Return the first grid point ``anchor + k * step`` (k >= 0) at or after ``moment``."""
    if moment <= anchor:
        return anchor
    steps = -((anchor - moment) // step)  # ceiling division on timedeltas
    return anchor + steps * step


def _joined(windows: Sequence[Interval]) -> list[Interval]:
    """Join sorted windows that overlap or touch into one."""
    joined: list[Interval] = []
    for window in windows:
        if joined and window.start <= joined[-1].end:
            if window.end > joined[-1].end:
                joined[-1] = Interval(joined[-1].start, window.end)
        else:
            joined.append(window)
    return joined


def resource_forbidden_starts(
    resources: Sequence[ResourceSchedule],
    rules: SlotRules,
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
) -> list[tuple[datetime, datetime]]:
    """Return the open ranges of start times, around ``first_day``..``last_day``, at which
    some resource is not free for the whole held stretch.

    A resource is free for a start ``s`` when ``[s - before, s + duration + after)`` lies in
    one of its free intervals (working hours, joined, minus holds), i.e. when ``s`` lies in the
    closed range ``[free.start + before, free.end - duration - after]`` of one of them. The
    complement of those closed ranges is a list of open ranges, the engine's own shape.
    """
    if not resources:
        return []
    reach = rules.buffer_before + rules.duration + rules.buffer_after
    margin = timedelta(days=reach.days + 2)
    # Beyond these bounds no practitioner's window on these dates can offer a start.
    low = to_utc(first_day - margin, time(0), zone)
    high = to_utc(last_day + margin, time(0), zone)
    forbidden = []
    for resource in resources:
        windows = working_windows(
            resource.weekly_hours, zone, first_day - margin, last_day + margin
        )
        allowed_until = low
        for free in subtract(_joined(windows), resource.held):
            first_start = free.start + rules.buffer_before
            last_start = free.end - rules.duration - rules.buffer_after
            if first_start > last_start:
                continue
            if first_start > allowed_until:
                forbidden.append((allowed_until, first_start))
            allowed_until = max(allowed_until, last_start)
        if allowed_until < high:
            forbidden.append((allowed_until, high))
    return forbidden


def practitioner_slots(
    schedule: PractitionerSchedule,
    rules: SlotRules,
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
    now: datetime,
    resources: Sequence[ResourceSchedule] = (),
) -> list[datetime]:
    """Return the bookable start times of one practitioner, sorted, in UTC: those at which
    the practitioner and every one of ``resources`` are free."""
    blocked = resource_forbidden_starts(resources, rules, zone, first_day, last_day)
    return _practitioner_slots(schedule, rules, zone, first_day, last_day, now, blocked)


def _practitioner_slots(schedule, rules, zone, first_day, last_day, now, blocked_by_resources):
    earliest = now + rules.min_notice
    latest = now + rules.horizon
    # A start ``s`` clashes with a busy interval ``b`` when the widened consultation
    # [s - before, s + duration + after) overlaps it, i.e. when s lies in
    # (b.start - duration - after, b.end + before). Those open ranges are merged once, with
    # the ranges where a resource the procedure needs is not free.
    reach_back = rules.duration + rules.buffer_after
    before = rules.buffer_before
    forbidden_starts, forbidden_ends = _merge_open(
        [(start - reach_back, end + before) for start, end in schedule.busy] + blocked_by_resources
    )

    if rules.step <= timedelta(0) or rules.duration <= timedelta(0):
        raise ValueError("The slot step and the duration must be positive.")
    time_off = sorted(schedule.time_off)
    slots = set()
    for span in working_windows(schedule.weekly_hours, zone, first_day, last_day):
        anchor = span.start
        for window in subtract([span], time_off):
            lowest = max(window.start, earliest)
            highest = min(window.end - rules.duration, latest)
            for low, high in _allowed_starts(lowest, highest, forbidden_starts, forbidden_ends):
                start = _ceil_to_grid(low, anchor, rules.step)
                if start > high and low != earliest:
                    # A gap that fits but holds no grid point. (One cut short only by the
                    # notice period is not offered: "now" would give it an odd start time.)
                    slots.add(low)
                while start <= high:
                    slots.add(start)
                    start += rules.step
    return sorted(slots)


def _allowed_starts(lowest, highest, forbidden_starts, forbidden_ends):
    """Yield the closed ranges of starts in ``[lowest, highest]`` outside the forbidden ranges."""
    if lowest > highest:
        return
    # Begin with the last forbidden range starting before ``lowest``: it may still cover it.
    index = max(bisect.bisect_left(forbidden_starts, lowest) - 1, 0)
    low = lowest
    while index < len(forbidden_starts) and forbidden_starts[index] < highest:
        start, end = forbidden_starts[index], forbidden_ends[index]
        if end > low:
            if start >= low:
                yield low, start  # the range is open, so its start itself is allowed
            low = max(low, end)
        index += 1
    if low <= highest:
        yield low, highest


def any_practitioner_slots(
    schedules: Sequence[PractitionerSchedule],
    rules: SlotRules,
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
    now: datetime,
    resources: Sequence[ResourceSchedule] = (),
) -> list[Slot]:
    """Return the start times at which at least one of the practitioners is free, and every
    one of ``resources`` too."""
    blocked = resource_forbidden_starts(resources, rules, zone, first_day, last_day)
    free_at: dict[datetime, list[int]] = {}
    for schedule in schedules:
        for start in _practitioner_slots(schedule, rules, zone, first_day, last_day, now, blocked):
            free_at.setdefault(start, []).append(schedule.practitioner_id)
    return [
        Slot(start, start + rules.duration, tuple(sorted(ids)))
        for start, ids in sorted(free_at.items())
    ]


def choose_practitioner(candidate_ids: Iterable[int], bookings_that_day: Mapping[int, int]) -> int:
    """Pick who takes a "first available" booking, fairly.

    The rule: the candidate with the fewest active bookings on that local day, so that the day's
    work is spread out; on a tie, the lowest id, so that the choice is deterministic.
    """
    return min(candidate_ids, key=lambda pid: fair_order(pid, bookings_that_day))


def fair_order(practitioner_id: int, bookings_that_day: Mapping[int, int]) -> tuple[int, int]:
    """The sort key of ``choose_practitioner``: the fewest bookings that day, then the lowest id."""
    return (bookings_that_day.get(practitioner_id, 0), practitioner_id)
