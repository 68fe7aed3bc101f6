"""Benchmark the slot engine and the availability selector against a floor query.

Seeds its own database (its name must contain "bench", so that no real diary is touched) with
20 practitioners and about 100k bookings: two years of history and three months ahead. Then it
times, in one run: the pure engine (30 days, one practitioner, 200 and 2,000 busy intervals);
the selector for one practitioner and for "any practitioner" over 14 and 60 days; the selector
for a procedure needing two resources (a room and a centrifuge, held by about 2,000 of those
bookings) over 14 days; and a floor, one indexed ORM query. It prints median, p95, queries and
the ratio to the floor, and ends with one JSON line holding every figure.
"""

import json
import random
import secrets
import statistics
import time as clock
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from bookings import availability, selectors
from bookings.models import (
    Booking,
    ConsultationType,
    Location,
    Practitioner,
    Resource,
    ResourceHold,
    ResourceHours,
    WorkingHours,
)
from devtools.bench_assessments import seed_assessments
from devtools.loadbench import data
from devtools.sample_answers import booking_form
from patients.models import Patient

PRACTITIONERS = 20
PATIENTS = 5000
PAST_DAYS = 730
FUTURE_DAYS = 90
DAY_STARTS = [time(h) for h in (8, 9, 10, 11, 12)] + [time(13, 30), time(14, 30), time(15, 30)]
FILL_RATE = 0.9
BATCH = 5000
LOCATION_NAME = "Benchmark clinic"
# The targets for the pages through Django's whole stack, as a ratio to the floor
# page measured in the same run, call by call.
PICKER_TARGET = 8
STAFF_DAY_TARGET = 15
REVIEW_QUEUE_TARGET = 10
CONFIRM_TARGET = 12
# The issue's sizes: intakes waiting for review, and rows on the staff pages' fixed day.
QUEUE_WAITING = 4000
STAFF_DAY_ROWS = 160


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(function, repeats):
    """Return (median ms, p95 ms, queries per call, result) over ``repeats`` warm calls."""
    function()
    # Counted by wrapping execution, since each request through the client resets Django's own
    # query log.
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = function()
    timings = []
    for _ in range(repeats):
        started = clock.perf_counter()
        function()
        timings.append((clock.perf_counter() - started) * 1000)
    return statistics.median(timings), percentile(timings, 0.95), len(executed), result


def measure_interleaved(function, floor, repeats):
    """Return (median ms, p95 ms, queries per call, floor's median ms): ``function`` and
    ``floor`` called in turn, so that each ratio compares calls made under the same load."""
    function()
    floor()
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        function()
    timings, floors = [], []
    for _ in range(repeats):
        started = clock.perf_counter()
        floor()
        floors.append((clock.perf_counter() - started) * 1000)
        started = clock.perf_counter()
        function()
        timings.append((clock.perf_counter() - started) * 1000)
    return (
        statistics.median(timings),
        percentile(timings, 0.95),
        len(executed),
        statistics.median(floors),
    )


def expect_ok(response):
    """A page must answer 200 to be timed: a redirect to the sign-in form is fast, not real."""
    if response.status_code != 200:
        raise CommandError(f"A timed page answered HTTP {response.status_code}, not 200.")
    return response


def staff_day(location, now):
    """The staff pages' fixed day and hour: next week's Wednesday, 10:30 at the clinic."""
    today = now.astimezone(location.zone).date()
    day = today + timedelta(days=7 + (2 - today.weekday()) % 7)
    return day, datetime.combine(day, time(10, 30), tzinfo=location.zone)


