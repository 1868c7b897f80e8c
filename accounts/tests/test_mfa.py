"""Two-factor authentication: TOTP with recovery codes, and a wrong code at each step."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client

from accounts.models import User
from accounts.tests.helpers import sign_in, totp_code
from conftest import PASSWORD

pytestmark = pytest.mark.django_db
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _start_activation(client: Client) -> str:
    """Confirm the password (allauth asks before a security change), open the activation page,
    and return the secret it offers."""
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    return response.context["form"].secret


def test_turning_on_totp_needs_a_correct_code(client: Client, alice: User) -> None:
    sign_in(client, alice.email)
    secret = _start_activation(client)
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    # Recovery codes come with it, so losing the phone doesn't lose the account.
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.RECOVERY_CODES).exists()


def test_a_wrong_code_does_not_turn_on_totp(client: Client, alice: User) -> None:
    sign_in(client, alice.email)
    secret = _start_activation(client)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/totp/activate/", {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code." in response.text
    assert not Authenticator.objects.filter(user=alice).exists()


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(client: Client, alice: User) -> None:
    TOTP.activate(alice, SECRET)
    response = sign_in(client, alice.email)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    wrong = f"{(int(totp_code(SECRET)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert "Incorrect code." in response.text
    assert "_auth_user_id" not in client.session


def test_sign_in_with_the_right_code_completes(client: Client, alice: User) -> None:
    TOTP.activate(alice, SECRET)
    sign_in(client, alice.email)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(SECRET)})
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_recovery_code_signs_in_once(client: Client, alice: User) -> None:
    TOTP.activate(alice, SECRET)
    code = RecoveryCodes.activate(alice).get_unused_codes()[0]
    sign_in(client, alice.email)
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert client.session["_auth_user_id"] == str(alice.pk)

    again = Client()
    sign_in(again, alice.email)
    response = again.post("/accounts/2fa/authenticate/", {"code": code})
    assert "Incorrect code." in response.text
    assert "_auth_user_id" not in again.session
