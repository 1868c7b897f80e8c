"""The bell and the notification centre's pages: the badge (polled), the panel, the full list, and
marking one or all read; for alice, for charlie (nothing of alice's), signed out, and hostile input."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from preferences import services as preferences_services
from reminders.models import Notification, NotificationKind
from reminders.services import notifications as centre
from reminders.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/settings/"}


def _bell_label(page: str) -> str:
    match = re.search(r'<summary id="bell-button"[^>]*aria-label="([^"]+)"', page)
    assert match, "the bell's button is on the page"
    return match.group(1)


def _badge(page: str) -> str | None:
    match = re.search(r'<span class="bell-badge" aria-hidden="true">([^<]+)</span>', page)
    return match.group(1) if match else None


# --- The bell in the shell ------------------------------------------------------------------------


def test_every_signed_in_page_has_the_bell_with_the_unread_count(client: Client, alice: User) -> None:
    for _n in range(3):
        NotificationFactory.create(user=alice)
    read = NotificationFactory.create(user=alice)
    centre.mark_read(user=alice, notification_id=read.id)
    client.force_login(alice)
    page = client.get("/settings/").text
    assert _bell_label(page) == "Notifications, 3 unread"
    assert _badge(page) == "3"
    assert 'hx-get="/notifications/badge/"' in page
    assert 'hx-trigger="every 30s, focus from:window"' in page
    assert "hx-vals='{\"shown\": 3}'" in page
    assert 'href="/notifications/"' in page  # the full list, reachable without JavaScript


def test_the_badge_says_9_plus_past_nine(client: Client, alice: User) -> None:
    for _n in range(12):
        NotificationFactory.create(user=alice)
    client.force_login(alice)
    page = client.get("/settings/").text
    assert _badge(page) == "9+"
    assert _bell_label(page) == "Notifications, 12 unread"


def test_with_nothing_unread_the_bell_has_no_badge(client: Client, alice: User) -> None:
    client.force_login(alice)
    page = client.get("/settings/").text
    assert _badge(page) is None
    assert _bell_label(page) == "Notifications, none unread"


def test_signed_out_pages_have_no_bell(client: Client) -> None:
    page = client.get("/").text
    assert "bell-button" not in page
    assert "notifications.js" not in page


def test_the_poll_interval_is_a_setting(client: Client, alice: User, settings: object) -> None:
    settings.NOTIFICATIONS_POLL_SECONDS = 2  # type: ignore[attr-defined]
    client.force_login(alice)
    assert 'hx-trigger="every 2s, focus from:window"' in client.get("/settings/").text


def test_the_shell_links_reminders_and_calendar_only_once_they_exist(client: Client, alice: User) -> None:
    from django.urls import NoReverseMatch, reverse

    client.force_login(alice)
    page = client.get("/settings/").text
    for name, label in (("reminders:index", "Reminders"), ("calendar:index", "Calendar")):
        try:
            url = reverse(name)
        except NoReverseMatch:
            assert f">{label}</a>" not in page
        else:
            assert f'href="{url}"' in page


# --- The badge partial ----------------------------------------------------------------------------


def test_the_badge_partial_is_the_button_with_the_count(client: Client, alice: User) -> None:
    NotificationFactory.create(user=alice)
    client.force_login(alice)
    response = client.get("/notifications/badge/", {"shown": "1"}, headers=HX)
    assert response.status_code == 200
    assert _bell_label(response.text) == "Notifications, 1 unread"
    assert "bell-status" not in response.text  # nothing new: nothing to announce
    assert "no-cache" in response["Cache-Control"]


def test_the_badge_announces_a_new_notification_politely(client: Client, alice: User) -> None:
    NotificationFactory.create(user=alice, title="Old one")
    NotificationFactory.create(user=alice, title="Rotate the Vercel key")
    client.force_login(alice)
    response = client.get("/notifications/badge/", {"shown": "1"}, headers=HX)
    assert 'id="bell-status"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert "New notification: Rotate the Vercel key" in response.text


def test_the_badge_costs_one_query(
    client: Client, alice: User, django_assert_max_num_queries: object
) -> None:
    NotificationFactory.create(user=alice)
    client.force_login(alice)
    client.get("/notifications/badge/", headers=HX)  # the session is read once, warm
    # Session, user, the person's zone (middleware), the count: nothing grows with the notifications.
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        client.get("/notifications/badge/", {"shown": "1"}, headers=HX)


@pytest.mark.parametrize("shown", ["-1", "abc", "1" * 50, "\x00", ""])
def test_a_strange_shown_count_is_ignored(client: Client, alice: User, shown: str) -> None:
    NotificationFactory.create(user=alice)
    client.force_login(alice)
    response = client.get("/notifications/badge/", {"shown": shown}, headers=HX)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert "bell-status" not in response.text


# --- The panel ------------------------------------------------------------------------------------


def test_the_panel_lists_the_newest_first_with_unread_markers(client: Client, alice: User) -> None:
    now = timezone.now()
    NotificationFactory.create(user=alice, title="Older", created_at=now - timedelta(hours=3))
    newer = NotificationFactory.create(
        user=alice, title="Newer", body="Due tomorrow", created_at=now - timedelta(minutes=5)
    )
    centre.mark_read(user=alice, notification_id=newer.id)
    client.force_login(alice)
    response = client.get("/notifications/panel/", headers=HX)
    assert response.status_code == 200
    page = response.text
    assert page.index("Newer") < page.index("Older")
    assert "Due tomorrow" in page
    assert "5\xa0minutes ago" in page or "5 minutes ago" in page
    assert page.count("Unread:") == 1
    assert page.count('class="notification-item is-unread"') == 1
    assert f'action="/notifications/{newer.id}/read/"' in page
    assert "Mark all as read" in page
    assert 'href="/notifications/"' in page


def test_the_panel_shows_at_most_eight(client: Client, alice: User) -> None:
    for _n in range(11):
        NotificationFactory.create(user=alice)
    client.force_login(alice)
    assert client.get("/notifications/panel/", headers=HX).text.count("notification-item") == 8


def test_titles_and_texts_are_escaped(client: Client, alice: User) -> None:
    NotificationFactory.create(
        user=alice, title="<script>alert(1)</script>", body="<img src=x onerror=alert(1)>"
    )
    client.force_login(alice)
    page = client.get("/notifications/panel/", headers=HX).text
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page


# --- Marking read ---------------------------------------------------------------------------------


def test_clicking_a_notification_marks_it_read_and_goes_to_its_page(client: Client, alice: User) -> None:
    notification = NotificationFactory.create(user=alice, url="/settings/language/")
    client.force_login(alice)
    response = client.post(f"/notifications/{notification.id}/read/")
    assert response.status_code == 302
    assert response["Location"] == "/settings/language/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_notification_without_a_link_leads_to_the_list(client: Client, alice: User) -> None:
    notification = NotificationFactory.create(user=alice, url="https://evil.example/")
    assert notification.url == ""  # the service keeps only paths on this site
    client.force_login(alice)
    response = client.post(f"/notifications/{notification.id}/read/")
    assert response["Location"] == "/notifications/"


def test_charlie_cannot_mark_alices_notification_read(client: Client, alice: User, charlie: User) -> None:
    notification = NotificationFactory.create(user=alice)
    client.force_login(charlie)
    response = client.post(f"/notifications/{notification.id}/read/")
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    assert client.post(f"/notifications/{uuid.uuid4()}/read/").status_code == 404


def test_marking_read_needs_a_post(client: Client, alice: User) -> None:
    notification = NotificationFactory.create(user=alice)
    client.force_login(alice)
    assert client.get(f"/notifications/{notification.id}/read/").status_code == 405
    assert client.get("/notifications/read-all/").status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_by_htmx_gives_the_panel_and_the_bell_again(client: Client, alice: User) -> None:
    for _n in range(3):
        NotificationFactory.create(user=alice)
    client.force_login(alice)
    response = client.post("/notifications/read-all/", headers=HX)
    assert response.status_code == 200
    page = response.text
    assert "Unread:" not in page
    assert 'hx-swap-oob="outerHTML"' in page
    assert _bell_label(page) == "Notifications, none unread"
    assert "All notifications marked as read." in page
    assert centre.unread_count(user=alice) == 0


def test_mark_all_read_without_javascript_goes_back(client: Client, alice: User) -> None:
    NotificationFactory.create(user=alice)
    client.force_login(alice)
    response = client.post("/notifications/read-all/", {"next": "/notifications/?page=1"})
    assert response["Location"] == "/notifications/?page=1"
    for hostile in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = client.post("/notifications/read-all/", {"next": hostile})
        assert response["Location"] == "/notifications/"


def test_mark_all_read_touches_only_ones_own(client: Client, alice: User, charlie: User) -> None:
    NotificationFactory.create(user=alice)
    client.force_login(charlie)
    client.post("/notifications/read-all/", headers=HX)
    assert centre.unread_count(user=alice) == 1


# --- The full list --------------------------------------------------------------------------------


def test_the_list_pages_through_every_notification(client: Client, alice: User) -> None:
    now = timezone.now()
    for n in range(30):
        NotificationFactory.create(user=alice, title=f"Item {n:02d}", created_at=now - timedelta(minutes=n))
    client.force_login(alice)
    first = client.get("/notifications/").text
    assert "<h1>Notifications</h1>" in first
    assert "30 unread." in first
    assert "Item 00" in first
    assert "Item 24" in first
    assert "Item 25" not in first
    assert 'href="?page=2"' in first
    second = client.get("/notifications/", {"page": "2"}).text
    assert "Item 25" in second
    assert "Item 29" in second
    for hostile in ("0", "-1", "999999999999999999999", "abc", "\x00"):
        response = client.get("/notifications/", {"page": hostile})
        assert response.status_code in (200, 400)


def test_charlie_sees_an_empty_list(client: Client, alice: User, charlie: User) -> None:
    NotificationFactory.create(user=alice, title="Alice's secret")
    client.force_login(charlie)
    for url in ("/notifications/", "/notifications/panel/"):
        page = client.get(url, headers=HX if "panel" in url else {}).text
        assert "Alice&#x27;s secret" not in page
        assert "Alice's secret" not in page
    assert _bell_label(client.get("/notifications/").text) == "Notifications, none unread"


# --- Signed out -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/notifications/", "/notifications/badge/", "/notifications/panel/"])
def test_signed_out_pages_ask_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", ["/notifications/badge/", "/notifications/panel/"])
def test_signed_out_htmx_is_sent_to_sign_in_as_a_whole_page(client: Client, url: str) -> None:
    response = client.get(url, headers=HX)
    assert response["HX-Redirect"] == "/accounts/login/?next=/settings/"


def test_signed_out_posts_change_nothing(client: Client, alice: User) -> None:
    notification = NotificationFactory.create(user=alice)
    assert client.post(f"/notifications/{notification.id}/read/").status_code == 302
    assert client.post("/notifications/read-all/", headers=HX).has_header("HX-Redirect")
    assert centre.unread_count(user=alice) == 1


# --- Spanish and the person's zone ----------------------------------------------------------------


def test_the_bell_and_list_in_spanish(client: Client, alice: User) -> None:
    alice.language = "es"
    alice.save(update_fields=["language"])
    for _n in range(2):
        NotificationFactory.create(user=alice, created_at=timezone.now() - timedelta(hours=2))
    client.force_login(alice)
    page = client.get("/notifications/").text
    assert _bell_label(page) == "Notificaciones, 2 sin leer"
    assert "<h1>Notificaciones</h1>" in page
    assert "Marcar todas como leídas" in page
    assert "hace 2\xa0horas" in page or "hace 2 horas" in page
    panel = client.get("/notifications/panel/", headers=HX).text
    assert "Ver todas las notificaciones" in panel
    assert "No leída:" in panel


def test_times_show_in_the_persons_zone(client: Client, alice: User) -> None:
    preferences_services.update_preferences(user=alice, time_zone="America/New_York")
    created = timezone.now().replace(month=1, day=15, hour=15, minute=0, second=0, microsecond=0)
    Notification.objects.filter(user=alice).delete()
    centre.notify(
        user=alice, kind=NotificationKind.SYSTEM, title="Zoned", idempotency_key="zoned", created_at=created
    )
    client.force_login(alice)
    page = client.get("/notifications/").text
    # 15:00Z in January is 10:00 in New York (EST, -05:00).
    assert re.search(r'datetime="\d{4}-01-15T10:00:00-05:00"', page)
