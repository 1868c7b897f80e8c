from __future__ import annotations

import time

import pytest


class TotpClock:
    """The clock every TOTP check reads (ours, allauth's, the tests' code helper), held still in
    the middle of a 30 s step so a test never straddles two steps by accident."""

    def __init__(self) -> None:
        self.now = (int(time.time()) // 30) * 30 + 15.0

    def time(self) -> float:
        return self.now

    def next_step(self) -> None:
        self.now += 30


@pytest.fixture
def totp_clock(monkeypatch: pytest.MonkeyPatch) -> TotpClock:
    clock = TotpClock()
    for module in ("accounts.mfa", "allauth.mfa.totp.internal.auth", "accounts.tests.helpers"):
        monkeypatch.setattr(f"{module}.time", clock)
    return clock
