"""Create the demo user and the staff user, once; print their logins.

The staff user has two-factor authentication on (the back office requires it), with a fixed
TOTP secret so the demo can be signed into from any authenticator app. Running it again changes
nothing but resetting the demo accounts to the logins it prints: the password, the TOTP secret
(which also repairs a database seeded with the old, undecodable one) and, when fewer than three
are left or they can't be read, the recovery codes.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.mfa import UnreadableSecret, encrypt_secret
from accounts.models import User
from reminders.demo import seed_demo_reminders

DEMO_EMAIL = "demo@javari.local"
DEMO_PASSWORD = "javari-demo-2026"
STAFF_EMAIL = "staff@javari.local"
STAFF_PASSWORD = "javari-staff-2026"
# A demo secret, printed for anyone running the demo: never a real account's. Base32 (A-Z, 2-7),
# 32 characters = 20 bytes, the length authenticator apps expect and need no padding for.
STAFF_TOTP_SECRET = "JAVARIDEMOSTAFFTOTPSECRET234567A"
PRINTED_RECOVERY_CODES = 3


class Command(BaseCommand):
    help = "Create the demo and staff users (idempotent) and print their logins."

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            demo, staff, codes = self._accounts()
        # Outside the accounts' transaction: the reminder services are durable (each commits).
        seed_demo_reminders(demo)
        # The help center's articles: created when missing, never overwriting what staff edited.
        call_command("load_help_articles", stdout=self.stdout)
        site = settings.SITE_URL
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Javari AI is at {site}",
                    f"  Demo login:  {demo.email} / {DEMO_PASSWORD}",
                    f"  Staff login: {staff.email} / {STAFF_PASSWORD}  (back office: {site}/admin/)",
                    f"    two-factor: add TOTP secret {STAFF_TOTP_SECRET} to an authenticator app,",
                    f"    or use a recovery code: {', '.join(codes[:PRINTED_RECOVERY_CODES])}",
                    "",
                ]
            )
        )

    def _accounts(self) -> tuple[User, User, list[str]]:
        demo = self._user(DEMO_EMAIL, DEMO_PASSWORD, display_name="Demo User", staff=False)
        staff = self._user(STAFF_EMAIL, STAFF_PASSWORD, display_name="Javari Staff", staff=True)
        Authenticator.objects.update_or_create(
            user=staff,
            type=Authenticator.Type.TOTP,
            defaults={"data": {"secret": encrypt_secret(STAFF_TOTP_SECRET)}},
        )
        return demo, staff, self._recovery_codes(staff)

    def _user(self, email: str, password: str, *, display_name: str, staff: bool) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(
                email, password, display_name=display_name, is_staff=staff, is_superuser=staff
            )
        else:
            # A demo account always matches the login printed for it.
            user.set_password(password)
            user.is_active, user.is_staff, user.is_superuser = True, staff, staff
            user.save(update_fields=["password", "is_active", "is_staff", "is_superuser"])
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def _recovery_codes(self, staff: User) -> list[str]:
        """The staff user's unused recovery codes, made anew when too few are left to print or
        the stored ones can't be read."""
        try:
            codes = RecoveryCodes.activate(staff).get_unused_codes()
        except UnreadableSecret:
            codes = []
        if len(codes) < PRINTED_RECOVERY_CODES:
            Authenticator.objects.filter(user=staff, type=Authenticator.Type.RECOVERY_CODES).delete()
            codes = RecoveryCodes.activate(staff).get_unused_codes()
        return codes
