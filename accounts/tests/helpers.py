from __future__ import annotations

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.test import Client

from conftest import PASSWORD


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now for ``secret``."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(client: Client, email: str, password: str = PASSWORD):
    """Sign in through allauth's form, as a person does (records the authentication)."""
    return client.post("/accounts/login/", {"login": email, "password": password})


def link_in_last_email(path_fragment: str) -> str:
    """The first link in the newest sent message whose path contains ``path_fragment``."""
    body = mail.outbox[-1].body
    match = re.search(rf"https?://[^/\s]+(\S*{re.escape(path_fragment)}\S*)", body)
    assert match, f"no link with {path_fragment!r} in: {body}"
    return match.group(1)
