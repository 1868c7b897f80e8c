"""The test settings give each pytest-xdist worker a Redis database of its own."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from javari.settings_test import _test_redis_db


def _workers(monkeypatch: pytest.MonkeyPatch, worker: str | None, count: int | None, base: int | None) -> int:
    for name, value in (("PYTEST_XDIST_WORKER", worker), ("PYTEST_XDIST_WORKER_COUNT", count)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, str(value))
    if base is None:
        monkeypatch.delenv("TEST_REDIS_DB", raising=False)
    else:
        monkeypatch.setenv("TEST_REDIS_DB", str(base))
    return _test_redis_db()


def test_a_serial_run_uses_database_15_or_test_redis_db(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _workers(monkeypatch, None, None, None) == 15
    assert _workers(monkeypatch, None, None, 5) == 5


def test_each_worker_gets_its_own_database_from_the_top_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [_workers(monkeypatch, f"gw{index}", 2, None) for index in range(2)] == [14, 15]
    assert [_workers(monkeypatch, f"gw{index}", 4, None) for index in range(4)] == [12, 13, 14, 15]


def test_with_test_redis_db_the_workers_count_up_from_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [_workers(monkeypatch, f"gw{index}", 2, 8) for index in range(2)] == [8, 9]


@pytest.mark.parametrize(("worker", "base"), [("gw1", 15), ("gw0", 0)])
def test_a_database_out_of_range_or_the_dev_servers_is_refused(
    monkeypatch: pytest.MonkeyPatch, worker: str, base: int
) -> None:
    with pytest.raises(ImproperlyConfigured, match="TEST_REDIS_DB"):
        _workers(monkeypatch, worker, 2, base)


def test_this_run_uses_the_database_its_worker_is_given() -> None:
    from django.conf import settings

    assert settings.REDIS_URL.endswith(f"db={_test_redis_db()}") or settings.REDIS_URL.endswith(
        f"/{_test_redis_db()}"
    )
