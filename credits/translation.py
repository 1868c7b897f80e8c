"""django-modeltranslation: which fields of the credits models are translated (en, es)."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from credits.models import ActionPrice, Plan


@register(Plan)
class PlanTranslation(TranslationOptions):
    fields = ("name", "description", "features")


@register(ActionPrice)
class ActionPriceTranslation(TranslationOptions):
    fields = ("name",)
