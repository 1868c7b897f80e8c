"""Dispatch: a reminder's notices written once per occurrence and channel, then sent.

One pass (``dispatch``, run by the ``dispatch_reminders`` beat task every few seconds and by
``manage.py dispatch_reminders``):

1. ``write_due_notices``, batch after batch: in one durable transaction, claim up to ``batch``
   reminders whose ``next_fire_at`` has come (``FOR UPDATE SKIP LOCKED``: two dispatchers never take
   the same row, and neither waits for the other). For each:
   a. a snooze that has ended: notices for (current occurrence, snooze round); the reminder is
      pending again;
   b. every occurrence whose notice is due (``occurrence - lead <= now``): notices for (occurrence,
      round 0), and ``fire_occurrence`` moves to the schedule's next occurrence. Of occurrences
      already *past* when the dispatcher gets to them (it was stopped for a while), only the latest
      is notified: a daily reminder after a week's outage sends one notice, not seven. Occurrences
      still to come are all notified (a weekly reminder with a 30-day notice gets four at once
      when it is created: each was asked for);
   c. ``next_fire_at`` recomputed (``services.refresh_next_fire``), saved with the batch.
   A notice is one ``Delivery`` per enabled channel, inserted with ``ON CONFLICT DO NOTHING
   RETURNING``: the unique (reminder, occurrence, round, channel) row is the idempotency key, and
   only rows this statement inserted are acted on. In-app: the notification (key
   ``reminder:<id>:<occurrence>:<round>``, idempotent too) is written and the delivery marked sent
   in the same transaction. Email: the delivery waits, pending, claimable from its due time or,
   in the person's quiet hours, from their end.
2. ``claim_emails``: pending email deliveries whose ``available_at`` has come are leased
   (``available_at = now + lease``, ``attempts + 1``), ``FOR UPDATE SKIP LOCKED``, and the send task
   is queued with their ids once the claim commits. A sender that dies holding a lease loses
   nothing: the row is claimable again when the lease runs out.
3. ``send_emails`` (the task): over one SMTP connection, the deliveries go in chunks of
   ``_SEND_CHUNK`` (50). Each chunk is one transaction: its rows are locked (``FOR UPDATE SKIP
   LOCKED``; rows no longer pending or held by another sender are skipped), read again under the
   lock (a reminder completed meanwhile is refused), rendered and sent one by one, and then marked
   in one ``UPDATE`` per outcome (sent with each message's own ``sent_at``; failed; retry later),
   and committed once. The sends sit inside the rows' locks on purpose: the lock, not the lease, is
   what keeps a second sender (a redelivered task, a re-claim after a lease ran out mid-send) from
   sending them again. A chunk holds its locks for up to 50 SMTP exchanges (each bounded by
   ``EMAIL_TIMEOUT``; a lost connection stops the rest at once). It commits with
   ``synchronous_commit = off``: a commit costs ~0.3 ms instead of a WAL flush (~3 ms here).
   **The crash window**: the chunk's marks commit after its last send. A worker that dies between
   an SMTP server's "250 OK" and that commit (or PostgreSQL crashing within ~0.6 s of the commit,
   with the WAL not yet flushed) leaves those rows pending, leased: after the lease they are claimed
   and sent again, so **at most one chunk (50 emails) goes twice** per crash. Email has no
   idempotency key; at-least-once is the limit at that point, and the chunk size is the price of
   committing once per 50 messages instead of once per message. An unexpected error mid-chunk (a
   bug, a Celery soft time limit) commits the marks of what went before it, then is raised.
   Rows a chunk found locked get a second look after ``SKIPPED_RETRY_PAUSE``: a concurrent claim
   whose snapshot predates ours locks rows it then skips, until it commits.
   A failure waits an exponential backoff with jitter and is retried; a permanent refusal (SMTP
   5xx) or the ``MAX_ATTEMPTS``-th failure marks it failed with the reason.

Who gets email: an active user, at their primary address if it is verified (allauth's
``EmailAddress``). Otherwise the delivery is failed with that reason, never retried: a deactivated
account or an unconfirmed address gets no reminders (the in-app notice is still written). A
delivery whose occurrence the person has already completed (or whose reminder was cancelled) before
the email left (quiet hours held it) is not sent either: failed, "already done".
"""

from __future__ import annotations

