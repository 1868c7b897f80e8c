"""The reminders app's writes. Other apps use these names only (``from reminders import services``).

- ``reminders``: create, edit, complete, snooze, cancel and delete reminders;
- ``notifications``: the notification centre (``notify`` is how any app tells a person something);
- ``dispatch``: the beat task's pass (notices written once per occurrence and channel, then sent);
- ``calendar``: events, the private iCalendar feed, ``.ics`` export and import.
"""

from __future__ import annotations

from reminders.services.calendar import (
    EVENT_FIELDS,
    IMPORT_MAX_BYTES,
    CalendarItem,
    ImportSummary,
    create_event,
    delete_event,
    editable_values,
    event_schedule,
    events_between,
    feed_contents,
    feed_owner,
    feed_token,
    get_event,
    import_calendar,
    items_between,
    reminder_url,
    reset_feed,
    update_event,
    utc_day_range,
    validate_event,
)
from reminders.services.reminders import (
    EDITABLE_FIELDS,
    SNOOZE_PRESETS,
    bulk_values,
    cancel_reminder,
    complete_reminder,
    create_reminder,
    defaults_for,
    delete_reminder,
    get_reminder,
    move_reminders_to_zone,
    refresh_next_fire,
    schedule_of,
    snooze_reminder,
    snooze_until,
    update_reminder,
)

__all__ = [
    "EDITABLE_FIELDS",
    "EVENT_FIELDS",
    "IMPORT_MAX_BYTES",
    "SNOOZE_PRESETS",
    "CalendarItem",
    "ImportSummary",
    "bulk_values",
    "cancel_reminder",
    "complete_reminder",
    "create_event",
    "create_reminder",
    "defaults_for",
    "delete_event",
    "delete_reminder",
    "editable_values",
    "event_schedule",
    "events_between",
    "feed_contents",
    "feed_owner",
    "feed_token",
    "get_event",
    "get_reminder",
    "import_calendar",
    "items_between",
    "move_reminders_to_zone",
    "refresh_next_fire",
    "reminder_url",
    "reset_feed",
    "schedule_of",
    "snooze_reminder",
    "snooze_until",
    "update_event",
    "update_reminder",
    "utc_day_range",
    "validate_event",
]
