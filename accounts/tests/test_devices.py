"""A User-Agent header in words, for real browsers' headers and for junk."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.devices import DeviceDescription, describe_user_agent

CASES = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36",
        DeviceDescription("Chrome 126", "Windows", "Computer"),
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
        DeviceDescription("Edge 126", "Windows", "Computer"),
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15",
        DeviceDescription("Safari 17", "macOS", "Computer (Mac)"),
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        DeviceDescription("Firefox 128", "Linux", "Computer"),
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
        DeviceDescription("Safari 17", "iOS 17", "Phone (iPhone)"),
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1",
        DeviceDescription("Safari 17", "iOS 17", "Tablet (iPad)"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.6478.122 Mobile Safari/537.36",
        DeviceDescription("Chrome 126", "Android 14", "Phone (Pixel 8)"),
    ),
    (
        # Chrome on Android 10+ names every phone "K": the model is left out, the kind stays.
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36",
        DeviceDescription("Chrome 126", "Android 10", "Phone"),
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36",
        DeviceDescription("Chrome 126", "Android 14", "Tablet"),
    ),
    ("curl/8.5.0", DeviceDescription("curl 8", "Unknown system", "Unknown device")),
]


@pytest.mark.parametrize(
    ("user_agent", "expected"), CASES, ids=[f"{c[1].browser} {c[1].device}" for c in CASES]
)
def test_real_browsers_are_named_in_words(user_agent: str, expected: DeviceDescription) -> None:
    assert describe_user_agent(user_agent) == expected


UNKNOWN = DeviceDescription("Unknown browser", "Unknown system", "Unknown device")


@pytest.mark.parametrize("junk", ["", None, "Laptop", "\x00\ud800", "(" * 10_000, "Mozilla/5.0 " * 5_000])
def test_junk_is_unknown_rather_than_an_error(junk: str | None) -> None:
    assert describe_user_agent(junk) == UNKNOWN


def test_the_words_are_in_spanish_for_a_spanish_reader() -> None:
    with translation.override("es"):
        iphone = DeviceDescription("Safari 17", "iOS 17", "Teléfono (iPhone)")
        assert describe_user_agent(CASES[4][0]) == iphone
        assert describe_user_agent("") == DeviceDescription(
            "Navegador desconocido", "Sistema desconocido", "Dispositivo desconocido"
        )
    # The cache is per header, not per language: English again.
    assert describe_user_agent(CASES[4][0]).device == "Phone (iPhone)"
