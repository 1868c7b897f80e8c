"""The reminders app's writes. Other apps use these names only (``from reminders import services``).

- ``reminders``: create, edit, complete, snooze, cancel and delete reminders;
- ``notifications``: the notification centre (``notify`` is how any app tells a person something);
- ``dispatch``: the beat task's pass (notices written once per occurrence and channel, then sent);
- ``calendar``: events, the private iCalendar feed, ``.ics`` export and import.
"""

from __future__ import annotations

from reminders.services.dispatch import (
    DispatchResult,
    claim_emails,
    dispatch,
    retry_deliveries,
    send_emails,
    write_due_notices,
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
    "SNOOZE_PRESETS",
    "DispatchResult",
    "bulk_values",
    "cancel_reminder",
    "claim_emails",
    "complete_reminder",
    "create_reminder",
    "defaults_for",
    "delete_reminder",
    "dispatch",
    "get_reminder",
    "move_reminders_to_zone",
    "refresh_next_fire",
    "retry_deliveries",
    "schedule_of",
    "send_emails",
    "snooze_reminder",
    "snooze_until",
    "update_reminder",
    "write_due_notices",
]
