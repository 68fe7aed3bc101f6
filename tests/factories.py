from datetime import date, time

import factory
from django.contrib.auth import get_user_model

from bookings.models import ConsultationType, Location, Practitioner, WorkingHours
from patients.models import Patient


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")
    is_staff = True
    password = factory.django.Password("test-password")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Clinic {n}")
    address = "1 Test Street"
    time_zone = "Europe/London"


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    title = "Trichologist"

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.add(*extracted)


class ConsultationTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationType
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Consultation {n}")
    slug = factory.Sequence(lambda n: f"consultation-{n}")
    description = "A consultation."
    duration_minutes = 30
    slot_interval_minutes = 15
    min_notice_hours = 0
    horizon_days = 60
    late_cancel_hours = 24

    @factory.post_generation
    def practitioners(self, create, extracted, **kwargs):
        if create and extracted:
            self.practitioners.add(*extracted)


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    weekday = 0
    start_time = time(9)
    end_time = time(17)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"patient{n}@example.com")
    date_of_birth = date(1985, 6, 1)


def weekly_hours(practitioner, location, start=time(9), end=time(17), weekdays=range(7)):
    """Give a practitioner the same hours every listed weekday at a location."""
    for weekday in weekdays:
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=start,
            end_time=end,
        )
