"""reminders.services.notifications: notify is idempotent by key; charlie reads and marks only his own."""

from __future__ import annotations

from uuid import uuid4

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from reminders.errors import NotFound
from reminders.models import Notification, NotificationKind
from reminders.services import notifications


def tell(user: User, key: str = "reminder:1:2027-03-02T09:00Z", **extra: object) -> Notification:
    values: dict = {
        "kind": NotificationKind.REMINDER,
        "title": "Rotate the API keys",
        "url": "/reminders/",
        **extra,
    }
    return notifications.notify(user=user, idempotency_key=key, **values)


@pytest.mark.django_db
def test_the_same_key_makes_one_notification_however_often_sent(alice: User) -> None:
    first = tell(alice)
    again = tell(alice, title="A different title")
    assert again.pk == first.pk
    assert again.title == "Rotate the API keys"
    assert Notification.objects.filter(user=alice).count() == 1
    assert notifications.unread_count(user=alice) == 1


@pytest.mark.django_db
def test_the_same_key_for_two_people_is_two_notifications(alice: User, bob: User) -> None:
    assert tell(alice).pk != tell(bob).pk
    assert notifications.unread_count(user=alice) == notifications.unread_count(user=bob) == 1


@pytest.mark.django_db
def test_text_is_cleaned_and_cut_and_links_stay_on_the_site(alice: User) -> None:
    note = tell(
        alice, key="a", title="t\x00i\x07tle" + "x" * 300, body="b" * 5_000, url="https://evil.example/"
    )
    assert note.title.startswith("title")
    assert len(note.title) == 200
    assert len(note.body) == 1_000
    assert note.url == ""
    assert tell(alice, key="b", url="//evil.example/").url == ""
    assert tell(alice, key="c", url="/reminders/1/").url == "/reminders/1/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "extra"),
    [("kind", {"kind": "gossip"}), ("idempotency_key", {"key": ""}), ("idempotency_key", {"key": "k" * 201})],
)
def test_notify_refuses_an_unknown_kind_or_a_bad_key(alice: User, field: str, extra: dict) -> None:
    key = extra.pop("key", "k")
    with pytest.raises(ValidationError) as caught:
        tell(alice, key=key, **extra)
    assert field in caught.value.message_dict
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_recent_is_newest_first_and_only_the_persons_own(alice: User, charlie: User) -> None:
    first = tell(alice, key="1")
    second = tell(alice, key="2")
    assert list(notifications.recent(user=alice)) == [second, first]
    assert list(notifications.recent(user=charlie)) == []
    assert notifications.unread_count(user=charlie) == 0


@pytest.mark.django_db
def test_mark_read_and_mark_all_read(alice: User) -> None:
    one, two, three = tell(alice, key="1"), tell(alice, key="2"), tell(alice, key="3")
    read = notifications.mark_read(user=alice, notification_id=one.pk)
    assert read.read_at is not None
    assert (
        notifications.mark_read(user=alice, notification_id=one.pk).read_at == read.read_at
    )  # again: harmless
    assert notifications.unread_count(user=alice) == 2
    assert notifications.mark_all_read(user=alice) == 2
    assert notifications.mark_all_read(user=alice) == 0
    assert not Notification.objects.filter(pk__in=[two.pk, three.pk], read_at__isnull=True).exists()


@pytest.mark.django_db
def test_charlie_cannot_read_or_mark_alices_notifications(alice: User, charlie: User) -> None:
    note = tell(alice)
    with pytest.raises(NotFound):
        notifications.mark_read(user=charlie, notification_id=note.pk)
    assert notifications.mark_all_read(user=charlie) == 0
    note.refresh_from_db()
    assert note.read_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("notification_id", ["nope", "", None, 7, str(uuid4()), "\x00"])
def test_a_missing_or_malformed_notification_id_is_not_found(alice: User, notification_id: object) -> None:
    with pytest.raises(NotFound):
        notifications.mark_read(user=alice, notification_id=notification_id)  # type: ignore[arg-type]