import logging
import random
import smtplib
import time as monotonic_time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from javari.text import truncate_graphemes
from reminders.errors import InvalidTimeZone
from reminders.models import (
    TITLE_MAX_CHARS,
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationKind,
    Reminder,
    ReminderStatus,
)
from reminders.recurrence import to_utc, to_wall, zone_named
from reminders.services.notifications import BODY_MAX_CHARS, _safe_url
from reminders.services.reminders import refresh_next_fire, schedule_of
from reminders.text import clean_text

logger = logging.getLogger(__name__)

# How long a claimed email is leased to its sender: the send task must run within this. A sender that
# dies is replaced by the next claim after it; a slow queue only costs an attempt (the lock below
# still keeps it from going twice).
EMAIL_LEASE = timedelta(minutes=5)
# Attempts (claims) before an email is failed for good, and the backoff between them: 1, 2, 4, 8,
# 16 minutes (±50% jitter, so a mail server coming back isn't met by every retry at once).
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
# A pass stops taking new batches after this long (the beat ticks every 5 s; a pass still running
# at the next tick simply shares the work with it: SKIP LOCKED).
PASS_BUDGET_SECONDS = 4.0
MAX_WRITE_BATCHES = 200
MAX_CLAIM_BATCHES = 200
# Past occurrences a reminder's catch-up looks at before it jumps straight to the next one to come.
CATCH_UP_SCAN = 1_000
LAST_ERROR_MAX_CHARS = 500


@dataclass
class DispatchResult:
    """What one pass did: reminders taken, deliveries written (by channel), emails claimed."""

    reminders: int = 0
    in_app: int = 0
    emails_written: int = 0
    emails_claimed: int = 0
    claimed_ids: list[int] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, int]:
        return {
            "reminders": self.reminders,
            "in_app": self.in_app,
            "emails_written": self.emails_written,
            "emails_claimed": self.emails_claimed,
        }


def notification_key(reminder_id: object, occurrence: datetime, snooze_round: int) -> str:
    """The in-app notification's idempotency key for one notice."""
    return f"reminder:{reminder_id}:{occurrence.isoformat()}:{snooze_round}"


# --- Quiet hours ----------------------------------------------------------------------------------


def quiet_hours_end(
    moment: datetime, *, zone: ZoneInfo, start: time | None, end: time | None
) -> datetime | None:
    """When the quiet hours around ``moment`` end (UTC), or None when ``moment`` is not in them.

    ``start``/``end`` are wall times in ``zone``; a range may cross midnight (22:00 to 07:00); equal or
    missing times mean no quiet hours. The end is read by the recurrence rule (a wall time in a
    DST gap takes the offset before the gap).
    """
    if start is None or end is None or start == end:
        return None
    wall = to_wall(moment, zone)
    now_time = wall.time()
    quiet = start <= now_time < end if start < end else now_time >= start or now_time < end
    if not quiet:
        return None
    end_date = wall.date() if now_time < end else wall.date() + timedelta(days=1)
    return max(to_utc(datetime.combine(end_date, end), zone), moment)


def _email_times(user_ids: Iterable[Any]) -> dict[Any, tuple[ZoneInfo, time | None, time | None]]:
    """Each person's zone and quiet hours, in one query (people with no saved settings: UTC, none)."""
    from preferences.models import UserPreferences

    rows = UserPreferences.objects.filter(user_id__in=set(user_ids)).values_list(
        "user_id", "time_zone", "quiet_hours_start", "quiet_hours_end"
    )
    times = {}
    for user_id, zone_name, start, end in rows:
        try:
            zone = zone_named(zone_name or "UTC")
        except InvalidTimeZone:  # a zone the tz database no longer has: UTC rather than no email
            zone = zone_named("UTC")
        times[user_id] = (zone, start, end)
    return times


# --- 1. Writing the notices -----------------------------------------------------------------------


@dataclass
class _Notice:
    reminder: Reminder
    occurrence: datetime
    snooze_round: int
    due_at: datetime


