"""The activity log: one ``Activity`` row per thing that happened to an integration.

``log`` is not durable: it joins the caller's transaction, so an action and its record commit
together. Messages are words for the person (never a secret, never a provider's raw body);
``metadata`` holds small facts (an HTTP status, a masked key tail, a rotation step).
"""

from __future__ import annotations

from typing import Any

from integrations.models import MESSAGE_MAX_CHARS, Activity, Integration
from javari.text import truncate_graphemes
from reminders.text import clean_text


def log(
    *,
    integration: Integration,
    action: str,
    success: bool = True,
    message: object = "",
    metadata: dict[str, Any] | None = None,
) -> Activity:
    """Record ``action`` (an ``ActivityAction`` value) for ``integration``; returns the row.

    ``message`` is cut to 500 characters. Not durable (joins the caller's transaction).
    """
    return Activity.objects.create(
        integration=integration,
        user_id=integration.user_id,
        action=action,
        success=success,
        message=truncate_graphemes(clean_text(str(message)), MESSAGE_MAX_CHARS),
        metadata=metadata or {},
    )
