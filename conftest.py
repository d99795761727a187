"""Test-wide setup. Tests run in development mode against a real PostgreSQL."""
import os

os.environ.setdefault("FTE_DEV_MODE", "1")
# Tests are hermetic: no developer .env or make-run secrets leak in.
os.environ.setdefault("FTE_NO_ENV_FILES", "1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
# The Celery app of the test process talks to the test Redis database.
os.environ["CELERY_BROKER_URL"] = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)
