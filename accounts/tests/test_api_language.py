"""The API answers a key in its owner's language, unless the client asks for another one."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import services
from accounts.models import User
from preferences.models import CUSTOM_PROMPT_MAX_CHARS

pytestmark = pytest.mark.django_db
PREFERENCES = "/api/v1/preferences/"
KEYS = "/api/v1/api-keys/"


def _key_of(user: User, *, language: str = "") -> str:
    user.language = language
    user.save(update_fields=["language"])
    return services.create_api_key(user=user, name="script")[1]


def _too_long_prompt(client: Client, key: str, **headers: str):
    return client.patch(
        PREFERENCES,
        {"custom_system_prompt": "x" * (CUSTOM_PROMPT_MAX_CHARS + 1)},
        content_type="application/json",
        headers={"authorization": f"Bearer {key}", **headers},
    )


def test_a_spanish_users_key_gets_spanish_errors(client: Client, alice: User) -> None:
    response = _too_long_prompt(client, _key_of(alice, language="es"))
    assert response.status_code == 400
    assert response.json()["fields"]["custom_system_prompt"] == [
        "Tus instrucciones deben tener como máximo 4.000 caracteres: tienen 4.001."
    ]
    assert response.headers["Content-Language"] == "es"


def test_accept_language_english_overrides_the_owners_spanish(client: Client, alice: User) -> None:
    response = _too_long_prompt(client, _key_of(alice, language="es"), **{"accept-language": "en"})
    assert response.json()["fields"]["custom_system_prompt"] == [
        "Keep your instructions to 4,000 characters or fewer: they have 4,001."
    ]
    assert response.headers["Content-Language"] == "en"


def test_an_english_user_asking_for_spanish_gets_spanish(client: Client, bob: User) -> None:
    response = _too_long_prompt(client, _key_of(bob), **{"accept-language": "es-MX,es;q=0.9,en;q=0.5"})
    assert response.json()["fields"]["custom_system_prompt"] == [
        "Tus instrucciones deben tener como máximo 4.000 caracteres: tienen 4.001."
    ]
    assert response.headers["Content-Language"] == "es"


def test_a_language_we_dont_offer_leaves_the_owners_language(client: Client, alice: User) -> None:
    response = _too_long_prompt(client, _key_of(alice, language="es"), **{"accept-language": "de, *;q=0.1"})
    assert response.headers["Content-Language"] == "es"


def test_an_english_user_without_accept_language_gets_english(client: Client, charlie: User) -> None:
    response = _too_long_prompt(client, _key_of(charlie))
    assert response.json()["fields"]["custom_system_prompt"][0].startswith("Keep your instructions")
    assert response.headers["Content-Language"] == "en"


def test_the_owners_language_is_not_anyone_elses(client: Client, alice: User, charlie: User) -> None:
    _key_of(alice, language="es")
    response = _too_long_prompt(client, _key_of(charlie))  # charlie's key: alice's Spanish is not his
    assert response.headers["Content-Language"] == "en"


def test_drfs_own_field_errors_speak_spanish_in_the_tu_register(client: Client, alice: User) -> None:
    # Keys are managed from a signed-in session, not with a key.
    alice.language = "es"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    response = client.post(KEYS, {"name": "n" * 81}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["fields"]["name"] == ["Este campo no puede tener más de 80 caracteres."]


def test_an_unknown_preset_is_refused_in_spanish(client: Client, alice: User) -> None:
    response = client.patch(
        PREFERENCES,
        {"preset": "no-such-preset"},
        content_type="application/json",
        headers={"authorization": f"Bearer {_key_of(alice, language='es')}"},
    )
    assert response.status_code == 400
    assert response.json()["fields"]["preset"] == [
        "Preajuste desconocido no-such-preset: usa la clave de un preajuste activo."
    ]


def test_unknown_fields_are_refused_in_spanish(client: Client, alice: User) -> None:
    response = client.patch(
        PREFERENCES,
        {"colour": "blue"},
        content_type="application/json",
        headers={"authorization": f"Bearer {_key_of(alice, language='es')}"},
    )
    assert response.status_code == 400
    assert response.json()["fields"]["colour"] == ["Campo desconocido."]


def test_a_refused_key_is_answered_in_the_language_asked_for(client: Client, db: None) -> None:
    response = client.get(PREFERENCES, headers={"authorization": "Bearer jv_nope", "accept-language": "es"})
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Clave de API mal formada.")
    assert response.headers["Content-Language"] == "es"
