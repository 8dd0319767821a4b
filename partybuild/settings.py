"""partybuild settings: one module, driven by the environment (see .env.example).

With no environment at all it runs the one-command demo: SQLite under var/ and
Celery on kombu's filesystem transport (no server needed). Production and the
test suite set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis).
"""

import datetime
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env("DJANGO_ENV", default="development")
IS_PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)
if IS_PRODUCTION:
    SECRET_KEY = env("SECRET_KEY")  # no default: production must set it
else:
    SECRET_KEY = env("SECRET_KEY", default="insecure-demo-key-change-me-for-production-use-only-x")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "treebeard",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "cells",
    "documents",
    "assessments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before anything that writes: the request's replica scope (partybuild/replicas.py).
    "partybuild.replicas.ReplicaMiddleware",
    "partybuild.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "partybuild.middleware.RejectNulMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "partybuild.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cells.security.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After login is required: a password alone does not open the app to a user with a device.
    "cells.security.SecondFactorMiddleware",
    "cells.security.AuditContextMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "partybuild.urls"

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
                "django.template.context_processors.i18n",
                "cells.context_processors.account_menu",
            ],
        },
    },
]

WSGI_APPLICATION = "partybuild.wsgi.application"

# --- Database -----------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'partybuild.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool: one per process, shared by its threads.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=1),
        "max_size": env.int("DB_POOL_MAX", default=10),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if env.bool("DB_POOLER", default=False):
        # Through PgBouncer in transaction mode (deploy/pgbouncer/): each transaction may run on
        # another server connection, so nothing may outlive one. Named (server-side) cursors
        # do (iterator() holds one across queries); prepared statements too, and Django already
        # turns those off (prepare_threshold None). Session state Django sets (the time zone) is
        # tracked and replayed by PgBouncer itself.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    # Concurrent web + worker writes on the demo database: wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# The streaming replica (partybuild/replicas.py says which reads go there, and when they
# don't). Absent: no replica, every query on the primary.
if env("REPLICA_DATABASE_URL", default="") and (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
):
    DATABASES["replica"] = env.db("REPLICA_DATABASE_URL")
    DATABASES["replica"]["OPTIONS"] = {
        # A replica gone away must not hold a page: a 2 s bound on connecting and on waiting
        # for a pooled connection, then the primary serves it.
        "connect_timeout": env.int("REPLICA_CONNECT_TIMEOUT", default=2),
        "pool": {
            "min_size": 0,
            "max_size": env.int("DB_POOL_MAX", default=10),
            "timeout": env.float("REPLICA_CONNECT_TIMEOUT", default=2),
        },
    }
    DATABASES["replica"]["CONN_MAX_AGE"] = 0
    if env.bool("REPLICA_POOLER", default=env.bool("DB_POOLER", default=False)):
        # The replica through its own PgBouncer in transaction mode (deploy/pgbouncer/): the
        # same rule as the primary's, no named cursor may outlive a transaction.
        DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Tests: the test database made on the primary reaches the replica by replication; Django
    # only points the alias at its name (on the replica's host and port).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["partybuild.replicas.ReplicaRouter"]
# Off: every read on the primary even with a replica configured (the test suite's default,
# whose tests read data their own transaction wrote; an operator rebuilding the replica).
REPLICA_READS = env.bool("REPLICA_READS", default=True)
# A replica further behind than this is not read (seconds since its last replayed commit,
# counted only while it has WAL it has not replayed).
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
# How often a process asks the replica its position and lag; how long it leaves a replica
# it could not reach before asking again.
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=1.0)
REPLICA_RETRY_SECONDS = env.float("REPLICA_RETRY_SECONDS", default=5.0)
# How long a report task waits for the replica to replay what was committed before it started,
# before reading the primary instead.
REPLICA_TASK_WAIT_SECONDS = env.float("REPLICA_TASK_WAIT_SECONDS", default=2.0)
# Longest a user's last write is remembered (the cookie's life); the lag bound takes over after.
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=300)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's SQLite lacks covering indexes and NULLS NOT DISTINCT; production and the
    # tests run PostgreSQL, where both exist, so the warnings say nothing useful there.
    SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W047"]

