"""Trend charts of measures across visits: one visit, missing figures, visits years apart,
treatment sessions and the judge-at window, all drawn inside the plot."""

from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string

from clinic import trend_charts
from clinic.trend_charts import (
    Axis,
    Series,
    add_months,
    months_between,
    months_nearest,
    trend_chart,
)
from patients.models import VisitMeasures
from staff.progress import Visit, measure_charts

START = date(2026, 1, 14)


def chart(points, **options):
    options.setdefault("axis", Axis(0, 200, "hairs/cm²"))
    options.setdefault("start", points[0][0] if points else START)
    return trend_chart(title="Density", series=[Series("Crown", points)], **options)


def inside(geometry, x, y):
    return geometry["left"] <= x <= geometry["right"] and geometry["top"] <= y <= geometry["bottom"]


def coordinates(path):
    numbers = path.replace("M", " ").replace("L", " ").split()
    return list(zip(map(float, numbers[::2]), map(float, numbers[1::2]), strict=True))


def test_one_visit_is_a_single_marker_in_the_middle_with_a_readable_axis():
    drawn = chart([(START, 150)])
    line = drawn["lines"][0]
    assert line["paths"] == [] and len(line["markers"]) == 1  # no line from one point
    middle = (drawn["left"] + drawn["right"]) / 2
    assert drawn["x_ticks"][0]["label"] == "Start"
    start_tick = next(t for t in drawn["x_ticks"] if t["label"] == "Start")
    assert abs(start_tick["x"] - middle) < 2
    assert drawn["rows"] == [{"day": START, "months": "Start", "values": [150]}]
    assert drawn["has_figures"]


def test_a_missing_figure_is_a_gap_never_a_zero():
    days = [START + timedelta(days=90 * n) for n in range(5)]
    drawn = chart(list(zip(days, [120, None, 130, 135, None], strict=True)))
    line = drawn["lines"][0]
    # 120 stands alone before the gap; 130 and 135 are joined; the two missing ones draw nothing.
    assert len(line["markers"]) == 3
    assert len(line["paths"]) == 1 and len(coordinates(line["paths"][0])) == 2
    bottom = drawn["bottom"]
    assert all(y < bottom for _, y in coordinates(line["paths"][0]))
    assert [row["values"] for row in drawn["rows"]] == [[120], [None], [130], [135], [None]]


def test_a_series_with_no_figure_at_all_has_nothing_to_draw():
    drawn = chart([(START, None), (START + timedelta(days=30), None)])
    assert not drawn["has_figures"] and drawn["lines"][0]["markers"] == []


def test_visits_years_apart_keep_their_distance_and_few_ticks():
    days = [START, START + timedelta(days=30), add_months(START, 60)]
    drawn = chart(list(zip(days, [100, 110, 160], strict=True)))
    xs = [x for x, _ in coordinates(drawn["lines"][0]["paths"][0])]
    assert xs == sorted(xs)
    # Five years across: the first month takes up about a sixtieth of the width.
    assert (xs[1] - xs[0]) < (xs[2] - xs[1]) / 40
    labels = [tick["label"] for tick in drawn["x_ticks"]]
    assert len(labels) <= trend_charts.MAX_X_TICKS
    assert labels[0] == "Start" and "5 yrs" in labels and "1 yr" in labels
    assert all(inside(drawn, tick["x"], drawn["bottom"]) for tick in drawn["x_ticks"])


def test_figures_outside_the_axis_are_held_inside_the_plot():
    drawn = chart([(START, -10), (START + timedelta(days=60), 900)])
    for x, y in coordinates(drawn["lines"][0]["paths"][0]):
        assert inside(drawn, x, y)


def test_sessions_and_the_judge_window_are_placed_on_the_time_axis():
    sessions = [START, START + timedelta(days=35), START + timedelta(days=70)]
    window = (add_months(START, 3), add_months(START, 6))
    drawn = chart(
        [(START, 120), (add_months(START, 4), 132)],
        sessions=sessions,
        judge_window=window,
    )
    xs = [session["x"] for session in drawn["sessions"]]
    assert xs == sorted(xs) and len(xs) == 3
    shade = drawn["window"]
    assert shade["x"] > xs[-1] and shade["width"] > 0
    # The window reaches past the last visit: the axis runs on to its end.
    assert abs(shade["x"] + shade["width"] - drawn["right"]) < 1
    # It covers the plot from top to bottom (a shade without a height draws nothing).
    assert shade["height"] == drawn["bottom"] - drawn["top"] > 0
    assert drawn["judge_window"] == window


