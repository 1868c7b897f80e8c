"""A browser's User-Agent string in words: "Firefox 128", "Windows 10", "Computer".

The sessions list showed raw User-Agent strings. ua-parser (the maintained port of uap-core's
rules) names the browser, the system and the device model; the kind of device (computer, phone,
tablet) is ours, from the same hints browsers give.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import pgettext
from ua_parser import parse

# uap-core's names where a person knows another one.
_BROWSER_NAMES = {"Mobile Safari": "Safari", "Chrome Mobile": "Chrome", "Chrome Mobile iOS": "Chrome",
                  "Firefox Mobile": "Firefox", "Firefox iOS": "Firefox", "Edge Mobile": "Edge"}  # fmt: skip
_SYSTEM_NAMES = {"Mac OS X": "macOS"}
# Systems whose version people know by number. Browsers freeze macOS at 10.15.7 and Windows 11
# at "Windows NT 10.0", so those two go without one rather than with a wrong one.
_VERSIONED_SYSTEMS = {"iOS", "iPadOS", "Android"}
_COMPUTER_SYSTEMS = {"Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Debian", "Chrome OS", "FreeBSD"}
# Model names uap-core reports that tell nothing (Android 10+ browsers send "K" for every phone).
_UNINFORMATIVE_MODELS = {"K", "Other", "Generic Smartphone", "Generic Tablet", "Spider"}


@dataclass(frozen=True)
class DeviceDescription:
    browser: str
    system: str
    device: str


def describe_user_agent(user_agent: str | None) -> DeviceDescription:
    """Browser, system and device of ``user_agent`` in the active language."""
    browser, system, kind, model = _parse(user_agent or "")
    kinds = {
        "computer": pgettext("kind of device", "Computer"),
        "phone": pgettext("kind of device", "Phone"),
        "tablet": pgettext("kind of device", "Tablet"),
        "": pgettext("kind of device", "Unknown device"),
    }
    device = kinds[kind]
    if model:
        device = f"{device} ({model})"
    return DeviceDescription(
        browser=browser or pgettext("web browser", "Unknown browser"),
        system=system or pgettext("operating system", "Unknown system"),
        device=device,
    )


@lru_cache(maxsize=256)
def _parse(user_agent: str) -> tuple[str, str, str, str]:
    """(browser, system, kind of device, model): language-neutral, so cached across languages."""
    result = parse(user_agent[:1000])  # a header can be long; the hints are at its start
    browser = system = model = ""
    if result.user_agent is not None and result.user_agent.family != "Other":
        browser = _BROWSER_NAMES.get(result.user_agent.family, result.user_agent.family)
        if result.user_agent.major:
            browser = f"{browser} {result.user_agent.major}"
    os_family = result.os.family if result.os is not None and result.os.family != "Other" else ""
    if os_family:
        system = _SYSTEM_NAMES.get(os_family, os_family)
        if os_family in _VERSIONED_SYSTEMS and result.os.major:
            system = f"{system} {result.os.major}"
    brand = (result.device.brand or "") if result.device is not None else ""
    informative = result.device is not None and result.device.family not in _UNINFORMATIVE_MODELS
    if informative and not brand.startswith("Generic"):
        model = result.device.family
    return browser, system, _kind(user_agent, os_family, model, brand), model


def _kind(user_agent: str, os_family: str, model: str, brand: str) -> str:
    if model.startswith("iPad") or "Tablet" in brand:
        return "tablet"
    if model.startswith("iPhone") or (os_family == "Android" and "Mobile" in user_agent):
        return "phone"
    if os_family == "Android":
        return "tablet"  # Android browsers leave "Mobile" out on tablets
    if os_family in _COMPUTER_SYSTEMS:
        return "computer"
    return "phone" if "Mobile" in user_agent else ""
