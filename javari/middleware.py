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

JSON bodies are the JSON parser's (javari/parsers.py): NUL and surrogates arrive there as escapes.
The answer is a plain sentence, or ``{"error": "invalid_text", "detail": …}`` under /api/.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from javari.parsers import UNSTORABLE_TEXT, invalid_text_message

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


def _as_bytes(text: str) -> bytes:
    # WSGI gives the raw bytes as latin-1 text; Django's ASGI handler decodes the query as UTF-8.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _bad_urlencoded(raw: bytes, encoding: str) -> bool:
    try:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode(encoding)
    except (UnicodeDecodeError, LookupError):
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
        fields = request.POST.lists()
        return any(_bad_text(key) or any(map(_bad_text, values)) for key, values in fields) or any(
            map(_bad_text, request.FILES)
        )
    return False


def _refusal(request: HttpRequest, status: int) -> HttpResponse:
    # LocaleMiddleware has not run yet: speak the language the browser asks for.
    with translation.override(translation.get_language_from_request(request)):
        if status == 413:
            message, code = _("The request body is too large."), "request_too_large"
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
        try:
            refused = _bad_request_line(request) or _bad_body(request)
        except RequestDataTooBig:
            return _refusal(request, 413)
        if refused:
            return _refusal(request, 400)
        return self.get_response(request)
