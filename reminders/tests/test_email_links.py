"""The signed links of reminder emails: GET shows, POST acts, once; hostile tokens are refused."""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts.models import User
from reminders.links import make_token
from reminders.models import Reminder, ReminderStatus
from reminders.tests.dispatch_helpers import due_reminder

pytestmark = pytest.mark.django_db


def _url(action: str, reminder: Reminder, token: str | None = None) -> str:
    token = token or make_token(action=action, reminder_id=reminder.pk, occurrence=reminder.due_at)
    return f"/reminders/email/{action}/{token}/"


def _fresh(reminder: Reminder) -> Reminder:
    return Reminder.objects.get(pk=reminder.pk)


def test_opening_a_link_changes_nothing(client: Client, alice: User) -> None:
    reminder, _due = due_reminder(alice, title="Back up the database")
    for action in ("open", "complete", "snooze"):
        response = client.get(_url(action, reminder))
        assert response.status_code == 200
        assert "Back up the database" in response.content.decode()
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "no-referrer"
        assert client.head(_url(action, reminder)).status_code == 200
    after = _fresh(reminder)
    assert (after.status, after.due_at, after.completed_at) == (reminder.status, reminder.due_at, None)


def test_complete_by_link_once_without_signing_in(client: Client, alice: User) -> None:
    reminder, _due = due_reminder(alice)
    url = _url("complete", reminder)

    response = client.post(url)
    assert response.status_code == 200
    assert "marked as completed" in response.content.decode()
    assert _fresh(reminder).status == ReminderStatus.COMPLETED

    again = client.post(url)
    assert again.status_code == 409
    assert "already done" in again.content.decode()
    assert "Mark as done</button>" not in client.get(url).content.decode()  # no button any more


def test_completing_a_series_by_link_moves_it_on_and_the_old_link_is_spent(
    client: Client, alice: User
) -> None:
    reminder, _due = due_reminder(alice, recurrence="daily")
    url = _url("complete", reminder)
    assert client.post(url).status_code == 200
    moved = _fresh(reminder)
    assert moved.status == ReminderStatus.PENDING
    assert moved.due_at == reminder.due_at + timedelta(days=1)
    assert client.post(url).status_code == 409
    assert _fresh(reminder).due_at == moved.due_at  # the second click didn't complete the next one


def test_snooze_by_link(client: Client, alice: User) -> None:
    reminder, _due = due_reminder(alice)
    url = _url("snooze", reminder)
    assert 'value="1h"' in client.get(url + "?for=1h").content.decode()

    before = timezone.now()
    response = client.post(url, {"for": "1h"})
    assert response.status_code == 200
    assert "Snoozed until" in response.content.decode()
    snoozed = _fresh(reminder)
    assert snoozed.status == ReminderStatus.SNOOZED
    assert snoozed.snoozed_until is not None
    assert before + timedelta(hours=1) <= snoozed.snoozed_until <= timezone.now() + timedelta(hours=1)


@pytest.mark.parametrize("preset", ["", "2h", "10m\x00", "x" * 10_000, "tomorrow; DROP"])
def test_a_bad_snooze_choice_is_refused_and_changes_nothing(client: Client, alice: User, preset: str) -> None:
    reminder, _due = due_reminder(alice)
    response = client.post(_url("snooze", reminder), {"for": preset})
    assert response.status_code == 400
    assert _fresh(reminder).status == ReminderStatus.PENDING


def test_an_expired_link_is_gone(client: Client, alice: User) -> None:
    reminder, _due = due_reminder(alice)
    url = _url("complete", reminder)
    with time_machine.travel(timezone.now() + timedelta(hours=72, seconds=5)):
        response = client.post(url)
        assert client.get(url).status_code == 410
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert _fresh(reminder).status == ReminderStatus.PENDING


def test_a_link_for_another_action_or_changed_is_refused(client: Client, alice: User) -> None:
    reminder, _due = due_reminder(alice)
    snooze_token = make_token(action="snooze", reminder_id=reminder.pk, occurrence=reminder.due_at)
    assert client.post(_url("complete", reminder, snooze_token)).status_code == 400
    tampered = snooze_token[:-3] + ("AAA" if not snooze_token.endswith("AAA") else "BBB")
    assert client.post(_url("snooze", reminder, tampered), {"for": "1h"}).status_code == 400
    assert _fresh(reminder).status == ReminderStatus.PENDING


