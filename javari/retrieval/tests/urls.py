"""The project's URLs, plus the help pages' names (article, category) while the pages aren't merged:
a hit's ``url`` is the article's page (``reverse("helpcenter:article")``). Once the help center's own
URLs are in ``javari.urls`` this adds nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from javari.urls import urlpatterns as project_urls


def _page(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(slug)


urlpatterns = list(project_urls)
if not any(getattr(pattern, "namespace", None) == "helpcenter" for pattern in project_urls):
    help_urls = [
        path("<slug:slug>/", _page, name="article"),
        path("category/<slug:slug>/", _page, name="category"),
    ]
    urlpatterns.append(path("help/", include((help_urls, "helpcenter"))))
