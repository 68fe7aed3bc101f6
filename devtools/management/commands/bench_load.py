"""Load-test the app as production serves it: `make bench`.

gunicorn (DEBUG off, whitenoise for static files) serves the app against the benchmark's
PostgreSQL database with about 100k bookings, seeded once by `bench_availability`'s seeding and
reused. wrk, a second process, drives each scenario in turn at the same number of connections:

- ``floor_health``: ``/health/``, one indexed query and no session, the floor the others are
  compared with;
- ``slot_picker``: a patient's first look at the times of the benchmark consultation (served
  from the shared cache once drawn); ``slot_picker_returning``: the same pages for a browser
  with a session cookie, drawn afresh every time;
- ``staff_day_view`` and ``review_queue``: ``/staff/`` and ``/staff/reviews/`` for a clinic admin
  signed in with password and code;
- ``booking_confirm_post``: virtual patients, each a new person with a slot of their own and a
  browser session holding their answers (prepared beforehand over HTTP through the details
  page), confirm on the review page: each POST books one consultation.

It prints throughput, p50/p95/p99 and errors per scenario with its ratio to the floor, the
targets met or missed, the gunicorn workers' peak memory, and checks the database afterwards:
no two active bookings of a practitioner overlap, and the confirms made the bookings expected.
The last line is one JSON object with every figure.
"""

import os
import random
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from bookings import selectors
from bookings.drafts import format_start
from bookings.models import Booking, ConsultationType, Location
from devtools.loadbench import client, data, report, wrk
from devtools.loadbench.server import HOST, Gunicorn, kib_field
from devtools.management.commands import bench_availability
from devtools.sample_answers import booking_form

SCENARIOS = (
    report.PICKER,
    report.PICKER_RETURNING,
    report.STAFF_DAY,
    report.REVIEW_QUEUE,
    report.BOOKING_SINGLE,
    report.BOOKING,
    report.BOOKING_BURST,
)
BOOKINGS = (report.BOOKING_SINGLE, report.BOOKING, report.BOOKING_BURST)


def megabytes(kib: int) -> float:
    return round(kib * 1024 / 1e6, 1)


