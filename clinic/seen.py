"""Two pages open on one clinical record: the later save must not silently undo the earlier.

A page that edits a record sends back, hidden, the moment the record was last saved as it showed
it (``version``: its ``updated_at``, "" when there was none yet). The record's service compares
it under the record's lock (``changed_since``) and refuses a save made from a page that no
longer shows what is there; the page then opens again on the saved record, the person's typing
kept, and saving again is a choice made knowing what it replaces.
"""

SEEN_FIELD = "seen"


def version(record) -> str:
    """The record as a page shows it: when it was last saved; "" for no record yet."""
    return record.updated_at.isoformat() if record is not None else ""


def posted(data) -> str | None:
    """What the page sent back (None from a caller that sends nothing: no check)."""
    return data.get(SEEN_FIELD)


def changed_since(record, seen: str | None) -> bool:
    """Whether ``record`` (read under its lock; None if there is none) was saved, or first
    made, after the page that sent ``seen`` showed it."""
    return seen is not None and version(record) != seen
