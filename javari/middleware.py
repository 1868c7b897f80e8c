"""Text no view can store or show is refused before any view runs.

PostgreSQL refuses NUL in text, so ``GET /chat/?q=a%00`` was a 500, as was an admin list filter
with ``%00`` or a ``User-Agent`` with a NUL that allauth's session tracking saves (issue 10). A
request is answered 400 here, before any view or middleware that reads it, when it carries NUL or
text that is not valid UTF-8 (an encoded surrogate among it) in:

- its path;
- its query string, keys and values (decoded strictly: Django would quietly replace bad bytes);
- the headers (cookies included), ``HTTP_*`` and ``CONTENT_TYPE``;
- a form body: URL-encoded ones decoded strictly like the query string; multipart ones, which may
  carry binary files, by their field names and values as Django parses them (Django replaces what
  is not UTF-8 there with U+FFFD, which is text a person can see and correct).

A request whose Content-Type names a charset other than UTF-8 (or its subset ASCII) is a 415:
Django decodes the query string and form fields with that charset, and one that is not a text
encoding at all (``bz2_codec``, ``punycode``) or that Django then refuses for forms (``utf-7``) was
a 500 on any URL. A multipart body Django can't parse is a 400, and one larger than
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 before Django spools its files to disk: no endpoint takes
uploads yet.

JSON bodies are the JSON parser's (javari/parsers.py): NUL and surrogates arrive there as escapes.
The answer is a plain sentence, or ``{"error": code, "detail": …}`` under /api/.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext as _

from javari.parsers import UNSTORABLE_TEXT, invalid_text_message

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
# The charsets a request may name (RFC 8259 makes JSON UTF-8; browsers send forms as UTF-8).
_CHARSETS = {"utf-8", "utf8", "us-ascii", "ascii"}


def _bad_charset(request: HttpRequest) -> bool:
    charset = request.content_params.get("charset") if request.content_params else None
    return charset is not None and charset.strip().lower() not in _CHARSETS


def _as_bytes(text: str) -> bytes:
    # WSGI gives the raw bytes as latin-1 text; Django's ASGI handler decodes the query as UTF-8.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _bad_urlencoded(raw: bytes, encoding: str) -> bool:
    try:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode(encoding)
    except (UnicodeError, LookupError):
        return True
    return bool(UNSTORABLE_TEXT.search(text))


def _bad_text(value: object) -> bool:
    return isinstance(value, str) and bool(UNSTORABLE_TEXT.search(value))


def _bad_request_line(request: HttpRequest) -> bool:
    if _bad_text(request.path_info):
        return True
    for key, value in request.META.items():
        if (key.startswith("HTTP_") or key == "CONTENT_TYPE") and _bad_text(value):
            return True
    query = request.META.get("QUERY_STRING", "")
    return bool(query) and _bad_urlencoded(_as_bytes(query), request.encoding or settings.DEFAULT_CHARSET)


def _bad_body(request: HttpRequest) -> bool:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return False
    content_type = request.content_type or ""
    if content_type == _FORM:
        return _bad_urlencoded(request.body, request.encoding or settings.DEFAULT_CHARSET)
    if content_type == _MULTIPART and request.method == "POST":  # Django parses POST bodies only
        if int(request.META.get("CONTENT_LENGTH") or 0) > (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0):
            raise RequestDataTooBig
        fields = request.POST.lists()
        return any(_bad_text(key) or any(map(_bad_text, values)) for key, values in fields) or any(
            map(_bad_text, request.FILES)
        )
    return False


def _refusal(request: HttpRequest, status: int, *, invalid: bool = True) -> HttpResponse:
    # LocaleMiddleware has not run yet: speak the language the browser asks for.
    with translation.override(translation.get_language_from_request(request)):
        if status == 413:
            message, code = _("The request body is too large."), "request_too_large"
        elif status == 415:
            message, code = _("Send text as UTF-8."), "unsupported_charset"
        elif status == 400 and not invalid:
            message, code = _("The request body could not be read."), "malformed_request"
        else:
            message, code = invalid_text_message(), "invalid_text"
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": code, "detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RefuseUnstorableTextMiddleware:
    """Answer 400 to a request carrying NUL or invalid Unicode; see the module's docstring.

    First after ``SecurityMiddleware``: sessions, static files and allauth read the same input.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _bad_charset(request):
            return _refusal(request, 415)
        try:
            refused = _bad_request_line(request) or _bad_body(request)
        except RequestDataTooBig:
            return _refusal(request, 413)
        except (MultiPartParserError, TooManyFieldsSent, BadRequest, UnicodeError, ValueError):
            # TooManyFieldsSent is a BadRequest; a multipart body Django can't parse or decode.
            return _refusal(request, 400, invalid=False)
        if refused:
            return _refusal(request, 400)
        return self.get_response(request)
