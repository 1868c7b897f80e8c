"""The partner API's OpenAPI schema (/api/v1/schema/) and its docs page (/api/v1/docs/): the schema is
valid without a warning, names every /api/v1 route, gives each operation its error answers, says how
to authenticate and describes the reply stream's events; the docs page runs on our own files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from accounts.models import User
from javari import api_urls

SCHEMA_PAGES = ["/api/v1/schema/", "/api/v1/docs/"]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    client = Client()
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _openapi_paths(patterns: list[URLPattern | URLResolver], prefix: str) -> set[str]:
    """Each route under ``prefix`` as OpenAPI writes it: ``<uuid:conversation_id>`` becomes
    ``{conversation_id}``, and ``<uuid:pk>`` ``{id}`` (drf-spectacular names a primary key ``id``)."""
    paths = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            paths |= _openapi_paths(pattern.url_patterns, route)
        elif getattr(pattern.callback, "view_class", None) is not api_urls.NoSuchEndpoint:
            # (NoSuchEndpoint answers every other address with a 404: not an operation.)
            route = re.sub(r"<(?:\w+:)?pk>", "{id}", route)
            paths.add(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return paths


def test_the_schema_is_valid_without_a_warning(tmp_path: Path) -> None:
    # --fail-on-warn: an endpoint whose body drf-spectacular had to guess is a failure, not a shrug.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3.")


def test_every_api_route_is_in_the_schema(schema: dict[str, Any]) -> None:
    routes = _openapi_paths(list(api_urls.urlpatterns), "/api/v1/") - set(SCHEMA_PAGES)  # type: ignore[arg-type]
    assert routes  # the walk found the routes
    assert routes == set(schema["paths"])


def test_every_operation_has_its_answers_and_an_example(schema: dict[str, Any]) -> None:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), where
            # Any request may be unreadable; every operation needs credentials and is rate limited.
            assert {"400", "401", "429"} <= set(responses), where
            if "requestBody" in operation:
                assert {"403", "413", "415"} <= set(responses), where
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    content = response["content"]["application/json"]
                    assert content["schema"]["$ref"].rsplit("/", 1)[1] in {
                        "Error",
                        "ValidationError",
                        "Refusal",
                    }, f"{where} {code}"
                    assert content["examples"], f"{where} {code}"
            assert operation["security"] == [{"apiKey": []}, {"cookieAuth": []}], where


def test_the_error_shapes(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["detail", "error"]
    assert set(components["ValidationError"]["properties"]) == {"error", "detail", "fields"}
    assert set(components["Refusal"]["properties"]) == {"error", "detail", "fix_url", "fix_label"}
    assert set(components["Refusal"]["required"]) == {"error", "detail"}


def test_the_security_schemes_are_the_bearer_key_and_the_session(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiKey"]["type"] == "http"
    assert schemes["apiKey"]["scheme"] == "bearer"
    assert schemes["cookieAuth"] == {"type": "apiKey", "in": "cookie", "name": "sessionid"}


def test_a_message_answers_json_or_the_described_event_stream(schema: dict[str, Any]) -> None:
    sent = set()  # every event the code sends
    for module in ["chat/events.py", "chat/api.py"]:
        source = (Path(__file__).resolve().parents[2] / module).read_text()
        sent |= set(re.findall(r'encode\(\s*"(\w+)"', source))
    assert sent == {"start", "token", "done", "error"}
    for path in ["/api/v1/conversations/", "/api/v1/conversations/{conversation_id}/messages/"]:
        responses = schema["paths"][path]["post"]["responses"]
        assert set(responses["201"]["content"]) == {"application/json"}
        stream = responses["200"]
        assert set(stream["content"]) == {"text/event-stream"}
        # Each event is described, in words and as a schema of the event and of its JSON data.
        events = stream["content"]["text/event-stream"]["schema"]["oneOf"]
        described = {event["properties"]["event"]["const"]: event["properties"]["data"] for event in events}
        assert set(described) == sent - {"error"}
        for data in described.values():
            assert data["contentMediaType"] == "application/json"
            assert data["contentSchema"]["type"] == "object"
        for event in sent:
            assert f"- `{event}`:" in stream["description"]
        for field in ["credits_charged", "balance", "error_code", "user_message", '"t"']:
            assert field in stream["description"]
        example = stream["content"]["text/event-stream"]["examples"]["Stream"]["value"]
        for event in ["start", "token", "done"]:
            assert f"event: {event}\n" in example
        # A refusal asked for as a stream is one error event.
        refused = responses["402"]["content"]["text/event-stream"]["schema"]
        assert refused["properties"]["event"]["const"] == "error"


@pytest.mark.parametrize("url", SCHEMA_PAGES)
def test_the_schema_and_docs_are_public(client: Client, charlie: User, url: str) -> None:
    # A partner reads them before having a key; they describe the API, not anyone's data.
    assert client.get(url).status_code == 200
    client.force_login(charlie)
    assert client.get(url).status_code == 200


def test_the_docs_page_runs_on_our_own_files(client: Client) -> None:
    page = client.get(reverse("api-docs")).content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources
    for source in sources:
        assert source.startswith("/"), source  # no CDN
    # Swagger UI's start-up script is a file too: no inline script for the CSP to refuse.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assets = [source for source in sources if source.startswith("/static/")]
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    script = next(source for source in sources if "script" in source and not source.startswith("/static"))
    answer = client.get(script)
    assert answer.status_code == 200
    assert "javascript" in answer["Content-Type"]
    assert reverse("api-schema") in answer.content.decode()
