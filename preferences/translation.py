"""django-modeltranslation: which fields of the preferences models are translated (en, es)."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from preferences.models import BehaviorPreset, PlatformSettings


@register(BehaviorPreset)
class BehaviorPresetTranslation(TranslationOptions):
    fields = ("name", "description", "system_prompt")


@register(PlatformSettings)
class PlatformSettingsTranslation(TranslationOptions):
    fields = ("platform_prompt",)
