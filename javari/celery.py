"""The Celery app: configured from Django settings (``CELERY_*``), tasks found in each app."""

from __future__ import annotations

import os
from types import FrameType
from typing import Any

from celery import Celery, platforms
from celery.apps.beat import Beat as CeleryBeat
from django.db import InterfaceError, OperationalError
from kombu.utils.objects import cached_property

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


class Beat(CeleryBeat):
    """``celery beat`` whose stop signals only ask the scheduler's loop to end.

    Celery's own handler saves the schedule inside the signal handler, that is wherever the main
    thread was when the signal came: while the scheduler was still being built (its first database
    writes) or in the middle of a query, that is a second use of the same database connection, which
    failed with a traceback ("the connection is closed") when `make run` was stopped just as it
    started. Here the signal sets the loop's shutdown flag; the loop ends at its next wake-up (at most
    the scheduler's max interval, 5 s), and saves the schedule then, on an idle connection.
    """

    def install_sync_handler(self, service: Any) -> None:
        def stop(signum: int, frame: FrameType | None) -> None:
            service._is_shutdown.set()

        platforms.signals.update(SIGTERM=stop, SIGINT=stop)


class JavariCelery(Celery):
    @cached_property
    def Beat(self) -> Any:
        return self.subclass_with_self(Beat)


app = JavariCelery("javari")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
