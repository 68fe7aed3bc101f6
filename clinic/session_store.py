"""Django's database sessions, read with one written-out query.

Every request that carries a session cookie (every staff page, a patient's booking in progress)
reads its session row first. Building and compiling that ORM query took several times longer
than PostgreSQL took to answer it, so the read is written out here; everything else (saving,
creating, expiring, clearing) is Django's own ``db`` backend, and the sessions stay in the
database (clinic/settings.py says why).
"""

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

# The session's data while it has not expired: Django's own table (django.contrib.sessions).
LOAD = "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s"


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        with connection.cursor() as cursor:
            now = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(LOAD, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            # As Django does: a key that names no live session is dropped, so that saving the
            # session makes a new one with a new key rather than taking up the one sent.
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])
