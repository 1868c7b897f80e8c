"""javari/errors.py: one error model (AppError), answered the same way by the API, pages, htmx and
fetch callers; Django's own error answers are JSON under /api/."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client, RequestFactory

from accounts import services as accounts
from accounts.errors import ApiKeyNotFound, InvalidApiKey
from accounts.models import User
from chat.errors import ChatError, ConversationNotFound, NoModelAvailable, ReplyFailed
from credits.errors import CreditsError, InsufficientCredits, SpendingCapReached
from javari import errors
from javari.api_errors import exception_handler
from javari.errors import AppError, NotFound, error_response

pytestmark = pytest.mark.django_db


def test_every_apps_errors_are_application_errors() -> None:
    for error_class in (
        CreditsError,
        ChatError,
        ReplyFailed,
        ApiKeyNotFound,
        InvalidApiKey,
        ConversationNotFound,
    ):
        assert issubclass(error_class, AppError)
    # The same kind of refusal has the same code and status whichever app raises it.
    assert (ConversationNotFound.status, ConversationNotFound.code) == (NotFound.status, NotFound.code)
    assert (ApiKeyNotFound.status, ApiKeyNotFound.code) == (404, "not_found")
    assert InsufficientCredits.status == SpendingCapReached.status == 402
    assert InvalidApiKey(InvalidApiKey.Reason.REVOKED).code == "revoked"
    assert ReplyFailed("timeout", "slow").code == "timeout"


def test_the_body_names_the_fix_only_to_whom_it_applies(alice: User, staff: User) -> None:
    body = InsufficientCredits().body(user=alice, build_url=lambda url: f"https://x.test{url}")
    assert body["error"] == "insufficient_credits"
    assert body["fix_url"].startswith("https://x.test/")
    assert body["fix_label"]
    # Connecting a model is staff's fix: a member gets the reason without a link they can't use.
    assert set(NoModelAvailable().body(user=alice)) == {"error", "detail"}
    assert "fix_url" in NoModelAvailable().body(user=staff)


def test_the_api_handler_answers_an_application_error_with_its_status_and_fix(alice: User) -> None:
    request = RequestFactory().get("/api/v1/conversations/")
    request.user = alice
    response = exception_handler(InsufficientCredits(), {"request": request, "view": None})
    assert response is not None
    assert response.status_code == 402
    assert response.data["error"] == "insufficient_credits"
    assert response.data["fix_url"].startswith("http://testserver/")
    response = exception_handler(ConversationNotFound(), {"request": request, "view": None})
    assert response is not None
    assert (response.status_code, response.data["error"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("headers", "status", "content_type"),
    [
        ({"HX-Request": "true"}, 402, "text/html"),
        ({"Accept": "text/html,application/xhtml+xml"}, 402, "text/html"),
        ({"Accept": "text/event-stream"}, 402, "application/json"),
        ({}, 402, "application/json"),
    ],
)
def test_error_response_answers_in_the_callers_form(
    alice: User, headers: dict[str, str], status: int, content_type: str
) -> None:
    from django_htmx.middleware import HtmxDetails

    request = RequestFactory().post("/chat/start/", headers=headers)
    request.user = alice
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]  # what HtmxMiddleware sets
    response = error_response(request, InsufficientCredits())
    assert response.status_code == status
    assert response["Content-Type"].startswith(content_type)
    text = response.content.decode()
    if content_type == "application/json":
        assert json.loads(text)["error"] == "insufficient_credits"
    else:
        assert str(InsufficientCredits()).replace("'", "&#x27;") in text
        assert 'href="/' in text  # the fix's link


def test_an_application_error_no_view_caught_is_never_a_500(alice: User) -> None:
    client = Client()
    client.force_login(alice)
    # The conversation page raises ConversationNotFound from the service: the middleware answers.
    response = client.get(f"/chat/{uuid.uuid4()}/", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "No such conversation." in response.content.decode()


# --- Every /api/v1 error in one shape --------------------------------------------------------------


def _assert_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert {"error", "detail"} <= set(body)
    assert body["detail"]
    if code is not None:
        assert body["error"] == code
    return body


@pytest.mark.parametrize("path", ["/api/v1/conversations/", "/api/v1/api-keys/", "/api/v1/credits/usage/"])
def test_401_in_the_shape(client: Client, path: str) -> None:
    _assert_shape(client.get(path), 401, "not_authenticated")
    _assert_shape(client.get(path, headers={"Authorization": "Bearer nope"}), 401, "malformed")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/xyz/",
        "/api/v1/xyz",
        "/api/nothing",
        "/api/v1/conversations/not-a-uuid/",
        "/api/v1/conversations/00000000-0000-4000-8000-000000000001/",
        "/api/v1/api-keys/00000000-0000-4000-8000-000000000002/",
        "/api/v1/credits/usage/?page=99",
        "/api/v1/conversations/?page=0",
    ],
)
def test_404_in_the_shape(client: Client, charlie: User, path: str) -> None:
    # An address without its slash is first redirected to it (APPEND_SLASH), as a real route is.
    client.force_login(charlie)
    _assert_shape(client.get(path, follow=True), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [("put", "/api/v1/credits/"), ("delete", "/api/v1/conversations/"), ("patch", "/api/v1/api-keys/")],
)
def test_405_in_the_shape(client: Client, alice: User, method: str, path: str) -> None:
    client.force_login(alice)
    _assert_shape(getattr(client, method)(path), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/api/v1/conversations/", "/api/v1/api-keys/", "/api/v1/preferences/"])
def test_415_400_and_413_in_the_shape(client: Client, alice: User, path: str, settings) -> None:
    client.force_login(alice)
    method = client.patch if path.endswith("preferences/") else client.post
    _assert_shape(method(path, "x", content_type="application/xml"), 415)
    _assert_shape(method(path, "{", content_type="application/json"), 400)
    _assert_shape(method(path, "[[[[", content_type="application/json"), 400)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = json.dumps({"name": "x" * 5000, "content": "x" * 5000})
    _assert_shape(method(path, big, content_type="application/json"), 413)


def test_a_server_error_under_the_api_is_json_and_a_page_elsewhere() -> None:
    factory = RequestFactory()
    body = _assert_shape(errors.server_error(factory.get("/api/v1/credits/")), 500, "server_error")
    assert "Traceback" not in body["detail"]
    assert errors.server_error(factory.get("/plans/"))["Content-Type"].startswith("text/html")
    assert errors.page_not_found(factory.get("/plans/x"), Exception())["Content-Type"].startswith("text/html")
    _assert_shape(errors.bad_request(factory.get("/api/v1/"), Exception()), 400, "bad_request")
    _assert_shape(errors.permission_denied(factory.get("/api/v1/"), Exception()), 403, "permission_denied")


# --- One pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/conversations/", "/api/v1/api-keys/", "/api/v1/credits/usage/"])
def test_every_list_pages_the_same_way(client: Client, alice: User, path: str) -> None:
    client.force_login(alice)
    page = client.get(path, {"page_size": 1}).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert len(page["results"]) <= 1


def test_the_next_page_is_a_link(client: Client, alice: User) -> None:
    for name in ("a", "b", "c"):
        accounts.create_api_key(user=alice, name=name)
    client.force_login(alice)
    first = client.get("/api/v1/api-keys/", {"page_size": 2}).json()
    assert (first["count"], len(first["results"])) == (3, 2)
    second = client.get(first["next"]).json()
    assert [key["name"] for key in second["results"]] == ["a"]
    assert second["next"] is None
