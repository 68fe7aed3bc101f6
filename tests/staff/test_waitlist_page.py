"""The day's waitlist for staff: who waits, in offer order, and what became of freed times."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from bookings.models import WaitlistEntry, WaitlistOffer, WaitlistOpening
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


def freed_time(location, practitioner, consultation_type, start):
    """A time freed by a cancellation at ``start``, as the waitlist records it."""
    freed = BookingFactory(
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        status="cancelled",
    )
    return WaitlistOpening.objects.create(
        freed_by=freed,
        freed_sequence=1,
        practitioner=practitioner,
        location=location,
        starts_at=start,
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
    opening = freed_time(location, practitioner, consultation_type, start)
    for entry in (first, second):
        WaitlistOffer.objects.create(opening=opening, entry=entry)
    url = reverse("staff:waitlist") + f"?day={day.isoformat()}"
    reception.get(url)
    with django_assert_num_queries(5):
        page = reception.get(url)
    content = page.content.decode()
    assert content.index("Ada") < content.index("Grace")  # longest waiting first
    assert "Later" not in content
    assert "offered to 2 patients still waiting" in content and "not claimed yet" in content
    assert "&lt;script&gt;x&lt;/script&gt;" in content and "<script>x</script>" not in content
    today_page = reception.get(reverse("staff:home") + f"?day={day.isoformat()}")
    assert url in today_page.content.decode()


def test_reception_takes_a_patient_who_phones_off_the_waitlist(reception):
    location, (practitioner,), consultation_type = bookable_clinic()
    start = next_slot(days=3)
    day = start.astimezone(location.zone).date()
    leaving = waiting(location, consultation_type, "Ada", day, day + timedelta(days=3))
    staying = waiting(location, consultation_type, "Grace", day, day)
    opening = freed_time(location, practitioner, consultation_type, start)
    offer = WaitlistOffer.objects.create(opening=opening, entry=leaving)
    url = reverse("staff:waitlist") + f"?day={day.isoformat()}"
    page = reception.get(url).content.decode()
    remove = reverse("staff:waitlist_remove", args=[leaving.pk])
    assert f'action="{remove}"' in page
    assert "Take Ada &lt;script&gt;x&lt;/script&gt; off the waitlist?" in page  # asked first

    response = reception.post(remove, {"day": day.isoformat()}, follow=True)
    assert response.redirect_chain[-1][0] == url  # back on the day it was taken off from
    html = response.content.decode()
    assert "Ada &lt;script&gt;x&lt;/script&gt; is off the waitlist." in html
    assert not WaitlistEntry.objects.filter(pk=leaving.pk).exists()
    assert not WaitlistOffer.objects.exists()  # offered nothing more
    assert list(WaitlistEntry.objects.all()) == [staying]
    assert WaitlistOpening.objects.filter(pk=opening.pk).exists()  # the freed time stays
    # The patient's offer e-mail, opened afterwards: it says the place has ended.
    offer_page = Client().get(reverse("bookings:waitlist_claim", args=[offer.token]))
    assert offer_page.status_code == 404
    assert "The place on the waitlist it was for has ended" in offer_page.content.decode()

    # Sent again (a second click, or the patient left through their own link meanwhile).
    again = reception.post(remove, {"day": "not a day"}, follow=True)
    assert "That patient is no longer on the waitlist." in again.content.decode()
    assert list(WaitlistEntry.objects.all()) == [staying]
    assert reception.get(remove).status_code == 405  # a link cannot take anyone off


def test_a_practitioner_reads_the_waitlist_without_the_button(practitioner_client):
    location, _, consultation_type = bookable_clinic()
    day = next_slot(days=3).astimezone(location.zone).date()
    entry = waiting(location, consultation_type, "Ada", day, day)
    page = practitioner_client.get(reverse("staff:waitlist") + f"?day={day.isoformat()}")
    assert "Ada" in page.content.decode() and "Take off the waitlist" not in page.content.decode()
    remove = reverse("staff:waitlist_remove", args=[entry.pk])
    assert practitioner_client.post(remove).status_code == 403
    assert WaitlistEntry.objects.filter(pk=entry.pk).exists()


def test_a_freed_time_booked_by_other_means_is_not_shown_as_open(reception):
    """Reception books the freed time for a caller: the waitlist page no longer calls it
    unclaimed, as if it were still there to take."""
    location, (practitioner,), consultation_type = bookable_clinic()
    start = next_slot(days=3)
    day = start.astimezone(location.zone).date()
    freed_time(location, practitioner, consultation_type, start)
    url = reverse("staff:waitlist") + f"?day={day.isoformat()}"
    assert "not claimed yet" in reception.get(url).content.decode()
    BookingFactory(
        practitioner=practitioner,
        consultation_type=consultation_type,
        location=location,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )
    page = reception.get(url).content.decode()
    assert "booked since, not from the waitlist" in page and "not claimed yet" not in page
