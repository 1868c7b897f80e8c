"""Personal API keys: creating (shown once, only a hash kept), listing, revoking; the Security page,
the /api/v1/api-keys/ API and the admin, each with its access rules (alice, charlie)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import ApiKey, User

pytestmark = pytest.mark.django_db
KEYS = "/api/v1/api-keys/"
SECURITY = "/accounts/security/"
CREATE = "/accounts/security/api-keys/"


def revoke_url(key: ApiKey) -> str:
    return f"/accounts/security/api-keys/{key.pk}/revoke/"


def row_text(key: ApiKey) -> str:
    """Every column of the key's row, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apikey WHERE id = %s", [key.pk])
        return " ".join(str(value) for value in cursor.fetchone())


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


# --- Services ---------------------------------------------------------------------------------------


def test_a_created_key_is_stored_only_as_a_hash(alice: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="  CI server  ")
    assert plaintext.startswith(key.prefix + "_")
    assert len(key.prefix) == 11
    assert key.prefix.startswith("jv_")
    assert len(plaintext) == 11 + 1 + 43
    assert key.name == "CI server"
    assert key.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    stored = row_text(key)
    assert plaintext not in stored
    # Nor its secret part: everything after the prefix and its "_" (the secret may hold "_" too, so
    # splitting on the last one could leave a fragment short enough to occur in the row by chance).
    secret = plaintext[len(key.prefix) + 1 :]
    assert len(secret) == 43
    assert secret not in stored
    assert services.authenticate_api_key(plaintext) == key


def test_a_user_has_several_keys_each_its_own(alice: User) -> None:
    made = [services.create_api_key(user=alice, name=f"key {n}") for n in range(3)]
    assert alice.api_keys.count() == 3
    assert len({key.prefix for key, _ in made}) == 3
    assert len({plaintext for _, plaintext in made}) == 3
    for key, plaintext in made:
        assert services.authenticate_api_key(plaintext) == key


@pytest.mark.parametrize("name", ["", "   "])
def test_a_name_is_required(alice: User, name: str) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_api_key(user=alice, name=name)
    assert error.value.message_dict == {"name": ["Give the key a name."]}
    assert not ApiKey.objects.exists()


def test_a_name_longer_than_80_characters_is_refused(alice: User) -> None:
    with pytest.raises(ValidationError):
        services.create_api_key(user=alice, name="x" * 81)
    assert not ApiKey.objects.exists()


def test_the_expiry_must_be_in_the_future(alice: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_api_key(user=alice, name="old", expires_at=timezone.now() - timedelta(minutes=1))
    assert error.value.message_dict == {"expires_at": ["The expiry must be in the future."]}
    assert not ApiKey.objects.exists()


def test_past_the_cap_a_key_is_refused_until_one_is_revoked(alice: User, charlie: User) -> None:
    keys = [services.create_api_key(user=alice, name=f"k{n}")[0] for n in range(services.MAX_ACTIVE_API_KEYS)]
    with pytest.raises(ValidationError) as error:
        services.create_api_key(user=alice, name="one too many")
    assert error.value.messages == [
        "You already have 20 active API keys. Revoke one before creating another."
    ]
    assert alice.api_keys.count() == services.MAX_ACTIVE_API_KEYS
    services.create_api_key(user=charlie, name="his own cap")  # the cap is per user
    services.revoke_api_key(user=alice, key_id=keys[0].pk)
    services.create_api_key(user=alice, name="room again")
    ApiKey.objects.filter(pk=keys[1].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    services.create_api_key(user=alice, name="expired keys don't count")


def test_revoking_is_immediate_and_repeatable(alice: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="laptop")
    services.revoke_api_key(user=alice, key_id=key.pk)
    with pytest.raises(services.InvalidApiKey) as error:
        services.authenticate_api_key(plaintext)
    assert error.value.reason == services.InvalidApiKey.Reason.REVOKED
    revoked_at = ApiKey.objects.get(pk=key.pk).revoked_at
    services.revoke_api_key(user=alice, key_id=key.pk)
    assert ApiKey.objects.get(pk=key.pk).revoked_at == revoked_at


@pytest.mark.parametrize("key_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_revoking_a_missing_key_is_not_found(alice: User, key_id: str) -> None:
    with pytest.raises(services.ApiKeyNotFound):
        services.revoke_api_key(user=alice, key_id=key_id)


def test_another_users_key_reads_as_not_found(alice: User, charlie: User) -> None:
    key, _plaintext = services.create_api_key(user=alice, name="hers")
    with pytest.raises(services.ApiKeyNotFound) as error:
        services.revoke_api_key(user=charlie, key_id=key.pk)
    assert str(error.value) == "No such API key."
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "malformed"),
        ("jv_short", "malformed"),
        ("jv_abcdefgh_" + "a" * 43, "unknown"),
    ],
)
def test_authentication_failures_carry_a_reason(alice: User, raw: str, reason: str) -> None:
    with pytest.raises(services.InvalidApiKey) as error:
        services.authenticate_api_key(raw)
    assert error.value.reason == reason


