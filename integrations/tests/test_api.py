"""/api/v1/integrations/: list, connect, read, change, disconnect, verify, activity and the providers,
against the fake Vercel and GitHub servers; one's own only, secrets write-only (masks in every
answer, no-store), and every bad input a 4xx with nothing written."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import create_api_key
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
from preferences.services import update_preferences

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/"


def detail_url(integration: Integration | str) -> str:
    return f"{URL}{getattr(integration, 'pk', integration)}/"


def _json(client: Client, method: str, url: str, data: Any = None, **extra: Any) -> Any:
    if method == "get" or data is None:
        return getattr(client, method)(url, **extra)
    body = data if isinstance(data, str) else json.dumps(data)
    return getattr(client, method)(url, body, content_type="application/json", **extra)


@pytest.fixture
def as_alice(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _connect(client: Client, token: str, **fields: Any) -> Any:
    body = {
        "provider": "vercel",
        "name": "Production",
        "values": {"api_token": token, "team_id": "team_javari"},
        **fields,
    }
    return _json(client, "post", URL, body)


def _connected(client: Client, fake: FakeVercel, **fields: Any) -> tuple[Integration, str]:
    token = fake.new_token()
    response = _connect(client, token, **fields)
    assert response.status_code == 201, response.content[:500]
    return Integration.objects.get(pk=response.json()["id"]), token


def _no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def _every_request(integration_id: str) -> list[tuple[str, str, Any]]:
    url = detail_url(integration_id)
    return [
        ("get", url, None),
        ("patch", url, {"name": "Mine now"}),
        ("delete", url, None),
        ("post", f"{url}verify/", None),
        ("post", f"{url}rotate/", None),
        ("get", f"{url}activity/", None),
    ]


# --- Connect and read -----------------------------------------------------------------------------


def test_connect_verifies_and_answers_the_masks_never_the_token(
    as_alice: Client, alice: User, fake_vercel: FakeVercel
) -> None:
    token = fake_vercel.new_token()
    response = _connect(as_alice, token, auto_rotate=True, rotation_schedule="weekly")

    assert response.status_code == 201, response.content[:500]
    assert _no_store(response)
    assert token not in response.content.decode()
    body = response.json()
    integration = Integration.objects.get(user=alice)
    assert body["id"] == str(integration.pk)
    assert body["provider"] == "vercel"
    assert body["provider_name"] == "Vercel"
    assert body["name"] == "Production"
    assert body["status"] == "connected"
    assert body["account"] == "ada"
    assert body["settings"] == {"team_id": "team_javari"}
    assert body["secrets"] == {"api_token": f"•••• {token[-4:]}"}
    assert body["auto_rotate"] is True
    assert body["rotation_schedule"] == "weekly"
    assert body["next_rotation_at"].endswith("Z")
    assert body["last_verified_at"].endswith("Z")
    assert body["disconnected_at"] is None
    # The provider was called with the token; it is stored encrypted, as the current key.
    assert ("GET", "/v2/user", token) in fake_vercel.requests
    assert integration.credentials.get(state=CredentialState.CURRENT).value == token


def test_connect_github_records_the_token_s_expiry(
    as_alice: Client, alice: User, fake_github: FakeGitHub
) -> None:
    token = fake_github.new_token(login="octo", expires="2030-05-01 10:00:00 UTC")
    body = {"provider": "github", "name": "Repos", "values": {"personal_access_token": token}}
    response = _json(as_alice, "post", URL, body)
    assert response.status_code == 201, response.content[:500]
    body = response.json()
    assert (body["provider"], body["account"], body["settings"]) == ("github", "octo", {})
    assert body["key_expires_at"] == "2030-05-01T10:00:00Z"
    assert body["secrets"] == {"personal_access_token": f"•••• {token[-4:]}"}
    assert token not in response.content.decode()


def test_a_wrong_token_is_a_400_naming_the_field_and_saves_nothing(
    as_alice: Client, fake_vercel: FakeVercel
) -> None:
    token = "vcp_not_a_token_vercel_knows_1234"
    response = _connect(as_alice, token)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "verification_failed"
    assert "refused" in body["detail"]
    assert list(body["fields"]) == ["values.api_token"]
    assert token not in response.content.decode()
    assert _no_store(response)
    assert not Integration.objects.exists()
    assert not Credential.objects.exists()
    assert not Activity.objects.exists()


def test_an_unknown_team_and_an_unreachable_provider_say_why(
    as_alice: Client, fake_vercel: FakeVercel, settings: Any
) -> None:
    token = fake_vercel.new_token()
    response = _connect(as_alice, token, values={"api_token": token, "team_id": "team_other"})
    assert response.status_code == 400
    assert response.json()["error"] == "verification_failed"
    assert "team_other" in response.json()["detail"]

    fake_vercel.fail["GET /v2/user"] = 503
    response = _connect(as_alice, token)
    assert response.status_code == 400
    assert response.json()["error"] == "verification_failed"
    assert "fields" not in response.json()  # not the token's fault

    settings.INTEGRATIONS_VERCEL_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = _connect(as_alice, token)
    assert response.status_code == 400
    assert response.json()["error"] == "verification_failed"
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"values": {"team_id": "team_javari"}}, {"values.api_token"}),
        ({"values": {"api_token": "vcp with spaces inside it"}}, {"values.api_token"}),
        ({"values": {"api_token": "vcp_" + "x" * 300}}, {"values.api_token"}),
        ({"values": {"api_token": "vcp_abcdefghijklmnop", "colour": "red"}}, {"values.colour"}),
        ({"name": "   "}, {"name"}),
        ({"name": "", "values": {}}, {"name", "values.api_token"}),
        ({"auto_rotate": "sometimes"}, {"auto_rotate"}),
        ({"rotation_schedule": "daily"}, {"rotation_schedule"}),
        ({"values": ["api_token"]}, {"values"}),
        ({"values": {"api_token": ["a", "list"]}}, {"values"}),
        ({"values": {"api_token": True}}, {"values"}),
        ({"values": {"api_token": {"nested": "x"}}}, {"values"}),
        ({"values": {f"f{n}": "x" for n in range(50)}}, {"values"}),
        ({"name": ["a", "list"]}, {"name"}),
        ({"name": "x" * 101}, {"name"}),
        ({"favourite": "field"}, {"favourite"}),
    ],
)
def test_bad_fields_are_named_and_no_provider_is_called(
    as_alice: Client, fake_vercel: FakeVercel, fields: dict[str, Any], named: set[str]
) -> None:
    body = {"provider": "vercel", "name": "Production", "values": {"api_token": "vcp_abcdefghijklmnop"}}
    response = _json(as_alice, "post", URL, {**body, **fields})
    assert response.status_code == 400, response.content[:500]
    assert response.json()["error"] == "invalid"
    assert set(response.json()["fields"]) == named
    assert fake_vercel.requests == []
    assert not Integration.objects.exists()


def test_an_unknown_provider_is_a_400(as_alice: Client) -> None:
    for provider in ("myspace", "", 5, None, "vercel\x01"):
        response = _json(as_alice, "post", URL, {"provider": provider, "name": "x", "values": {}})
        assert response.status_code == 400, (provider, response.content[:300])
        assert response.json()["error"] in {"unknown_provider", "invalid", "invalid_text"}
    assert not Integration.objects.exists()


def test_an_oauth_provider_is_connected_in_the_browser_not_here(as_alice: Client) -> None:
    response = _json(as_alice, "post", URL, {"provider": "gmail", "name": "Mail", "values": {}})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "provider": [
            "Gmail is connected in the browser, where you sign in to it and allow access: open "
            "Settings → Integrations and choose Connect."
        ]
    }
    assert not Integration.objects.exists()
    listed = {p["slug"]: p for p in as_alice.get(f"{URL}providers/").json()}
    assert listed["gmail"]["uses_oauth"] is True


def test_the_list_is_one_s_own_and_hides_disconnected_ones_unless_asked(
    as_alice: Client, alice: User, charlie: User, fake_vercel: FakeVercel
) -> None:
    first, token = _connected(as_alice, fake_vercel, name="A")
    second, _token = _connected(as_alice, fake_vercel, name="B")
    assert as_alice.delete(detail_url(second)).status_code == 200

    response = as_alice.get(URL)
    assert response.status_code == 200
    assert _no_store(response)
    body = response.json()
    assert (body["count"], [row["id"] for row in body["results"]]) == (1, [str(first.pk)])
    assert body["results"][0]["secrets"] == {"api_token": f"•••• {token[-4:]}"}
    everything = as_alice.get(URL, {"include_disconnected": "true"}).json()
    assert [row["name"] for row in everything["results"]] == ["A", "B"]
    assert everything["results"][1]["status"] == "disconnected"
    assert as_alice.get(URL, {"include_disconnected": "perhaps"}).status_code == 400
    assert token not in response.content.decode()

    as_alice.force_login(charlie)
    assert as_alice.get(URL, {"include_disconnected": "true"}).json()["count"] == 0


def test_read_answers_in_utc_whatever_the_caller_s_zone(
    as_alice: Client, alice: User, fake_vercel: FakeVercel
) -> None:
    update_preferences(user=alice, time_zone="Asia/Tokyo")
    integration, _token = _connected(as_alice, fake_vercel)
    response = as_alice.get(detail_url(integration))
    assert response.status_code == 200
    assert _no_store(response)
    assert response.json()["created_at"].endswith("Z")
    assert response.json()["last_verified_at"].endswith("Z")


# --- Change, verify, disconnect -------------------------------------------------------------------


def test_patch_with_a_new_token_verifies_it_and_replaces_the_stored_one(
    as_alice: Client, fake_vercel: FakeVercel
) -> None:
    integration, old = _connected(as_alice, fake_vercel)
    new = fake_vercel.new_token()
    response = _json(as_alice, "patch", detail_url(integration), {"values": {"api_token": new}})
    assert response.status_code == 200, response.content[:500]
    assert _no_store(response)
    assert response.json()["secrets"] == {"api_token": f"•••• {new[-4:]}"}
    assert new not in response.content.decode()
    assert integration.credentials.get(state=CredentialState.CURRENT).value == new
    assert not Credential.objects.filter(value=old).exists()


def test_patch_with_a_refused_token_changes_nothing(as_alice: Client, fake_vercel: FakeVercel) -> None:
    integration, token = _connected(as_alice, fake_vercel)
    wrong = "vcp_refused_by_vercel_0123456789"
    response = _json(
        as_alice, "patch", detail_url(integration), {"name": "Renamed", "values": {"api_token": wrong}}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "verification_failed"
    assert response.json()["fields"] == {"values.api_token": [response.json()["detail"]]}
    assert wrong not in response.content.decode()
    integration.refresh_from_db()
    assert integration.name == "Production"
    assert integration.credentials.get(state=CredentialState.CURRENT).value == token


def test_a_token_a_header_cant_carry_is_refused_and_changes_nothing(
    as_alice: Client, fake_vercel: FakeVercel
) -> None:
    # httpx sends headers as ASCII: a token with "é" raised UnicodeEncodeError (a 500) on POST and PATCH.
    response = _connect(as_alice, "vcp_clé0123456789")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"] == "verification_failed"
    assert not Integration.objects.exists()
    integration, token = _connected(as_alice, fake_vercel)
    calls = len(fake_vercel.requests)
    body = {"values": {"api_token": "vcp_clé0123456789"}}
    response = _json(as_alice, "patch", detail_url(integration), body)
    assert response.status_code == 400, response.content[:300]
    assert "clé" not in response.content.decode()
    assert integration.credentials.get(state=CredentialState.CURRENT).value == token
    assert len(fake_vercel.requests) == calls


def test_patch_changes_only_what_is_sent(as_alice: Client, fake_vercel: FakeVercel) -> None:
    integration, token = _connected(as_alice, fake_vercel)
    calls = len(fake_vercel.requests)
    response = _json(
        as_alice,
        "patch",
        detail_url(integration),
        {"name": "Staging", "auto_rotate": True, "rotation_schedule": "quarterly"},
    )
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert (body["name"], body["auto_rotate"], body["rotation_schedule"]) == ("Staging", True, "quarterly")
    assert body["next_rotation_at"] is not None
    assert body["secrets"] == {"api_token": f"•••• {token[-4:]}"}
    assert len(fake_vercel.requests) == calls  # nothing to verify: no secret or setting changed
    # What was read can be sent back as it was (read-only fields are ignored).
    again = _json(as_alice, "patch", detail_url(integration), body)
    assert again.status_code == 200, again.content[:500]
    assert _json(as_alice, "patch", detail_url(integration), {"colour": "red"}).status_code == 400
    bad = _json(as_alice, "patch", detail_url(integration), {"values": {"team_id": "x" * 101}})
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"values.team_id"}


def test_delete_disconnects_keeps_the_row_and_is_harmless_twice(
    as_alice: Client, fake_vercel: FakeVercel
) -> None:
    integration, _token = _connected(as_alice, fake_vercel)
    response = as_alice.delete(detail_url(integration))
    assert response.status_code == 200
    assert _no_store(response)
    body = response.json()
    assert (body["status"], body["secrets"], body["auto_rotate"]) == ("disconnected", {}, False)
    assert body["disconnected_at"].endswith("Z")
    assert not Credential.objects.filter(integration=integration).exclude(state="retired").exists()
    assert as_alice.delete(detail_url(integration)).json()["status"] == "disconnected"
    assert as_alice.get(detail_url(integration)).json()["status"] == "disconnected"
    # A disconnected integration can't be changed or verified: connect it again.
    for method, url in (
        ("patch", detail_url(integration)),
        ("post", f"{detail_url(integration)}verify/"),
        ("post", f"{detail_url(integration)}rotate/"),
    ):
        response = _json(as_alice, method, url, {"name": "Back"})
        assert response.status_code == 409
        assert response.json()["error"] == "not_connected"


def test_verify_records_what_the_provider_says(as_alice: Client, fake_vercel: FakeVercel) -> None:
    integration, token = _connected(as_alice, fake_vercel)
    response = as_alice.post(f"{detail_url(integration)}verify/")
    assert response.status_code == 200
    assert _no_store(response)
    assert response.json()["status"] == "connected"

    del fake_vercel.tokens[token]  # revoked on Vercel's side
    response = as_alice.post(f"{detail_url(integration)}verify/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "error"
    assert "refused" in body["status_detail"]
    assert token not in response.content.decode()
    actions = list(integration.activity.values_list("action", flat=True))
    assert actions[:2] == [ActivityAction.VERIFICATION_FAILED, ActivityAction.VERIFIED]


def test_rotate_puts_a_new_key_in_use_and_revokes_the_old_one(
    as_alice: Client, fake_vercel: FakeVercel
) -> None:
    integration, old = _connected(as_alice, fake_vercel, auto_rotate=True)
    old_id = fake_vercel.token_id(old)
    response = as_alice.post(f"{detail_url(integration)}rotate/")
    assert response.status_code == 200, response.content[:500]
    assert _no_store(response)
    new = integration.credentials.get(state=CredentialState.CURRENT).value
    assert new != old
    assert new in fake_vercel.live_values()
    assert old not in fake_vercel.live_values()
    assert old_id in fake_vercel.revoked
    body = response.json()
    assert body["secrets"] == {"api_token": f"•••• {new[-4:]}"}
    assert body["last_rotated_at"].endswith("Z")
    assert new not in response.content.decode()
    assert old not in response.content.decode()
    activity = as_alice.get(f"{detail_url(integration)}activity/").content.decode()
    assert "key_rotated" in activity
    assert new not in activity
    assert old not in activity


def test_a_failed_rotation_is_a_502_and_keeps_the_current_key(
    as_alice: Client, fake_vercel: FakeVercel
) -> None:
    integration, token = _connected(as_alice, fake_vercel)
    fake_vercel.fail["POST /v3/user/tokens"] = 500
    response = as_alice.post(f"{detail_url(integration)}rotate/")
    assert response.status_code == 502
    assert response.json()["error"] == "rotation_failed"
    assert _no_store(response)
    assert integration.credentials.get(state=CredentialState.CURRENT).value == token
    assert token in fake_vercel.live_values()


def test_a_provider_that_can_t_rotate_by_api_is_a_409(as_alice: Client, fake_github: FakeGitHub) -> None:
    token = fake_github.new_token()
    body = {"provider": "github", "name": "Repos", "values": {"personal_access_token": token}}
    created = _json(as_alice, "post", URL, body)
    assert created.status_code == 201
    response = as_alice.post(f"{detail_url(created.json()['id'])}rotate/")
    assert response.status_code == 409
    assert response.json()["error"] == "rotation_not_supported"


def test_activity_is_paged_newest_first(as_alice: Client, fake_vercel: FakeVercel) -> None:
    integration, token = _connected(as_alice, fake_vercel)
    for _ in range(3):
        assert as_alice.post(f"{detail_url(integration)}verify/").status_code == 200
    response = as_alice.get(f"{detail_url(integration)}activity/", {"page_size": 2})
    assert response.status_code == 200
    assert _no_store(response)
    body = response.json()
    assert body["count"] == 4
    assert [row["action"] for row in body["results"]] == ["verified", "verified"]
    assert body["next"] is not None
    last = as_alice.get(f"{detail_url(integration)}activity/", {"page_size": 2, "page": 2}).json()
    assert [row["action"] for row in last["results"]] == ["verified", "connected"]
    assert last["results"][1]["metadata"] == {"account": "ada"}
    assert last["results"][1]["created_at"].endswith("Z")
    assert as_alice.get(f"{detail_url(integration)}activity/", {"page": 9}).status_code == 404
    assert token not in response.content.decode()


def test_the_providers_list_says_each_provider_s_fields(as_alice: Client) -> None:
    response = as_alice.get(f"{URL}providers/")
    assert response.status_code == 200
    listed = {provider["slug"]: provider for provider in response.json()}
    assert {"vercel", "github"} <= set(listed)
    vercel = listed["vercel"]
    assert vercel["name"] == "Vercel"
    assert vercel["rotates_by_api"] is True
    assert vercel["uses_oauth"] is False
    assert "deploy" in vercel["capabilities"]
    token, team = vercel["fields"]
    assert (token["name"], token["secret"], token["required"], token["kind"]) == (
        "api_token",
        True,
        True,
        "secret",
    )
    assert (team["name"], team["secret"], team["required"], team["kind"]) == ("team_id", False, False, "text")
    assert team["label"] == "Team ID"
    assert listed["github"]["rotates_by_api"] is False


# --- Access ---------------------------------------------------------------------------------------


def test_signed_out_every_endpoint_asks_for_credentials(client: Client, alice: User) -> None:
    integration = Integration.objects.create(user=alice, provider="vercel", name="Alice's")
    requests = [
        ("get", URL, None),
        ("post", URL, {"provider": "vercel", "name": "x", "values": {}}),
        ("get", f"{URL}providers/", None),
        *_every_request(str(integration.pk)),
    ]
    for method, url, body in requests:
        response = _json(client, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"] == "not_authenticated"
    assert Integration.objects.get(pk=integration.pk).status == IntegrationStatus.CONNECTED


def test_charlie_gets_a_404_for_alice_s_integration_and_changes_nothing(
    client: Client, alice: User, charlie: User, fake_vercel: FakeVercel
) -> None:
    client.force_login(alice)
    integration, token = _connected(client, fake_vercel)
    calls = len(fake_vercel.requests)
    client.force_login(charlie)
    for method, url, body in _every_request(str(integration.pk)):
        response = _json(client, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response.json()["error"] == "not_found"
        if body is not None:  # a bad body too: someone else's integration is a 404 first
            assert _json(client, method, url, {"values": 5}).status_code == 404
    after = Integration.objects.get(pk=integration.pk)
    assert (after.name, after.status, after.updated_at) == ("Production", "connected", integration.updated_at)
    assert after.credentials.get(state=CredentialState.CURRENT).value == token
    assert len(fake_vercel.requests) == calls
    assert client.get(f"{URL}{uuid.uuid4()}/").status_code == 404
    assert client.get(f"{URL}not-a-uuid/").status_code == 404


def test_an_api_key_acts_as_its_owner(client: Client, charlie: User, fake_vercel: FakeVercel) -> None:
    _key, raw = create_api_key(user=charlie, name="CLI")
    headers = {"Authorization": f"Bearer {raw}"}
    token = fake_vercel.new_token()
    body = {"provider": "vercel", "name": "CLI's", "values": {"api_token": token}}
    response = _json(client, "post", URL, body, headers=headers)
    assert response.status_code == 201, response.content[:500]
    assert Integration.objects.get(pk=response.json()["id"]).user == charlie
    assert client.get(URL, headers=headers).json()["count"] == 1


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"provider": "vercel", "name": "a\\u0000b", "values": {"api_token": "vcp_abcdefghijklmnop"}}',
        '{"provider": "vercel", "name": "ok", "values": {"api_token": "vcp_\\u0000abcdefghijklmnop"}}',
        '{"provider": "vercel", "name": "\\ud800", "values": {"api_token": "vcp_abcdefghijklmnop"}}',
        '{"provider": "vercel", "name": "ok", "values": {"api_token": "vcp_\\udfffabcdefghijklmnop"}}',
        '{"provider": "vercel", "name": "ok", "values": {"\\ud800": "x"}}',
        '{"provider": "vercel", "name": "ok", "values": {"api_token": "' + "x" * 1_000_000 + '"}}',
        '{"provider": "vercel", "name": "' + "x" * 1_000_000 + '", "values": {}}',
        "[" * 10_000 + "]" * 10_000,
        '{"provider": "vercel", "name": "ok", "values": ' + "[" * 10_000 + "]" * 10_000 + "}",
        '{"provider": ',
        '["a", "list"]',
        '"just a string"',
        '{"provider": "vercel", "name": "ok", "values": {"api_token": 1e999}}',
    ],
    ids=[
        "nul-name",
        "nul-token",
        "surrogate-name",
        "surrogate-token",
        "surrogate-key",
        "megabyte-token",
        "megabyte-name",
        "deep",
        "deep-inside",
        "broken",
        "list",
        "string",
        "inf",
    ],
)
def test_an_unreadable_or_unstorable_body_is_a_4xx_and_nothing_is_written(
    as_alice: Client, fake_vercel: FakeVercel, raw: str
) -> None:
    response = as_alice.post(URL, raw, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content[:300]
    assert response.json()["error"] in {"invalid_text", "parse_error", "invalid", "request_too_large"}
    assert not Integration.objects.exists()
    integration, token = _connected(as_alice, fake_vercel)
    calls = len(fake_vercel.requests)
    response = as_alice.patch(detail_url(integration), raw, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content[:300]
    after = Integration.objects.get(pk=integration.pk)
    assert (after.name, after.updated_at) == (integration.name, integration.updated_at)
    assert after.credentials.get(state=CredentialState.CURRENT).value == token
    assert len(fake_vercel.requests) == calls


def test_errors_are_in_the_person_s_language(as_alice: Client, alice: User, fake_vercel: FakeVercel) -> None:
    alice.language = "es"
    alice.save(update_fields=["language"])
    response = _json(as_alice, "post", URL, {"provider": "vercel", "name": "", "values": {}})
    assert response.status_code == 400
    assert response.json()["fields"]["values.api_token"] == ["Este campo es obligatorio."]
