"""Load a believable demo clinic: locations, practitioners, hours, consultation types, staff,
rooms and equipment, and the procedures that hold them.

Running it again changes nothing and duplicates nothing: every row is found by a natural key
before it is created, and a relation is added to only when it lacks something. It refuses to run
with DEBUG off, since the demo logins share one password.
"""

from datetime import date, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from bookings import selectors
from bookings.models import (
    Closure,
    ConsultationType,
    Location,
    Practitioner,
    Resource,
    ResourceHours,
    TimeOff,
    WorkingHours,
)
from bookings.services import BookingError, booking_create
from clinic import roles
from devtools.demo_history import add_demo_history
from devtools.demo_outcomes import add_demo_outcomes
from devtools.demo_plans import add_demo_plan
from devtools.demo_progress import PATIENT as PROGRESS_PATIENT
from devtools.demo_progress import add_demo_progress
from patients.models import Patient
from patients.services import consents_record
from treatments.models import ConsentText, Protocol, ProtocolStep, StepPrice
from treatments.seed import TYPES as TREATMENT_TYPES
from treatments.seed import seed

DEMO_PASSWORD = "clinic-demo-2026"  # noqa: S105 - demo only; the command refuses DEBUG off

LOCATIONS = [
    {
        "name": "Hampstead, London",
        "address": "14 Harrow Lane, London NW3 2QP, United Kingdom",
        "phone": "020 7946 0321",
        "time_zone": "Europe/London",
        "country": "GB",
        "directions": "Hampstead Underground station (Northern line) is a four-minute walk. "
        "Pay-and-display parking on Harrow Lane. Step-free entrance on the left of the building.",
    },
    {
        "name": "Healthcare City, Dubai",
        "address": "Building 27, Dubai Healthcare City, Dubai, United Arab Emirates",
        "phone": "+971 4 555 0142",
        "time_zone": "Asia/Dubai",
        "country": "AE",
        "directions": "Free visitor parking under Building 27; the Healthcare City metro "
        "station (green line) is a five-minute walk.",
    },
]

MORNING_AFTERNOON = [(time(9), time(12, 30)), (time(13, 30), time(17))]
PRACTITIONERS = [
    {
        "username": "dr.okafor",
        "first_name": "Amara",
        "last_name": "Okafor",
        "title": "Consultant dermatologist, hair and scalp",
        "bio": "Fifteen years in hair and scalp disorders; leads the clinic's PRP service.",
        "locations": ["Hampstead, London"],
        "hours": {day: ("Hampstead, London", MORNING_AFTERNOON) for day in (0, 1, 3, 4)},
    },
    {
        "username": "dr.whitfield",
        "first_name": "James",
        "last_name": "Whitfield",
        "title": "Hair restoration surgeon",
        "bio": "Performs FUE and FUT transplants and assesses candidates for surgery.",
        "locations": ["Hampstead, London"],
        "hours": {
            1: ("Hampstead, London", [(time(10), time(13)), (time(14), time(18))]),
            2: ("Hampstead, London", [(time(10), time(13)), (time(14), time(18))]),
            5: ("Hampstead, London", [(time(9), time(13))]),
        },
    },
    {
        "username": "l.haddad",
        "first_name": "Layla",
        "last_name": "Haddad",
        "title": "Trichologist",
        "bio": "Specialises in hair loss in women, telogen effluvium and scalp health.",
        "locations": ["Healthcare City, Dubai"],
        "hours": {day: ("Healthcare City, Dubai", MORNING_AFTERNOON) for day in range(5)},
    },
]

