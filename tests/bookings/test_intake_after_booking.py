"""The hair-loss questions after the time is held: sent from the private link, saved unfinished
and found again, asked for by e-mail before the visit, and missing ones shown to staff."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from bookings.models import Booking
from bookings.privacy import patient_erase
from bookings.services import booking_create
from bookings.tasks import send_intake_reminder
from patients.models import HairLossIntake, IntakeInProgress, IntakePhoto
from tests.factories import PatientFactory, bookable_clinic, jpeg_upload, next_slot, valid_form

pytestmark = pytest.mark.django_db


def book(days=5, **type_fields):
    location, _, consultation_type = bookable_clinic()
    for name, value in type_fields.items():
        setattr(consultation_type, name, value)
    consultation_type.save()
    return booking_create(
        patient=PatientFactory(email="pat@example.com"),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=days),
        notify=False,
    )


def intake_url(booking):
    return reverse("bookings:intake", args=[booking.token])


def test_half_done_answers_are_saved_as_typed_and_found_again(client):
    booking = book()
    half = {
        "main_concern": "receding",
        "areas": ["hairline", "temples"],
        "goals": "Keep <b>what</b> I have.",
        "tried_finasteride": "over_1y",
        "screen_smoking": "not-a-choice",  # not valid yet: kept all the same
        "save_for_later": "1",
        "photo_top": jpeg_upload("top.jpg"),
    }
    response = client.post(intake_url(booking), half)
    assert response.status_code == 302 and response.url == reverse(
        "bookings:manage", args=[booking.token]
    )
    assert not HairLossIntake.objects.exists()
    saved = IntakeInProgress.objects.get(booking=booking)
    assert saved.answers["areas"] == ["hairline", "temples"]
    assert "save_for_later" not in saved.answers and "csrfmiddlewaretoken" not in saved.answers
    assert saved.photos.get().view == "top"
    assert (
        "Finish the questions"
        in client.get(reverse("bookings:manage", args=[booking.token])).content.decode()
    )

    page = client.get(intake_url(booking))
    html = page.content.decode()
    form = page.context["intake"]
    assert form["main_concern"].value() == "receding"
    assert form["areas"].value() == ["hairline", "temples"]
    assert form["tried_finasteride"].value() == "over_1y"
    assert "Keep &lt;b&gt;what&lt;/b&gt; I have." in html  # escaped, and kept
    photo = saved.photos.get()
    assert reverse("bookings:photo", args=[booking.token, photo.pk]) in html
    assert client.get(reverse("bookings:photo", args=[booking.token, photo.pk])).status_code == 200


def test_finishing_moves_the_saved_photos_into_the_intake(client, screening_rules):
    booking = book()
    client.post(
        intake_url(booking),
        {"save_for_later": "1", "goals": "x", "photo_top": jpeg_upload("top.jpg")},
    )
    response = client.post(
        intake_url(booking),
        {**valid_form(screen_bleeding_disorder="yes"), "photo_crown": jpeg_upload("crown.jpg")},
    )
    assert response.status_code == 302
    intake = HairLossIntake.objects.get(booking=booking)
    assert sorted(intake.photos.values_list("view", flat=True)) == ["crown", "top"]
    assert not IntakeInProgress.objects.exists()
    assert IntakePhoto.objects.filter(in_progress__isnull=False).count() == 0
    assert intake.flags.filter(treatment="prp", severity="contraindicated").exists()
    page = client.get(reverse("bookings:manage", args=[booking.token])).content.decode()
    assert "Update your answers" in page


def test_a_send_with_mistakes_is_kept_for_later_and_explained(client):
    booking = book()
    response = client.post(intake_url(booking), valid_form(main_concern=None, goals="Thicker"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing you typed has been lost" in html
    assert "Thicker" in html
    assert IntakeInProgress.objects.get().answers["goals"] == ["Thicker"]
    # Coming back later through the link finds it.
    again = client.get(intake_url(booking))
    assert again.context["intake"]["goals"].value() == "Thicker"


def test_photo_is_reencoded_without_metadata(client):
    booking = book()
    client.post(
        intake_url(booking), {**valid_form(), "photo_hairline": jpeg_upload(size=(3000, 2000))}
    )
    photo = IntakePhoto.objects.get()
    with photo.image.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 2400
        assert not image.getexif()


def test_a_file_that_is_not_an_image_is_refused_and_the_rest_kept(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    booking = book()
    fake = SimpleUploadedFile("scalp.jpg", b"just some text, not a photo", "image/jpeg")
    data = {**valid_form(), "photo_top": fake, "photo_crown": jpeg_upload()}
    response = client.post(intake_url(booking), data)
    assert response.status_code == 400
    assert "not a photo we can read" in response.content.decode()
    assert list(IntakePhoto.objects.values_list("view", flat=True)) == ["crown"]
    assert not HairLossIntake.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_booking_queues_intake_reminders_three_days_and_one_day_before():
    location, _, consultation_type = bookable_clinic()
    booking = booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=5),
    )
    queued = DBTaskResult.objects.filter(task_path__endswith="send_intake_reminder")
    assert sorted((t.run_after, t.args_kwargs["args"][2]) for t in queued) == [
        (booking.starts_at - timedelta(days=3), 3),
        (booking.starts_at - timedelta(days=1), 1),
    ]


@pytest.mark.django_db(transaction=True)
def test_no_intake_reminder_is_queued_when_the_type_does_not_ask_for_it_or_it_is_too_late():
    location, _, consultation_type = bookable_clinic()
    booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=2),
    )
    queued = DBTaskResult.objects.filter(task_path__endswith="send_intake_reminder")
    assert [t.args_kwargs["args"][2] for t in queued] == [1]  # three days before has passed
    consultation_type.intake_required = False
    consultation_type.save()
    booking_create(
        patient=PatientFactory(),
        consultation_type=consultation_type,
        location=location,
        starts_at=next_slot(days=6),
    )
    assert queued.count() == 1


def test_intake_reminder_asks_once_and_only_while_the_answers_are_missing(client):
    booking = book()
    assert send_intake_reminder.call(booking.pk, 0, 3) == "sent"
    assert send_intake_reminder.call(booking.pk, 0, 3) == "skipped: already sent"
    (message,) = mail.outbox
    assert message.to == ["pat@example.com"]
    assert intake_url(booking) in message.body
    assert "hair" not in message.subject.lower()  # discreet, as every e-mail
    client.post(intake_url(booking), valid_form())
    assert send_intake_reminder.call(booking.pk, 0, 1) == "skipped: intake done"
    assert len(mail.outbox) == 1


def test_no_intake_reminder_for_a_moved_or_cancelled_booking():
    booking = book()
    Booking.objects.filter(pk=booking.pk).update(sequence=1)
    assert send_intake_reminder.call(booking.pk, 0, 3) == "skipped: booking changed since"
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    assert send_intake_reminder.call(booking.pk, 1, 3) == "skipped: not confirmed"
    assert mail.outbox == []


def test_no_intake_reminder_when_the_type_does_not_ask_for_the_answers_before():
    optional = book(intake_required=False)
    assert send_intake_reminder.call(optional.pk, 0, 3) == "skipped: intake not required"
    assert mail.outbox == []


def test_the_questions_close_when_the_consultation_starts(client):
    booking = book()
    started = timezone.now() - timedelta(minutes=5)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=started,
        ends_at=started + timedelta(minutes=30),
        blocked_from=started,
        blocked_until=started + timedelta(minutes=30),
    )
    response = client.post(intake_url(booking), {"save_for_later": "1", "goals": "late"})
    assert response.status_code == 302
    assert not IntakeInProgress.objects.exists()


def test_the_export_holds_unfinished_answers_and_erasure_removes_them(client, clinic_admin):
    booking = book()
    client.post(
        intake_url(booking),
        {"save_for_later": "1", "goals": "MARKER-UNFINISHED", "photo_top": jpeg_upload()},
    )
    response = clinic_admin.post(reverse("staff:patient_export", args=[booking.patient_id]))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    document = json.loads(archive.read("patient.json"))
    (entry,) = document["bookings"]
    assert entry["unfinished_answers"]["answers"]["goals"] == ["MARKER-UNFINISHED"]
    (path,) = entry["unfinished_answers"]["photos"]
    assert path in archive.namelist()

    patient_erase(patient=booking.patient)
    assert not IntakeInProgress.objects.exists() and not IntakePhoto.objects.exists()


def test_answers_written_on_several_lines_read_back_on_several_lines(client, screening_rules):
    from tests.factories import bookable_clinic, booking_with_intake

    location, (practitioner,), consultation_type = bookable_clinic()
    booking = booking_with_intake(location, consultation_type, practitioner, 3)
    booking.intake.current_medicines = "Minoxidil 5% foam\nVitamin D <1000 IU>"
    booking.intake.save()
    page = client.get(reverse("bookings:manage", args=[booking.token])).content.decode()
    assert "Minoxidil 5% foam<br>Vitamin D &lt;1000 IU&gt;" in page
