"""The day's waitlist for staff: who waits, in offer order, and what became of freed times."""

from datetime import timedelta

import pytest
from django.urls import reverse

from bookings.models import WaitlistOffer, WaitlistOpening
from bookings.waitlist import waitlist_join
from tests.factories import BookingFactory, bookable_clinic, next_slot

pytestmark = pytest.mark.django_db


def waiting(location, consultation_type, name, first, last):
    return waitlist_join(
        consultation_type=consultation_type,
        location=location,
        practitioner=None,
        first_day=first,
        last_day=last,
        first_name=name,
        last_name="<script>x</script>",
        email=f"{name.lower()}@example.com",
    )


def test_waitlist_page_lists_the_day_in_offer_order_with_freed_times(
    reception, django_assert_num_queries
):
    location, (practitioner,), consultation_type = bookable_clinic()
    start = next_slot(days=3)
    day = start.astimezone(location.zone).date()
    first = waiting(location, consultation_type, "Ada", day, day + timedelta(days=3))
    second = waiting(location, consultation_type, "Grace", day - timedelta(days=2), day)
    waiting(location, consultation_type, "Later", day + timedelta(days=1), day + timedelta(days=4))
    freed = BookingFactory(
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        status="cancelled",
    )
    opening = WaitlistOpening.objects.create(
        freed_by=freed,
        freed_sequence=1,
        practitioner=practitioner,
        location=location,
        starts_at=start,
    )
    for entry in (first, second):
        WaitlistOffer.objects.create(opening=opening, entry=entry)
    url = reverse("staff:waitlist") + f"?day={day.isoformat()}"
    reception.get(url)
    with django_assert_num_queries(5):
        page = reception.get(url)
    content = page.content.decode()
    assert content.index("Ada") < content.index("Grace")  # longest waiting first
    assert "Later" not in content
    assert "offered to 2 patients" in content and "not claimed yet" in content
    assert "&lt;script&gt;x&lt;/script&gt;" in content and "<script>x</script>" not in content
    today_page = reception.get(reverse("staff:home") + f"?day={day.isoformat()}")
    assert url in today_page.content.decode()
