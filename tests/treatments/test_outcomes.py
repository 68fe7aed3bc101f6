"""The clinic's outcomes: each course's anonymous record, kept up to date as measures and
ratings are saved, surviving the patient's erasure with nothing that identifies them; the
clinic admin's page, which shows no figure about fewer than five patients."""

import io
import json
import zipfile
from datetime import date

import pytest
from django.urls import reverse

from bookings.privacy import patient_erase, patient_export
from clinic import roles as role_names
from patients.models import SelfRating
from tests.factories import (
    UserFactory,
    VisitMeasuresFactory,
    course_started,
    past_visit,
    self_rating,
    sign_in_with_second_factor,
)
from treatments.models import OutcomeRecord, Protocol
from treatments.outcomes import VisitFigures, course_outcome

pytestmark = pytest.mark.django_db
START = date(2026, 1, 10)
WINDOW = (date(2026, 4, 10), date(2026, 7, 10))


def visit(day, rating=None, **densities):
    return VisitFigures(day, densities, rating)


@pytest.mark.parametrize(
    ("visits", "expected"),
    [
        # Nothing measured or rated inside the window: the course has not reached it.
        ([visit(START, crown=90), visit(date(2026, 3, 1), crown=120)], None),
        # Density up in the zones measured both times; no rating twice.
        ([visit(START, crown=90, frontal=100), visit(date(2026, 5, 1), crown=110)], (True, None)),
        # Density down; a rating before the window and a better one inside it.
        (
            [
                visit(START, crown=100),
                visit(date(2026, 3, 1), 4),
                visit(date(2026, 6, 1), 6, crown=95),
            ],
            (False, True),
        ),
        # Only one visit with figures: nothing to compare.
        ([visit(date(2026, 5, 1), 6, crown=110)], (None, None)),
        # No zone measured at both visits: unknown, never a guess.
        ([visit(START, crown=90), visit(date(2026, 5, 1), frontal=130)], (None, None)),
        # A visit before the course's consultation is not its starting point.
        (
            [
                visit(date(2025, 6, 1), crown=200),
                visit(START, crown=90),
                visit(date(2026, 5, 1), crown=100),
            ],
            (True, None),
        ),
        # The latest figure in the window counts; a rating no better is no improvement.
        (
            [visit(date(2026, 4, 20), 5, crown=100), visit(date(2026, 7, 1), 5, crown=130)],
            (True, False),
        ),
    ],
)
def test_course_outcome_compares_the_first_figure_with_the_latest_in_the_window(visits, expected):
    assert course_outcome(since=START, window=WINDOW, visits=visits) == expected


@pytest.fixture
def course(treatments_setup):
    """A PRP course that started 200 days ago (results judged from 3 to 6 months)."""
    plan = course_started(treatments_setup["consultation"], 200)
    setup = (plan.practitioner, plan.location, treatments_setup["type"])
    return plan, setup


def test_the_outcome_follows_the_measures_and_ratings_as_they_are_saved(course):
    plan, setup = course
    VisitMeasuresFactory(booking=plan.consultation, crown_density=96, frontal_density=None)
    assert not OutcomeRecord.objects.exists()  # not in the window yet
    review = past_visit(plan.patient, *setup, 100, crown_density=104, frontal_density=None)
    (record,) = OutcomeRecord.objects.all()
    assert (record.treatment, record.density_improved, record.rating_improved) == (
        "prp",
        True,
        None,
    )
    self_rating(review, 4)
    later = past_visit(plan.patient, *setup, 30, crown_density=90, frontal_density=None)
    self_rating(later, 7)
    record.refresh_from_db()
    assert (record.density_improved, record.rating_improved) == (False, True)
    assert OutcomeRecord.objects.count() == 1  # one per course, corrected in place


def test_an_erasure_leaves_the_anonymous_outcome_and_nothing_that_identifies_the_patient(course):
    plan, setup = course
    VisitMeasuresFactory(booking=plan.consultation, crown_density=96)
    review = past_visit(plan.patient, *setup, 100, crown_density=110)
    self_rating(review, 6)
    # The patient's own answers are in their export, then gone with the erasure.
    _, content = patient_export(patient=plan.patient)
    document = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("patient.json"))
    rated = [b["your_rating"] for b in document["bookings"] if "your_rating" in b]
    assert [r["hair_now_out_of_10"] for r in rated] == [6]
    patient_erase(patient=plan.patient)
    (record,) = OutcomeRecord.objects.all()
    assert record.plan_id is None and record.density_improved is True
    # Nothing on the row leads back: no plan, booking, patient, date or figure of a visit.
    columns = {f.attname for f in OutcomeRecord._meta.concrete_fields}
    assert columns == {
        "id",
        "plan_id",
        "protocol_id",
        "treatment",
        "density_improved",
        "rating_improved",
    }
    assert not SelfRating.objects.exists()  # the patient's own answers go with the erasure
    assert not plan.outcomes.exists()


def records(treatment, density, rating):
    protocol = Protocol.objects.filter(treatment=treatment).first()
    OutcomeRecord.objects.bulk_create(
        OutcomeRecord(protocol=protocol, treatment=treatment, density_improved=d, rating_improved=r)
        for d, r in zip(density, rating, strict=True)
    )


@pytest.fixture
def admin_client(client, roles):
    admin = UserFactory(username="chief")
    admin.groups.add(roles[role_names.CLINIC_ADMIN])
    return sign_in_with_second_factor(client, admin)


# The session, the user with their permissions and roles (1, clinic/access.py), the second
# factor, the outcome counts by treatment, the treatments with a protocol (the session's last-seen
# time is rewritten at most once a minute).
OUTCOMES_QUERIES = 4


@pytest.mark.parametrize("courses", [0, 5, 40])
def test_the_outcomes_page_runs_a_constant_number_of_queries(
    admin_client, treatments_setup, django_assert_num_queries, courses
):
    records("prp", [True] * courses, [None] * courses)
    with django_assert_num_queries(OUTCOMES_QUERIES):
        response = admin_client.get(reverse("staff:outcomes"))
    assert response.status_code == 200


def test_the_outcomes_page_shows_shares_with_counts_and_nothing_under_five(
    admin_client, treatments_setup
):
    records("prp", [True] * 5 + [False] * 2 + [None], [True] * 3 + [None] * 5)
    records("exosomes", [True] * 4, [True] * 4)
    html = admin_client.get(reverse("staff:outcomes")).content.decode()
    prp = html.split('id="outcome-prp"')[1].split("</section>")[0]
    assert "8</span> patients reached the window" in prp
    assert "71%</span> · 5 of 7 measured" in prp
    assert "Fewer than 5 rated twice" in prp  # three rated twice: no share shown
    exosomes = html.split('id="outcome-exosomes"')[1].split("</section>")[0]
    assert "Fewer than 5 patients have reached the window" in exosomes
    assert "4" not in exosomes.split("</h2>")[1]  # not even the count
