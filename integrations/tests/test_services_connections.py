"""Connecting, editing, verifying and disconnecting, against the fake providers: a connection is
saved only once the provider accepted it, secrets are stored encrypted and never written anywhere
else, and every refusal leaves nothing half-written."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from integrations import services
from integrations.errors import NotConnected, NotFound, UnknownProvider, VerificationFailed
from integrations.models import (
    Activity,
    ActivityAction,
    Credential,
    CredentialState,
    Integration,
    IntegrationStatus,
)
from integrations.providers.github.tests.fake import FakeGitHub
from integrations.providers.vercel.tests.fake import FakeVercel

pytestmark = pytest.mark.django_db


def _connect_vercel(user: Any, token: str, **extra: Any) -> Integration:
    return services.connect(
        user=user,
        provider="vercel",
        name="Production",
        values={"api_token": token, "team_id": "team_javari"},
        **extra,
    )


def _everything_written_as_text() -> str:
    """Every integration row, credential row and activity row as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT concat_ws('|', i::text, c::text, a::text) FROM integrations_integration i "
            "LEFT JOIN integrations_credential c ON c.integration_id = i.id "
            "LEFT JOIN integrations_activity a ON a.integration_id = i.id"
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def test_connect_verifies_then_stores_the_key_encrypted(
    alice: Any, fake_vercel: FakeVercel, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    token = fake_vercel.new_token()
    integration = _connect_vercel(alice, token)

    assert integration.status == IntegrationStatus.CONNECTED
    assert integration.config == {"team_id": "team_javari", "account": "ada"}
    assert integration.last_verified_at is not None
    credential = integration.credentials.get()
    assert (credential.field, credential.state, credential.value) == ("api_token", "current", token)
    assert credential.upstream_id == fake_vercel.token_id(token)
    assert list(integration.activity.values_list("action", flat=True)) == [ActivityAction.CONNECTED]
    # Encrypted at rest; not in any other column, nor in the logs.
    assert token not in _everything_written_as_text()
    assert token not in caplog.text
    assert services.masked_secrets(integration) == {"api_token": f"•••• {token[-4:]}"}


def test_a_wrong_token_saves_nothing_and_says_why(alice: Any, fake_vercel: FakeVercel) -> None:
    with pytest.raises(VerificationFailed) as caught:
        _connect_vercel(alice, "vcp_wrong_token_of_enough_length")
    assert caught.value.field == "api_token"
    assert "refused the credentials" in str(caught.value)
    assert "vcp_wrong" not in str(caught.value)
    assert not Integration.objects.exists()
    assert not Credential.objects.exists()


def test_an_unknown_team_is_refused_by_name(alice: Any, fake_vercel: FakeVercel) -> None:
    token = fake_vercel.new_token()
    with pytest.raises(VerificationFailed, match="team_nowhere"):
        services.connect(
            user=alice, provider="vercel", name="P", values={"api_token": token, "team_id": "team_nowhere"}
        )
    assert not Integration.objects.exists()


def test_an_unreachable_provider_saves_nothing(alice: Any) -> None:
    with pytest.raises(VerificationFailed) as caught:
        _connect_vercel(alice, "vcp_anything_long_enough")
    assert not caught.value.permanent
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "api_token"),
        ({"api_token": "has a space"}, "api_token"),
        ({"api_token": "tab\tinside"}, "api_token"),
        ({"api_token": "x" * 201}, "api_token"),
        ({"api_token": "\ud800lone"}, "api_token"),
        ({"api_token": ["a", "list"]}, "api_token"),
        ({"api_token": "vcp_ok", "team_id": "t" * 101}, "team_id"),
        ({"api_token": "vcp_ok", "surprise": "x"}, "surprise"),
    ],
    ids=["missing", "space", "tab", "too-long", "surrogate", "list", "team-too-long", "unknown"],
)
def test_bad_values_are_refused_by_field_before_any_call(
    alice: Any, fake_vercel: FakeVercel, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.connect(user=alice, provider="vercel", name="P", values=values)
    assert field in caught.value.message_dict
    assert fake_vercel.requests == []
    assert not Integration.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "n" * 101, None])
