"""Settings from the environment: production variables pass `check --deploy`; bad values fail loudly."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
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


# --- The embedded switch off: production's four variables are required ------------------------

REQUIRED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEY")


def _setup_with_switch_off(var_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``django.setup()`` in a clean environment: only what is given, the switch off, no .env read."""
    from cryptography.fernet import Fernet

    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "javari.settings",
        "JAVARI_EMBEDDED": "false",
        "JAVARI_VAR_DIR": str(var_dir),
        "DATABASE_URL": settings.DATABASE_URL,
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": secrets.token_urlsafe(60),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        **env,
    }
    environment = {name: value for name, value in environment.items() if value != ""}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", REQUIRED)
def test_with_the_switch_off_a_missing_variable_stops_start_up_naming_it(
    tmp_path: Path, missing: str
) -> None:
    result = _setup_with_switch_off(tmp_path, **{missing: ""})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {missing} is not set" in result.stderr
    # Nothing generated or started behind the operator's back.
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "field_encryption_key").exists()
    assert not (tmp_path / "pgdata").exists()
    assert not (tmp_path / "redis").exists()


def test_with_the_switch_off_and_every_variable_set_start_up_succeeds(tmp_path: Path) -> None:
    result = _setup_with_switch_off(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_a_blank_key_list_counts_as_missing(tmp_path: Path) -> None:
    result = _setup_with_switch_off(tmp_path, FIELD_ENCRYPTION_KEY=" , ")
    assert result.returncode != 0
    assert "ImproperlyConfigured: FIELD_ENCRYPTION_KEY is not set" in result.stderr


def test_static_files_are_collected_with_no_database_redis_or_key(tmp_path: Path) -> None:
    # The Dockerfile's build step, with nothing set: no placeholder is needed, nothing is generated.
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "javari.settings_build",
        "JAVARI_EMBEDDED": "false",
        "JAVARI_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0", "--skip-checks"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["static"]
