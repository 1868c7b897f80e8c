"""django-modeltranslation: which help-center fields are translated (en, es)."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from helpcenter.models import Article, Category


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Article)
class ArticleTranslation(TranslationOptions):
    fields = ("title", "summary", "content", "tags", "search_keywords")
