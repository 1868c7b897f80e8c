"""The issue's journey in Chromium, across the reminders app's parts: create a weekly reminder through
the form, see it on the calendar, receive its in-app notification in the bell (written by the
dispatcher, shown by the badge's poll without a reload), follow it and snooze the reminder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_user
from preferences import services as preference_services
from reminders.models import Delivery, Notification, Reminder, ReminderStatus
from reminders.services import dispatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(autouse=True)
def _fast_poll(settings: object) -> None:
    settings.NOTIFICATIONS_POLL_SECONDS = 1  # type: ignore[attr-defined]


def _sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(re.compile(r"^Email:?$")).fill(email)
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/$"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_a_weekly_reminder_from_the_form_to_the_calendar_the_bell_and_a_snooze(
    page: Page, shot: Callable[[str], Path], viewport: dict[str, int]
) -> None:
    grace = make_user("grace@example.com", display_name="Grace Hopper")
    preference_services.update_preferences(user=grace, time_zone="America/New_York", notify_email=False)
    _sign_in(page, grace.email)

    # Create: weekly, from the day after first_day, notified 7 days ahead (so its first notice is due now).
    first_day = timezone.now().astimezone(ZoneInfo("America/New_York")).date() + timedelta(days=2)
    page.goto("/reminders/new/")
    page.get_by_label("Title").fill("Review the deploy checklist")
    page.get_by_label("Date").fill(first_day.isoformat())
    page.get_by_label("Time", exact=True).fill("10:00")
    page.get_by_label("Repeats").select_option("weekly")
    expect(page.locator("#preview-words")).to_contain_text("Every week on")
    page.get_by_label("How long before").fill("7")
    page.get_by_label("Unit").select_option("days")
    page.get_by_role("button", name="Create reminder").click()
    expect(page).to_have_url(re.compile(r"/reminders/$"))
    reminder = Reminder.objects.get(user=grace)
    assert reminder.time_zone == "America/New_York"
    assert reminder.next_fire_at is not None
    assert reminder.next_fire_at <= timezone.now()
    shot("created")

    # The calendar's agenda from today shows the weekly occurrences, each linking to the reminder.
    page.goto(f"/calendar/agenda/{first_day.year}/{first_day.month}/{first_day.day}/")
    items = page.locator("main a", has_text="Review the deploy checklist")
    expect(items.first).to_be_visible()
    assert items.count() >= 2  # a weekly series over the agenda's days
    shot("calendar")

    # The dispatcher runs (as the beat task does): the bell shows the notice without a reload.
    page.goto("/reminders/")
    bell = page.locator("#bell-button")
    expect(page.locator(".bell-badge")).to_have_count(0)
    page.evaluate("window.__noReload = true")
    result = dispatch()
    assert result is not None
    assert Delivery.objects.filter(reminder=reminder, channel="in_app", status="sent").count() == 1
    notification = Notification.objects.get(user=grace)
    expect(page.locator(".bell-badge")).to_have_text("1", timeout=8_000)
    assert page.evaluate("window.__noReload") is True
    bell.click()
    panel = page.locator("#bell-panel")
    expect(panel).to_contain_text("Review the deploy checklist")
    shot("bell")

    # Following the notification marks it read and opens the reminder's page.
    panel.get_by_text("Review the deploy checklist").first.click()
    expect(page).to_have_url(re.compile(rf"/reminders/{reminder.pk}/$"))
    notification.refresh_from_db()
    assert notification.read_at is not None
    expect(page.locator(".bell-badge")).to_have_count(0)

    # Snooze it from the list: this occurrence only, the row says until when.
    page.goto("/reminders/")
    row = page.locator(f"#reminder-{reminder.pk}")
    row.locator("summary", has_text="Snooze").click()
    row.get_by_role("button", name="10 minutes").click()
    expect(page.locator(f"#reminder-{reminder.pk}")).to_contain_text("snoozed until")
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SNOOZED
    assert int(page.evaluate("document.scrollingElement.scrollWidth")) <= viewport["width"]
    shot("snoozed")
