"""The demo logins `make run` prints (seed_demo's output, printed as is) work, exactly as printed."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client

from accounts.mfa import decrypt_secret
from accounts.models import User
from accounts.tests.conftest import TotpClock
from accounts.tests.helpers import sign_in, totp_code

pytestmark = pytest.mark.django_db

# The first seed printed this one: 33 characters, not base32, a 500 on every code.
OLD_BAD_SECRET = "JAVARIDEMOSTAFFTOTPSECRET234567AB"


def _seed() -> dict[str, object]:
    """What the command printed, read as a person reads it."""
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    demo = re.search(r"Demo login:\s+(\S+) / (\S+)", text)
    staff = re.search(r"Staff login:\s+(\S+) / (\S+)", text)
    secret = re.search(r"TOTP secret (\S+)", text)
    codes = re.search(r"recovery code: (.+)$", text, re.MULTILINE)
    for found in (demo, staff, secret, codes):
        assert found is not None, text
    return {
        "demo": (demo[1], demo[2]),
        "staff": (staff[1], staff[2]),
        "secret": secret[1],
        "recovery_codes": [code.strip() for code in codes[1].split(",")],
    }


def test_the_printed_demo_login_reaches_the_chat(client: Client) -> None:
    printed = _seed()
    email, password = printed["demo"]
    response = sign_in(client, email, password)
    assert response["Location"] == "/chat/"
    assert client.get("/chat/").status_code == 200


def test_the_printed_staff_login_and_totp_secret_reach_the_chat_and_the_admin(
    client: Client, totp_clock: TotpClock
) -> None:
    printed = _seed()
    email, password = printed["staff"]
    assert sign_in(client, email, password)["Location"] == "/accounts/2fa/authenticate/"
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(printed["secret"])})
    assert response.status_code == 302
    assert response["Location"] == "/chat/"
    assert client.get("/chat/").status_code == 200
    admin = client.get("/admin/")
    assert admin.status_code == 200
    assert "Javari AI administration" in admin.text


def test_a_printed_recovery_code_opens_the_admin(client: Client) -> None:
    printed = _seed()
    assert len(printed["recovery_codes"]) == 3
    email, password = printed["staff"]
    sign_in(client, email, password)
    client.post("/accounts/2fa/authenticate/", {"code": printed["recovery_codes"][0]})
    assert client.get("/admin/").status_code == 200


def test_the_printed_secret_is_valid_base32_of_twenty_bytes() -> None:
    import base64

    secret = _seed()["secret"]
    assert len(secret) == 32
    assert len(base64.b32decode(secret)) == 20


def test_seeding_again_repairs_a_database_seeded_with_the_undecodable_secret(
    client: Client, totp_clock: TotpClock
) -> None:
    _seed()
    staff = User.objects.get(email="staff@javari.local")
    # As the first seed left it: the bad secret, in plaintext.
    Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).update(
        data={"secret": OLD_BAD_SECRET}
    )
    printed = _seed()
    totp = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP)
    assert decrypt_secret(totp.data["secret"]) == printed["secret"] != OLD_BAD_SECRET

    sign_in(client, *printed["staff"])
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(printed["secret"])})
    assert client.get("/admin/").status_code == 200


def test_seeding_twice_keeps_one_of_everything_and_prints_the_same_logins() -> None:
    first, second = _seed(), _seed()
    assert first == second
    assert User.objects.filter(email__in=["demo@javari.local", "staff@javari.local"]).count() == 2
    assert Authenticator.objects.count() == 2  # the staff user's TOTP and recovery codes


def test_seeding_makes_new_recovery_codes_when_the_printed_ones_are_used_up(client: Client) -> None:
    printed = _seed()
    for code in printed["recovery_codes"]:
        browser = Client()
        sign_in(browser, *printed["staff"])
        browser.post("/accounts/2fa/authenticate/", {"code": code})
        assert browser.session["_auth_user_id"]
    # Seven of ten are left; the next seed prints three unused ones.
    again = _seed()
    assert set(again["recovery_codes"]).isdisjoint(printed["recovery_codes"])
    sign_in(client, *again["staff"])
    client.post("/accounts/2fa/authenticate/", {"code": again["recovery_codes"][0]})
    assert client.get("/admin/").status_code == 200
