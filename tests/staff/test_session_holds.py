"""A health check with a "yes" holds its procedure session: "needs review" on the day list and
in the practitioner's review queue until they clear it with a note or move the session; "no
answer" on the day list when the patient was asked and said nothing. Arrival is recorded with a
warning; completing and recording the session wait for the review. Query counts fixed."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bookings.drafts import format_start
from bookings.models import Booking
from clinic.models import ClinicalRead
from clinic.roles import CLINIC_ADMIN, PRACTITIONER
from staff import queue_sql
from staff.selectors import RECENT_DAYS, visible_bookings
from tests.factories import (
    UserFactory,
    completed_consultation,
    plan_session,
    proposed_plan,
    sign_in_with_second_factor,
)
from treatments import selectors as plan_selectors
from treatments.models import RESCREEN_QUESTIONS, Rescreen
from treatments.rescreens import rescreen_submit
from treatments.services import PlanError, session_record_save
from treatments.tasks import send_rescreen_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("winter_noon")]
ALL_NO = {key: "no" for key, _ in RESCREEN_QUESTIONS}
HOSTILE = "<script>alert(1)</script>"
HELD_BADGE = "Needs review: health check"
NO_ANSWER = "No health check answer"


@pytest.fixture
def practitioner(roles, treatments_setup):
    """A browser of its own, signed in as the practitioner of the plans' sessions."""
    user = treatments_setup["practitioners"][0].user
    user.groups.add(roles[PRACTITIONER])
    return sign_in_with_second_factor(Client(), user)


def session_today(setup, hour, answers=None, details=""):
    """A new patient's PRP session 1 today at ``hour``:00 (London, in winter), with a health
    check answered ``answers`` (None: not answered)."""
    consultation = completed_consultation(
        setup["location"], setup["practitioners"][0], setup["type"], days_ago=2 + hour
    )
    plan = proposed_plan(consultation)
    start = timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0)
    booking = plan_session(plan, order=1)
    moved(booking, start - booking.starts_at)  # on the hour exactly
    if answers is not None:
        step = plan.steps.select_related("booking").get(order=1)
        rescreen_submit(
            step=step, answers=answers, details=details, now=start - timedelta(hours=20)
        )
    return booking


def moved(booking, by):
    """Move ``booking`` by ``by`` in the table, rules bypassed."""
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=F("starts_at") + by,
        ends_at=F("ends_at") + by,
        blocked_from=F("blocked_from") + by,
        blocked_until=F("blocked_until") + by,
    )
    booking.refresh_from_db()


def held_session(setup, hour=14, details=HOSTILE):
    return session_today(setup, hour, {**ALL_NO, "blood_thinners": "yes"}, details)


def test_the_day_list_holds_a_flagged_session_and_names_an_unanswered_one(
    practitioner, reception, treatments_setup
):
    held = held_session(treatments_setup, 14)
    silent = session_today(treatments_setup, 15)
    fine = session_today(treatments_setup, 16, ALL_NO)
    page = practitioner.get(reverse("staff:home")).content.decode()
    review = reverse("staff:rescreen_clear", args=[held.pk])
    assert f'href="{review}?back=home">{HELD_BADGE}' in page
    assert page.count(HELD_BADGE) == 1 and page.count(NO_ANSWER) == 1
    row_of = {b.pk: page.index(b.patient.full_name) for b in (held, silent, fine)}
    assert row_of[held.pk] < page.index(HELD_BADGE) < row_of[silent.pk]
    assert row_of[silent.pk] < page.index(NO_ANSWER) < row_of[fine.pk]
    assert HOSTILE not in page  # the patient's words stay on the review page
    # A procedure session asks no hair-loss questions: none are said to be missing.
    assert "No answers yet" not in page and "No questions for a procedure" in page
    assert "1 session held by a health check" in page
    read = ClinicalRead.objects.get(what="health check")
    assert read.object_id == str(held.rescreen.pk) and read.patient_id == held.patient_id
    # Reception sees the hold too, without the link to the clinical review.
    desk = reception.get(reverse("staff:home")).content.decode()
    assert HELD_BADGE in desk and review not in desk and NO_ANSWER in desk


def test_a_session_days_away_is_not_called_unanswered_before_the_patient_is_asked(
    practitioner, treatments_setup
):
    later = session_today(treatments_setup, 14)
    moved(later, timedelta(days=5))
    day = later.starts_at.date().isoformat()
    page = practitioner.get(reverse("staff:home"), {"day": day}).content.decode()
    assert later.patient.full_name in page and NO_ANSWER not in page


def test_a_yes_given_for_the_sessions_old_time_no_longer_holds_it(practitioner, treatments_setup):
    """Answered for a time the session has since been moved from by more than the check's
    window, the "yes" neither holds the session nor counts as an answer; the patient is asked
    again nearer the new day."""
    moved_on = held_session(treatments_setup, 14)
    moved(moved_on, timedelta(days=4))
    day = moved_on.starts_at.date().isoformat()
    page = practitioner.get(reverse("staff:home"), {"day": day}).content.decode()
    assert moved_on.patient.full_name in page
    assert HELD_BADGE not in page and NO_ANSWER not in page


