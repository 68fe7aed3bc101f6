"""The busiest pages' reads are prepared once per PostgreSQL connection (clinic/sql_prepared.py):
run by name after the first time, prepared again on a new connection, never stuck after a
failure, and with plans that, kept for any values, still know the statuses partial indexes name."""

import re
from datetime import timedelta

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.first_available import ranked_free_practitioners
from clinic import sql_prepared
from clinic.roles import CLINIC_ADMIN
from staff import queue_sql
from tests.factories import UserFactory, bookable_clinic, booking_with_intake, next_slot

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs each statement as it is"
)


def run(sql, params):
    with connection.cursor() as cursor:
        sql_prepared.execute(cursor, sql, params)
        return cursor.fetchall()


def sent(sql, params):
    """What went to the database for one run, and its rows."""
    with CaptureQueriesContext(connection) as queries:
        rows = run(sql, params)
    assert len(queries) == 1
    return queries[0]["sql"], rows


def prepared_here(fragment):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{fragment}%"],
        )
        return cursor.fetchone()[0]


@postgresql_only
def test_a_statement_is_prepared_once_then_run_by_name():
    sql = "SELECT %s + 40 AS answer_one"
    first, rows = sent(sql, [2])
    assert first.startswith("PREPARE ") and rows == [(42,)]
    again, rows = sent(sql, [3])
    assert again.startswith("EXECUTE ") and rows == [(43,)]
    assert prepared_here("answer_one") == 1


def run_all(statements):
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        sql_prepared.execute_all(cursor, statements)
        rows = cursor.fetchall()
    return [q["sql"] for q in queries.captured_queries], rows


@postgresql_only
def test_several_statements_go_in_one_round_trip_each_prepared_once():
    """A statement without parameters (a savepoint) is sent as written; the others are
    prepared the first time, run by name after; the rows are the last statement's."""
    statements = [
        ("SAVEPOINT answer_five", []),
        ("SELECT %s + 1 AS answer_five", [1]),
        ("SELECT CAST(%s AS integer) * %s AS answer_five", [6, 7]),
    ]
    sent_first, rows = run_all(statements)
    assert len(sent_first) == 1 and rows == [(42,)]
    assert sent_first[0].count("PREPARE ") == 2
    sent_again, rows = run_all(statements)
    assert len(sent_again) == 1 and rows == [(42,)]
    assert "PREPARE " not in sent_again[0] and sent_again[0].count("EXECUTE ") == 2
    assert sent_again[0].startswith("SAVEPOINT answer_five")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL prepares it")
def test_elsewhere_the_statement_is_run_as_written():
    text, rows = sent("SELECT %s + 40", [2])
    assert "PREPARE" not in text and rows == [(42,)]


@postgresql_only
def test_a_first_run_that_failed_does_not_stop_the_next():
    """Whether a failed first run prepared its statement or not, the next one works: it
    prepares the statement again under a name of its own."""
    sql = "SELECT 1 / %s AS answer_two"
    with pytest.raises(DataError), transaction.atomic():
        run(sql, [0])
    assert run(sql, [1]) == [(1,)]
    assert run(sql, [1]) == [(1,)]


@postgresql_only
def test_a_statement_outlives_the_transaction_that_prepared_it():
    sql = "SELECT %s * 2 AS answer_three"
    with pytest.raises(RuntimeError), transaction.atomic():
        run(sql, [4])
        raise RuntimeError("rolled back")
    text, rows = sent(sql, [5])
    assert text.startswith("EXECUTE ") and rows == [(10,)]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_it_afresh():
    sql = "SELECT %s - 1 AS answer_four"
    assert run(sql, [3]) == [(2,)]
    connection.close()
    text, rows = sent(sql, [5])
    assert text.startswith("PREPARE ") and rows == [(4,)]


def test_placeholders_are_numbered_and_a_percent_sign_kept():
    assert run("SELECT %s || '%%' || %s", ["100", "!"]) == [("100%!",)]
    with pytest.raises(ValueError, match="placeholders"):
        run("SELECT %s", [1, 2])


def test_a_code_constant_is_written_as_a_quoted_literal():
    assert sql_prepared.literal("no_show") == "'no_show'"
    assert run(f"SELECT {sql_prepared.literal('no_show')}", []) == [("no_show",)]
    for unsafe in ("it's", "100%", "a b", ""):
        with pytest.raises(ValueError, match="plain constant"):
            sql_prepared.literal(unsafe)


def generic_plan(executed):
    """The plan PostgreSQL keeps for any values of the statement run as ``executed``."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("EXPLAIN " + executed)
        return "\n".join(row[0] for row in cursor.fetchall())


def last_execute(queries):
    """The last EXECUTE sent (the first time, after the PREPARE in the same string)."""
    sql = next(q["sql"] for q in reversed(queries.captured_queries) if "EXECUTE " in q["sql"])
    return sql[sql.rindex("EXECUTE ") :]


# A booking's status tested against a parameter: a plan kept for any values cannot know that it
# is the status a partial index names (``booking_blocked_range_idx``: not cancelled;
# ``booking_awaiting_review_idx``: confirmed, …), so it could never use one of them. Which index
# the planner then takes depends on the tables' statistics; that it could take them, on this.
STATUS_PASSED = re.compile(r"\(status\)::text (?:<>|=) \$\d")


@postgresql_only
def test_first_availables_kept_plan_knows_the_status_its_indexes_name():
    location, _, consultation_type = bookable_clinic(practitioners=2)
    with CaptureQueriesContext(connection) as queries:
        ranked = ranked_free_practitioners(
            consultation_type=consultation_type,
            location=location,
            starts_at=next_slot(),
            now=timezone.now(),
        )
    assert len(ranked) == 2
    plan = generic_plan(last_execute(queries))
    assert "bookings_booking b" in plan and not STATUS_PASSED.search(plan)


@postgresql_only
def test_the_review_queues_kept_plan_knows_the_status_its_indexes_name(roles):
    location, staff, consultation_type = bookable_clinic()
    booking_with_intake(location, consultation_type, staff[0], 3)
    admin = UserFactory()
    admin.groups.add(roles[CLINIC_ADMIN])
    with CaptureQueriesContext(connection) as queries:
        page = queue_sql.queue_page(
            user=admin, now=timezone.now(), since=timedelta(days=7), offset=0, size=25, cap=100
        )
    assert page.count == 1
    plan = generic_plan(last_execute(queries))
    assert "bookings_booking b" in plan and not STATUS_PASSED.search(plan)