# --- Auth ---------------------------------------------------------------------
# django-axes first: it refuses a locked-out user before any password is checked.
AUTHENTICATION_BACKENDS = [
    "cells.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id first (new and changed passwords); the others only verify older hashes and are
# upgraded to Argon2 at the user's next login.
PASSWORD_HASHERS = [
    "partybuild.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's bare English "Forbidden" page becomes ours: Vietnamese, in the app's layout.
CSRF_FAILURE_VIEW = "partybuild.errors.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "cells:organization_tree"
LOGOUT_REDIRECT_URL = "login"

# Lockout (django-axes): AXES_FAILURE_LIMIT wrong passwords within AXES_COOLOFF_TIME lock
# that user name from that client address, until the cool-off ends or an administrator
# resets the password (cells.accounts.user_password_set). Never the address alone: a commune
# office, or everyone behind a carrier's NAT, shares one, and failures for other names must
# not lock out the administrators (#19, finding 3).
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address (django-ipware, which django-axes uses when installed; the audit's
# cells.security.client_ip asks axes the same). Behind the reverse proxy (production) it is
# the right-most X-Forwarded-For hop the trusted proxies did not add themselves: nginx
# appends the address it saw, so with TRUSTED_PROXIES=1 (nginx alone) it is the last entry
# and whatever a client wrote before it is ignored. Without a proxy only REMOTE_ADDR counts.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=IS_PRODUCTION)
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=1)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if BEHIND_PROXY else ["REMOTE_ADDR"]
)
AXES_IPWARE_PROXY_ORDER = "left-most"  # X-Forwarded-For lists the client first
# ipware counts the proxies whose addresses are *in* the header: all but the nearest one.
AXES_IPWARE_PROXY_COUNT = max(TRUSTED_PROXIES - 1, 0)
# A longer header than expected (a client's own X-Forwarded-For) is still read from the right.
IPWARE_STRICT = False

# Second factor (django-otp, TOTP): required of reviewers and administrators (Quy định
# 379-QĐ/TW). Without a device they are reminded for SECOND_FACTOR_GRACE_DAYS (counted from
# the latest of this policy's start, the account, the role and an administrator's reset of
# the device), then reach only the enrolment page; with one, every session must pass it.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="partybuild")
# The admin never shows a user's TOTP secret or its QR code (nor 500s on a missing device).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
SECOND_FACTOR_GRACE_DAYS = env.int("SECOND_FACTOR_GRACE_DAYS", default=14)
SECOND_FACTOR_REQUIRED_FROM = datetime.date.fromisoformat(
    env("SECOND_FACTOR_REQUIRED_FROM", default="2026-12-01")
)

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
FORMAT_MODULE_PATH = ["partybuild.formats"]

# --- Static files (installed from npm into node_modules, served by whitenoise) --
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/be-vietnam-pro", NODE_MODULES / "@fontsource" / "be-vietnam-pro"),
]
# The demo runs with DEBUG off (the Vietnamese error pages, no tracebacks) and no
# collectstatic: whitenoise then serves the files from where the finders find them.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Uploads --------------------------------------------------------------------
# Interchange files are small; refuse anything that could exhaust a worker.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# A few kilobytes of XLSX can unpack into gigabytes of rows (one of 645 KB held a worker for
# four minutes and 2.2 GB): the unpacked size, the rows and the cells are capped before and
# while the sheet is streamed. A commune's roster is ≈ 1,700 rows; a province imports by unit.
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=64 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=1_500_000)
# Errors kept on a job and listed on its page (the first ones, with the total count).
IMPORT_MAX_ERRORS = env.int("IMPORT_MAX_ERRORS", default=500)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Dashboard ------------------------------------------------------------------
# First year whose indicators are read from the per-unit tallies (earlier years are counted
# live: correct, slower). The last is always next year (assessments.indicators.tally).
INDICATOR_TALLY_FIRST_YEAR = env.int("INDICATOR_TALLY_FIRST_YEAR", default=2015)

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("in", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # kombu's default control folder is "control" in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "in"),
        "data_folder_out": str(_broker_dir / "in"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # Redis: a message taken by a worker that dies comes back after this many seconds.
    # Longer than CELERY_TASK_TIME_LIMIT, or a running task would be delivered twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=1800),
        "socket_timeout": 30,
        "socket_connect_timeout": 5,
        "health_check_interval": 30,
    }
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Sending a message while the broker is down fails after about a second instead of
# hanging the request; the job stays queued and the sweep sends it (partybuild.jobs).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
CELERY_TIMEZONE = TIME_ZONE

# --- Security -------------------------------------------------------------------
# Session timeout (cells.security.SessionTimeoutMiddleware): logged out after
# SESSION_IDLE_TIMEOUT seconds without a request (an unattended screen in a shared office),
# after SESSION_ABSOLUTE_TIMEOUT in any case, and when the browser closes.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=10 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): our own files only. No inline script or style
# anywhere (htmx's own indicator style is turned off in base.html and lives in app.css);
# images may be data: URIs because Bootstrap's CSS draws its small icons that way.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
    },
}

