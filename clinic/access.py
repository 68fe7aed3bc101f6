"""What a signed-in staff member may do, read once a request in one query.

Every staff page asks twice before it does anything: may this user open it (Django's permission
check, which ``ModelBackend`` answers with two queries, the user's own permissions and their
groups'), and which roles do they hold (``clinic.roles.roles_of``, a third query). All three come
from the same few small tables, so ``load_access`` reads them together, in one written-out query
(compiling three ORM queries cost more than running them), and keeps the answers on the user
object, where both questions look first. The user object lives for one request, so a role or a
permission taken away applies from the next request, whichever app server it reaches.
"""

from django.contrib.auth.backends import ModelBackend
from django.db import connection

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
        rows = cursor.fetchall()
    user._group_names = frozenset(name for _, _, name in rows if name is not None)
    if not user.is_superuser and not hasattr(user, "_perm_cache"):
        user._perm_cache = {f"{app}.{code}" for app, code, name in rows if name is None}


class AccessBackend(ModelBackend):
    """Django's own backend (passwords, inactive users refused), its permission lookups answered
    from ``load_access``'s one query instead of two."""

    def get_all_permissions(self, user_obj, obj=None):
        if user_obj.is_active and not user_obj.is_anonymous and obj is None:
            load_access(user_obj)
        return super().get_all_permissions(user_obj, obj)
