"""Master-key rotation (javari/keyrotation.py and ``manage.py rotate_encryption_key``): every encrypted
value, found through the app registry, moves to the first key in batches and still reads the same;
the report counts what each key holds; a value no key opens is reported and left alone."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.mfa import decrypt_secret, encrypt_secret
from accounts.models import User
from chat.models import ChatModel
from integrations.models import Credential, Integration
from javari import keyrotation
from reminders import services as reminders_services
from reminders.models import CalendarFeed

pytestmark = pytest.mark.django_db

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
LOST = Fernet.generate_key().decode()
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"


def _raw(table: str, column: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}::text FROM {table} WHERE id = %s", [pk])  # noqa: S608 (names are ours)
        return cursor.fetchone()[0]


def _opens(key: str, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except Exception:  # InvalidToken; anything else is as bad
        return False
    return True


@pytest.fixture
def stored(settings: Any, alice: User) -> dict[str, Any]:
    """One value of each kind, encrypted under OLD: a chat model's key, a calendar feed token, three
    integration credentials, and a TOTP authenticator's secret."""
    settings.FIELD_ENCRYPTION_KEY = [OLD]
    # The seeded default model's key was encrypted under the test settings' key: under OLD now.
    ChatModel.objects.update(api_key="")
    chat_model = ChatModel.objects.create(name="Provider", api_key="sk-live-chat-0123456789")
    feed_token = reminders_services.reset_feed(user=alice)
    integration = Integration.objects.create(user=alice, provider="vercel", name="Rotation")
    values = [f"vcp_credential_{n}_abcdefghijklmnop" for n in range(3)]
    credentials = [
        Credential.objects.create(integration=integration, field=f"f{n}", state="current", value=value)
        for n, value in enumerate(values)
    ]
    authenticator = Authenticator.objects.create(
        user=alice, type=Authenticator.Type.TOTP, data={"secret": encrypt_secret(TOTP_SECRET)}
    )
    return {
        "chat_model": chat_model,
        "feed": CalendarFeed.objects.get(user=alice),
        "feed_token": feed_token,
        "credentials": credentials,
        "values": values,
        "authenticator": authenticator,
        # Every encrypted value: the chat models' keys, the feed, three credentials, the TOTP secret.
        "count": ChatModel.objects.count() + 5,
    }


def _all_raw(stored: dict[str, Any]) -> list[str]:
    tokens = [
        _raw("chat_chatmodel", "api_key", stored["chat_model"].pk),
        _raw("reminders_calendarfeed", "token", stored["feed"].pk),
        *(_raw("integrations_credential", "value", c.pk) for c in stored["credentials"]),
    ]
    data = Authenticator.objects.filter(pk=stored["authenticator"].pk).values_list("data", flat=True).get()
    return [*tokens, data["secret"].removeprefix("fernet:")]


def _reads_the_same(stored: dict[str, Any]) -> None:
    assert ChatModel.objects.get(pk=stored["chat_model"].pk).api_key == "sk-live-chat-0123456789"
    assert CalendarFeed.objects.get(pk=stored["feed"].pk).token == stored["feed_token"]
    assert [Credential.objects.get(pk=c.pk).value for c in stored["credentials"]] == stored["values"]
    data = Authenticator.objects.get(pk=stored["authenticator"].pk).data
    assert decrypt_secret(data["secret"]) == TOTP_SECRET


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_encryption_key", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_every_encrypted_field_is_found_through_the_app_registry() -> None:
    labels = [source.label for source in keyrotation.encrypted_sources()]
    assert {
        "chat.ChatModel.api_key",
        "reminders.CalendarFeed.token",
        "integrations.Credential.value",
        "mfa.Authenticator.data",
    } <= set(labels)


