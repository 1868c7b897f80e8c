"""The chat pages and their endpoints: access, bad input, the list, rename, delete, stop."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chat import services
from chat.models import ChatModel, Conversation, Message, MessageStatus, Role
from chat.tests.conftest import read_stream, sse_events
from chat.tests.factories import ChatModelFactory, ConversationFactory, MessageFactory
from credits import services as credits
from credits.models import LedgerEntry


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_chat_pages_need_a_sign_in(client, conversation):
    response = client.get("/chat/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    response = client.post(f"/chat/{conversation.pk}/messages/", {"content": "Hi"})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_the_chat_page_lists_the_persons_conversations(alice_client, alice, bob, local_model):
    ConversationFactory(user=alice, title="Deploy to Vercel")
    ConversationFactory(user=bob, title="Bob's secret plans")
    page = alice_client.get("/chat/").content.decode()
    assert "Deploy to Vercel" in page
    assert "Bob&#x27;s secret plans" not in page
    assert "Bob's secret plans" not in page


def test_searching_titles_returns_the_list_alone_for_htmx(alice_client, alice, local_model):
    ConversationFactory(user=alice, title="Deploy to Vercel")
    ConversationFactory(user=alice, title="Groceries")
    response = alice_client.get("/chat/", {"q": "vercel", "list": "1"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<ul class="chat-conversation-list"')
    assert "Deploy to Vercel" in html
    assert "Groceries" not in html
    empty = alice_client.get("/chat/", {"q": "nothing like it", "list": "1"}, headers={"HX-Request": "true"})
    assert "No conversation has that in its title." in empty.content.decode()


def test_a_conversation_page_renders_messages_through_the_sanitiser(alice_client, conversation):
    MessageFactory(conversation=conversation, role=Role.USER, content="<script>alert(1)</script> **hi**")
    MessageFactory(
        conversation=conversation,
        role=Role.ASSISTANT,
        content="```python\n" + "\n".join(f"line_{n} = {n}" for n in range(8)) + "\n```",
    )
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<strong>hi</strong>" in page
    assert 'class="code-block"' in page
    # The reply's artifacts ride on its element for the side panel.
    assert "data-artifacts=" in page
    assert "line_7" in page


def test_the_page_says_when_replies_come_from_the_local_demo_model(alice_client, conversation):
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    assert 'id="chat-demo-notice"' in page
    assert "small local demo model" in page


def test_staff_get_a_link_to_the_model_settings_in_the_demo_notice(client, staff, local_model):
    client.force_login(staff)
    page = client.get("/chat/").content.decode()
    assert reverse("admin:chat_chatmodel_changelist") in page


def test_no_demo_notice_for_a_model_with_its_own_endpoint(alice_client, alice, local_model):
    remote = ChatModelFactory(name="Remote", base_url="https://llm.example.com/v1", model="big")
    conversation = services.start_conversation(user=alice, model_id=remote.pk)
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    assert 'id="chat-demo-notice"' not in page


def test_the_side_panel_starts_as_the_person_prefers(alice_client, alice, conversation):
    from preferences.services import update_preferences

    assert 'data-sidebar-default="closed"' in alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    update_preferences(user=alice, sidebar_default_open=True)
    assert 'data-sidebar-default="open"' in alice_client.get(f"/chat/{conversation.pk}/").content.decode()


def test_a_first_message_starts_the_conversation_and_brings_its_page_parts(alice_client, alice, local_model):
    response = alice_client.post("/chat/messages/", {"content": "Plan **a trip** to [Lisbon](https://x.y)"})
    assert response["Content-Type"].startswith("text/event-stream")
    events = sse_events(read_stream(response))
    start = events[0][1]
    conversation = Conversation.objects.get(user=alice)
    assert conversation.model == local_model
    assert conversation.title == "Plan a trip to Lisbon"
    assert start["conversation"] == str(conversation.pk)
    assert start["url"] == f"/chat/{conversation.pk}/"
    # The page's parts for it, as a page load renders them: Rename, Delete and the list's entry.
    assert f'hx-post="/chat/{conversation.pk}/rename/"' in start["title_html"]
    assert "Plan a trip to Lisbon" in start["title_html"]
    assert 'name="csrfmiddlewaretoken"' in start["title_html"]
    assert f'hx-post="/chat/{conversation.pk}/delete/"' in start["delete_html"]
    assert "hx-confirm=" in start["delete_html"]
    assert f'id="conversation-{conversation.pk}"' in start["list_item_html"]
    assert 'aria-current="page"' in start["list_item_html"]
    assert events[-1][0] == "done"
    assert conversation.messages.count() == 2
    # A message to an existing conversation brings none of them.
    response = alice_client.post(f"/chat/{conversation.pk}/messages/", {"content": "More"})
    more = sse_events(read_stream(response))
    assert "url" not in more[0][1]
    assert "title_html" not in more[0][1]


def test_a_refused_first_message_leaves_no_conversation(alice_client, alice, local_model):
    retired = ChatModelFactory(name="Retired", is_active=False)
    response = alice_client.post("/chat/messages/", {"content": "Hi", "model": retired.pk})
    assert response.status_code == 400
    assert response.json()["error"] == "model_not_allowed"
    for content in ("", "x" * 16_001):
        assert alice_client.post("/chat/messages/", {"content": content}).status_code == 400
    credits.debit(
        user=alice, action_type="chat", amount=credits.get_account(alice).balance, idempotency_key="all"
    )
    response = alice_client.post("/chat/messages/", {"content": "Hi"})
    assert response.status_code == 402
    assert response.json()["fix_url"] == reverse("credits:top_up")
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


def test_a_first_message_past_the_spending_cap_leaves_nothing_and_links_to_the_cap(
    alice_client, alice, local_model
):
    credits.debit(user=alice, action_type="chat", amount=1, idempotency_key="spent")
    credits.set_monthly_cap(user=alice, cap=1)
    entries = LedgerEntry.objects.count()
    response = alice_client.post("/chat/messages/", {"content": "Hi"})
    assert response.status_code == 402
    body = response.json()
    assert body["error"] == "spending_cap_reached"
    assert "cap" in body["detail"]
    # The fix is the cap's own setting, not a top-up: more credits would not get past a cap.
    assert body["fix_url"] == reverse("credits:usage") + "#spending-cap"
    assert body["fix_label"] == "Raise the cap"
    assert not Conversation.objects.exists()
    assert LedgerEntry.objects.count() == entries


def test_starting_a_conversation_needs_a_sign_in_and_writes_only_ones_own(client, charlie, conversation):
    response = client.post("/chat/messages/", {"content": "Hi"})
    assert response.status_code == 401
    assert Conversation.objects.count() == 1
    client.force_login(charlie)
    events = sse_events(read_stream(client.post("/chat/messages/", {"content": "Mine"})))
    assert events[-1][0] == "done"
    assert Conversation.objects.get(pk=events[0][1]["conversation"]).user == charlie
    assert not conversation.messages.exists()


@pytest.mark.parametrize(
    ("content", "code"),
    [("", "empty_message"), ("   \n  ", "empty_message"), ("x" * 16_001, "message_too_long")],
)
def test_a_bad_message_is_refused_with_the_reason_and_nothing_is_charged(
    alice_client, alice, conversation, content, code
):
    before = credits.get_account(alice).balance
    response = alice_client.post(f"/chat/{conversation.pk}/messages/", {"content": content})
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["detail"]
    assert not conversation.messages.exists()
    assert credits.get_account(alice).balance == before


def test_sending_with_a_model_the_person_may_not_pick_is_refused(alice_client, conversation):
    retired = ChatModelFactory(name="Retired", is_active=False)
    response = alice_client.post(f"/chat/{conversation.pk}/messages/", {"content": "Hi", "model": retired.pk})
    assert response.status_code == 400
    assert response.json()["error"] == "model_not_allowed"
    assert not conversation.messages.exists()


def test_too_few_credits_is_a_402_with_a_top_up_link(alice_client, alice, conversation):
    credits.debit(
        user=alice, action_type="chat", amount=credits.get_account(alice).balance, idempotency_key="all"
    )
    entries = LedgerEntry.objects.count()
    response = alice_client.post(f"/chat/{conversation.pk}/messages/", {"content": "Hi"})
    assert response.status_code == 402
    body = response.json()
    assert body["error"] == "insufficient_credits"
    assert "Top up" in body["detail"]
    assert body["fix_url"] == reverse("credits:top_up")
    assert body["fix_label"] == "Top up credits"
    assert not conversation.messages.exists()
    assert LedgerEntry.objects.count() == entries


def test_the_spending_cap_refusal_links_to_the_cap_setting(alice_client, alice, conversation):
    credits.debit(user=alice, action_type="chat", amount=1, idempotency_key="spent")
    credits.set_monthly_cap(user=alice, cap=1)
    response = alice_client.post(f"/chat/{conversation.pk}/messages/", {"content": "Hi"})
    assert response.status_code == 402
    assert response.json()["error"] == "spending_cap_reached"
    assert response.json()["fix_url"] == reverse("credits:usage") + "#spending-cap"
    assert not conversation.messages.exists()
    # The link leads to the cap's form.
    usage = alice_client.get(reverse("credits:usage")).content.decode()
    assert 'id="spending-cap"' in usage
    assert reverse("credits:set_cap") in usage


def test_refusals_fixed_where_they_are_shown_name_no_page(alice_client, conversation):
    response = alice_client.post(f"/chat/{conversation.pk}/messages/", {"content": " "})
    assert response.status_code == 400
    assert "fix_url" not in response.json()


def test_with_no_model_staff_get_the_fix_and_others_only_the_reason(client, alice, staff, conversation):
    ChatModel.objects.update(is_active=False)
    client.force_login(alice)
    body = client.post("/chat/messages/", {"content": "Hi"}).json()
    assert body["error"] == "no_model_available"
    assert "fix_url" not in body
    client.force_login(staff)
    body = client.post("/chat/messages/", {"content": "Hi"}).json()
    assert body["fix_url"] == reverse("admin:chat_chatmodel_changelist")
    assert not Conversation.objects.exclude(pk=conversation.pk).exists()


def test_another_persons_conversation_does_not_exist_for_you(client, charlie, conversation):
    client.force_login(charlie)
    assert client.get(f"/chat/{conversation.pk}/").status_code == 404
    response = client.post(f"/chat/{conversation.pk}/messages/", {"content": "Hi"})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert client.post(f"/chat/{conversation.pk}/regenerate/").status_code == 404
    assert client.post(f"/chat/{conversation.pk}/rename/", {"title": "Mine now"}).status_code == 404
    assert client.post(f"/chat/{conversation.pk}/delete/").status_code == 404
    assert client.post(f"/chat/{conversation.pk}/model/", {"model": conversation.model_id}).status_code == 404
    conversation.refresh_from_db()
    assert conversation.title == ""
    assert not conversation.messages.exists()


def test_another_persons_reply_cannot_be_stopped(client, alice, charlie, conversation):
    prepared = services.prepare_reply(user=alice, conversation=conversation, content="Hi")
    client.force_login(charlie)
    assert client.post(f"/chat/replies/{prepared.reply_id}/stop/").status_code == 404


def test_stop_says_when_the_reply_is_already_finished(alice_client, alice, conversation):
    prepared = services.prepare_reply(user=alice, conversation=conversation, content="Hi")
    response = alice_client.post(f"/chat/replies/{prepared.reply_id}/stop/")
    assert response.status_code == 202
    services.finish_reply(prepared, content="x", status="stopped", prompt_tokens=1, completion_tokens=1)
    response = alice_client.post(f"/chat/replies/{prepared.reply_id}/stop/")
    assert response.status_code == 409
    assert response.json()["error"] == "not_streaming"


def test_rename_and_delete(alice_client, conversation):
    response = alice_client.post(f"/chat/{conversation.pk}/rename/", {"title": "  Trip   planning "})
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.title == "Trip planning"
    response = alice_client.post(f"/chat/{conversation.pk}/rename/", {"title": "   "})
    assert response.status_code == 400
    assert "title" in response.json()["detail"]
    response = alice_client.post(f"/chat/{conversation.pk}/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/chat/"
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


def test_an_htmx_rename_answers_the_title_the_list_entry_and_the_tab_title(alice_client, conversation):
    response = alice_client.post(
        f"/chat/{conversation.pk}/rename/", {"title": "Trip <planning>"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    # htmx sets the tab's title from a <title> at the root of the answer.
    assert html.lstrip().startswith("<title>Trip &lt;planning&gt; · Javari AI</title>")
    assert 'id="chat-title-wrap"' in html
    assert f'<li id="conversation-{conversation.pk}" hx-swap-oob="true">' in html
    assert html.count("Trip &lt;planning&gt;") == 4  # tab, heading, rename field, list entry


def test_an_htmx_rename_to_nothing_shows_the_reason_in_the_form(alice_client, conversation):
    services.rename_conversation(conversation=conversation, title="Kept")
    response = alice_client.post(
        f"/chat/{conversation.pk}/rename/", {"title": "  "}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Give the conversation a title." in html
    assert '<details class="chat-rename" open>' in html
    conversation.refresh_from_db()
    assert conversation.title == "Kept"


def test_an_htmx_delete_sends_the_page_to_a_new_chat(alice_client, conversation):
    response = alice_client.post(f"/chat/{conversation.pk}/delete/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/chat/"
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


def test_the_delete_button_confirms_without_inline_script(alice_client, conversation):
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    assert "hx-confirm=" in page
    assert "onsubmit" not in page


def test_regenerate_streams_a_new_reply_for_the_last_message(alice_client, alice, conversation):
    first = sse_events(
        read_stream(alice_client.post(f"/chat/{conversation.pk}/messages/", {"content": "Hi"}))
    )
    response = alice_client.post(f"/chat/{conversation.pk}/regenerate/")
    events = sse_events(read_stream(response))
    assert events[0][0] == "start"
    assert events[0][1]["user_message"] is None
    assert events[-1][0] == "done"
    assert not Message.objects.filter(pk=first[0][1]["reply"]).exists()
    assert str(conversation.messages.filter(role=Role.ASSISTANT).get().pk) == events[-1][1]["reply"]


def test_changing_the_model_of_a_conversation(alice_client, conversation):
    other = ChatModelFactory(name="Other", base_url="http://127.0.0.1:9/v1")
    response = alice_client.post(f"/chat/{conversation.pk}/model/", {"model": other.pk})
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.model == other
    response = alice_client.post(f"/chat/{conversation.pk}/model/", {"model": "nope"})
    assert response.status_code == 400
    conversation.refresh_from_db()
    assert conversation.model == other


def test_a_failed_reply_shows_its_error_and_a_retry_button(alice_client, alice, conversation):
    MessageFactory(conversation=conversation, role=Role.USER, content="Hi")
    MessageFactory(
        conversation=conversation,
        role=Role.ASSISTANT,
        status=MessageStatus.FAILED,
        error_code="model_unavailable",
        error="The model server isn't answering. Try again in a moment.",
    )
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    assert "The model server isn&#x27;t answering" in page
    assert "data-regenerate" in page
    assert "Retry" in page


def test_no_demo_notice_when_the_deployments_endpoint_serves_a_real_model(
    alice_client, conversation, settings
):
    settings.LLM_LOCAL_DEMO = False
    page = alice_client.get(f"/chat/{conversation.pk}/").content.decode()
    assert 'id="chat-demo-notice"' not in page
