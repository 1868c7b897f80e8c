"""The Settings hub, Behavior & Personality (with its preview), Language & Localization, the theme."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve

from accounts.models import User
from javari.shell import THEME_COOKIE
from preferences import services
from preferences.models import BehaviorPreset, UserPreferences

pytestmark = pytest.mark.django_db

BEHAVIOR = "/settings/behavior/"
PREVIEW = "/settings/behavior/preview/"
LANGUAGE = "/settings/language/"


def _form(**overrides: str) -> dict[str, str]:
    """A behaviour form as a browser without JavaScript posts it, with the defaults."""
    data = {
        "preset_fill": "server",
        "response_style": "intermediate",
        "code_preference": "snippets",
        "communication_tone": "professional",
        "custom_system_prompt": "",
        "language": "en",
        "theme": "auto",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


# --- The hub --------------------------------------------------------------------------------------


def test_the_hub_lists_the_sections_that_exist_in_the_specs_order(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.get("/settings/")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Settings</h1>" in page
    expected = [
        ("Behavior &amp; Personality", "Customize how Javari responds to you", BEHAVIOR),
        ("Security &amp; API Keys", "Manage all tokens and credentials", "/accounts/security/"),
        ("Calendar &amp; Scheduling", "Your time zone, the first day of the week", "/settings/calendar/"),
        ("Reminders &amp; Notifications", "How and when reminders reach you", "/settings/notifications/"),
        ("Language &amp; Localization", "Choose your preferred language", LANGUAGE),
        ("Usage &amp; Analytics", "View your activity and stats", "/settings/usage/"),
    ]
    for title, description, url in expected:
        assert title in page
        assert description in page
        assert f'href="{url}"' in page
    positions = [page.index(title) for title, _description, _url in expected]
    assert positions == sorted(positions)


@pytest.mark.parametrize("url", ["/settings/", BEHAVIOR, LANGUAGE])
def test_the_pages_need_a_signed_in_user(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_the_preview_sends_a_signed_out_browser_to_sign_in(client: Client) -> None:
    response = client.post(PREVIEW, _form(), headers={"HX-Request": "true", "HX-Current-URL": BEHAVIOR})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next={BEHAVIOR}"
    assert client.post(PREVIEW, _form()).status_code == 302
    assert client.get(PREVIEW).status_code == 405


def test_the_profile_menu_links_settings_and_plans(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/").text
    assert re.search(r'<a href="/settings/"\s*>Settings</a>', page)
    assert re.search(r'<a href="/plans/"\s*>View Plans &amp; Credits</a>', page)


def test_the_routes_under_settings() -> None:
    # preferences is included at settings/ before credits' root include: its patterns must not
    # swallow credits' settings/usage/ pages.
    assert resolve("/settings/").view_name == "preferences:index"
    assert resolve(BEHAVIOR).view_name == "preferences:behavior"
    assert resolve(LANGUAGE).view_name == "preferences:language"
    assert resolve("/settings/usage/").view_name == "credits:usage"
    assert resolve("/settings/usage.csv").view_name == "credits:usage_csv"


# --- Behavior & Personality -----------------------------------------------------------------------


def test_the_page_shows_the_presets_as_cards_the_counter_and_the_preview(client: Client, alice: User) -> None:
    services.update_preferences(user=alice, custom_system_prompt="Call me Ali.")
    client.force_login(alice)
    page = client.get(BEHAVIOR).text

    for key, name in [
        ("beginner", "Beginner Friendly"),
        ("professional", "Seasoned Professional"),
        ("full_code", "Complete Code"),
        ("custom", "Custom"),
    ]:
        assert f'id="preset-{key}"' in page
        assert name in page
    assert (
        'data-response-style="beginner" data-code-preference="explanations" data-communication-tone="casual"'
        in page
    )
    # No maxlength: the browser must never cut a pasted text short.
    assert "maxlength" not in page
    assert 'data-char-limit="4000"' in page
    assert "12 / 4,000" in page
    assert 'aria-live="polite"' in page
    # The preview is exactly what the chat sends.
    preview = re.search(r'<pre class="prompt-text"[^>]*>(.*?)</pre>', page, re.S)
    assert preview is not None

    assert unescape(preview.group(1)) == services.compose_system_prompt(user=alice)
    assert 'hx-trigger="input changed delay:300ms from:#behavior-form, change from:#behavior-form"' in page


def test_saving_stores_the_values_and_says_so(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(
        BEHAVIOR,
        _form(
            preset="professional",
            preset_fill="client",
            response_style="beginner",
            code_preference="full_replaceable",
            communication_tone="casual",
            custom_system_prompt="  Use British spelling.\r\nKeep it short.  ",
            sidebar_default_open="on",
        ),
        follow=True,
    )
    assert response.redirect_chain == [(BEHAVIOR, 302)]
    assert "Your preferences are saved." in response.text
    prefs = UserPreferences.objects.select_related("preset").get(user=alice)
    assert prefs.preset.key == "professional"
    # With JavaScript the page already shows what is saved: the person's changes stand.
    assert (prefs.response_style, prefs.code_preference, prefs.communication_tone) == (
        "beginner",
        "full_replaceable",
        "casual",
    )
    assert prefs.custom_system_prompt == "Use British spelling.\nKeep it short."
    assert prefs.sidebar_default_open is True


def test_without_javascript_a_new_preset_fills_the_fields_left_unchanged(client: Client, alice: User) -> None:
    client.force_login(alice)
    # Only the tone was changed along with picking the preset: it keeps the person's value.
    client.post(BEHAVIOR, _form(preset="beginner", communication_tone="technical"))
    prefs = UserPreferences.objects.get(user=alice)
    assert (prefs.response_style, prefs.code_preference, prefs.communication_tone) == (
        "beginner",
        "explanations",
        "technical",
    )
    # The same preset again, fields changed: nothing is re-filled.
    client.post(BEHAVIOR, _form(preset="beginner", response_style="expert", communication_tone="technical"))
    prefs.refresh_from_db()
    assert prefs.response_style == "expert"
    assert prefs.code_preference == "snippets"


def test_a_prompt_over_the_limit_is_a_form_error_and_is_not_cut(client: Client, alice: User) -> None:
    services.update_preferences(user=alice, custom_system_prompt="Before")
    client.force_login(alice)
    too_long = "y" * 4001
    response = client.post(BEHAVIOR, _form(preset="beginner", custom_system_prompt=too_long))
    assert response.status_code == 200
    page = response.text
    assert "Your preferences were not saved." in page
    assert "Keep your instructions to 4,000 characters or fewer: they have 4,001." in page
    assert too_long in page  # all of it is still in the box
    assert "4,001 / 4,000" in page
    assert 'class="char-counter is-over"' in page
    assert 'aria-invalid="true"' in page
    prefs = UserPreferences.objects.get(user=alice)
    assert prefs.custom_system_prompt == "Before"
    assert prefs.preset is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("preset", "wizard", "Choose one of the presets offered."),
        ("response_style", "guru", "Choose beginner, intermediate or expert."),
        ("code_preference", "poems", "Choose full files, snippets or explanations."),
        ("communication_tone", "rude", "Choose professional, casual or technical."),
        ("language", "fr", "Choose English or Spanish."),
        ("theme", "neon", "Choose auto, light or dark."),
    ],
)
def test_a_bad_choice_is_a_form_error_and_nothing_changes(
    client: Client, alice: User, field: str, value: str, message: str
) -> None:
    client.force_login(alice)
    response = client.post(BEHAVIOR, _form(custom_system_prompt="Changed", **{field: value}))
    assert response.status_code == 200
    assert message in response.text
    assert not UserPreferences.objects.filter(user=alice, custom_system_prompt="Changed").exists()
    alice.refresh_from_db()
    assert alice.language == ""
    assert THEME_COOKIE not in response.cookies


def test_a_retired_preset_is_not_offered(client: Client, alice: User) -> None:
    BehaviorPreset.objects.filter(key="beginner").update(is_active=False)
    client.force_login(alice)
    assert 'id="preset-beginner"' not in client.get(BEHAVIOR).text
    response = client.post(BEHAVIOR, _form(preset="beginner"))
    assert "Choose one of the presets offered." in response.text


def test_the_preview_renders_unsaved_values(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(
        PREVIEW,
        _form(preset="beginner", preset_fill="client", custom_system_prompt="Unsaved words", language="es"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = response.text
    assert "<html" not in page  # the partial alone
    beginner = BehaviorPreset.objects.get(key="beginner")
    assert "Eres Javari AI" in page
    assert beginner.system_prompt_es in page
    assert "Unsaved words" in page
    assert page.index(beginner.system_prompt_es) < page.index("Unsaved words")
    assert 'lang="es"' in page
    # Nothing was saved.
    assert services.get_preferences(alice).custom_system_prompt == ""
    alice.refresh_from_db()
    assert alice.language == ""


def test_the_preview_of_invalid_values_says_what_to_fix(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(PREVIEW, _form(custom_system_prompt="z" * 4001), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Nothing can be sent until these are fixed:" in response.text
    assert "they have 4,001" in response.text
    assert "<pre" not in response.text


def test_saving_a_language_on_the_behaviour_page_takes_effect_at_once(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(BEHAVIOR, _form(language="es", theme="dark"), follow=True)
    assert '<html lang="es" data-theme="dark">' in response.text
    assert response.client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert response.client.cookies[THEME_COOKIE].value == "dark"


# --- Language & Localization ----------------------------------------------------------------------


def test_the_language_page_shows_the_current_choices(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get(LANGUAGE).text
    assert "<h1>Language & Localization</h1>" in page
    assert re.search(r'<input type="radio" name="language" value="en"[^>]*checked', page)
    assert re.search(r'<input type="radio" name="theme" value="auto"[^>]*checked', page)
    assert 'lang="es"' in page
    assert "Español" in page


def test_saving_language_and_theme_takes_effect_at_once(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(LANGUAGE, {"language": "es", "theme": "dark"})
    assert response.status_code == 302
    assert response["Location"] == LANGUAGE
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert response.cookies[THEME_COOKIE].value == "dark"
    alice.refresh_from_db()
    assert alice.language == "es"
    assert UserPreferences.objects.get(user=alice).theme == "dark"

    page = client.get(LANGUAGE).text
    assert '<html lang="es" data-theme="dark">' in page
    assert re.search(r'<input type="radio" name="language" value="es"[^>]*checked', page)
    assert re.search(r'<input type="radio" name="theme" value="dark"[^>]*checked', page)


@pytest.mark.parametrize(("language", "theme"), [("fr", "dark"), ("es", "neon")])
def test_a_bad_language_or_theme_changes_nothing(
    client: Client, alice: User, language: str, theme: str
) -> None:
    client.force_login(alice)
    response = client.post(LANGUAGE, {"language": language, "theme": theme})
    assert response.status_code == 200
    assert "Choose" in response.text
    alice.refresh_from_db()
    assert alice.language == ""
    assert UserPreferences.objects.filter(user=alice, theme="dark").count() == 0
    assert THEME_COOKIE not in response.cookies


def test_a_new_device_gets_the_saved_theme(client: Client, alice: User) -> None:
    services.update_preferences(user=alice, theme="dark")
    client.force_login(alice)
    assert 'data-theme="dark"' in client.get("/settings/").text


def test_this_devices_own_theme_choice_wins(client: Client, alice: User) -> None:
    # The profile menu's switch sets only the cookie: the latest choice made on this device stands.
    services.update_preferences(user=alice, theme="dark")
    client.force_login(alice)
    client.cookies[THEME_COOKIE] = "light"
    page = client.get(LANGUAGE).text
    assert 'data-theme="light"' in page
    assert re.search(r'<input type="radio" name="theme" value="light"[^>]*checked', page)


def test_someone_without_saved_preferences_keeps_the_default_theme(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert 'data-theme="auto"' in client.get("/settings/").text
    assert not UserPreferences.objects.filter(user=alice).exists()  # rendering a page opens nothing


def test_each_person_sees_only_their_own(client: Client, alice: User, charlie: User) -> None:
    services.update_preferences(user=alice, custom_system_prompt="Alice's secret plan")
    client.force_login(charlie)
    assert "Alice&#x27;s secret plan" not in client.get(BEHAVIOR).text
    client.post(BEHAVIOR, _form(custom_system_prompt="Charlie's own"))
    assert services.get_preferences(alice).custom_system_prompt == "Alice's secret plan"
