"""Full-text configurations that ignore accents, and the vocabulary typo correction looks words up in.

- ``javari_english`` and ``javari_spanish``: PostgreSQL's english and spanish configurations with
  ``unaccent`` before the stemmer, so "configuracion" finds "configuración" (people type Spanish
  without accents). unaccent is in PostgreSQL's contrib: in the embedded server and in the
  pgvector/pgvector image docker-compose runs.
- ``helpcenter_vocabulary``: each (language, word) of the indexed passages, lower-cased and without
  accents, under a trigram index: the PostgreSQL documentation's way of suggesting spellings
  (F.35 pg_trgm, "Text Search Integration"). ``helpcenter.services.indexing`` adds an article's
  words when it indexes it and ``reindex_help`` rebuilds it; ``javari.retrieval.search`` reads it.
  A plain table, not a model: nothing but those two SQL statements touches it.
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

CONFIGURATIONS = """
CREATE TEXT SEARCH CONFIGURATION javari_english (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION javari_english
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
CREATE TEXT SEARCH CONFIGURATION javari_spanish (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION javari_spanish
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;
"""

VOCABULARY = """
CREATE TABLE helpcenter_vocabulary (
    language varchar(5) NOT NULL,
    word varchar(40) NOT NULL,
    PRIMARY KEY (language, word)
);
-- Serves the typo lookup: the words of a language most similar to a word (the % operator).
CREATE INDEX helpcenter_vocabulary_trgm ON helpcenter_vocabulary USING gin (word gin_trgm_ops);
"""


class Migration(migrations.Migration):
    dependencies = [("helpcenter", "0001_initial")]

    operations = [
        UnaccentExtension(),
        migrations.RunSQL(
            CONFIGURATIONS,
            reverse_sql="DROP TEXT SEARCH CONFIGURATION javari_english; DROP TEXT SEARCH CONFIGURATION javari_spanish;",
        ),
        migrations.RunSQL(VOCABULARY, reverse_sql="DROP TABLE helpcenter_vocabulary;"),
    ]
