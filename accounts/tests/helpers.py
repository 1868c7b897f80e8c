from __future__ import annotations

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.test import Client

from accounts.models import User
from conftest import PASSWORD


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for ``secret``."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client: Client, email: str, password: str = PASSWORD):
    """Sign in through allauth's form, as a person does (records the authentication)."""
    return client.post("/accounts/login/", {"login": email, "password": password})


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def signed_in_with_totp(user: User) -> Client:
    """A client signed in as ``user`` through the full flow: password, then a TOTP code.

    The admin requires two-factor authentication of staff, so admin tests sign in this way.
    """
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, TOTP_SECRET)
    client = Client()
    sign_in(client, user.email)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    if "_auth_user_id" not in client.session:
        # The code was made in the last instant of its 30-second step and checked in the next one
        # (the tolerance is 0 steps): a person would type the new code, and so does this.
        time.sleep(0.2)
        client.post("/accounts/2fa/authenticate/", {"code": totp_code(TOTP_SECRET)})
    assert client.session["_auth_user_id"] == str(user.pk)
    return client


def deliver_queued_emails() -> int:
    """Send every queued account email as the worker does, in this process; returns how many.

    Account emails go out from the worker after commit, and a test's transaction never commits
    (accounts/tests/test_emails.py proves the queueing and a real worker).
    """
    from accounts.models import OutgoingEmail
    from accounts.tasks import send_account_email

    return sum(send_account_email(str(pk)) for pk in OutgoingEmail.objects.values_list("pk", flat=True))


def link_in_last_email(path_fragment: str) -> str:
    """The first link in the newest sent message whose path contains ``path_fragment``."""
    deliver_queued_emails()
    body = mail.outbox[-1].body
    match = re.search(rf"https?://[^/\s]+(\S*{re.escape(path_fragment)}\S*)", body)
    assert match, f"no link with {path_fragment!r} in: {body}"
    return match.group(1)
