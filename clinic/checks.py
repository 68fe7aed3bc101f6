"""Checks of a production configuration, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.files.storage import storages

REDIS_CACHES = {"clinic.redis_cache.RedisCache", "django.core.cache.backends.redis.RedisCache"}
# Backends whose counters every process on every app server shares, with an atomic increment.
SHARED_CACHES = {
    *REDIS_CACHES,
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
}


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs, **kwargs):
    """Refuse a production cache that each process keeps for itself.

    Rate limits and the slot picker live in the default cache: in local memory, with N worker
    processes every limit lets N times as many attempts through and a restart resets them.
    """
    if settings.DEBUG:
        return []
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in SHARED_CACHES:
        return [
            Error(
                f"The cache ({backend}) is not shared between processes: each worker would keep "
                "its own rate-limit counts, letting as many times more staff sign-in attempts "
                "and booking submissions through as there are workers.",
                hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to use Redis.",
                id="clinic.E001",
            )
        ]
    if backend in REDIS_CACHES:
        try:
            import redis  # noqa: F401 - only whether it is installed
        except ImportError:
            return [
                Error(
                    "REDIS_URL is set but the redis client package is not installed, so the "
                    "first request that counts an attempt would fail.",
                    hint="pip install -r requirements.txt",
                    id="clinic.E002",
                )
            ]
    return []


@register(deploy=True)
def private_storage_check(app_configs, **kwargs):
    """Refuse a photo storage that would overwrite one patient's photo with another's, or
    publish them.

    Each photo is written under a new random name (``patients/photo_files.py``), and the local
    storage never overwrites a file; but django-storages' S3 backend overwrites by default, and a
    storage that may overwrite is one bad name away from replacing one patient's photo with
    another's.
    """
    storage = storages["private"]
    errors = []
    if getattr(storage, "file_overwrite", False):
        errors.append(
            Error(
                "The private photo storage overwrites a file saved under a name already used, "
                "so one patient's photo would replace another's.",
                hint='Add "file_overwrite": false to PRIVATE_STORAGE_OPTIONS.',
                id="clinic.E003",
            )
        )
    if str(getattr(storage, "default_acl", None) or "").startswith("public"):
        errors.append(
            Error(
                "The private photo storage makes every photo public (default_acl).",
                hint='Set "default_acl": "private" in PRIVATE_STORAGE_OPTIONS.',
                id="clinic.E004",
            )
        )
    return errors
