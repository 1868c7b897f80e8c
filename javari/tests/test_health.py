from __future__ import annotations

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
    assert set(body["checks"]) == {"database", "pgvector", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_redis_is_unreachable(
    client: Client, settings, tmp_path
) -> None:
    settings.REDIS_URL = f"unix://{tmp_path}/no-redis-here.sock"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"] == {"ok": True}
    assert "Error" in body["checks"]["broker"]["error"]


@pytest.mark.django_db
def test_readyz_is_503_naming_pgvector_when_the_extension_is_missing(client: Client) -> None:
    # A real missing extension: dropped inside the test's transaction, restored by its rollback.
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION vector")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["pgvector"]


def test_readyz_refuses_other_methods(client: Client) -> None:
    assert client.post("/readyz").status_code == 405
