"""The app under test: gunicorn as in production, and what its workers hold in memory."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def kib_field(pid: int, field: str) -> int:
    """Read one ``kB`` field (VmHWM, VmRSS) of /proc/<pid>/status; 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return 0


def children(pid: int) -> list[int]:
    """Return the direct children of a process (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # The command name is in brackets and may hold spaces: the parent id follows it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


class Gunicorn:
    """gunicorn serving the app with production settings, on a loopback port of its own."""

    def __init__(self, *, workers: int, threads: int, port: int = 0):
        self.port = port or free_port()
        self.workers = workers
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self.log = None

    def environment(self) -> dict:
        # This command's own environment, so that gunicorn reaches the same database; with
        # production mode forced on whatever this process runs with.
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_DEBUG": "false",
                "DJANGO_ALLOWED_HOSTS": HOST,
                # Every virtual patient comes from 127.0.0.1, so the per-address limits on
                # booking submissions would stop the benchmark after a few patients; behind a
                # real proxy each patient has an address of their own.
                "BOOKING_SUBMISSIONS_PER_HOUR": str(10**9),
                "PRIVATE_LINK_LOOKUPS_PER_HOUR": str(10**9),
            }
        )
        env.setdefault("DJANGO_SECRET_KEY", settings.SECRET_KEY)
        return env

    def command(self) -> list[str]:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        return [
            str(gunicorn),
            "clinic.wsgi",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--bind",
            f"{HOST}:{self.port}",
            "--no-control-socket",
            # Well above the deepest queue 50 connections can build, as production would set.
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]

    def start(self, log_path: Path) -> None:
        self.log = log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            self.command(),
            cwd=settings.BASE_DIR,
            env=self.environment(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        deadline = time.monotonic() + 30
        while True:
            pids = children(self.process.pid)
            if len(pids) >= self.workers or time.monotonic() > deadline:
                return pids
            time.sleep(0.1)

    def check_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise CommandError("gunicorn stopped during the benchmark; see its log.")

    def peak_memory_kib(self) -> dict[int, int]:
        """Return each worker's peak resident size so far (VmHWM), in KiB, by process id."""
        return {pid: kib_field(pid, "VmHWM") for pid in self.worker_pids()}

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            # SIGTERM: gunicorn's graceful stop, letting the workers finish their requests.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.process = None
