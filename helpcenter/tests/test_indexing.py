"""Indexing: articles become passages with weighted search vectors, embeddings and vocabulary."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.db import connection

from helpcenter.models import Article, Passage
from helpcenter.services.indexing import embed_missing, index_article, rebuild_vocabulary, reindex_all
from helpcenter.tests.factories import ArticleFactory
from javari.retrieval.search import search
from javari.retrieval.tests.embedders import BrokenEmbedder, OtherModelEmbedder, WordHashEmbedder


def make_article(**fields: Any) -> Article:
    return cast(Article, ArticleFactory(**fields))


pytestmark = pytest.mark.django_db

CONTENT_EN = (
    "Credits pay for every reply.\n\n## Buying more\nOpen the billing page.\n\n## Buying more\nAgain.\n"
)
CONTENT_ES = "Los créditos pagan cada respuesta.\n\n## Comprar más\nAbre la página de facturación.\n"


def _article(**fields: object) -> Article:
    defaults: dict[str, object] = {
        "slug": "credits",
        "title_en": "How credits work",
        "title_es": "Cómo funcionan los créditos",
        "content_en": CONTENT_EN,
        "content_es": CONTENT_ES,
        "search_keywords_en": "balance, top-up",
        "search_keywords_es": "saldo, recarga",
        "tags_en": "billing",
        "tags_es": "facturación",
    }
    defaults.update(fields)
    return make_article(**defaults)


def _vocabulary(language: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM helpcenter_vocabulary WHERE language = %s", [language])
        return {row[0] for row in cursor.fetchall()}


def test_an_article_becomes_passages_per_language_and_heading() -> None:
    article = _article()
    result = index_article(article_id=article.pk, embedder=WordHashEmbedder())
    assert result.as_dict() == {"passages": 5, "embedded": 5, "reused": 0, "missing": 0}
    fields = ("language", "position", "heading", "anchor", "text")
    rows = list(Passage.objects.filter(article=article).values_list(*fields))
    assert rows == [
        ("en", 0, "", "", "Credits pay for every reply."),
        ("en", 1, "Buying more", "buying-more", "Open the billing page."),
        ("en", 2, "Buying more", "buying-more-2", "Again."),
        ("es", 0, "", "", "Los créditos pagan cada respuesta."),
        ("es", 1, "Comprar más", "comprar-mas", "Abre la página de facturación."),
    ]
    assert set(Passage.objects.values_list("embedding_model", flat=True)) == {"test/word-hash-384"}
    assert not Passage.objects.filter(embedding__isnull=True).exists()


def test_search_vectors_weigh_title_a_keywords_b_and_text_c() -> None:
    article = _article()
    index_article(article_id=article.pk, embedder=WordHashEmbedder())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search::text FROM helpcenter_passage "
            "WHERE article_id = %s AND language = 'en' AND position = 1",
            [article.pk],
        )
        vector = cursor.fetchone()[0]
    weights = {}  # lexeme → the weights of its positions ('bill':8B,13C → {"B", "C"})
    for entry in vector.split():
        lexeme, positions = entry.rsplit(":", 1)
        weights[lexeme.strip("'")] = {p[-1] if p[-1].isalpha() else "D" for p in positions.split(",")}
    assert weights["credit"] == {"A"}  # the title
    assert weights["balanc"] == {"B"}  # a search keyword
    assert weights["bill"] == {"B", "C"}  # a tag, and the text
    assert weights["buy"] == weights["open"] == {"C"}  # the heading and the text


def test_spanish_passages_use_the_spanish_configuration_without_accents() -> None:
    article = _article()
    index_article(article_id=article.pk, embedder=WordHashEmbedder())
    passage = Passage.objects.get(article=article, language="es", position=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search @@ to_tsquery('javari_spanish', 'facturacion'), "
            "search @@ to_tsquery('javari_spanish', 'pagina') FROM helpcenter_passage WHERE id = %s",
            [passage.pk],
        )
        assert cursor.fetchone() == (True, True)


def test_a_second_index_reuses_unchanged_embeddings() -> None:
    article = _article()
    index_article(article_id=article.pk, embedder=WordHashEmbedder())
    embedder = WordHashEmbedder()
    assert index_article(article_id=article.pk, embedder=embedder).as_dict() == {
        "passages": 5,
        "embedded": 0,
        "reused": 5,
        "missing": 0,
    }
    assert embedder.documents == []

    Article.objects.filter(pk=article.pk).update(
        content_en=CONTENT_EN.replace("Again.", "Once more, with a card.")
    )
    result = index_article(article_id=article.pk, embedder=embedder)
    assert (result.embedded, result.reused) == (1, 4)
    assert embedder.documents == ["How credits work\nBuying more\nOnce more, with a card."]


def test_another_model_embeds_everything_again() -> None:
    article = _article()
    index_article(article_id=article.pk, embedder=WordHashEmbedder())
    result = index_article(article_id=article.pk, embedder=OtherModelEmbedder())
    assert (result.embedded, result.reused) == (5, 0)
    assert set(Passage.objects.values_list("embedding_model", flat=True)) == {"test/other-model"}


@pytest.mark.urls("javari.retrieval.tests.urls")
def test_a_broken_embedder_still_writes_searchable_passages_without_embeddings() -> None:
    article = _article()
    result = index_article(article_id=article.pk, embedder=BrokenEmbedder())
    assert result.as_dict() == {"passages": 5, "embedded": 0, "reused": 0, "missing": 5}
    assert Passage.objects.filter(article=article, embedding__isnull=True, embedding_model="").count() == 5
    hits = search("billing page", language="en", embedder=BrokenEmbedder())
    assert [hit.heading for hit in hits][:1] == ["Buying more"]

    assert embed_missing(embedder=WordHashEmbedder()) == (5, 0)
    assert not Passage.objects.filter(embedding__isnull=True).exists()


def test_a_language_with_no_content_has_no_passages() -> None:
    article = _article(content_es="", title_es="")
    index_article(article_id=article.pk, embedder=WordHashEmbedder())
    assert set(Passage.objects.filter(article=article).values_list("language", flat=True)) == {"en"}


def test_an_unpublished_article_keeps_no_passages() -> None:
    article = _article()
    index_article(article_id=article.pk, embedder=WordHashEmbedder())
    Article.objects.filter(pk=article.pk).update(is_published=False)
    assert index_article(article_id=article.pk, embedder=WordHashEmbedder()).passages == 0
    assert not Passage.objects.filter(article=article).exists()


def test_a_deleted_article_is_a_no_op() -> None:
    article = _article()
    index_article(article_id=article.pk, embedder=WordHashEmbedder())
    article_id = article.pk
    article.delete()
    assert index_article(article_id=article_id, embedder=WordHashEmbedder()).passages == 0
    assert not Passage.objects.filter(article_id=article_id).exists()


def test_the_vocabulary_holds_the_words_without_accents_per_language() -> None:
    article = _article()
    index_article(article_id=article.pk, embedder=WordHashEmbedder())
    english, spanish = _vocabulary("en"), _vocabulary("es")
    assert {"credits", "billing", "balance", "buying", "again"} <= english
    assert {"creditos", "facturacion", "pagina", "saldo", "recarga"} <= spanish
    assert "facturación" not in spanish
    assert "creditos" not in english

    Article.objects.filter(pk=article.pk).update(is_published=False)
    rebuild_vocabulary()
    assert _vocabulary("en") == set()


def test_reindex_all_indexes_every_article_and_embeds_other_models_passages() -> None:
    first, second = _article(slug="one"), _article(slug="two", content_es="")
    _article(slug="draft", is_published=False)
    totals = reindex_all(embedder=OtherModelEmbedder())
    assert totals == {"articles": 3, "passages": 8, "embedded": 8, "reused": 0, "missing": 0}

    # --missing-only: only articles never indexed, then passages not of the current model.
    third = _article(slug="three")
    totals = reindex_all(missing_only=True, embedder=WordHashEmbedder())
    assert (totals["articles"], totals["passages"], totals["missing"]) == (1, 5, 0)
    assert totals["embedded"] == 5 + 8  # three's passages, then one's and two's under the new model
    assert set(Passage.objects.values_list("embedding_model", flat=True)) == {"test/word-hash-384"}
    assert {p.article_id for p in Passage.objects.all()} == {first.pk, second.pk, third.pk}


def test_nul_bytes_and_snippet_markers_never_reach_the_passages() -> None:
    article = _article(content_en="Intro \ue000marked\ue001 text.\n\n## Head\nBody.")
    index_article(article_id=article.pk, embedder=WordHashEmbedder())
    texts = "".join(Passage.objects.values_list("text", flat=True))
    assert "\ue000" not in texts
    assert "\ue001" not in texts
    assert "Intro marked text." in texts