if IS_PRODUCTION:
    DEBUG = False  # never the debug pages in production, whatever DEBUG says
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env.list(
        "CSRF_TRUSTED_ORIGINS", default=[f"https://{host}" for host in ALLOWED_HOSTS]
    )
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every step of every PDF at INFO ("Step 2 - Fetching and parsing CSS");
    # its warnings (a missing font or image) still show. fontTools is as chatty.
    "loggers": {
        name: {"level": env("WEASYPRINT_LOG_LEVEL", default="WARNING")}
        for name in ("weasyprint", "weasyprint.progress", "fontTools")
    },
}

# --- Email (deadline reminders) ------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="partybuild <partybuild@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env("SITE_URL", default="")  # shown in reminder emails
RATING_REMINDERS_ENABLED = env.bool("RATING_REMINDERS_ENABLED", default=False)
RATING_REMINDER_DAYS = [int(d) for d in env.list("RATING_REMINDER_DAYS", default=["7", "3", "1"])]

# --- Generated files ---------------------------------------------------------------------
REPORT_FILES_MAX_AGE_DAYS = env.int("REPORT_FILES_MAX_AGE_DAYS", default=7)
IMPORT_FILES_MAX_AGE_DAYS = env.int("IMPORT_FILES_MAX_AGE_DAYS", default=30)
# Most self-review forms (one page per member) in one PDF: past it, a unit's forms are asked
# for one cell at a time (WeasyPrint needs ~2 GB for 1,700 pages).
REPORT_MAX_FORMS = env.int("REPORT_MAX_FORMS", default=400)
# Pieces a long list (the proposals list of a unit) is cut into, rendered in parallel by the
# workers and joined (assessments.reports.pieces): a few per worker keeps them busy to the end.
REPORT_CUT_PIECES = env.int("REPORT_CUT_PIECES", default=6)
# Reports one person may have waiting or being prepared at once (the queue is shared).
REPORT_MAX_ACTIVE_PER_USER = env.int("REPORT_MAX_ACTIVE_PER_USER", default=5)
# Seconds a review list may spend recomputing stale round summaries (the rules over every
# member of a submitted unit, ≈ 0.15 s each) before leaving the rest to a worker and showing
# their progress: after a change to every round, recomputing all in the request took 33 s.
REVIEW_LIST_REFRESH_SECONDS = env.float("REVIEW_LIST_REFRESH_SECONDS", default=2.0)
