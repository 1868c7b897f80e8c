"""Text people type into reminders and events, made safe to store and show."""

from __future__ import annotations

import re

# C0 and C1 control characters other than tab and newline (NUL never gets this far: the request
# middleware refuses it), and lone surrogates (from JSON's \\ud800 escapes), which can't be stored.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without control characters or lone surrogates, with CRLF as LF."""
    return _UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
