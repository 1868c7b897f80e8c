"""Encrypted fields: a value no key decrypts raises; a list of keys rotates, the first encrypting."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection

from accounts.mfa import decrypt_secret, encrypt_secret
from chat.models import ChatModel
from javari.fields import UndecryptableValue, decrypt_str, encrypt_str

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
PROVIDER_KEY = "sk-live-0123456789abcdef"


def _stored(model: ChatModel) -> str:
    """The api_key column as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM chat_chatmodel WHERE id = %s", [model.pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_key_is_stored_encrypted_and_read_back(settings) -> None:
    settings.FIELD_ENCRYPTION_KEY = [NEW]
    model = ChatModel.objects.create(name="Provider", api_key=PROVIDER_KEY)
    assert PROVIDER_KEY not in _stored(model)
    assert Fernet(NEW).decrypt(_stored(model).encode()).decode() == PROVIDER_KEY
    assert ChatModel.objects.get(pk=model.pk).api_key == PROVIDER_KEY


@pytest.mark.django_db
def test_a_value_no_configured_key_decrypts_raises_instead_of_returning_the_ciphertext(settings) -> None:
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    model = ChatModel.objects.create(name="Provider", api_key=PROVIDER_KEY)
    stored = _stored(model)
    settings.FIELD_ENCRYPTION_KEY = [NEW]  # the old key dropped from the list
    with pytest.raises(UndecryptableValue, match=r"chat\.ChatModel\.api_key does not decrypt"):
        ChatModel.objects.get(pk=model.pk)
    assert _stored(model) == stored  # left as it was, never encrypted a second time


@pytest.mark.django_db
def test_an_old_key_in_the_list_reads_and_a_save_re_encrypts_with_the_first(settings) -> None:
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    model = ChatModel.objects.create(name="Provider", api_key=PROVIDER_KEY)
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    loaded = ChatModel.objects.get(pk=model.pk)
    assert loaded.api_key == PROVIDER_KEY
    loaded.save()
    assert Fernet(NEW).decrypt(_stored(model).encode()).decode() == PROVIDER_KEY
    with pytest.raises(InvalidToken):
        Fernet(OLD).decrypt(_stored(model).encode())
    settings.FIELD_ENCRYPTION_KEY = [NEW]  # the old key can go once everything is saved again
    assert ChatModel.objects.get(pk=model.pk).api_key == PROVIDER_KEY


@pytest.mark.django_db
def test_a_blank_key_stays_readable_and_plaintext_is_never_decrypted_on_the_way_in(settings) -> None:
    settings.FIELD_ENCRYPTION_KEY = [NEW]
    model = ChatModel.objects.create(name="Deployment's", api_key="")
    assert ChatModel.objects.get(pk=model.pk).api_key == ""
    # Someone pasting a Fernet token as their provider key gets exactly that token stored.
    token = Fernet(NEW).encrypt(b"inner").decode()
    model.api_key = token
    model.full_clean()
    model.save()
    assert ChatModel.objects.get(pk=model.pk).api_key == token


def test_the_string_helpers_follow_the_same_rules(settings) -> None:
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    token = encrypt_str("secret")
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    assert decrypt_str(token) == "secret"
    settings.FIELD_ENCRYPTION_KEY = [NEW]
    with pytest.raises(UndecryptableValue):
        decrypt_str(token)
    with pytest.raises(UndecryptableValue):
        decrypt_str("not a token at all")


def test_two_factor_secrets_use_the_same_key_list(settings) -> None:
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    stored = encrypt_secret("JBSWY3DPEHPK3PXP")
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    assert decrypt_secret(stored) == "JBSWY3DPEHPK3PXP"
    assert Fernet(NEW).decrypt(encrypt_secret("x").removeprefix("fernet:").encode()) == b"x"


@pytest.mark.django_db
def test_a_value_given_as_an_expression_is_encrypted_once(settings) -> None:
    from django.db.models import Value

    settings.FIELD_ENCRYPTION_KEY = [NEW]
    model = ChatModel.objects.create(name="Expression", api_key=Value(PROVIDER_KEY))
    assert Fernet(NEW).decrypt(_stored(model).encode()).decode() == PROVIDER_KEY
    ChatModel.objects.filter(pk=model.pk).update(api_key="sk-live-updated-0000")
    assert Fernet(NEW).decrypt(_stored(model).encode()).decode() == "sk-live-updated-0000"
    assert ChatModel.objects.get(pk=model.pk).api_key == "sk-live-updated-0000"
