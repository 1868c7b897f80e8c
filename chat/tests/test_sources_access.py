"""A reply's help-center sources reach only the conversation's owner, and only as links on this site."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import create_api_key
from chat import services
from chat.models import Conversation, Message, MessageStatus, Role
from helpcenter.models import Category
from helpcenter.tests.factories import make_article

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Alices grounded answer source"


@pytest.fixture
def alices_reply(alice: User) -> Conversation:
    article = make_article(
        slug="sourced", category=Category.objects.get(slug="settings"), title_en=SECRET_TITLE
    )
    conversation = services.start_conversation(user=alice)
    Message.objects.create(
        conversation=conversation, role=Role.USER, content="How?", status=MessageStatus.COMPLETE
    )
    source = {
        "passage_id": 1,
        "article_id": article.pk,
        "slug": article.slug,
        "anchor": "x",
        "title": SECRET_TITLE,
        "heading": "",
        "url": "javascript:alert(1)",  # stored addresses are never shown: the article's own is
        "language": "en",
    }
    Message.objects.create(
        conversation=conversation,
        role=Role.ASSISTANT,
        content="Like this.",
        status=MessageStatus.COMPLETE,
        sources=[source],
    )
    return conversation


def _api(user: User) -> APIClient:
    _key, secret = create_api_key(user=user, name="Partner")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_charlie_never_sees_alices_sources(client: Client, charlie: User, alices_reply: Conversation) -> None:
    client.force_login(charlie)
    page = client.get(f"/chat/{alices_reply.pk}/")
    assert page.status_code == 404
    assert SECRET_TITLE not in page.content.decode()
    api = _api(charlie).get(f"/api/v1/conversations/{alices_reply.pk}/")
    assert api.status_code == 404
    assert SECRET_TITLE not in api.content.decode()


def test_anonymous_people_never_see_sources(client: Client, alices_reply: Conversation) -> None:
    page = client.get(f"/chat/{alices_reply.pk}/")
    assert page.status_code == 302
    assert APIClient().get(f"/api/v1/conversations/{alices_reply.pk}/").status_code == 401


def test_the_owner_gets_the_articles_own_address_never_the_stored_one(
    client: Client, alice: User, alices_reply: Conversation
) -> None:
    client.force_login(alice)
    page = client.get(f"/chat/{alices_reply.pk}/").content.decode()
    assert 'href="/help/articles/sourced/#x"' in page
    assert "javascript:alert" not in page
    body = _api(alice).get(f"/api/v1/conversations/{alices_reply.pk}/").json()
    sources = [source for message in body["messages"] for source in message["sources"]]
    assert [source["url"] for source in sources] == ["/help/articles/sourced/#x"]
