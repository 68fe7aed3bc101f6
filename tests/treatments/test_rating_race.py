"""The rating invitation and the rating itself, raced by real threads with their own
connections: one e-mail per review whatever the number of workers, and one rating per review
whatever the number of tabs."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from patients.models import SelfRating
from tests.factories import all_at_once, plan_session, proposed_plan
from treatments.models import RatingInvitation
from treatments.ratings import rating_submit, send_rating_request

pytestmark = pytest.mark.race
WORKERS = 3


def test_workers_sending_one_invitation_at_once_send_one_e_mail(treatments_setup, transactional_db):
    plan = proposed_plan(treatments_setup["consultation"])
    review = plan_session(plan, order=4, hours_ago=-60)
    when = review.starts_at.isoformat()
    results = all_at_once(WORKERS, lambda index, _: send_rating_request.call(review.pk, when))
    assert sorted(results) == ["sent"] + ["skipped: already invited"] * (WORKERS - 1), results
    assert len(mail.outbox) == 1 and RatingInvitation.objects.count() == 1


def test_two_first_answers_at_once_keep_one_rating(treatments_setup, transactional_db):
    plan = proposed_plan(treatments_setup["consultation"])
    review = plan_session(plan, order=4, hours_ago=-60)
    now = timezone.now() + timedelta(hours=1)

    def answer(index, _):
        return rating_submit(booking=review, hair_now=3 + index, satisfaction=2, now=now)

    results = all_at_once(2, answer)
    assert all(isinstance(r, SelfRating) for r in results), results
    (kept,) = SelfRating.objects.filter(booking=review)
    assert kept.hair_now in (3, 4)
