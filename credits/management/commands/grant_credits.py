"""Give a user credits from the command line: ``manage.py grant_credits EMAIL AMOUNT --reason TEXT``.

Without ``--staff`` it is a grant (credits that never expire, like a goodwill grant). With
``--staff EMAIL`` it is a staff adjustment recorded against that staff member, exactly as the
admin's "Grant or adjust credits" action records it. Every bad input is a ``CommandError`` and
writes nothing.
"""

from __future__ import annotations

from uuid import uuid4

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from credits import services
from credits.errors import CreditsError


class Command(BaseCommand):
    help = "Grant credits to the user with EMAIL, with a reason recorded on the ledger entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The user's email address.")
        # Parsed here rather than with type=int, so a bad value gets our message, not argparse's.
        parser.add_argument("amount", help="Credits to add: a whole number greater than zero.")
        parser.add_argument("--reason", required=True, help="Why: recorded on the ledger entry.")
        parser.add_argument(
            "--staff", metavar="EMAIL", help="Record the grant as an adjustment by this staff member."
        )

    def handle(self, *args: object, **options: object) -> None:
        amount = _amount(str(options["amount"]))
        reason = str(options["reason"] or "").strip()
        if not reason:
            raise CommandError("--reason must not be empty: say why the credits are granted.")
        user = _user(str(options["email"]))
        staff_email = options.get("staff")
        try:
            if staff_email:
                staff = _user(str(staff_email))
                if not (staff.is_staff and staff.is_active):
                    raise CommandError(f"{staff.email} is not an active staff member.")
                entry = services.adjust(
                    user=user,
                    amount=amount,
                    staff_user=staff,
                    reason=reason,
                    idempotency_key=f"cli:{uuid4()}",
                )
            else:
                entry = services.grant(
                    user=user, amount=amount, idempotency_key=f"cli:{uuid4()}", reason=reason
                )
        except CreditsError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Granted {amount:,} credits to {user.email}: balance now {entry.balance_after:,} "
            f"(ledger entry {entry.pk})."
        )


def _amount(raw: str) -> int:
    try:
        amount = int(raw.strip())
    except ValueError:
        raise CommandError(f"AMOUNT must be a whole number of credits, not {raw!r}.") from None
    if amount <= 0:
        raise CommandError(f"AMOUNT must be greater than zero, not {amount}.")
    return amount


def _user(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No user has the email address {email!r}.")
    return user
