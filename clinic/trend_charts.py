"""Trend charts of a patient's measures across visits, drawn on the server as SVG geometry.

A pure function of plain data (dates and figures, treatment session dates, a "judge results
at" window), with no ORM inside: the template draws what it returns, and the same figures go
into a table for screen readers. Time runs left to right in days, labelled in months since
treatment started, so that visits weeks or years apart sit where they belong. A missing figure
is a gap in the line, never a zero.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

# Small enough that its words stay readable when a phone shrinks it to the screen's width.
WIDTH = 360
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 14, 30
# A single visit (or several on one day) still gets a readable time axis around it.
MIN_SPAN_DAYS = 60
MONTH_STEPS = [1, 2, 3, 6, 12, 24, 36, 60, 120]
MAX_X_TICKS = 6
# Steps of the figure axis: at most five of them from bottom to top.
VALUE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500]
# Colour, dash and marker differ from series to series, so that lines are told apart without
# colour too (and printed in grey).
STYLES = [
    {"colour": "#1f6f6b", "dash": "", "marker": "circle"},
    {"colour": "#a4262c", "dash": "7 4", "marker": "square"},
    {"colour": "#3f3d99", "dash": "2 4", "marker": "diamond"},
    {"colour": "#8a5a00", "dash": "10 4 2 4", "marker": "triangle"},
]


@dataclass(frozen=True)
class Series:
    """One line: a label and (date, figure or None) for each visit."""

    label: str
    points: list


@dataclass(frozen=True)
class Axis:
    """The figure axis: its range, and optional words for whole-number ticks (stages)."""

    low: float
    high: float
    unit: str = ""
    labels: dict = field(default_factory=dict)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, held to the month's last day (31 January + 1 = 28 Feb)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: every month has 28 days


def months_between(start: date, day: date) -> int:
    """Whole months from ``start`` to ``day`` (negative before it)."""
    months = (day.year - start.year) * 12 + day.month - start.month
    if months > 0 and day.day < start.day:
        months -= 1
    elif months < 0 and day.day > start.day:
        months += 1
    return months


def months_nearest(start: date, day: date) -> int:
    """The months from ``start`` to ``day``, to the nearest whole month: a visit's label. (The
    three-month review, held a day or two early, is "3 mo", not "2 mo".)"""
    whole = months_between(start, day)
    step = 1 if day >= start else -1
    nearer = whole + step
    if abs((add_months(start, nearer) - day).days) < abs((add_months(start, whole) - day).days):
        return nearer
    return whole


def months_label(months: int) -> str:
    if months == 0:
        return "Start"
    if months % 12 == 0:
        years = months // 12
        return f"{years} yr" if abs(years) == 1 else f"{years} yrs"
    return f"{months} mo"


def _marker(shape: str, x: float, y: float) -> str:
    """An SVG path for a small marker centred on (x, y)."""
    r = 4.5
    if shape == "square":
        return f"M{x - r:.1f} {y - r:.1f}h{2 * r}v{2 * r}h{-2 * r}Z"
    top, wide = y - r - 1, r + 1
    if shape == "diamond":
        return f"M{x:.1f} {top:.1f}l{wide} {wide}l{-wide} {wide}l{-wide} {-wide}Z"
    if shape == "triangle":
        return f"M{x:.1f} {top:.1f}l{wide} {2 * r + 1}h{-2 * wide}Z"
    return f"M{x - r:.1f} {y:.1f}a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0 {-2 * r} 0Z"


def nice_axis(low: float, high: float, unit: str = "") -> Axis:
    """An axis from ``low`` up to ``high`` or a little more, ending on a round step."""
    step = next((s for s in VALUE_STEPS if (high - low) / s <= 5), VALUE_STEPS[-1])
    top = low + step * math.ceil((high - low) / step)
    return Axis(low, max(top, low + step), unit)


def _value_ticks(axis: Axis) -> list:
    step = next((s for s in VALUE_STEPS if (axis.high - axis.low) / s <= 5), VALUE_STEPS[-1])
    ticks, value = [], axis.low
    while value <= axis.high + 1e-9:
        ticks.append(value)
        value += step
    return ticks


def trend_chart(
    *,
    title: str,
    series: list[Series],
    axis: Axis,
    start: date,
    sessions=(),
    judge_window=None,
) -> dict:
    """Return everything the template needs to draw one chart and its table.

    ``start`` is when treatment started (month 0 on the time axis); ``sessions`` are the dates
    of treatment sessions, drawn as markers on the time axis; ``judge_window`` is a (from, to)
    pair of dates when results can fairly be judged, shaded.
    """
    sessions = sorted(sessions)
    days = [day for s in series for day, _ in s.points] + list(sessions) + [start]
    if judge_window:
        days += list(judge_window)
    first, last = min(days), max(days)
    if (last - first).days < MIN_SPAN_DAYS:
        pad = (MIN_SPAN_DAYS - (last - first).days) / 2
        first -= timedelta(days=int(pad + 0.5))
        last = first + timedelta(days=MIN_SPAN_DAYS)
    span = (last - first).days
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM

    def x_of(day: date) -> float:
        return round(LEFT + plot_width * (day - first).days / span, 1)

    def y_of(value: float) -> float:
        share = (value - axis.low) / ((axis.high - axis.low) or 1)
        return round(TOP + plot_height * (1 - min(max(share, 0), 1)), 1)

    lines = []
    for index, one in enumerate(series):
        style = STYLES[index % len(STYLES)]
        segments, current, markers = [], [], []
        for day, value in sorted(one.points, key=lambda point: point[0]):
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            point = (x_of(day), y_of(value))
            current.append(point)
            markers.append(_marker(style["marker"], *point))
        if current:
            segments.append(current)
        paths = [
            "M" + "L".join(f"{x} {y}" for x, y in segment)
            for segment in segments
            if len(segment) > 1
        ]
        lines.append({"label": one.label, "paths": paths, "markers": markers, **style})

    total = months_between(start, last) - months_between(start, first)
    step = next((s for s in MONTH_STEPS if total / s <= MAX_X_TICKS - 1), MONTH_STEPS[-1])
    x_ticks = []
    lowest = months_between(start, first)
    month = (lowest // step) * step
    while True:
        day = add_months(start, month)
        if day > last:
            break
        if day >= first:
            x_ticks.append({"x": x_of(day), "label": months_label(month)})
        month += step

    if axis.labels:
        y_ticks = [{"y": y_of(value), "label": text} for value, text in axis.labels.items()]
    else:
        y_ticks = [{"y": y_of(value), "label": f"{value:g}"} for value in _value_ticks(axis)]

    window = None
    if judge_window:
        left, right = x_of(judge_window[0]), x_of(judge_window[1])
        window = {
            "x": left,
            "width": round(right - left, 1),
            "middle": round((left + right) / 2, 1),
            "height": plot_height,
        }

    visit_days = sorted({day for s in series for day, _ in s.points})
    values = {(index, day): value for index, s in enumerate(series) for day, value in s.points}
    rows = [
        {
            "day": day,
            "months": months_label(months_nearest(start, day)),
            "values": [values.get((index, day)) for index in range(len(series))],
        }
        for day in visit_days
    ]
    return {
        "title": title,
        "unit": axis.unit,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 18,
        "lines": lines,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "sessions": [{"x": x_of(day), "day": day} for day in sessions],
        "window": window,
        "judge_window": judge_window,
        "rows": rows,
        "labels": [one.label for one in series],
        "has_figures": any(value is not None for s in series for _, value in s.points),
    }
