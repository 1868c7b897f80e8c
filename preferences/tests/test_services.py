"""The system prompt's composition (every preset, both languages, precedence) and the writes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from accounts.models import User
from preferences import services
from preferences.models import (
    BehaviorPreset,
    CodePreference,
    CommunicationTone,
    PlatformSettings,
    ResponseStyle,
    UserPreferences,
)

pytestmark = pytest.mark.django_db

PRESET_KEYS = ["beginner", "professional", "full_code", "custom"]


def _in(language: str, text: object) -> str:
    with translation.override(language):
        return str(text)


def _expected_parts(preset: BehaviorPreset, prefs: UserPreferences, language: str) -> list[str]:
    platform = PlatformSettings.objects.get()
    parts = [
        getattr(platform, f"platform_prompt_{language}"),
        getattr(preset, f"system_prompt_{language}"),
        _in(language, services.STYLE_SENTENCES[prefs.response_style]),
        _in(language, services.CODE_SENTENCES[prefs.code_preference]),
        _in(language, services.TONE_SENTENCES[prefs.communication_tone]),
        _in(language, services.REPLY_LANGUAGE_SENTENCES[language]),
    ]
    return [part for part in parts if part]


def test_the_seeded_presets_are_the_specs_four_in_order() -> None:
    presets = services.active_presets()
    assert [p.key for p in presets] == PRESET_KEYS
    assert [p.name_en for p in presets] == [
        "Beginner Friendly",
        "Seasoned Professional",
        "Complete Code",
        "Custom",
    ]
    assert [p.name_es for p in presets] == [
        "Para principiantes",
        "Profesional experimentado",
        "Código completo",
        "Personalizado",
    ]
    beginner = presets[0]
    assert beginner.description_en == "Explain everything like I'm 12. Use simple terms and examples."
    assert beginner.system_prompt_en.startswith("You are speaking with someone new to development.")
    assert presets[3].system_prompt_en == ""
    assert presets[3].fills == {}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("key", PRESET_KEYS)
def test_the_prompt_of_every_preset_in_both_languages(alice: User, key: str, language: str) -> None:
    alice.language = language
    alice.save()
    prefs = services.apply_preset(user=alice, preset=key)
    preset = BehaviorPreset.objects.get(key=key)

    prompt = services.compose_system_prompt(user=alice)

    expected = _expected_parts(preset, prefs, language)
    assert prompt == "\n\n".join(expected)
    # The order DESIGN.md gives: platform → preset → style, code, tone → (custom) → reply language.
    positions = [prompt.index(part) for part in expected]
    assert positions == sorted(positions)
    assert prompt.startswith(expected[0])
    assert prompt.endswith(_in(language, services.REPLY_LANGUAGE_SENTENCES[language]))
    assert _in(language, services.CUSTOM_INTRODUCTION) not in prompt  # no own instructions: no introduction
    # The database texts are in the user's language.
    if language == "es":
        assert prompt.startswith("Eres Javari AI")
        if key != "custom":
            assert preset.system_prompt_es in prompt
            assert preset.system_prompt_en not in prompt
    else:
        assert prompt.startswith("You are Javari AI")


def test_each_preset_fills_its_fields(alice: User) -> None:
    prefs = services.apply_preset(user=alice, preset="beginner")
    assert (prefs.response_style, prefs.code_preference, prefs.communication_tone) == (
        ResponseStyle.BEGINNER,
        CodePreference.EXPLANATIONS,
        CommunicationTone.CASUAL,
    )
    prefs = services.apply_preset(user=alice, preset="full_code")
    assert prefs.code_preference == CodePreference.FULL_REPLACEABLE
    # Custom fills nothing: what the person had stays.
    prefs = services.apply_preset(user=alice, preset="custom")
    assert prefs.preset.key == "custom"
    assert prefs.code_preference == CodePreference.FULL_REPLACEABLE


def test_the_custom_prompt_comes_after_the_preset_and_wins(alice: User) -> None:
    services.apply_preset(user=alice, preset="full_code")
    own = "Never give me whole files: only the lines that change."
    services.update_preferences(user=alice, custom_system_prompt=own)

    prompt = services.compose_system_prompt(user=alice)

    preset_prompt = BehaviorPreset.objects.get(key="full_code").system_prompt_en
    introduction = str(services.CUSTOM_INTRODUCTION)
    reply = "Always reply in English."
    assert prompt.index(preset_prompt) < prompt.index(introduction) < prompt.index(own) < prompt.index(reply)
    assert f"{introduction}\n\n{own}\n\n{reply}" in prompt
    assert "where they disagree with the above, follow them" in introduction


def test_a_blank_custom_prompt_is_skipped(alice: User) -> None:
    services.update_preferences(user=alice, custom_system_prompt="   \n\n  ")
    prompt = services.compose_system_prompt(user=alice)
    assert services.get_preferences(alice).custom_system_prompt == ""
    assert str(services.CUSTOM_INTRODUCTION) not in prompt
    assert "\n\n\n" not in prompt


def test_blank_platform_and_preset_parts_are_skipped(alice: User) -> None:
    PlatformSettings.objects.update(platform_prompt_en="", platform_prompt_es="")
    services.apply_preset(user=alice, preset="custom")
    prompt = services.compose_system_prompt(user=alice)
    assert prompt.startswith(str(services.STYLE_SENTENCES[ResponseStyle.INTERMEDIATE]))
    assert not prompt.startswith("\n")


def test_a_missing_platform_row_sends_no_platform_part(alice: User) -> None:
    PlatformSettings.objects.all().delete()
    prompt = services.compose_system_prompt(user=alice)
    assert prompt.startswith(str(services.STYLE_SENTENCES[ResponseStyle.INTERMEDIATE]))


def test_an_inactive_preset_is_no_longer_sent(alice: User) -> None:
    services.apply_preset(user=alice, preset="professional")
    BehaviorPreset.objects.filter(key="professional").update(is_active=False)
    prompt = services.compose_system_prompt(user=alice)
    assert "experienced developer" not in prompt


def test_the_reply_language_follows_the_request_when_the_user_has_none(alice: User) -> None:
    assert alice.language == ""
    with translation.override("es"):
        assert services.reply_language(alice) == "es"
        assert services.compose_system_prompt(user=alice).startswith("Eres Javari AI")
    with translation.override("es-mx"):
        assert services.reply_language(alice) == "es"
    with translation.override("de"):
        assert services.reply_language(alice) == "en"


def test_compose_from_uses_unsaved_values(alice: User) -> None:
    beginner = BehaviorPreset.objects.get(key="beginner")
    prompt = services.compose_from(
        preset=beginner,
        response_style="expert",
        code_preference="snippets",
        communication_tone="technical",
        custom_system_prompt="Call me Ali.",
        language="es",
    )
    assert beginner.system_prompt_es in prompt
    assert prompt.endswith(_in("es", services.REPLY_LANGUAGE_SENTENCES["es"]))
    assert "Call me Ali." in prompt
    assert not UserPreferences.objects.filter(user=alice).exists()  # nothing saved, nothing opened


def test_preferences_open_lazily_with_the_defaults(alice: User) -> None:
    assert services.saved_preferences(alice) is None
    prefs = services.get_preferences(alice)
    assert prefs.preset is None
    assert (prefs.response_style, prefs.code_preference, prefs.communication_tone, prefs.theme) == (
        "intermediate",
        "snippets",
        "professional",
        "auto",
    )
    assert services.get_preferences(alice).pk == prefs.pk


def test_update_preferences_writes_the_language_on_the_user(alice: User) -> None:
    services.update_preferences(user=alice, language="es", theme="dark")
    alice.refresh_from_db()
    assert alice.language == "es"
    assert services.get_preferences(alice).theme == "dark"


def test_line_breaks_count_once(alice: User) -> None:
    text = "a\r\n" * 1999 + "bc"  # 4,000 characters once CR LF is one line break
    prefs = services.update_preferences(user=alice, custom_system_prompt=text)
    assert len(prefs.custom_system_prompt) == 4000


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"preset": "wizard"}, "preset"),
        ({"response_style": "guru"}, "response_style"),
        ({"code_preference": "poems"}, "code_preference"),
        ({"communication_tone": "rude"}, "communication_tone"),
        ({"theme": "neon"}, "theme"),
        ({"language": "fr"}, "language"),
        ({"custom_system_prompt": "x" * 4001}, "custom_system_prompt"),
    ],
)
def test_a_bad_value_is_a_clear_error_and_nothing_changes(alice: User, fields: dict, bad_field: str) -> None:
    services.apply_preset(user=alice, preset="beginner")
    before = UserPreferences.objects.filter(user=alice).values().get()

    # Good values sent alongside the bad one are not written either.
    values = {"communication_tone": "technical", "custom_system_prompt": "ok", "sidebar_default_open": True}
    values.update(fields)

    with pytest.raises(ValidationError) as caught:
        services.update_preferences(user=alice, **values)

    assert bad_field in caught.value.message_dict
    assert UserPreferences.objects.filter(user=alice).values().get() == before
    alice.refresh_from_db()
    assert alice.language == ""


def test_a_retired_preset_can_not_be_picked(alice: User) -> None:
    BehaviorPreset.objects.filter(key="beginner").update(is_active=False)
    with pytest.raises(ValidationError) as caught:
        services.apply_preset(user=alice, preset="beginner")
    assert "preset" in caught.value.message_dict


def test_the_database_refuses_a_prompt_over_the_limit(alice: User) -> None:
    services.get_preferences(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserPreferences.objects.filter(user=alice).update(custom_system_prompt="x" * 4001)


def test_the_database_refuses_an_unknown_style(alice: User) -> None:
    services.get_preferences(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserPreferences.objects.filter(user=alice).update(response_style="guru")


def test_there_is_one_platform_settings_row() -> None:
    extra = PlatformSettings(platform_prompt="Another")
    extra.save()  # save() keeps the one id: it overwrites rather than adds
    assert PlatformSettings.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        PlatformSettings.objects.bulk_create([PlatformSettings(id=2)])


def test_deleting_the_user_deletes_their_preferences(alice: User) -> None:
    services.get_preferences(alice)
    alice.delete()
    assert not UserPreferences.objects.exists()