class Command(BaseCommand):
    help = "Serve the app with gunicorn and load it with wrk: slot picker, booking, staff pages."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seconds",
            type=int,
            default=8,
            help="Length of each scenario, and of the floor run just before it.",
        )
        parser.add_argument("--connections", type=int, default=50)
        # A clinic's whole week holds about a thousand consultations: five patients confirming
        # at the same instant, again and again, is already more than a hundred thousand
        # bookings an hour. At 50 closed-loop connections a confirm's latency is mostly its wait
        # in the queue (50 / throughput), so that run is reported as a burst, without a target.
        parser.add_argument(
            "--booking-connections",
            type=int,
            default=5,
            help="Connections for booking_confirm_post (the burst uses --connections).",
        )
        parser.add_argument("--wrk-threads", type=int, default=2)
        # One sync worker a core. The app is CPU-bound Python: on 2 cores shared with
        # PostgreSQL and wrk, 3 or 4 workers measured no faster, and 2 workers of 4 threads
        # slower (the threads take turns on the GIL).
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes.")
        parser.add_argument("--threads", type=int, default=1, help="gunicorn threads a worker.")
        parser.add_argument(
            "--patients",
            type=int,
            default=1400,
            help="Virtual patients to prepare at most, shared by the booking scenarios.",
        )
        parser.add_argument("--prepare-concurrency", type=int, default=8)
        parser.add_argument("--port", type=int, default=0, help="Default: any free port.")
        parser.add_argument(
            "--scenarios",
            default=",".join(SCENARIOS),
            help=f"A comma-separated subset of {', '.join(SCENARIOS)}; the floor always runs.",
        )

    def handle(self, *args, **options):
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(
                f"The database {name!r} does not look like a benchmark database; its name must "
                "contain 'bench'. Run it through `make bench`."
            )
        if connection.vendor != "postgresql":
            raise CommandError("The load benchmark runs on PostgreSQL, as production does.")
        chosen = [s.strip() for s in options["scenarios"].split(",") if s.strip()]
        unknown = set(chosen) - set(SCENARIOS)
        if unknown:
            raise CommandError(f"Unknown scenarios: {', '.join(sorted(unknown))}.")
        self.options = options
        self.chosen = chosen
        self.run_tag = timezone.now().strftime("%Y%m%d%H%M%S")
        self.sessions: list[str] = []

        # This process's peak resident size before and after seeding: the seed streams its
        # bookings in batches, so the difference stays small whatever the data set's size.
        start_peak = megabytes(kib_field(os.getpid(), "VmHWM"))
        seeded_now = self.seed()
        seed_peak = megabytes(kib_field(os.getpid(), "VmHWM"))
        removed = data.remove_previous_run()
        data.tidy_tables()
        self.stdout.write(
            f"Removed the previous run's {removed['bookings']} bookings, {removed['patients']} "
            f"patients and {removed['drafts']} drafts."
        )
        self.starts = []
        if set(BOOKINGS) & set(chosen):
            self.starts = data.free_starts(
                self.consultation_type, self.location, options["patients"]
            )
            if not self.starts:
                raise CommandError("No free slots are left for the virtual patients.")
        self.staff_login = data.staff_member()
        # The server's workers hold their own connections; this one would only sit idle.
        connection.close()

        self.server = Gunicorn(
            workers=options["workers"],
            threads=options["threads"],
            port=options["port"],
        )
        with tempfile.TemporaryDirectory(prefix="clinic-bench-") as folder:
            self.workdir = Path(folder)
            log = self.workdir / "gunicorn.log"
            try:
                self.server.start(log)
                client.wait_until_serving(HOST, self.server.port)
                first_workers = self.server.worker_pids()
                figures = self.drive()
                self.server.check_running()
                # Read before the workers stop: VmHWM is each worker's peak since it started.
                peaks = self.server.peak_memory_kib()
            except BaseException:
                self.show_server_log(log)
                raise
            finally:
                self.server.stop()

        figures["database_checks"] = self.check_database(figures["scenarios"])
        data.forget_sessions(self.sessions)
        # What this run booked goes too, once checked: the next benchmark (this one, or
        # bench_availability's engine and selectors) sees the same diary as this one did.
        removed_after = data.remove_previous_run()
        self.stdout.write(f"Removed this run's {removed_after['bookings']} bookings.")
        figures["memory"] = {
            "worker_peak_mb": {str(pid): megabytes(kib) for pid, kib in peaks.items()},
            "workers_restarted": sorted(set(peaks) - set(first_workers)),
            "bench_peak_before_seed_mb": start_peak,
            "bench_peak_after_seed_mb": seed_peak,
            "seeded_now": seeded_now,
        }
        figures["setup"] = {
            "workers": options["workers"],
            "threads": options["threads"],
            "wrk_threads": options["wrk_threads"],
            "seconds": options["seconds"],
            "bookings_in_database": Booking.objects.count(),
            "database": name,
            "cpus": os.cpu_count(),
        }
        report.add_floor_ratios(figures["scenarios"], figures["floors"])
        figures["booking_speedup_ceiling"] = report.booking_speedup_ceiling(figures)
        figures["setup"]["staff_day"] = self.staff_day.isoformat()
        figures["targets"] = report.targets(figures)
        for line in report.lines(figures):
            self.stdout.write(line)
        if not all(figures["targets"][t]["met"] for t in report.DATABASE_TARGETS):
            raise CommandError("The database check failed: see the figures above.")

    def seed(self) -> bool:
        """Seed the benchmark database once with `bench_availability`'s data set; reuse it."""
        bench_availability.create_postgres_database_if_missing()
        call_command("migrate", verbosity=0)
        seeded_now = not Location.objects.filter(name=bench_availability.LOCATION_NAME).exists()
        seeder = bench_availability.Command(stdout=self.stdout, stderr=self.stderr)
        self.location = seeder.seed()
        seeder.seed_intakes(self.location)
        self.consultation_type = ConsultationType.objects.get(slug="bench-initial")
        return seeded_now

    def drive(self) -> dict:
        """Sign in, prepare the patients, then run each scenario with wrk."""
        port = self.server.port
        staff = client.sign_in_staff(HOST, port, *self.staff_login)
        self.sessions.append(staff.cookies.get(settings.SESSION_COOKIE_NAME, ""))
        browsing = self.picker_browsing()
        # The returning visitor looks at "first available", a week shown from a day each time.
        browsing_any = [path for path in browsing if "practitioner=any" in path]
        # A fixed day for the staff day list: next week's Wednesday (about 150 consultations).
        staff_day, _ = bench_availability.staff_day(self.location, timezone.now())
        day_list = reverse("staff:home") + "?" + urlencode({"day": staff_day.isoformat()})
        self.staff_day = staff_day
        pages = {
            report.FLOOR: ([reverse("health")], None),
            report.PICKER: (browsing, None),
            report.PICKER_RETURNING: (browsing_any, None),
            report.STAFF_DAY: ([day_list], staff),
            report.REVIEW_QUEUE: ([reverse("staff:review_queue")], staff),
        }
        pages = {k: v for k, v in pages.items() if k == report.FLOOR or k in self.chosen}
        # Each page must answer 200 before it is timed: a staff page bounced to the sign-in
        # form would otherwise be timed as a fast page. This also warms both workers up.
        for label, (paths, browser) in pages.items():
            for path in sorted(set(paths)) * 2:
                status = (browser or client.Browser(HOST, port)).get(path).status
                if status != 200:
                    raise CommandError(f"{label} ({path}) answered HTTP {status}, not 200.")
        scenarios = [
            wrk.Scenario(label, paths[0], cookie=browser.cookie_header() if browser else "")
            for label, (paths, browser) in pages.items()
        ]
        # A request file's cookie column is what wrk sends (see wrk_bench.lua): empty for the
        # first-time visitors, the session cookie for the returning one.
        for scenario in scenarios:
            if scenario.name in (report.PICKER, report.PICKER_RETURNING):
                # A visitor who has been here before sends their session cookie, which keeps
                # the picker from the shared cache: the page is drawn afresh every time. (An
                # unknown session costs one lookup, as an expired one does; Django would ask
                # the browser to drop it, which wrk does not.)
                if scenario.name == report.PICKER_RETURNING:
                    scenario.cookie = f"{settings.SESSION_COOKIE_NAME}=returning-visitor"
                cookie = scenario.cookie
                paths = browsing_any if scenario.name == report.PICKER_RETURNING else browsing
                browsing_file = self.workdir / f"{scenario.name}.tsv"
                browsing_file.write_text("".join(f"{path}\t{cookie}\t\n" for path in paths))
                scenario.request_file = browsing_file
        preparation = {"patients": 0, "errors": 0}
        bookings = [name for name in BOOKINGS if name in self.chosen]
        if bookings:
            prepared, preparation = self.prepare_patients()
            # Each booking scenario has patients of its own: a confirm is sent once only.
            share = len(prepared) // len(bookings)
            if share < self.options["wrk_threads"]:
                raise CommandError("Too few virtual patients for the booking scenarios.")
            for n, name in enumerate(bookings):
                patients_file = self.workdir / f"{name}.tsv"
                own = prepared[n * share : (n + 1) * share]
                patients_file.write_text("".join(p.line() for p in own))
                scenarios.append(
                    wrk.Scenario(
                        name,
                        own[0].review_path,
                        expected_status=302,
                        request_file=patients_file,
                        once=True,
                    )
                )

        floor, *measured = scenarios
        results, floors = {}, {}
        for scenario in measured:
            connections = self.options["connections"]
            if scenario.name == report.BOOKING:
                connections = self.options["booking_connections"]
            elif scenario.name == report.BOOKING_SINGLE:
                connections = 1
            # The floor runs just before each scenario, at the same connections, so that each
            # share compares two runs under the same load on this shared machine.
            for run in (floor, scenario):
                self.server.check_running()
                client.wait_until_idle(HOST, port)
                self.stdout.write(f"Running {run.name} ({connections} connections)…")
                figures = wrk.run(
                    run,
                    host=HOST,
                    port=port,
                    connections=connections,
                    threads=min(self.options["wrk_threads"], connections),
                    seconds=self.options["seconds"],
                )
                if run is floor:
                    floors[scenario.name] = figures
                else:
                    results[scenario.name] = figures
        return {
            "scenarios": results,
            "floors": floors,
            "preparation": preparation,
            "run": self.run_tag,
        }

    def picker_browsing(self) -> list[str]:
        """List what patients browsing the slot picker ask for, in a fixed random order: half
        open its first page, as most arrive; the others move on a week or more, or choose one of
        the practitioners."""
        picker = reverse("bookings:times", args=[self.consultation_type.slug])
        today = timezone.now().astimezone(self.location.zone).date()
        weeks = range(1, self.consultation_type.horizon_days // 7 + 1)
        choices = [{"practitioner": "any", "day": today + timedelta(weeks=n)} for n in weeks]
        choices += [
            {"practitioner": pk}
            for pk in selectors.eligible_practitioners(self.consultation_type, self.location)
            .order_by("pk")
            .values_list("pk", flat=True)
        ]
        others = [
            f"{picker}?{urlencode({'location': self.location.pk, **choice})}" for choice in choices
        ]
        paths = [picker] * len(others) + others
        random.Random(len(paths)).shuffle(paths)  # noqa: S311 - an order, not a secret
        return paths

    def prepare_patients(self):
        """Take each virtual patient through the details page to the review step, a few at a
        time: a new person (their own e-mail) in a slot of their own, in a browser of their own."""
        details = reverse("bookings:details", args=[self.consultation_type.slug])
        port = self.server.port

        def prepare(numbered):
            number, start = numbered
            query = {
                "location": self.location.pk,
                "practitioner": "any",
                "start": format_start(start),
            }
            form = booking_form(email=data.patient_email(self.run_tag, number))
            try:
                return client.prepare_patient(HOST, port, f"{details}?{urlencode(query)}", form)
            except (CommandError, OSError) as error:
                return error

        concurrency = self.options["prepare_concurrency"]
        self.stdout.write(f"Preparing {len(self.starts)} virtual patients…")
        with ThreadPoolExecutor(concurrency) as pool:
            outcomes = list(pool.map(prepare, enumerate(self.starts)))
        prepared = [o for o in outcomes if isinstance(o, client.PreparedPatient)]
        failures = [o for o in outcomes if not isinstance(o, client.PreparedPatient)]
        self.sessions.extend(p.session_key for p in prepared)
        if failures:
            self.stderr.write(f"{len(failures)} virtual patients failed: {failures[0]}")
        if not prepared:
            raise CommandError("No virtual patient reached the review page.")
        timings = sorted(p.details_ms for p in prepared)
        return prepared, {
            "patients": len(prepared),
            "errors": len(failures),
            "concurrency": concurrency,
            "details_p50_ms": round(statistics.median(timings), 1),
            "details_p95_ms": round(timings[min(len(timings) - 1, int(0.95 * len(timings)))], 1),
        }

    def check_database(self, scenarios: dict) -> dict:
        """Check that no two active bookings of a practitioner overlap, and that the confirms
        booked what they should: one booking for each confirm answered with the redirect to the
        done page, and none beyond those sent (wrk stops with a few still in flight, which may
        complete)."""
        checks = {"overlapping_active_bookings": data.overlapping_active_bookings()}
        runs = [scenarios[name] for name in BOOKINGS if name in scenarios]
        if runs:
            checks["bookings_made"] = data.bookings_made(self.run_tag)
            checks["confirms_answered_ok"] = sum(
                r["requests"] - r["error_detail"]["unexpected_status"] for r in runs
            )
            checks["confirms_sent"] = sum(r["sent"] for r in runs)
        return checks

    def show_server_log(self, path: Path) -> None:
        if path.exists():
            tail = path.read_text(errors="replace").splitlines()[-40:]
            self.stderr.write("gunicorn's log, last lines:\n" + "\n".join(tail))
