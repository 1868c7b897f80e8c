"""Keeps the secret part of an address out of the logs: a reminder email link's token and a calendar
feed's. Django logs the path of every refused request ("Bad Request: /reminders/email/snooze/<token>/",
"Forbidden (CSRF cookie not set.): …"), and a token still valid for days would sit in the log.

Imported by the settings' LOGGING, before the apps are ready: nothing here may import a model.
"""

from __future__ import annotations

import logging
import re

# /reminders/email/<action>/<token>/ (reminders/email_urls.py) and /calendar/feed/<token>.ics.
SECRET_IN_PATH = re.compile(r"(/reminders/email/[A-Za-z]+/|/calendar/feed/)[^/\s?#\"']+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return SECRET_IN_PATH.sub(rf"\g<1>{REDACTED}", text)


class RedactSecretPaths(logging.Filter):
    """A log record's message with the tokens of signed links and feeds replaced by ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the handler as it is
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
