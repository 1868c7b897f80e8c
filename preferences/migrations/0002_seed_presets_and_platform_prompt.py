"""The spec's four behaviour presets (§3.1) and the default platform prompt, in English and Spanish.

Staff change them in the admin afterwards; this migration only creates what is missing.
"""

from django.db import migrations

PRESETS = [
    {
        "key": "beginner", "order": 0,
        "response_style": "beginner", "code_preference": "explanations", "communication_tone": "casual",
        "name_en": "Beginner Friendly", "name_es": "Para principiantes",
        "description_en": "Explain everything like I'm 12. Use simple terms and examples.",
        "description_es": "Explícamelo todo como si tuviera 12 años. Con palabras sencillas y ejemplos.",
        "system_prompt_en": (
            "You are speaking with someone new to development. Use simple language, explain technical "
            "terms, provide step-by-step instructions with examples."
        ),
        "system_prompt_es": (
            "Estás hablando con alguien que empieza en el desarrollo. Usa un lenguaje sencillo, explica los "
            "términos técnicos y da instrucciones paso a paso con ejemplos."
        ),
    },
    {
        "key": "professional", "order": 1,
        "response_style": "expert", "code_preference": "snippets", "communication_tone": "technical",
        "name_en": "Seasoned Professional", "name_es": "Profesional experimentado",
        "description_en": "Just give me the final output. I know what I'm doing.",
        "description_es": "Dame solo el resultado final. Sé lo que hago.",
        "system_prompt_en": (
            "You are speaking with an experienced developer. Be concise, technical, and focus on efficient "
            "solutions. Skip explanations of basic concepts."
        ),
        "system_prompt_es": (
            "Estás hablando con un desarrollador experimentado. Sé conciso y técnico, y céntrate en "
            "soluciones eficientes. No expliques los conceptos básicos."
        ),
    },
    {
        "key": "full_code", "order": 2,
        "response_style": "intermediate", "code_preference": "full_replaceable",
        "communication_tone": "professional",
        "name_en": "Complete Code", "name_es": "Código completo",
        "description_en": "Always give me full, replaceable code files.",
        "description_es": "Dame siempre archivos de código completos y listos para reemplazar.",
        "system_prompt_en": (
            "Always provide complete, production-ready code files. Never use placeholders or partial code. "
            "Include all imports, error handling, and types."
        ),
        "system_prompt_es": (
            "Proporciona siempre archivos de código completos y listos para producción. Nunca uses "
            "marcadores de posición ni código parcial. Incluye todas las importaciones, el manejo de "
            "errores y los tipos."
        ),
    },
    {
        # Custom sends no prompt of its own and fills no fields: the person's own instructions are it.
        "key": "custom", "order": 3,
        "response_style": "", "code_preference": "", "communication_tone": "",
        "name_en": "Custom", "name_es": "Personalizado",
        "description_en": "Create your own instructions for how Javari should work with you.",
        "description_es": "Crea tus propias instrucciones sobre cómo debe trabajar Javari contigo.",
        "system_prompt_en": "",
        "system_prompt_es": "",
    },
]  # fmt: skip

PLATFORM_PROMPT_EN = (
    "You are Javari AI, an AI assistant that helps people plan, build and run software projects: "
    "writing and reviewing code, connecting services, and keeping track of their work. Be accurate "
    "and honest: when you are not sure, say so, and never invent facts, APIs or links. Never ask for "
    "or repeat passwords, API keys or other secrets."
)
PLATFORM_PROMPT_ES = (
    "Eres Javari AI, un asistente de IA que ayuda a las personas a planificar, crear y mantener "
    "proyectos de software: escribir y revisar código, conectar servicios y llevar el control de su "
    "trabajo. Sé preciso y honesto: cuando no estés seguro, dilo, y nunca inventes datos, API ni "
    "enlaces. Nunca pidas ni repitas contraseñas, claves de API ni otros secretos."
)


def seed(apps, schema_editor):
    BehaviorPreset = apps.get_model("preferences", "BehaviorPreset")
    PlatformSettings = apps.get_model("preferences", "PlatformSettings")
    for preset in PRESETS:
        fields = {
            **preset,
            "name": preset["name_en"],
            "description": preset["description_en"],
            "system_prompt": preset["system_prompt_en"],
        }
        BehaviorPreset.objects.get_or_create(key=preset["key"], defaults=fields)
    PlatformSettings.objects.get_or_create(
        pk=1,
        defaults={
            "platform_prompt": PLATFORM_PROMPT_EN,
            "platform_prompt_en": PLATFORM_PROMPT_EN,
            "platform_prompt_es": PLATFORM_PROMPT_ES,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("preferences", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
