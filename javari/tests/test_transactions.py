"""Top-level service actions own their transaction: ``atomic(durable=True)`` refuses to be nested.

A caller wrapping one in its own ``transaction.atomic()`` would make its commit conditional on
work it can't see (and its on-commit tasks with it); the durable block makes that a loud error.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction

from accounts import services as accounts_services
from accounts.models import User
from chat import services as chat_services
from chat.models import ChatModel, Conversation
from credits.models import RefusalReason
from credits.services.webhook_refusals import record_refused_webhook

ACTIONS: dict[str, Callable[[User], object]] = {
    "accounts.create_api_key": lambda user: accounts_services.create_api_key(user=user, name="ci"),
    "accounts.delete_account": lambda user: accounts_services.delete_account(user=user),
    "chat.delete_conversation": lambda user: chat_services.delete_conversation(
        conversation=Conversation.objects.create(user=user, model=ChatModel.objects.create(name="Any"))
    ),
    "credits.record_refused_webhook": lambda user: record_refused_webhook(
        body=b"{}", remote_ip=None, reason=RefusalReason.NOT_AN_EVENT
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ACTIONS)
def test_a_top_level_action_refuses_to_run_inside_another_transaction(name: str, alice: User) -> None:
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        ACTIONS[name](alice)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ACTIONS)
def test_a_top_level_action_runs_on_its_own(name: str, alice: User) -> None:
    ACTIONS[name](alice)  # pytest-django's test transaction is not a caller's: durable is allowed
