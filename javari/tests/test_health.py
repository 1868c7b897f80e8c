from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.test import Client


def test_healthz_answers_without_touching_the_database(client: Client) -> None:
    # No db fixture: pytest-django makes any database access in this test an error.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_names_each_dependency_when_all_answer(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert body["checks"] == {"database": {"ok": True}, "pgvector": {"ok": True}, "broker": {"ok": True}}


@pytest.mark.django_db
def test_readyz_deep_adds_the_model_endpoint(client: Client) -> None:
    response = client.get("/readyz?deep=1")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "pgvector", "broker", "llm"}


@pytest.mark.django_db
def test_readyz_stays_ready_when_the_model_endpoint_is_down(client: Client, settings) -> None:
    # A provider's outage must not take billing, settings and the admin out of the load balancer.
    settings.LLM_BASE_URL = f"http://127.0.0.1:{_closed_port()}/v1"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert "llm" not in response.json()["checks"]


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_redis_is_unreachable(
    client: Client, settings, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    settings.REDIS_URL = f"unix://{tmp_path}/no-redis-here.sock"
    with caplog.at_level(logging.WARNING, logger="javari.views"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body == {
        "status": "unavailable",
        "checks": {"database": {"ok": True}, "pgvector": {"ok": True}, "broker": {"ok": False}},
        "failing": ["broker"],
    }
    # The public answer names no path, host or exception; the log keeps why, for the operator.
    assert str(tmp_path) not in response.content.decode()
    assert "Error" not in response.content.decode()
    assert "readiness check broker failed" in caplog.text
    assert str(tmp_path) in caplog.text


@pytest.mark.django_db
def test_readyz_is_503_naming_pgvector_when_the_extension_is_missing(client: Client) -> None:
    # A real missing extension: dropped inside the test's transaction, restored by its rollback
    # (CASCADE: the help center's passage embeddings are vector columns).
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION vector CASCADE")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["pgvector"]
    assert response.json()["checks"]["pgvector"] == {"ok": False}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket closes


@pytest.mark.django_db
def test_readyz_deep_is_503_naming_the_llm_when_its_endpoint_is_unreachable(
    client: Client, settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.LLM_BASE_URL = f"http://127.0.0.1:{_closed_port()}/v1"
    with caplog.at_level(logging.WARNING, logger="javari.views"):
        response = client.get("/readyz?deep=1")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["llm"]
    assert body["checks"]["llm"] == {"ok": False}
    assert "ConnectError" not in response.content.decode()
    assert "ConnectError" in caplog.text


class _Refusing(BaseHTTPRequestHandler):
    """An endpoint that answers every request 401, and remembers the Authorization it was sent."""

    authorizations: list[str] = []

    def do_GET(self) -> None:
        self.authorizations.append(self.headers.get("Authorization", ""))
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error": {"message": "Incorrect API key provided: sk-wrong"}}')

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_readyz_deep_is_503_naming_the_llm_when_its_endpoint_refuses(
    client: Client, settings, refusing_endpoint: str
) -> None:
    settings.LLM_BASE_URL = refusing_endpoint
    settings.LLM_API_KEY = "sk-wrong"
    response = client.get("/readyz?deep=1")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["llm"]
    assert body["checks"]["llm"] == {"ok": False}
    assert "sk-wrong" not in response.content.decode()
    assert _Refusing.authorizations[-1] == "Bearer sk-wrong"


def test_readyz_refuses_other_methods(client: Client) -> None:
    assert client.post("/readyz").status_code == 405
