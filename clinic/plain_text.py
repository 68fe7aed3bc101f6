"""Letters without their accents: reception types "nunez" for Núñez, and a name is found
whichever way it was written.

PostgreSQL has ``unaccent`` (an extension, created by a migration of the patients app); SQLite
is given a function of the same name here (``plain``), on every new connection. A search folds
both what is stored and what is typed with the database's own function, so that the two sides
always agree.
"""

import unicodedata

from django.db.backends.signals import connection_created
from django.dispatch import receiver

# Letters that carry their mark without decomposing, written as PostgreSQL's unaccent writes
# them.
_BASE_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i"}
    | {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH"}
)


def plain(text: str) -> str:
    """``text`` with each accented letter as its base letter ("Zoë Ñúñez" -> "Zoe Nunez",
    "Strauß" -> "Strauss")."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_BASE_LETTERS))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@receiver(connection_created)
def _sqlite_unaccent(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("unaccent", 1, plain, deterministic=True)
