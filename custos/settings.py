"""Settings for Custos: one file, driven by environment variables.

With no environment at all Custos runs the *embedded default*: SQLite, files and a
filesystem Celery broker under ``var/``. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to
PostgreSQL and Redis. ``DJANGO_ENV=production`` turns on the hardened profile and refuses to
start while a required variable is missing. Every variable is listed in ``.env.example``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"


def _required(name: str) -> str:
    """Reads a variable the production profile cannot run without, naming it when missing."""
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set when DJANGO_ENV=production (see .env.example)."
        )
    return value


# Runtime state of the embedded default: database, uploaded files, broker messages.
VAR_DIR = Path(env.str("CUSTOS_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

# --- Core -----------------------------------------------------------------------------------
_INSECURE_DEV_KEY = "django-insecure-custos-development-key-never-use-in-production"
if PRODUCTION:
    SECRET_KEY = _required("DJANGO_SECRET_KEY")
    if SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be a real secret of at least 50 random characters "
            "when DJANGO_ENV=production."
        )
    DEBUG = False
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        _required("DJANGO_ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_INSECURE_DEV_KEY)
    DEBUG = env.bool("DJANGO_DEBUG", default=False)
    ALLOWED_HOSTS = env.list(
        "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"]
    )

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "guardian",
    "django_filters",
    "django_htmx",
    "csp",
    "django_countries",
    "accounts",
    "audit",
    "cases",
    "evidence",
    "partners",
    "training",
]
if not PRODUCTION:
    # Demo and scale data (seed_demo, seed_scale): a development app, as Zulip's zilencer.
    INSTALLED_APPS += ["devdata"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.TwoFactorEnforcementMiddleware",
    "audit.middleware.AuditContextMiddleware",
    # After the audit context, so that the audit row of an expired session has its address.
    "accounts.middleware.SessionLifetimeMiddleware",
    # A change to a closed case refused outside a form: a message, not a server error.
    "cases.frozen.CaseFrozenMiddleware",
    # Refused requests (403, 404) with actor, address, path and object ids: custos.security.
    "custos.security_log.SecurityLogMiddleware",
    "custos.middleware.NoStoreForAuthenticatedMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the outcome of authentication (see django-axes' documentation).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "custos.urls"
WSGI_APPLICATION = "custos.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

FORM_RENDERER = "custos.forms.CustosFormRenderer"

# --- Database -------------------------------------------------------------------------------
if PRODUCTION:
    _required("DATABASE_URL")
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'custos.sqlite3'}")
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server and the worker write to the same file: take the write lock when a
    # transaction starts (no stale-snapshot failures), use WAL so readers never wait,
    # and wait for the lock rather than failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Two-factor authentication is required for every role in production; off in the embedded
# demo so that a newcomer can log in with the printed demo logins at once.
CUSTOS_REQUIRE_2FA = env.bool("CUSTOS_REQUIRE_2FA", default=PRODUCTION)
OTP_TOTP_ISSUER = env.str("CUSTOS_OTP_ISSUER", default="Custos")
# A password-verified login waits this long for its second factor before it must restart.
CUSTOS_OTP_PENDING_SECONDS = 300
# Sensitive actions (accounts/sensitive.py: team, status, sharing, identities, packages,
# break-glass, 2FA) ask for the password again when the last authentication is older than this.
CUSTOS_REAUTH_MAX_AGE = env.int("CUSTOS_REAUTH_MAX_AGE", default=15 * 60)

# Sessions expire after this much inactivity; every request slides the expiry.
SESSION_COOKIE_AGE = env.int("CUSTOS_SESSION_IDLE_SECONDS", default=30 * 60)
# ... and this long after their login, however active they have been.
CUSTOS_SESSION_ABSOLUTE_SECONDS = env.int("CUSTOS_SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Behind N trusted reverse proxies the client address is the N-th from the right of
# X-Forwarded-For; with none (the default) the header is ignored, so it cannot be spoofed.
CUSTOS_TRUSTED_PROXY_COUNT = env.int("CUSTOS_TRUSTED_PROXY_COUNT", default=0)

# Brute-force lockout keyed on username and client address together: one attacker cannot
# lock every user out, and one address cannot try one username forever.
AXES_FAILURE_LIMIT = env.int("CUSTOS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CUSTOS_LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "custos.net.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_DISABLE_ACCESS_LOG = True  # the audit trail records every login and failure
AXES_USERNAME_FORM_FIELD = "username"

# Guardian: no anonymous user row; no global permission or superuser flag widens object access
# (every guardian call in Custos passes accept_global_perms and with_superuser explicitly).
ANONYMOUS_USER_NAME = None
GUARDIAN_AUTO_PREFETCH = False

# The demo data of the embedded default happens in fictional countries (user-assigned codes),
# so that no real state appears accused in a demo. Never offered in production.
COUNTRIES_OVERRIDE = (
    {} if PRODUCTION else {"XN": _("Northmarch (fictional)"), "XS": _("Southvale (fictional)")}
)

# Liaison invitations are single-use and expire after this many days.
CUSTOS_INVITATION_DAYS = env.int("CUSTOS_INVITATION_DAYS", default=7)

# Training: the share of a session's days a participant must attend to earn a certificate
# (with a passed assessment).
CUSTOS_TRAINING_ATTENDANCE = env.float("CUSTOS_TRAINING_ATTENDANCE", default=0.8)

# Case packages: a rendered package can be downloaded for this many days, then expires.
CUSTOS_PACKAGE_DAYS = env.int("CUSTOS_PACKAGE_DAYS", default=14)
# /packages/verify/ refuses a file larger than this (from its declared length, before reading
# it, or while it streams): a package we issue is far smaller.
CUSTOS_PACKAGE_VERIFY_MAX_BYTES = env.int(
    "CUSTOS_PACKAGE_VERIFY_MAX_BYTES", default=256 * 1024 * 1024
)
# The PKCS#12 (certificate and key) that signs case packages, and its passphrase. Outside
# production, `make run` generates a self-signed development certificate at the default path
# (manage.py make_signing_cert); production must name a real one.
if PRODUCTION:
    CUSTOS_SIGNING_P12 = Path(_required("CUSTOS_SIGNING_P12"))
else:
    CUSTOS_SIGNING_P12 = Path(
        env.str("CUSTOS_SIGNING_P12", default=str(VAR_DIR / "signing" / "dev-signing.p12"))
    )
CUSTOS_SIGNING_PASSPHRASE = env.str("CUSTOS_SIGNING_PASSPHRASE", default="")

# Case references: WCU-2026-0007.
CUSTOS_CASE_PREFIX = env.str("CUSTOS_CASE_PREFIX", default="WCU")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("CUSTOS_TIME_ZONE", default="UTC")

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("CUSTOS_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
# Evidence uploads: hashed while they stream to this folder (same filesystem as MEDIA_ROOT, so
# storing is a rename), never held in memory; larger uploads are refused.
FILE_UPLOAD_TEMP_DIR = env.str("CUSTOS_UPLOAD_TEMP_DIR", default=str(VAR_DIR / "uploads"))
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_PERMISSIONS = 0o440  # stored evidence is never modified
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
CUSTOS_UPLOAD_MAX_BYTES = env.int("CUSTOS_UPLOAD_MAX_BYTES", default=20 * 1024**3)
# Uploaded files are never served by URL: every download goes through a view that checks
# permissions and writes an audit row.
MEDIA_ROOT = Path(env.str("CUSTOS_MEDIA_ROOT", default=str(VAR_DIR / "files")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Evidence on S3-compatible object storage (install the "s3" extra): files keep their
# content-addressed names and are never overwritten. Object lock / versioning, which make the
# bucket itself write-once, are configured on the bucket.
CUSTOS_S3_BUCKET = env.str("CUSTOS_S3_BUCKET", default="")
if CUSTOS_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": CUSTOS_S3_BUCKET,
            "endpoint_url": env.str("CUSTOS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("CUSTOS_S3_REGION", default="") or None,
            "access_key": env.str("CUSTOS_S3_ACCESS_KEY", default="") or None,
            "secret_key": env.str("CUSTOS_S3_SECRET_KEY", default="") or None,
            "file_overwrite": False,
            "default_acl": "private",
            "querystring_auth": True,
        },
    }
# Outside production whitenoise serves straight from the source folders: no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email ----------------------------------------------------------------------------------
if PRODUCTION:
    _required("EMAIL_URL")
    _required("CUSTOS_BASE_URL")
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Custos <custos@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CUSTOS_BASE_URL = env.str("CUSTOS_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Celery ---------------------------------------------------------------------------------
if PRODUCTION:
    # A filesystem broker per container would silently never reach the workers.
    _required("CELERY_BROKER_URL")
# "localhost" only names the machine: the messages are files under CELERY_BROKER_DIR.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
CELERY_BROKER_DIR = VAR_DIR / "broker"
# The longest task may run this long; brokers redeliver unacknowledged messages only after
# the visibility timeout, which must stay well above it or a running task is delivered twice.
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_TIME_LIMIT = 12 * 60
CUSTOS_REPORT_SOFT_TIME_LIMIT = 25 * 60
CUSTOS_REPORT_TIME_LIMIT = 30 * 60
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 60 * 60}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # outcomes are recorded on the jobs' own rows
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (
    Queue("default", Exchange("default"), routing_key="default"),
    Queue("reports", Exchange("reports"), routing_key="reports"),
)
CELERY_TASK_DEFAULT_EXCHANGE = "default"
CELERY_TASK_DEFAULT_ROUTING_KEY = "default"
# PDF rendering goes to its own queue, consumed by a worker whose processes are replaced once
# they hold too much memory (--max-memory-per-child): WeasyPrint does not give memory back.
CELERY_TASK_ROUTES = {
    "*.tasks.render_*": {"queue": "reports"},
    "partners.tasks.assemble_package": {"queue": "reports"},
}
CELERY_TIMEZONE = TIME_ZONE
# The requeue_stuck_* sweeps run at least every ten minutes: a stalled job is retried within
# its lease (custos/jobs.py) and one interval (tests/test_jobs.py).
CELERY_BEAT_SCHEDULE = {
    "audit-seal-chain": {
        "task": "audit.tasks.seal_audit_chain",
        "schedule": 30.0,
    },
    "evidence-fixity-sweep": {
        "task": "evidence.tasks.fixity_sweep",
        "schedule": crontab(hour=2, minute=30),
    },
    "training-requeue-stuck-certificates": {
        "task": "training.tasks.requeue_stuck_certificates",
        "schedule": crontab(minute="*/10"),
    },
    "packages-requeue-stuck": {
        "task": "partners.tasks.requeue_stuck_packages",
        "schedule": crontab(minute="*/10"),
    },
    "packages-expire": {
        "task": "partners.tasks.expire_packages",
        "schedule": crontab(minute=5),
    },
    "notifications-requeue-stuck-emails": {
        "task": "accounts.tasks.requeue_stuck_notification_emails",
        "schedule": crontab(minute="*/10"),
    },
}

# --- Security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Nothing is loaded from another host: deployments are often air-gapped.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if CUSTOS_TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("CUSTOS_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("CUSTOS_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.security": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO: too much for a worker's log.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Denials, logins, failed logins and lockouts (custos/security_log.py): ids only.
        "custos.security": {"level": "INFO"},
    },
}
