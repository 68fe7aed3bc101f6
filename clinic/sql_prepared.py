"""The written-out statements of the busiest pages and of a booking's confirm, prepared once
per database connection.

PostgreSQL plans every statement it is sent. For the reads behind the staff day, the review
queue and "first available", planning took as long as running them (the review queue's page
0.72 ms to plan and 0.64 ms to run; "first available"'s day 0.34 ms and 0.19 ms). Sent here, a
statement is prepared the first time a connection runs it (``PREPARE``, in the same round trip
as its first ``EXECUTE``), and executed by name after that: PostgreSQL plans its first five
runs for their values, then keeps one plan for any values when that plan is estimated no
worse (``plan_cache_mode = auto``), or goes on planning each run when it is not. A booking's
confirm sends its locks, lookups and writes the same way (``execute_all``, through which
clinic/sql_batch.py sends its blocks): parsed and planned once per connection, not once per
booking.

What a kept plan cannot know is a parameter's value, so a statement sent here must not need one
to find its index: a value that a partial index's condition names (the cancelled status of
``booking_blocked_range_idx``, for one) is written into the statement's text, not passed. And
PREPARE gives each parameter its type before any value is seen: the statement must tell it (a
column the value is compared with or written to, or a CAST).

A prepared statement lives as long as its connection, whatever becomes of the transaction that
prepared it, and is re-planned by PostgreSQL when a table it reads changes. Each connection
keeps its own list: a worker's connection is its own, and a new connection starts without
any. (A pooler that hands one server connection to many clients in turn, as PgBouncer's
transaction mode does, would lose them; the app connects directly.) Elsewhere (SQLite) the
statement is simply executed.
"""

import functools
import re

from django.db import connection

# The statements prepared on the current connection: kept on Django's connection object with
# the driver's connection they were prepared on, so that a new one starts afresh.
_PREPARED = "clinic_prepared_statements"


class _Prepared:
    def __init__(self, raw):
        self.raw = raw
        self.names: dict[str, str] = {}
        self.made = 0


def execute(cursor, sql: str, params) -> None:
    """Run ``sql`` (with ``%s`` placeholders) with ``params`` on ``cursor``; on PostgreSQL as a
    statement prepared once on this connection."""
    execute_all(cursor, [(sql, params)])


def execute_all(cursor, statements) -> None:
    """Run ``statements`` (each its SQL and parameters) on ``cursor``, in order; on PostgreSQL
    in one round trip, each statement with parameters prepared once on this connection, and
    each without (a SAVEPOINT, say) sent as written. The rows to fetch are the last one's.
    Elsewhere (SQLite, whose driver runs one statement a call) one after the other.

    Only a SELECT, INSERT, UPDATE, DELETE or VALUES can be prepared: any other statement sent
    here (SET, LOCK, …) must have its values in its text."""
    statements = [(sql, list(params)) for sql, params in statements]
    counted = []
    for sql, params in statements:
        text, count = _numbered(sql)
        if count != len(params):
            raise ValueError("A statement's placeholders and parameters do not match.")
        counted.append((sql, text, count, params))
    if connection.vendor != "postgresql":
        for sql, params in statements:
            cursor.execute(sql, params)
        return
    kept = _kept()
    texts, values, fresh = [], [], {}
    for sql, text, count, params in counted:
        if not count:
            texts.append(sql)
            continue
        name = kept.names.get(sql) or fresh.get(sql)
        if name is None:
            # A new name on every attempt: one that failed may or may not have prepared it.
            kept.made += 1
            name = f"clinic_{kept.made}"
            texts.append(f"PREPARE {name} AS {text}")
            fresh[sql] = name
        texts.append(_execute_text(name, count))
        values += params
    # A new line between them, so that no statement's end can swallow the next.
    cursor.execute(";\n".join(texts), values)
    kept.names.update(fresh)


def _kept() -> _Prepared:
    """This connection's prepared statements (a new connection starts without any)."""
    raw = connection.connection
    kept = getattr(connection, _PREPARED, None)
    if kept is None or kept.raw is not raw:
        kept = _Prepared(raw)
        setattr(connection, _PREPARED, kept)
    return kept


@functools.cache
def _numbered(sql: str) -> tuple[str, int]:
    """The statement with its ``%s`` placeholders numbered ($1, $2, …) as PREPARE wants them,
    and how many there are. (``%%``, a literal percent sign, stays as the driver reads it.)"""
    count = 0

    def number(match):
        nonlocal count
        if match.group() == "%%":
            return "%%"
        count += 1
        return f"${count}"

    return re.sub(r"%%|%s", number, sql), count


@functools.cache
def _execute_text(name: str, count: int) -> str:
    return f"EXECUTE {name}({', '.join(['%s'] * count)})"


def literal(value: str) -> str:
    """A constant of the code (a status, never what someone typed) as an SQL string literal,
    to write into a statement's text: letters, digits and underscores only, which need no
    escaping from the database or the driver."""
    value = str(value)
    if not re.fullmatch(r"\w+", value, flags=re.ASCII):
        raise ValueError(f"Not a plain constant for a statement's text: {value!r}")
    return f"'{value}'"
