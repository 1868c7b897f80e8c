"""The embedded defaults: PostgreSQL with pgvector and Redis from wheels, data kept across restarts.

Each test runs the real `python -m javari.embedded` in a throwaway JAVARI_VAR_DIR.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings


def _embedded(var_dir: Path, *args: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["JAVARI_VAR_DIR"] = str(var_dir)
    result = subprocess.run(
        [sys.executable, "-m", "javari.embedded", *args],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


@pytest.fixture
def var_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    _embedded(tmp_path, "stop")


def test_the_embedded_postgres_has_pgvector_and_keeps_data_across_a_restart(var_dir: Path) -> None:
    urls = _embedded(var_dir, "start")
    assert (var_dir / "pgdata" / "PG_VERSION").read_text().strip() == "18"
    with psycopg.connect(urls["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE TABLE kept (v vector(3))")
        conn.execute("INSERT INTO kept VALUES ('[1,2,3]')")

    _embedded(var_dir, "stop")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(urls["DATABASE_URL"], connect_timeout=2)

    urls_again = _embedded(var_dir, "start")
    assert urls_again["DATABASE_URL"] == urls["DATABASE_URL"]
    with psycopg.connect(urls_again["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT v <-> '[1,2,4]' FROM kept").fetchone() == (1.0,)


def test_the_embedded_redis_keeps_data_across_a_restart(var_dir: Path) -> None:
    urls = _embedded(var_dir, "start")
    redis.Redis.from_url(urls["REDIS_URL"]).set("kept", "yes")

    _embedded(var_dir, "stop")
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(urls["REDIS_URL"], socket_connect_timeout=1).ping()

    _embedded(var_dir, "start")
    assert redis.Redis.from_url(urls["REDIS_URL"]).get("kept") == b"yes"


def test_exec_runs_a_command_with_the_urls_and_stops_what_it_started(var_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["JAVARI_VAR_DIR"] = str(var_dir)
    probe = (
        "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL']).ping(); "
        "print(os.environ['DATABASE_URL'])"
    )
    result = subprocess.run(
        [sys.executable, "-m", "javari.embedded", "exec", "--", sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "host=" in result.stdout
    assert not (var_dir / "pgdata" / "postmaster.pid").exists()  # stopped again
    assert not (var_dir / "redis" / "redis.sock").exists()


def test_exec_passes_on_the_commands_exit_code(var_dir: Path) -> None:
    env = {**os.environ, "JAVARI_VAR_DIR": str(var_dir), "DATABASE_URL": "x", "REDIS_URL": "y"}
    result = subprocess.run(
        [sys.executable, "-m", "javari.embedded", "exec", "--", sys.executable, "-c", "raise SystemExit(3)"],
        cwd=settings.BASE_DIR,
        env=env,
        timeout=60,
    )
    assert result.returncode == 3
    assert not (var_dir / "pgdata").exists()  # URLs given: nothing embedded was started
