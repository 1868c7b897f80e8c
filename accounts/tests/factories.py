"""factory-boy factories for the accounts models tests build again and again.

``UserFactory()`` is a user who can sign in (password ``conftest.PASSWORD``) with a verified primary
email address, as allauth keeps it; ``UserFactory(verified=False)`` has one still to confirm.
``ApiKeyFactory(user=alice)`` makes a key through ``services.create_api_key`` (only the hash is
stored), and the raw key is on the result as ``.raw``.
"""

from __future__ import annotations

from typing import Any

import factory
from allauth.account.models import EmailAddress
from factory.django import DjangoModelFactory

from accounts import services
from accounts.models import ApiKey, User

PASSWORD = "correct-horse-battery-9"  # the root conftest's PASSWORD: every test user signs in with it


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True  # the email address is a row of its own; the user is saved

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        # create_user normalizes the email and hashes the password, as sign-up does.
        return model_class.objects.create_user(kwargs.pop("email"), PASSWORD, *args, **kwargs)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, verified=extracted is not False, primary=True
            )


class ApiKeyFactory(DjangoModelFactory):
    class Meta:
        model = ApiKey

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Key {n}")
    expires_at = None

    @classmethod
    def _create(cls, model_class: type[ApiKey], *args: Any, **kwargs: Any) -> ApiKey:
        key, raw = services.create_api_key(**kwargs)
        key.raw = raw  # type: ignore[attr-defined]  # shown once, never stored: tests sign requests with it
        return key