def _notices_of(reminder: Reminder, *, now: datetime) -> list[_Notice]:
    """The notices due for ``reminder`` at ``now``; moves its snooze and fire occurrence on (no save)."""
    notices: list[_Notice] = []
    if not reminder.is_open:  # completed or cancelled under a stale next_fire_at: nothing to tell
        reminder.fire_occurrence = None
        reminder.snoozed_until = None
        refresh_next_fire(reminder)
        return notices
    if (
        reminder.status == ReminderStatus.SNOOZED
        and reminder.snoozed_until is not None
        and reminder.snoozed_until <= now
    ):
        notices.append(_Notice(reminder, reminder.due_at, reminder.snooze_round, reminder.snoozed_until))
        reminder.status = ReminderStatus.PENDING
        reminder.snoozed_until = None
    lead = timedelta(minutes=reminder.lead_minutes)
    schedule = schedule_of(reminder) if reminder.repeats else None
    latest_past: datetime | None = None
    scanned = 0
    occurrence = reminder.fire_occurrence
    while occurrence is not None and occurrence - lead <= now:
        if occurrence <= now:
            latest_past = occurrence  # only the latest of the past ones is told (docstring, 1b)
        else:
            notices.append(_Notice(reminder, occurrence, 0, occurrence - lead))
        scanned += 1
        if schedule is None:
            occurrence = None
        elif scanned >= CATCH_UP_SCAN and occurrence <= now:
            occurrence = schedule.next_after(now)  # a long outage of a frequent rule: jump ahead
        else:
            occurrence = schedule.next_after(occurrence)
    if latest_past is not None:
        notices.insert(0, _Notice(reminder, latest_past, 0, latest_past - lead))
    reminder.fire_occurrence = occurrence
    refresh_next_fire(reminder)
    return notices


_INSERT_DELIVERIES = """
    INSERT INTO reminders_delivery
        (reminder_id, user_id, occurrence, snooze_round, channel, due_at, status, available_at,
         attempts, last_error, sent_at, created_at)
    SELECT r, u, o, n, c, d, s, a, 0, '', t, %s
    FROM unnest(%s::uuid[], %s::uuid[], %s::timestamptz[], %s::smallint[], %s::varchar[],
                %s::timestamptz[], %s::varchar[], %s::timestamptz[], %s::timestamptz[])
        AS v(r, u, o, n, c, d, s, a, t)
    ON CONFLICT (reminder_id, occurrence, snooze_round, channel) DO NOTHING
    RETURNING reminder_id, occurrence, snooze_round, channel
"""

_UPDATE_REMINDERS = """
    UPDATE reminders_reminder AS r
    SET status = v.s, snoozed_until = v.su, fire_occurrence = v.fo, next_fire_at = v.nf, updated_at = %s
    FROM unnest(%s::uuid[], %s::varchar[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[])
        AS v(id, s, su, fo, nf)
    WHERE r.id = v.id
"""


def _write_batch(*, now: datetime, batch: int) -> tuple[int, int, int]:
    """One batch of step 1, committed: (reminders taken, in-app deliveries, email deliveries)."""
    with transaction.atomic(durable=True):
        reminders = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_fire_at__lte=now)
            .order_by("next_fire_at")[:batch]
        )
        if not reminders:
            return 0, 0, 0
        notices = [notice for reminder in reminders for notice in _notices_of(reminder, now=now)]
        email_reminders = {notice.reminder.user_id for notice in notices if notice.reminder.notify_email}
        times = _email_times(email_reminders) if email_reminders else {}
        rows: list[tuple[Any, ...]] = []
        for notice in notices:
            reminder = notice.reminder
            if reminder.notify_in_app:
                rows.append((notice, Channel.IN_APP, DeliveryStatus.SENT, now, now))
            if reminder.notify_email:
                zone, start, end = times.get(reminder.user_id, (zone_named("UTC"), None, None))
                available = max(notice.due_at, now)
                available = quiet_hours_end(available, zone=zone, start=start, end=end) or notice.due_at
                rows.append((notice, Channel.EMAIL, DeliveryStatus.PENDING, available, None))
        inserted: set[tuple[Any, datetime, int, str]] = set()
        if rows:
            with connection.cursor() as cursor:
                cursor.execute(
                    _INSERT_DELIVERIES,
                    [
                        now,
                        [row[0].reminder.pk for row in rows],
                        [row[0].reminder.user_id for row in rows],
                        [row[0].occurrence for row in rows],
                        [row[0].snooze_round for row in rows],
                        [str(row[1]) for row in rows],
                        [row[0].due_at for row in rows],
                        [str(row[2]) for row in rows],
                        [row[3] for row in rows],
                        [row[4] for row in rows],
                    ],
                )
                inserted = {(r, o, n, c) for r, o, n, c in cursor.fetchall()}
        notifications = []
        in_app = emails = 0
        for notice, channel, _status, _available, _sent in rows:
            reminder = notice.reminder
            if (reminder.pk, notice.occurrence, notice.snooze_round, channel) not in inserted:
                continue  # written before (another pass, a retry): acted on then, not again
            if channel == Channel.EMAIL:
                emails += 1
                continue
            in_app += 1
            notifications.append(
                # What services.notify stores, for a whole batch in one statement (the same key
                # keeps it idempotent: ignore_conflicts is ON CONFLICT DO NOTHING).
                Notification(
                    user_id=reminder.user_id,
                    kind=NotificationKind.REMINDER,
                    title=truncate_graphemes(clean_text(reminder.title), TITLE_MAX_CHARS),
                    body=truncate_graphemes(clean_text(reminder.description), BODY_MAX_CHARS),
                    url=_safe_url(f"/reminders/{reminder.pk}/"),
                    idempotency_key=notification_key(reminder.pk, notice.occurrence, notice.snooze_round),
                    created_at=now,
                )
            )
        if notifications:
            Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        with connection.cursor() as cursor:
            cursor.execute(
                _UPDATE_REMINDERS,
                [
                    now,
                    [reminder.pk for reminder in reminders],
                    [reminder.status for reminder in reminders],
                    [reminder.snoozed_until for reminder in reminders],
                    [reminder.fire_occurrence for reminder in reminders],
                    [reminder.next_fire_at for reminder in reminders],
                ],
            )
    return len(reminders), in_app, emails


