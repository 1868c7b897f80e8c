"""The integrations app's services: every write. Other apps and the pages call these names."""

from __future__ import annotations

from integrations.services.activity import log
from integrations.services.connections import (
    CHECK_INTERVAL,
    access_for,
    clean_values,
    connect,
    create_connected,
    disconnect,
    get_integration,
    masked_secrets,
    record_check,
    update_integration,
    usable_access,
    verify_integration,
)
from integrations.services.health import check_due, check_one
from integrations.services.rotation import plan_rotation, rotate_due, rotate_now, secret_replaced

__all__ = [
    "CHECK_INTERVAL",
    "access_for",
    "check_due",
    "check_one",
    "clean_values",
    "connect",
    "create_connected",
    "disconnect",
    "get_integration",
    "log",
    "masked_secrets",
    "plan_rotation",
    "record_check",
    "rotate_due",
    "rotate_now",
    "secret_replaced",
    "update_integration",
    "usable_access",
    "verify_integration",
]