CONSULTATION_TYPES = [
    {
        "slug": "video-screening",
        "position": 2,
        "name": "Free video screening",
        "description": (
            "A short video call to talk about your hair loss and whether an in-person "
            "consultation would help. No examination and no prescription."
        ),
        "mode": ConsultationType.Mode.VIDEO,
        "duration_minutes": 15,
        "buffer_after_minutes": 5,
        "min_notice_hours": 4,
        "price": Decimal("0"),
        "practitioners": ["dr.okafor", "dr.whitfield", "l.haddad"],
    },
    {
        "slug": "initial-consultation",
        "position": 1,
        "name": "Initial hair-loss consultation",
        "description": (
            "A full assessment: your history, a close look at your scalp, the likely cause and "
            "the options that suit you, including whether tests are needed first."
        ),
        "mode": ConsultationType.Mode.IN_PERSON,
        "duration_minutes": 30,
        "buffer_after_minutes": 10,
        "price": Decimal("95.00"),
        "practitioners": ["dr.okafor", "dr.whitfield", "l.haddad"],
    },
    {
        "slug": "prp-stem-cell-suitability",
        "position": 3,
        "name": "PRP and stem cell suitability consultation",
        "description": (
            "For people considering PRP, exosomes or stem cell therapy: a medical review of "
            "whether these treatments are safe and likely to help you."
        ),
        "mode": ConsultationType.Mode.IN_PERSON,
        "duration_minutes": 45,
        "buffer_before_minutes": 5,
        "buffer_after_minutes": 10,
        "price": Decimal("150.00"),
        "practitioners": ["dr.okafor", "dr.whitfield"],
    },
    {
        "slug": "follow-up",
        "position": 4,
        "name": "Follow-up consultation",
        "description": "A review of progress on your treatment plan, with photos to compare.",
        # The first consultation's questions are answered already; progress is measured at
        # the visit.
        "intake_required": False,
        "mode": ConsultationType.Mode.IN_PERSON,
        "duration_minutes": 20,
        "buffer_after_minutes": 5,
        "slot_interval_minutes": 10,
        "price": Decimal("60.00"),
        "practitioners": ["dr.okafor", "dr.whitfield", "l.haddad"],
    },
]

# Rooms and equipment at London, each with its weekly hours (Monday is 0). Procedures hold them
# over their whole slot, buffers included, so the hours start before and end after the people's.
RESOURCES = [
    {
        "name": "Procedure room",
        "kind": Resource.Kind.ROOM,
        "location": "Hampstead, London",
        "hours": [(day, time(8), time(18, 30)) for day in range(6)],
    },
    {
        "name": "Centrifuge",
        "kind": Resource.Kind.EQUIPMENT,
        "location": "Hampstead, London",
        "hours": [(day, time(8), time(18, 30)) for day in range(6)],
    },
    {
        "name": "Liposuction suite",
        "kind": Resource.Kind.ROOM,
        "location": "Hampstead, London",
        "hours": [(day, time(8), time(19)) for day in range(5)],
    },
]

# Procedures: booked from a treatment plan or by staff, never from the public booking pages.
# A course is planned months ahead, so they can be booked further ahead than a consultation.
PROCEDURE_TYPES = [
    {
        "slug": "prp-session",
        "position": 10,
        "name": "PRP session",
        "description": (
            "A blood sample is taken and spun in a centrifuge; the platelet-rich plasma is then "
            "injected into the thinning areas of the scalp under local anaesthetic."
        ),
        "duration_minutes": 60,
        "buffer_after_minutes": 15,
        "price": Decimal("350.00"),
        "practitioners": ["dr.okafor", "dr.whitfield"],
        "resources": ["Procedure room", "Centrifuge"],
    },
    {
        "slug": "stem-cell-adipose",
        "position": 11,
        "name": "Stem cell therapy (adipose-derived)",
        "description": (
            "A small amount of fat is taken by mini-liposuction under local anaesthetic, "
            "processed, and injected into the scalp in the same visit."
        ),
        "duration_minutes": 240,
        "buffer_after_minutes": 30,
        "price": Decimal("4500.00"),
        "practitioners": ["dr.whitfield", "dr.okafor"],
        "resources": ["Liposuction suite", "Procedure room"],
    },
    {
        "slug": "exosome-session",
        "position": 12,
        "name": "Exosome session",
        "description": "Exosome solution applied to the scalp by micro-injection.",
        "duration_minutes": 45,
        "buffer_after_minutes": 15,
        "price": Decimal("600.00"),
        "practitioners": ["dr.okafor", "dr.whitfield"],
        "resources": ["Procedure room"],
    },
    {
        "slug": "micro-needling-session",
        "position": 13,
        "name": "Micro-needling session",
        "description": (
            "Micro-needling of the scalp, often with a topical serum, to support regrowth."
        ),
        "duration_minutes": 45,
        "buffer_after_minutes": 15,
        "price": Decimal("250.00"),
        "practitioners": ["dr.okafor", "dr.whitfield"],
        "resources": ["Procedure room"],
    },
]
PROCEDURE_DEFAULTS = {
    "kind": ConsultationType.Kind.PROCEDURE,
    "intake_required": False,
    "mode": ConsultationType.Mode.IN_PERSON,
    "min_notice_hours": 48,
    "horizon_days": 365,
    "late_cancel_hours": 48,
}