def write_due_notices(*, now: datetime | None = None, batch: int = 500) -> int:
    """Write the notices of up to ``batch`` due reminders (step 1 above) in one durable transaction;
    returns how many reminders it took (fewer than ``batch``: none are left due)."""
    taken, _in_app, _emails = _write_batch(now=now or timezone.now(), batch=batch)
    return taken


# --- 2. Claiming emails ---------------------------------------------------------------------------

_GIVE_UP = """
    UPDATE reminders_delivery SET status = 'failed', last_error = %s
    WHERE id IN (
        SELECT id FROM reminders_delivery
        WHERE status = 'pending' AND channel = 'email' AND available_at <= %s AND attempts >= %s
        FOR UPDATE SKIP LOCKED
    )
"""

_CLAIM = """
    UPDATE reminders_delivery SET available_at = %s, attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM reminders_delivery
        WHERE status = 'pending' AND channel = 'email' AND available_at <= %s
        ORDER BY available_at
        LIMIT %s
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
"""


def claim_emails(
    *, now: datetime | None = None, batch: int = 100, lease: timedelta = EMAIL_LEASE, queue: bool = True
) -> list[int]:
    """Lease up to ``batch`` email deliveries that are ready (step 2 above) and, with ``queue``, have
    ``send_reminder_emails`` send them once the claim commits; returns their ids, oldest first.

    A delivery leased ``MAX_ATTEMPTS`` times whose last lease ran out unsent (its sender died each
    time) is failed here instead.
    """
    from javari.tasks import enqueue_on_commit
    from reminders.tasks import send_reminder_emails

    now = now or timezone.now()
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute(_GIVE_UP, [_gave_up_reason(), now, MAX_ATTEMPTS])
            cursor.execute(_CLAIM, [now + lease, now, batch])
            ids = sorted(row[0] for row in cursor.fetchall())
        if ids and queue:
            enqueue_on_commit(send_reminder_emails, *ids)
    return ids


def _gave_up_reason() -> str:
    return str(_("No sender finished after %(count)s attempts.") % {"count": MAX_ATTEMPTS})


# --- 3. Sending -----------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """How long a delivery waits after its ``attempts``-th failure: doubling from 1 minute, capped at an
    hour, times a random factor in [0.5, 1.5)."""
    base = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)
    return base * (0.5 + random.random())  # noqa: S311 (jitter, not a secret)


def failure_reason(exc: BaseException) -> str:
    """A failure told without secrets: the SMTP code and reply, or the error's kind and message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _reply in exc.recipients.values()})
        text = f"SMTP {', '.join(str(code) for code in codes)}: recipient refused"
    elif isinstance(exc, smtplib.SMTPResponseException):
        reply = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        text = f"SMTP {exc.smtp_code}: {reply}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    password = getattr(settings, "EMAIL_HOST_PASSWORD", "")
    if password:
        text = text.replace(password, "••••")
    return " ".join(clean_text(text).split())[:LAST_ERROR_MAX_CHARS]


