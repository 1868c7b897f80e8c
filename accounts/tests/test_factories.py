"""The factories every app's tests build on make what the real flows make."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from accounts import services
from accounts.tests.factories import PASSWORD, ApiKeyFactory, UserFactory
from chat.models import MessageStatus, Role
from chat.tests.factories import ChatModelFactory, ConversationFactory, MessageFactory
from credits import services as credits
from credits.models import Tier
from credits.tests.factories import CreditAccountFactory, CreditGrantFactory


def test_a_user_signs_in_with_the_shared_password_and_a_verified_primary_email(client, db):
    user = UserFactory(email="Dana@EXAMPLE.com")
    assert user.email == "Dana@example.com"  # normalized as create_user does
    assert user.check_password(PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (user.email, True, True)
    assert client.login(email=user.email, password=PASSWORD)


def test_an_unverified_user_has_an_email_address_to_confirm(db):
    user = UserFactory(verified=False)
    assert EmailAddress.objects.get(user=user).verified is False


def test_each_user_is_someone_else(db):
    first, second = UserFactory(), UserFactory()
    assert first.email != second.email


def test_an_api_key_is_made_by_the_service_and_its_raw_key_authenticates(db):
    key = ApiKeyFactory()
    assert key.key_hash != key.raw  # only the hash is stored
    assert services.authenticate_api_key(key.raw) == key


def test_chat_factories_make_a_conversation_with_its_history(db):
    message = MessageFactory(role=Role.ASSISTANT, model=ChatModelFactory())
    conversation = message.conversation
    assert conversation.messages.get() == message
    assert message.status == MessageStatus.COMPLETE
    assert ConversationFactory(user=conversation.user).user == conversation.user


def test_a_credit_grant_goes_through_the_ledger(db):
    account = CreditAccountFactory()
    before = account.allowance_remaining + account.purchased_remaining
    entry = CreditGrantFactory(user=account.user, amount=250)
    assert entry.balance_after == before + 250
    assert credits.get_account(account.user).purchased_remaining == account.purchased_remaining + 250


def test_a_credit_account_can_start_on_another_plan(db):
    from credits.models import Plan

    pro = Plan.objects.exclude(tier=Tier.FREE).first()
    assert CreditAccountFactory(plan=pro).plan == pro
