"""The slot picker's page for first-time visitors, kept in the shared cache and checked against
the database on every request.

The picker is the page most visitors open, and drawing it reads every booking of the eligible
practitioners over a fortnight. Its HTML is kept in Django's cache (local memory, or Redis when
``REDIS_URL`` is set) under a key made of everything that decides it:

- the query string (location, practitioner, day);
- the consultation type's row (duration, buffers, notice, horizon, price, …);
- which practitioners offer the type, each with their ``ScheduleVersion``, which every change
  to their bookings, hours, time off, locations or row raises in the same transaction (the
  receivers below).

One query reads all of it on every request, so an entry is never served once
anything behind it has changed, whichever process made the change, and a cache that is not
shared between processes is still correct. An entry also expires by itself before the first
time it offers falls inside the minimum notice, and at the clinic's midnight, so that no page
offers a time the server would refuse. Only visitors without a session are served from it: a
page for anyone else may hold their messages, their booking in progress or the staff menu.

The public picker offers consultations only. A procedure's free times also depend on rooms and
equipment, which another practitioner's booking may hold, and no schedule version follows those;
so a page of a procedure must never be kept here (the picker answers 404 for one).
"""

import functools
import hashlib
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from bookings.models import (
    Booking,
    ConsultationType,
    Location,
    Practitioner,
    ScheduleVersion,
    TimeOff,
    WorkingHours,
)

# An entry lives at most this long even if nothing changes, so that the cache holds only
# pages people are looking at.
MAX_AGE = timedelta(minutes=5)


def schedules_changed(practitioner_ids) -> None:
    """Raise the schedule version of these practitioners (in the caller's transaction)."""
    ids = {pk for pk in practitioner_ids if pk is not None}
    if not ids:
        return
    versions = ScheduleVersion.objects.filter(practitioner_id__in=ids)
    if versions.update(version=F("version") + 1) < len(ids):
        # A practitioner made without one (a bulk insert): create it, then raise it too.
        ScheduleVersion.objects.bulk_create(
            [ScheduleVersion(practitioner_id=pk) for pk in ids], ignore_conflicts=True
        )
        versions.update(version=F("version") + 1)


def visitor_can_share(request) -> bool:
    """A first look: a GET without a session and without a booking in progress."""
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "draft" not in request.GET
    )


@functools.cache
def _key_query() -> str:
    """The one query behind a key: the type's row, and each of its practitioners with their
    schedule version. Written out rather than built by the ORM on every request, since it runs
    on every visit and the ORM's compiling cost as much as the query itself."""
    quote = connection.ops.quote_name
    through = ConsultationType.practitioners.through._meta
    columns = ", ".join(
        f"ct.{quote(field.column)}" for field in ConsultationType._meta.concrete_fields
    )
    return (
        f"SELECT {columns}, tp.{quote('practitioner_id')}, sv.{quote('version')} "  # noqa: S608
        f"FROM {quote(ConsultationType._meta.db_table)} ct "
        f"LEFT JOIN {quote(through.db_table)} tp "
        f"ON tp.{quote('consultationtype_id')} = ct.{quote('id')} "
        f"LEFT JOIN {quote(ScheduleVersion._meta.db_table)} sv "
        f"ON sv.{quote('practitioner_id')} = tp.{quote('practitioner_id')} "
        f"WHERE ct.{quote('slug')} = %s AND ct.{quote('is_active')} = %s "
        f"ORDER BY tp.{quote('practitioner_id')}"
    )


def page_key(request, slug: str) -> str | None:
    """The cache key of this picker page: its query and everything its times depend on, read
    in one query; None when no active consultation type has this slug."""
    with connection.cursor() as cursor:
        # Only the slug and a constant are parameters; the rest is the models' own names.
        cursor.execute(_key_query(), [slug, True])
        graph = cursor.fetchall()
    if not graph:
        return None
    query = sorted((name, request.GET.getlist(name)) for name in request.GET)
    digest = hashlib.sha256(repr((request.path, query, graph)).encode()).hexdigest()
    return f"slot-picker:{digest}"


def expires_in(week, rules_notice: timedelta, zone, now: datetime) -> float:
    """Seconds the page stays true: until its first time falls inside the notice, or until
    midnight at the clinic, or MAX_AGE, whichever comes first."""
    local_now = now.astimezone(zone)
    midnight = datetime.combine(local_now.date() + timedelta(days=1), time(0), tzinfo=zone)
    limits = [now + MAX_AGE, midnight]
    starts = [slot.start for _, slots in week for slot in slots]
    if starts:
        limits.append(min(starts) - rules_notice)
    return (min(limits) - now).total_seconds()


def get(key):
    return cache.get(key) if key else None


def put(key, content: bytes, seconds: float) -> None:
    if key and seconds >= 1:
        cache.set(key, content, timeout=int(seconds))


# Every change that can move free times raises the versions of the practitioners it touches.
# A booking moved from one practitioner to another frees the first one's time: until their
# version is raised by another change (or the entry's few minutes are up), that time may be
# missing from the picker, which is the safe side: a time shown is never taken.


@receiver(post_save, sender=Booking)
@receiver(post_delete, sender=Booking)
@receiver(post_save, sender=WorkingHours)
@receiver(post_delete, sender=WorkingHours)
@receiver(post_save, sender=TimeOff)
@receiver(post_delete, sender=TimeOff)
def _practitioner_schedule_changed(sender, instance, **kwargs):
    schedules_changed([instance.practitioner_id])


@receiver(post_save, sender=Practitioner)
def _practitioner_changed(sender, instance, created, **kwargs):
    if created:
        ScheduleVersion.objects.get_or_create(practitioner=instance)
    else:
        schedules_changed([instance.pk])


@receiver(post_save, sender=Location)
def _location_changed(sender, instance, **kwargs):
    schedules_changed(instance.practitioners.values_list("pk", flat=True))


@receiver(post_save, sender=get_user_model())
def _staff_name_changed(sender, instance, **kwargs):
    # Patients see the practitioner's name on the picker.
    schedules_changed(Practitioner.objects.filter(user=instance).values_list("pk", flat=True))


@receiver(m2m_changed, sender=Practitioner.locations.through)
def _practitioner_locations_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        if not reverse:  # practitioner.locations.add(...)
            schedules_changed([instance.pk])
        elif pk_set:  # location.practitioners.add(...)
            schedules_changed(pk_set)
        else:  # location.practitioners.clear(): who they were is gone; raise everyone's
            schedules_changed(Practitioner.objects.values_list("pk", flat=True))
