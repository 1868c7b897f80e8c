"""The help center's pages (public: signed out or in) and its htmx partials.

- ``/help/``: search box (answers as you type), categories with their articles, popular articles.
- ``/help/<category>/``: one category. ``/help/articles/<slug>/``: one article, with a table of
  contents, related articles, previous/next and "Was this helpful?" (signed-in people vote).
- ``/help/search/?q=``: results, one per article; ``/help/search/suggest/`` the as-you-type partial.
- ``/help/markdownx/…``: django-markdownx's preview and upload, for staff only (its own views check
  no permission).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET, require_POST
from markdownx.forms import ImageForm
from PIL import Image
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from credits.models import ThrottleScope
from helpcenter import selectors, services
from helpcenter.forms import FeedbackForm, SearchForm, VoteForm
from helpcenter.models import Article
from javari.markdown import render_markdown
from javari.retrieval.chunking import heading_anchors
from javari.throttling import Caller, count_in_window, hit, retry_message
from javari.web import View, login_required

# Votes and comments one person may send a minute (each a database write).
FEEDBACK_PER_MINUTE = 10
FEEDBACK_SCOPE = ThrottleScope.HELP_FEEDBACK
# Searches recorded a minute for one person (signed in) or address (signed out): search as you type
# is public and sends a request per pause, so past this the results still come but no row is
# written, and a script can't grow the interaction log (and the reports) without bound.
SEARCHES_RECORDED_PER_MINUTE = 30
# Article views recorded a minute for one person or address, for the same reason (a reload is a
# view; past this, reloads neither grow the log nor push an article up "Popular").
VIEWS_RECORDED_PER_MINUTE = 30


def _language() -> str:
    code = (get_language() or settings.LANGUAGE_CODE)[:2]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE[:2]


# --- Pages -------------------------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    listings = selectors.categories_with_articles()
    return render(
        request,
        "helpcenter/index.html",
        {
            "form": SearchForm(),
            "sections": _sections(listings),
            "popular": selectors.popular_articles(),
        },
    )


def _sections(listings: list[selectors.CategoryListing]) -> list[dict[str, Any]]:
    """The categories in order, the feature ones grouped into one "Features" section where the first
    of them stands (the spec: Features — chat, code generation, integrations, reminders)."""
    sections: list[dict[str, Any]] = []
    features: dict[str, Any] | None = None
    for listing in listings:
        if listing.category.is_feature:
            if features is None:
                features = {"features": True, "listings": []}
                sections.append(features)
            features["listings"].append(listing)
        else:
            sections.append({"features": False, "listings": [listing]})
    return sections


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.category_by_slug(slug=slug)
    return render(
        request,
        "helpcenter/category.html",
        {"category": found, "articles": selectors.category_articles(category=found), "form": SearchForm()},
    )


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.article_for(slug=slug, user=request.user)
    if found.is_published and _may_record(request, "view", VIEWS_RECORDED_PER_MINUTE):
        services.record_view(article=found, user=request.user, language=_language())
    return _article_page(request, found)


def _article_page(request: HttpRequest, found: Article, *, status: int = 200, **extra: Any) -> HttpResponse:
    body, contents = article_body(found.content or "")
    previous, following = selectors.neighbours(article=found)
    context = {
        "body": body,
        "contents": contents,
        "related": selectors.related_articles(article=found),
        "previous": previous,
        "next": following,
        **_feedback_context(request, found, **extra),
    }
    return render(request, "helpcenter/article.html", context, status=status)


_HEADING_OPEN = re.compile(r"<h([23])>")


def article_body(markdown: str) -> tuple[SafeString, list[Any]]:
    """The article's sanitised HTML with an ``id`` on each ## and ### heading, and those headings
    (the table of contents).

    The ids are added after sanitising, to the bare ``<h2>``/``<h3>`` tags markdown-it writes (raw
    HTML in an article is shown as text, so no other ``<h2>`` can be there), and they are slugs
    (letters, digits, hyphens), escaped all the same.
    """
    rendered = str(render_markdown(markdown))
    headings = iter(heading_anchors(markdown))
    contents = []

    def add_id(match: re.Match[str]) -> str:
        heading = next(headings, None)
        if heading is None or heading.level != int(match.group(1)):
            return match.group(0)
        contents.append(heading)
        return f'<h{heading.level} id="{html.escape(heading.anchor, quote=True)}">'

    return mark_safe(_HEADING_OPEN.sub(add_id, rendered)), contents  # noqa: S308 (sanitised, ids are slugs)


# --- Search ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    title: str
    url: str
    heading: str
    snippet: SafeString


def _results(query: str, limit: int) -> list[Result]:
    return [
        # Hit.snippet is safe HTML: the passage's words escaped, the matches in <mark>.
        Result(title=found.title, url=found.url, heading=found.heading, snippet=found.snippet)
        for found in selectors.search_articles(query=query, language=_language(), limit=limit)
    ]


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    if not form.is_valid():
        context = {
            "form": form,
            "query": "",
            "results": [],
            "categories": selectors.categories_with_articles(),
        }
        return render(request, "helpcenter/search.html", context, status=400)
    query = services.clean_query(form.cleaned_data["q"])
    results = _results(query, selectors.SEARCH_RESULTS) if query else []
    _record_search(request, query, len(results))
    context = {
        "form": form,
        "query": query,
        "results": results,
        "categories": [] if results else selectors.categories_with_articles(),
    }
    return render(request, "helpcenter/search.html", context)


@require_GET
def search_suggest(request: HttpRequest) -> HttpResponse:
    """The as-you-type results under the search box (htmx, debounced): the best few articles."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "helpcenter/_suggestions.html", {"form": form, "query": ""}, status=400)
    query = services.clean_query(form.cleaned_data["q"])
    results = _results(query, selectors.SUGGEST_RESULTS) if query else []
    _record_search(request, query, len(results))
    return render(request, "helpcenter/_suggestions.html", {"form": form, "query": query, "results": results})


