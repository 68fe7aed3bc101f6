"""Settings for the hair-restoration clinic app, read from the environment.

Every value that differs between a laptop and production comes from an environment variable
(see `.env.example`). With none set, the app runs on an embedded SQLite database for local use.
Production (``DJANGO_DEBUG`` unset or false) refuses to start without ``DJANGO_SECRET_KEY``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's local `.env` file is read when present; real environment variables win over it.
# Tests and CI switch it off (DJANGO_READ_DOT_ENV=false) so that a local file cannot leak in.
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production mode (DJANGO_DEBUG off) refuses to start "
            "without it; set DJANGO_DEBUG=true for local development."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

# The public address of the site, used for the private links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# The video service of video consultations: each booking gets an unguessable room on it, named
# in the patient's e-mails and booking page and on staff Today. A self-hosted Jitsi Meet, say,
# keeps consultations off a third party's servers; the public Jitsi service is only a default.
VIDEO_BASE_URL = env.str("VIDEO_BASE_URL", default="https://meet.jit.si").rstrip("/")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The clinic's public face: shown in the footer, e-mails and calendar entries.
CLINIC = {
    "name": env.str("CLINIC_NAME", default="Northfield Hair Clinic"),
    "phone": env.str("CLINIC_PHONE", default="020 7946 0321"),
    "email": env.str("CLINIC_EMAIL", default="hello@northfield-hair.example"),
    "address": env.str("CLINIC_ADDRESS", default="14 Harrow Lane, London NW3 2QP"),
}

INSTALLED_APPS = [
    "clinic.admin_site.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "simple_history",
    "clinic",
    "bookings",
    "patients",
    "treatments",
    "staff",
]
# The development tools (benchmarks, load harness, demo data) join only when their folder is
# there: a deployment may leave devtools/ out, and nothing in the product imports it. The
# folder is checked rather than the import path, since an unrelated PyPI package is also
# called "devtools".
if (BASE_DIR / "devtools" / "apps.py").is_file():
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clinic.middleware.drop_nul_from_query",
    "csp.middleware.CSPMiddleware",
    "clinic.middleware.permissions_policy",
    "clinic.middleware.no_store_for_personal_pages",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that reads the body (sessions do not; CSRF and the views do).
    "clinic.middleware.request_size_limit",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clinic.middleware.OTPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinic.middleware.StaffIdleSignOutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # Innermost, so that the page it makes passes every middleware above on its way out.
    "clinic.middleware.method_not_allowed_page",
]

# Staff sign-in: a password, then a second factor (TOTP app or a one-time backup code).
# django-axes locks a username on one address out after repeated failures, for a cool-off.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "clinic.access.AccessBackend",
]
AXES_FAILURE_LIMIT = env.int("STAFF_SIGN_IN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("STAFF_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The address is the client's as the app's own limits see it (TRUSTED_PROXY_COUNT): behind a
# proxy REMOTE_ADDR is the proxy's, and one client's failures would lock every client out.
AXES_CLIENT_IP_CALLABLE = "clinic.ratelimit.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
# Besides the per-account lockout, one address may try this many passwords and codes an hour,
# whatever the usernames, against password spraying.
STAFF_SIGN_IN_ATTEMPTS_PER_HOUR = env.int("STAFF_SIGN_IN_ATTEMPTS_PER_HOUR", default=30)
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=30)
OTP_TOTP_ISSUER = "Clinic staff"

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.clinic",
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL names another (PostgreSQL in
# production and CI).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Take the write lock at BEGIN, so that a booking's re-check and insert can never
            # interleave with another writer's; wait for the lock rather than fail at once.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not shared memory, so that concurrency tests get real separate connections.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "staff:sign_in"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
# Phone numbers are stored in international form (E.164); one written without a country code is
# read as a number of the booking's location, or of this country where no location is known
# (the staff phone-booking form). They are shown in international form, with spaces.
PHONENUMBER_DEFAULT_REGION = env.str("PHONE_REGION", default="GB")
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"
# Times are stored in UTC. This zone is only the default for staff screens such as the admin;
# patients see each location's own zone.
TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers the files whitenoise serves (a deployment may put them elsewhere).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Bootstrap and htmx come from npm at setup (`npm ci`), never from a CDN, and are not committed.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
# Scalp photos: never under a public URL, and only ever reached through Django's storage API
# (saved, opened and deleted by name), so that where they live is configuration alone. Local
# files outside the static and media folders by default (PRIVATE_STORAGE_ROOT); on several app
# servers, an S3-compatible bucket through django-storages, e.g.
# PRIVATE_STORAGE_BACKEND=storages.backends.s3.S3Storage and PRIVATE_STORAGE_OPTIONS (JSON, the
# backend's own options; see the README).
PRIVATE_STORAGE_ROOT = env.path("PRIVATE_STORAGE_ROOT", default=BASE_DIR / "private-media")
PRIVATE_STORAGE_BACKEND = env.str(
    "PRIVATE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
)
PRIVATE_STORAGE_OPTIONS = env.json("PRIVATE_STORAGE_OPTIONS", default={})
if PRIVATE_STORAGE_BACKEND == "django.core.files.storage.FileSystemStorage":
    PRIVATE_STORAGE_OPTIONS = {
        "location": PRIVATE_STORAGE_ROOT,
        "base_url": None,
        **PRIVATE_STORAGE_OPTIONS,
    }
# `manage.py backup` writes its dated folders here (README, "Backups").
BACKUP_ROOT = env.path("BACKUP_ROOT", default=BASE_DIR / "backups")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": PRIVATE_STORAGE_BACKEND, "OPTIONS": PRIVATE_STORAGE_OPTIONS},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # whitenoise's CompressedManifestStaticFilesStorage, each URL worked out once.
            else "clinic.static_storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: printed to the console in development; EMAIL_URL (e.g. smtp+tls://user:pass@host:587)
# in production. Tests use Django's in-memory outbox.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{CLINIC['name']} <bookings@localhost>")
CLINIC_INBOX_EMAIL = env.str("CLINIC_INBOX_EMAIL", default="reception@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Sessions stay in the database, not the cache: every app server reads the same table, and a
# Redis restart (it keeps nothing on disk) must not sign staff out or lose a patient's booking in
# progress. "cached_db" would save one indexed read per request at the price of a second copy
# to keep in step; not worth it at a clinic's traffic. Django's database backend, its read
# written out (clinic/session_store.py).
SESSION_ENGINE = "clinic.session_store"

# Background work (confirmation and reminder e-mails) through Django's tasks API, stored in the
# database and run by `manage.py db_worker`. Swappable for another backend without touching callers.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
REMINDER_HOURS_BEFORE = env.int("REMINDER_HOURS_BEFORE", default=24)

# The shared cache: rate-limit counters and the slot picker's pages. Local memory (one per
# process) for development; Redis when REDIS_URL is set (Django's own backend, keeping its
# client: clinic/redis_cache.py), which production needs: with a per-process cache every limit
# is multiplied by the number of worker processes and reset by each restart, so
# `check --deploy` refuses one (clinic/checks.py).
# CACHE_KEY_PREFIX lets several deployments (or test runs) share one Redis without meeting.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "clinic.redis_cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
    | {"KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="")}
}
BOOKING_SUBMISSIONS_PER_HOUR = env.int("BOOKING_SUBMISSIONS_PER_HOUR", default=30)
PRIVATE_LINK_LOOKUPS_PER_HOUR = env.int("PRIVATE_LINK_LOOKUPS_PER_HOUR", default=300)
# A patient's private link keeps working for its booking for as long as the booking exists (the
# summary, the calendar file, the history of a visit): it is revoked by erasure, which gives the
# booking a new token, not by a date.

# The patient's home (bookings/home_views.py): reached by a sign-in link sent by e-mail, no
# password. The links are django-sesame tokens over the patient's row (patients/home.py): they
# expire, and signing in voids every link sent before (single use); a new e-mail address voids
# them too. Requests for a link are limited per client address and per e-mail address, in the
# shared cache like every other limit.
PATIENT_SIGN_IN_LINK_MINUTES = env.int("PATIENT_SIGN_IN_LINK_MINUTES", default=15)
PATIENT_SIGN_IN_LINKS_PER_HOUR = env.int("PATIENT_SIGN_IN_LINKS_PER_HOUR", default=10)
PATIENT_SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR = env.int(
    "PATIENT_SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR", default=3
)
# A link confirming a new e-mail address lasts longer: it is read in another inbox, maybe later.
PATIENT_EMAIL_CHANGE_LINK_HOURS = env.int("PATIENT_EMAIL_CHANGE_LINK_HOURS", default=24)
# A signed-in patient is signed out after this many idle minutes, and after this many hours in all.
PATIENT_HOME_IDLE_MINUTES = env.int("PATIENT_HOME_IDLE_MINUTES", default=30)
PATIENT_HOME_MAX_HOURS = env.int("PATIENT_HOME_MAX_HOURS", default=12)
SESAME_MAX_AGE = PATIENT_SIGN_IN_LINK_MINUTES * 60
SESAME_ONE_TIME = True
SESAME_INVALIDATE_ON_EMAIL_CHANGE = True
# Tokens name a patient (a 64-bit id), not a staff user: the packer is chosen here, not from the
# user model, and a key of their own keeps them apart from any other use of django-sesame.
SESAME_PACKER = "sesame.packers.LongLongPacker"
SESAME_KEY = "patient-home"
# How many proxies in front of the app append to X-Forwarded-For (0: use the socket's address).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Uploads: the photo rules (6 images of at most 10 MB) are checked in the form. A request whose
# declared size is over MAX_REQUEST_BYTES (six photos and the form's fields, with room to spare)
# is refused before its body is read (clinic.middleware.request_size_limit).
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=62 * 1024 * 1024)
# The form's fields alone (no files) are a few kilobytes; Django refuses far more with a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# An uploaded file larger than this waits on disk rather than in the worker's memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Security. Production defaults are strict; each can be relaxed by its variable (for example
# behind a proxy that already redirects to HTTPS).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, fonts and everything else come from this
# site alone, and no inline script or style runs, so injected markup can do nothing. Bootstrap's
# form icons are data: images; the enrolment QR code is an inline SVG element, not a script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features the clinic's pages never use are switched off for them and for anything
# that might be injected into them.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
CSRF_FAILURE_VIEW = "clinic.views.csrf_failure"
# Flash messages ride in the server-side session, not in a cookie of their own: they can name a
# patient, and one cookie fewer is one fewer to secure.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Every record is written once, by the root logger's handler. Django's default configuration
# gives the "django" logger a console handler of its own (active with DEBUG on) that also passes
# each record up to the root: every line twice under runserver and the task worker. Here it keeps
# Django's INFO level with no handler of its own. Naming "django" resets its children, so the
# development server's request lines ("django.server") get back Django's own format and handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
