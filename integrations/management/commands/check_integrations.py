"""One health-check pass by hand: what the ``check-integrations`` beat entry runs hourly.

Verifies every live integration whose check is due (claimed with ``SKIP LOCKED``); a connection
that stops working and a key about to expire are told to their owner once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from integrations.services.health import CHECK_BATCH, check_due


class Command(BaseCommand):
    help = "Verify the integrations whose health check is due and tell people about broken or expiring keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=int,
            default=CHECK_BATCH,
            help=f"Integrations to check at most (default {CHECK_BATCH}).",
        )

    def handle(self, *args: object, **options: object) -> None:
        limit = options["limit"]
        assert isinstance(limit, int)
        counts = check_due(limit=max(1, limit))
        self.stdout.write(
            f"Integrations checked: {counts['checked']}; working: {counts['working']}; "
            f"failing: {counts['failing']}; newly failing: {counts['newly_failing']}; "
            f"expiry warnings: {counts['expiring']}."
        )
