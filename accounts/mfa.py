"""Two-factor authentication, our side of allauth's.

- TOTP secrets and recovery-code seeds are Fernet-encrypted at rest with ``FIELD_ENCRYPTION_KEY``
  (allauth's MFA adapter calls ``encrypt``/``decrypt`` wherever it stores or reads them).
- Every accepted TOTP code is single-use, whichever form accepted it: ``claim_totp_code`` records
  the time step a code belongs to, per user and secret, and refuses that step (and the earlier
  ones) from then on. allauth itself marks sign-in codes used, but not the activation code.
- A secret that can't be read (wrong key, not ours, not base32) raises ``UnreadableSecret``, which
  the forms turn into "Incorrect code." and a log line, never a 500.
"""

from __future__ import annotations

import binascii
import hashlib
import time

from allauth.core.internal.cryptokit import compare_user_code
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from cryptography.fernet import InvalidToken
from django.core.cache import cache

from javari.fields import get_crypter

# Marks what we stored encrypted, so the data migration can tell old plaintext rows from ours and
# can run twice, and so a plaintext value is never mistaken for a readable secret.
ENCRYPTED_PREFIX = "fernet:"


class UnreadableSecret(Exception):
    """A stored two-factor secret that can't be decrypted or decoded."""


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)


def encrypt_secret(text: str) -> str:
    """``text`` encrypted with the first key of ``FIELD_ENCRYPTION_KEY`` (a list rotates keys)."""
    token = get_crypter().encrypt(text.encode("utf-8")).decode("ascii")
    return f"{ENCRYPTED_PREFIX}{token}"


def decrypt_secret(stored: str) -> str:
    """The secret ``encrypt_secret`` stored. Raises ``UnreadableSecret``, never returns ciphertext."""
    if not is_encrypted(stored):
        raise UnreadableSecret("the stored value is not encrypted with our prefix")
    try:
        return get_crypter().decrypt(stored.removeprefix(ENCRYPTED_PREFIX).encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as error:
        raise UnreadableSecret("the stored value does not decrypt with FIELD_ENCRYPTION_KEY") from error


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_secret(encrypted_text)


def _current_step() -> int:
    return int(time.time()) // mfa_settings.TOTP_PERIOD


def totp_step(*, secret: str, code: str) -> int | None:
    """The time step (within allauth's tolerance) whose code ``code`` is, or None.

    Raises ``UnreadableSecret`` when ``secret`` isn't base32 (``binascii.Error: Incorrect padding``
    was a 500 on every sign-in of the first seeded staff user).
    """
    now = _current_step()
    tolerance = mfa_settings.TOTP_TOLERANCE
    for step in range(now - tolerance, now + tolerance + 1):
        try:
            expected = format_hotp_value(hotp_value(secret, step))
        except (binascii.Error, ValueError, UnicodeError) as error:
            raise UnreadableSecret("the TOTP secret is not valid base32") from error
        if compare_user_code(actual=code, expected=expected):
            return step
    return None


def _step_key(*, user_id: object, secret: str, step: int) -> str:
    # Per secret as well as per user: a new secret (two-factor turned off and on again) starts
    # afresh. A truncated hash of a 160-bit secret tells nothing about it.
    fingerprint = hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]
    return f"accounts.mfa.totp-step:{user_id}:{fingerprint}:{step}"


def claim_totp_code(*, user_id: object, secret: str, code: str) -> bool:
    """Whether ``code`` is valid for ``secret`` now and its time step was not used before; if so,
    that step and every earlier one still inside the tolerance window count as used.

    The record is in the shared cache (Redis): ``cache.add`` is atomic, so two requests racing
    with the same code can't both win. It lives as long as a code can be valid.
    """
    step = totp_step(secret=secret, code=code)
    if step is None:
        return False
    period = mfa_settings.TOTP_PERIOD
    timeout = period * (2 * mfa_settings.TOTP_TOLERANCE + 2)
    if not cache.add(_step_key(user_id=user_id, secret=secret, step=step), "used", timeout=timeout):
        return False
    # The RFC 6238 rule (section 5.2): once a step is used, codes of earlier steps are refused too.
    for earlier in range(step - 2 * mfa_settings.TOTP_TOLERANCE, step):
        cache.add(_step_key(user_id=user_id, secret=secret, step=earlier), "used", timeout=timeout)
    return True
