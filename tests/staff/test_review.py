"""Practitioners' review: who may read which intake, and every read in the audit trail."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from bookings.services import booking_create
from clinic import roles as role_names
from clinic.models import ClinicalRead
from patients.models import Assessment
from staff import queue_sql, selectors
from staff.views.today import HOLDING_FLAGS
from tests.factories import (
    PatientFactory,
    UserFactory,
    assessed,
    bookable_clinic,
    booking_with_intake,
    next_slot,
    same_patient,
    sign_in_with_second_factor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(roles, screening_rules):
    location, staff, consultation_type = bookable_clinic(practitioners=2)
    for practitioner in staff:
        practitioner.user.groups.add(roles[role_names.PRACTITIONER])
    mine = booking_with_intake(
        location,
        consultation_type,
        staff[0],
        3,
        screen_bleeding_disorder="yes",
        goals="<script>alert('x')</script> ∑ long unicode text " * 20,
    )
    theirs = booking_with_intake(location, consultation_type, staff[1], 4)
    return staff, mine, theirs


def test_queue_shows_own_consultations_soonest_first_with_flags(client, clinic):
    staff, mine, theirs = clinic
    sign_in_with_second_factor(client, staff[0].user)
    page = client.get(reverse("staff:review_queue"))
    html = page.content.decode()
    assert mine.patient.full_name in html and theirs.patient.full_name not in html
    assert "PRP is contraindicated" in html
    assert ClinicalRead.objects.filter(user=staff[0].user, what="screening flags").count() == 1


def test_queue_costs_the_same_queries_for_more_rows(client, clinic, roles):
    staff, mine, _ = clinic
    boss = UserFactory(username="boss")
    boss.groups.add(roles[role_names.CLINIC_ADMIN])
    sign_in_with_second_factor(client, boss)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("staff:review_queue")).status_code == 200
        return len(queries)

    before = count()
    booking_with_intake(mine.location, mine.consultation_type, staff[0], 6)
    booking_with_intake(mine.location, mine.consultation_type, staff[1], 7)
    assert count() == before


def test_a_long_queue_comes_a_page_at_a_time_and_only_shown_rows_are_read(
    client, clinic, roles, monkeypatch
):
    from staff.views import reviews

    monkeypatch.setattr(reviews, "QUEUE_PAGE_SIZE", 2)
    staff, mine, theirs = clinic
    later = booking_with_intake(mine.location, mine.consultation_type, staff[1], 9)
    boss = UserFactory(username="boss")
    boss.groups.add(roles[role_names.CLINIC_ADMIN])
    sign_in_with_second_factor(client, boss)
    first = client.get(reverse("staff:review_queue"))
    assert [row.url for row in first.context["rows"]] == [
        reverse("staff:review", args=[b.pk])
        for b in sorted([mine, theirs, later], key=lambda b: b.starts_at)[:2]
    ]
    assert "Page 1 of 2 (3 intakes)" in first.content.decode()
    second = client.get(reverse("staff:review_queue"), {"page": "2"})
    assert [row.url for row in second.context["rows"]] == [reverse("staff:review", args=[later.pk])]
    assert client.get(reverse("staff:review_queue"), {"page": "junk"}).status_code == 200
    assert ClinicalRead.objects.filter(user=boss, what="screening flags").count() == 2 + 1 + 2
    # A page past the last is the last, however far past.
    for number in ("3", "9" * 30):
        past = client.get(reverse("staff:review_queue"), {"page": number})
        assert past.context["rows"] == second.context["rows"]
        assert "Page 2 of 2 (3 intakes)" in past.content.decode()


def queue_by_orm(user, now):
    """The review queue's rule said through the ORM: the confirmed consultations ``user`` sees
    that have answers and no assessment, from a week back on, soonest first."""
    return (
        selectors.visible_bookings(user)
        .filter(
            ~Exists(Assessment.objects.filter(booking_id=OuterRef("pk"))),
            intake__isnull=False,
            status=Booking.Status.CONFIRMED,
            starts_at__gte=now - timedelta(days=selectors.RECENT_DAYS),
        )
        .select_related("patient", "intake")
        .order_by("starts_at", "pk")
    )


def test_the_queue_page_and_the_landing_count_the_rows_the_rule_selects(clinic, roles):
    """The written-out queue (staff/queue_sql.py), its page and the landing's count, against
    the rule said through the ORM: the same consultations, in the same order, for a clinic
    admin and for each practitioner, now and a week and a half on; assessed and cancelled ones
    out."""
    staff, mine, _ = clinic
    place = (mine.location, mine.consultation_type)
    for days, who in ((5, 0), (6, 1), (8, 0), (12, 1)):
        booking_with_intake(*place, staff[who], days)
    # Several flags on one row, which the page's statement reads joined to it.
    booking_with_intake(
        *place, staff[1], 7, screen_anticoagulants="yes", screen_bleeding_disorder="yes"
    )
    assessed(booking_with_intake(*place, staff[0], 9), staff[0].user)
    cancelled = booking_with_intake(*place, staff[1], 10)
    Booking.objects.filter(pk=cancelled.pk).update(status=Booking.Status.CANCELLED)
    boss = UserFactory(username="boss")
    boss.groups.add(roles[role_names.CLINIC_ADMIN])
    since = timedelta(days=selectors.RECENT_DAYS)
    for user in (boss, staff[0].user, staff[1].user):
        for now in (timezone.now(), timezone.now() + timedelta(days=13)):
            expected = list(queue_by_orm(user, now))
            assert expected, "each case lists some"
            waiting, _ = queue_sql.waiting_counts(
                user=user, now=now, since=since, severities=HOLDING_FLAGS
            )
            assert waiting == len(expected)
            rows, flags, offset = [], {}, 0
            while (
                page := queue_sql.queue_page(
                    user=user, now=now, since=since, offset=offset, size=2, cap=1000
                )
            ).rows:
                rows += page.rows
                flags |= page.flags
                offset += 2
            assert [row.booking_id for row in rows] == [b.pk for b in expected]
            assert [(row.patient_name, row.starts_at, row.intake_id) for row in rows] == [
                (b.patient.full_name, b.starts_at, b.intake.pk) for b in expected
            ]
            assert {pk: [tuple(flag) for flag in got] for pk, got in flags.items()} == {
                b.intake.pk: list(
                    b.intake.flags.order_by("pk").values_list("severity", "treatment", "reason")
                )
                for b in expected
                if b.intake.flags.exists()
            }
            if user == boss:
                assert any(len(got) > 1 for got in flags.values()), "a row with several flags"
            capped = queue_sql.queue_page(user=user, now=now, since=since, offset=0, size=1, cap=1)
            assert capped.count == min(len(expected), 2)


def test_the_lists_beside_the_queue_and_their_names_are_the_rules(clinic, roles):
    """The intakes missing and the names of every list, read in the page's one statement
    (staff/queue_sql.py), against the ORM: each user's own upcoming consultations
    whose type asks for answers not sent, soonest first, at most the limit; and the names the
    rows show, the page's included."""
    staff, mine, _ = clinic
    for days, who in ((3, 0), (5, 1), (6, 0)):
        booking_create(
            patient=PatientFactory(),
            consultation_type=mine.consultation_type,
            location=mine.location,
            starts_at=next_slot(days=days, hour=12),
            practitioner=staff[who],
            notify=False,
        )
    boss = UserFactory(username="boss")
    boss.groups.add(roles[role_names.CLINIC_ADMIN])
    now, since = timezone.now(), timedelta(days=selectors.RECENT_DAYS)
    for user in (boss, staff[0].user, staff[1].user):
        expected = list(
            selectors.visible_bookings(user)
            .filter(
                status=Booking.Status.CONFIRMED,
                intake__isnull=True,
                starts_at__gte=now,
                consultation_type__intake_required=True,
            )
            .select_related("practitioner__user", "consultation_type", "location")
            .order_by("starts_at", "pk")
        )
        # With one row missing, the other practitioner's name comes for the page's rows alone.
        for limit in (1, 25):
            page = queue_sql.queue_page(
                user=user, now=now, since=since, offset=0, size=25, cap=1000, limit=limit
            )
            assert [row.booking_id for row in page.missing] == [b.pk for b in expected[:limit]]
            shown = Booking.objects.filter(pk__in=[row.booking_id for row in page.rows])
            for b in [*expected[:limit], *shown]:
                names = page.names
                assert names.practitioners[b.practitioner_id] == b.practitioner.display_name
                assert names.types[b.consultation_type_id] == b.consultation_type.name
                assert names.locations[b.location_id] == (b.location.name, b.location.time_zone)
    assert len(page.missing) == 1


