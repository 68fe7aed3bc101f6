"""What a procedure holds: the rooms and equipment of a booking, over its blocked interval.

Holds follow their booking. The booking services (``bookings.services``) write them with the
booking under the resources' locks, move them when it moves, and delete them when it is
cancelled or its patient does not come; erasure (``bookings.privacy``) deletes those of the
bookings it cancels. Nothing here locks: callers hold the locks the services' docstring lists.
"""

from bookings.models import Booking, ResourceHold


def _the(name: str) -> str:
    """Name a resource in a sentence: "the procedure room", but "the PRP centrifuge"."""
    return "the " + (name if name[:2].isupper() else name[:1].lower() + name[1:])


def resources_taken_message(names, then: str = "Please choose another time.") -> str:
    """Say which rooms or equipment are taken, in words a person understands, and ``then``
    what to do."""
    named = [_the(name) for name in names]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    verb = "is" if len(named) == 1 else "are"
    return f"{listed[0].upper()}{listed[1:]} {verb} taken at that time. {then}"


def taken_resources(resources, held_from, held_until, exclude=None) -> list[str]:
    """Return the names of ``resources`` held by another booking during the interval."""
    holds = ResourceHold.objects.filter(
        resource__in=resources, held_from__lt=held_until, held_until__gt=held_from
    )
    if exclude is not None:
        holds = holds.exclude(booking_id=exclude)
    taken = set(holds.values_list("resource_id", flat=True))
    return [resource.name for resource in resources if resource.pk in taken]


def hold_resources(booking: Booking, resources, *, replace=True) -> None:
    """Hold every resource over the booking's blocked interval, replacing its old holds
    (a new booking has none: ``replace=False`` saves the query)."""
    if replace:
        ResourceHold.objects.filter(booking=booking).delete()
    ResourceHold.objects.bulk_create(
        ResourceHold(
            booking=booking,
            resource=resource,
            held_from=booking.blocked_from,
            held_until=booking.blocked_until,
        )
        for resource in resources
    )


def release_resources(*bookings: Booking) -> None:
    """Free what cancelled or missed bookings held, for anyone to book."""
    ResourceHold.objects.filter(booking__in=bookings).delete()
