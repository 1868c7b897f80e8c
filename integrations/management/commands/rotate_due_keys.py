"""One rotation pass by hand: what the ``rotate-due-keys`` beat entry runs daily.

Claims due integrations (and old keys still to revoke) with ``SKIP LOCKED`` and a lease per
integration, so running it beside the beat task rotates nothing twice.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from integrations.services.rotation import DUE_BATCH, rotate_due


class Command(BaseCommand):
    help = "Rotate the keys whose rotation is due (by API) and retry revokes of old keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=int,
            default=DUE_BATCH,
            help=f"Integrations to take at most (default {DUE_BATCH}).",
        )

    def handle(self, *args: object, **options: object) -> None:
        limit = options["limit"]
        assert isinstance(limit, int)
        counts = rotate_due(limit=max(1, limit))
        self.stdout.write(
            f"Integrations claimed: {counts['claimed']}; rotated: {counts['rotated']}; "
            f"failed: {counts['failed']}; old keys revoked: {counts['revoked']}; "
            f"old keys still to revoke: {counts['revoke_pending']}; "
            f"skipped (no rotation API): {counts['skipped']}."
        )
