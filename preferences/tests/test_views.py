"""The Settings hub lists the sections that exist, each with its line from the spec."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import resolve

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_hub_lists_the_sections_that_exist_with_their_descriptions(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.get("/settings/")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Settings</h1>" in page
    assert 'href="/accounts/security/"' in page
    assert "Security &amp; API Keys" in page
    assert "Manage all tokens and credentials" in page
    assert 'href="/settings/usage/"' in page
    assert "Usage &amp; Analytics" in page
    assert "View your activity and stats" in page
    assert page.index("Security &amp; API Keys") < page.index("Usage &amp; Analytics")  # the spec's order


def test_sections_of_features_not_built_yet_are_absent(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/settings/").text
    for absent in (
        "Behavior &amp; Personality",
        "Integrations",
        "Calendar &amp; Scheduling",
        "Reminders &amp; Notifications",
        "Language &amp; Localization",
    ):
        assert absent not in page


def test_the_hub_needs_a_signed_in_user(client: Client) -> None:
    response = client.get("/settings/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/settings/"


def test_the_profile_menu_links_settings_and_plans(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/").text
    assert re.search(r'<a href="/settings/"\s*>Settings</a>', page)
    assert re.search(r'<a href="/plans/"\s*>View Plans &amp; Credits</a>', page)


def test_usage_under_settings_is_still_served_by_credits() -> None:
    # preferences is included at settings/ before credits' root include: its patterns must not
    # swallow credits' settings/usage/ pages.
    assert resolve("/settings/").view_name == "preferences:index"
    assert resolve("/settings/usage/").view_name == "credits:usage"
    assert resolve("/settings/usage.csv").view_name == "credits:usage_csv"