def _record_search(request: HttpRequest, query: str, result_count: int) -> None:
    """The search in the interaction log, unless this caller already had
    ``SEARCHES_RECORDED_PER_MINUTE`` recorded this minute."""
    if query and _may_record(request, "search", SEARCHES_RECORDED_PER_MINUTE):
        services.record_search(
            query=query, result_count=result_count, user=request.user, language=_language()
        )


def _may_record(request: HttpRequest, kind: str, limit: int) -> bool:
    """Whether this caller has had fewer than ``limit`` rows of ``kind`` recorded this minute (and
    counts this one)."""
    user = request.user
    # Signed out, the address as the API's throttles read it (X-Forwarded-For past TRUSTED_PROXY_COUNT
    # proxies only): behind a proxy, REMOTE_ADDR alone would count everyone as one.
    who = f"user:{user.pk}" if user.is_authenticated else f"ip:{BaseThrottle().get_ident(Request(request))}"
    count, _reset = count_in_window(scope=f"help_log:{kind}", identity=who)
    return count <= limit


# --- Was this helpful? ---------------------------------------------------------------------------------


def _feedback_context(request: HttpRequest, found: Article, **extra: Any) -> dict[str, Any]:
    return {
        "article": found,
        "vote": selectors.user_vote(article=found, user=request.user),
        "feedback_form": extra.pop("feedback_form", None) or FeedbackForm(),
        **extra,
    }


def _published(slug: str) -> Article:
    """The published article of ``slug``, else ``Http404``: staff may read a draft, but votes and
    comments on one would count in the reports of an article nobody can see."""
    return selectors.article_for(slug=slug, user=AnonymousUser())


def _refused(request: HttpRequest, found: Article) -> HttpResponse | None:
    """A 429 when this person sent more than ``FEEDBACK_PER_MINUTE`` votes and comments this minute."""
    user = request.user
    window = hit(
        scope=FEEDBACK_SCOPE,
        caller=Caller(identity=f"user:{user.pk}", user_id=user.pk),
        limit=FEEDBACK_PER_MINUTE,
    )
    if window.allowed:
        return None
    response = _answer(request, found, status=429, refusal=retry_message(FEEDBACK_SCOPE, window.reset))
    response.headers["Retry-After"] = str(window.reset)
    return response


def _answer(request: HttpRequest, found: Article, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The feedback box again for htmx (helpcenter.js swaps its 400 and 429 too); for a plain form
    post, back to the article at the box, or the article page with the errors."""
    if getattr(request, "htmx", False):
        return render(
            request, "helpcenter/_feedback.html", _feedback_context(request, found, **extra), status=status
        )
    if status != 200:
        return _article_page(request, found, status=status, **extra)
    return HttpResponseRedirect(found.get_absolute_url() + "#feedback")


@login_required
@require_POST
def vote(request: HttpRequest, slug: str) -> HttpResponse:
    found = _published(slug)
    refused = _refused(request, found)
    if refused is not None:
        return refused
    form = VoteForm(request.POST)
    if not form.is_valid():
        return _answer(request, found, status=400, vote_error=True)
    helpful = form.cleaned_data["vote"] == "yes"
    services.vote(article=found, user=request.user, helpful=helpful, language=_language())
    return _answer(request, found, voted=True)


@login_required
@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    found = _published(slug)
    refused = _refused(request, found)
    if refused is not None:
        return refused
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _answer(request, found, status=400, feedback_form=form)
    services.leave_feedback(
        article=found, user=request.user, text=form.cleaned_data["comment"], language=_language()
    )
    return _answer(request, found, thanked=True)


# --- django-markdownx, for staff -------------------------------------------------------------------------


def _staff_only(view: View) -> View:
    """The back office's own rule (active staff with two-factor on): markdownx's views check nothing."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not admin.site.has_permission(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# Thin views of our own around markdownx's pieces: its views answer a missing field (no "content",
# no "image") or an unexpected method with a 500.


@_staff_only
@require_POST
def markdownify(request: HttpRequest) -> HttpResponse:
    """The editor's live preview: the Markdown in ``content`` as the page would render it."""
    content = request.POST.get("content")
    if content is None:
        return HttpResponseBadRequest(
            gettext("No Markdown was sent."), content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(import_string(settings.MARKDOWNX_MARKDOWNIFY_FUNCTION)(content))


@_staff_only
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """An image dropped into the editor, saved under MARKDOWNX_MEDIA_PATH: its Markdown as JSON."""
    form = ImageForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse(form.errors, status=400)
    try:
        url = form.save(commit=True)
    except (OSError, ValueError, Image.DecompressionBombError):  # not an image Pillow can read
        return JsonResponse({"image": [gettext("This file is not an image we can read.")]}, status=400)
    return JsonResponse({"image_code": f"![]({url})"})
