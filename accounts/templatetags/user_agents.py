from __future__ import annotations

from django import template

from accounts.devices import DeviceDescription, describe_user_agent

register = template.Library()


@register.filter
def device_description(user_agent: str | None) -> DeviceDescription:
    """``{% with d=session.user_agent|device_description %}{{ d.browser }}…``"""
    return describe_user_agent(user_agent)