class Command(BaseCommand):
    help = "Seed a benchmark database (~100k bookings) and time the availability engine."

    def add_arguments(self, parser):
        parser.add_argument("--repeats", type=int, default=30)

    def handle(self, *args, repeats, **options):
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(
                f"The database {name!r} does not look like a benchmark database; its name must "
                "contain 'bench'. Run it through `make bench-availability`."
            )
        create_postgres_database_if_missing()
        call_command("migrate", verbosity=0)
        location = self.seed()
        self.seed_intakes(location)
        self.seed_staff_day(location)
        procedure = self.seed_procedure(location)
        # After the procedure, whose sessions are not consultations and get no assessment.
        if seed_assessments(location, self.stdout):
            analyze()
        consultation_type = ConsultationType.objects.get(slug="bench-initial")
        # What an earlier run booked (this command's, or the load benchmark's) is removed
        # before anything is measured, and what this one books at the end, so that every run
        # sees the same diary.
        data.remove_previous_run()
        figures = {"database": connection.vendor, "bookings": Booking.objects.count()}
        self.stdout.write(
            f"Database: {connection.vendor} ({name}), {figures['bookings']} bookings, "
            f"{Practitioner.objects.count()} practitioners\n"
        )
        now = timezone.now()
        today = now.astimezone(location.zone).date()
        practitioner = Practitioner.objects.order_by("pk").first()
        rows = []

        def record(label, median, p95, queries):
            figures[label] = {"median_ms": round(median, 3), "p95_ms": round(p95, 3)}
            figures[label]["queries"] = queries
            rows.append((label, median, p95, queries))

        def orm_floor():
            return list(
                Booking.objects.filter(practitioner=practitioner, blocked_until__gt=now)
                .order_by("blocked_until")
                .values_list("pk", flat=True)[:1]
            )

        floor_median, floor_p95, floor_queries, _ = measure(orm_floor, repeats * 5)
        record("floor_indexed_query", floor_median, floor_p95, floor_queries)
        # Each measure below runs call by call with the floor, which gives its own ratio.
        own_floor = {}

        def measure_with_floor(function, count, label):
            median, p95, queries, floor = measure_interleaved(function, orm_floor, count)
            own_floor[label] = floor
            return median, p95, queries, function()

        for count in (200, 2000):
            schedule, rules, zone, first, last, engine_now = synthetic_engine_input(count)
            median, p95, _, _ = measure_with_floor(
                lambda s=schedule, r=rules, z=zone, f=first, la=last, n=engine_now: (
                    availability.practitioner_slots(s, r, z, f, la, n)
                ),
                repeats * 3,
                f"engine_30d_{count}_bookings",
            )
            record(f"engine_30d_{count}_bookings", median, p95, 0)

        for days in (14, 60):
            for who, chosen in (("one", practitioner), ("any", None)):
                median, p95, queries, result = measure_with_floor(
                    lambda d=days, c=chosen: selectors.available_slots(
                        consultation_type=consultation_type,
                        location=location,
                        first_day=today,
                        last_day=today + timedelta(days=d - 1),
                        practitioner=c,
                        now=now,
                    ),
                    repeats,
                    f"selector_{who}_practitioner_{days}d",
                )
                record(f"selector_{who}_practitioner_{days}d", median, p95, queries)
                figures[f"selector_{who}_practitioner_{days}d"]["slots"] = len(result.slots)

        for who, chosen in (("one", practitioner), ("any", None)):
            median, p95, queries, result = measure_with_floor(
                lambda c=chosen: selectors.available_slots(
                    consultation_type=procedure,
                    location=location,
                    first_day=today,
                    last_day=today + timedelta(days=13),
                    practitioner=c,
                    now=now,
                ),
                repeats,
                f"selector_procedure_2_resources_{who}_14d",
            )
            label = f"selector_procedure_2_resources_{who}_14d"
            record(label, median, p95, queries)
            figures[label]["slots"] = len(result.slots)

        try:
            self.measure_http(consultation_type, location, now, repeats, record)
        finally:
            removed = data.remove_previous_run()
        self.stdout.write(f"Removed this run's {removed['bookings']} bookings.")
        for label, figures_of_page in self.http.items():
            own_floor[label] = figures_of_page["floor_median_ms"]

        self.stdout.write(
            f"{'measure':38} {'median ms':>10} {'p95 ms':>10} {'queries':>8} {'x floor':>8}"
        )
        for label, median, p95, queries in rows:
            ratio = median / own_floor.get(label, floor_median)
            figures[label]["ratio_to_floor"] = round(ratio, 2)
            figures[label]["floor_median_ms"] = round(own_floor.get(label, floor_median), 3)
            self.stdout.write(f"{label:38} {median:10.3f} {p95:10.3f} {queries:8d} {ratio:8.1f}")
        scale = figures["engine_30d_2000_bookings"]["median_ms"] / max(
            figures["engine_30d_200_bookings"]["median_ms"], 1e-9
        )
        figures["engine_10x_data_time_ratio"] = round(scale, 2)
        self.stdout.write(f"\nEngine, 10x the bookings: {scale:.2f}x the time")
        self.stdout.write(
            "\nPages through Django's whole stack, each against the floor page (/health/) "
            "measured call by call with it:"
        )
        figures["targets"] = {}
        for label, page in self.http.items():
            if page["target"] is None:
                continue
            mark = "met   " if page["met"] else "MISSED"
            self.stdout.write(
                f"  {mark} {label}: x{page['ratio_to_floor']} (target <= x{page['target']}; "
                f"{page['median_ms']} ms against {page['floor_median_ms']} ms)"
            )
            figures["targets"][label] = {
                "value": page["ratio_to_floor"],
                "target": f"<= {page['target']}",
                "met": page["met"],
            }
        figures["pages"] = self.http
        self.stdout.write(json.dumps(figures, sort_keys=True))

    def measure_http(self, consultation_type, location, now, repeats, record):
        """Time the pages people use all day through Django's whole stack, each interleaved
        call by call with the floor page (/health/: one indexed query, no session), so that
        both see the same machine; each figure is reported as a ratio to its own floor."""
        from django.core.cache import cache
        from django.test import Client, override_settings

        from bookings.drafts import format_start

        self.http = {}
        floor_client = Client()
        health = reverse("health")

        def floor():
            floor_client.get(health, secure=True)

        def against_floor(label, function, count, target=None):
            median, p95, queries, floor_median = measure_interleaved(function, floor, count)
            record(label, median, p95, queries)
            ratio = median / floor_median
            self.http[label] = {
                "median_ms": round(median, 3),
                "floor_median_ms": round(floor_median, 3),
                "ratio_to_floor": round(ratio, 2),
                "queries": queries,
                "target": target,
                "met": None if target is None else ratio <= target,
            }

        with override_settings(ALLOWED_HOSTS=["*"], BOOKING_SUBMISSIONS_PER_HOUR=10**9):
            # A visitor with a session (an unknown one costs the same lookup as an expired one)
            # on "first available", the week shown from a fixed day: drawn afresh every time,
            # with the week's free times from the shared availability.
            today = now.astimezone(location.zone).date()
            picker = reverse("bookings:times", args=[consultation_type.slug])
            query = {"location": location.pk, "practitioner": "any", "day": today + timedelta(1)}
            returning = Client()
            returning.cookies["sessionid"] = "returning-visitor"
            against_floor(
                "http_slot_picker_session_any",
                lambda: expect_ok(returning.get(picker, query, secure=True)),
                repeats,
                target=PICKER_TARGET,
            )

            def cold_picker():
                cache.clear()
                returning.get(picker, query, secure=True)

            # The same with nothing kept: the engine runs for all 20 practitioners each time.
            against_floor("http_slot_picker_nothing_kept", cold_picker, repeats)

            # One slot a day, so that no booking here takes a time another one was offered.
            free = iter(
                slots[0]
                for _, slots in selectors.available_slots(
                    consultation_type=consultation_type,
                    location=location,
                    first_day=today + timedelta(days=30),
                    last_day=today + timedelta(days=FUTURE_DAYS - 1),
                ).slots_by_day()
            )
            details = reverse("bookings:details", args=[consultation_type.slug])
            details_query = f"?location={location.pk}&practitioner=any&start="
            reviews = []

            def details_post():
                # One browser per patient: a draft opens only in the session that started it.
                patient = Client()
                start = format_start(next(free).start)
                # A new person each time, in the domain the clean-up removes.
                email = data.patient_email(f"inproc-{secrets.token_hex(4)}", len(reviews))
                response = patient.post(
                    details + details_query + start, booking_form(email=email), secure=True
                )
                reviews.append((patient, response["Location"]))

            median, p95, queries, _ = measure(details_post, repeats)
            record("http_details_post", median, p95, queries)
            pending = iter(reviews)

            def confirm():
                patient, review = next(pending)
                response = patient.post(review, secure=True)
                if response.status_code != 302:
                    raise CommandError(f"Booking failed with status {response.status_code}.")

            before = Booking.objects.count()
            against_floor(
                "http_booking_confirm_post", confirm, len(reviews) - 2, target=CONFIRM_TARGET
            )
            if Booking.objects.count() - before != len(reviews):
                raise CommandError("A confirm did not make a booking; the figures are not real.")

            day, moment = staff_day(location, now)
            # A fixed day and hour: next week's Wednesday at 10:30 at the clinic, as "today",
            # so that each row offers what it would then (check in, move, completed, …). The
            # staff member signs in then, or the idle sign-out would send them away.
            with time_machine.travel(moment, tick=False):
                staff = self.staff_client(Client)
                rows = Booking.objects.filter(
                    location=location,
                    starts_at__gte=datetime.combine(day, time(0), tzinfo=location.zone),
                    starts_at__lt=datetime.combine(
                        day + timedelta(days=1), time(0), tzinfo=location.zone
                    ),
                ).count()
                home = reverse("staff:home")
                against_floor(
                    "http_staff_today",
                    lambda: expect_ok(staff.get(home, secure=True)),
                    repeats,
                    target=STAFF_DAY_TARGET,
                )
                self.http["http_staff_today"]["rows"] = rows
                queue = reverse("staff:review_queue")
                against_floor(
                    "http_review_queue",
                    lambda: expect_ok(staff.get(queue, secure=True)),
                    repeats,
                    target=REVIEW_QUEUE_TARGET,
                )
            waiting = Booking.objects.filter(
                status=Booking.Status.CONFIRMED, intake__isnull=False, assessment__isnull=True
            ).count()
            self.http["http_review_queue"]["waiting"] = waiting
            self.stdout.write(
                f"Staff day: {rows} consultations on {day}; review queue: {waiting} intakes "
                "waiting, shown 25 a page\n"
            )

    @staticmethod
    def staff_client(client_class):
        """Return a clinic admin signed in with both factors, as the staff pages require."""
        from django.contrib.auth.models import Group, Permission
        from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

        from clinic.roles import CLINIC_ADMIN, sync_roles

        sync_roles(Group, Permission)
        user, _ = get_user_model().objects.get_or_create(
            username="bench-admin", defaults={"is_staff": True}
        )
        user.groups.add(Group.objects.get(name=CLINIC_ADMIN))
        device, _ = StaticDevice.objects.get_or_create(user=user, name="bench")
        StaticToken.objects.create(device=device, token="benchcode")  # noqa: S106 - bench only
        client = client_class()
        client.force_login(user)
        response = client.post(reverse("staff:verify"), {"code": "benchcode"}, secure=True)
        if response.status_code != 302:
            raise CommandError("The benchmark's staff sign-in failed.")
        return client

    def seed(self):
        """Create the benchmark clinic once; later runs reuse it."""
        existing = Location.objects.filter(name=LOCATION_NAME).first()
        if existing:
            return existing
        self.stdout.write("Seeding the benchmark database (once)…")
        rng = random.Random(20261122)  # noqa: S311 - reproducible data, not security
        with transaction.atomic():
            location = Location.objects.create(
                name=LOCATION_NAME, address="1 Bench Street", time_zone="Europe/London"
            )
            consultation_type = ConsultationType.objects.create(
                slug="bench-initial",
                name="Initial consultation",
                description="Benchmark consultation.",
                duration_minutes=45,
                buffer_after_minutes=10,
                min_notice_hours=0,
                horizon_days=FUTURE_DAYS,
            )
            User = get_user_model()
            practitioners = []
            for n in range(PRACTITIONERS):
                user = User.objects.create(username=f"bench-practitioner-{n}", is_staff=True)
                practitioner = Practitioner.objects.create(user=user, title="Trichologist")
                practitioner.locations.add(location)
                practitioners.append(practitioner)
            consultation_type.practitioners.add(*practitioners)
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    practitioner=p,
                    location=location,
                    weekday=day,
                    start_time=start,
                    end_time=end,
                )
                for p in practitioners
                for day in range(6)
                for start, end in ((time(8), time(12, 45)), (time(13, 30), time(17)))
            )
            Patient.objects.bulk_create(
                Patient(
                    first_name=f"Patient{n}",
                    last_name="Bench",
                    email=f"patient{n}@bench.example",
                    date_of_birth=datetime(1980, 1, 1).date() + timedelta(days=n),
                )
                for n in range(PATIENTS)
            )
            patient_ids = list(Patient.objects.values_list("pk", flat=True))
            batch = []
            for booking in self.generate_bookings(
                rng, location, consultation_type, practitioners, patient_ids
            ):
                batch.append(booking)
                if len(batch) >= BATCH:
                    Booking.objects.bulk_create(batch)
                    batch.clear()
            Booking.objects.bulk_create(batch)
        return location

    def seed_intakes(self, location):
        """Keep the review queue at the issue's backlog: give upcoming consultations an intake,
        soonest first and a quarter of them flagged, until QUEUE_WAITING are waiting. Time
        moves on between runs (consultations fall out of the queue's window), so each run
        tops it up."""
        from patients import choices
        from patients.models import HairLossIntake, ScreeningFlag
        from staff.selectors import RECENT_DAYS

        now = timezone.now()
        confirmed = Booking.objects.filter(
            location=location,
            status=Booking.Status.CONFIRMED,
            starts_at__gte=now - timedelta(days=RECENT_DAYS),
        )
        waiting = confirmed.filter(intake__isnull=False, assessment__isnull=True).count()
        if waiting >= QUEUE_WAITING:
            return
        upcoming = (
            confirmed.filter(intake__isnull=True, starts_at__gte=now)
            .order_by("starts_at")
            .values_list("pk", flat=True)[: QUEUE_WAITING - waiting]
        )
        with transaction.atomic():
            intakes = HairLossIntake.objects.bulk_create(
                HairLossIntake(
                    booking_id=pk,
                    main_concern=choices.MAIN_CONCERNS[0][0],
                    areas=["crown"],
                    onset=choices.ONSET[0][0],
                    progression=choices.PROGRESSION[0][0],
                    stage=choices.STAGES[0][0],
                    screening={},
                    submitted_at=now,
                )
                for pk in upcoming
            )
            ScreeningFlag.objects.bulk_create(
                ScreeningFlag(
                    intake=intake,
                    treatment="prp",
                    severity="caution",
                    reason="Takes anticoagulant medicines.",
                )
                for intake in intakes[::4]
            )
        self.stdout.write(f"Seeded {len(intakes)} intakes for the review queue.")
        analyze()

    def seed_staff_day(self, location):
        """Give the staff pages' fixed day STAFF_DAY_ROWS consultations: a full diary has about
        145, so the rest are cancellations (listed too, as on any real day)."""
        day, _ = staff_day(location, timezone.now())
        start = datetime.combine(day, time(0), tzinfo=location.zone)
        on_day = Booking.objects.filter(
            location=location, starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
        )
        missing = STAFF_DAY_ROWS - on_day.count()
        if missing <= 0:
            return
        consultation_type = ConsultationType.objects.get(slug="bench-initial")
        practitioners = list(Practitioner.objects.filter(locations=location).order_by("pk"))
        patients = list(Patient.objects.order_by("pk").values_list("pk", flat=True)[:missing])
        duration = timedelta(minutes=consultation_type.duration_minutes)
        Booking.objects.bulk_create(
            Booking(
                patient_id=patient_id,
                practitioner=practitioners[n % len(practitioners)],
                consultation_type=consultation_type,
                location=location,
                starts_at=(moment := start + timedelta(hours=9, minutes=15 * (n % 24))),
                ends_at=moment + duration,
                blocked_from=moment,
                blocked_until=moment + duration,
                status=Booking.Status.CANCELLED,
            )
            for n, patient_id in enumerate(patients)
        )
        analyze()

    def seed_procedure(self, location):
        """Add, once, a procedure needing a room and a centrifuge, offered by every practitioner,
        and make three bookings a day sessions of it, holding both."""
        existing = ConsultationType.objects.filter(slug="bench-procedure").first()
        if existing:
            return existing
        with transaction.atomic():
            procedure = ConsultationType.objects.create(
                slug="bench-procedure",
                name="PRP session",
                description="Benchmark procedure.",
                kind=ConsultationType.Kind.PROCEDURE,
                intake_required=False,
                duration_minutes=45,
                buffer_after_minutes=10,
                min_notice_hours=0,
                horizon_days=FUTURE_DAYS,
            )
            procedure.practitioners.add(*Practitioner.objects.all())
            resources = [
                Resource.objects.create(name=name, kind=kind, location=location)
                for name, kind in (("Procedure room", "room"), ("Centrifuge", "equipment"))
            ]
            procedure.resources.add(*resources)
            ResourceHours.objects.bulk_create(
                ResourceHours(resource=r, weekday=day, start_time=time(7, 30), end_time=time(18))
                for r in resources
                for day in range(6)
            )
            # Sessions at three of the day's eight starts (the first booking at each, lasting
            # 55 minutes with its buffer, so no two overlap): the room is busy but has gaps.
            session_times = {time(8), time(11), time(14, 30)}
            zone = location.zone
            first_of_each_start = {}
            for pk, starts_at in (
                Booking.objects.filter(location=location, consultation_type__slug="bench-initial")
                .exclude(status=Booking.Status.CANCELLED)
                .order_by("starts_at", "pk")
                .values_list("pk", "starts_at")
                .iterator()
            ):
                if starts_at.astimezone(zone).time() in session_times:
                    first_of_each_start.setdefault(starts_at, pk)
            sessions = list(first_of_each_start.values())
            Booking.objects.filter(pk__in=sessions).update(consultation_type=procedure)
            holds = []
            for booking in Booking.objects.filter(pk__in=sessions).values(
                "pk", "blocked_from", "blocked_until"
            ):
                holds.extend(
                    ResourceHold(
                        booking_id=booking["pk"],
                        resource=resource,
                        held_from=booking["blocked_from"],
                        held_until=booking["blocked_until"],
                    )
                    for resource in resources
                )
            ResourceHold.objects.bulk_create(holds, batch_size=BATCH)
        self.stdout.write(f"Seeded a procedure: {len(sessions)} sessions, {len(holds)} holds.")
        return procedure

    @staticmethod
    def generate_bookings(rng, location, consultation_type, practitioners, patient_ids):
        """Yield bookings one at a time, so that seeding never holds the whole set in memory."""
        zone = location.zone
        now = timezone.now()
        today = now.astimezone(zone).date()
        duration = timedelta(minutes=consultation_type.duration_minutes)
        after = timedelta(minutes=consultation_type.buffer_after_minutes)
        day = today - timedelta(days=PAST_DAYS)
        while day <= today + timedelta(days=FUTURE_DAYS):
            if day.weekday() < 6:
                # A patient is in one consultation at a time (a database constraint on
                # PostgreSQL): the patients already seen at each start of the day.
                seen_at = {start_time: set() for start_time in DAY_STARTS}
                for practitioner in practitioners:
                    for start_time in DAY_STARTS:
                        if rng.random() > FILL_RATE:
                            continue
                        start = datetime.combine(day, start_time, tzinfo=zone).astimezone(UTC)
                        patient_id = rng.choice(patient_ids)
                        while patient_id in seen_at[start_time]:
                            patient_id = rng.choice(patient_ids)
                        seen_at[start_time].add(patient_id)
                        if start < now:
                            status = rng.choices(
                                ["completed", "no_show", "cancelled"], weights=[90, 5, 5]
                            )[0]
                        else:
                            status = "cancelled" if rng.random() < 0.05 else "confirmed"
                        yield Booking(
                            patient_id=patient_id,
                            practitioner=practitioner,
                            consultation_type=consultation_type,
                            location=location,
                            starts_at=start,
                            ends_at=start + duration,
                            blocked_from=start,
                            blocked_until=start + duration + after,
                            status=status,
                        )
            day += timedelta(days=1)


