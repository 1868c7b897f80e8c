"""The site's URLs with the help center's article page, for chat's grounding tests.

Sources link to ``helpcenter:article``. Until the help pages (issue 14) add it to javari/urls.py,
a stand-in page answers at the same address; once they do, this is the site's own URLconf.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from javari.urls import urlpatterns as site_patterns


def _has_help_pages() -> bool:
    try:
        import helpcenter.urls  # noqa: F401
    except ImportError:
        return False
    return True


def _article(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(slug)


if _has_help_pages():
    urlpatterns = site_patterns
else:
    urlpatterns = [
        *site_patterns,
        path("help/", include(([path("<slug:slug>/", _article, name="article")], "helpcenter"))),
    ]
