"""A reminder email's signed links in Chromium, signed out: the page's button really acts.

The Django test client skips the CSRF check; a browser doesn't, and sends the button's POST with
``Origin: null`` under the pages' ``no-referrer`` policy: the link pages are exempt from the CSRF
check (their unguessable token is the proof), so the button must work all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import make_user
from reminders.links import make_token
from reminders.models import Reminder, ReminderStatus
from reminders.tests.dispatch_helpers import due_reminder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _link(action: str, reminder: Reminder) -> str:
    token = make_token(action=action, reminder_id=reminder.pk, occurrence=reminder.due_at)
    return f"/reminders/email/{action}/{token}/"


def test_complete_and_snooze_from_the_email_signed_out(
    page: Page, shot: Callable[[str], Path], page_problems: list[str]
) -> None:
    ada = make_user("ada@example.com", display_name="Ada Lovelace")
    snoozed, _due = due_reminder(ada, title="Renew the domain")
    done, _due = due_reminder(ada, title="Pay the invoice")

    page.goto(_link("snooze", snoozed) + "?for=1h")
    page.get_by_role("button", name="1 hour").click()
    expect(page.locator("main")).to_contain_text("Snoozed until")
    shot("snoozed")
    assert Reminder.objects.get(pk=snoozed.pk).status == ReminderStatus.SNOOZED

    page.goto(_link("complete", done))
    page.get_by_role("button", name="Mark as done").click()
    expect(page.locator("main")).to_contain_text("marked as completed")
    shot("completed")
    assert Reminder.objects.get(pk=done.pk).status == ReminderStatus.COMPLETED
    assert page_problems == []
