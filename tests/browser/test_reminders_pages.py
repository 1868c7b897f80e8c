"""The reminders pages in Chromium, on a desktop and a phone: create a weekly reminder through the
form (the live preview follows the fields, the rule field shows only for a custom rule or cron), see
it in Upcoming, snooze it with the quick action (the row changes in place), then complete it.

The live server's database is flushed after each test (transactional), as in the other browser tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_user
from preferences import services as preference_services
from reminders.models import Reminder, ReminderStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def _sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    main = page.locator("main")
    main.get_by_label(re.compile(r"^Email:?$")).fill(email)
    main.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    main.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/$"))


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def _next_monday() -> str:
    today = timezone.now().date()
    return (today + timedelta(days=7 - today.weekday())).isoformat()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_create_a_weekly_reminder_see_it_upcoming_and_snooze_it(
    page: Page, shot: Callable[[str], Path], page_problems: list[str], viewport: dict[str, int]
) -> None:
    ada = make_user("ada@example.com", display_name="Ada Lovelace")
    preference_services.update_preferences(user=ada, time_zone="Europe/Madrid")
    _sign_in(page, ada.email)

    # The empty list invites the first reminder.
    page.goto("/reminders/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reminders")
    expect(page.locator("main")).to_contain_text("No reminders yet")
    shot("empty")
    page.get_by_role("link", name="Create your first reminder").click()
    expect(page).to_have_url(re.compile(r"/reminders/new/$"))

    # The form starts in the person's zone, with the preview of its initial values.
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Madrid")
    preview = page.locator("#reminder-preview")
    expect(preview).to_contain_text("Once, on")
    rule = page.get_by_label("Rule")
    expect(rule).to_be_hidden()

    page.get_by_label("Title").fill("Rotate the payment keys")
    page.get_by_label("Type").select_option("rotate_keys")
    page.get_by_label("Date").fill(_next_monday())
    page.get_by_label("Time", exact=True).fill("09:00")
    page.get_by_label("Repeats").select_option("weekly")
    expect(preview.locator("#preview-words")).to_have_text("Every week on Monday at 09:00")
    expect(preview.locator("#preview-times li")).to_have_count(5)
    expect(preview.locator("#preview-times li").first).to_contain_text("Monday")
    shot("form-weekly")

    # A custom rule shows its field; a bad one gets its error in the preview, a good one its words.
    page.get_by_label("Repeats").select_option("rrule")
    expect(rule).to_be_visible()
    rule.fill("FREQ=WEEKLY;BYDAY=XX")
    expect(preview).to_contain_text("Fix this to see when it fires:")
    expect(preview).to_contain_text("Rule:")
    rule.fill("FREQ=WEEKLY;BYDAY=MO,TH")
    expect(preview.locator("#preview-words")).to_have_text("Every week on Monday and Thursday at 09:00")
    shot("form-custom-rule")
    page.get_by_label("Repeats").select_option("weekly")
    expect(rule).to_be_hidden()
    expect(preview.locator("#preview-words")).to_have_text("Every week on Monday at 09:00")

    page.get_by_label("How long before").fill("2")
    page.get_by_label("Unit").select_option("hours")
    page.get_by_role("button", name="Create reminder").click()

    # Upcoming shows it, with the message and the rule in words.
    expect(page).to_have_url(re.compile(r"/reminders/$"))
    expect(page.locator(".message-success")).to_contain_text("Reminder “Rotate the payment keys” created.")
    reminder = Reminder.objects.get(user=ada)
    assert (reminder.recurrence, reminder.rule) == ("weekly", "FREQ=WEEKLY;BYDAY=MO")
    assert reminder.lead_minutes == 120
    row = page.locator(f"#reminder-{reminder.pk}")
    expect(row).to_contain_text("Rotate the payment keys")
    expect(row).to_contain_text("Every week on Monday at 09:00")
    expect(page.locator("#tab-upcoming")).to_have_attribute("aria-current", "page")
    expect(page.locator("#tab-upcoming .tab-count")).to_have_text("1")
    shot("upcoming")

    # Snooze by the quick action: the row changes in place, with a message, without a reload.
    page.evaluate("window.__noReload = true")
    row.locator("summary", has_text="Snooze").click()
    shot("snooze-menu")
    row.get_by_role("button", name="1 hour").click()
    expect(page.locator("#reminders-status")).to_contain_text("“Rotate the payment keys” snoozed until")
    row = page.locator(f"#reminder-{reminder.pk}")
    expect(row).to_contain_text("snoozed until")
    assert page.evaluate("window.__noReload") is True
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SNOOZED
    assert _scroll_width(page) <= viewport["width"]
    shot("snoozed")

    # Complete this occurrence: the weekly series moves on to next week and stays in Upcoming.
    row.get_by_role("button", name="Complete", exact=True).click()
    expect(page.locator("#reminders-status")).to_contain_text("is done for now; next:")
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    expect(page.locator(f"#reminder-{reminder.pk}")).not_to_contain_text("snoozed until")
    shot("completed-once")

    # Its page: the schedule in words and the next occurrences.
    page.locator(f"#reminder-{reminder.pk}").get_by_role("link", name="Rotate the payment keys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rotate the payment keys")
    expect(page.locator("#next-occurrences li")).to_have_count(5)
    expect(page.locator("main")).to_contain_text("2 hours before")
    assert _scroll_width(page) <= viewport["width"]
    shot("detail")

    # The only failed requests were the preview's answers to the bad rule (a 400 it shows).
    assert all("/reminders/preview/" in problem and "HTTP 400" in problem for problem in page_problems)
