"""The dashboard chart's weeks written out as SVG and table rows, once, in plain Python.

Twelve weeks drawn twice (a phone's rows and a desktop's bars) and listed for screen readers
took some 300 template lookups, a third of the dashboard's template time; here each piece is one
string (the chart's frame stays in templates/staff/_chart.html). Every value is a number or a
date: nothing here comes from a person. Numbers are written plainly, never localised: a decimal
comma would break the drawing.
"""

from django.utils.dates import MONTHS, MONTHS_3
from django.utils.safestring import SafeString, mark_safe


def label_weeks(weeks: list[dict]) -> None:
    """Give each week its Monday's date as each drawing writes it: "5 Oct" (a phone's rows),
    "5/10" (a desktop's bars) and "5 October" (the table), as the date filter's "j M", "j/n"
    and "j F" would. The month's names are translated once a month, not once a label."""
    months = {}
    for week in weeks:
        monday = week["monday"]
        if monday.month not in months:
            months[monday.month] = (MONTHS_3[monday.month].title(), str(MONTHS[monday.month]))
        short, long = months[monday.month]
        week["short_label"] = f"{monday.day} {short}"
        week["numeric_label"] = f"{monday.day}/{monday.month}"
        week["long_label"] = f"{monday.day} {long}"


def narrow_bars(chart: dict) -> SafeString:
    """A phone's drawing: a row a week, the week's date on the left, bookings and no-shows."""
    label, bar = chart["narrow_label"], chart["narrow_bar"]
    parts = []
    for week in chart["weeks"]:
        parts.append(
            f'<text x="0" y="{week["label_y"]}" class="chart-label">'
            f"{week['short_label']}</text>"
            f'<rect x="{label}" y="{week["row_y"]}" width="{week["bookings_length"]}" '
            f'height="{bar}" class="bar-bookings"></rect>'
            f'<text x="{week["bookings_text_x"]}" y="{week["row_y"] + 8}" '
            f'class="chart-count">{week["bookings"]}</text>'
        )
        if week["no_shows"]:
            parts.append(
                f'<rect x="{label}" y="{week["narrow_no_shows_y"]}" '
                f'width="{week["no_shows_length"]}" height="{bar}" class="bar-no-shows"></rect>'
                f'<text x="{week["no_shows_text_x"]}" y="{week["no_shows_text_y"]}" '
                f'class="chart-count">{week["no_shows"]}</text>'
            )
    return mark_safe("".join(parts))  # noqa: S308 - numbers and dates only


def wide_bars(chart: dict) -> SafeString:
    """A desktop's drawing: two bars a week standing on the axis, the week's date below."""
    label_y = chart["height"] + 15
    parts = [
        f'<rect x="{week["x"]}" y="{week["bookings_y"]}" width="{week["width"]}" '
        f'height="{week["bookings_height"]}" class="bar-bookings"></rect>'
        f'<rect x="{week["x2"]}" y="{week["no_shows_y"]}" width="{week["width"]}" '
        f'height="{week["no_shows_height"]}" class="bar-no-shows"></rect>'
        f'<text x="{week["x"]}" y="{label_y}" class="chart-label">'
        f"{week['numeric_label']}</text>"
        for week in chart["weeks"]
    ]
    return mark_safe("".join(parts))  # noqa: S308 - numbers and dates only


def table_rows(chart: dict) -> SafeString:
    """The same figures as table rows, for screen readers."""
    parts = [
        f"<tr><td>{week['long_label']}</td><td>{week['bookings']}</td>"
        f"<td>{week['no_shows']}</td></tr>"
        for week in chart["weeks"]
    ]
    return mark_safe("".join(parts))  # noqa: S308 - numbers and dates only
