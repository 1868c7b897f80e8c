"""The Celery app: configured from Django settings (``CELERY_*``), tasks found in each app."""

from __future__ import annotations

import os

from celery import Celery
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "javari.settings")

# The options of every task that works in the database: results kept, and a database that is
# briefly away (failover, restart) retried with backoff; any other error is a bug and not retried.
DATABASE_TASK_OPTIONS = {
    "ignore_result": False,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 3,
}

app = Celery("javari")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
