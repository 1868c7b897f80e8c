"""Encrypted model fields that fail loudly, and the one crypter every encrypted value goes through.

django-encrypted-model-fields hands back a value that no key decrypts as it is (the ciphertext):
a chat model's key would then be sent to its provider as a Fernet token, and the next save would
encrypt the token again. These subclasses raise ``UndecryptableValue`` instead.

``FIELD_ENCRYPTION_KEY`` is a list of Fernet keys (comma-separated in the environment): the first
encrypts, every one decrypts (``MultiFernet``). To rotate, put a new key first and keep the old
ones until every value has been saved again; a value read with an old key is re-encrypted with the
first one at its next save. Write plain values: ``create(field=Value("x"))`` is encrypted like
``create(field="x")``, but ``update(field=Value("x"))`` is compiled by Django without asking the
field, so ``update(field="x")`` is the form to use. The crypter is built from the settings on each
use (cached per key list), so a key change in tests, or at a restart, is never hidden by a copy
made at import.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Value
from encrypted_model_fields import fields as library


class UndecryptableValue(ValueError):
    """A stored encrypted value that no key in ``FIELD_ENCRYPTION_KEY`` decrypts.

    The value is left as it is in the database; the message names where it is, never what it is.
    """


def _configured_keys() -> tuple[str, ...]:
    keys = settings.FIELD_ENCRYPTION_KEY
    return tuple([keys] if isinstance(keys, str) else keys)


@lru_cache(maxsize=4)
def _crypter(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY names no key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        # Fernet's message is about the key's format; the key itself is never in it.
        message = f"FIELD_ENCRYPTION_KEY holds a key that isn't a Fernet key: {exc}"
        raise ImproperlyConfigured(message) from exc


def get_crypter() -> MultiFernet:
    """A ``MultiFernet`` over ``FIELD_ENCRYPTION_KEY``: the first key encrypts, each one decrypts."""
    return _crypter(_configured_keys())


def encrypt_str(text: str) -> str:
    """``text`` encrypted with the first key, as ASCII (a Fernet token)."""
    return get_crypter().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt_str(token: str, *, where: str = "a stored value") -> str:
    """The text ``encrypt_str`` encrypted. Raises ``UndecryptableValue``, never returns ``token``."""
    try:
        return get_crypter().decrypt(token.encode("utf-8")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise UndecryptableValue(
            f"{where} does not decrypt with any key in FIELD_ENCRYPTION_KEY "
            "(was it encrypted with a key since removed from the list?)"
        ) from exc


class _FailLoudly:
    """Decrypt on the way out of the database, or raise; encrypt with the first key on the way in.

    ``to_python`` leaves plaintext alone (forms and ``full_clean`` call it with what a person
    typed): only ``from_db_value`` sees ciphertext.
    """

    def _where(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.label}.{self.name}" if model is not None else str(self.name)

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value is None:
            return None
        return decrypt_str(value, where=self._where())

    def to_python(self, value: Any) -> Any:
        # Skip the library's to_python, which tries to decrypt whatever it is given.
        return super(library.EncryptedMixin, self).to_python(value)  # type: ignore[misc]

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        if isinstance(value, Value):
            # ``create(field=Value("x"))``: encrypt what it holds (its repr would be encrypted
            # otherwise, and Django compiles a Value as plain text).
            inner = value.value
            return Value(None if inner is None else encrypt_str(str(inner)))
        if hasattr(value, "as_sql"):
            # Another expression (``F("other_encrypted_field")``): it runs in the database, on
            # values that are encrypted already.
            return value
        value = super(library.EncryptedMixin, self).get_db_prep_save(value, connection)  # type: ignore[misc]
        if value is None:
            return None
        return encrypt_str(str(value))


class EncryptedCharField(_FailLoudly, library.EncryptedCharField):
    """Text up to ``max_length`` characters (checked before encryption), stored encrypted."""


class EncryptedTextField(_FailLoudly, library.EncryptedTextField):
    """Text of any length, stored encrypted."""
