"""English and Spanish: the browser's choice first, then the cookie, then the signed-in user's."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from conftest import PASSWORD


def test_a_first_visit_follows_the_browsers_accept_language(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    assert response.status_code == 200
    assert '<html lang="es"' in response.text
    assert "Crear una cuenta" in response.text


def test_english_is_the_default_for_other_languages(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert '<html lang="en"' in response.text
    assert "Create an account" in response.text


def test_an_anonymous_switch_persists_in_the_cookie(client: Client) -> None:
    response = client.post("/accounts/language/", {"language": "es", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="es"' in page.text


@pytest.mark.django_db
def test_a_signed_in_switch_is_saved_on_the_user_and_follows_them_to_a_new_browser(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    client.post("/accounts/language/", {"language": "es", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "es"

    other_browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    other_browser.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    page = other_browser.get("/")
    assert '<html lang="es"' in page.text
    assert "Cerrar sesión" in page.text


@pytest.mark.django_db
def test_the_users_language_wins_over_the_cookie(client: Client, alice: User) -> None:
    alice.language = "es"
    alice.save()
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="es"' in client.get("/").text


@pytest.mark.django_db
def test_an_unknown_language_is_refused_and_nothing_is_saved(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post("/accounts/language/", {"language": "fr"})
    assert response.status_code == 400
    assert "English or Spanish" in response.text
    alice.refresh_from_db()
    assert alice.language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switch_never_redirects_off_site(client: Client) -> None:
    response = client.post("/accounts/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_switch_only_accepts_post(client: Client) -> None:
    assert client.get("/accounts/language/?language=es").status_code == 405


def test_a_new_account_keeps_the_language_it_signed_up_in(client: Client, db: None) -> None:
    client.post("/accounts/language/", {"language": "es"})
    client.post(
        "/accounts/signup/",
        {"email": "nuevo@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert User.objects.get(email="nuevo@example.com").language == "es"
