"""The one pagination of every API list: page numbers, with ``next`` and ``previous`` addresses.

``?page=N`` (from 1) and ``?page_size=M`` (at most ``max_page_size``); the body is
``{"count", "next", "previous", "results"}``. A page past the end is a 404 in the API's error
shape. Page numbers over cursors: every list is short (a person's own rows) and a client can jump
to a page. Set as ``DEFAULT_PAGINATION_CLASS``: a list view needs nothing to follow it.
"""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
