"""Single-line text: names and other short values that end up in e-mail headers and calendars.

A line break in a name would be stored as typed, and then the e-mail whose subject carries that
name could not be sent at all (Django refuses a header with CR or LF, against header injection).
So such text is refused where it is typed, and anything already stored is made safe where it goes
into a header.
"""

import unicodedata

from django.core.exceptions import ValidationError

# Unicode categories a one-line value never needs: control characters (CR, LF, tab, NUL…), the
# line and paragraph separators, and invisible format characters such as the right-to-left
# override, which can make a name read backwards.
REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
# Two format characters belong inside words in some scripts (Persian, the Indic scripts): the
# zero-width non-joiner and joiner. Names written in them must still be accepted.
WORD_JOINERS = {"\u200c", "\u200d"}

SINGLE_LINE_MESSAGE = (
    "Please type this on one line, without line breaks, tabs or invisible control characters."
)


def is_refused(character: str) -> bool:
    return unicodedata.category(character) in REFUSED_CATEGORIES and character not in WORD_JOINERS


def validate_single_line(value: str) -> None:
    """Refuse text holding a line break, a tab or another control or format character."""
    if any(is_refused(character) for character in value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


def header_safe(text: str) -> str:
    """Return ``text`` fit for an e-mail header or a calendar parameter: every control or
    format character (line breaks included) replaced by a space, spaces run together."""
    cleaned = "".join(" " if is_refused(character) else character for character in text)
    return " ".join(cleaned.split())