def test_an_expired_key_fails_as_expired_and_a_revoked_one_as_revoked(alice: User) -> None:
    key, plaintext = services.create_api_key(
        user=alice, name="k", expires_at=timezone.now() + timedelta(days=1)
    )
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(days=1))
    with pytest.raises(services.InvalidApiKey) as error:
        services.authenticate_api_key(plaintext)
    assert (error.value.reason, str(error.value)) == ("expired", "This API key has expired.")
    services.revoke_api_key(user=alice, key_id=key.pk)
    with pytest.raises(services.InvalidApiKey) as error:
        services.authenticate_api_key(plaintext)
    assert error.value.reason == "revoked"  # revoked says so even once expired


def test_the_plaintext_is_never_logged(alice: User, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    key, plaintext = services.create_api_key(user=alice, name="k")
    services.authenticate_api_key(plaintext)
    services.revoke_api_key(user=alice, key_id=key.pk)
    assert key.prefix in caplog.text
    assert plaintext not in caplog.text


def test_deleting_the_account_deletes_its_keys(alice: User) -> None:
    services.create_api_key(user=alice, name="k")
    services.delete_account(user=alice)
    assert not ApiKey.objects.exists()


# --- The Security & Keys page -------------------------------------------------------------------------


def test_the_security_page_lists_keys_with_their_state(
    alice_client: Client, alice: User, charlie: User
) -> None:
    active, _ = services.create_api_key(user=alice, name="Active one")
    revoked, _ = services.create_api_key(user=alice, name="Revoked one")
    services.revoke_api_key(user=alice, key_id=revoked.pk)
    expired, _ = services.create_api_key(
        user=alice, name="Expired one", expires_at=timezone.now() + timedelta(days=1)
    )
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    theirs, _ = services.create_api_key(user=charlie, name="Charlie's key")
    page = alice_client.get(SECURITY).text
    for key in (active, revoked, expired):
        assert key.name in page
        assert key.prefix in page
    assert theirs.name not in page
    assert theirs.prefix not in page
    assert ">Active<" in page
    assert ">Revoked<" in page
    assert ">Expired<" in page
    assert revoke_url(active) in page
    assert revoke_url(revoked) not in page
    assert revoke_url(expired) not in page
    assert "Never used" in page


def _no_store(response) -> bool:
    return "no-store" in {part.strip() for part in response.get("Cache-Control", "").split(",")}


def test_a_key_created_on_the_page_is_shown_once_after_a_redirect(alice_client: Client, alice: User) -> None:
    response = alice_client.post(CREATE, {"name": "Deploy bot", "expires_on": ""})
    # POST-redirect-GET: reloading what the browser shows next repeats a GET, never the POST.
    assert response.status_code == 303
    assert response["Location"] == f"{SECURITY}#new-api-key-heading"
    assert _no_store(response)
    key = alice.api_keys.get()
    shown = alice_client.get(SECURITY)
    assert shown.status_code == 200
    assert _no_store(shown)
    plaintext = shown.context["new_api_key_plaintext"]
    assert plaintext.startswith(key.prefix + "_")
    assert plaintext in shown.text
    assert "Copy it now: it won" in shown.text
    assert services.authenticate_api_key(plaintext) == key
    assert key.expires_at is None
    reloaded = alice_client.get(SECURITY)
    assert plaintext not in reloaded.text
    assert "new-api-key-value" not in reloaded.text
    assert key.prefix in reloaded.text
    assert _no_store(reloaded)
    assert alice.api_keys.count() == 1  # the reload created nothing
    assert plaintext not in str(dict(alice_client.session))
    assert plaintext not in row_text(key)


def test_between_the_post_and_its_get_the_key_is_kept_encrypted(alice_client: Client, alice: User) -> None:
    from django.contrib.sessions.models import Session

    alice_client.post(CREATE, {"name": "Deploy bot"})
    key = alice.api_keys.get()
    session_row = Session.objects.get(session_key=alice_client.session.session_key)
    kept = session_row.get_decoded()["accounts.new_api_key"]
    assert kept["id"] == str(key.pk)
    shown = alice_client.get(SECURITY).context["new_api_key_plaintext"]
    assert shown not in str(kept)
    assert shown not in session_row.session_data


def test_only_the_creator_sees_the_new_key(alice_client: Client, alice: User, charlie: User) -> None:
    alice_client.post(CREATE, {"name": "Deploy bot"})
    key = alice.api_keys.get()
    charlie_client = Client()
    charlie_client.force_login(charlie)
    page = charlie_client.get(SECURITY)
    assert "new-api-key-value" not in page.text
    assert key.prefix not in page.text
    assert "new_api_key_plaintext" not in page.context


def test_a_replayed_post_creates_a_second_key_shown_as_its_own(alice_client: Client, alice: User) -> None:
    first = alice_client.post(CREATE, {"name": "Deploy bot"})
    first_plaintext = alice_client.get(first["Location"]).context["new_api_key_plaintext"]
    second = alice_client.post(CREATE, {"name": "Deploy bot"})
    assert second.status_code == 303
    second_plaintext = alice_client.get(second["Location"]).context["new_api_key_plaintext"]
    assert alice.api_keys.count() == 2
    assert first_plaintext != second_plaintext


def test_the_new_key_page_has_no_inline_script(alice_client: Client) -> None:
    alice_client.post(CREATE, {"name": "Deploy bot"})
    page = alice_client.get(SECURITY).text
    assert "js/api_keys.js" in page
    assert "<script>" not in page
    assert 'data-copied="Copied to the clipboard."' in page


def test_an_expiry_date_on_the_page_sets_the_first_moment_of_that_day(
    alice_client: Client, alice: User
) -> None:
    day = timezone.now().astimezone(UTC).date() + timedelta(days=30)
    alice_client.post(CREATE, {"name": "Monthly", "expires_on": day.isoformat()})
    assert alice.api_keys.get().expires_at == datetime.combine(day, time.min, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "", "expires_on": ""}, "Give the key a name."),
        ({"name": "x" * 81, "expires_on": ""}, "Ensure this value has at most 80 characters"),
        ({"name": "k", "expires_on": "2000-01-01"}, "Choose a date after today."),
        ({"name": "k", "expires_on": "today"}, "Enter a valid date."),
    ],
)
def test_bad_input_on_the_page_is_a_form_error_and_creates_nothing(
    alice_client: Client, data: dict[str, str], error: str
) -> None:
    response = alice_client.post(CREATE, data)
    assert response.status_code == 400
    assert error in response.text
    assert "new-api-key-value" not in response.text
    assert not ApiKey.objects.exists()


