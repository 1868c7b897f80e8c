"""Shared pieces of the dispatch tests: a reminder that is due at a known moment, and a local SMTP
server (aiosmtpd) that accepts, refuses for now, or refuses for good."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any

from aiosmtpd.controller import Controller
from django.utils import timezone

from accounts.models import User
from conftest import free_port
from reminders.models import Reminder
from reminders.tests.factories import ReminderFactory


def due_reminder(user: User, *, lead_minutes: int = 60, **fields: Any) -> tuple[Reminder, datetime]:
    """A reminder tomorrow at 09:00 UTC (unless ``fields`` say otherwise), and when its notice is due."""
    fields.setdefault("start_date", timezone.now().date() + timedelta(days=1))
    fields.setdefault("start_time", time(9, 0))
    reminder: Reminder = ReminderFactory.create(user=user, lead_minutes=lead_minutes, **fields)
    assert reminder.next_fire_at is not None
    return reminder, reminder.next_fire_at


class RecordingHandler:
    """Accepts every message, or answers each DATA with ``reply`` (``"451 …"``, ``"550 …"``)."""

    def __init__(self) -> None:
        self.reply = ""
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread) and its port."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
