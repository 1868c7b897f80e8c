"""The bell in the app shell: its count, read only when a page renders the bell (signed in)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def bell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from reminders.views.notifications import bell_context

    return {"bell": SimpleLazyObject(lambda: bell_context(user))}
