"""The app shell: layout landmarks, the profile menu's entries, themes without a flash."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from javari.shell import THEME_COOKIE


def test_the_landing_page_has_landmarks_and_a_skip_link(client: Client) -> None:
    page = client.get("/").text
    assert '<header class="site-header">' in page
    assert '<main id="main"' in page
    assert 'href="#main"' in page
    assert 'id="credits-slot"' in page


@pytest.mark.django_db
def test_signed_in_pages_carry_the_profile_menu_with_the_users_name(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/").text
    assert 'id="profile-button"' in page
    assert "Alice Example" in page
    # Signed-in pages lead to the chat from the header.
    assert 'href="/chat/"' in page


@pytest.mark.django_db
def test_the_menu_lists_only_features_that_exist(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/").text
    assert 'id="profile-language"' in page  # Language
    for present in ("Get Help", "View Plans &amp; Credits", ">Settings<", "Security &amp; Keys", "Sign Out"):
        assert present in page
    # Features of later releases stay out of the menu until they exist.
    for absent in ("Assets &amp; Documents",):
        assert absent not in page


def test_signed_out_pages_have_no_profile_menu(client: Client, db: None) -> None:
    assert 'id="profile-button"' not in client.get("/").text


@pytest.mark.parametrize("theme", ["light", "dark", "auto"])
def test_the_theme_is_rendered_by_the_server_so_nothing_flashes(client: Client, theme: str) -> None:
    response = client.post("/accounts/theme/", {"theme": theme, "next": "/"})
    assert response.status_code == 302
    assert response.cookies[THEME_COOKIE].value == theme
    assert f'data-theme="{theme}"' in client.get("/").text


def test_an_unknown_theme_is_refused(client: Client) -> None:
    response = client.post("/accounts/theme/", {"theme": "neon"})
    assert response.status_code == 400
    assert THEME_COOKIE not in response.cookies


def test_a_forged_theme_cookie_falls_back_to_auto(client: Client) -> None:
    client.cookies[THEME_COOKIE] = '"><script>'
    page = client.get("/").text
    assert 'data-theme="auto"' in page
    assert '"><script>' not in page


def test_static_files_are_served_by_the_app_itself(client: Client) -> None:
    # WhiteNoise serves them under gunicorn; no separate web server is needed.
    response = client.get("/static/css/javari.css")
    assert response.status_code == 200
    assert b"light-dark(" in b"".join(response.streaming_content)
