"""Fuzzing the patient's rating before a review, through the review's private link.

Properties, for every generated case: no server error; a refused answer leaves the rating as it
was; an accepted one keeps exactly what was chosen, within its scales, and only while the
question is open and only for the link's review.
"""

from datetime import timedelta
from urllib.parse import quote

from django.utils import timezone
from hypothesis import event, given
from hypothesis import strategies as st

from bookings.models import Booking
from patients.models import SelfRating
from tests.factories import completed_consultation, plan_session, proposed_plan, treatment_clinic
from tests.fuzz.hostile import TOKENS, FuzzTestCase, known_or_wild, mutated, one_of_these
from treatments.forms import RatingForm

STATES = ("open", "open", "open", "too_early", "cancelled", "over")


class RatingFuzz(FuzzTestCase):
    @classmethod
    def setUpTestData(cls):
        location, (practitioner, _), consultation_type = treatment_clinic()
        consultation = completed_consultation(location, practitioner, consultation_type)
        cls.review = plan_session(proposed_plan(consultation), order=4, hours_ago=-48)

    def put_in_state(self, state):
        now = timezone.now()
        starts = {
            "open": now + timedelta(days=2),
            "too_early": now + timedelta(days=20),
            "cancelled": now + timedelta(days=2),
            "over": now - timedelta(hours=2),
        }[state]
        Booking.objects.filter(pk=self.review.pk).update(
            starts_at=starts,
            ends_at=starts + timedelta(minutes=20),
            blocked_from=starts,
            blocked_until=starts + timedelta(minutes=30),
            status=Booking.Status.CANCELLED if state == "cancelled" else Booking.Status.CONFIRMED,
        )

    @given(st.data())
    def test_the_rating_keeps_a_valid_answer_to_an_open_review_or_changes_nothing(self, data):
        state = data.draw(one_of_these(STATES), label="state")
        self.put_in_state(state)
        token = known_or_wild(data, [self.review.token] * 3, TOKENS, "token")
        form = data.draw(
            mutated({"hair_now": "6", "satisfaction": "4"}, tamper=["hair_now", "satisfaction"]),
            label="form",
        )
        if data.draw(st.booleans(), label="answered before"):
            SelfRating.objects.create(
                booking=self.review, hair_now=2, satisfaction=1, submitted_at=timezone.now()
            )
        before = list(SelfRating.objects.values_list("hair_now", "satisfaction"))

        response = self.send("post", f"/my-booking/{quote(token, safe='')}/rating/", form)

        status = response.status_code
        assert status in (302, 400, 404, 410), status
        after = list(SelfRating.objects.values_list("hair_now", "satisfaction"))
        assert len(after) <= 1
        chosen = RatingForm(response.wsgi_request.POST)
        acceptable = token == self.review.token and state == "open" and chosen.is_valid()
        if acceptable:
            event("rated")
            values = (chosen.cleaned_data["hair_now"], chosen.cleaned_data["satisfaction"])
            assert status == 302 and after == [values], (status, after, values)
            assert 0 <= values[0] <= 10 and 1 <= values[1] <= 5
        else:
            assert after == before and status != 302, (status, after)
