"""The Celery app. Workers, beat and the bridge all import it through Django settings."""
from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")

app = Celery("fte_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
