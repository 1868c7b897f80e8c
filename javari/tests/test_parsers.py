"""javari/parsers.py: the JSON we accept, refused with a 400 in the API's shape when we don't."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.test.utils import override_settings

from accounts.models import User
from javari.parsers import MAX_JSON_DEPTH, InvalidJSON, check_depth, loads

pytestmark = pytest.mark.django_db


def test_loads_accepts_ordinary_documents() -> None:
    document = {"a": [1, 2.5, {"b": "[{not nesting}]"}], "é": "😀 ok", "n": None}
    assert loads(json.dumps(document)) == document
    assert loads(json.dumps(document).encode()) == document
    assert loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_loads_refuses_deep_documents_without_recursing(opener: str, depth: int) -> None:
    closer = "]" if opener == "[" else "}"
    with pytest.raises(InvalidJSON, match="nested more than"):
        loads(opener * depth + "1" * (opener != "[") + closer * depth)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"text": "[" * 500 + '\\"{' * 50})
    check_depth(text)
    assert loads(text)["text"].startswith("[[[")


@pytest.mark.parametrize(
    "text",
    [
        '{"content": "a\\u0000b"}',
        '{"a\\u0000": 1}',
        '["\\ud800"]',
        '{"\\udfff": "x"}',
        '[["deep", ["\\uDBFF"]]]',
    ],
)
def test_loads_refuses_nul_and_lone_surrogates_in_keys_and_values(text: str) -> None:
    with pytest.raises(InvalidJSON) as caught:
        loads(text)
    assert caught.value.code == "invalid_text"


def test_a_surrogate_pair_is_one_character_and_accepted() -> None:
    assert loads('["\\ud83d\\ude00"]') == ["😀"]


@pytest.mark.parametrize(
    "text", ["[1e999]", "[NaN]", "[Infinity]", "[-Infinity]", "1" * 5_000, "[", "{'a': 1}"]
)
def test_loads_refuses_what_is_not_a_finite_json_document(text: str) -> None:
    with pytest.raises(InvalidJSON):
        loads(text)


def test_invalid_utf8_bytes_are_refused() -> None:
    with pytest.raises(InvalidJSON):
        loads(b'["\xed\xa0\x80"]')  # an encoded surrogate


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def test_a_deeply_nested_body_to_the_api_is_a_400_in_the_api_shape(alice_client: Client) -> None:
    for body in ("[" * 1_000, "[" * 10_000 + "]" * 10_000, '{"a":' * 5_000):
        response = alice_client.post("/api/v1/conversations/", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"] == "parse_error"
        assert "nested" in response.json()["detail"]


def test_a_lone_surrogate_in_a_choice_field_is_a_400_not_a_500(alice_client: Client) -> None:
    response = alice_client.patch(
        "/api/v1/preferences/", '{"response_style": "\\ud800"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_text"


def test_a_nul_in_a_json_key_is_a_400(alice_client: Client) -> None:
    response = alice_client.patch("/api/v1/preferences/", '{"a\\u0000": 1}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_text"


def test_invalid_utf8_is_a_400_and_another_charset_a_415(alice_client: Client) -> None:
    response = alice_client.post(
        "/api/v1/conversations/", b'{"title": "\xff"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_text"
    response = alice_client.generic(  # generic(): post() would encode the body with the charset
        "POST", "/api/v1/conversations/", b"{}", content_type="application/json; charset=bz2_codec"
    )
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_charset"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000)
def test_a_json_body_past_the_upload_limit_is_a_413(alice_client: Client) -> None:
    body = json.dumps({"title": "x" * 2_000})
    response = alice_client.post("/api/v1/conversations/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
