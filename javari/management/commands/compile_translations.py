"""Compile ``locale/*/LC_MESSAGES/*.po`` into ``.mo`` files with Babel.

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``, which a machine with only Python
lacks; Babel is pure Python. Fuzzy entries are left out, as msgfmt does.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the project's translation catalogs (.po to .mo) without GNU gettext."

    def handle(self, *args: object, **options: object) -> None:
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                with po_path.open("rb") as po_file:
                    try:
                        catalog = read_po(po_file, locale=po_path.parts[-3], abort_invalid=True)
                    except Exception as exc:  # babel raises several types for a broken file
                        raise CommandError(f"{po_path}: {exc}") from exc
                with mo_path.open("wb") as mo_file:
                    write_mo(mo_file, catalog, use_fuzzy=False)
                compiled += 1
                self.stdout.write(f"compiled {po_path}")
        self.stdout.write(f"{compiled} catalog(s) compiled")
