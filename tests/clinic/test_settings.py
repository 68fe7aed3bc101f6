"""Production settings: refuse to start without a secret key; `check --deploy` is clean."""

import os
import re
import subprocess
import sys
from pathlib import Path

import redis
from django.conf import settings as django_settings
from django.core.files.storage import InMemoryStorage
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env_overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    env.update(DJANGO_SETTINGS_MODULE="clinic.settings", DJANGO_READ_DOT_ENV="false")
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_check_deploy_reports_nothing_in_production_mode():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-production-like-secret-key-of-enough-length-and-variety-0123456789",
        DJANGO_ALLOWED_HOSTS="clinic.example",
        # Only named: the checks do not connect to it.
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_refuses_a_cache_each_process_keeps_for_itself():
    result = manage(
        "check",
        "--deploy",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-production-like-secret-key-of-enough-length-and-variety-0123456789",
        DJANGO_ALLOWED_HOSTS="clinic.example",
    )
    assert result.returncode != 0
    assert "clinic.E001" in result.stderr
    assert "not shared between processes" in result.stderr and "REDIS_URL" in result.stderr


def test_redis_url_alone_puts_the_shared_cache_on_redis(redis_server, redis_key_prefix):
    count = (
        "from django.core.cache import cache; "
        "cache.add('hits', 0, 60); cache.incr('hits'); print(cache.incr('hits'))"
    )
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        count,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="shared-cache-test-key",
        REDIS_URL=redis_server,
        CACHE_KEY_PREFIX=redis_key_prefix,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"
    stored = redis.Redis.from_url(redis_server).get(f"{redis_key_prefix}:1:hits")
    assert stored == b"2"


def test_development_mode_runs_without_a_secret_key():
    result = manage("check", DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_each_log_record_is_written_once():
    emit = (
        "import logging; "
        "logging.getLogger('django.request').warning('django-record'); "
        "logging.getLogger('django_tasks').warning('tasks-record'); "
        "logging.getLogger('bookings').warning('app-record')"
    )
    for debug in ("true", "false"):
        result = manage(
            "shell", "-v", "0", "-c", emit, DJANGO_DEBUG=debug, DJANGO_SECRET_KEY="log-test-key"
        )
        assert result.returncode == 0, result.stderr
        for record in ("django-record", "tasks-record", "app-record"):
            assert result.stderr.count(record) == 1, (debug, result.stderr)


def test_env_example_lists_every_setting_read():
    settings_source = (ROOT / "clinic" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', settings_source))
    listed = set(re.findall(r"^#? ?([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no env(...) call found in clinic/settings.py"
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"


def test_the_photo_storage_is_chosen_by_configuration_alone():
    round_trip = (
        "from django.core.files.base import ContentFile; "
        "from patients.models import IntakePhoto; "
        "storage = IntakePhoto._meta.get_field('image').storage; "
        "name = storage.save('scalp-photos/front.jpg', ContentFile(b'scalp')); "
        "print(type(storage).__name__, storage.open(name).read().decode()); "
        "storage.delete(name); print(storage.exists(name))"
    )
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        round_trip,
        DJANGO_DEBUG="true",
        PRIVATE_STORAGE_BACKEND="django.core.files.storage.InMemoryStorage",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["InMemoryStorage", "scalp", "False"]


class OverwritingStorage(InMemoryStorage):
    """A storage that, like django-storages' S3 backend by default, overwrites by name."""

    file_overwrite = True
    default_acl = "public-read"


def test_check_deploy_refuses_a_photo_storage_that_overwrites_or_publishes():
    from clinic.checks import private_storage_check

    overwriting = {"BACKEND": f"{__name__}.OverwritingStorage"}
    with override_settings(STORAGES={**django_settings.STORAGES, "private": overwriting}):
        errors = {error.id for error in private_storage_check(None)}
    assert errors == {"clinic.E003", "clinic.E004"}
    assert private_storage_check(None) == []
