"""The slot picker's availability, kept in the shared cache for every visitor and checked
against the database on every request.

Drawing the picker's times reads every booking of the eligible practitioners over a month and
runs the slot engine for each of them. Its output (the free times and who is free at each) is
kept in Django's cache (local memory, or Redis when ``REDIS_URL`` is set) under a key made of
everything that decides it:

- the location, the practitioner asked for (or "any") and the dates searched;
- the consultation type's row (duration, buffers, notice, horizon, …);
- which practitioners offer the type, each with their ``ScheduleVersion``, which every change
  that can move their free times (a booking made, moved or cancelled, hours, time off,
  locations, their row) raises in the same transaction (the receivers below).

One query reads the versions on every request, so an entry is never used once anything behind
it has changed, whichever process made the change, and a cache that is not shared between
processes is still correct. The page itself is drawn afresh for everyone (it may hold a
visitor's messages, their booking in progress or the staff menu); only the times come from here.
A time kept is dropped on reading once it falls inside the minimum notice; an entry lives at
most MAX_AGE, so a day reaching the horizon appears within minutes.

The public picker offers consultations only. A procedure's free times also depend on rooms and
equipment, which another practitioner's booking may hold, and no schedule version follows
those; so a procedure's times are never kept here.
"""

import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from bookings import selectors
from bookings.availability import Slot
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
# times people are looking at, and a day that comes within the horizon is offered soon.
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


# The models read with the key, with their aliases in the query: who offers the type, as
# users, and where. Joined from the type's practitioners, so that one round trip gives the key
# and the picker's menus (``PickerState.offered``).
User = Practitioner._meta.get_field("user").related_model
_OFFERED = (("p", Practitioner), ("u", User), ("loc", Location))


@functools.cache
def _key_query(online: bool) -> str:
    """The one query behind a key: the type's row, and each of its practitioners with their
    schedule version, their user and their locations, the rows in the order the picker lists
    the locations (by name) and the practitioners (by name). The type is found by its id, or
    (``online``) by its slug among those patients may book (``_online_parameters``). Written
    out rather than built by the ORM on every request, since it runs on every visit and the
    ORM's compiling cost as much as the query itself."""
    quote = connection.ops.quote_name
    through = ConsultationType.practitioners.through._meta
    works_at = Practitioner.locations.through._meta
    columns = ", ".join(
        f"{alias}.{quote(field.column)}"
        for alias, model in (("ct", ConsultationType), *_OFFERED)
        for field in model._meta.concrete_fields
    )
    if online:
        names = ["slug", *ConsultationType.bookable_online_values()]
        where = " AND ".join(
            f"ct.{quote(ConsultationType._meta.get_field(name).column)} = %s" for name in names
        )
    else:
        where = f"ct.{quote('id')} = %s"
    # The version is read by a subquery (one row at most: one version a practitioner), not a
    # join: PostgreSQL's planning of one more join cost more than running the whole query.
    version = (
        f"(SELECT sv.{quote('version')} FROM {quote(ScheduleVersion._meta.db_table)} sv "  # noqa: S608
        f"WHERE sv.{quote('practitioner_id')} = tp.{quote('practitioner_id')})"
    )
    return (
        f"SELECT tp.{quote('practitioner_id')}, {version}, {columns} "  # noqa: S608
        f"FROM {quote(ConsultationType._meta.db_table)} ct "
        f"LEFT JOIN {quote(through.db_table)} tp "
        f"ON tp.{quote('consultationtype_id')} = ct.{quote('id')} "
        f"LEFT JOIN {quote(Practitioner._meta.db_table)} p "
        f"ON p.{quote('id')} = tp.{quote('practitioner_id')} "
        f"LEFT JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = p.{quote('user_id')} "
        f"LEFT JOIN {quote(works_at.db_table)} pl "
        f"ON pl.{quote('practitioner_id')} = p.{quote('id')} "
        f"LEFT JOIN {quote(Location._meta.db_table)} loc "
        f"ON loc.{quote('id')} = pl.{quote('location_id')} "
        f"WHERE {where} "
        f"ORDER BY loc.{quote('name')}, loc.{quote('id')}, u.{quote('last_name')}, "
        f"u.{quote('first_name')}, p.{quote('id')}"
    )


def _online_parameters(slug: str) -> list:
    """The parameters of the ``online`` query: the slug, then the values that make a type
    bookable online, as the ORM would send them."""
    values = ConsultationType.bookable_online_values()
    return [slug] + [
        ConsultationType._meta.get_field(name).get_db_prep_value(value, connection)
        for name, value in values.items()
    ]


@dataclass(frozen=True)
class PickerState:
    """What the picker reads before its times: the type; ``key``, a digest of everything the
    type's free times depend on beyond the dates asked for (its row and its practitioners'
    schedule versions); and ``offered``, where the type is offered (by name), each place with
    its active practitioners who offer it there (by name), as ``selectors.offered_where``
    returns them."""

    consultation_type: ConsultationType
    key: str
    offered: list[tuple[Location, list[Practitioner]]]