@pytest.mark.parametrize("token", ["x", "a:b:c", "%00", "%ED%A0%80", "A" * 5_000, "..", "%2F%2Fevil.com"])
def test_hostile_tokens_are_a_clear_4xx(client: Client, alice: User, token: str) -> None:
    for action in ("open", "complete", "snooze"):
        response = client.get(f"/reminders/email/{action}/{token}/")
        assert 400 <= response.status_code < 500, (action, token, response.status_code)
        assert client.post(f"/reminders/email/{action}/{token}/").status_code < 500


def test_charlie_cannot_turn_his_link_into_one_for_alices_reminder(
    client: Client, alice: User, charlie: User
) -> None:
    alices, _due = due_reminder(alice)
    his, _due = due_reminder(charlie)
    token = make_token(action="complete", reminder_id=his.pk, occurrence=his.due_at)
    # Re-signing is impossible without the key: swapping the id in the payload breaks the signature.
    value, _timestamp, _signature = token.rsplit(":", 2)
    payload = signing.b64_decode(value.encode()).decode().replace(str(his.pk), str(alices.pk))
    forged = signing.b64_encode(payload.encode()).decode() + token[len(value) :]
    client.force_login(charlie)
    assert client.post(_url("complete", alices, forged)).status_code == 400
    assert _fresh(alices).status == ReminderStatus.PENDING
    # And a link signed with another key is refused too.
    other = signing.dumps(
        {"r": str(alices.pk), "o": alices.due_at.isoformat()}, key="x" * 50, salt="reminders.links.complete"
    )
    assert client.post(_url("complete", alices, other)).status_code == 400
    assert _fresh(alices).status == ReminderStatus.PENDING


def test_a_link_to_a_deleted_reminder_is_not_found(client: Client, alice: User) -> None:
    reminder, _due = due_reminder(alice)
    url = _url("complete", reminder)
    reminder.delete()
    assert client.get(url).status_code == 404


def test_link_pages_speak_the_owners_language(client: Client, alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(language="es")
    reminder, _due = due_reminder(alice)
    assert "Marcar como hecho" in client.get(_url("complete", reminder)).content.decode()


# --- Keeping the token private: every answer, the CSRF check, the logs ------------------------------


def test_every_answer_of_a_link_page_is_private_errors_too(client: Client, alice: User) -> None:
    reminder, _due = due_reminder(alice)
    complete = _url("complete", reminder)
    snooze_token = make_token(action="snooze", reminder_id=reminder.pk, occurrence=reminder.due_at)
    answers = {
        "405": client.post(_url("open", reminder)),
        "400 other action": client.get(_url("complete", reminder, snooze_token)),
        "400 bad choice": client.post(_url("snooze", reminder), {"for": "forever"}),
        "400 malformed": client.get("/reminders/email/open/x/"),
    }
    with time_machine.travel(timezone.now() + timedelta(hours=72, seconds=5)):
        answers["410"] = client.get(complete)
    for name, response in answers.items():
        assert response.status_code in (400, 405, 410), name
        assert response["Cache-Control"] == "no-store", name
        assert response["Referrer-Policy"] == "no-referrer", name
    assert _fresh(reminder).status == ReminderStatus.PENDING


def test_a_link_acts_without_a_csrf_cookie(alice: User) -> None:
    """A mail app's browser may keep no cookie: the token in the address is the proof, not a cookie."""
    reminder, _due = due_reminder(alice)
    response = Client(enforce_csrf_checks=True).post(_url("complete", reminder))
    assert response.status_code == 200
    assert _fresh(reminder).status == ReminderStatus.COMPLETED


def test_a_refused_link_leaves_no_token_in_the_log(client: Client, alice: User) -> None:
    from reminders.log_filters import RedactSecretPaths

    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler)
        and any(isinstance(f, RedactSecretPaths) for f in handler.filters)
    ]
    assert handlers, "the console handler redacts secret paths (settings.LOGGING)"
    reminder, _due = due_reminder(alice)
    token = make_token(action="snooze", reminder_id=reminder.pk, occurrence=reminder.due_at)
    stream = io.StringIO()
    previous = handlers[0].setStream(stream)
    try:
        assert client.post(f"/reminders/email/snooze/{token}/", {"for": "forever"}).status_code == 400
        assert client.post(f"/reminders/email/open/{token}/").status_code == 405
    finally:
        handlers[0].setStream(previous)
    logged = stream.getvalue()
    assert "/reminders/email/snooze/[redacted]/" in logged
    assert token not in logged
