"""Django's request handlers, with requests that never decode text with the charset a client names.

Django decodes the query string and form fields with the ``charset`` of the request's Content-Type.
It looks the name up as a codec, so ``charset=bz2_codec`` (a codec, not a text encoding) or
``charset=punycode`` fails while the request object is being built, before any middleware runs:
a 500 on any URL with a query string (issue 10). Our requests keep the charset in
``content_params`` but always decode as ``DEFAULT_CHARSET`` (UTF-8); ``RefuseUnstorableTextMiddleware``
then answers 415 to a request naming any other charset.
"""

from __future__ import annotations

from collections.abc import Mapping

import django
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.utils.http import parse_header_parameters


def _content_type_params(request: ASGIRequest | WSGIRequest, meta: Mapping[str, str]) -> None:
    # Django's own version also sets ``request.encoding`` from the charset, which decodes GET at once.
    request.content_type, request.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))


class Utf8ASGIRequest(ASGIRequest):
    _set_content_type_params = _content_type_params


class Utf8WSGIRequest(WSGIRequest):
    _set_content_type_params = _content_type_params


class Utf8ASGIHandler(ASGIHandler):
    request_class = Utf8ASGIRequest


class Utf8WSGIHandler(WSGIHandler):
    request_class = Utf8WSGIRequest


def asgi_application() -> Utf8ASGIHandler:
    """What ``django.core.asgi.get_asgi_application`` does, with our requests."""
    django.setup(set_prefix=False)
    return Utf8ASGIHandler()


def wsgi_application() -> Utf8WSGIHandler:
    """What ``django.core.wsgi.get_wsgi_application`` does, with our requests."""
    django.setup(set_prefix=False)
    return Utf8WSGIHandler()