def _reader(alias: str, model):
    """Return a function making a ``model`` instance from its columns in a row, with the
    conversions the ORM applies to them (a boolean on SQLite, a time in its zone, …)."""
    names, converters = [], []
    for field in model._meta.concrete_fields:
        column = field.get_col(alias)
        names.append(field.attname)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        converters.append((functions, column))

    def read(values):
        converted = []
        for value, (functions, column) in zip(values, converters, strict=True):
            for function in functions:
                value = function(value, column, connection)
            converted.append(value)
        return model.from_db(connection.alias, names, converted)

    return read


def _read_state(online: bool, parameters: list) -> PickerState | None:
    with connection.cursor() as cursor:
        # The parameters are the type's id or slug and fixed values; the rest is the models'
        # own names.
        cursor.execute(_key_query(online), parameters)
        rows = cursor.fetchall()
    if not rows:
        return None
    type_columns = len(ConsultationType._meta.concrete_fields)
    widths = [len(model._meta.concrete_fields) for _, model in _OFFERED]
    readers = [_reader(alias, model) for alias, model in _OFFERED]
    user_field = Practitioner._meta.get_field("user")
    versions, practitioners, offered = {}, {}, {}
    for row in rows:
        practitioner_id, version = row[0], row[1]
        versions[practitioner_id] = version
        at = 2 + type_columns
        parts = []
        for width in widths:
            parts.append(row[at : at + width])
            at += width
        practitioner_values, user_values, location_values = parts
        if practitioner_id is None or location_values[0] is None:
            continue  # no practitioner, or one who works nowhere
        practitioner = practitioners.get(practitioner_id)
        if practitioner is None:
            practitioner = readers[0](practitioner_values)
            user_field.set_cached_value(practitioner, readers[1](user_values))
            practitioners[practitioner_id] = practitioner
        if not practitioner.is_active:
            continue
        location_id = location_values[0]
        if location_id not in offered:
            offered[location_id] = (readers[2](location_values), [])
        offered[location_id][1].append(practitioner)
    type_row = rows[0][2 : 2 + type_columns]
    graph = (type_row, sorted(versions.items(), key=lambda item: item[0] or 0))
    return PickerState(
        consultation_type=_reader("ct", ConsultationType)(type_row),
        key=hashlib.sha256(repr(graph).encode()).hexdigest(),
        offered=list(offered.values()),
    )


def online_picker_state(slug: str) -> PickerState | None:
    """Read, in one query, the type patients may book with this slug (None if there is
    none), the key of its free times, and where and by whom it is offered (``PickerState``)."""
    return _read_state(True, _online_parameters(slug))


def schedule_state(consultation_type: ConsultationType) -> str:
    """The key of the type's free times (``PickerState.key``)."""
    state = _read_state(False, [consultation_type.pk])
    return state.key if state else hashlib.sha256(b"None").hexdigest()


def available_slots(
    *,
    state: str,
    consultation_type: ConsultationType,
    location: Location,
    first_day: date,
    last_day: date,
    practitioner: Practitioner | None,
    eligible: list[Practitioner],
    now: datetime,
) -> selectors.Availability:
    """``selectors.available_slots`` for the picker, from the cache when ``state`` (from
    ``schedule_state``, read in this request) still matches what the times were drawn from."""
    if consultation_type.is_procedure:
        return selectors.available_slots(
            consultation_type=consultation_type,
            location=location,
            first_day=first_day,
            last_day=last_day,
            practitioner=practitioner,
            eligible=eligible,
            now=now,
        )
    who = practitioner.pk if practitioner else "any"
    key = f"availability:{state}:{location.pk}:{location.time_zone}:{who}:{first_day}:{last_day}"
    kept = cache.get(key)
    if kept is None:
        result = selectors.available_slots(
            consultation_type=consultation_type,
            location=location,
            first_day=first_day,
            last_day=last_day,
            practitioner=practitioner,
            eligible=eligible,
            now=now,
        )
        rows = [(slot.start, slot.end, slot.practitioner_ids) for slot in result.slots]
        cache.set(key, rows, timeout=int(MAX_AGE.total_seconds()))
        return result
    earliest = now + timedelta(hours=consultation_type.min_notice_hours)
    practitioners = {p.pk: p for p in eligible if practitioner is None or p.pk == practitioner.pk}
    slots = [Slot(start, end, ids) for start, end, ids in kept if start >= earliest]
    return selectors.Availability(location, consultation_type, slots, practitioners)


# Every change that can move free times raises the versions of the practitioners it touches.
# A booking moved from one practitioner to another frees the first one's time: until their
# version is raised by another change (or the entry's few minutes are up), that time may be
# missing from the picker, which is the safe side: a time shown is never taken.


@receiver(post_save, sender=Booking)
def _booking_saved(sender, instance, created, update_fields=None, **kwargs):
    schedules_changed(instance.schedule_change(created=created, update_fields=update_fields))


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


@receiver(m2m_changed, sender=Practitioner.locations.through)
def _practitioner_locations_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        if not reverse:  # practitioner.locations.add(...)
            schedules_changed([instance.pk])
        elif pk_set:  # location.practitioners.add(...)
            schedules_changed(pk_set)
        else:  # location.practitioners.clear(): who they were is gone; raise everyone's
            schedules_changed(Practitioner.objects.values_list("pk", flat=True))
