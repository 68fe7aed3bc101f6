"""Small writes whose results nobody reads in the request, sent to the database together.

A booking confirm ends with four such writes: its queued e-mails and reminders, the
practitioner's schedule version, the patient's consents and the draft's link to its booking.
Sent one after the other they were four round trips, each paying the driver's and the
network's cost for a statement the database runs in a tenth of a millisecond. Inside
``together()``, the writers that go through ``execute`` keep their statement instead, and the
block's end sends them all at once: on PostgreSQL as one string of statements (the driver binds
the parameters on the client, so one ``execute`` may hold several, run in order in the caller's
transaction); SQLite's driver runs one statement a call, so there they go one by one.

What commits is what the writes one by one would have committed: they are sent in the order
written, inside the block's transaction and before its end. An error in one of them rises from
the block's end and rolls the transaction back. A write kept after a savepoint that is then
rolled back to is dropped with the rest of what the savepoint undid (``mark`` and
``drop_since``). Outside a block, ``execute`` runs the statement at once.
"""

import contextlib

from django.db import connection

# Where the block keeps its writes: on the connection, so that each thread's (and each
# database connection's) block is its own. None outside a block.
_KEPT = "clinic_kept_writes"


def _kept() -> list | None:
    return getattr(connection, _KEPT, None)


def execute(sql: str, params) -> None:
    """Run the statement, or, inside ``together()``, keep it for the block's end."""
    kept = _kept()
    if kept is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    else:
        kept.append((sql, list(params)))


@contextlib.contextmanager
def together():
    """Keep the writes made through ``execute`` in the block, and send them at its end, if it
    ends without an error. It must run inside a transaction (``transaction.atomic``), which
    the writes then join; a block inside another is part of the outer one."""
    if _kept() is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("Writes are kept together only inside a transaction.")
    setattr(connection, _KEPT, [])
    try:
        yield
        _send(_kept())
    finally:
        setattr(connection, _KEPT, None)


def mark() -> int | None:
    """Where the kept writes stand now (None outside a block), for ``drop_since``."""
    kept = _kept()
    return None if kept is None else len(kept)


def drop_since(where: int | None) -> None:
    """Drop the writes kept since ``mark()`` returned ``where``: the caller rolled back to a
    savepoint taken then."""
    kept = _kept()
    if kept is not None and where is not None:
        del kept[where:]


def _send(kept: list) -> None:
    if not kept:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "; ".join(sql for sql, _ in kept),
                [value for _, params in kept for value in params],
            )
        else:
            for sql, params in kept:
                cursor.execute(sql, params)
