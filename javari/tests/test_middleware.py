"""javari/middleware.py: NUL and invalid Unicode anywhere a request carries text are a 400."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.utils import override_settings

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/chat/?q=a%00",  # issue 10's example: PostgreSQL refuses NUL in text
        "/chat/?q%00=a",  # in a key
        "/chat/?q=%ED%A0%80",  # an encoded surrogate: not UTF-8
        "/chat/?q=%FF",
        "/settings/usage/?page=%00",
        "/chat/%00/",
        "/static/%00.css",  # before WhiteNoise looks for a file by that name
    ],
)
def test_nul_and_invalid_unicode_in_the_url_are_a_plain_400(alice_client: Client, path: str) -> None:
    response = alice_client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "NUL" in response.content.decode()


def test_under_api_the_400_is_json_in_the_api_shape(alice_client: Client) -> None:
    response = alice_client.get("/api/v1/conversations/", {"q": "a\x00"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_text",
        "detail": "Text must be valid Unicode and can't contain NUL characters.",
    }


def test_the_refusal_speaks_the_language_the_browser_asks_for(client: Client) -> None:
    response = client.get("/?q=%00", headers={"accept-language": "es"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert "Unicode" in response.content.decode()
    assert response.content.decode() != "Text must be valid Unicode and can't contain NUL characters."


@pytest.mark.parametrize(
    "headers",
    [
        {"user-agent": "Mozilla\x00"},  # allauth's usersessions stores it
        {"x-anything": "\x00"},
        {"cookie": "sessionid=abcdefgh\x00ijkl"},  # the session store would look it up
        {"cookie": "django_language=es\x00"},
    ],
)
def test_nul_in_a_header_or_cookie_is_a_400(client: Client, alice: User, headers: dict[str, str]) -> None:
    client.force_login(alice)
    assert client.get("/chat/", headers=headers).status_code == 400
    assert client.get("/chat/").status_code == 200  # the same session, without it, works


def test_nul_in_a_form_field_is_a_400_and_nothing_changes(alice_client: Client, alice: User) -> None:
    from chat import services

    conversation = services.start_conversation(user=alice)
    response = alice_client.post(f"/chat/{conversation.pk}/rename/", {"title": "Plans\x00"})
    assert response.status_code == 400
    conversation.refresh_from_db()
    assert conversation.title != "Plans\x00"


def test_invalid_utf8_in_a_form_body_is_a_400(alice_client: Client, alice: User) -> None:
    from chat import services

    conversation = services.start_conversation(user=alice)
    response = alice_client.generic(
        "POST",
        f"/chat/{conversation.pk}/rename/",
        b"title=%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_nul_in_a_multipart_field_is_a_400(alice_client: Client) -> None:
    response = alice_client.post("/accounts/security/api-keys/", {"name": "k\x00"})  # multipart by default
    assert response.status_code == 400
    assert not User.objects.get(email="alice@example.com").api_keys.exists()


def test_ordinary_text_passes_untouched(alice_client: Client) -> None:
    response = alice_client.get("/chat/", {"q": "ñandú 😀 \ufffd [{}]"})
    assert response.status_code == 200


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_a_form_body_past_the_upload_limit_is_a_413(alice_client: Client) -> None:
    response = alice_client.generic(
        "POST", "/settings/usage/cap/", b"cap=" + b"1" * 200, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


def test_staff_pages_are_pages_too(staff_client: Client) -> None:
    assert staff_client.get("/admin/accounts/user/", {"role__exact": "\x00"}).status_code == 400
    assert staff_client.get("/admin/accounts/user/?q=%00").status_code == 400
    assert staff_client.get("/admin/accounts/user/").status_code == 200


def _multipart(name: str, value: str) -> str:
    return f'--x\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n--x--\r\n'


@pytest.mark.parametrize(
    "body",
    [
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nno closing boundary',
        "garbage with no boundary at all",
        "--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--\r\n",
    ],
)
def test_a_multipart_body_that_cannot_be_parsed_is_no_server_error(client: Client, body: str) -> None:
    response = client.generic(
        "POST", "/accounts/login/", body, content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code < 500


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_multipart_body_over_the_limit_is_a_413_before_it_is_parsed(client: Client) -> None:
    # No endpoint takes uploads yet: a big file is refused before Django spools it to disk.
    body = _multipart("file", "x" * 2000)
    response = client.generic("POST", "/healthz", body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413


def test_a_content_length_that_is_not_a_number_is_a_400(client: Client) -> None:
    response = client.generic(
        "POST",
        "/accounts/login/",
        _multipart("a", "b"),
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH="abc",
    )
    assert response.status_code == 400
