"""``manage.py load_help_articles [--update]``: the help articles from helpcenter/content/ (see
helpcenter.services.loading). Without ``--update`` an article that already exists is never changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpcenter.services import LoadError, load_articles
from helpcenter.services.loading import CONTENT_DIR


class Command(BaseCommand):
    help = (
        "Load the help articles from Markdown files: create missing ones; --update overwrites changed ones."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="Also overwrite articles whose files differ from the database (staff edits are lost).",
        )
        parser.add_argument(
            "--directory", type=Path, default=CONTENT_DIR, help="Where the <language>/<slug>.md files are."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_articles(directory=options["directory"], update=options["update"])
        except LoadError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Help articles: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.kept} kept as edited"
            + (" (use --update to overwrite them)" if result.kept else "")
            + "."
        )
