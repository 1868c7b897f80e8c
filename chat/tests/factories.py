"""factory-boy factories for the chat models.

``ChatModelFactory()`` points at a closed local port (nothing answers: for pages, menus and access
tests); a test that needs replies passes ``base_url=fake_llm.url`` or uses the ``local_model`` fixture.
``ConversationFactory(user=alice)`` and ``MessageFactory(conversation=...)`` write rows directly,
for history and listings; replies themselves go through ``services.prepare_reply``.
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from chat.models import ChatModel, Conversation, Message, MessageStatus, Role


class ChatModelFactory(DjangoModelFactory):
    class Meta:
        model = ChatModel

    name = factory.Sequence(lambda n: f"Model {n}")
    model = "ok"  # the fake provider's well-behaved model
    base_url = "http://127.0.0.1:9/v1"  # the discard port: refused at once
    api_key = "sk-test"
    max_output_tokens = 50


class ConversationFactory(DjangoModelFactory):
    class Meta:
        model = Conversation

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Conversation {n}")


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    role = Role.USER
    content = factory.Sequence(lambda n: f"Message {n}")
    status = MessageStatus.COMPLETE