def test_the_judge_window_is_shaded_on_the_drawn_chart():
    drawn = chart(
        [(START, 120), (add_months(START, 4), 132)],
        judge_window=(add_months(START, 3), add_months(START, 6)),
    )
    svg = render_to_string("clinic/_trend_chart.html", {"chart": drawn, "index": 1})
    rect = svg.split('<rect x="')[1].split("></rect>")[0]
    assert f'height="{drawn["bottom"] - drawn["top"]}"' in rect and 'class="judge-window"' in rect


def test_without_sessions_or_window_nothing_is_shaded():
    drawn = chart([(START, 120)])
    assert drawn["sessions"] == [] and drawn["window"] is None


def test_stage_words_label_the_figure_axis():
    labels = {1: "I", 2: "II", 3: "III"}
    drawn = chart([(START, 2)], axis=Axis(1, 3, "", labels))
    assert [tick["label"] for tick in drawn["y_ticks"]] == ["I", "II", "III"]
    ys = [tick["y"] for tick in drawn["y_ticks"]]
    assert ys[0] == drawn["bottom"] and ys[-1] == drawn["top"]


def test_series_are_told_apart_without_colour():
    drawn = trend_chart(
        title="Density",
        series=[Series(label, [(START, 100)]) for label in ("A", "B", "C", "D")],
        axis=Axis(0, 200),
        start=START,
    )
    styles = {(line["dash"], line["marker"]) for line in drawn["lines"]}
    assert len(styles) == 4


@pytest.mark.parametrize(
    ("start", "day", "months"),
    [
        (date(2026, 1, 31), date(2026, 2, 28), 0),
        (date(2026, 1, 31), date(2026, 3, 31), 2),
        (date(2026, 1, 14), date(2029, 1, 14), 36),
        (date(2026, 3, 10), date(2026, 1, 20), -1),
    ],
)
def test_months_between_counts_whole_months(start, day, months):
    assert months_between(start, day) == months


def test_add_months_holds_to_the_last_day_of_a_short_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def visit(day, **figures):
    return Visit(booking=None, day=day, measures=VisitMeasures(**figures) if figures else None)


def test_only_the_measures_recorded_become_charts():
    visits = [
        visit(START, crown_density=110, stage="nw4"),
        visit(add_months(START, 3)),  # photos only
        visit(add_months(START, 6), crown_density=126, frontal_thin=20),
    ]
    charts = {c["title"]: c for c in measure_charts(visits)}
    assert set(charts) == {"Hair density", "Share of thin hairs", "Norwood–Hamilton stage"}
    crown = next(line for line in charts["Hair density"]["lines"] if line["label"] == "Crown")
    # The visit with photos only is a gap in the line, and a row of the table with no figure.
    assert len(crown["markers"]) == 2 and crown["paths"] == []
    assert [row["values"][2] for row in charts["Hair density"]["rows"]] == [110, None, 126]


def test_a_stage_on_another_scale_is_a_gap_on_the_latest_scale():
    visits = [visit(START, stage="lu2"), visit(add_months(START, 6), stage="si3")]
    [stage] = measure_charts(visits)
    assert stage["title"] == "Sinclair stage"
    assert [row["values"] for row in stage["rows"]] == [[None], [3]]
    assert [tick["label"] for tick in stage["y_ticks"]] == ["1", "2", "3", "4", "5"]


def test_session_dates_and_a_judge_window_reach_every_chart_as_plain_data():
    visits = [visit(START, crown_density=110, shedding=4), visit(add_months(START, 5), shedding=2)]
    sessions = [START + timedelta(days=7 * n) for n in (1, 6, 11)]
    window = (add_months(START, 3), add_months(START, 6))
    charts = measure_charts(visits, sessions=sessions, judge_window=window)
    assert charts and all(len(c["sessions"]) == 3 and c["window"] for c in charts)


@pytest.mark.parametrize(
    ("start", "day", "months"),
    [
        (date(2026, 5, 19), date(2026, 8, 18), 3),  # the 3-month review, a day early
        (date(2026, 5, 19), date(2026, 11, 16), 6),
        (date(2026, 5, 19), date(2026, 6, 2), 0),
        (date(2026, 5, 19), date(2026, 6, 5), 1),
        (date(2026, 5, 19), date(2026, 5, 19), 0),
        (date(2026, 5, 19), date(2026, 4, 20), -1),
    ],
)
def test_a_visit_is_labelled_with_the_nearest_whole_month(start, day, months):
    assert months_nearest(start, day) == months
