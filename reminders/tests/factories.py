"""factory-boy factories for reminders. Reminders go through ``services.create_reminder`` (which
computes the UTC times from the wall time, zone and rule), so a factory's reminder is one a
person could have made:

- ``ReminderFactory(user=alice)``: a one-off reminder tomorrow at 09:00 UTC, notified a day before;
  any ``EDITABLE_FIELDS`` keyword (``recurrence="weekly"``, ``time_zone="Europe/Madrid"``…) and
  ``now=`` (the creation time, for reminders whose first occurrence is in the past) pass through.
- ``NotificationFactory(user=alice)``: an unread in-app notification, through ``services.notify``.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from reminders.models import Notification, NotificationKind, Reminder
from reminders.services import create_reminder
from reminders.services.notifications import notify


class ReminderFactory(DjangoModelFactory):
    class Meta:
        model = Reminder

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Reminder {n}")
    start_date = factory.LazyFunction(lambda: timezone.now().date() + timedelta(days=1))
    start_time = time(9, 0)
    time_zone = "UTC"

    @classmethod
    def _create(cls, model_class: type[Reminder], *args: Any, **kwargs: Any) -> Reminder:
        return create_reminder(**kwargs)


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = NotificationKind.SYSTEM
    title = factory.Sequence(lambda n: f"Notification {n}")
    idempotency_key = factory.Sequence(lambda n: f"test:{n}")

    @classmethod
    def _create(cls, model_class: type[Notification], *args: Any, **kwargs: Any) -> Notification:
        return notify(**kwargs)
