"""Celery wired to Django: a real worker on the real Redis, and beat's fixed schedule."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from accounts.tasks import clear_expired_sessions
from javari.celery import app


@pytest.fixture
def worker(transactional_db: None) -> Iterator[None]:
    """A real worker consuming from the test Redis, in a thread of this process (Celery's own
    testing worker), so it uses the test database. Not eager mode: tasks travel through Redis."""
    app.loader.import_module("celery.contrib.testing.tasks")  # the ping task start_worker checks
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
        yield


def _session(expires_in: timedelta) -> str:
    store = SessionStore()
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_a_worker_runs_a_queued_task_against_the_database(worker: None) -> None:
    expired = _session(timedelta(days=-1))
    current = _session(timedelta(days=1))

    deleted = clear_expired_sessions.delay().get(timeout=20)

    assert deleted == 1
    assert not Session.objects.filter(session_key=expired).exists()
    assert Session.objects.filter(session_key=current).exists()


def test_the_task_is_safe_to_run_twice(worker: None) -> None:
    _session(timedelta(days=-1))
    assert clear_expired_sessions.delay().get(timeout=20) == 1
    assert clear_expired_sessions.delay().get(timeout=20) == 0


def test_beat_uses_the_database_scheduler_with_the_fixed_tasks_from_code(transactional_db: None) -> None:
    # transactional_db: the scheduler calls close_old_connections(), which a test transaction
    # (autocommit off) would not survive.
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    DatabaseScheduler(app=app)  # what `celery beat` does at start: copy the code's schedule in
    task = PeriodicTask.objects.get(name="clear-expired-sessions")
    assert task.task == "accounts.tasks.clear_expired_sessions"
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (6 * 3600, "seconds")
    assert task.expire_seconds == 6 * 3600 - 60  # just under the interval: no backlog piles up


def test_tasks_travel_as_json(db: None) -> None:
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]


def test_a_stop_signal_to_beat_only_asks_its_loop_to_end() -> None:
    # Celery's handler saved the schedule inside the signal handler, mid-query on the scheduler's
    # connection if the signal came while it worked: a traceback when make run stopped as it started.
    service = SimpleNamespace(_is_shutdown=threading.Event())
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        app.Beat().install_sync_handler(service)
        os.kill(os.getpid(), signal.SIGTERM)
        assert service._is_shutdown.wait(timeout=5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
