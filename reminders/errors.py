"""The reminders app's errors: each carries a message fit to show the person.

Form-like validation of a reminder or an event (a bad zone, rule or date) is collected by the
services into one Django ``ValidationError`` keyed by field, so pages and the API show every
problem at once; ``InvalidRecurrence`` and ``InvalidTimeZone`` carry the field they belong to.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from javari.errors import AppError, NotFound

__all__ = [
    "CalendarImportError",
    "InvalidRecurrence",
    "InvalidTimeZone",
    "LinkExpired",
    "LinkInvalid",
    "NotFound",
    "ReminderClosed",
    "RemindersError",
]


class RemindersError(AppError):
    code = "reminders_error"
    status = 400
    default_message = _("The reminder could not be changed.")


class InvalidRecurrence(RemindersError):
    code = "invalid_recurrence"
    field = "rule"
    default_message = _("This rule is not valid.")


class InvalidTimeZone(RemindersError):
    code = "invalid_time_zone"
    field = "time_zone"
    default_message = _("Choose a time zone from the list, like Europe/Madrid or America/New_York.")


class ReminderClosed(RemindersError):
    """Completing or snoozing a reminder that is already completed or cancelled."""

    code = "reminder_closed"
    status = 409
    default_message = _("This reminder is already completed or cancelled.")


class LinkExpired(RemindersError):
    """A signed email link that is too old, tampered with, or for another action."""

    code = "link_expired"
    status = 410
    default_message = _("This link has expired or is not valid. Sign in to see your reminders.")


class CalendarImportError(RemindersError):
    code = "calendar_import_error"
    default_message = _("This file can't be imported: it isn't a valid iCalendar (.ics) file.")


class LinkInvalid(RemindersError):
    """A signed email link that was changed, cut short, or made for another action."""

    code = "link_invalid"
    status = 400
    default_message = _(
        "This link is not valid. Open it from the email again, or sign in to see your reminders."
    )
