"""Re-encrypt every encrypted value under the first ``FIELD_ENCRYPTION_KEY`` and say which keys can go.

``manage.py rotate_encryption_key [--batch-size N] [--check]``. The steps are in
``javari/keyrotation.py``. The report names keys by their position in ``FIELD_ENCRYPTION_KEY``
(``#1`` is the first, which encrypts) and never prints a key or a value. A value that no key
decrypts is listed (model, primary key, field), left as it is, and makes the command fail (exit 1):
dropping a key would not help it, and someone should look.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from javari.keyrotation import DEFAULT_BATCH_SIZE, KeyReport, rotate_encryption_key

MAX_BATCH_SIZE = 100_000


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value under the first key of FIELD_ENCRYPTION_KEY, in batches, "
        "then report how many values each key still holds and which keys can be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Parsed here rather than with type=int, so a bad value gets our message, not argparse's.
        parser.add_argument(
            "--batch-size",
            default=str(DEFAULT_BATCH_SIZE),
            help=f"Rows re-encrypted per transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument("--check", action="store_true", help="Only report: change nothing.")

    def handle(self, *args: object, **options: object) -> None:
        batch_size = _batch_size(str(options["batch_size"]))
        check_only = bool(options["check"])
        try:
            report = rotate_encryption_key(batch_size=batch_size, check_only=check_only)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self._print(report, check_only=check_only)
        if report.undecryptable:
            raise CommandError(
                f"{len(report.undecryptable)} stored value(s) decrypt with no key in FIELD_ENCRYPTION_KEY "
                "(listed above, left unchanged). Was a key removed too early?"
            )

    def _print(self, report: KeyReport, *, check_only: bool) -> None:
        write = self.stdout.write
        write(f"Encrypted fields: {', '.join(report.columns) or 'none'}.")
        if not check_only:
            write(f"Re-encrypted under key #1: {report.rotated} value(s).")
        for index, rows in enumerate(report.rows_per_key):
            if index == 0:
                verdict = "encrypts new values; keep it"
            elif report.removable(index):
                verdict = "no value uses it: it can be removed"
            else:
                verdict = "still in use: keep it" + ("" if check_only else " (run again)")
            write(f"Key #{index + 1}: {rows} value(s); {verdict}.")
        for value in report.undecryptable:
            self.stderr.write(f"No key decrypts {value.model} pk={value.pk} field={value.field}.")


def _batch_size(text: str) -> int:
    try:
        size = int(text.strip())
    except ValueError:
        raise CommandError("--batch-size must be a whole number.") from None
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH_SIZE}.")
    return size
