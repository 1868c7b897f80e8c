from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils.translation import get_language

from accounts.models import User


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: User, form: object, commit: bool = True) -> User:
        """A new user keeps the interface language they signed up in."""
        user.language = get_language() or ""
        return super().save_user(request, user, form, commit=commit)
