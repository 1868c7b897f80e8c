"""/api/v1/notifications/: the notification centre, newest first, with the unread count; mark one or
all read; one's own only."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from reminders.models import Notification
from reminders.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def make_notification(**fields: Any) -> Notification:
    """A notification through its factory (typed for mypy: a factory call reads as the factory)."""
    made: Notification = NotificationFactory.create(**fields)
    return made


URL = "/api/v1/notifications/"
READ_ALL = f"{URL}read-all/"


def read_url(notification: Notification | str) -> str:
    return f"{URL}{getattr(notification, 'pk', notification)}/read/"


@pytest.fixture
def as_alice(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _three(user: User) -> list[Notification]:
    """Three notifications, oldest first, a minute apart."""
    start = timezone.now() - timedelta(minutes=10)
    return [
        make_notification(
            user=user, title=f"Number {n}", url="/reminders/", created_at=start + timedelta(minutes=n)
        )
        for n in range(3)
    ]


def test_the_list_is_newest_first_with_the_unread_count(as_alice: Client, alice: User) -> None:
    oldest, middle, newest = _three(alice)
    response = as_alice.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["unread_count"] == 3
    assert [item["id"] for item in body["results"]] == [str(newest.pk), str(middle.pk), str(oldest.pk)]
    first = body["results"][0]
    assert first["title"] == "Number 2"
    assert first["kind"] == "system"
    assert first["url"] == "/reminders/"
    assert (first["read"], first["read_at"]) == (False, None)


def test_unread_only_and_the_count_stays_the_total(as_alice: Client, alice: User) -> None:
    oldest, middle, newest = _three(alice)
    as_alice.post(read_url(middle))
    body = as_alice.get(URL, {"unread": "true"}).json()
    assert [item["id"] for item in body["results"]] == [str(newest.pk), str(oldest.pk)]
    assert (body["count"], body["unread_count"]) == (2, 2)
    assert as_alice.get(URL, {"unread": "false"}).json()["count"] == 3
    assert as_alice.get(URL, {"unread": "1"}).json()["count"] == 2


@pytest.mark.parametrize("value", ["maybe", "yes please", "x" * 10_000])
def test_a_bad_unread_filter_is_a_400_naming_it(as_alice: Client, value: str) -> None:
    response = as_alice.get(URL, {"unread": value})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["unread"]


def test_the_list_pages(as_alice: Client, alice: User) -> None:
    _three(alice)
    body = as_alice.get(URL, {"page_size": 2}).json()
    assert (body["count"], len(body["results"]), body["unread_count"]) == (3, 2, 3)
    assert body["next"] is not None
    assert len(as_alice.get(URL, {"page_size": 2, "page": 2}).json()["results"]) == 1
    assert as_alice.get(URL, {"page_size": 2, "page": 3}).status_code == 404


def test_mark_one_read_and_again_is_harmless(as_alice: Client, alice: User) -> None:
    notification = make_notification(user=alice)
    response = as_alice.post(read_url(notification))
    assert response.status_code == 200
    body = response.json()
    assert body["read"] is True
    notification.refresh_from_db()
    assert notification.read_at is not None
    first_read = notification.read_at
    assert as_alice.post(read_url(notification)).status_code == 200
    notification.refresh_from_db()
    assert notification.read_at == first_read
    assert as_alice.get(URL).json()["unread_count"] == 0


def test_mark_all_read(as_alice: Client, alice: User) -> None:
    oldest, _middle, _newest = _three(alice)
    as_alice.post(read_url(oldest))
    response = as_alice.post(READ_ALL)
    assert response.status_code == 200
    assert response.json() == {"marked": 2, "unread_count": 0}
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    assert as_alice.post(READ_ALL).json() == {"marked": 0, "unread_count": 0}


def test_signed_out_every_endpoint_asks_for_credentials(client: Client, alice: User) -> None:
    notification = make_notification(user=alice)
    for method, url in [("get", URL), ("post", read_url(notification)), ("post", READ_ALL)]:
        response = getattr(client, method)(url)
        assert response.status_code == 401, url
        assert response.json()["error"] == "not_authenticated"
    notification.refresh_from_db()
    assert notification.read_at is None


def test_charlie_sees_and_changes_only_his_own(client: Client, alice: User, charlie: User) -> None:
    alices = make_notification(user=alice)
    client.force_login(charlie)
    assert client.get(URL).json() == {
        "count": 0,
        "unread_count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    response = client.post(read_url(alices))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert client.post(read_url(str(uuid.uuid4()))).status_code == 404
    assert client.post(READ_ALL).json() == {"marked": 0, "unread_count": 0}
    alices.refresh_from_db()
    assert alices.read_at is None

    charlies = make_notification(user=charlie)
    assert [item["id"] for item in client.get(URL).json()["results"]] == [str(charlies.pk)]
    assert client.post(READ_ALL).json() == {"marked": 1, "unread_count": 0}
    alices.refresh_from_db()
    assert alices.read_at is None


def test_read_takes_no_body_and_ignores_one(as_alice: Client, alice: User) -> None:
    # The actions take no body (the schema says none): whatever is sent is not even parsed.
    notification = make_notification(user=alice)
    deep = "[" * 10_000 + "]" * 10_000
    assert as_alice.post(read_url(notification), deep, content_type="application/json").status_code == 200
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert as_alice.post(READ_ALL, '{"x": "\\u0000"}', content_type="application/json").status_code == 200
