"""Reads of a person's reminders and their deliveries, for the reminders pages (and anyone else).

Every selector takes the user it reads for. The three lists of ``/reminders/``:

- upcoming: open (pending or snoozed) and not overdue, soonest first;
- overdue: pending with ``due_at`` before now, oldest first (the one waiting longest on top);
- done: completed and cancelled, newest first (by when they were completed, else last changed).

A snoozed reminder whose occurrence has passed is "upcoming" (the person chose to be told later),
so the lists never overlap and the counts add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from reminders.models import Delivery, DeliveryStatus, Reminder, ReminderStatus, ReminderType

TABS = ("upcoming", "overdue", "done")
PAGE_SIZE = 20
DELIVERIES_SHOWN = 20


def _filtered(queryset: QuerySet[Reminder], reminder_type: str | None) -> QuerySet[Reminder]:
    if reminder_type and reminder_type in ReminderType.values:
        return queryset.filter(reminder_type=reminder_type)
    return queryset


def _overdue_q(now: datetime) -> Q:
    return Q(status=ReminderStatus.PENDING, due_at__lt=now)


def _upcoming_q(now: datetime) -> Q:
    return Q(status=ReminderStatus.SNOOZED) | Q(status=ReminderStatus.PENDING, due_at__gte=now)


_DONE_Q = Q(status__in=[ReminderStatus.COMPLETED, ReminderStatus.CANCELLED])


def upcoming(
    *, user: User, reminder_type: str | None = None, now: datetime | None = None
) -> QuerySet[Reminder]:
    """Open reminders not overdue (snoozed ones included), soonest due first."""
    now = now or timezone.now()
    return _filtered(Reminder.objects.filter(_upcoming_q(now), user=user), reminder_type).order_by(
        "due_at", "id"
    )


def overdue(
    *, user: User, reminder_type: str | None = None, now: datetime | None = None
) -> QuerySet[Reminder]:
    """Pending reminders whose occurrence has passed, the longest waiting first."""
    now = now or timezone.now()
    return _filtered(Reminder.objects.filter(_overdue_q(now), user=user), reminder_type).order_by(
        "due_at", "id"
    )


def done(*, user: User, reminder_type: str | None = None) -> QuerySet[Reminder]:
    """Completed and cancelled reminders, newest first."""
    return _filtered(Reminder.objects.filter(_DONE_Q, user=user), reminder_type).order_by(
        Coalesce("completed_at", "updated_at").desc(), F("id").desc()
    )


def tab(
    *, user: User, name: str, reminder_type: str | None = None, now: datetime | None = None
) -> QuerySet[Reminder]:
    """The list of tab ``name`` (one of ``TABS``; anything else reads as upcoming)."""
    if name == "overdue":
        return overdue(user=user, reminder_type=reminder_type, now=now)
    if name == "done":
        return done(user=user, reminder_type=reminder_type)
    return upcoming(user=user, reminder_type=reminder_type, now=now)


def tab_page(
    *,
    user: User,
    name: str,
    page_number: str | int | None,
    reminder_type: str | None = None,
    now: datetime | None = None,
    per_page: int = PAGE_SIZE,
) -> Page:
    """One page of a tab; a missing or bad page number gives the first or last page."""
    return Paginator(tab(user=user, name=name, reminder_type=reminder_type, now=now), per_page).get_page(
        page_number
    )


@dataclass(frozen=True)
class Counts:
    upcoming: int
    overdue: int
    done: int


def counts(*, user: User, reminder_type: str | None = None, now: datetime | None = None) -> Counts:
    """How many reminders each tab holds, in one query."""
    now = now or timezone.now()
    totals = _filtered(Reminder.objects.filter(user=user), reminder_type).aggregate(
        upcoming=Count("pk", filter=_upcoming_q(now)),
        overdue=Count("pk", filter=_overdue_q(now)),
        done=Count("pk", filter=_DONE_Q),
    )
    return Counts(upcoming=totals["upcoming"], overdue=totals["overdue"], done=totals["done"])


def deliveries_for(*, user: User, reminder: Reminder, limit: int = DELIVERIES_SHOWN) -> list[Delivery]:
    """A reminder's most recent notices (any channel), newest first; empty for someone else's."""
    return list(Delivery.objects.filter(user=user, reminder=reminder).order_by("-due_at", "-id")[:limit])


def failed_deliveries(*, user: User, limit: int = DELIVERIES_SHOWN) -> QuerySet[Delivery]:
    """The person's notices that could not be sent, newest first, with their reminders."""
    return (
        Delivery.objects.filter(user=user, status=DeliveryStatus.FAILED)
        .select_related("reminder")
        .order_by("-due_at", "-id")[:limit]
    )


def open_for_integration(*, user: User, integration_id: UUID | str) -> QuerySet[Reminder]:
    """The person's open (pending or snoozed) reminders linked to one integration, oldest first:
    the integrations app keeps exactly one open ``rotate_keys`` reminder per integration."""
    return Reminder.objects.filter(
        user=user,
        related_integration_id=integration_id,
        status__in=[ReminderStatus.PENDING, ReminderStatus.SNOOZED],
    ).order_by("created_at", "id")
