"""Two-factor authentication: TOTP with recovery codes, and a wrong code at each step; every
TOTP code single-use; secrets encrypted at rest; an unreadable secret refused, never a 500."""

from __future__ import annotations

import logging

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import Fernet
from django.test import Client, override_settings

from accounts.mfa import UnreadableSecret, decrypt_secret, encrypt_secret
from accounts.models import User
from accounts.tests.conftest import TotpClock
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


# --- Every accepted TOTP code is single-use, whichever form accepted it ---------------------------


def test_the_code_that_turned_totp_on_does_not_sign_in_again(
    client: Client, alice: User, totp_clock: TotpClock
) -> None:
    sign_in(client, alice.email)
    secret = _start_activation(client)
    code = totp_code(secret)
    assert client.post("/accounts/2fa/totp/activate/", {"code": code}).status_code == 302

    # Signed out, and back within the same 30 s step with the code just typed: refused.
    again = Client()
    assert sign_in(again, alice.email)["Location"] == "/accounts/2fa/authenticate/"
    response = again.post("/accounts/2fa/authenticate/", {"code": code})
    assert "Incorrect code." in response.text
    assert "_auth_user_id" not in again.session

    # The next step's code is accepted: the refusal was the replay, not the secret.
    totp_clock.next_step()
    again.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert again.session["_auth_user_id"] == str(alice.pk)


def test_a_sign_in_code_is_refused_a_second_time(alice: User, totp_clock: TotpClock) -> None:
    TOTP.activate(alice, SECRET)
    first, second = Client(), Client()
    sign_in(first, alice.email)
    first.post("/accounts/2fa/authenticate/", {"code": totp_code(SECRET)})
    assert first.session["_auth_user_id"] == str(alice.pk)

    sign_in(second, alice.email)
    response = second.post("/accounts/2fa/authenticate/", {"code": totp_code(SECRET)})
    assert "Incorrect code." in response.text
    assert "_auth_user_id" not in second.session


def test_the_sign_in_code_does_not_reauthenticate(client: Client, alice: User, totp_clock: TotpClock) -> None:
    TOTP.activate(alice, SECRET)
    RecoveryCodes.activate(alice)
    sign_in(client, alice.email)
    code = totp_code(SECRET)
    client.post("/accounts/2fa/authenticate/", {"code": code})

    response = client.post("/accounts/2fa/reauthenticate/", {"code": code})
    assert response.status_code == 200
    assert "Incorrect code." in response.text

    totp_clock.next_step()
    response = client.post("/accounts/2fa/reauthenticate/", {"code": totp_code(SECRET)})
    assert response.status_code == 302


def test_a_reauthentication_code_is_refused_a_second_time(
    client: Client, alice: User, totp_clock: TotpClock
) -> None:
    TOTP.activate(alice, SECRET)
    RecoveryCodes.activate(alice)
    sign_in(client, alice.email)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(SECRET)})
    totp_clock.next_step()
    code = totp_code(SECRET)
    assert client.post("/accounts/2fa/reauthenticate/", {"code": code}).status_code == 302
    response = client.post("/accounts/2fa/reauthenticate/", {"code": code})
    assert "Incorrect code." in response.text


@override_settings(MFA_TOTP_TOLERANCE=1)
def test_once_a_step_is_used_an_earlier_steps_code_is_refused(alice: User, totp_clock: TotpClock) -> None:
    TOTP.activate(alice, SECRET)
    earlier_code = totp_code(SECRET)
    totp_clock.next_step()
    first, second = Client(), Client()
    sign_in(first, alice.email)
    first.post("/accounts/2fa/authenticate/", {"code": totp_code(SECRET)})
    assert first.session["_auth_user_id"] == str(alice.pk)

    # Still inside the tolerance window, but older than the step just used (RFC 6238, 5.2).
    sign_in(second, alice.email)
    response = second.post("/accounts/2fa/authenticate/", {"code": earlier_code})
    assert "Incorrect code." in response.text


