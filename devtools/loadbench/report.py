"""What `make bench` prints: a table of the scenarios beside the floor, the targets met or
missed, memory, the database checks, and one closing JSON line with every figure."""

import json

FLOOR = "floor_health"
PICKER = "slot_picker"
# The same pages for a visitor whose browser sends a session cookie: never from the cache.
PICKER_RETURNING = "slot_picker_returning"
STAFF_DAY = "staff_day_view"
REVIEW_QUEUE = "review_queue"
BOOKING = "booking_confirm_post"
# The same confirms one at a time: what five at once are compared with.
BOOKING_SINGLE = "booking_confirm_single"
BOOKING_BURST = "booking_confirm_burst"

# The targets, for a 2-core machine: throughput as a share of the floor's, measured
# just before each scenario at the same connections.
PICKER_MIN_SHARE_OF_FLOOR = 0.5  # a first look, times from the shared availability
PICKER_MAX_P95_MS = 100
PICKER_RETURNING_MIN_SHARE = 0.15  # a visitor with a session, "first available"
STAFF_DAY_MIN_SHARE = 0.08
BOOKING_MIN_SPEEDUP = 2.5  # five connections' throughput over one connection's
BOOKING_MAX_P95_MS = 150
WORKER_MAX_PEAK_MB = 150
DATABASE_TARGETS = ("overlapping_active_bookings", "bookings_match_confirms")


def add_floor_ratios(scenarios: dict, floors: dict) -> None:
    """Give each scenario its throughput as a share of its own floor run's (just before it, at
    the same connections), and its p95 as a multiple of that floor's."""
    for name, figures in scenarios.items():
        floor = floors[name]
        rate, p95 = floor["requests_per_second"], floor["p95_ms"]
        figures["floor_requests_per_second"] = rate
        figures["throughput_vs_floor"] = round(figures["requests_per_second"] / rate, 3)
        figures["p95_vs_floor"] = round(figures["p95_ms"] / p95, 2) if p95 else None


def booking_speedup_ceiling(figures: dict) -> dict | None:
    """How much faster than one at a time confirms can go on this machine at best. A lone
    confirm keeps ``single_cores_busy`` of the cores at work (the app, then the database, then
    wrk, one after the other: the machine's CPU time per answer times the answers a second);
    however many run at once, all the cores together answer at most ``cpus`` ÷ the CPU time of
    one of their answers (``five_cpu_ms_per_request``, measured at five connections, or the lone
    one's when that run is missing). ``at_most`` is that, over one at a time's rate. None when
    not measured."""
    single = figures["scenarios"].get(BOOKING_SINGLE)
    cpus = figures["setup"]["cpus"]
    if not single or not single.get("cpu_ms_per_request") or not cpus:
        return None
    if not single["requests_per_second"]:
        return None
    five = (figures["scenarios"].get(BOOKING) or {}).get("cpu_ms_per_request")
    per_answer = five or single["cpu_ms_per_request"]
    return {
        "cpus": cpus,
        "single_cpu_ms_per_request": single["cpu_ms_per_request"],
        "five_cpu_ms_per_request": five,
        "single_cores_busy": round(
            single["cpu_ms_per_request"] * single["requests_per_second"] / 1000, 2
        ),
        "at_most": round(cpus * 1000 / per_answer / single["requests_per_second"], 2),
    }


def targets(figures: dict) -> dict:
    """Return each target with the measured value and whether it was met (None: not run)."""
    scenarios = figures["scenarios"]
    picker, booking = scenarios.get(PICKER), scenarios.get(BOOKING)
    single = scenarios.get(BOOKING_SINGLE)
    workers = figures["memory"]["worker_peak_mb"]
    checks = figures["database_checks"]
    errors = (
        sum(s["errors"] for s in scenarios.values())
        + sum(s["errors"] for s in figures["floors"].values())
        + figures["preparation"]["errors"]
    )
    peak = max(workers.values(), default=0)
    found = {"errors": (errors, "== 0", errors == 0)}
    if picker:
        share = picker["throughput_vs_floor"]
        found["slot_picker_throughput_vs_floor"] = (
            share,
            f">= {PICKER_MIN_SHARE_OF_FLOOR}",
            share >= PICKER_MIN_SHARE_OF_FLOOR,
        )
        found["slot_picker_p95_ms"] = (
            picker["p95_ms"],
            f"<= {PICKER_MAX_P95_MS}",
            picker["p95_ms"] <= PICKER_MAX_P95_MS,
        )
    for name, minimum in (
        (PICKER_RETURNING, PICKER_RETURNING_MIN_SHARE),
        (STAFF_DAY, STAFF_DAY_MIN_SHARE),
    ):
        if name in scenarios:
            share = scenarios[name]["throughput_vs_floor"]
            found[f"{name}_throughput_vs_floor"] = (share, f">= {minimum}", share >= minimum)
    if booking and single:
        speedup = round(booking["requests_per_second"] / single["requests_per_second"], 2)
        found["booking_5_connections_vs_1"] = (
            speedup,
            f">= {BOOKING_MIN_SPEEDUP}",
            speedup >= BOOKING_MIN_SPEEDUP,
        )
    if booking:
        found["booking_post_p95_ms"] = (
            booking["p95_ms"],
            f"<= {BOOKING_MAX_P95_MS}",
            booking["p95_ms"] <= BOOKING_MAX_P95_MS,
        )
    found["worker_peak_mb"] = (peak, f"<= {WORKER_MAX_PEAK_MB}", 0 < peak <= WORKER_MAX_PEAK_MB)
    overlaps = checks["overlapping_active_bookings"]
    found["overlapping_active_bookings"] = (overlaps, "== 0", overlaps == 0)
    if "bookings_made" in checks:
        made, ok, sent = (
            checks["bookings_made"],
            checks["confirms_answered_ok"],
            checks["confirms_sent"],
        )
        found["bookings_match_confirms"] = (
            f"{made} made, {ok} confirmed, {sent} sent",
            "confirmed <= made <= sent",
            ok <= made <= sent,
        )
    else:
        found["bookings_match_confirms"] = ("not run", "", True)
    return {
        name: {"value": value, "target": target, "met": met}
        for name, (value, target, met) in found.items()
    }