def test_the_review_queue_lists_held_sessions_and_clearing_with_a_note_releases_them(
    practitioner, treatments_setup
):
    held = held_session(treatments_setup, 14)
    session_today(treatments_setup, 15, ALL_NO)
    queue = practitioner.get(reverse("staff:review_queue")).content.decode()
    assert "Sessions held by a health check" in queue and held.patient.full_name in queue
    assert "Yes: Are you taking aspirin" in queue
    assert HOSTILE not in queue and "&lt;script&gt;alert(1)&lt;/script&gt;" in queue
    review = reverse("staff:rescreen_clear", args=[held.pk])
    assert f"{review}?back=queue" in queue
    opened = practitioner.get(f"{review}?back=queue").content.decode()
    assert (
        f'<a href="{reverse("staff:review_queue")}">&laquo; Back to the review queue</a>' in opened
    )
    # A note that is empty is refused in the page; the typing of a long one is kept.
    long_note = "x" * 2001
    refused = practitioner.post(review, {"note": long_note, "back": "queue"})
    assert refused.status_code == 400 and long_note in refused.content.decode()
    done = practitioner.post(
        review, {"note": "Called: aspirin stopped 7 days ago.", "back": "queue"}
    )
    assert done.status_code == 302 and done.url == reverse("staff:review_queue")
    check = Rescreen.objects.get(booking=held)
    assert check.cleared_note == "Called: aspirin stopped 7 days ago."
    assert check.history.first().history_user == held.practitioner.user
    assert "Sessions held" not in practitioner.get(reverse("staff:review_queue")).content.decode()
    assert HELD_BADGE not in practitioner.get(reverse("staff:home")).content.decode()


def test_another_practitioner_can_neither_see_nor_clear_the_hold(client, roles, treatments_setup):
    held = held_session(treatments_setup, 14)
    other = treatments_setup["practitioners"][1].user
    other.groups.add(roles[PRACTITIONER])
    sign_in_with_second_factor(client, other)
    assert held.patient.full_name not in client.get(reverse("staff:review_queue")).content.decode()
    review = reverse("staff:rescreen_clear", args=[held.pk])
    assert client.get(review).status_code == 404
    assert client.post(review, {"note": "Fine"}).status_code == 404
    assert Rescreen.objects.get(booking=held).needs_review


def test_arrival_is_recorded_with_a_warning_but_the_session_waits_for_the_review(
    reception, practitioner, treatments_setup
):
    held = held_session(treatments_setup, 11)  # an hour ago: under way
    response = reception.post(reverse("staff:booking_action", args=[held.pk, "check-in"]))
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("needs the practitioner's review first" in m for m in said), said
    held.refresh_from_db()
    assert held.checked_in_at is not None
    refused = reception.post(
        reverse("staff:booking_action", args=[held.pk, "complete"]), follow=True
    )
    said = [str(m) for m in refused.context["messages"]]
    assert any("needs the practitioner's review first" in m for m in said), said
    held.refresh_from_db()
    assert held.status == Booking.Status.CONFIRMED
    values = {"product": "Kit", "lot": "L1", "volume_or_dose": "4 ml", "sites": "Crown"}
    with pytest.raises(PlanError, match="review first"):
        session_record_save(booking=held, author=held.practitioner.user, values=values)
    practitioner.post(reverse("staff:rescreen_clear", args=[held.pk]), {"note": "Seen: fine."})
    assert session_record_save(booking=held, author=held.practitioner.user, values=values)
    reception.post(reverse("staff:booking_action", args=[held.pk, "complete"]))
    held.refresh_from_db()
    assert held.status == Booking.Status.COMPLETED


def test_moving_a_held_session_to_a_later_day_releases_it_and_asks_again(
    practitioner, treatments_setup
):
    held = held_session(treatments_setup, 14)
    moved(held, timedelta(days=7))
    later = held.starts_at
    check = Rescreen.objects.select_related("booking").get(booking=held)
    assert not check.is_current and not check.needs_review
    assert send_rescreen_request.call(held.pk, later.isoformat()) == "sent"
    queue = practitioner.get(reverse("staff:review_queue")).content.decode()
    assert "Sessions held by a health check" not in queue
    # The patient's new answer, in the new window, holds the session again.
    step = held.plan_step
    step.booking.refresh_from_db()
    rescreen_submit(
        step=step,
        answers={**ALL_NO, "illness": "yes"},
        details="",
        now=later - timedelta(days=1),
    )
    assert Rescreen.objects.select_related("booking").get(booking=held).needs_review


