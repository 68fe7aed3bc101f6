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
import json
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from clinic import sql_prepared
from clinic.sql_values import columns, instance

# The names of the user's permissions ("app_label.codename"), directly or through a group, and
# of their groups, each aggregated into one value (``{collect}``, an array on PostgreSQL and a
# JSON array on SQLite): a clinic admin holds some 200 permissions, and 200 rows took longer to
# send and read than the query took to run. Django's own auth tables, whose names are fixed;
# tests/clinic/test_access.py checks the answer against ModelBackend's.
_PERMISSIONS = """(
    SELECT {collect}(ct.app_label || '.' || p.codename)
      FROM auth_permission p
      JOIN django_content_type ct ON ct.id = p.content_type_id
     WHERE p.id IN (SELECT permission_id FROM auth_user_user_permissions WHERE user_id = %s)
        OR p.id IN (SELECT gp.permission_id
                      FROM auth_group_permissions gp
                      JOIN auth_user_groups ug ON ug.group_id = gp.group_id
                     WHERE ug.user_id = %s))"""
_GROUPS = """(
    SELECT {collect}(g.name)
      FROM auth_group g
      JOIN auth_user_groups ug ON ug.group_id = g.id
     WHERE ug.user_id = %s)"""
ACCESS_QUERY = f"SELECT {_PERMISSIONS}, {_GROUPS}"


@dataclass
class DeviceWanted:
    """The second factor's device a request's session names, to be read with its user:
    ``device`` is what that read found (None for no such row), once ``read``."""

    model: type
    pk: int
    read: bool = False
    device: object = None


# Set by clinic.middleware.OTPMiddleware while it reads the request's user, so that the user's
# query reads the device too: one round trip fewer on every staff page. Whether the device is
# the user's and confirmed is still django-otp's check, made after.
device_wanted: ContextVar[DeviceWanted | None] = ContextVar("device_wanted", default=None)


def load_access(user) -> None:
    """Keep on ``user`` (signed in and active) the names of their groups (``_group_names``)
    and, unless they are a superuser (every permission is theirs without asking), the
    permissions Django's checks read (``_perm_cache``, as ``ModelBackend`` keeps it)."""
    if hasattr(user, "_group_names"):
        return
    with connection.cursor() as cursor:
        sql_prepared.execute(cursor, _access_query(connection.vendor), [user.pk] * 3)
        _keep_access(user, *cursor.fetchone())


def user_with_access(user_id):
    """The user whose primary key is ``user_id`` (as the session keeps it), with what
    ``load_access`` keeps on them, in one query; None when there is no such user."""
    user_model = get_user_model()
    try:
        pk = user_model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    wanted = device_wanted.get()
    device_model = wanted.model if wanted is not None else None
    params = [pk] * 3 + ([wanted.pk] if wanted is not None else []) + [pk]
    with connection.cursor() as cursor:
        query = _user_and_access_query(connection.vendor, device_model)
        sql_prepared.execute(cursor, query, params)
        row = cursor.fetchone()
    if row is None:
        return None
    # The user's columns, their permissions and groups, then the device's columns, if asked.
    width = len(user_model._meta.concrete_fields)
    user = instance(user_model, row[:width])
    _keep_access(user, *row[width : width + 2])
    if wanted is not None:
        wanted.device = instance(device_model, row[width + 2 :])
        wanted.read = True
    return user


def _collect(vendor: str) -> str:
    """The aggregate collecting names into one value, on the two databases the clinic runs on."""
    return {"postgresql": "array_agg", "sqlite": "json_group_array"}[vendor]


@functools.cache
def _access_query(vendor: str) -> str:
    return ACCESS_QUERY.format(collect=_collect(vendor))


@functools.cache
def _user_and_access_query(vendor: str, device_model=None) -> str:
    user_model = get_user_model()
    quote = connection.ops.quote_name
    table = quote(user_model._meta.db_table)
    pk = quote(user_model._meta.pk.column)
    user = columns(user_model, table)
    collect = _collect(vendor)
    permissions = _PERMISSIONS.format(collect=collect)
    groups = _GROUPS.format(collect=collect)
    device, join = "", ""
    if device_model is not None:
        device = ", " + columns(device_model, "device")
        device_table = quote(device_model._meta.db_table)
        device_pk = quote(device_model._meta.pk.column)
        join = f" LEFT JOIN {device_table} device ON device.{device_pk} = %s"
    return (
        f"SELECT {user}, {permissions}, {groups}{device} FROM {table}{join} "  # noqa: S608 - names from the models
        f"WHERE {table}.{pk} = %s"
    )


def _names(collected) -> list[str]:
    """The names one aggregate collected: a list on PostgreSQL (None for none), a JSON
    array on SQLite."""
    if collected is None:
        return []
    return json.loads(collected) if isinstance(collected, str) else collected


def _keep_access(user, permissions, groups) -> None:
    user._group_names = frozenset(_names(groups))
    if not user.is_superuser and not hasattr(user, "_perm_cache"):
        user._perm_cache = set(_names(permissions))


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
