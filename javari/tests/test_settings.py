"""Settings from the environment: production variables pass `check --deploy`; bad values fail loudly."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "javari.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://javari.example.com",
    "HTTPS": "true",
    "SITE_URL": "https://javari.example.com",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "javari.settings", **env}
    # The database and Redis of this test run; the production check reads no data.
    environment.setdefault("DATABASE_URL", settings.DATABASE_URL)
    environment.setdefault("REDIS_URL", settings.REDIS_URL)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_issue_with_the_production_variables() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_them() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="true")
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W018" in result.stderr  # DEBUG on


def test_a_secret_is_read_from_the_file_named_by_name_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("from-a-file-" + secrets.token_urlsafe(50) + "\n")
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = _manage("shell", "-c", code, SECRET_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == key_file.read_text().strip()


def test_an_unreadable_secret_file_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    result = _manage("check", SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY_FILE=" in result.stderr


def test_a_malformed_number_stops_start_up() -> None:
    result = _manage("check", CONN_MAX_AGE="sixty")
    assert result.returncode != 0
    assert "CONN_MAX_AGE" in result.stderr