def test_a_name_is_required_and_bounded(alice: Any, fake_vercel: FakeVercel, name: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.connect(user=alice, provider="vercel", name=name, values={"api_token": "vcp_ok"})
    assert "name" in caught.value.message_dict


def test_an_unknown_provider_is_refused(alice: Any) -> None:
    with pytest.raises(UnknownProvider):
        services.connect(user=alice, provider="myspace", name="P", values={})


def test_a_bad_schedule_is_refused(alice: Any, fake_vercel: FakeVercel) -> None:
    with pytest.raises(ValidationError) as caught:
        _connect_vercel(alice, fake_vercel.new_token(), auto_rotate="yes", rotation_schedule="hourly")
    assert {"auto_rotate", "rotation_schedule"} <= caught.value.message_dict.keys()


def test_auto_rotation_plans_the_next_rotation_one_period_on(alice: Any, fake_vercel: FakeVercel) -> None:
    integration = _connect_vercel(
        alice, fake_vercel.new_token(), auto_rotate=True, rotation_schedule="monthly"
    )
    assert integration.next_rotation_at is not None
    assert (integration.next_rotation_at - integration.created_at).days in (28, 29, 30, 31)
    off = services.update_integration(user=alice, integration_id=integration.pk, auto_rotate=False)
    assert off.next_rotation_at is None


def test_re_entering_a_key_verifies_it_and_retires_the_old_one(alice: Any, fake_vercel: FakeVercel) -> None:
    old = fake_vercel.new_token()
    integration = _connect_vercel(alice, old)
    new = fake_vercel.new_token()
    updated = services.update_integration(
        user=alice, integration_id=integration.pk, values={"api_token": new}
    )

    assert services.access_for(updated).secret("api_token") == new
    retired = updated.credentials.get(state=CredentialState.RETIRED)
    assert retired.value == ""
    assert updated.last_rotated_at is not None
    assert updated.activity.filter(action=ActivityAction.UPDATED).exists()
    assert new not in _everything_written_as_text()


def test_a_wrong_new_key_changes_nothing(alice: Any, fake_vercel: FakeVercel) -> None:
    old = fake_vercel.new_token()
    integration = _connect_vercel(alice, old)
    with pytest.raises(VerificationFailed):
        services.update_integration(
            user=alice, integration_id=integration.pk, values={"api_token": "vcp_wrong_one"}
        )
    integration.refresh_from_db()
    assert services.access_for(integration).secret("api_token") == old
    assert integration.credentials.count() == 1
    assert integration.activity.filter(action=ActivityAction.VERIFICATION_FAILED, success=False).exists()


def test_a_blank_key_on_edit_keeps_the_stored_one(alice: Any, fake_vercel: FakeVercel) -> None:
    token = fake_vercel.new_token()
    integration = _connect_vercel(alice, token)
    updated = services.update_integration(
        user=alice, integration_id=integration.pk, name="Renamed", values={"api_token": ""}
    )
    assert updated.name == "Renamed"
    assert services.access_for(updated).secret("api_token") == token


def test_verify_now_marks_a_revoked_key_in_error_and_a_working_one_connected(
    alice: Any, fake_vercel: FakeVercel
) -> None:
    token = fake_vercel.new_token()
    integration = _connect_vercel(alice, token)
    fake_vercel.tokens.pop(token)
    failed = services.verify_integration(user=alice, integration_id=integration.pk)
    assert failed.status == IntegrationStatus.ERROR
    assert "refused" in failed.status_detail

    fake_vercel.tokens[token] = {"id": "tok_back", "name": "back"}
    again = services.verify_integration(user=alice, integration_id=integration.pk)
    assert again.status == IntegrationStatus.CONNECTED
    assert again.status_detail == ""


def test_a_provider_outage_is_logged_but_keeps_the_status(alice: Any, fake_vercel: FakeVercel) -> None:
    integration = _connect_vercel(alice, fake_vercel.new_token())
    fake_vercel.fail["GET /v2/user"] = 503
    checked = services.verify_integration(user=alice, integration_id=integration.pk)
    assert checked.status == IntegrationStatus.CONNECTED
    assert checked.activity.filter(
        action=ActivityAction.VERIFICATION_FAILED, metadata__permanent=False
    ).exists()


def test_disconnect_wipes_the_secrets_and_keeps_the_history(alice: Any, fake_vercel: FakeVercel) -> None:
    integration = _connect_vercel(alice, fake_vercel.new_token(), auto_rotate=True)
    done = services.disconnect(user=alice, integration_id=integration.pk)
    assert done.status == IntegrationStatus.DISCONNECTED
    assert done.next_rotation_at is None
    assert set(done.credentials.values_list("state", "value")) == {(CredentialState.RETIRED, "")}
    assert list(done.activity.values_list("action", flat=True)) == [
        ActivityAction.DISCONNECTED,
        ActivityAction.CONNECTED,
    ]
    # Twice is fine; editing or verifying a disconnected one is not.
    assert (
        services.disconnect(user=alice, integration_id=integration.pk).status
        == IntegrationStatus.DISCONNECTED
    )
    with pytest.raises(NotConnected):
        services.verify_integration(user=alice, integration_id=integration.pk)
    with pytest.raises(NotConnected):
        services.update_integration(user=alice, integration_id=integration.pk, name="x")


def test_charlie_cannot_reach_alices_integration(alice: Any, charlie: Any, fake_vercel: FakeVercel) -> None:
    integration = _connect_vercel(alice, fake_vercel.new_token())
    for call in (
        lambda: services.get_integration(user=charlie, integration_id=integration.pk),
        lambda: services.verify_integration(user=charlie, integration_id=integration.pk),
        lambda: services.update_integration(user=charlie, integration_id=integration.pk, name="mine"),
        lambda: services.disconnect(user=charlie, integration_id=integration.pk),
    ):
        with pytest.raises(NotFound):
            call()
    integration.refresh_from_db()
    assert integration.name == "Production"
    assert integration.status == IntegrationStatus.CONNECTED
    assert Activity.objects.filter(user=charlie).count() == 0


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "\x00"])
def test_a_bad_id_is_not_found(alice: Any, bad_id: str) -> None:
    with pytest.raises(NotFound):
        services.get_integration(user=alice, integration_id=bad_id)


def test_github_records_the_tokens_expiry(alice: Any, fake_github: FakeGitHub) -> None:
    token = fake_github.new_token(expires="2027-03-01 00:00:00 UTC")
    integration = services.connect(
        user=alice, provider="github", name="Code", values={"personal_access_token": token}
    )
    assert integration.key_expires_at is not None
    assert integration.key_expires_at.isoformat() == "2027-03-01T00:00:00+00:00"
    assert integration.config["account"] == "ada"
