"""One dispatch pass by hand: what the ``dispatch-reminders`` beat entry runs every 5 seconds.

Writes every due reminder's notices (in-app ones are delivered at once), then claims the emails
that are ready and queues them to the worker; with ``--send`` it sends them itself instead (no
worker needed). Every notice is keyed on its reminder, occurrence and channel, so running this
beside the beat task sends nothing twice.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from reminders.services import dispatch, send_emails


class Command(BaseCommand):
    help = "Run one reminder dispatch pass: write due notices, then queue (or --send) ready emails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--send",
            action="store_true",
            help="Send the claimed emails from this process instead of queueing them to the worker.",
        )

    def handle(self, *args: object, **options: object) -> None:
        send = bool(options["send"])
        result = dispatch(queue=not send)
        sent = 0
        if send and result.claimed_ids:
            sent = send_emails(result.claimed_ids)
        self.stdout.write(
            f"Reminders due: {result.reminders}; in-app notifications: {result.in_app}; "
            f"emails written: {result.emails_written}; emails claimed: {result.emails_claimed}"
            + (f"; emails sent: {sent}" if send else " (queued to the worker)")
            + "."
        )