@pytest.mark.parametrize(
    ("who", "queries"),
    [
        # The landing's own queries (see tests/staff/test_landing.py) and one for the day's
        # health checks; a practitioner's adds their held count, and one audit row per page
        # once a hold is shown.
        ("reception", 6),
        ("clinic_admin", 7),
        ("practitioner", 10),
    ],
)
def test_the_day_list_costs_the_same_queries_with_or_without_holds(
    request, who, queries, treatments_setup, django_assert_num_queries
):
    client = request.getfixturevalue(who)
    session_today(treatments_setup, 13, ALL_NO)
    session_today(treatments_setup, 14)
    client.get(reverse("staff:home"))
    with django_assert_num_queries(queries):
        assert client.get(reverse("staff:home")).status_code == 200
    held_session(treatments_setup, 15)
    held_session(treatments_setup, 16)
    session_today(treatments_setup, 17)
    # The new patients' consultations, weeks ago, changed ended weeks of the chart: counted
    # and kept again on this view (tests/bookings/test_week_counts.py), not on the next.
    client.get(reverse("staff:home"))
    with django_assert_num_queries(queries + 1):  # the audit row of the holds shown
        page = client.get(reverse("staff:home"))
    assert page.content.decode().count(HELD_BADGE) == 2


def test_the_review_queue_costs_the_same_queries_with_or_without_holds(
    practitioner, treatments_setup, django_assert_num_queries
):
    practitioner.get(reverse("staff:review_queue"))
    # The staff pages' own two (session; user, access and device), then the queue's page with
    # its count and flags, the held sessions, the intakes missing and the names of all the
    # lists: one (staff/queue_sql.py).
    with django_assert_num_queries(3):
        assert practitioner.get(reverse("staff:review_queue")).status_code == 200
    held_session(treatments_setup, 14)
    # And the audit row of what it shows.
    with django_assert_num_queries(4):
        practitioner.get(reverse("staff:review_queue"))
    held_session(treatments_setup, 15)
    held_session(treatments_setup, 16)
    with django_assert_num_queries(4):
        page = practitioner.get(reverse("staff:review_queue")).content.decode()
    assert page.count("Yes: Are you taking aspirin") == 3


def test_the_queue_reads_the_holds_the_selector_finds(roles, treatments_setup):
    """The queue's written-out query (staff/queue_sql.py) against the ORM's ``held_sessions``,
    which the landing counts: the same holds, soonest first, for each practitioner and a clinic
    admin; not a check all "no", a cleared one, one answered before its session moved on, or
    one of last month."""
    setup = treatments_setup
    first, second = (p.user for p in setup["practitioners"][:2])
    for user in (first, second):
        user.groups.add(roles[PRACTITIONER])
    boss = UserFactory(username="boss")
    boss.groups.add(roles[CLINIC_ADMIN])
    held_session(setup, 14)
    theirs = held_session(setup, 16, details="")
    Booking.objects.filter(pk=theirs.pk).update(practitioner=setup["practitioners"][1])
    session_today(setup, 15, {**ALL_NO, "illness": "yes", "pregnancy": "yes"})
    session_today(setup, 13, ALL_NO)
    moved(held_session(setup, 17), timedelta(days=7))
    moved(held_session(setup, 18), timedelta(days=-30))
    cleared = held_session(setup, 12)
    Rescreen.objects.filter(booking=cleared).update(cleared_at=timezone.now(), cleared_note="Ok")
    now, since = timezone.now(), timedelta(days=RECENT_DAYS)
    for user in (first, second, boss):
        expected = list(plan_selectors.held_sessions(visible_bookings(user), now, since))
        got = queue_sql.queue_page(
            user=user, now=now, since=since, offset=0, size=25, cap=1000
        ).held
        assert [(c.rescreen_id, c.booking.booking_id) for c in got] == [
            (c.pk, c.booking_id) for c in expected
        ]
        assert [
            (Rescreen(answers=c.answers).flags, c.details, c.plan_step_name, c.booking.starts_at)
            for c in got
        ] == [(c.flags, c.details, c.booking.plan_step.name, c.booking.starts_at) for c in expected]
    assert len(got) == 3


def test_staff_moving_a_held_session_asks_the_patient_again_before_the_new_day(
    reception, treatments_setup, django_capture_on_commit_callbacks
):
    held = held_session(treatments_setup, 14)
    new_start = held.starts_at + timedelta(days=7, hours=-4)  # 10:00, a week later
    with django_capture_on_commit_callbacks(execute=True):
        response = reception.post(
            reverse("staff:reschedule", args=[held.pk]),
            {"start": format_start(new_start), "practitioner": held.practitioner_id},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    check = Rescreen.objects.select_related("booking").get(booking=held)
    assert check.booking.starts_at == new_start and not check.needs_review
    (asked,) = DBTaskResult.objects.filter(task_path__endswith="send_rescreen_request")
    assert asked.run_after == new_start - timedelta(days=2)
