"""Settings for Customer Success FTE. Every value comes from the environment.

Defaults are chosen so that one machine with no accounts and no keys runs the whole
system (``make run``): embedded PostgreSQL, the offline model, local embeddings and
channels in sandbox mode. ``.env.example`` lists every variable.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from fte_project.env import env, envbool, envfloat, envint, envlist, load_env_files, secret

BASE_DIR = Path(__file__).resolve().parent.parent
if not envbool("FTE_NO_ENV_FILES", False):
    load_env_files(BASE_DIR / ".env", BASE_DIR / "var" / "dev-secrets.env", BASE_DIR / "var" / "run.env")

DEBUG = envbool("DEBUG", False)
# Development mode is what `make run` and the tests use; it is the only place where a
# secret may fall back to a throwaway value.
DEV_MODE = envbool("FTE_DEV_MODE", False)


def _required_secret(name: str, dev_default: str) -> str:
    value = secret(name)
    if value:
        return value
    if DEV_MODE or DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set (or {name}_FILE) outside development mode")


SECRET_KEY = _required_secret("SECRET_KEY", "dev-insecure-secret-key-change-me")
# Earlier keys still accepted for signatures (sessions, ticket links) while a new one rolls out.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if envbool("BEHIND_PROXY", False):
    USE_X_FORWARDED_HOST = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Served over https: the staff session and CSRF cookies never travel in clear text.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PUBLIC_BASE_URL.startswith("https://")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files
    "axes",
    "csp",
    "crm",
    "channels_app",
    "agent_app",
    "desk",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a locked-out login into the lockout page (see AXES_* below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fte_project.urls"
WSGI_APPLICATION = "fte_project.wsgi.application"
ASGI_APPLICATION = "fte_project.asgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------
DATABASE_URL = secret("DATABASE_URL")  # it carries the password: NAME_FILE works too
if DATABASE_URL:
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
else:
    from fte_project import embedded_pg

    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env("EMBEDDED_DB_NAME", "postgres"),
            "USER": "postgres",
            "HOST": str(embedded_pg.ensure_running()),
            # Keep connections, as with DATABASE_URL: a new PostgreSQL backend per web
            # request or Celery task costs more than the work of a webhook.
            "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", 60),
        }
    }
# A kept connection is checked before reuse, so one that a database restart broke is
# replaced instead of failing the next request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DB_NAME", "test_fte")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Staff sign-in throttling (django-axes): after ADMIN_LOGIN_MAX_FAILURES wrong passwords in a
# row for one username from one address, that pair is refused for ADMIN_LOGIN_LOCKOUT_MINUTES
# (each attempt during the lock restarts it), before any password is checked. Counted in
# the database, so every web process sees the same count. Lockout by the pair, not by the
# username alone: a guesser elsewhere cannot lock the real person out. `manage.py
# axes_reset` (or axes_reset_username USERNAME) lifts locks at once.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("ADMIN_LOGIN_MAX_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("ADMIN_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "fte_project.client_ip.client_ip_address"  # the same address the API throttles count
AXES_LOCKOUT_CALLABLE = "fte_project.login_lockout.lockout_response"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Bodies above this are refused with 413/400 before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("MAX_REQUEST_BYTES", 256 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fte_project.api_errors.api_exception_handler",
    # DRF's defaults, with JSON read as UTF-8 and refusing too-deep nesting, and forms refusing
    # a charset other than UTF-8 (each was a 500).
    "DEFAULT_PARSER_CLASSES": [
        "fte_project.parsers.SafeJSONParser",
        "fte_project.parsers.SafeFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only (no browsable API), and never a 500 for text UTF-8 cannot encode.
    "DEFAULT_RENDERER_CLASSES": ["fte_project.renderers.SafeJSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer Success FTE API",
    "DESCRIPTION": "Intake endpoints for the web support form and channel webhooks, and the management API "
                   "(token authentication, Support managers only).",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No online validator badge: it would send our schema's URL to a third party.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Content-Security-Policy on every response (django-csp). Scripts only from our own files:
# the admin, the desk, the support page and Swagger UI have no inline script, so injected
# markup cannot run script even if escaping ever failed. Inline styles stay allowed because
# Django's admin and the desk use style attributes and <style> blocks; the support page
# replaces style-src with 'self' (channels_app.views.support_page). No framing, no plugins,
# no <base>, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Cache -------------------------------------------------------------------------
# One cache shared by every process: the rate limits count in it, so a per-process cache
# would multiply each limit by the number of web workers. CACHE_URL (or CACHE_URL_FILE):
# redis://, rediss:// or unix:// (a Redis socket) for Redis; unset, the table
# ``fte_cache`` in PostgreSQL (channels_app's migration creates it); ``locmem://`` is a
# per-process cache that the system check ``channels_app.E001`` refuses outside
# development mode.
CACHE_URL = secret("CACHE_URL")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL in ("", "db://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "fte_cache",
                          # Culling counts the table on every write; throttle keys are short-lived.
                          "OPTIONS": {"MAX_ENTRIES": 100_000}}}
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fte-default"}}
else:
    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r}: use redis://, rediss://, unix://, db:// or locmem://")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Every line is redacted: no credential in a URL or header, no customer phone number.
    "filters": {"redact": {"()": "fte_project.redaction.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's request log (the full URL, query string included) goes through it too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "kafka": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "openai": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
    },
}

# --- Email (staff notifications) ---------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where the file-based backend writes each mail (a demo or test that reads what was sent).
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Loomline Support <support@loomline.example>")
STAFF_NOTIFY_EMAIL = env("STAFF_NOTIFY_EMAIL", "support-leads@loomline.example")

# --- CRM behaviour ----------------------------------------------------------------
CONVERSATION_WINDOW_HOURS = envint("CONVERSATION_WINDOW_HOURS", 24)
DEFAULT_PHONE_REGION = env("DEFAULT_PHONE_REGION", "")  # e.g. "DE"; empty: numbers must start with +
HISTORY_LIMIT = envint("HISTORY_LIMIT", 20)

# --- Kafka and the outbox ------------------------------------------------------------
KAFKA_BOOTSTRAP_SERVERS = env("KAFKA_BOOTSTRAP_SERVERS")  # empty: events go straight to Celery
KAFKA_TOPIC_PARTITIONS = envint("KAFKA_TOPIC_PARTITIONS", 3)
KAFKA_REPLICATION_FACTOR = envint("KAFKA_REPLICATION_FACTOR", 1)
KAFKA_CONSUMER_GROUP = env("KAFKA_CONSUMER_GROUP", "fte-bridge")
KAFKA_METRICS_CONSUMER_GROUP = env("KAFKA_METRICS_CONSUMER_GROUP", "fte-metrics")
KAFKA_TOPIC_PREFIX = env("KAFKA_TOPIC_PREFIX", "")  # lets parallel test runs share one broker
# Managed Kafka: TLS and SASL (PLAINTEXT on loopback by default).
KAFKA_SECURITY_PROTOCOL = env("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
KAFKA_SASL_MECHANISM = env("KAFKA_SASL_MECHANISM")
KAFKA_SASL_USERNAME = env("KAFKA_SASL_USERNAME")
KAFKA_SASL_PASSWORD = secret("KAFKA_SASL_PASSWORD")
KAFKA_SSL_CAFILE = env("KAFKA_SSL_CAFILE")
OUTBOX_RELAY_INTERVAL = envfloat("OUTBOX_RELAY_INTERVAL", 0.1)
OUTBOX_RETENTION_HOURS = envint("OUTBOX_RETENTION_HOURS", 72)

# --- Health thresholds ------------------------------------------------------------
# Past any of these, /health answers 200 "degraded" (and names the check): the system
# works but is behind. A dependency that does not answer is 503 "failing".
HEALTH_MAX_BACKLOG = envint("HEALTH_MAX_BACKLOG", 500)
HEALTH_MAX_BACKLOG_AGE = envint("HEALTH_MAX_BACKLOG_AGE", 300)
HEALTH_MAX_DLQ = envint("HEALTH_MAX_DLQ", 0)
HEALTH_DLQ_WINDOW_HOURS = envint("HEALTH_DLQ_WINDOW_HOURS", 24)
HEALTH_MAX_BRIDGE_LAG = envint("HEALTH_MAX_BRIDGE_LAG", 1000)
HEALTH_GMAIL_WATCH_MIN_HOURS = envint("HEALTH_GMAIL_WATCH_MIN_HOURS", 24)

# --- Celery -------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "fte")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task whose worker died is handed out again after this long; keep it above the
    # longest task so a slow task is not run twice while alive.
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 600),
    # Redis: look for such tasks on every 10-second tick instead of kombu's every tenth
    # (one ZRANGE per worker; a task of a killed worker is back within the timeout + 10 s,
    # not + 100 s).
    "unacked_restore_throttle": 1,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # `make run` without a broker: kombu's filesystem transport, one folder as the queue.
    _broker_dir = BASE_DIR / "var" / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS.update({
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange bindings; kombu's default is ./control, which lands in the checkout.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # kombu polls the folder once a second per worker process by default: about 2
        # messages a second for two processes, however fast the task (make run's fallback).
        "polling_interval": 0.1,
    })
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_MAX_RETRIES = envint("CELERY_TASK_MAX_RETRIES", 5)
CELERY_RETRY_BACKOFF_CAP = envint("CELERY_RETRY_BACKOFF_CAP", 300)
# A claim on an inbound message expires after this long, so a task whose worker was
# killed can be claimed again by the redelivered task.
PROCESSING_LEASE_SECONDS = envint("PROCESSING_LEASE_SECONDS", 300)
# An inbound message handed on this long ago and never claimed lost its task (a broker
# that restarted empty, a task that could not reach the database): the sweep queues it again.
RECEIVED_STALL_SECONDS = envint("RECEIVED_STALL_SECONDS", 600)
# A reply still "pending" this long after it was recorded lost its delivery task (the
# broker refused it, or its worker died): the sweep queues it again.
DELIVERY_STALL_SECONDS = envint("DELIVERY_STALL_SECONDS", 300)
CELERY_TIMEZONE = TIME_ZONE
DAILY_REPORT_HOUR = envint("DAILY_REPORT_HOUR", 7)
CELERY_BEAT_SCHEDULE = {
    # Yesterday's report, stored and emailed to the Support managers, every morning in TIME_ZONE.
    "daily-report": {"task": "reporting.daily_report",
                     "schedule": crontab(hour=DAILY_REPORT_HOUR, minute=0)},
    # Rollups of figures that change without an fte.metrics event (staff work, SLA breaches,
    # the quiet days that turn an AI answer into an assumed resolution).
    "refresh-rollups": {"task": "reporting.refresh_rollups", "schedule": envfloat("ROLLUP_REFRESH_SECONDS", 300.0)},
    # Breached SLAs are marked, staff notified and urgency raised within a minute.
    "mark-sla-breaches": {"task": "crm.mark_sla_breaches", "schedule": envfloat("SLA_CHECK_SECONDS", 60.0)},
    # Messages whose worker died mid-task go back to the queue once their lease runs out.
    "requeue-stalled-messages": {"task": "agent_app.requeue_stalled", "schedule": 60.0},
    # Tickets waiting on the customer longer than TICKET_AUTO_CLOSE_PENDING_DAYS are closed.
    "close-stale-pending-tickets": {"task": "crm.close_stale_pending", "schedule": 3600.0},
    # Replies whose delivery task was lost are handed to it again.
    "deliver-stalled-replies": {"task": "channels_app.deliver_stalled", "schedule": 60.0},
    # Gmail's watch lapses after 7 days; renewing daily keeps a margin for failures.
    "renew-gmail-watch": {"task": "channels_app.gmail_watch_renew", "schedule": 24 * 3600.0},
}

# --- Agent and models ------------------------------------------------------------------
OPENAI_API_KEY = secret("OPENAI_API_KEY")
OPENAI_BASE_URL = env("OPENAI_BASE_URL")
AGENT_MODEL = env("AGENT_MODEL", "gpt-4o")
AGENT_TRACING = envbool("AGENT_TRACING", False)
AGENT_MAX_TURNS = envint("AGENT_MAX_TURNS", 12)
EMBEDDING_BACKEND = env("EMBEDDING_BACKEND", "local")  # local | openai
EMBEDDING_MODEL = env("EMBEDDING_MODEL", "text-embedding-3-small")
EMBEDDING_DIMENSION = envint("EMBEDDING_DIMENSION", 384)
# Model API failures (timeouts, 5xx, rate limits past the client's retries) on this many attempts of a
# message: the offline model answers it instead, under the same guards.
AGENT_FALLBACK_AFTER_ATTEMPTS = envint("AGENT_FALLBACK_AFTER_ATTEMPTS", 2)
KB_MIN_RELEVANCE = envfloat("KB_MIN_RELEVANCE", 0.35)
# Public Help Centre; answers link to HELP_CENTRE_URL/articles/<slug>.
HELP_CENTRE_URL = env("HELP_CENTRE_URL", "https://help.loomline.example")
KB_HNSW_EF_SEARCH = envint("KB_HNSW_EF_SEARCH", 80)

# --- Channels -------------------------------------------------------------------------
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = _required_secret("TWILIO_AUTH_TOKEN", "dev-twilio-auth-token")
TWILIO_WHATSAPP_NUMBER = env("TWILIO_WHATSAPP_NUMBER", "whatsapp:+14155238886")
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL")  # tests point the client at a local fake
TWILIO_WHATSAPP_TEMPLATE_SID = env("TWILIO_WHATSAPP_TEMPLATE_SID")
GMAIL_ADDRESS = env("GMAIL_ADDRESS", "support@loomline.example")
GMAIL_SENDER_NAME = env("GMAIL_SENDER_NAME", "Loomline Support")
GMAIL_CREDENTIALS_FILE = env("GMAIL_CREDENTIALS_FILE")
GMAIL_API_ENDPOINT = env("GMAIL_API_ENDPOINT")  # tests point the client at a local fake
GMAIL_PUBSUB_TOPIC = env("GMAIL_PUBSUB_TOPIC")
GMAIL_PUSH_AUDIENCE = env("GMAIL_PUSH_AUDIENCE")
GMAIL_PUSH_SERVICE_ACCOUNT = env("GMAIL_PUSH_SERVICE_ACCOUNT")
GMAIL_PUSH_SHARED_SECRET = _required_secret("GMAIL_PUSH_SHARED_SECRET", "dev-gmail-push-secret")
TWILIO_HTTP_TIMEOUT = envfloat("TWILIO_HTTP_TIMEOUT", 15)
GMAIL_PUSH_CERTS_URL = env("GMAIL_PUSH_CERTS_URL")  # tests serve Google's certificates locally
GMAIL_FULL_SYNC_MAX = envint("GMAIL_FULL_SYNC_MAX", 50)
GMAIL_FULL_SYNC_DAYS = envint("GMAIL_FULL_SYNC_DAYS", 3)
GMAIL_HISTORY_PAGE_SIZE = envint("GMAIL_HISTORY_PAGE_SIZE", 100)
GMAIL_API_RETRIES = envint("GMAIL_API_RETRIES", 2)
GMAIL_HTTP_TIMEOUT = envfloat("GMAIL_HTTP_TIMEOUT", 20)
WEBFORM_STATUS_RATE = env("WEBFORM_STATUS_RATE", "1200/hour")
WEBFORM_RATE_PER_IP = env("WEBFORM_RATE_PER_IP", "20/hour")
WEBFORM_RATE_PER_EMAIL = env("WEBFORM_RATE_PER_EMAIL", "10/hour")
# How long a signed link to a ticket's page (/support/?ticket=…&token=…) opens it.
SUPPORT_LINK_MAX_AGE_DAYS = envint("SUPPORT_LINK_MAX_AGE_DAYS", 30)

# --- Human desk -------------------------------------------------------------------------
SLA_HOURS = {
    "urgent": envfloat("SLA_HOURS_URGENT", 1),
    "high": envfloat("SLA_HOURS_HIGH", 4),
    "normal": envfloat("SLA_HOURS_NORMAL", 8),
    "low": envfloat("SLA_HOURS_LOW", 24),
}
# WhatsApp customers expect faster answers; email a little slower.
SLA_CHANNEL_FACTOR = {
    "whatsapp": envfloat("SLA_FACTOR_WHATSAPP", 0.5),
    "web_form": envfloat("SLA_FACTOR_WEB_FORM", 1.0),
    "email": envfloat("SLA_FACTOR_EMAIL", 1.0),
}
# Empty: SLA clocks run around the clock. "mon-fri 08:00-18:00": they count only then,
# in SLA_TIME_ZONE, except for the urgencies listed as always on.
SLA_BUSINESS_HOURS = env("SLA_BUSINESS_HOURS", "")
SLA_TIME_ZONE = env("SLA_TIME_ZONE") or TIME_ZONE
SLA_ALWAYS_ON_URGENCIES = envlist("SLA_ALWAYS_ON_URGENCIES", "urgent")
# After the first staff reply the resolution target runs, counted from that reply.
SLA_RESOLUTION_HOURS = {
    "urgent": envfloat("SLA_RESOLUTION_HOURS_URGENT", 8),
    "high": envfloat("SLA_RESOLUTION_HOURS_HIGH", 24),
    "normal": envfloat("SLA_RESOLUTION_HOURS_NORMAL", 48),
    "low": envfloat("SLA_RESOLUTION_HOURS_LOW", 120),
}
# "Waiting on customer" always pauses the SLA clock; "on hold" only when this is set.
SLA_PAUSE_ON_HOLD = envbool("SLA_PAUSE_ON_HOLD", False)
# A ticket waiting on the customer this many days is closed (0: never).
TICKET_AUTO_CLOSE_PENDING_DAYS = envint("TICKET_AUTO_CLOSE_PENDING_DAYS", 7)
# Email staff when a ticket reaches the desk: its assignee, else the "Support staff" group.
ESCALATION_EMAIL_NOTIFY = envbool("ESCALATION_EMAIL_NOTIFY", True)

# --- Reports and the management API ------------------------------------------------------
# Estimated model cost: US dollars per million tokens (prompt and completion together), per
# model name as recorded on each agent run; models not listed cost nothing (the offline model).
def _prices(name: str, default: str) -> dict[str, float]:
    prices = {}
    for item in envlist(name, default):
        model, _, price = item.partition("=")
        try:
            prices[model.strip()] = float(price)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not model=price (e.g. gpt-4o=5.0)") from None
    return prices


MODEL_PRICES_USD_PER_MTOK = _prices("MODEL_PRICES_USD_PER_MTOK", "gpt-4o=5.0,gpt-4o-mini=0.3,gpt-4.1=4.0,gpt-4.1-mini=0.8")
COST_YEARLY_TARGET_USD = envfloat("COST_YEARLY_TARGET_USD", 1000.0)
ESCALATION_RATE_TARGET = envfloat("ESCALATION_RATE_TARGET", 0.20)
# An AI answer nobody replied to or reopened within this many days counts as an assumed resolution.
AI_RESOLUTION_QUIET_DAYS = envint("AI_RESOLUTION_QUIET_DAYS", 7)
MANAGEMENT_API_RATE = env("MANAGEMENT_API_RATE", "600/hour")
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"management": MANAGEMENT_API_RATE}

# --- Demo -------------------------------------------------------------------------------
DEMO_ADMIN_USERNAME = env("DEMO_ADMIN_USERNAME", "admin")
DEMO_ADMIN_PASSWORD = secret("DEMO_ADMIN_PASSWORD")
