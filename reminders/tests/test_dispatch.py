"""Dispatch: notices written once per occurrence and channel, emails leased, sent once, retried."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from conftest import make_user
from preferences.models import UserPreferences
from reminders.models import Channel, Delivery, DeliveryStatus, Notification, Reminder, ReminderStatus
from reminders.services import dispatch as dispatch_pass
from reminders.services import snooze_reminder
from reminders.services.dispatch import (
    EMAIL_LEASE,
    MAX_ATTEMPTS,
    backoff,
    claim_emails,
    failure_reason,
    notification_key,
    quiet_hours_end,
    send_emails,
    write_due_notices,
)
from reminders.tests.dispatch_helpers import due_reminder, smtp_server

pytestmark = pytest.mark.django_db


def _deliveries(reminder: Reminder) -> list[tuple[str, str, int]]:
    return sorted((d.channel, d.status, d.snooze_round) for d in Delivery.objects.filter(reminder=reminder))


def test_a_due_reminder_gets_one_in_app_notice_and_one_email_waiting(alice: User) -> None:
    reminder, due = due_reminder(alice)

    assert write_due_notices(now=due - timedelta(seconds=1)) == 0  # not yet
    assert write_due_notices(now=due) == 1

    assert _deliveries(reminder) == [("email", "pending", 0), ("in_app", "sent", 0)]
    notification = Notification.objects.get(user=alice)
    assert notification.title == reminder.title
    assert notification.url == f"/reminders/{reminder.pk}/"
    assert notification.idempotency_key == notification_key(reminder.pk, reminder.due_at, 0)
    email = Delivery.objects.get(reminder=reminder, channel=Channel.EMAIL)
    assert email.available_at == due
    assert email.occurrence == reminder.due_at
    assert email.attempts == 0
    reminder.refresh_from_db()
    assert reminder.next_fire_at is None
    assert reminder.fire_occurrence is None
    assert reminder.status == ReminderStatus.PENDING  # still to do: telling isn't doing


def test_running_again_writes_nothing_twice(alice: User) -> None:
    reminder, due = due_reminder(alice)
    write_due_notices(now=due)
    # Put the reminder back as if the first pass had died after its insert: the key still holds.
    Reminder.objects.filter(pk=reminder.pk).update(next_fire_at=due, fire_occurrence=reminder.due_at)

    assert write_due_notices(now=due + timedelta(seconds=5)) == 1
    assert Delivery.objects.filter(reminder=reminder).count() == 2
    assert Notification.objects.filter(user=alice).count() == 1


def test_channels_switched_off_write_no_delivery(alice: User) -> None:
    email_only, due = due_reminder(alice, notify_in_app=False)
    in_app_only, _due = due_reminder(alice, notify_email=False)
    write_due_notices(now=due)
    assert _deliveries(email_only) == [("email", "pending", 0)]
    assert _deliveries(in_app_only) == [("in_app", "sent", 0)]
    assert Notification.objects.filter(user=alice).count() == 1


def test_a_series_moves_to_its_next_occurrence(alice: User) -> None:
    reminder, due = due_reminder(alice, recurrence="daily")
    first = reminder.due_at
    write_due_notices(now=due)
    reminder.refresh_from_db()
    assert reminder.fire_occurrence == first + timedelta(days=1)
    assert reminder.next_fire_at == first + timedelta(days=1) - timedelta(minutes=60)
    assert reminder.due_at == first  # the current occurrence moves only when it is done

    write_due_notices(now=reminder.next_fire_at)
    occurrences = sorted(
        Delivery.objects.filter(reminder=reminder, channel=Channel.EMAIL).values_list("occurrence", flat=True)
    )
    assert occurrences == [first, first + timedelta(days=1)]


def test_after_an_outage_only_the_latest_past_occurrence_is_told(alice: User) -> None:
    reminder, _due = due_reminder(alice, recurrence="daily", lead_minutes=0)
    first = reminder.due_at
    later = first + timedelta(days=7, minutes=1)  # the dispatcher was away for a week

    write_due_notices(now=later)

    emails = Delivery.objects.filter(reminder=reminder, channel=Channel.EMAIL)
    assert list(emails.values_list("occurrence", flat=True)) == [first + timedelta(days=7)]
    reminder.refresh_from_db()
    assert reminder.fire_occurrence == first + timedelta(days=8)


def test_a_long_notice_tells_every_coming_occurrence_it_covers(alice: User) -> None:
    # Weekly from tomorrow, notified 16 days before: three occurrences are within the notice.
    reminder, _due = due_reminder(alice, recurrence="weekly", lead_minutes=16 * 24 * 60)
    write_due_notices(now=timezone.now())
    emails = Delivery.objects.filter(reminder=reminder, channel=Channel.EMAIL).order_by("occurrence")
    assert [e.occurrence - reminder.due_at for e in emails] == [timedelta(days=d) for d in (0, 7, 14)]


def test_a_snooze_that_ends_is_a_new_round_of_the_same_occurrence(alice: User) -> None:
    reminder, due = due_reminder(alice)
    write_due_notices(now=due)
    until = due + timedelta(minutes=10)
    snooze_reminder(user=alice, reminder_id=reminder.pk, until=until, now=due)

    assert write_due_notices(now=until - timedelta(seconds=1)) == 0
    assert write_due_notices(now=until) == 1

    assert _deliveries(reminder) == [
        ("email", "pending", 0),
        ("email", "pending", 1),
        ("in_app", "sent", 0),
        ("in_app", "sent", 1),
    ]
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.snoozed_until is None
    assert reminder.next_fire_at is None


def test_a_closed_reminder_with_a_stale_fire_time_is_told_nothing(alice: User) -> None:
    reminder, due = due_reminder(alice)
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.CANCELLED)
    assert write_due_notices(now=due) == 1
    assert not Delivery.objects.exists()
    reminder.refresh_from_db()
    assert reminder.next_fire_at is None


# --- Quiet hours ----------------------------------------------------------------------------------

MADRID = ZoneInfo("Europe/Madrid")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=MADRID).astimezone(UTC)


@pytest.mark.parametrize(
    ("moment", "start", "end", "expected"),
    [
        (_at(10, 23), time(22), time(7), _at(11, 7)),  # across midnight, before it
        (_at(11, 3), time(22), time(7), _at(11, 7)),  # across midnight, after it
        (_at(11, 7), time(22), time(7), None),  # the end itself is no longer quiet
        (_at(11, 12), time(22), time(7), None),
        (_at(11, 13), time(12), time(14), _at(11, 14)),  # within a day
        (_at(11, 11, 59), time(12), time(14), None),
        (_at(11, 13), time(9), time(9), None),  # equal: no quiet hours
        (_at(11, 13), None, time(9), None),
    ],
)
def test_quiet_hours_in_the_persons_zone(
    moment: datetime, start: time | None, end: time | None, expected: datetime | None
) -> None:
    assert quiet_hours_end(moment, zone=MADRID, start=start, end=end) == expected


def test_quiet_hours_hold_the_email_but_not_the_notification(alice: User) -> None:
    UserPreferences.objects.create(
        user=alice, time_zone="Europe/Madrid", quiet_hours_start=time(22), quiet_hours_end=time(7)
    )
    # 23:30 in Madrid, notified at once.
    start = (timezone.now() + timedelta(days=2)).astimezone(MADRID).date()
    reminder, due = due_reminder(
        alice, start_date=start, start_time=time(23, 30), time_zone="Europe/Madrid", lead_minutes=0
    )
    write_due_notices(now=due)

    email = Delivery.objects.get(reminder=reminder, channel=Channel.EMAIL)
    assert email.available_at.astimezone(MADRID) == datetime.combine(
        start + timedelta(days=1), time(7), tzinfo=MADRID
    )
    assert Notification.objects.filter(user=alice).count() == 1
    assert claim_emails(now=due, queue=False) == []
    assert claim_emails(now=email.available_at, queue=False) == [email.pk]


# --- Claiming and sending -------------------------------------------------------------------------


def test_claiming_leases_the_email_and_queues_the_send_task_on_commit(
    alice: User, django_capture_on_commit_callbacks
) -> None:
    reminder, due = due_reminder(alice)
    write_due_notices(now=due)
    email = Delivery.objects.get(reminder=reminder, channel=Channel.EMAIL)

    with django_capture_on_commit_callbacks() as callbacks:
        assert claim_emails(now=due) == [email.pk]
    assert [(c.func.__self__.name, c.args) for c in callbacks] == [
        ("reminders.tasks.send_reminder_emails", (email.pk,))
    ]
    email.refresh_from_db()
    assert email.attempts == 1
    assert email.available_at == due + EMAIL_LEASE
    assert claim_emails(now=due + timedelta(seconds=1), queue=False) == []  # leased
    assert mail.outbox == []


def test_a_sender_killed_after_claiming_loses_nothing(alice: User) -> None:
    reminder, due = due_reminder(alice)
    write_due_notices(now=due)
    claimed = claim_emails(now=due, queue=False)  # ... and the sender dies: nothing is sent

    assert claim_emails(now=due + EMAIL_LEASE - timedelta(seconds=1), queue=False) == []
    again = claim_emails(now=due + EMAIL_LEASE, queue=False)
    assert again == claimed
    assert send_emails(again) == 1
    assert send_emails(again) == 0  # a redelivered task
    assert send_emails(claimed) == 0  # the first sender, back from the dead
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [alice.email]
    email = Delivery.objects.get(reminder=reminder, channel=Channel.EMAIL)
    assert email.status == DeliveryStatus.SENT
    assert email.sent_at is not None
    assert email.attempts == 2


def test_a_delivery_leased_too_many_times_is_failed_with_the_reason(alice: User) -> None:
    reminder, due = due_reminder(alice)
    write_due_notices(now=due)
    moment = due
    for _attempt in range(MAX_ATTEMPTS):
        assert claim_emails(now=moment, queue=False)
        moment += EMAIL_LEASE
    assert claim_emails(now=moment, queue=False) == []
    email = Delivery.objects.get(reminder=reminder, channel=Channel.EMAIL)
    assert email.status == DeliveryStatus.FAILED
    assert str(MAX_ATTEMPTS) in email.last_error


def test_who_gets_no_email(alice: User, bob: User) -> None:
    unverified = make_user("unverified@example.com", verified=False)
    inactive = make_user("inactive@example.com", is_active=False)
    reminders = {}
    for person in (unverified, inactive, bob):
        reminders[person.email], due = due_reminder(person)
    done, _due = due_reminder(alice)
    write_due_notices(now=due)
    from reminders.services import complete_reminder

    complete_reminder(user=alice, reminder_id=done.pk)  # done before the email left
    sent = send_emails(claim_emails(now=due, queue=False))

    assert sent == 1
    assert [m.to for m in mail.outbox] == [[bob.email]]
    reasons = dict(
        Delivery.objects.filter(channel=Channel.EMAIL, status=DeliveryStatus.FAILED).values_list(
            "user__email", "last_error"
        )
    )
    assert reasons == {
        unverified.email: "Not sent: the email address is not verified.",
        inactive.email: "Not sent: the account is deactivated.",
        alice.email: "Not sent: the reminder was already done or cancelled.",
    }


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for attempts, minutes in ((1, 1), (2, 2), (3, 4), (5, 16), (20, 60)):
        wait = backoff(attempts)
        assert timedelta(minutes=minutes) * 0.5 <= wait < timedelta(minutes=minutes) * 1.5


def test_a_refusal_for_now_is_retried_with_backoff_then_failed_with_the_reason(alice: User) -> None:
    reminder, due = due_reminder(alice)
    write_due_notices(now=due)
    with (
        smtp_server() as (handler, port),
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
        ),
    ):
        handler.reply = "451 4.3.0 Mailbox busy, try later"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            before = timezone.now()
            ids = claim_emails(
                now=max(before, Delivery.objects.get(channel="email").available_at), queue=False
            )
            assert len(ids) == 1
            assert send_emails(ids) == 0
            email = Delivery.objects.get(reminder=reminder, channel=Channel.EMAIL)
            assert email.attempts == attempt
            assert email.last_error == "SMTP 451: 4.3.0 Mailbox busy, try later"
            if attempt < MAX_ATTEMPTS:
                assert email.status == DeliveryStatus.PENDING
                low = backoff_floor = timedelta(minutes=2 ** (attempt - 1)) * 0.5
                assert before + low <= email.available_at, backoff_floor
            else:
                assert email.status == DeliveryStatus.FAILED
        assert handler.messages == []


def test_a_permanent_refusal_fails_at_once_and_a_good_server_gets_one_message(alice: User, bob: User) -> None:
    refused, due = due_reminder(alice, title="Refused")
    write_due_notices(now=due)
    with (
        smtp_server() as (handler, port),
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
        ),
    ):
        handler.reply = "550 5.1.1 No such user here"
        assert send_emails(claim_emails(now=due, queue=False)) == 0
        email = Delivery.objects.get(reminder=refused, channel=Channel.EMAIL)
        assert (email.status, email.attempts) == (DeliveryStatus.FAILED, 1)
        assert email.last_error == "SMTP 550: 5.1.1 No such user here"

        handler.reply = ""
        _accepted, due = due_reminder(bob, title="Accepted")
        write_due_notices(now=due)
        assert send_emails(claim_emails(now=due, queue=False)) == 1
        assert [envelope.rcpt_tos for envelope in handler.messages] == [[bob.email]]
        assert b"Accepted" in handler.messages[0].content


def test_a_mail_server_that_is_down_is_retried_without_secrets_in_the_reason(alice: User) -> None:
    reminder, due = due_reminder(alice)
    write_due_notices(now=due)
    from conftest import free_port

    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),  # nobody listens
        EMAIL_HOST_PASSWORD="hunter2-secret",
    ):
        assert send_emails(claim_emails(now=due, queue=False)) == 0
    email = Delivery.objects.get(reminder=reminder, channel=Channel.EMAIL)
    assert email.status == DeliveryStatus.PENDING
    assert email.attempts == 1
    assert email.last_error.startswith("ConnectionRefusedError")
    assert "hunter2" not in email.last_error


def test_a_failure_reason_never_carries_the_password() -> None:
    with override_settings(EMAIL_HOST_PASSWORD="s3cret-pass"):
        assert "s3cret" not in failure_reason(OSError("login with s3cret-pass refused\x00"))


def test_one_pass_writes_then_claims(alice: User) -> None:
    _reminder, due = due_reminder(alice)
    result = dispatch_pass(now=due, queue=False)
    assert result.as_dict() == {"reminders": 1, "in_app": 1, "emails_written": 1, "emails_claimed": 1}
    assert send_emails(result.claimed_ids) == 1


# --- Two dispatchers at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_dispatchers_running_at_once_deliver_each_notice_once() -> None:
    people = [make_user(f"person{n}@example.com") for n in range(20)]
    moment = timezone.now() + timedelta(days=3)
    for person in people:
        for _ in range(15):
            due_reminder(person, lead_minutes=3 * 24 * 60)  # all due by ``moment``
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            barrier.wait()
            while True:
                result = dispatch_pass(now=moment, write_batch=20, claim_batch=10, queue=False)
                send_emails(result.claimed_ids)
                if not result.reminders and not result.emails_claimed:
                    break
        except BaseException as exc:  # reported below, with its traceback
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    assert len(mail.outbox) == 300
    assert len({(m.to[0], m.subject, m.body) for m in mail.outbox}) == 300
    assert Delivery.objects.filter(channel=Channel.EMAIL, status=DeliveryStatus.SENT).count() == 300
    assert Notification.objects.count() == 300
    assert not Reminder.objects.filter(next_fire_at__isnull=False).exists()


# --- Sending in chunks ----------------------------------------------------------------------------


def test_chunks_send_every_delivery_once_with_its_own_outcome(alice: User, bob: User) -> None:
    unverified = make_user("unverified@example.com", verified=False)
    for person in (alice, bob, alice, bob, unverified, alice, bob):
        _reminder, due = due_reminder(person)
    write_due_notices(now=due)
    ids = claim_emails(now=due, queue=False)
    assert len(ids) == 7

    assert send_emails(ids + ids, chunk=2) == 6  # repeated ids: each once

    assert len(mail.outbox) == 6
    rows = Delivery.objects.filter(channel=Channel.EMAIL)
    assert sorted(rows.values_list("status", flat=True)) == ["failed"] + ["sent"] * 6
    assert rows.get(status=DeliveryStatus.FAILED).last_error == "Not sent: the email address is not verified."
    assert not rows.filter(status=DeliveryStatus.SENT, sent_at__isnull=True).exists()
    assert send_emails(ids, chunk=2) == 0
    assert len(mail.outbox) == 6


@pytest.mark.django_db(transaction=True)
def test_a_row_held_by_another_sender_is_skipped_and_the_rest_of_its_chunk_goes() -> None:
    people = [make_user(f"chunk{n}@example.com") for n in range(3)]
    for person in people:
        _reminder, due = due_reminder(person)
    write_due_notices(now=due)
    ids = claim_emails(now=due, queue=False)
    held = threading.Event()
    release = threading.Event()

    def other_sender() -> None:
        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().filter(pk=ids[1]).get()
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_sender)
    thread.start()
    try:
        assert held.wait(timeout=30)
        assert send_emails(ids, chunk=3) == 2
    finally:
        release.set()
        thread.join(timeout=30)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.email for p in people if p.pk != Delivery.objects.get(pk=ids[1]).user_id
    )
    assert Delivery.objects.get(pk=ids[1]).status == DeliveryStatus.PENDING
    assert send_emails(ids) == 1  # once the other lets go (and never sent it), it goes
    assert len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_a_row_locked_for_a_moment_by_a_stale_claim_is_still_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    # A claim whose snapshot predates ours locks the rows it then skips, until it commits: the
    # sender looks again after a pause instead of leaving them to wait out their lease.
    import importlib

    dispatch_module = importlib.import_module("reminders.services.dispatch")  # the module, not the pass
    person = make_user("moment@example.com")
    _reminder, due = due_reminder(person)
    write_due_notices(now=due)
    ids = claim_emails(now=due, queue=False)
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def claimer() -> None:
        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().filter(pk=ids[0]).get()
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()
            done.set()

    def pause(_seconds: float) -> None:  # the claim commits during the sender's pause
        release.set()
        assert done.wait(timeout=30)

    monkeypatch.setattr(dispatch_module, "_pause", pause)
    thread = threading.Thread(target=claimer)
    thread.start()
    assert held.wait(timeout=30)
    try:
        assert send_emails(ids) == 1
    finally:
        release.set()
        thread.join(timeout=30)
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert Delivery.objects.get(pk=ids[0]).status == DeliveryStatus.SENT


class ExplodingBackend(locmem.EmailBackend):
    """locmem, but the second message of a connection raises what no SMTP backend would."""

    def send_messages(self, messages: Any) -> int:
        self.count = getattr(self, "count", 0) + 1
        if self.count == 2:
            raise RuntimeError("a bug in the backend")
        return super().send_messages(messages)


def test_an_unexpected_error_mid_chunk_keeps_what_went_marked_sent(alice: User, bob: User) -> None:
    carol = make_user("carol@example.com")
    for person in (alice, bob, carol):
        _reminder, due = due_reminder(person)
    write_due_notices(now=due)
    ids = claim_emails(now=due, queue=False)
    with (
        override_settings(EMAIL_BACKEND="reminders.tests.test_dispatch.ExplodingBackend"),
        pytest.raises(RuntimeError, match="a bug in the backend"),
    ):
        send_emails(ids)
    assert len(mail.outbox) == 1
    first = Delivery.objects.get(pk=ids[0])
    assert (first.status, first.sent_at is not None) == (DeliveryStatus.SENT, True)
    assert list(Delivery.objects.filter(pk__in=ids[1:]).values_list("status", flat=True)) == ["pending"] * 2

    again = claim_emails(now=due + EMAIL_LEASE, queue=False)  # after the lease: the rest, not the first
    assert sorted(again) == sorted(ids[1:])
    assert send_emails(again) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in (alice, bob, carol))
