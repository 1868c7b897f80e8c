"""Help-center objects for tests."""

from __future__ import annotations

from typing import Any, cast

import factory

from helpcenter.models import Article, Category


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    name_es = factory.Sequence(lambda n: f"Categoría {n}")
    order = factory.Sequence(lambda n: n)


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    slug = factory.Sequence(lambda n: f"article-{n}")
    category = factory.SubFactory(CategoryFactory)
    title_en = factory.Sequence(lambda n: f"Article {n}")
    title_es = factory.Sequence(lambda n: f"Artículo {n}")
    content_en = "Intro.\n\n## First section\nSome text.\n"
    content_es = "Introducción.\n\n## Primera sección\nAlgo de texto.\n"
    order = factory.Sequence(lambda n: n)
    is_published = True


def make_article(**fields: Any) -> Article:
    """An article (typed: a factory call is an ``ArticleFactory`` to mypy)."""
    return cast(Article, ArticleFactory(**fields))
