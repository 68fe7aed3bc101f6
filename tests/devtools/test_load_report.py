"""The load benchmark's report: the ceiling it gives five confirms at once on this machine."""

from devtools.loadbench import report


def figures(cpu_ms_per_request, requests_per_second, cpus=2, five_cpu_ms=None):
    single = {"cpu_ms_per_request": cpu_ms_per_request, "requests_per_second": requests_per_second}
    scenarios = {report.BOOKING_SINGLE: single}
    if five_cpu_ms is not None:
        scenarios[report.BOOKING] = {"cpu_ms_per_request": five_cpu_ms}
    return {"scenarios": scenarios, "setup": {"cpus": cpus}}


def test_a_lone_confirm_that_keeps_one_core_busy_leaves_two_cores_twice_as_many():
    ceiling = report.booking_speedup_ceiling(figures(10.0, 100.0))
    assert ceiling["single_cores_busy"] == 1.0 and ceiling["at_most"] == 2.0


def test_a_lone_confirm_that_waits_half_its_time_leaves_room_for_four_times_as_many():
    ceiling = report.booking_speedup_ceiling(figures(5.0, 100.0))
    assert ceiling["single_cores_busy"] == 0.5 and ceiling["at_most"] == 4.0


def test_five_at_once_cheaper_an_answer_raise_the_ceiling_by_as_much():
    # Five at once spend 8 ms of CPU an answer where one spent 10: 2 cores make 250 a second.
    ceiling = report.booking_speedup_ceiling(figures(10.0, 100.0, five_cpu_ms=8.0))
    assert ceiling["single_cores_busy"] == 1.0 and ceiling["at_most"] == 2.5


def test_no_ceiling_without_the_single_confirm_run_or_its_cpu_time():
    assert report.booking_speedup_ceiling({"scenarios": {}, "setup": {"cpus": 2}}) is None
    assert report.booking_speedup_ceiling(figures(None, 100.0)) is None
    assert report.booking_speedup_ceiling(figures(10.0, 0.0)) is None  # nothing answered
