"""factory-boy factories for credits. The ledger is append-only and written only by the services
(with row locks and idempotency keys), so these go through them rather than insert rows:

- ``CreditAccountFactory(user=alice)``: the account as ``services.get_account`` opens it (Free plan,
  its first allowance); ``plan=`` moves it to another plan through ``services.set_plan``.
- ``CreditGrantFactory(user=alice, amount=500)``: a goodwill grant, ``services.grant``.
"""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from credits import services
from credits.models import CreditAccount, LedgerEntry


class CreditAccountFactory(DjangoModelFactory):
    class Meta:
        model = CreditAccount

    user = factory.SubFactory(UserFactory)
    plan = None  # the Free plan the account opens on

    @classmethod
    def _create(cls, model_class: type[CreditAccount], *args: Any, **kwargs: Any) -> CreditAccount:
        account = services.get_account(kwargs["user"])
        if kwargs["plan"] is not None:
            account = services.set_plan(user=kwargs["user"], plan=kwargs["plan"])
        return account


class CreditGrantFactory(DjangoModelFactory):
    class Meta:
        model = LedgerEntry

    user = factory.SubFactory(UserFactory)
    amount = 100
    idempotency_key = factory.Sequence(lambda n: f"test-grant:{n}")
    reason = "Test grant"

    @classmethod
    def _create(cls, model_class: type[LedgerEntry], *args: Any, **kwargs: Any) -> LedgerEntry:
        return services.grant(**kwargs)
