"""Test settings: the real settings, with a key for tests and plain HTTP for the live server."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")
# Playwright's sync API keeps an event loop in the test thread; Django would otherwise refuse
# database access from it. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# A developer's .env must not change what the tests run against.
os.environ["DJANGO_READ_DOT_ENV"] = "false"

from clinic import settings as base
from clinic.settings import *  # noqa: F403

# Tests run over plain HTTP (Django's test client and the live server for the browser tests).
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Test photos go to a throwaway folder, never the developer's private-media. Each process that
# loads these settings (each xdist worker too) makes its own, and tests/conftest.py removes it
# when that process's test session ends.
TEST_PHOTOS_ROOT = tempfile.mkdtemp(prefix="clinic-test-photos-")
# Fast hashing: password strength is not what these tests measure.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests must not depend on a collectstatic run; whitenoise serves from the finders.
STORAGES = {
    **base.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": TEST_PHOTOS_ROOT, "base_url": None},
    },
}
WHITENOISE_USE_FINDERS = True
# No collectstatic in tests: whitenoise serves straight from the finders.
STATIC_ROOT = None
# In-process tests keep the cache in local memory whatever REDIS_URL the shell has: they clear
# it between tests, which on Redis would flush a database other runs may be using. The tests of
# the shared cache point their own servers at Redis, under a key prefix of their own.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
