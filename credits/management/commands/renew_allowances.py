"""Renew the Free and annual allowances that are due: what the ``renew-allowances`` beat entry runs.

Paid monthly plans renew on Stripe's ``invoice.paid`` webhook, not here. Each renewal is keyed on
its account and period, so running this by hand beside the beat task changes nothing twice.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from credits import services


class Command(BaseCommand):
    help = "Renew the Free and annual credit allowances that are due (the renew-allowances task, by hand)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit", type=int, default=500, help="Renew at most this many accounts (default 500)."
        )

    def handle(self, *args: object, **options: object) -> None:
        limit = options["limit"]
        if not isinstance(limit, int) or limit < 1:
            raise CommandError("--limit must be a whole number greater than zero.")
        renewed = services.renew_due_allowances(limit=limit)
        self.stdout.write(f"Renewed {renewed} allowance{'s' if renewed != 1 else ''}.")