def test_today_is_not_a_valid_expiry_date(alice_client: Client) -> None:
    today = timezone.now().astimezone(UTC).date()
    response = alice_client.post(CREATE, {"name": "k", "expires_on": today.isoformat()})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_past_the_cap_the_page_says_so(alice_client: Client, alice: User) -> None:
    for n in range(services.MAX_ACTIVE_API_KEYS):
        services.create_api_key(user=alice, name=f"k{n}")
    response = alice_client.post(CREATE, {"name": "one more"})
    assert response.status_code == 400
    assert "You already have 20 active API keys. Revoke one before creating another." in response.text
    assert alice.api_keys.count() == services.MAX_ACTIVE_API_KEYS


def test_revoking_on_the_page_is_immediate(alice_client: Client, alice: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="Old laptop")
    response = alice_client.post(revoke_url(key), follow=True)
    assert response.redirect_chain[-1][0] == f"{SECURITY}#api-keys"
    assert "is revoked" in response.text
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert (
        Client().get("/api/v1/credits/", headers={"authorization": f"Bearer {plaintext}"}).status_code == 401
    )


def test_revoking_needs_a_post(alice_client: Client, alice: User) -> None:
    key, _ = services.create_api_key(user=alice, name="k")
    assert alice_client.get(revoke_url(key)).status_code == 405
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_charlie_cannot_revoke_alices_key_on_the_page(client: Client, alice: User, charlie: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="hers")
    client.force_login(charlie)
    assert client.post(revoke_url(key)).status_code == 404
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert services.authenticate_api_key(plaintext) == key


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, alice: User) -> None:
    key, _ = services.create_api_key(user=alice, name="k")
    for response in (client.post(CREATE, {"name": "k2"}), client.post(revoke_url(key))):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get().revoked_at is None


