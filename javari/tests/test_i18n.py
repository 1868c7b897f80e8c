"""The Spanish catalog is complete and up to date with every string marked in the source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
SPANISH = BASE_DIR / "locale" / "es" / "LC_MESSAGES" / "django.po"
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "var", "locale", "test-artifacts", "__pycache__", "node_modules", ".*cache"
)


def _read(path: Path):
    with path.open("rb") as po_file:
        return read_po(po_file, locale="es")


def _msgids(catalog) -> set:
    return {
        message.id if isinstance(message.id, str) else tuple(message.id) for message in catalog if message.id
    }


def test_the_spanish_catalog_has_no_untranslated_entry() -> None:
    untranslated = [
        message.id
        for message in _read(SPANISH)
        if message.id and not (all(message.string) if isinstance(message.string, tuple) else message.string)
    ]
    assert untranslated == [], f"untranslated in {SPANISH}: {untranslated}"


def test_the_spanish_catalog_has_no_fuzzy_entry() -> None:
    fuzzy = [message.id for message in _read(SPANISH) if message.id and message.fuzzy]
    assert fuzzy == [], f"fuzzy entries in {SPANISH} need review: {fuzzy}"


def test_every_string_marked_in_the_source_is_in_the_spanish_catalog(tmp_path: Path) -> None:
    # Extract afresh from a copy of the source (makemessages writes into ./locale) and compare.
    copy = tmp_path / "src"
    shutil.copytree(BASE_DIR, copy, ignore=NOT_SOURCE)
    env = {
        **os.environ,
        "DATABASE_URL": settings.DATABASE_URL,
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "javari.settings",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-location", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    extracted = _msgids(_read(copy / "locale" / "es" / "LC_MESSAGES" / "django.po"))
    missing = sorted(map(str, extracted - _msgids(_read(SPANISH))))
    assert missing == [], (
        "strings marked for translation but missing from locale/es: run "
        "`manage.py makemessages -l es --no-location` and translate them: " + "; ".join(missing)
    )
