"""The spec's help categories (§5), in English and Spanish. Staff may rename them afterwards."""

from __future__ import annotations

from django.db import migrations

# slug, order, is_feature, (name, description) in English, then in Spanish.
CATEGORIES = [
    (
        "getting-started",
        10,
        False,
        ("Getting started", "Create your account, sign in and find your way around Javari."),
        ("Primeros pasos", "Crea tu cuenta, inicia sesión y aprende a moverte por Javari."),
    ),
    (
        "chat",
        20,
        True,
        ("Chat", "Talk with Javari, stop and regenerate replies, and use the side panel."),
        ("Chat", "Habla con Javari, detén y regenera respuestas y usa el panel lateral."),
    ),
    (
        "code-generation",
        30,
        True,
        ("Code generation", "Code blocks, diffs and JSON: read, copy and open them in the panel."),
        ("Generación de código", "Bloques de código, diffs y JSON: léelos, cópialos y ábrelos en el panel."),
    ),
    (
        "integrations",
        40,
        True,
        ("Integrations", "Connect other services to Javari and keep their connections healthy."),
        ("Integraciones", "Conecta otros servicios a Javari y mantén sus conexiones en buen estado."),
    ),
    (
        "reminders",
        50,
        True,
        ("Reminders", "Reminders, notifications and your calendar feed."),
        ("Recordatorios", "Recordatorios, notificaciones y tu calendario."),
    ),
    (
        "settings",
        60,
        False,
        ("Settings", "Behavior, language and theme, security, API keys and more."),
        ("Ajustes", "Comportamiento, idioma y tema, seguridad, claves de API y más."),
    ),
    (
        "credits-billing",
        70,
        False,
        ("Credits & billing", "How credits work, plans, top-ups, usage and the spending cap."),
        ("Créditos y facturación", "Cómo funcionan los créditos, planes, recargas, uso y límite de gasto."),
    ),
    (
        "faq",
        80,
        False,
        ("FAQ", "Short answers to the questions people ask most."),
        ("Preguntas frecuentes", "Respuestas breves a las preguntas más habituales."),
    ),
]


def seed(apps, schema_editor):
    Category = apps.get_model("helpcenter", "Category")
    for slug, order, is_feature, (name_en, description_en), (name_es, description_es) in CATEGORIES:
        Category.objects.get_or_create(
            slug=slug,
            defaults={
                "order": order,
                "is_feature": is_feature,
                # The untranslated columns hold the default language's text, as modeltranslation does.
                "name": name_en,
                "description": description_en,
                "name_en": name_en,
                "description_en": description_en,
                "name_es": name_es,
                "description_es": description_es,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("helpcenter", "0002_search_configuration")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