# --- The API ------------------------------------------------------------------------------------------


def test_the_api_lists_only_the_users_own_keys_without_the_hash(
    alice_client: Client, alice: User, charlie: User
) -> None:
    key, _ = services.create_api_key(user=alice, name="mine")
    services.create_api_key(user=charlie, name="his")
    page = alice_client.get(KEYS).json()
    assert (page["count"], page["next"], page["previous"]) == (1, None, None)
    data = page["results"]
    assert [item["id"] for item in data] == [str(key.pk)]
    assert set(data[0]) == {
        "id",
        "name",
        "prefix",
        "status",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    }
    assert (data[0]["prefix"], data[0]["status"]) == (key.prefix, "active")
    assert key.key_hash not in alice_client.get(KEYS).text


def test_the_api_creates_a_key_and_returns_it_once(alice_client: Client, alice: User) -> None:
    expires = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
    response = alice_client.post(
        KEYS, {"name": "partner", "expires_at": expires.isoformat()}, content_type="application/json"
    )
    assert response.status_code == 201
    assert _no_store(response)
    body = response.json()
    key = alice.api_keys.get()
    assert body["id"] == str(key.pk)
    assert body["key"].startswith(key.prefix + "_")
    assert key.expires_at == expires
    assert body["key"] not in alice_client.get(KEYS).text
    assert body["key"] not in alice_client.get(f"{KEYS}{key.pk}/").text
    plain = Client()
    assert plain.get(KEYS, headers={"authorization": f"Bearer {body['key']}"}).status_code == 200


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field may not be blank."),
        ({}, "name", "This field is required."),
        ({"name": "x" * 81}, "name", "Ensure this field has no more than 80 characters."),
        (
            {"name": "k", "expires_at": "2000-01-01T00:00:00Z"},
            "expires_at",
            "The expiry must be in the future.",
        ),
        ({"name": "k", "expires_at": "soon"}, "expires_at", None),
    ],
)
def test_bad_input_on_the_api_is_a_400_and_creates_nothing(
    alice_client: Client, data: dict[str, str], field: str, message: str | None
) -> None:
    response = alice_client.post(KEYS, data, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert list(body["fields"]) == [field]
    if message:
        assert body["fields"][field] == [message]
        assert body["detail"] == message
    assert not ApiKey.objects.exists()


def test_past_the_cap_the_api_says_so(alice_client: Client, alice: User) -> None:
    for n in range(services.MAX_ACTIVE_API_KEYS):
        services.create_api_key(user=alice, name=f"k{n}")
    response = alice_client.post(KEYS, {"name": "one more"}, content_type="application/json")
    assert response.status_code == 400
    message = "You already have 20 active API keys. Revoke one before creating another."
    assert response.json() == {
        "error": "invalid",
        "detail": message,
        "fields": {"non_field_errors": [message]},
    }
    assert alice.api_keys.count() == services.MAX_ACTIVE_API_KEYS


def test_a_key_cannot_create_keys(client: Client, alice: User) -> None:
    _key, plaintext = services.create_api_key(user=alice, name="k")
    response = client.post(
        KEYS,
        {"name": "another"},
        content_type="application/json",
        headers={"authorization": f"Bearer {plaintext}"},
    )
    assert response.status_code == 403
    assert alice.api_keys.count() == 1


def test_the_api_revokes_a_key_with_a_204(alice_client: Client, alice: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="k")
    response = alice_client.post(f"{KEYS}{key.pk}/revoke/")
    assert response.status_code == 204
    assert alice_client.get(f"{KEYS}{key.pk}/").json()["status"] == "revoked"
    assert Client().get(KEYS, headers={"authorization": f"Bearer {plaintext}"}).status_code == 401


def test_delete_revokes_a_key_with_a_204_and_keeps_it_listed(alice_client: Client, alice: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="k")
    response = alice_client.delete(f"{KEYS}{key.pk}/")
    assert (response.status_code, response.content) == (204, b"")
    assert alice_client.get(f"{KEYS}{key.pk}/").json()["status"] == "revoked"
    assert Client().get(KEYS, headers={"authorization": f"Bearer {plaintext}"}).json()["error"] == "revoked"
    # Deleting a revoked key again changes nothing and still answers 204.
    assert alice_client.delete(f"{KEYS}{key.pk}/").status_code == 204


def test_a_key_can_delete_itself(client: Client, alice: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="leaked")
    bearer = {"authorization": f"Bearer {plaintext}"}
    assert client.delete(f"{KEYS}{key.pk}/", headers=bearer).status_code == 204
    assert client.get(KEYS, headers=bearer).status_code == 401


def test_a_key_can_revoke_itself(client: Client, alice: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="leaked")
    bearer = {"authorization": f"Bearer {plaintext}"}
    assert client.post(f"{KEYS}{key.pk}/revoke/", headers=bearer).status_code == 204
    assert client.get(KEYS, headers=bearer).json() == {
        "error": "revoked",
        "detail": "This API key has been revoked.",
    }


def test_charlie_gets_a_404_for_alices_key_on_the_api(client: Client, alice: User, charlie: User) -> None:
    key, _ = services.create_api_key(user=alice, name="hers")
    client.force_login(charlie)
    assert client.get(f"{KEYS}{key.pk}/").status_code == 404
    assert client.post(f"{KEYS}{key.pk}/revoke/").status_code == 404
    assert client.post(f"{KEYS}00000000-0000-0000-0000-000000000000/revoke/").status_code == 404
    response = client.delete(f"{KEYS}{key.pk}/")
    assert response.json() == {"error": "not_found", "detail": "No such API key."}
    assert response.status_code == 404
    assert client.delete(f"{KEYS}00000000-0000-0000-0000-000000000000/").status_code == 404
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_the_api_refuses_anonymous_requests(client: Client, alice: User) -> None:
    key, _ = services.create_api_key(user=alice, name="k")
    assert client.get(KEYS).status_code == 401
    assert client.post(KEYS, {"name": "x"}, content_type="application/json").status_code == 401
    assert client.post(f"{KEYS}{key.pk}/revoke/").status_code == 401
    assert client.delete(f"{KEYS}{key.pk}/").status_code == 401
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


# --- The admin ----------------------------------------------------------------------------------------


def test_staff_find_keys_by_email_or_prefix_and_never_see_the_hash(
    staff_client: Client, alice: User, charlie: User
) -> None:
    hers, _ = services.create_api_key(user=alice, name="Alice's CI")
    his, _ = services.create_api_key(user=charlie, name="Charlie's bot")
    by_email = staff_client.get("/admin/accounts/apikey/", {"q": "alice@"})
    assert hers.prefix in by_email.text
    assert his.prefix not in by_email.text
    by_prefix = staff_client.get("/admin/accounts/apikey/", {"q": his.prefix})
    assert his.prefix in by_prefix.text
    assert hers.prefix not in by_prefix.text
    detail = staff_client.get(f"/admin/accounts/apikey/{hers.pk}/change/")
    assert detail.status_code == 200
    assert hers.key_hash not in detail.text
    assert staff_client.get("/admin/accounts/apikey/add/").status_code == 403


def test_staff_revoke_keys_from_the_admin(staff_client: Client, alice: User) -> None:
    key, plaintext = services.create_api_key(user=alice, name="k")
    response = staff_client.post(
        "/admin/accounts/apikey/", {"action": "revoke_keys", "_selected_action": [str(key.pk)]}, follow=True
    )
    assert "1 API key revoked." in response.text
    with pytest.raises(services.InvalidApiKey):
        services.authenticate_api_key(plaintext)
