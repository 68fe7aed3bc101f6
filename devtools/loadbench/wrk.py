"""One load scenario: wrk against one URL of the app, its figures read back as a dict."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import CommandError

from devtools.loadbench.client import PROXY_HEADERS

SCRIPT = Path(__file__).with_name("wrk_bench.lua")
MARKER = "CLINIC-BENCH-JSON "


@dataclass
class Scenario:
    """One URL with a cookie, or a file of requests (see wrk_bench.lua): gone round in cycles,
    or each sent once (the virtual patients' confirms)."""

    name: str
    path: str
    expected_status: int = 200
    cookie: str = ""
    request_file: Path | None = None
    once: bool = False


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise CommandError("wrk is not installed: apt-get install -y wrk")
    return found


def run(
    scenario: Scenario,
    *,
    host: str,
    port: int,
    connections: int,
    threads: int,
    seconds: int,
) -> dict:
    """Drive one scenario for ``seconds`` and return its figures (latencies in ms)."""
    # wrk gives each thread connections / threads, rounding down: an odd number of
    # connections over two threads would quietly lose one.
    if connections % threads:
        threads = 1
    command = [
        wrk_binary(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        # Long enough that a slow answer is timed rather than dropped; a timeout still counts
        # as an error.
        "--timeout=10s",
        "--script",
        str(SCRIPT),
    ]
    for name, value in PROXY_HEADERS.items():
        command += ["--header", f"{name}: {value}"]
    if scenario.cookie:
        command += ["--header", f"Cookie: {scenario.cookie}"]
    if scenario.once:
        # Over HTTPS, Django's CSRF check wants the POST's Origin to be the site itself.
        command += ["--header", f"Origin: https://{host}:{port}"]
    command += [f"http://{host}:{port}{scenario.path}", "--", str(scenario.expected_status)]
    if scenario.request_file is not None:
        mode = "once" if scenario.once else "cycle"
        command += [str(scenario.request_file), str(threads), mode]
    busy_before = busy_cpu_seconds()
    finished = subprocess.run(  # noqa: S603 - wrk with arguments built here
        command, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    busy = busy_cpu_seconds() - busy_before
    lines = [line for line in finished.stdout.splitlines() if line.startswith(MARKER)]
    if finished.returncode != 0 or not lines:
        raise CommandError(
            f"wrk failed on {scenario.name}: {finished.stderr.strip() or finished.stdout[-500:]}"
        )
    raw = json.loads(lines[-1][len(MARKER) :])
    figures = summarise(raw, connections)
    # The machine's CPU time for each answer: the app's, the database's and wrk's own (and
    # whatever else runs meanwhile, which a quiet machine keeps small).
    answered = raw["answered"]
    figures["cpu_ms_per_request"] = round(busy * 1000 / answered, 2) if busy and answered else None
    return figures


def busy_cpu_seconds() -> float:
    """The CPU time all cores of this machine have spent busy since it started (Linux's
    /proc/stat: user, nice, system, irq, softirq and steal); 0 where there is none."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def summarise(raw: dict, connections: int) -> dict:
    """Turn wrk's raw counts into the benchmark's figures.

    A prepared run (booking confirms) may use up its patients before wrk's duration ends, so
    its throughput is measured from the first request to the last answer instead.
    """
    seconds = raw["duration_us"] / 1e6
    if raw["prepared"] and raw["active_us"]:
        seconds = raw["active_us"] / 1e6
    socket_errors = sum(raw[key] for key in ("connect_errors", "read_errors", "write_errors"))
    errors = socket_errors + raw["timeouts"] + raw["unexpected_status"]
    return {
        "connections": connections,
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "requests_per_second": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "errors": errors,
        "error_detail": {
            "socket": socket_errors,
            "timeout": raw["timeouts"],
            "unexpected_status": raw["unexpected_status"],
        },
        "prepared": raw["prepared"],
        # Sent, answered or not: wrk stops at its duration with some requests still in flight,
        # which the app may yet complete.
        "sent": raw["sent"],
        "answered": raw["answered"],
        "used_up": bool(raw["prepared"]) and raw["answered"] >= raw["prepared"],
    }
