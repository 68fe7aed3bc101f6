"""Letters without their accents, the same in Python, PostgreSQL and SQLite: reception types
"nunez" for Núñez, and a name is found whichever way it was written.

PostgreSQL has ``unaccent`` (an extension, created by a migration of the patients app); SQLite
is given a function of the same name here, on every new connection.
"""

import unicodedata

from django.db.backends.signals import connection_created
from django.dispatch import receiver


def plain(text: str) -> str:
    """``text`` with each accented letter as its base letter ("Zoë Ñúñez" -> "Zoe Nunez")."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@receiver(connection_created)
def _sqlite_unaccent(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("unaccent", 1, plain, deterministic=True)