def analyze():
    """Fresh planner statistics and visibility map after seeding, as autovacuum would give a
    live database (an index-only scan reads the table for rows not yet vacuumed)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def create_postgres_database_if_missing():
    """Create the benchmark's own PostgreSQL database on first use."""
    if connection.vendor != "postgresql":
        return
    try:
        connection.ensure_connection()
    except OperationalError:
        import psycopg2
        from psycopg2 import sql

        db = connection.settings_dict
        admin = psycopg2.connect(
            dbname="postgres",
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=db["PORT"] or 5432,
        )
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        admin.close()


def synthetic_engine_input(booking_count):
    """Make one practitioner's 30 days of split-day hours and ``booking_count`` busy intervals."""
    rng = random.Random(booking_count)  # noqa: S311 - reproducible data, not security
    zone = ZoneInfo("Europe/London")
    first = datetime(2026, 3, 16).date()
    last = first + timedelta(days=29)
    hours = tuple(
        availability.WeeklySpan(day, start, end)
        for day in range(7)
        for start, end in ((time(9), time(12, 30)), (time(13, 30), time(17)))
    )
    range_start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    busy = []
    for _ in range(booking_count):
        start = range_start + timedelta(
            days=rng.randrange(30), minutes=rng.randrange(8 * 60, 17 * 60)
        )
        busy.append(availability.Interval(start, start + timedelta(minutes=30)))
    rules = availability.SlotRules(
        duration=timedelta(minutes=30),
        buffer_after=timedelta(minutes=10),
        horizon=timedelta(days=60),
    )
    schedule = availability.PractitionerSchedule(1, hours, (), tuple(busy))
    now = range_start - timedelta(days=1)
    return schedule, rules, zone, first, last, now
