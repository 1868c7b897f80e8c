"""``manage.py fail_abandoned_replies``: what the beat task does, by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chat import services


class Command(BaseCommand):
    help = (
        "Mark as failed every reply still 'streaming' long after it started (its web process died) "
        "and give back the credits reserved for it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.fail_abandoned_replies()
        self.stdout.write(f"Failed {count} abandoned repl{'y' if count == 1 else 'ies'}.")
