"""The back office: presets (en/es), the one platform settings row, people's preferences."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from preferences import services
from preferences.models import BehaviorPreset, PlatformSettings

pytestmark = pytest.mark.django_db


def test_staff_edit_a_presets_texts_in_both_languages(staff_client: Client) -> None:
    client = staff_client
    preset = BehaviorPreset.objects.get(key="beginner")
    url = f"/admin/preferences/behaviorpreset/{preset.pk}/change/"
    page = client.get(url).text
    for name in (
        "name_en",
        "name_es",
        "description_en",
        "description_es",
        "system_prompt_en",
        "system_prompt_es",
    ):
        assert f'name="{name}"' in page
    assert 'name="key"' not in page  # fixed once created
    assert client.get(f"/admin/preferences/behaviorpreset/{preset.pk}/delete/").status_code == 403


def test_the_platform_settings_are_one_row(staff_client: Client) -> None:
    client = staff_client
    response = client.get("/admin/preferences/platformsettings/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/preferences/platformsettings/1/change/"
    assert client.get("/admin/preferences/platformsettings/add/").status_code == 403
    assert client.get("/admin/preferences/platformsettings/1/delete/").status_code == 403

    page = client.get("/admin/preferences/platformsettings/1/change/").text
    assert 'name="platform_prompt_en"' in page
    assert 'name="platform_prompt_es"' in page
    response = client.post(
        "/admin/preferences/platformsettings/1/change/",
        {"platform_prompt_en": "You are Javari.", "platform_prompt_es": "Eres Javari."},
    )
    assert response.status_code == 302
    assert PlatformSettings.objects.get().platform_prompt_es == "Eres Javari."


def test_the_user_preferences_list_searches_by_email(staff_client: Client, alice: User, bob: User) -> None:
    services.get_preferences(alice)
    services.get_preferences(bob)
    client = staff_client
    page = client.get("/admin/preferences/userpreferences/?q=alice@").text
    assert "alice@example.com" in page
    assert "bob@example.com" not in page


def test_people_without_staff_rights_are_kept_out(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get("/admin/preferences/behaviorpreset/").status_code == 302
