"""Settings for the 一件事 engine, read from the environment.

Defaults give the embedded setup (SQLite under var/, kombu's filesystem broker) so that
``make run`` works on a bare machine; production points DATABASE_URL at PostgreSQL and
CELERY_BROKER_URL at Redis. See README.md, "Configuration".
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ONETHING_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# The development defaults of the secrets are listed in onething/common/secret_policy.py,
# with every other demo secret; DEBUG off refuses them (below, "Production").
from onething.common.secret_policy import DEFAULT_SECRET_KEY, DEMO_DATAHUB_KEY  # noqa: E402

SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our static files, not a CDN
    "onething.common",
    "onething.audit",
    "onething.accounts",
    "onething.catalog",
    "onething.notice",
    "onething.apply",
    "onething.cases",
    "onething.issuance",
    "onething.oversight",
    "onething.workdays",
    "onething.notifications",
    "onething.intake",
    "onething.processing",
    "onething.operations",
    "onething.tracking",
    "onething.kiosk",
]

MIDDLEWARE = [
    "onething.operations.middleware.RequestContextMiddleware",
    "onething.common.middleware.ApiInputMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "onething.common.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "onething.common.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "onething.kiosk.middleware.KioskSessionMiddleware",  # a terminal session ends when idle or left
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as django-axes requires: turns a lock-out flagged during the request into its answer
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "onething.urls"

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
                "onething.notifications.context_processors.unread_messages",
            ],
        },
    },
]

WSGI_APPLICATION = "onething.wsgi.application"

# --- Database -------------------------------------------------------------------
# SQLite runs in WAL mode with IMMEDIATE transactions so that the web process and the
# Celery worker can write side by side without "database is locked" on upgrade.
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'onething.sqlite3'}")
# PostgreSQL connections are kept for a minute and reused (a new backend costs several ms
# of server CPU per request or task); SQLite opens its file cheaply each time.
_CONN_MAX_AGE_DEFAULT = "0" if DATABASE_URL.startswith("sqlite") else "60"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", _CONN_MAX_AGE_DEFAULT)),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # the same backend, whose health check skips a connection used within the last second
    # (onething/common/dbbackends/postgresql/base.py): no `SELECT 1` per request under load
    DATABASES["default"]["ENGINE"] = "onething.common.dbbackends.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery ----------------------------------------------------------------------
# Default: kombu's filesystem transport (no server). Production: redis://host:6379/0.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_URL = "filesystem://localhost/"  # the same transport; a host name keeps kombu from warning
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
else:
    # Keep every countdown below this (see docs/processing.md): a message not acked
    # within it is delivered again.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_VISIBILITY_TIMEOUT = 3600
CELERY_TASK_ROUTES = {
    "processing.dispatch_item_case": {"queue": "dispatch"},
    "processing.apply_callback": {"queue": "callbacks"},
    "notifications.deliver": {"queue": "notifications"},
    "processing.*": {"queue": "maintenance"},
    "intake.*": {"queue": "maintenance"},
    "apply.*": {"queue": "maintenance"},
    "notifications.*": {"queue": "maintenance"},
    "issuance.*": {"queue": "callbacks"},  # collecting results is part of answering a department
    "oversight.*": {"queue": "maintenance"},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker that loses its broker connection exits instead of reconnecting: with late acks
# a reconnected worker can keep the old deliveries' prefetch slots and silently stop
# consuming. The process supervisor (compose's restart policy, systemd) starts a fresh
# one; unacked messages come back and the reconciliation finds anything lost.
CELERY_BROKER_CONNECTION_RETRY = env_bool("CELERY_BROKER_CONNECTION_RETRY", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "purge-expired-drafts": {"task": "apply.purge_expired_drafts", "schedule": 3600.0},
    "reconcile-notifications": {"task": "notifications.reconcile", "schedule": 300.0},
    "remind-deferred-materials": {"task": "intake.remind_deferred_materials", "schedule": 3600.0},
    "reconcile-item-cases": {"task": "processing.reconcile", "schedule": 60.0},
    "mark-time-limits": {"task": "processing.mark_time_limits", "schedule": 900.0},
    "mark-overdue-rectifications": {"task": "oversight.mark_overdue_rectifications", "schedule": 900.0},
    "compact-dashboard-ledgers": {"task": "oversight.dashboard_compact", "schedule": 300.0},
    "reconcile-licences": {"task": "issuance.reconcile", "schedule": 300.0},
}
CELERY_TIMEZONE = "Asia/Shanghai"

# --- Cache: the sign-up throttle's counters (onething/accounts/throttling.py), sessions --------
# Redis when CACHE_URL (or else the Celery broker) is Redis, so that every web process shares
# the counts; otherwise each process counts in its own memory (`make run` has one web process).
CACHE_URL = os.environ.get(
    "CACHE_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else ""
)
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "onething",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "onething"}}
# Sessions: read from the shared cache, written through to the database (one SQL statement
# less on every authenticated request). Only with a shared cache: a per-process one would
# keep a session another process ended (log-out) alive in this one.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHE_URL.startswith(("redis://", "rediss://"))
    else "django.contrib.sessions.backends.db"
)

# --- Auth ------------------------------------------------------------------------
# Every place that sets a password (sign-up, the admin's forms, Django's password change) runs
# these with the user whose identity fields are filled in, so a password like the ID number,
# the name or the mobile number, or one of digits only, is refused.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {
            "user_attributes": ("id_number", "full_name", "mobile", "username", "email", "first_name", "last_name")
        },
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out login before the password is checked, on every
# path that calls django.contrib.auth.authenticate (login page, API, /admin/login/).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/my/"

# --- Internationalisation --------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- REST framework and OpenAPI --------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "EXCEPTION_HANDLER": "onething.common.api.exception_handler",
    # JSON only in production; the browsable API (HTML pages of every endpoint) with DEBUG on
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    # JSON with the body and depth limits below (onething/common/limits.py)
    "DEFAULT_PARSER_CLASSES": [
        "onething.common.limits.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "一件事 One Thing API",
    "DESCRIPTION": "Catalogue, one-time notice (一次告知) and the services of the 一件事 engine.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The UI's scripts, styles and favicon from our own static files (drf-spectacular-sidecar,
    # pinned in requirements.txt): no CDN, works on a network without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Applications, uploads and the data hub -------------------------------------
DRAFT_LIFETIME_DAYS = int(os.environ.get("DRAFT_LIFETIME_DAYS", "30"))
UPLOAD_ROOT = Path(os.environ.get("UPLOAD_ROOT", VAR_DIR / "uploads"))  # outside the web root
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
# Per applicant (citizen, enterprise): what they may upload within a window, and how many
# open drafts they may hold across bundles (docs/security.md, "Secrets, storage and logs").
UPLOAD_QUOTA_BYTES = int(os.environ.get("UPLOAD_QUOTA_BYTES", str(200 * 1024 * 1024)))
UPLOAD_QUOTA_WINDOW_HOURS = int(os.environ.get("UPLOAD_QUOTA_WINDOW_HOURS", "24"))
DRAFT_QUOTA = int(os.environ.get("DRAFT_QUOTA", "20"))
# The anonymous one-time notice PDF, cached per bundle version, answers and language.
NOTICE_PDF_CACHE_SECONDS = int(os.environ.get("NOTICE_PDF_CACHE_SECONDS", "3600"))
VIRUS_SCANNER = os.environ.get("VIRUS_SCANNER", "onething.apply.uploads.NotScanning")
DATAHUB_URL = os.environ.get("DATAHUB_URL", "http://127.0.0.1:8701")
DATAHUB_KEY = os.environ.get("DATAHUB_KEY", DEMO_DATAHUB_KEY)
DATAHUB_CLIENT_ID = os.environ.get("DATAHUB_CLIENT_ID", "onething")
DATAHUB_TIMEOUT = float(os.environ.get("DATAHUB_TIMEOUT", "2.0"))

# --- Login throttling: django-axes, one counter for every way in (docs/security.md) -----------
# Locked out after LOGIN_FAILURE_LIMIT failures for one identity (whatever its case) or
# LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, until LOGIN_FAILURE_WINDOW_MINUTES
# after the last counted failure; an administrator lifts a lock-out early in the admin
# (Axes → Access attempts: delete the rows) or with `manage.py axes_reset_username <identity>`.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
# per address: higher, since a whole service centre may share one address behind NAT
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
# Sign-up (start and verify, each): requests per client address and per identity, in DRF's
# rate format ("20/hour"); docs/security.md, "Sign-up and claim".
SIGNUP_THROTTLE_RATES = {
    "address": os.environ.get("SIGNUP_RATE_PER_ADDRESS", "20/hour"),
    "identity": os.environ.get("SIGNUP_RATE_PER_IDENTITY", "10/hour"),
}

AXES_ENABLED = True
AXES_HANDLER = "onething.accounts.throttle.LoginThrottleHandler"  # axes' database handler, a limit per parameter
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # per identity, and per address
AXES_FAILURE_LIMIT = "onething.accounts.throttle.failure_limit"  # LOGIN_FAILURE_LIMIT, read per request
AXES_COOLOFF_TIME = "onething.accounts.throttle.cool_off"  # LOGIN_FAILURE_WINDOW_MINUTES
AXES_USERNAME_CALLABLE = "onething.accounts.throttle.identity_key"  # `identity` or `username`, stripped, upper
AXES_CLIENT_IP_CALLABLE = "onething.accounts.throttle.client_address"  # REMOTE_ADDR, never a forwarded header
AXES_LOCKOUT_CALLABLE = "onething.accounts.throttle.lockout_response"  # bilingual page or the API error format
AXES_RESET_ON_SUCCESS = True  # a successful login forgets the identity's failures (not the address's)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # tries while locked out do not prolong it
AXES_ENABLE_ADMIN = False  # onething.accounts.admin registers them with the identity masked
AXES_SENSITIVE_PARAMETERS = ["username", "identity", "password", "ip_address"]
AXES_HTTP_RESPONSE_CODE = 429

# Self-service terminals (自助终端, onething/kiosk, docs/kiosk.md). The card reader: a name of
# onething.kiosk.readers.registry or a class path; "simulated" (the typed number stands for the
# card) only with DEBUG on unless set, empty = terminals identify nobody.
KIOSK_CARD_READER = os.environ.get("KIOSK_CARD_READER", "simulated" if DEBUG else "")
KIOSK_IDLE_SECONDS = int(os.environ.get("KIOSK_IDLE_SECONDS", "120"))  # a terminal session ends after this idle time
KIOSK_WARNING_SECONDS = int(os.environ.get("KIOSK_WARNING_SECONDS", "30"))  # "即将退出" shown this long before
KIOSK_HANDOVER_IDLE_SECONDS = int(os.environ.get("KIOSK_HANDOVER_IDLE_SECONDS", "600"))  # on the application form
KIOSK_IDENTIFY_RATE = os.environ.get("KIOSK_IDENTIFY_RATE", "10/min")  # identification attempts per terminal

# --- One network: dispatch to departments ------------------------------------------
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
DEPARTMENT_SERVICE_URL = os.environ.get("DEPARTMENT_SERVICE_URL", "http://127.0.0.1:8702")  # services/department
CALLBACK_BASE_URL = os.environ.get("CALLBACK_BASE_URL", PUBLIC_BASE_URL)  # where departments call back
DEPARTMENT_TIMEOUT = float(os.environ.get("DEPARTMENT_TIMEOUT", "5.0"))
# The department protocol's body limit (docs/department-protocol.md §1: at most 2 MiB): a
# submission whose item data would not fit is refused, and the client never sends more.
DEPARTMENT_MAX_BODY_BYTES = 2 * 1024 * 1024
DISPATCH_MAX_ATTEMPTS = int(os.environ.get("DISPATCH_MAX_ATTEMPTS", "6"))
DISPATCH_BACKOFF_BASE_SECONDS = float(os.environ.get("DISPATCH_BACKOFF_BASE_SECONDS", "2"))
DISPATCH_BACKOFF_MAX_SECONDS = float(os.environ.get("DISPATCH_BACKOFF_MAX_SECONDS", "300"))
RECONCILE_STALE_SECONDS = int(os.environ.get("RECONCILE_STALE_SECONDS", "120"))
POLL_AFTER_SECONDS = int(os.environ.get("POLL_AFTER_SECONDS", "300"))
CALLBACK_REPLAY_WINDOW_SECONDS = 300

# --- Input limits and error format (docs/security.md) ---------------------------------
# Paths answered in the API's JSON error format, whatever the error (4xx or 5xx, DEBUG on or off).
API_PATH_PREFIXES = ["/api/"]
# Largest body of an API request (JSON or form); multipart bodies (file uploads) may be up to
# DATA_UPLOAD_MAX_MEMORY_SIZE, the department callbacks up to the protocol's 2 MiB. Larger: 413.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024)))
API_BODY_LIMITS = {"/api/processing/callbacks/": DEPARTMENT_MAX_BODY_BYTES}
# Deepest nesting of arrays/objects in a JSON body; deeper: 400 too_deep.
JSON_MAX_DEPTH = int(os.environ.get("JSON_MAX_DEPTH", "64"))

# --- Ratings (好差评) and rectification (整改) ----------------------------------------
# A citizen may change a rating for this many calendar days after first submitting it.
RATING_EDIT_DAYS = int(os.environ.get("RATING_EDIT_DAYS", "7"))
# A rectification opened by a bad rating is due this many working days after it opened.
RECTIFICATION_DEADLINE_WORKING_DAYS = int(os.environ.get("RECTIFICATION_DEADLINE_WORKING_DAYS", "5"))

# --- Fonts for PDFs --------------------------------------------------------------
# A TrueType CJK font that reportlab embeds into every PDF (see onething/common/pdf.py).
# The repo ships WenQuanYi Micro Hei (Apache-2.0), so PDFs work on a machine with no CJK font.
CJK_FONT_PATHS = env_list(
    "CJK_FONT_PATHS",
    f"{BASE_DIR / 'onething' / 'common' / 'fonts' / 'wqy-microhei.ttc'},"
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc,"
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc,"
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)

# Mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "一件事 <noreply@onething.example>")

# --- Production: secrets, HTTPS, content security policy, health, metrics, logs ---------
# See docs/operations.md. `make run` and the tests keep DEBUG on and need none of this.
# Secrets stored in the database (department secrets) are encrypted with this key (Fernet;
# several, comma separated, the first encrypting: onething/common/secretbox.py). With DEBUG
# on and none set, a key derived from SECRET_KEY.
SECRETS_ENCRYPTION_KEY = os.environ.get("SECRETS_ENCRYPTION_KEY", "").strip()
# With DEBUG off the engine refuses to start with a missing, short or demo SECRET_KEY, the
# demo DATAHUB_KEY or no SECRETS_ENCRYPTION_KEY (onething/common/secret_policy.py); demo
# department secrets in the database are refused by the system check onething.E001 and at
# the start of gunicorn and Celery (onething/operations/checks.py).
if not DEBUG:
    from onething.common.secret_policy import settings_problems

    _problems = settings_problems(secret_key=SECRET_KEY, datahub_key=DATAHUB_KEY, encryption_key=SECRETS_ENCRYPTION_KEY)
    if _problems:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(" ".join(_problems))
elif not SECRETS_ENCRYPTION_KEY:
    from onething.common.secret_policy import derived_key

    SECRETS_ENCRYPTION_KEY = derived_key(SECRET_KEY)

# Cookies only over HTTPS. SECURE_COOKIES=0 only for a plain-HTTP trial or load test.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# HSTS: a year by default in production; set SECURE_HSTS_SECONDS=300 for a first roll-out.
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)  # a decision for the domain's owner
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The TLS-terminating proxy redirects HTTP to HTTPS; turn this on when nothing in front does.
# Health and metrics stay reachable over plain HTTP from inside the network.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# Content security policy (onething.common.middleware.ContentSecurityPolicyMiddleware).
# Scripts only from our own static files; inline <style> blocks and style attributes of
# the templates, the admin and the SVG charts are allowed (docs/operations.md says why).
CSP_POLICY = os.environ.get(
    "CSP_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)
# A path prefix may get a policy of its own here. None needs one: the Swagger UI of
# /api/docs/ is served from our static files (drf-spectacular-sidecar) and loads its
# start-up script as a file (?script), so the site-wide policy holds there too.
CSP_PATH_POLICIES: dict[str, str] = {}
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)

# Behind PgBouncer in transaction pooling mode (docs/operations.md, connection budget).
if env_bool("DB_BEHIND_PGBOUNCER", False):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# Static files: hashed names and pre-compressed copies served by WhiteNoise. With DEBUG off,
# `manage.py collectstatic` must have run (the Dockerfile does): pages need its manifest.
if not DEBUG:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# /healthz (onething/operations/health.py) and /metrics (onething/operations/metrics.py).
HEALTHZ_TIMEOUT_SECONDS = float(os.environ.get("HEALTHZ_TIMEOUT_SECONDS", "1.0"))
HEALTHZ_CACHE_SECONDS = float(os.environ.get("HEALTHZ_CACHE_SECONDS", "5"))
# Bearer token for /metrics; without one, /metrics answers only with DEBUG on.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_WINDOW_SECONDS = int(os.environ.get("METRICS_WINDOW_SECONDS", "900"))  # dispatch latency, retries
METRICS_CACHE_SECONDS = float(os.environ.get("METRICS_CACHE_SECONDS", "10"))

# Logs to standard output. LOG_FORMAT=json: one JSON object per line with the case number,
# request id and task id (onething/operations/logging.py); "text" (default) for `make run`.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
# One log line per web request (method, path, status, duration); on with JSON logs.
ACCESS_LOG = env_bool("ACCESS_LOG", LOG_FORMAT == "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "onething.operations.logging.ContextFilter"},
        # ID and mobile numbers masked in every line, whoever logged them (docs/security.md)
        "personal_data": {"()": "onething.common.redaction.PersonalDataFilter"},
    },
    "formatters": {
        "json": {"()": "onething.operations.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(case_number)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context", "personal_data"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes: failures and lock-outs (WARNING), not its INFO line for every login
    "loggers": {"axes": {"level": os.environ.get("AXES_LOG_LEVEL", "WARNING")}},
}
