"""The one model a fresh install offers: the deployment's own endpoint (blank base URL, key and model
name), which with nothing configured is the embedded Gemma 3 270M demo server."""

from __future__ import annotations

from django.db import migrations


def seed(apps, schema_editor):
    ChatModel = apps.get_model("chat", "ChatModel")
    if not ChatModel.objects.exists():
        ChatModel.objects.create(
            name="Javari (default)",
            prompt_price_per_1k=1,
            completion_price_per_1k=2,
            context_window=4096,
            max_output_tokens=512,
            is_active=True,
            is_default=True,
        )


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