def lines(figures: dict) -> list[str]:
    setup = figures["setup"]
    out = [
        "",
        f"gunicorn: {setup['workers']} workers x {setup['threads']} thread(s), DEBUG off; "
        f"wrk: {setup['wrk_threads']} threads, {setup['seconds']} s a scenario; "
        f"{setup['bookings_in_database']} bookings in {setup['database']}; "
        f"{setup['cpus']} CPUs",
        "",
    ]
    header = (
        f"{'scenario':22} {'conns':>5} {'requests':>8} {'req/s':>8} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'floor/s':>8} {'÷floor':>7} "
        f"{'p95×floor':>9}"
    )
    out += [header, "-" * len(header)]
    for name, s in figures["scenarios"].items():
        out.append(
            f"{name:22} {s['connections']:5d} {s['requests']:8d} {s['requests_per_second']:8.1f} "
            f"{s['p50_ms']:8.1f} {s['p95_ms']:8.1f} {s['p99_ms']:8.1f} {s['errors']:6d} "
            f"{s['floor_requests_per_second']:8.1f} {s['throughput_vs_floor']:7.3f} "
            f"{s['p95_vs_floor'] or 0:9.1f}"
        )
    out.append("")
    prep = figures["preparation"]
    if prep["patients"]:
        out.append(
            f"Booking: {prep['patients']} virtual patients prepared through the details page "
            f"(its POST p50 {prep['details_p50_ms']} ms, p95 {prep['details_p95_ms']} ms, "
            f"{prep['concurrency']} at a time), shared by the booking scenarios."
        )
    for name in (BOOKING_SINGLE, BOOKING, BOOKING_BURST):
        run = figures["scenarios"].get(name)
        if run and run["used_up"]:
            out.append(
                f"{name} used up its {run['prepared']} patients: its req/s is over "
                f"{run['seconds']} s, from its first request to its last answer."
            )
    ceiling = figures.get("booking_speedup_ceiling")
    if ceiling:
        five = ceiling["five_cpu_ms_per_request"]
        out.append(
            f"One confirm at a time kept {ceiling['single_cores_busy']} of the "
            f"{ceiling['cpus']} cores busy ({ceiling['single_cpu_ms_per_request']} ms of CPU "
            "an answer, app, database and wrk together)"
            + (f"; five at once took {five} ms an answer" if five else "")
            + f": on this machine they can answer at most {ceiling['at_most']}x as many as one."
        )
    memory = figures["memory"]
    peaks = ", ".join(f"{mb:.0f}" for mb in memory["worker_peak_mb"].values())
    seeded = "seeded in this run" if memory["seeded_now"] else "seed reused"
    out.append(
        f"Memory: gunicorn workers' peak resident size {peaks} MB; this command's peak "
        f"{memory['bench_peak_before_seed_mb']:.0f} MB before seeding, "
        f"{memory['bench_peak_after_seed_mb']:.0f} MB after ({seeded})"
        + (
            f"; workers restarted: {memory['workers_restarted']}"
            if memory["workers_restarted"]
            else ""
        )
    )
    out.append("")
    out.append("Targets (2 cores):")
    for name, t in figures["targets"].items():
        mark = "met   " if t["met"] else "MISSED"
        out.append(f"  {mark} {name}: {t['value']} (target {t['target']})")
    out.append(json.dumps(figures, sort_keys=True))
    return out
