"""accounts 0003: the two-factor secrets stored in plaintext before are encrypted, safely twice."""

from __future__ import annotations

import importlib

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.apps import apps
from django.test import Client

from accounts.mfa import decrypt_secret, is_encrypted
from accounts.models import User
from accounts.tests.conftest import TotpClock
from accounts.tests.helpers import sign_in, totp_code

pytestmark = pytest.mark.django_db
migration = importlib.import_module("accounts.migrations.0003_encrypt_mfa_secrets")

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SEED = "5f3c" * 20


def _plaintext_rows(user: User) -> tuple[Authenticator, Authenticator]:
    """Rows as allauth wrote them before our adapter: everything in the clear."""
    totp = Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": SECRET})
    codes = Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": SEED, "used_mask": 0, "migrated_codes": ["12345678", "87654321"]},
    )
    return totp, codes


def test_plaintext_secrets_are_encrypted_and_still_sign_in(
    client: Client, alice: User, totp_clock: TotpClock
) -> None:
    totp, codes = _plaintext_rows(alice)
    migration.encrypt_rows(apps, None)
    totp.refresh_from_db()
    codes.refresh_from_db()
    assert SECRET not in str(totp.data)
    assert SEED not in str(codes.data)
    assert "12345678" not in str(codes.data)
    assert decrypt_secret(totp.data["secret"]) == SECRET
    assert decrypt_secret(codes.data["seed"]) == SEED
    assert RecoveryCodes(codes).get_unused_codes() == ["12345678", "87654321"]

    sign_in(client, alice.email)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(SECRET)})
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_running_it_twice_changes_nothing_the_second_time(alice: User) -> None:
    totp, codes = _plaintext_rows(alice)
    migration.encrypt_rows(apps, None)
    totp.refresh_from_db()
    codes.refresh_from_db()
    once = (totp.data, codes.data)
    migration.encrypt_rows(apps, None)
    totp.refresh_from_db()
    codes.refresh_from_db()
    assert (totp.data, codes.data) == once
    assert decrypt_secret(totp.data["secret"]) == SECRET  # not encrypted twice


def test_reversing_it_gives_the_plaintext_back(alice: User) -> None:
    totp, codes = _plaintext_rows(alice)
    migration.encrypt_rows(apps, None)
    migration.decrypt_rows(apps, None)
    totp.refresh_from_db()
    codes.refresh_from_db()
    assert totp.data == {"secret": SECRET}
    assert codes.data["seed"] == SEED
    assert not is_encrypted(codes.data["migrated_codes"][0])
