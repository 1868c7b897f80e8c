"""Demo reminders for the demo account `make run` seeds, so the reminders page, the calendar and
the bell have something to show on a fresh machine. Made once: a demo account that has any
reminder (its own, or these from an earlier run) gets nothing new.
"""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from accounts.models import User
from reminders import services
from reminders.models import Recurrence, Reminder, ReminderType
from reminders.recurrence import to_wall, zone_named

DEMO_TIME_ZONE = "Europe/Madrid"


def seed_demo_reminders(user: User) -> int:
    """Create the demo reminders for ``user`` unless they have reminders; returns how many were made.

    Durable services: call it outside any transaction.
    """
    if Reminder.objects.filter(user=user).exists():
        return 0
    today = to_wall(timezone.now(), zone_named(DEMO_TIME_ZONE)).date()
    tomorrow = today + timedelta(days=1)
    next_monday = today + timedelta(days=7 - today.weekday())
    reminders = [
        {
            "title": "Weekly backup of the Supabase database",
            "reminder_type": ReminderType.BACKUP,
            "start_date": next_monday,
            "start_time": time(9, 0),
            "recurrence": Recurrence.WEEKLY,
            "lead_minutes": 60,
        },
        {
            "title": "Rotate the Vercel API token",
            "reminder_type": ReminderType.ROTATE_KEYS,
            "start_date": tomorrow,
            "start_time": time(10, 30),
            "recurrence": Recurrence.MONTHLY,
            "lead_minutes": 24 * 60,
        },
        {
            "title": "Review this month's costs",
            "reminder_type": ReminderType.REVIEW_COSTS,
            "start_date": tomorrow,
            "start_time": time(17, 0),
            "recurrence": Recurrence.RRULE,
            "rule": "FREQ=MONTHLY;BYMONTHDAY=-1",
            "lead_minutes": 0,
        },
        {
            "title": "Check the site's performance",
            "reminder_type": ReminderType.CHECK_PERFORMANCE,
            "start_date": tomorrow,
            "start_time": time(9, 0),
            "recurrence": Recurrence.CRON,
            "rule": "0 9 * * 1-5",
            "lead_minutes": 15,
        },
    ]
    for fields in reminders:
        services.create_reminder(user=user, time_zone=DEMO_TIME_ZONE, notify_email=False, **fields)
    return len(reminders)
