"""JSON bodies we accept: bounded nesting, finite numbers, valid Unicode without NUL.

Python's ``json`` module recurses once per nesting level, so 1,000 ``[`` in a 2 KB body end in a
``RecursionError`` that DRF does not turn into a 400 (issue 10). ``loads`` measures the nesting
first, in one pass without recursion, and refuses a deep document before parsing it. It also
refuses what PostgreSQL or our UTF-8 responses can't hold: NUL (``\\u0000``) and unpaired
surrogates (``\\ud800``), in keys as in values. Every refusal is ``InvalidJSON`` (a ``ValueError``)
whose message is fit to show and never echoes the input.

``JSONParser`` is DRF's parser on top of it (``DEFAULT_PARSER_CLASSES``); views outside DRF that
read a JSON body (the Stripe webhook) call ``loads`` themselves.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError

# Deeper than any document our API takes (a message, preferences, an API key), far below the depth
# at which Python's parser would hit the recursion limit (~1,000 frames).
MAX_JSON_DEPTH = 32

# A JSON string, escapes included: its brackets don't nest anything.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# NUL, which PostgreSQL refuses in text, and surrogates, which only ever stand alone in a Python
# string (a valid pair is decoded to one code point) and can't be encoded to UTF-8.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


class InvalidJSON(ValueError):
    """A body that is not a JSON document we accept; ``str(error)`` says why, fit to show."""

    def __init__(self, message: str, *, code: str = "parse_error") -> None:
        super().__init__(message)
        self.code = code


def invalid_text_message() -> str:
    return _("Text must be valid Unicode and can't contain NUL characters.")


def check_depth(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse ``text`` if its arrays and objects nest deeper than ``max_depth``, without recursing."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # too few brackets to nest that deep: the common case costs two counts
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub('""', text)):
        if bracket in "[{":
            depth += 1
            if depth > max_depth:
                raise InvalidJSON(
                    _("JSON nested more than %(depth)d levels deep is not accepted.") % {"depth": max_depth}
                )
        else:
            depth -= 1  # unbalanced brackets are the parser's to report


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(number: str) -> float:
    value = float(number)
    if not math.isfinite(value):  # 1e999 parses to inf, which no field wants and JSON can't render
        raise ValueError("number out of range")
    return value


def _check_text(data: Any) -> None:
    pending = [data]
    while pending:  # a stack, not recursion: the depth is already bounded, but this costs nothing
        item = pending.pop()
        if isinstance(item, str):
            if UNSTORABLE_TEXT.search(item):
                raise InvalidJSON(invalid_text_message(), code="invalid_text")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a JSON document we accept, or raise ``InvalidJSON``."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJSON(invalid_text_message(), code="invalid_text") from None
    check_depth(text, max_depth=max_depth)
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        where = {"line": exc.lineno, "column": exc.colno}
        raise InvalidJSON(
            _("The body is not valid JSON (line %(line)s, column %(column)s).") % where
        ) from None
    except ValueError:  # a number out of range, or past int()'s 4,300 digits
        raise InvalidJSON(_("The body is not valid JSON: a number is out of range.")) from None
    # Raw NUL can't be in a valid document (json refuses control characters): only an escape, or a
    # surrogate already in ``text``, can bring one in.
    if "\\u" in text or UNSTORABLE_TEXT.search(text):
        _check_text(data)
    return data


class RequestTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _encoding(parser_context: dict[str, Any]) -> str:
    encoding = parser_context.get("encoding") or settings.DEFAULT_CHARSET
    try:
        "".encode(encoding)  # only text codecs: a bytes-to-bytes one (bz2_codec) would inflate the body
    except (LookupError, UnicodeError):
        raise ParseError(_("The request's charset is not supported."), code="invalid_text") from None
    return encoding


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser through ``loads``: every refusal is a ``ParseError`` (400), or a 413 for a
    body past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (DRF reads the stream itself, past Django's check)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = _encoding(parser_context or {})
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestTooLarge(_("The request body is too large."))
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(invalid_text_message(), code="invalid_text") from None
        try:
            return loads(text)
        except InvalidJSON as exc:
            raise ParseError(str(exc), code=exc.code) from None
