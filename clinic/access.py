"""Who is signed in and what they may do, read once a request in one query.

Every staff page asks twice before it does anything: may this user open it (Django's permission
check, which ``ModelBackend`` answers with two queries, the user's own permissions and their
groups'), and which roles do they hold (``clinic.roles.roles_of``, a third query). All three come
from the same few small tables, so ``load_access`` reads them together, in one written-out query
(compiling three ORM queries cost more than running them), and keeps the answers on the user
object, where both questions look first. ``AccessBackend.get_user`` reads the user's row in that
same query, since the session names who they are before anything else runs. The user object
lives for one request, so a role or a permission taken away applies from the next request,
whichever app server it reaches.
"""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from clinic.sql_values import columns, instance

# Rows of (app label, codename, NULL) for each permission the user holds, directly or through a
# group, then (NULL, NULL, group name) for each of their groups. Django's own auth tables, whose
# names are fixed; tests/clinic/test_access.py checks the answer against ModelBackend's.
ACCESS_QUERY = """
    SELECT ct.app_label, p.codename, NULL
      FROM auth_permission p
      JOIN django_content_type ct ON ct.id = p.content_type_id
     WHERE p.id IN (SELECT permission_id FROM auth_user_user_permissions WHERE user_id = %s)
        OR p.id IN (SELECT gp.permission_id
                      FROM auth_group_permissions gp
                      JOIN auth_user_groups ug ON ug.group_id = gp.group_id
                     WHERE ug.user_id = %s)
    UNION ALL
    SELECT NULL, NULL, g.name
      FROM auth_group g
      JOIN auth_user_groups ug ON ug.group_id = g.id
     WHERE ug.user_id = %s
"""


def load_access(user) -> None:
    """Keep on ``user`` (signed in and active) the names of their groups (``_group_names``)
    and, unless they are a superuser (every permission is theirs without asking), the
    permissions Django's checks read (``_perm_cache``, as ``ModelBackend`` keeps it)."""
    if hasattr(user, "_group_names"):
        return
    with connection.cursor() as cursor:
        cursor.execute(ACCESS_QUERY, [user.pk] * 3)
        _keep_access(user, cursor.fetchall())


def user_with_access(user_id):
    """The user whose primary key is ``user_id`` (as the session keeps it), with what
    ``load_access`` keeps on them, in one query; None when there is no such user."""
    user_model = get_user_model()
    try:
        pk = user_model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_user_and_access_query(connection.vendor), [pk] * 4)
        rows = cursor.fetchall()
    # The user's row is marked 1, the access rows 0; the access columns are the last three.
    found = [row for row in rows if row[0] == 1]
    if not found:
        return None
    user = instance(user_model, found[0][1:-3])
    _keep_access(user, [row[-3:] for row in rows if row[0] == 0])
    return user


@functools.cache
def _user_and_access_query(vendor: str) -> str:
    user_model = get_user_model()
    quote = connection.ops.quote_name
    table = quote(user_model._meta.db_table)
    pk = quote(user_model._meta.pk.column)
    user = columns(user_model, table)
    padding = "NULL, " * len(user_model._meta.concrete_fields)
    return (
        f"SELECT 1, {user}, NULL, NULL, NULL FROM {table} WHERE {table}.{pk} = %s "  # noqa: S608 - names from the model
        f"UNION ALL SELECT 0, {padding}access.* FROM ({ACCESS_QUERY}) access"
    )


def _keep_access(user, rows) -> None:
    user._group_names = frozenset(name for _, _, name in rows if name is not None)
    if not user.is_superuser and not hasattr(user, "_perm_cache"):
        user._perm_cache = {f"{app}.{code}" for app, code, name in rows if name is None}


class AccessBackend(ModelBackend):
    """Django's own backend (passwords, inactive users refused), the signed-in user and their
    permission lookups read in ``user_with_access``'s one query instead of three."""

    def get_user(self, user_id):
        user = user_with_access(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if user_obj.is_active and not user_obj.is_anonymous and obj is None:
            load_access(user_obj)
        return super().get_all_permissions(user_obj, obj)
