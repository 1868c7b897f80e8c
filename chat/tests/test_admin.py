"""The chat back office: staff list the models people may pick, with prices; keys stay encrypted."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test import Client

from chat import services
from chat.models import ChatModel, Conversation, Message, MessageStatus, Role
from conftest import make_user

ADD_URL = "/admin/chat/chatmodel/add/"
KEY = "sk-or-secret-value-0123456789abcd"


def _form(**overrides: object) -> dict[str, object]:
    values = {
        "name": "GPT via OpenRouter",
        "is_active": "on",
        "order": 1,
        "base_url": "https://openrouter.example/api/v1",
        "api_key": KEY,
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
    assert model.key == KEY
    assert not model.is_local_demo


def test_the_api_key_is_stored_encrypted(staff_client: Client, local_model) -> None:
    staff_client.post(ADD_URL, _form())
    model = ChatModel.objects.get(name="GPT via OpenRouter")
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM chat_chatmodel WHERE id = %s", [model.pk])
        stored = cursor.fetchone()[0]
    assert KEY not in stored
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


class TestTheProviderKeyIsWriteOnly:
    @pytest.fixture
    def remote_model(self, staff_client: Client, local_model) -> ChatModel:
        assert staff_client.post(ADD_URL, _form()).status_code == 302
        return ChatModel.objects.get(name="GPT via OpenRouter")

    @staticmethod
    def _change_url(model: ChatModel) -> str:
        return f"/admin/chat/chatmodel/{model.pk}/change/"

    def test_the_change_page_never_contains_the_key_only_its_mask(
        self, staff_client: Client, remote_model: ChatModel
    ) -> None:
        page = staff_client.get(self._change_url(remote_model)).text
        assert KEY not in page
        assert KEY[:12] not in page
        assert "•••• abcd" in page
        assert 'name="api_key__clear"' in page
        assert 'type="password" name="api_key"' in page

    def test_a_form_error_page_does_not_send_a_typed_key_back(
        self, staff_client: Client, local_model
    ) -> None:
        response = staff_client.post(ADD_URL, _form(context_window=1000, max_output_tokens=2000))
        assert response.status_code == 200
        assert KEY not in response.text

    def test_saving_with_the_key_left_blank_keeps_it(
        self, staff_client: Client, remote_model: ChatModel
    ) -> None:
        response = staff_client.post(self._change_url(remote_model), _form(api_key="", name="Renamed"))
        assert response.status_code == 302
        remote_model.refresh_from_db()
        assert (remote_model.name, remote_model.api_key) == ("Renamed", KEY)

    def test_saving_without_the_field_at_all_keeps_it(
        self, staff_client: Client, remote_model: ChatModel
    ) -> None:
        values = _form()
        del values["api_key"]
        response = staff_client.post(self._change_url(remote_model), values)
        assert response.status_code == 302
        remote_model.refresh_from_db()
        assert remote_model.api_key == KEY

    def test_typing_a_new_key_replaces_it(self, staff_client: Client, remote_model: ChatModel) -> None:
        response = staff_client.post(self._change_url(remote_model), _form(api_key="sk-new-key-9876543210zz"))
        assert response.status_code == 302
        remote_model.refresh_from_db()
        assert remote_model.api_key == "sk-new-key-9876543210zz"
        assert "sk-new-key" not in staff_client.get(self._change_url(remote_model)).text

    def test_clear_removes_it_on_purpose(
        self, staff_client: Client, remote_model: ChatModel, settings
    ) -> None:
        response = staff_client.post(self._change_url(remote_model), _form(api_key="", api_key__clear="on"))
        assert response.status_code == 302
        remote_model.refresh_from_db()
        assert remote_model.api_key == ""
        assert remote_model.key == settings.LLM_API_KEY
        assert 'name="api_key__clear"' not in staff_client.get(self._change_url(remote_model)).text

    def test_a_new_key_and_clear_together_is_a_form_error(
        self, staff_client: Client, remote_model: ChatModel
    ) -> None:
        response = staff_client.post(
            self._change_url(remote_model), _form(api_key="sk-other-1234567890", api_key__clear="on")
        )
        assert response.status_code == 200
        assert "not both" in response.text
        assert "sk-other-1234567890" not in response.text
        remote_model.refresh_from_db()
        assert remote_model.api_key == KEY

    def test_the_history_does_not_record_the_key(self, staff_client: Client, remote_model: ChatModel) -> None:
        staff_client.post(self._change_url(remote_model), _form(api_key="sk-new-key-9876543210zz"))
        history = staff_client.get(f"/admin/chat/chatmodel/{remote_model.pk}/history/").text
        assert "sk-new-key" not in history
        assert KEY not in history

    def test_staff_who_may_only_view_see_the_mask(self, remote_model: ChatModel) -> None:
        from accounts.tests.helpers import signed_in_with_totp

        viewer = make_user("viewer@example.com", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_chatmodel"))
        page = signed_in_with_totp(viewer).get(self._change_url(remote_model))
        assert page.status_code == 200
        assert KEY not in page.text
        assert "•••• abcd" in page.text
