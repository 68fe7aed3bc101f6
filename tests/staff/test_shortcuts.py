"""The keyboard shortcuts listed in the staff footer are those of pages the person can open."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def shortcuts(client) -> str:
    page = client.get(reverse("staff:home")).content.decode()
    return page[page.index("Keyboard shortcuts") :]


def test_reception_is_not_offered_the_reviews_it_cannot_open(reception):
    listed = shortcuts(reception)
    assert "<kbd>T</kbd> Today" in listed and "<kbd>B</kbd> Book for a patient" in listed
    assert "<kbd>R</kbd>" not in listed
    assert reception.get(reverse("staff:review_queue")).status_code == 403


def test_a_clinic_admin_is_offered_the_reviews(clinic_admin):
    assert "<kbd>R</kbd> Reviews" in shortcuts(clinic_admin)
