"""The chat back office: staff list the models people may pick, with prices; keys stay encrypted."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection
from django.test import Client

from chat import services
from chat.models import ChatModel, Conversation, Message, MessageStatus, Role

ADD_URL = "/admin/chat/chatmodel/add/"


def _form(**overrides: object) -> dict[str, object]:
    values = {
        "name": "GPT via OpenRouter",
        "is_active": "on",
        "order": 1,
        "base_url": "https://openrouter.example/api/v1",
        "api_key": "sk-or-secret-value",
        "model": "openai/gpt-4o-mini",
        "prompt_price_per_1k": 3,
        "completion_price_per_1k": 12,
        "context_window": 128000,
        "max_output_tokens": 4096,
    }
    return {**values, **overrides}


def test_staff_add_a_model_people_can_then_pick(staff_client: Client, local_model) -> None:
    response = staff_client.post(ADD_URL, _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    model = ChatModel.objects.get(name="GPT via OpenRouter")
    assert model in services.available_models()
    assert (model.prompt_price_per_1k, model.completion_price_per_1k) == (3, 12)
    assert model.key == "sk-or-secret-value"
    assert not model.is_local_demo


def test_the_api_key_is_stored_encrypted(staff_client: Client, local_model) -> None:
    staff_client.post(ADD_URL, _form())
    model = ChatModel.objects.get(name="GPT via OpenRouter")
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM chat_chatmodel WHERE id = %s", [model.pk])
        stored = cursor.fetchone()[0]
    assert "sk-or-secret-value" not in stored
    assert stored


def test_a_context_window_smaller_than_a_reply_is_a_form_error(staff_client: Client, local_model) -> None:
    response = staff_client.post(ADD_URL, _form(context_window=1000, max_output_tokens=2000))
    assert response.status_code == 200
    assert "The context window must be larger than the longest reply." in response.content.decode()
    assert not ChatModel.objects.filter(name="GPT via OpenRouter").exists()


def test_a_second_default_is_a_form_error(staff_client: Client, local_model) -> None:
    response = staff_client.post(ADD_URL, _form(is_default="on"))
    assert response.status_code == 200
    assert not ChatModel.objects.filter(name="GPT via OpenRouter").exists()


def test_models_are_retired_not_deleted(staff_client: Client, local_model) -> None:
    assert staff_client.get(f"/admin/chat/chatmodel/{local_model.pk}/delete/").status_code == 403


def test_staff_read_conversations_and_messages(staff_client: Client, alice, conversation) -> None:
    Message.objects.create(conversation=conversation, role=Role.USER, content="Hello there")
    assert "Hello there" in staff_client.get(f"/admin/chat/conversation/{conversation.pk}/change/").text
    assert staff_client.get("/admin/chat/message/").status_code == 200


def test_the_command_fails_abandoned_replies(alice, conversation, capsys) -> None:
    from datetime import timedelta

    from django.utils import timezone

    prepared = services.prepare_reply(user=alice, conversation=conversation, content="Hi")
    Message.objects.filter(pk=prepared.reply_id).update(created_at=timezone.now() - timedelta(hours=1))
    call_command("fail_abandoned_replies")
    assert "Failed 1 abandoned reply." in capsys.readouterr().out
    assert Message.objects.get(pk=prepared.reply_id).status == MessageStatus.FAILED
    assert Conversation.objects.filter(pk=conversation.pk).exists()