def is_permanent(exc: BaseException) -> bool:
    """An SMTP 5xx reply (no such mailbox, refused): trying again won't help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _reply in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def _verified_addresses(user_ids: Iterable[Any]) -> set[tuple[Any, str]]:
    from allauth.account.models import EmailAddress

    return {
        (user_id, email.lower())
        for user_id, email in EmailAddress.objects.filter(
            user_id__in=set(user_ids), verified=True
        ).values_list("user_id", "email")
    }


def _refusal(delivery: Delivery, verified: set[tuple[Any, str]]) -> str:
    """Why this delivery is not to be sent at all, or ''."""
    user, reminder = delivery.user, delivery.reminder
    if not user.is_active:
        return str(_("Not sent: the account is deactivated."))
    if (user.pk, user.email.lower()) not in verified:
        return str(_("Not sent: the email address is not verified."))
    if not reminder.is_open or delivery.occurrence < reminder.due_at:
        return str(_("Not sent: the reminder was already done or cancelled."))
    return ""


_SEND_CHUNK = 50  # deliveries locked, sent and marked per transaction (the module docstring, step 3)
SKIPPED_RETRY_PAUSE = 0.05  # seconds before a second look at the rows a chunk found locked

_LOCK_CHUNK = """
    SELECT id, attempts FROM reminders_delivery
    WHERE id = ANY(%s) AND status = 'pending' AND channel = 'email'
    ORDER BY id
    FOR UPDATE SKIP LOCKED
"""

_MARK_SENT = """
    UPDATE reminders_delivery AS d SET status = 'sent', sent_at = v.t, last_error = ''
    FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, t)
    WHERE d.id = v.id
"""

_MARK_FAILED = """
    UPDATE reminders_delivery AS d SET status = 'failed', last_error = v.e
    FROM unnest(%s::bigint[], %s::text[]) AS v(id, e)
    WHERE d.id = v.id
"""

_MARK_RETRY = """
    UPDATE reminders_delivery AS d SET available_at = v.a, last_error = v.e
    FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[]) AS v(id, a, e)
    WHERE d.id = v.id