STAFF = [
    {"username": "admin", "first_name": "Clinic", "last_name": "Admin", "role": roles.CLINIC_ADMIN},
    {
        "username": "reception",
        "first_name": "Rosa",
        "last_name": "Lindqvist",
        "role": roles.RECEPTION,
    },
]
DEMO_CODES = 5

DEMO_PATIENTS = [
    ("Daniel", "Moreno", "daniel.moreno@example.com", date(1988, 4, 2)),
    ("Priya", "Shah", "priya.shah@example.com", date(1979, 11, 23)),
    ("Tom", "Becker", "tom.becker@example.com", date(1995, 7, 14)),
]


def add_missing(related, objects) -> None:
    """Add to a many-to-many relation only the ``objects`` it does not hold yet."""
    # add() sends m2m_changed even when every object is already there, and the slot picker's
    # receiver then raises the practitioner's schedule version: a second run would change it.
    held = set(related.values_list("pk", flat=True))
    missing = [obj for obj in objects if obj.pk not in held]
    if missing:
        related.add(*missing)


class Command(BaseCommand):
    help = "Load the demo clinic (idempotent) and print the demo staff logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (never on a real clinic's database).",
        )

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("Demo data has shared passwords; run it with DJANGO_DEBUG=true.")
        with transaction.atomic():
            locations = {spec["name"]: self._location(spec) for spec in LOCATIONS}
            roles.sync_roles(Group, Permission)
            groups = {role: Group.objects.get(name=role) for role in roles.ROLES}
            practitioners = {
                spec["username"]: self._practitioner(spec, locations, groups[roles.PRACTITIONER])
                for spec in PRACTITIONERS
            }
            for spec in STAFF:
                self._staff_user(spec, groups[spec["role"]])
            for spec in CONSULTATION_TYPES:
                self._consultation_type(spec, practitioners)
            resources = {spec["name"]: self._resource(spec, locations) for spec in RESOURCES}
            for spec in PROCEDURE_TYPES:
                self._consultation_type({**PROCEDURE_DEFAULTS, **spec}, practitioners, resources)
            self._time_off(practitioners["dr.whitfield"])
            self._closures(locations[LOCATIONS[0]["name"]])
            self._protocols(practitioners)
        self._demo_bookings()
        # A patient through a course of PRP: three visits measured and photographed.
        add_demo_progress(
            location=locations[LOCATIONS[0]["name"]], practitioner=practitioners["dr.okafor"]
        )
        add_demo_plan(self.stderr)
        # His course as a plan, his own ratings, and earlier courses' anonymous outcomes.
        add_demo_outcomes(email=PROGRESS_PATIENT[2])
        self._print_logins()

    def _location(self, spec):
        location, _ = Location.objects.get_or_create(name=spec["name"], defaults=spec)
        return location

    def _user(self, spec, group, **flags):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=spec["username"],
            defaults={
                "first_name": spec["first_name"],
                "last_name": spec["last_name"],
                "email": f"{spec['username']}@clinic.example",
                "is_staff": True,
                **flags,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        add_missing(user.groups, [group])
        # The demo's second factor: a few one-time backup codes, printed below. Topped up only
        # when all are used, so that a second run changes nothing.
        device, _ = StaticDevice.objects.get_or_create(user=user, name="Demo backup codes")
        if not device.token_set.exists():
            StaticToken.objects.bulk_create(
                StaticToken(device=device, token=StaticToken.random_token())
                for _ in range(DEMO_CODES)
            )
        return user

    def _staff_user(self, spec, group):
        superuser = spec["role"] == roles.CLINIC_ADMIN
        return self._user(spec, group, is_superuser=superuser)

    def _practitioner(self, spec, locations, group):
        user = self._user(spec, group)
        practitioner, created = Practitioner.objects.get_or_create(
            user=user, defaults={"title": spec["title"], "bio": spec["bio"]}
        )
        add_missing(practitioner.locations, [locations[name] for name in spec["locations"]])
        if created:
            for weekday, (location_name, spans) in spec["hours"].items():
                for start, end in spans:
                    WorkingHours.objects.create(
                        practitioner=practitioner,
                        location=locations[location_name],
                        weekday=weekday,
                        start_time=start,
                        end_time=end,
                    )
        return practitioner

    def _consultation_type(self, spec, practitioners, resources=None):
        spec = dict(spec)
        names = spec.pop("practitioners")
        needs = spec.pop("resources", [])
        consultation_type, _ = ConsultationType.objects.get_or_create(
            slug=spec["slug"], defaults=spec
        )
        add_missing(consultation_type.practitioners, [practitioners[name] for name in names])
        if needs:
            add_missing(consultation_type.resources, [resources[name] for name in needs])

    def _resource(self, spec, locations):
        resource, created = Resource.objects.get_or_create(
            location=locations[spec["location"]],
            name=spec["name"],
            defaults={"kind": spec["kind"]},
        )
        if created:
            ResourceHours.objects.bulk_create(
                ResourceHours(resource=resource, weekday=day, start_time=start, end_time=end)
                for day, start, end in spec["hours"]
            )
        return resource

    def _protocols(self, practitioners):
        """The treatment protocols with prices at the demo locations (the migration seeded
        them before any location existed), offered by every demo practitioner."""
        seed(
            ConsultationType=ConsultationType,
            Practitioner=Practitioner,
            Location=Location,
            Protocol=Protocol,
            ProtocolStep=ProtocolStep,
            StepPrice=StepPrice,
            ConsentText=ConsentText,
        )
        for consultation_type in ConsultationType.objects.filter(slug__in=list(TREATMENT_TYPES)):
            add_missing(consultation_type.practitioners, list(practitioners.values()))

    def _time_off(self, practitioner):
        if practitioner.time_off.exists():
            return
        # A week of leave three weeks from the first load, so that the picker shows a gap.
        start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        start += timedelta(days=21)
        TimeOff.objects.create(
            practitioner=practitioner,
            starts_at=start,
            ends_at=start + timedelta(days=7),
            reason=TimeOff.Reason.LEAVE,
            note="Annual leave",
        )

    @staticmethod
    def _closures(location):
        """London's coming bank holidays at Christmas and the New Year, closed."""
        if location.closures.exists():
            return
        today = timezone.now().astimezone(location.zone).date()
        christmas = date(today.year, 12, 25)
        if christmas < today:
            christmas = date(today.year + 1, 12, 25)
        Closure.objects.create(
            location=location,
            first_day=christmas,
            last_day=christmas + timedelta(days=1),
            name="Christmas and Boxing Day",
        )
        new_year = date(christmas.year + 1, 1, 1)
        Closure.objects.create(
            location=location, first_day=new_year, last_day=new_year, name="New Year's Day"
        )

    def _demo_bookings(self):
        """Book a few demo patients into the first free slots, once, so the diary is not empty,
        with their answers and photos."""
        if Patient.objects.filter(email__in=[p[2] for p in DEMO_PATIENTS]).exists():
            return
        consultation_type = ConsultationType.objects.get(slug="initial-consultation")
        location = Location.objects.get(name=LOCATIONS[0]["name"])
        today = timezone.now().astimezone(location.zone).date()
        slots = selectors.available_slots(
            consultation_type=consultation_type,
            location=location,
            first_day=today + timedelta(days=1),
            last_day=today + timedelta(days=14),
        ).slots
        booked = []
        for (first, last, email, born), slot in zip(DEMO_PATIENTS, slots[5::40], strict=False):
            patient = Patient.objects.create(
                first_name=first, last_name=last, email=email, date_of_birth=born
            )
            try:
                booking = booking_create(
                    patient=patient,
                    consultation_type=consultation_type,
                    location=location,
                    starts_at=slot.start,
                    notify=False,
                )
            except BookingError as error:
                self.stderr.write(f"Skipped a demo booking: {error.message}")
            else:
                # As every booking made by a patient or by reception records it: without it,
                # a visit staff share does not reach the patient's progress page.
                consents_record(
                    patient=patient, booking=booking, photos_beyond_care=False, now=timezone.now()
                )
                booked.append(booking)
        # Answers, drawn scalp pictures and an earlier assessed visit, for the review pages.
        add_demo_history(booked)

    def _print_logins(self):
        usernames = [s["username"] for s in STAFF] + [s["username"] for s in PRACTITIONERS]
        self.stdout.write(self.style.SUCCESS("Demo clinic loaded."))
        self.stdout.write(
            f"Demo staff logins at /staff/sign-in/ (password for all: {DEMO_PASSWORD}), each "
            "followed by one of its one-time backup codes:"
        )
        for username in usernames:
            codes = StaticToken.objects.filter(
                device__user__username=username, device__name="Demo backup codes"
            ).values_list("token", flat=True)
            self.stdout.write(f"  {username:14} codes: {' '.join(sorted(codes))}")
