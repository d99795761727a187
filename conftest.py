"""Test-wide setup. Tests run in development mode against a real PostgreSQL."""
import os

os.environ.setdefault("FTE_DEV_MODE", "1")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
