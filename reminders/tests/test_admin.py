"""The reminders back office: read-only records, failed deliveries with their reason, no feed token."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from reminders.models import CalendarFeed, Channel, Delivery, DeliveryStatus, Reminder, ReminderStatus
from reminders.services.dispatch import write_due_notices
from reminders.tests.dispatch_helpers import due_reminder

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/reminders/reminder/",
    "/admin/reminders/delivery/",
    "/admin/reminders/notification/",
    "/admin/reminders/calendarevent/",
    "/admin/reminders/calendarfeed/",
]


@pytest.fixture
def alices_records(alice: User) -> Reminder:
    reminder, due = due_reminder(alice, title="Rotate keys")
    write_due_notices(now=due)
    Delivery.objects.filter(channel=Channel.EMAIL).update(
        status=DeliveryStatus.FAILED, last_error="SMTP 550: 5.1.1 No such user here"
    )
    CalendarFeed.objects.create(user=alice, token_hash="h" * 64, token="feed-token-secret-abcdef")
    return reminder


@pytest.mark.parametrize("page", PAGES)
def test_signed_out_and_charlie_are_kept_out(client: Client, charlie: User, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 302
    assert "/login" in response["Location"]
    client.force_login(charlie)
    assert client.get(page).status_code == 302


def test_staff_see_every_list_and_the_reason_of_a_failed_email(
    staff_client: Client, alices_records: Reminder
) -> None:
    for page in PAGES:
        response = staff_client.get(page)
        assert response.status_code == 200, page
        assert "feed-token-secret" not in response.content.decode()
    failed = staff_client.get("/admin/reminders/delivery/?status__exact=failed").content.decode()
    assert "SMTP 550: 5.1.1 No such user here" in failed
    assert (
        "Rotate keys" in staff_client.get("/admin/reminders/reminder/?q=alice%40example.com").content.decode()
    )
    feed = CalendarFeed.objects.get()
    page = staff_client.get(f"/admin/reminders/calendarfeed/{feed.pk}/change/").content.decode()
    assert "feed-token-secret" not in page
    assert "h" * 64 not in page


def test_retry_puts_failed_emails_back_in_line(staff_client: Client, alices_records: Reminder) -> None:
    email = Delivery.objects.get(channel=Channel.EMAIL)
    response = staff_client.post(
        "/admin/reminders/delivery/", {"action": "retry_deliveries", "_selected_action": [email.pk]}
    )
    assert response.status_code == 302
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (DeliveryStatus.PENDING, 0, "")


def test_cancel_goes_through_the_service(staff_client: Client, alices_records: Reminder) -> None:
    response = staff_client.post(
        "/admin/reminders/reminder/", {"action": "cancel_reminders", "_selected_action": [alices_records.pk]}
    )
    assert response.status_code == 302
    alices_records.refresh_from_db()
    assert alices_records.status == ReminderStatus.CANCELLED
    assert alices_records.next_fire_at is None


def test_records_cannot_be_added_or_deleted(staff_client: Client, alices_records: Reminder) -> None:
    assert staff_client.get("/admin/reminders/reminder/add/").status_code == 403
    assert staff_client.get("/admin/reminders/delivery/add/").status_code == 403
    notification = alices_records.user.notifications.get()
    assert staff_client.get(f"/admin/reminders/notification/{notification.pk}/delete/").status_code == 403
