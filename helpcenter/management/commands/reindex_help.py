"""Index every help article again, synchronously, and embed passages the current model hasn't.

1. Each article (``--missing-only``: each published article with no passages yet) is cut into
   passages with their full-text vectors, keeping the embeddings of unchanged passages
   (``helpcenter.services.indexing.index_article``).
2. The typo vocabulary is rebuilt from the published articles.
3. Passages with no embedding, or one from another model (after ``EMBEDDINGS_MODEL`` changed), are
   embedded with the current model.

Prints the counts. Run after loading articles outside the app (fixtures), after a change of
embedding model, or when the index task could not reach the embedder for a while.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from helpcenter.services.indexing import reindex_all


class Command(BaseCommand):
    help = "Re-index the help articles (passages, search vectors, embeddings); print the counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing-only",
            action="store_true",
            help="Only articles never indexed, and passages with no embedding of the current model.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        totals = reindex_all(missing_only=options["missing_only"])
        self.stdout.write(
            f"Indexed {totals['articles']} articles: {totals['passages']} passages, "
            f"{totals['embedded']} embedded, {totals['reused']} embeddings kept, "
            f"{totals['missing']} without an embedding."
        )
        if totals["missing"]:
            self.stderr.write("Some passages have no embedding: the embedder failed. Run again later.")
