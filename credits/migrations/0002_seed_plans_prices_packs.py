"""The four plans, the action prices and the top-up packs every install starts with.

Staff change them in the admin afterwards; this migration only creates what is missing.
"""

from django.db import migrations

PLANS = [
    {
        "tier": "free", "order": 0, "credits_per_month": 500, "price_monthly_cents": 0, "price_annual_cents": 0,
        "name_en": "Free", "name_es": "Gratis",
        "description_en": "Try Javari with a monthly allowance.",
        "description_es": "Prueba Javari con una asignación mensual.",
        "features_en": "500 credits a month\nChat with Javari\nHelp center",
        "features_es": "500 créditos al mes\nChat con Javari\nCentro de ayuda",
    },
    {
        "tier": "starter", "order": 1, "credits_per_month": 2000, "price_monthly_cents": 900,
        "price_annual_cents": 9000,
        "name_en": "Starter", "name_es": "Inicial",
        "description_en": "For regular personal use.",
        "description_es": "Para un uso personal habitual.",
        "features_en": "2,000 credits a month\nAssets library\nReminders and calendar",
        "features_es": "2.000 créditos al mes\nBiblioteca de recursos\nRecordatorios y calendario",
    },
    {
        "tier": "pro", "order": 2, "credits_per_month": 10000, "price_monthly_cents": 2900,
        "price_annual_cents": 29000, "is_popular": True,
        "name_en": "Pro", "name_es": "Pro",
        "description_en": "For people who build with Javari every day.",
        "description_es": "Para quien trabaja con Javari todos los días.",
        "features_en": "10,000 credits a month\nIntegrations and key rotation\nPartner API access",
        "features_es": "10.000 créditos al mes\nIntegraciones y rotación de claves\nAcceso a la API para socios",
    },
    {
        "tier": "enterprise", "order": 3, "credits_per_month": 50000, "price_monthly_cents": 9900,
        "price_annual_cents": 99000,
        "name_en": "Enterprise", "name_es": "Empresa",
        "description_en": "For teams with heavy use.",
        "description_es": "Para equipos con un uso intensivo.",
        "features_en": "50,000 credits a month\nEverything in Pro\nPriority support",
        "features_es": "50.000 créditos al mes\nTodo lo de Pro\nSoporte prioritario",
    },
]  # fmt: skip

PRICES = [
    {"action_type": "chat", "name_en": "Chat", "name_es": "Chat", "base_cost": 1, "cost_per_1k_tokens": 2},
    {"action_type": "code_generation", "name_en": "Code generation", "name_es": "Generación de código",
     "base_cost": 2, "cost_per_1k_tokens": 3},
    {"action_type": "file_analysis", "name_en": "File analysis", "name_es": "Análisis de archivos",
     "base_cost": 5, "cost_per_1k_tokens": 2},
]  # fmt: skip

PACKS = [(1000, 500), (5000, 2000), (20000, 7000)]


def seed(apps, schema_editor):
    Plan = apps.get_model("credits", "Plan")
    ActionPrice = apps.get_model("credits", "ActionPrice")
    TopUpPack = apps.get_model("credits", "TopUpPack")
    for plan in PLANS:
        fields = {**plan, "name": plan["name_en"], "description": plan["description_en"], "features": plan["features_en"]}
        Plan.objects.get_or_create(tier=plan["tier"], defaults=fields)
    for price in PRICES:
        ActionPrice.objects.get_or_create(action_type=price["action_type"], defaults={**price, "name": price["name_en"]})
    for credits, cents in PACKS:
        TopUpPack.objects.get_or_create(credits=credits, defaults={"price_cents": cents})


class Migration(migrations.Migration):
    dependencies = [("credits", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
