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
rolled back to is dropped with the rest of what the savepoint undid: the services' own
savepoints say so (``mark`` and ``drop_since``); inside a savepoint of Django's
(``transaction.atomic()`` within the block), which may be rolled back without a word here, a
write is sent at once. Outside a block, ``execute`` runs the statement at once. Only writes
whose order among themselves does not matter belong here: their callers read none back. On
PostgreSQL each is prepared once per connection (``sql_prepared.execute_all``), so a write with
parameters must be an INSERT, UPDATE or DELETE.
"""

import contextlib

from django.db import connection

from clinic import sql_prepared

# Where the block keeps its writes: on the connection, so that each thread's (and each
# database connection's) block is its own. None outside a block.
_KEPT = "clinic_kept_writes"


class _Kept(list):
    """The writes kept, with the savepoints of Django's open when the block began."""

    def __init__(self, savepoints):
        super().__init__()
        self.savepoints = savepoints


def _kept() -> _Kept | None:
    return getattr(connection, _KEPT, None)


def _savepoints() -> list:
    """The savepoints of Django's open now. (An ``atomic(savepoint=False)`` block stands in
    the list as None: an error inside it dooms the whole transaction, so it undoes no write
    alone.)"""
    return [sid for sid in connection.savepoint_ids if sid is not None]


def execute(sql: str, params) -> None:
    """Run the statement, or, inside ``together()``, keep it for the block's end."""
    params = list(params)
    if sql.count("%s") != len(params):
        # Sent with others, its parameters would be bound to the next statement's.
        raise ValueError("A statement's placeholders and parameters do not match.")
    kept = _kept()
    if kept is not None and _savepoints() == kept.savepoints:
        kept.append((sql, params))
        return
    # Outside a block, or inside a savepoint of Django's begun in it, which may be rolled back
    # without a word here: sent at once, inside it. (What was kept before it stays kept: the
    # writes sent this way are those whose results nobody reads, so their order is free.)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextlib.contextmanager
def together():
    """Keep the writes made through ``execute`` in the block, and send them at its end, if it
    ends without an error. It must run inside a transaction (``transaction.atomic``), which
    the writes then join; a block inside another is part of the outer one (what it kept is
    dropped if it ends with an error)."""
    kept = _kept()
    if kept is not None:
        where = len(kept)
        try:
            yield
        except BaseException:
            del kept[where:]
            raise
        return
    if not connection.in_atomic_block:
        raise RuntimeError("Writes are kept together only inside a transaction.")
    setattr(connection, _KEPT, _Kept(_savepoints()))
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
    savepoint taken then (None: before the block began, so every write it kept)."""
    kept = _kept()
    if kept is not None:
        del kept[where or 0 :]


def _send(kept: list) -> None:
    if not kept:
        return
    with connection.cursor() as cursor:
        # On PostgreSQL in one round trip, each prepared once per connection; on SQLite one by one.
        sql_prepared.execute_all(cursor, kept)
