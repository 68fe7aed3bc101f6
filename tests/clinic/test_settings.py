"""Production settings: refuse to start without a secret key; `check --deploy` is clean."""

import os
import re
import subprocess
import sys
from pathlib import Path

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
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


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