def test_values_under_an_old_key_move_to_the_first_and_read_the_same(
    settings: Any, stored: dict[str, Any]
) -> None:
    before = _all_raw(stored)
    assert all(_opens(OLD, token) for token in before)
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    check = keyrotation.rotate_encryption_key(check_only=True)
    assert (check.rotated, check.rows_per_key) == (0, [0, stored["count"]])
    assert not check.removable(1)
    assert _all_raw(stored) == before  # a check changes nothing

    report = keyrotation.rotate_encryption_key()
    assert report.rotated == stored["count"]
    assert report.rows_per_key == [stored["count"], 0]
    assert report.removable(1)
    assert not report.removable(0)
    assert report.undecryptable == []
    after = _all_raw(stored)
    assert all(_opens(NEW, token) and not _opens(OLD, token) for token in after)
    # And without the old key at all, everything still reads the same.
    settings.FIELD_ENCRYPTION_KEY = [NEW]
    _reads_the_same(stored)


def test_a_second_run_changes_nothing(settings: Any, stored: dict[str, Any]) -> None:
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    keyrotation.rotate_encryption_key()
    first = _all_raw(stored)
    again = keyrotation.rotate_encryption_key()
    assert again.rotated == 0
    assert _all_raw(stored) == first
    _reads_the_same(stored)


def test_each_batch_is_its_own_locked_read(settings: Any, stored: dict[str, Any]) -> None:
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    with CaptureQueriesContext(connection) as queries:
        report = keyrotation.rotate_encryption_key(batch_size=2)
    assert report.rotated == stored["count"]
    locked = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    credential_batches = [sql for sql in locked if "integrations_credential" in sql]
    assert len(credential_batches) == 2  # three credentials, two a batch
    assert all("LIMIT" not in sql for sql in locked)
    _reads_the_same(stored)
    with pytest.raises(ValueError, match="batch_size"):
        keyrotation.rotate_encryption_key(batch_size=0)


def test_a_value_no_key_opens_is_reported_left_alone_and_fails_the_command(
    settings: Any, stored: dict[str, Any]
) -> None:
    lost = stored["credentials"][1]
    settings.FIELD_ENCRYPTION_KEY = [LOST]
    Credential.objects.filter(pk=lost.pk).update(value="under a key since lost")
    lost_raw = _raw("integrations_credential", "value", lost.pk)
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]

    with pytest.raises(CommandError, match="1 stored value"):
        _run()
    assert _raw("integrations_credential", "value", lost.pk) == lost_raw
    report = keyrotation.rotate_encryption_key(check_only=True)
    assert [(u.model, u.pk, u.field) for u in report.undecryptable] == [
        ("integrations.Credential", str(lost.pk), "value")
    ]
    # The others moved on anyway.
    assert report.rows_per_key[1] == 0
    assert _opens(NEW, _raw("integrations_credential", "value", stored["credentials"][0].pk))


def test_the_command_reports_per_key_and_never_prints_a_key_or_a_value(
    settings: Any, stored: dict[str, Any]
) -> None:
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    out, err = _run("--check")
    assert "Key #1:" in out
    assert f"Key #2: {stored['count']} value(s); still in use: keep it." in out
    assert "integrations.Credential.value" in out
    out2, err2 = _run("--batch-size", "3")
    assert f"Re-encrypted under key #1: {stored['count']} value(s)." in out2
    assert "Key #2: 0 value(s); no value uses it: it can be removed." in out2
    everything = out + err + out2 + err2
    secrets = [
        NEW,
        OLD,
        "sk-live-chat-0123456789",
        stored["feed_token"],
        TOTP_SECRET,
        *stored["values"],
        *_all_raw(stored),
    ]
    for secret in secrets:
        assert secret not in everything


@pytest.mark.parametrize("size", ["0", "-5", "many", "1e3", "100001"])
def test_a_bad_batch_size_is_refused_and_nothing_changes(
    settings: Any, stored: dict[str, Any], size: str
) -> None:
    settings.FIELD_ENCRYPTION_KEY = [NEW, OLD]
    before = _all_raw(stored)
    with pytest.raises(CommandError, match="--batch-size"):
        _run("--batch-size", size)
    assert _all_raw(stored) == before