def test_review_page_shows_answers_escaped_and_records_the_read(client, clinic):
    staff, mine, theirs = clinic
    sign_in_with_second_factor(client, staff[0].user)
    page = client.get(reverse("staff:review", args=[mine.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert "∑ long unicode text" in html
    read = ClinicalRead.objects.get(what="intake")
    assert (read.user, read.patient_id) == (staff[0].user, mine.patient_id)
    assert client.get(reverse("staff:review", args=[theirs.pk])).status_code == 404


def test_photos_open_for_the_consultation_practitioner_only_and_are_recorded(client, clinic):
    staff, mine, theirs = clinic
    sign_in_with_second_factor(client, staff[0].user)
    photo = mine.intake.photos.get()
    response = client.get(reverse("staff:photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert ClinicalRead.objects.filter(what="photo", object_id=str(photo.pk)).count() == 1
    other = theirs.intake.photos.get()
    assert client.get(reverse("staff:photo", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("name", ["staff:review_queue", "staff:review", "staff:photo"])
def test_reception_reads_no_clinical_data(client, clinic, roles, name):
    _, mine, _ = clinic
    rosa = UserFactory(username="rosa")
    rosa.groups.add(roles[role_names.RECEPTION])
    sign_in_with_second_factor(client, rosa)
    args = (
        []
        if name == "staff:review_queue"
        else [mine.pk if name == "staff:review" else mine.intake.photos.get().pk]
    )
    assert client.get(reverse(name, args=args)).status_code == 403
    assert not ClinicalRead.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, clinic):
    response = client.get(reverse("staff:review_queue"))
    assert response.status_code == 302 and response.url.startswith(reverse("staff:sign_in"))


def test_review_sets_each_photo_beside_the_last_visits_and_shows_earlier_assessments(
    client, clinic
):
    staff, mine, _ = clinic
    later = same_patient(
        booking_with_intake(mine.location, mine.consultation_type, staff[0], 10), mine
    )
    assessed(mine, staff[0].user)
    sign_in_with_second_factor(client, staff[0].user)

    page = client.get(reverse("staff:review", args=[later.pk]))

    (label, now, before), *others = page.context["photo_rows"]
    assert label.startswith("Crown") and not others
    assert now == list(later.intake.photos.all()) and before == list(mine.intake.photos.all())
    html = page.content.decode()
    assert "PRP, Stem cell therapy (adipose-derived)" in html
    assert reverse("staff:review", args=[mine.pk]) in html
    read = ClinicalRead.objects.get(what="assessment")
    assert read.object_id == str(mine.assessment.pk) and read.patient_id == mine.patient_id


def test_review_shows_the_earlier_assessment_and_photo_of_a_colleagues_visit(client, clinic):
    """A care team: the patient's earlier visit with another practitioner is read in full."""
    staff, mine, _ = clinic
    theirs_earlier = booking_with_intake(mine.location, mine.consultation_type, staff[1], 1)
    same_patient(theirs_earlier, mine)
    assessed(theirs_earlier, staff[1].user, ["exosomes"])
    sign_in_with_second_factor(client, staff[0].user)

    page = client.get(reverse("staff:review", args=[mine.pk]))

    [(_, now, before)] = page.context["photo_rows"]
    assert now and before == list(theirs_earlier.intake.photos.all())
    assert "Exosomes" in page.content.decode()
    assert [visit for visit, _ in page.context["previous"]] == [theirs_earlier]
    assert ClinicalRead.objects.filter(what="assessment", user=staff[0].user).exists()


def test_review_costs_the_same_queries_with_more_earlier_visits(client, clinic):
    staff, _, _ = clinic
    last = booking_with_intake(*_place(clinic), staff[0], 20)
    sign_in_with_second_factor(client, staff[0].user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("staff:review", args=[last.pk])).status_code == 200
        return len(queries)

    first = same_patient(booking_with_intake(*_place(clinic), staff[0], 12), last)
    assessed(first, staff[0].user)
    before = count()
    for days in (13, 14, 15):
        visit = same_patient(booking_with_intake(*_place(clinic), staff[0], days), last)
        assessed(visit, staff[0].user)
    assert count() == before


def _place(clinic):
    _, mine, _ = clinic
    return mine.location, mine.consultation_type


def test_a_photo_whose_file_is_lost_is_a_friendly_page_for_staff(client, clinic):
    staff, mine, _ = clinic
    sign_in_with_second_factor(client, staff[0].user)
    photo = mine.intake.photos.get()
    photo.image.storage.delete(photo.image.name)
    response = client.get(reverse("staff:photo", args=[photo.pk]))
    assert response.status_code == 404
    assert "This photo&#x27;s file is missing" in response.content.decode()
    # The review page around it still opens.
    assert client.get(reverse("staff:review", args=[mine.pk])).status_code == 200


def test_a_queue_longer_than_the_cap_is_counted_no_further(client, clinic, roles, monkeypatch):
    from staff.views import reviews

    monkeypatch.setattr(reviews, "QUEUE_PAGE_SIZE", 1)
    monkeypatch.setattr(reviews.CappedPaginator, "cap", 2)
    staff, mine, _ = clinic
    booking_with_intake(mine.location, mine.consultation_type, staff[1], 9)
    boss = UserFactory(username="boss")
    boss.groups.add(roles[role_names.CLINIC_ADMIN])
    sign_in_with_second_factor(client, boss)
    page = client.get(reverse("staff:review_queue")).content.decode()
    assert "Page 1 (more than 2 intakes)" in page and "of 3" not in page
    monkeypatch.setattr(reviews.CappedPaginator, "cap", 3)
    page = client.get(reverse("staff:review_queue")).content.decode()
    assert "Page 1 of 3 (3 intakes)" in page


def test_the_last_page_under_the_cap_holds_only_the_counted_rows(
    client, clinic, roles, monkeypatch
):
    """Four waiting, counted to three: two pages of two, the second with the third row alone,
    as Django's paginator cut them from the counted list; and so for any page past it."""
    from staff.views import reviews

    monkeypatch.setattr(reviews, "QUEUE_PAGE_SIZE", 2)
    monkeypatch.setattr(reviews.CappedPaginator, "cap", 2)
    staff, mine, theirs = clinic
    more = [
        booking_with_intake(mine.location, mine.consultation_type, staff[1], d) for d in (9, 10)
    ]
    third = sorted([mine, theirs, *more], key=lambda b: b.starts_at)[2]
    boss = UserFactory(username="boss")
    boss.groups.add(roles[role_names.CLINIC_ADMIN])
    sign_in_with_second_factor(client, boss)
    for number in ("2", "3", "9" * 30):
        page = client.get(reverse("staff:review_queue"), {"page": number})
        assert [row.pk for row in page.context["rows"]] == [third.pk]
        assert "Page 2 (more than 2 intakes)" in page.content.decode()