# --- A stored secret that can't be read: a refused code and a log line, not a 500 -----------------


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(encrypt_secret("JAVARIDEMOSTAFFTOTPSECRET234567AB"), id="not-base32"),
        pytest.param("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", id="plaintext-not-migrated"),
        pytest.param(
            "fernet:" + Fernet(Fernet.generate_key()).encrypt(b"JBSWY3DPEHPK3PXP").decode(), id="another-key"
        ),
    ],
)
def test_an_unreadable_totp_secret_refuses_the_code_and_recovery_codes_still_work(
    client: Client, alice: User, stored: str, caplog: pytest.LogCaptureFixture
) -> None:
    Authenticator.objects.create(user=alice, type=Authenticator.Type.TOTP, data={"secret": stored})
    recovery_code = RecoveryCodes.activate(alice).get_unused_codes()[0]
    sign_in(client, alice.email)

    with caplog.at_level(logging.ERROR, logger="accounts.forms"):
        response = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert response.status_code == 200
    assert "Incorrect code." in response.text
    assert "_auth_user_id" not in client.session
    assert "can't be read" in caplog.text

    client.post("/accounts/2fa/authenticate/", {"code": recovery_code})
    assert client.session["_auth_user_id"] == str(alice.pk)


# --- Secrets encrypted at rest -------------------------------------------------------------------


def test_the_totp_secret_and_recovery_seed_are_stored_encrypted(client: Client, alice: User) -> None:
    sign_in(client, alice.email)
    secret = _start_activation(client)
    client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})

    totp = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP)
    assert secret not in str(totp.data)
    assert decrypt_secret(totp.data["secret"]) == secret
    recovery = Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES)
    seed = decrypt_secret(recovery.data["seed"])
    assert seed not in str(recovery.data)
    # allauth still reads them: the codes it shows are the ones that sign in.
    assert len(recovery.wrap().get_unused_codes()) == 10


def test_the_recovery_codes_page_shows_the_codes_decrypted(client: Client, alice: User) -> None:
    sign_in(client, alice.email)
    secret = _start_activation(client)
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/recovery-codes/"
    codes = RecoveryCodes(Authenticator.objects.get(user=alice, type="recovery_codes")).get_unused_codes()
    assert all(code in response.text for code in codes)
    assert "fernet:" not in response.text


def test_decrypting_with_another_key_raises_rather_than_returning_ciphertext() -> None:
    stored = encrypt_secret("JBSWY3DPEHPK3PXP")
    another_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEY=another_key), pytest.raises(UnreadableSecret):
        decrypt_secret(stored)
    with pytest.raises(UnreadableSecret):
        decrypt_secret("JBSWY3DPEHPK3PXP")  # plaintext is not taken for a secret either


def test_a_rotated_key_list_still_reads_secrets_written_with_the_old_key() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEY=old):
        stored = encrypt_secret("JBSWY3DPEHPK3PXP")
    with override_settings(FIELD_ENCRYPTION_KEY=[new, old]):
        assert decrypt_secret(stored) == "JBSWY3DPEHPK3PXP"


# --- The activation page -------------------------------------------------------------------------


def test_the_qr_codes_alt_text_describes_it_and_the_secret_stays_written_out(
    client: Client, alice: User
) -> None:
    sign_in(client, alice.email)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")
    secret = response.context["form"].secret
    html = response.text
    assert f'alt="{secret}"' not in html
    assert 'alt="QR code to scan with your authenticator app.' in html
    assert f'value="{secret}"' in html  # for typing in by hand


def test_the_qr_codes_alt_text_is_in_spanish_too(client: Client, alice: User) -> None:
    alice.language = "es"
    alice.save(update_fields=["language"])
    sign_in(client, alice.email)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")
    assert 'alt="Código QR para escanear con tu aplicación de autenticación.' in response.text


def test_pages_showing_a_two_factor_secret_are_never_stored(client: Client, alice: User) -> None:
    # The TOTP set-up page shows the secret as text and as a QR code; allauth sent no Cache-Control.
    sign_in(client, alice.email)
    _start_activation(client)
    response = client.get("/accounts/2fa/totp/activate/")
    secret = response.context["form"].secret
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    for path in ("/accounts/2fa/", "/accounts/2fa/recovery-codes/"):
        assert "no-store" in client.get(path)["Cache-Control"], path