"""


def send_emails(
    delivery_ids: Sequence[int], *, now: Callable[[], datetime] = timezone.now, chunk: int = _SEND_CHUNK
) -> int:
    """Send the given email deliveries (step 3 above); returns how many were sent now.

    Ids that are gone, sent, failed, or locked by another sender are skipped quietly, so the task is
    safe to run twice. One SMTP connection serves the whole list; the rows are locked, sent and
    marked ``chunk`` at a time, one transaction (and one statement per outcome) a chunk.
    """
    ids = sorted({int(value) for value in delivery_ids})
    if not ids:
        return 0
    mail = get_connection(fail_silently=False)
    sent = 0
    down: BaseException | None = None  # the server refused the connection: don't try the rest
    try:
        try:
            mail.open()  # one connection for the list (send_messages would open and close one each)
        except (smtplib.SMTPException, OSError) as exc:
            down = exc
        skipped: list[int] = []
        for begin in range(0, len(ids), max(chunk, 1)):
            chunk_sent, down = _send_chunk(
                ids[begin : begin + max(chunk, 1)], mail=mail, down=down, now=now, skipped=skipped
            )
            sent += chunk_sent
        if skipped:
            # A row can be locked for a moment by a claim that saw it before ours committed (its
            # FOR UPDATE locks the new version, re-checks it and skips it, and keeps the lock until
            # it commits, milliseconds later). Skipped for good, it would wait for its lease: look
            # once more after a pause. A row still locked then is another sender's.
            _pause(SKIPPED_RETRY_PAUSE)
            for begin in range(0, len(skipped), max(chunk, 1)):
                chunk_sent, down = _send_chunk(
                    skipped[begin : begin + max(chunk, 1)], mail=mail, down=down, now=now, skipped=[]
                )
                sent += chunk_sent
    finally:
        try:
            mail.close()
        except (smtplib.SMTPException, OSError):
            logger.warning("Closing the SMTP connection failed", exc_info=True)
    return sent


def _pause(seconds: float) -> None:
    monotonic_time.sleep(seconds)


def _send_chunk(
    ids: list[int],
    *,
    mail: Any,
    down: BaseException | None,
    now: Callable[[], datetime],
    skipped: list[int],
) -> tuple[int, BaseException | None]:
    """Lock what is still pending of ``ids`` (SKIP LOCKED), send it, mark it, commit: (sent, down).
    The ids it did not get (locked, or no longer pending) are appended to ``skipped``."""
    from reminders.emails import reminder_email

    sent_rows: list[tuple[int, datetime]] = []
    failed_rows: list[tuple[int, str]] = []
    retry_rows: list[tuple[int, datetime, str]] = []
    # An unexpected error mid-chunk (not an SMTP one: those are outcomes) stops the chunk, but the
    # messages already sent are still marked and committed before it is raised; the rest stay
    # pending and leased, and go after the lease.
    problem: Exception | None = None
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")  # why: the module docstring
            cursor.execute(_LOCK_CHUNK, [ids])
            attempts = dict(cursor.fetchall())
        skipped.extend(pk for pk in ids if pk not in attempts)
        if not attempts:
            return 0, down  # sent, failed or being sent by another: not ours to touch
        # Read under the lock: a reminder completed while the email waited is seen here.
        deliveries = list(
            Delivery.objects.select_related("reminder", "user").filter(pk__in=list(attempts)).order_by("pk")
        )
        user_ids = {delivery.user_id for delivery in deliveries}
        verified = _verified_addresses(user_ids)
        zones = {user_id: zone.key for user_id, (zone, _start, _end) in _email_times(user_ids).items()}
        for delivery in deliveries:
            try:
                refusal = _refusal(delivery, verified)
                message = (
                    None
                    if refusal
                    else reminder_email(
                        delivery, connection=mail, zone_name=zones.get(delivery.user_id, "UTC")
                    )
                )
            except Exception as exc:  # a bug, a time limit: what went already is marked, then it raises
                problem = exc
                break
            if message is None:
                failed_rows.append((delivery.pk, refusal))
                continue
            error: BaseException | None = down
            if error is None:
                try:
                    message.send()
                except (smtplib.SMTPException, OSError) as exc:
                    error = exc
                    # SMTPException is an OSError too: only a lost connection stops the rest.
                    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError) or (
                        not isinstance(exc, smtplib.SMTPException)
                    ):
                        down = exc
                except Exception as exc:  # as above: the chunk's sent ones must not be sent twice
                    problem = exc
                    break
            if error is None:
                sent_rows.append((delivery.pk, now()))
            elif is_permanent(error) or attempts[delivery.pk] >= MAX_ATTEMPTS:
                failed_rows.append((delivery.pk, failure_reason(error)))
            else:
                retry_rows.append(
                    (delivery.pk, now() + backoff(attempts[delivery.pk]), failure_reason(error))
                )
        with connection.cursor() as cursor:
            if sent_rows:
                cursor.execute(_MARK_SENT, [[pk for pk, _t in sent_rows], [t for _pk, t in sent_rows]])
            if failed_rows:
                cursor.execute(_MARK_FAILED, [[pk for pk, _e in failed_rows], [e for _pk, e in failed_rows]])
            if retry_rows:
                cursor.execute(
                    _MARK_RETRY,
                    [
                        [row[0] for row in retry_rows],
                        [row[1] for row in retry_rows],
                        [row[2] for row in retry_rows],
                    ],
                )
    if problem is not None:
        raise problem
    return len(sent_rows), down


def retry_deliveries(*, delivery_ids: Iterable[int], now: datetime | None = None) -> int:
    """Put failed email deliveries back in line (staff, after fixing the mail server): pending, ready
    now, attempts from zero. Returns how many. Durable."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        return Delivery.objects.filter(
            pk__in=list(delivery_ids), channel=Channel.EMAIL, status=DeliveryStatus.FAILED
        ).update(status=DeliveryStatus.PENDING, available_at=now, attempts=0, last_error="")


# --- One pass -------------------------------------------------------------------------------------


def dispatch(
    *,
    now: datetime | None = None,
    write_batch: int = 500,
    claim_batch: int = 100,
    queue: bool = True,
    budget_seconds: float = PASS_BUDGET_SECONDS,
) -> DispatchResult:
    """One pass: write every due notice, then claim the ready emails (queued to the send task with
    ``queue``); batches stop early after ``budget_seconds``. What the beat task and
    ``manage.py dispatch_reminders`` run."""

    def at() -> datetime:
        return now or timezone.now()  # a pass on the clock reads it again for each batch

    result = DispatchResult()
    deadline = monotonic_time.monotonic() + budget_seconds
    for _round in range(MAX_WRITE_BATCHES):
        taken, in_app, emails = _write_batch(now=at(), batch=write_batch)
        result.reminders += taken
        result.in_app += in_app
        result.emails_written += emails
        if taken < write_batch or monotonic_time.monotonic() > deadline:
            break
    for _round in range(MAX_CLAIM_BATCHES):
        ids = claim_emails(now=at(), batch=claim_batch, queue=queue)
        result.emails_claimed += len(ids)
        result.claimed_ids.extend(ids)
        if len(ids) < claim_batch or monotonic_time.monotonic() > deadline:
            break
    return result
