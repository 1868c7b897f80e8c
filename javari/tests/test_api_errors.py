"""javari/api_errors.py: every DRF error as {"error", "detail"} (+ "fields"), never unencodable."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import Client
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.test import APIRequestFactory

from accounts.models import User
from javari.api_errors import JSONRenderer, exception_handler

pytestmark = pytest.mark.django_db


def _context() -> dict:
    return {"request": APIRequestFactory().get("/api/v1/"), "view": None}


def test_a_validation_error_names_its_fields() -> None:
    response = exception_handler(ValidationError({"name": ["This field is required."]}), _context())
    assert response.status_code == 400
    assert response.data == {
        "error": "invalid",
        "detail": "This field is required.",
        "fields": {"name": ["This field is required."]},
    }


def test_a_validation_error_without_fields_goes_under_non_field_errors() -> None:
    response = exception_handler(ValidationError("Too many."), _context())
    assert response.data == {
        "error": "invalid",
        "detail": "Too many.",
        "fields": {"non_field_errors": ["Too many."]},
    }


def test_a_services_django_validation_error_is_a_400_not_a_500() -> None:
    response = exception_handler(DjangoValidationError({"title": ["Too long."]}), _context())
    assert response.status_code == 400
    assert response.data["fields"] == {"title": ["Too long."]}


def test_other_errors_keep_their_code_and_headers() -> None:
    response = exception_handler(NotAuthenticated(), _context())
    assert response.status_code == 401
    assert response.data == {
        "error": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


def test_an_unknown_exception_stays_a_server_error() -> None:
    assert exception_handler(RuntimeError("boom"), _context()) is None


def test_unencodable_text_in_an_error_is_replaced_never_a_500() -> None:
    # The kind behind issue 10's 500: DRF's "“\ud800” is not a valid choice." echoed the input.
    response = exception_handler(ValidationError({"style": ['"\ud800" is not a valid choice.']}), _context())
    body = JSONRenderer().render(response.data)
    assert json.loads(body)["fields"]["style"] == ['"\ufffd" is not a valid choice.']


def test_the_renderer_replaces_unencodable_text_in_any_body() -> None:
    assert json.loads(JSONRenderer().render({"a\udfff": ["\ud800"]})) == {"a\ufffd": ["\ufffd"]}


def test_the_apis_errors_have_the_shape(client: Client, alice: User) -> None:
    assert client.get("/api/v1/credits/").json()["error"] == "not_authenticated"
    client.force_login(alice)
    response = client.post("/api/v1/conversations/", "{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"
    response = client.post("/api/v1/conversations/", "x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    response = client.delete("/api/v1/credits/")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    response = client.get("/api/v1/api-keys/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_spanish_speakers_get_spanish_errors(client: Client, alice: User) -> None:
    response = client.get("/api/v1/credits/", headers={"accept-language": "es"})
    assert response.json()["error"] == "not_authenticated"
    assert response.json()["detail"] != "Authentication credentials were not provided."


@pytest.mark.parametrize("accept", ["*/*", "application/xhtml+xml,text/html;q=0.9,*/*;q=0.8"])
@pytest.mark.parametrize("path", ["/api/v1/credits/", "/api/v1/preferences/", "/api/v1/api-keys/"])
def test_the_api_answers_json_never_an_html_page(client, alice, accept: str, path: str) -> None:
    # DRF's browsable API answered text/html under /api/ (its errors too) with forms that write.
    assert client.get(path, headers={"accept": accept}).headers["Content-Type"] == "application/json"
    client.force_login(alice)
    response = client.get(path, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert client.get(path, {"format": "api"}).status_code == 404
    html_only = client.get(path, headers={"accept": "text/html"})
    assert (html_only.status_code, html_only.headers["Content-Type"]) == (406, "application/json")
