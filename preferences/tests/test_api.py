"""GET and PATCH /api/v1/preferences/, GET /api/v1/preferences/system-prompt/: one's own only."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from preferences import services
from preferences.models import UserPreferences

pytestmark = pytest.mark.django_db

URL = "/api/v1/preferences/"
PROMPT_URL = "/api/v1/preferences/system-prompt/"


def _patch(client: Client, data: dict) -> object:
    return client.patch(URL, data, content_type="application/json")


def test_get_returns_the_defaults_the_first_time(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert {k: v for k, v in body.items() if k != "updated_at"} == {
        "preset": None,
        "response_style": "intermediate",
        "code_preference": "snippets",
        "communication_tone": "professional",
        "custom_system_prompt": "",
        "preferred_language": "en",
        "theme": "auto",
        "sidebar_default_open": False,
        "time_zone": "UTC",
        "week_start": 0,
        "calendar_view": "month",
        "notify_email": True,
        "notify_in_app": True,
        "lead_minutes": 1440,
        "quiet_hours_start": None,
        "quiet_hours_end": None,
    }


def test_patch_changes_only_what_is_sent(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = _patch(
        client,
        {
            "preset": "full_code",
            "communication_tone": "technical",
            "preferred_language": "es",
            "theme": "dark",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["preset"] == "full_code"
    assert body["communication_tone"] == "technical"
    assert body["preferred_language"] == "es"
    assert body["theme"] == "dark"
    assert body["response_style"] == "intermediate"  # untouched: the API fills nothing from the preset
    alice.refresh_from_db()
    assert alice.language == "es"
    prefs = UserPreferences.objects.select_related("preset").get(user=alice)
    assert prefs.preset.key == "full_code"

    assert _patch(client, {"preset": None}).json()["preset"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("preset", "wizard"),
        ("response_style", "guru"),
        ("code_preference", "poems"),
        ("communication_tone", "rude"),
        ("preferred_language", "fr"),
        ("theme", "neon"),
        ("sidebar_default_open", "perhaps"),
        ("custom_system_prompt", "x" * 4001),
        ("response_stlye", "expert"),  # a misspelt field is not silently ignored
    ],
)
def test_one_bad_field_is_a_400_naming_it_and_nothing_changes(
    client: Client, alice: User, field: str, value: str
) -> None:
    services.apply_preset(user=alice, preset="beginner")
    before = UserPreferences.objects.filter(user=alice).values().get()
    client.force_login(alice)

    response = _patch(
        client,
        {
            "communication_tone": "technical",
            "custom_system_prompt": "new",
            "preferred_language": "es",
            field: value,
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert list(response.json()["fields"]) == [field]
    assert UserPreferences.objects.filter(user=alice).values().get() == before
    alice.refresh_from_db()
    assert alice.language == ""


def test_a_prompt_at_the_limit_is_accepted(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = _patch(client, {"custom_system_prompt": "x" * 4000})
    assert response.status_code == 200
    assert len(response.json()["custom_system_prompt"]) == 4000


def test_the_system_prompt_is_the_composed_one(client: Client, alice: User) -> None:
    services.apply_preset(user=alice, preset="beginner")
    services.update_preferences(user=alice, language="es", custom_system_prompt="Llámame Ali.")
    client.force_login(alice)
    response = client.get(PROMPT_URL)
    assert response.status_code == 200
    alice.refresh_from_db()
    assert response.json() == {"system_prompt": services.compose_system_prompt(user=alice), "language": "es"}
    assert response.json()["system_prompt"].startswith("Eres Javari AI")
    assert "Llámame Ali." in response.json()["system_prompt"]


@pytest.mark.parametrize("url", [URL, PROMPT_URL])
def test_anonymous_requests_are_refused(client: Client, url: str) -> None:
    assert client.get(url).status_code in (401, 403)
    assert _patch(client, {"theme": "dark"}).status_code in (401, 403)
    assert not UserPreferences.objects.exists()


def test_each_user_reads_and_changes_only_their_own(client: Client, alice: User, charlie: User) -> None:
    services.update_preferences(user=alice, custom_system_prompt="Alice only", theme="dark")
    client.force_login(charlie)

    body = client.get(URL).json()
    assert body["custom_system_prompt"] == ""
    assert body["theme"] == "auto"
    assert "Alice only" not in client.get(PROMPT_URL).json()["system_prompt"]

    assert _patch(client, {"custom_system_prompt": "Charlie's", "theme": "light"}).status_code == 200
    alice_prefs = UserPreferences.objects.get(user=alice)
    assert (alice_prefs.custom_system_prompt, alice_prefs.theme) == ("Alice only", "dark")


def test_put_and_delete_are_not_allowed(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.put(URL, {}, content_type="application/json").status_code == 405
    assert client.delete(URL).status_code == 405


def test_an_api_key_reads_its_owners_preferences_only(client: Client, alice: User, charlie: User) -> None:
    from accounts.services import create_api_key

    services.update_preferences(user=alice, custom_system_prompt="Alice only")
    services.update_preferences(user=charlie, custom_system_prompt="Charlie's own")
    _key, raw = create_api_key(user=charlie, name="CLI")
    headers = {"Authorization": f"Bearer {raw}"}

    assert client.get(URL, headers=headers).json()["custom_system_prompt"] == "Charlie's own"
    prompt = client.get(PROMPT_URL, headers=headers).json()["system_prompt"]
    assert "Charlie's own" in prompt
    assert "Alice only" not in prompt
    response = client.patch(URL, {"theme": "dark"}, content_type="application/json", headers=headers)
    assert response.status_code == 200
    assert UserPreferences.objects.get(user=alice).theme == "auto"
    assert UserPreferences.objects.get(user=charlie).theme == "dark"
