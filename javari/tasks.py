"""Queueing Celery tasks: on commit, with ids only.

A task queued inside a transaction could run before the transaction commits (and find nothing),
or after it rolled back (and act on what never happened). ``enqueue_on_commit`` queues it only once
the current transaction commits, at once outside one. Arguments are ids, never objects or rendered
data: the worker reads the committed rows, so a retried task sees the current state, and a task's
message in Redis carries no personal data or secret.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from celery import Task
from django.db import transaction

Id = int | str | UUID


def enqueue_on_commit(task: Task, *ids: Id, using: str | None = None) -> None:
    """Queue ``task.delay(*ids)`` when the current transaction commits (at once outside one).

    Raises ``TypeError`` for anything but an int, a str or a UUID (sent as its string).
    """
    args: list[Any] = []
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, int | str | UUID):
            raise TypeError(f"{task.name} is queued with ids only, not {type(value).__name__}")
        args.append(str(value) if isinstance(value, UUID) else value)
    # A partial, not a lambda: a test's captured callback shows the task and its ids.
    transaction.on_commit(partial(task.delay, *args), using=using)
