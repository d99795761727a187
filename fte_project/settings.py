"""Settings for Customer Success FTE. Every value comes from the environment.

Defaults are chosen so that one machine with no accounts and no keys runs the whole
system (``make run``): embedded PostgreSQL, the offline model, local embeddings and
channels in sandbox mode. ``.env.example`` lists every variable.
"""
from __future__ import annotations

from pathlib import Path

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
    "drf_spectacular",
    "crm",
    "channels_app",
    "agent_app",
    "desk",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DATABASE_URL = env("DATABASE_URL")
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
    # DRF's defaults, with a JSON parser that refuses too-deep nesting instead of a 500.
    "DEFAULT_PARSER_CLASSES": [
        "fte_project.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer Success FTE API",
    "DESCRIPTION": "Intake endpoints for the web support form and channel webhooks.",
    "VERSION": "1.0.0",
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
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "kafka": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "openai": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
    },
}

# --- Email (staff notifications) ---------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD")
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
KAFKA_TOPIC_PREFIX = env("KAFKA_TOPIC_PREFIX", "")  # lets parallel test runs share one broker
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
CELERY_BEAT_SCHEDULE = {
    # Breached SLAs are marked, staff notified and urgency raised within a minute.
    "mark-sla-breaches": {"task": "crm.mark_sla_breaches", "schedule": envfloat("SLA_CHECK_SECONDS", 60.0)},
    # Messages whose worker died mid-task go back to the queue once their lease runs out.
    "requeue-stalled-messages": {"task": "agent_app.requeue_stalled", "schedule": 60.0},
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
# The offline model answers only from a passage at least this similar to the question.
AGENT_ANSWER_MIN_SIMILARITY = envfloat("AGENT_ANSWER_MIN_SIMILARITY", 0.38)
KB_MIN_RELEVANCE = envfloat("KB_MIN_RELEVANCE", 0.35)
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

# --- Demo -------------------------------------------------------------------------------
DEMO_ADMIN_USERNAME = env("DEMO_ADMIN_USERNAME", "admin")
DEMO_ADMIN_PASSWORD = secret("DEMO_ADMIN_PASSWORD")
