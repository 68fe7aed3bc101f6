from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.drafts import _locked_draft
from bookings.models import BookingDraft
from patients.models import IntakePhoto
from patients.photos import clean_photo
from patients.services import photos_store
from tests.factories import bookable_clinic, details_url, jpeg_upload, next_slot, valid_form

pytestmark = pytest.mark.django_db


def test_purge_deletes_expired_drafts_and_their_photo_files(
    client, django_capture_on_commit_callbacks
):
    location, _, consultation_type = bookable_clinic()
    client.post(details_url(consultation_type, location, next_slot()), valid_form())
    client.post(details_url(consultation_type, location, next_slot(hour=11)), valid_form())
    old, fresh = BookingDraft.objects.order_by("pk")
    # A form from before the questions came after booking, with a photo it took then.
    photos_store(photos=[("top", *clean_photo(jpeg_upload()))], draft=old)
    photo = IntakePhoto.objects.get(draft=old)
    storage, name = photo.image.storage, photo.image.name
    assert storage.exists(name)
    BookingDraft.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True) as deletions:
        call_command("purge_booking_drafts", verbosity=0)
        # The rows go first; the file only once that has committed.
        assert not IntakePhoto.objects.exists()
        assert storage.exists(name)
    assert len(deletions) == 1
    assert list(BookingDraft.objects.all()) == [fresh]
    assert not storage.exists(name)


def _loaded(instance):
    """Every concrete field's value of ``instance``, as loaded."""
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


@pytest.mark.parametrize("chosen", [True, False], ids=["practitioner", "first-available"])
def test_the_confirms_written_out_read_of_a_draft_is_the_orms(client, chosen):
    location, (practitioner,), consultation_type = bookable_clinic()
    who = practitioner.pk if chosen else "any"
    client.post(details_url(consultation_type, location, next_slot(), who), valid_form())
    draft = BookingDraft.objects.get()
    assert (draft.practitioner_id is not None) is chosen and draft.form_data
    by_orm = BookingDraft.objects.select_related(
        "consultation_type", "location", "practitioner"
    ).get(pk=draft.pk)
    for where, value in (("token", draft.token), ("id", draft.pk)):
        read = _locked_draft(where, value)
        assert _loaded(read) == _loaded(by_orm)
        for name in ("consultation_type", "location", "practitioner"):
            related, expected = getattr(read, name), getattr(by_orm, name)
            assert (related and _loaded(related)) == (expected and _loaded(expected)), name
    with pytest.raises(BookingDraft.DoesNotExist):
        _locked_draft("token", "no-such-token")
