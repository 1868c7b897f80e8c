"""The help pages: public, published-only, sanitised, searchable; feedback for signed-in people."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from helpcenter.models import Article, Category, Interaction, InteractionKind
from helpcenter.tests.factories import make_article
from helpcenter.views import FEEDBACK_PER_MINUTE

pytestmark = pytest.mark.django_db

CONTENT = """Intro paragraph.

## Getting a key
Open the security page.

### Copy it
Copy the key once.

## Getting a key
A second section with the same heading.
"""


def article_url(article: Article) -> str:
    return reverse("helpcenter:article", kwargs={"slug": article.slug})


@pytest.fixture
def settings_category() -> Category:
    return Category.objects.get(slug="settings")


@pytest.fixture
def key_article(settings_category: Category) -> Article:
    return make_article(
        slug="api-keys",
        category=settings_category,
        title_en="API keys",
        title_es="Claves de API",
        content_en=CONTENT,
        content_es="Introducción.\n\n## Crear una clave\nAbre la página de seguridad.\n",
        tags_en="keys, api",
        tags_es="claves, api",
        order=1,
    )


# --- /help/ ---------------------------------------------------------------------------------------


def test_the_index_is_public_with_search_categories_and_articles(
    client: Client, key_article: Article
) -> None:
    response = client.get(reverse("helpcenter:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="search"' in body
    assert 'hx-trigger="input changed delay:250ms, search"' in body
    assert "Getting started" in body
    assert "Credits &amp; billing" in body
    assert "Features" in body
    assert "Code generation" in body
    assert article_url(key_article) in body


def test_the_index_works_signed_in_too(client: Client, alice: User, key_article: Article) -> None:
    client.force_login(alice)
    response = client.get(reverse("helpcenter:index"))
    assert response.status_code == 200
    assert "API keys" in response.content.decode()


def test_the_index_never_lists_unpublished_articles(client: Client, settings_category: Category) -> None:
    make_article(category=settings_category, title_en="Secret draft", is_published=False)
    assert "Secret draft" not in client.get(reverse("helpcenter:index")).content.decode()


def test_popular_articles_are_the_most_viewed_of_the_last_30_days(
    client: Client, settings_category: Category
) -> None:
    make_article(category=settings_category, title_en="First in order", order=1)
    viewed = make_article(category=settings_category, title_en="Often read", order=9)
    for _ in range(3):
        client.get(article_url(viewed))
    body = client.get(reverse("helpcenter:index")).content.decode()
    popular = body.split('id="help-popular-title"')[1].split("</section>")[0]
    assert popular.index("Often read") < popular.index("First in order")


def test_the_index_in_spanish(client: Client, key_article: Article) -> None:
    response = client.get(reverse("helpcenter:index"), HTTP_ACCEPT_LANGUAGE="es")
    body = response.content.decode()
    assert "Claves de API" in body
    assert "Primeros pasos" in body


# --- Categories ----------------------------------------------------------------------------------------


def test_a_category_page_lists_its_published_articles(client: Client, key_article: Article) -> None:
    make_article(category=key_article.category, title_en="Hidden", is_published=False)
    response = client.get(reverse("helpcenter:category", kwargs={"slug": "settings"}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "API keys" in body
    assert "Hidden" not in body


def test_feature_categories_are_named_as_features(client: Client) -> None:
    body = client.get(reverse("helpcenter:category", kwargs={"slug": "reminders"})).content.decode()
    assert "Features — Reminders" in body


def test_an_unknown_category_is_404(client: Client, db: None) -> None:
    assert client.get("/help/no-such-category/").status_code == 404


# --- Articles ------------------------------------------------------------------------------------------


def test_an_article_shows_title_date_contents_and_anchored_headings(
    client: Client, key_article: Article
) -> None:
    response = client.get(article_url(key_article))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h1 id="article-title">API keys</h1>' in body
    assert "Updated " in body
    assert '<h2 id="getting-a-key">Getting a key</h2>' in body
    assert '<h3 id="copy-it">Copy it</h3>' in body
    assert '<h2 id="getting-a-key-2">' in body
    toc = body.split('class="help-toc"')[1].split("</nav>")[0]
    assert 'href="#getting-a-key"' in toc
    assert 'href="#copy-it"' in toc
    assert 'href="#getting-a-key-2"' in toc


def test_the_update_date_is_localized(client: Client, key_article: Article) -> None:
    Article.objects.filter(pk=key_article.pk).update(updated_at="2026-03-05T10:00:00Z")
    assert "March 5, 2026" in client.get(article_url(key_article)).content.decode()
    body = client.get(article_url(key_article), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "5 de marzo de 2026" in body
    assert "Actualizado" in body


def test_an_article_in_spanish_shows_the_spanish_text(client: Client, key_article: Article) -> None:
    body = client.get(article_url(key_article), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Claves de API" in body
    assert '<h2 id="crear-una-clave">Crear una clave</h2>' in body


def test_scripts_and_javascript_links_never_render(client: Client, settings_category: Category) -> None:
    hostile = make_article(
        category=settings_category,
        content_en=(
            "<script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n"
            '<a href="javascript:alert(3)">x</a>\n\n## <img src=x onerror=alert(4)>\n'
        ),
    )
    body = client.get(article_url(hostile)).content.decode()
    article_html = body.split('class="markdown help-body"')[1].split("</article>")[0]
    assert "<script" not in article_html
    assert not re.search(r"<a[^>]+href=\"javascript:", article_html)
    assert not re.search(r"<img\b|<[^>]*\sonerror=", article_html)


def test_related_and_previous_next_follow_the_category_order(client: Client, key_article: Article) -> None:
    before = make_article(category=key_article.category, title_en="Before it", order=0)
    after = make_article(category=key_article.category, title_en="After it", order=2)
    tagged = make_article(
        category=Category.objects.get(slug="faq"), title_en="Tagged elsewhere", tags_en="api"
    )
    body = client.get(article_url(key_article)).content.decode()
    pager = body.split('class="help-pager"')[1].split("</nav>")[0]
    assert f'href="{article_url(before)}" rel="prev"' in pager
    assert f'href="{article_url(after)}" rel="next"' in pager
    related = body.split('id="related-title"')[1].split("</section>")[0]
    assert "Tagged elsewhere" in related
    assert "Before it" in related
    assert related.index("Tagged elsewhere") < related.index("Before it")
    assert tagged.pk


def test_an_unpublished_article_is_404_for_everyone_but_staff(
    client: Client, charlie: User, settings_category: Category, staff_client: Client
) -> None:
    draft = make_article(category=settings_category, title_en="Draft", is_published=False)
    assert client.get(article_url(draft)).status_code == 404
    client.force_login(charlie)
    assert client.get(article_url(draft)).status_code == 404
    response = staff_client.get(article_url(draft))
    assert response.status_code == 200
    assert "Not published" in response.content.decode()


def test_a_view_is_recorded_once_per_page_load(client: Client, key_article: Article) -> None:
    client.get(article_url(key_article))
    client.get(article_url(key_article), HTTP_ACCEPT_LANGUAGE="es")
    views = Interaction.objects.filter(kind=InteractionKind.VIEW, article=key_article)
    assert sorted(views.values_list("language", flat=True)) == ["en", "es"]


# --- Search ---------------------------------------------------------------------------------------------


@pytest.fixture
def indexed(key_article: Article) -> Article:
    """The article with passages, as the index task would write them (the page only reads them)."""
    from django.contrib.postgres.search import SearchVector
    from django.db.models import Value

    from helpcenter.models import Passage

    for language, config, heading, text in [
        ("en", "english", "Getting a key", "Open the security page and create an API key."),
        ("es", "spanish", "Crear una clave", "Abre la página de seguridad y crea una clave de API."),
    ]:
        passage = Passage.objects.create(
            article=key_article,
            language=language,
            position=1,
            heading=heading,
            anchor=heading.lower().replace(" ", "-"),
            text=text,
            content_hash="x",
        )
        Passage.objects.filter(pk=passage.pk).update(search=SearchVector(Value(text), config=config))
    return key_article


def test_the_results_page_shows_one_result_per_article_with_a_count(client: Client, indexed: Article) -> None:
    response = client.get(reverse("helpcenter:search"), {"q": "security key"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 result for “security key”" in body
    assert f'href="{article_url(indexed)}#getting-a-key"' in body
    search = Interaction.objects.get(kind=InteractionKind.SEARCH)
    assert (search.query, search.result_count, search.language) == ("security key", 1, "en")


def test_the_results_page_in_spanish(client: Client, indexed: Article) -> None:
    body = client.get(
        reverse("helpcenter:search"), {"q": "clave"}, HTTP_ACCEPT_LANGUAGE="es"
    ).content.decode()
    assert "1 resultado para «clave»" in body
    assert "Claves de API" in body


def test_no_results_says_so_and_offers_the_categories(client: Client, indexed: Article) -> None:
    body = client.get(reverse("helpcenter:search"), {"q": "zebra"}).content.decode()
    assert "No results for “zebra”." in body
    assert reverse("helpcenter:category", kwargs={"slug": "faq"}) in body
    assert Interaction.objects.get(kind=InteractionKind.SEARCH).result_count == 0


def test_the_as_you_type_partial_is_a_fragment_and_is_recorded(client: Client, indexed: Article) -> None:
    response = client.get(reverse("helpcenter:suggest"), {"q": "security"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "API keys" in body
    assert Interaction.objects.filter(kind=InteractionKind.SEARCH, query="security").count() == 1


def test_an_empty_query_records_nothing(client: Client, indexed: Article) -> None:
    assert client.get(reverse("helpcenter:suggest"), {"q": "   "}).status_code == 200
    assert client.get(reverse("helpcenter:search")).status_code == 200
    assert not Interaction.objects.filter(kind=InteractionKind.SEARCH).exists()


def test_unpublished_articles_never_appear_in_results(client: Client, indexed: Article) -> None:
    Article.objects.filter(pk=indexed.pk).update(is_published=False)
    assert "API keys" not in client.get(reverse("helpcenter:search"), {"q": "security"}).content.decode()


def test_snippets_are_escaped(client: Client, indexed: Article) -> None:
    from helpcenter.models import Passage

    Passage.objects.filter(article=indexed, language="en").update(text="<b onmouseover=x>security</b> page")
    body = client.get(reverse("helpcenter:search"), {"q": "security"}).content.decode()
    assert "<b onmouseover" not in body


@pytest.mark.parametrize(
    "query_string",
    ["q=%00", "q=a%00b", "q=%ED%A0%80", "q=%ff%fe", "q=" + "x" * 1_000_000, "q=!!!%20%26%20|", "q=a&q=b"],
)
@pytest.mark.parametrize("name", ["helpcenter:search", "helpcenter:suggest"])
def test_hostile_queries_never_give_a_500(client: Client, db: None, name: str, query_string: str) -> None:
    response = client.get(f"{reverse(name)}?{query_string}")
    assert response.status_code in (200, 400)


def test_a_too_long_query_is_a_form_error(client: Client, db: None) -> None:
    response = client.get(reverse("helpcenter:search"), {"q": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()


# --- Was this helpful? -----------------------------------------------------------------------------------


def vote_url(article: Article) -> str:
    return reverse("helpcenter:vote", kwargs={"slug": article.slug})


def feedback_url(article: Article) -> str:
    return reverse("helpcenter:feedback", kwargs={"slug": article.slug})


def test_anonymous_people_are_asked_to_sign_in_to_rate(client: Client, key_article: Article) -> None:
    body = client.get(article_url(key_article)).content.decode()
    assert "Sign in to rate this article" in body
    assert f"/accounts/login/?next=%2Fhelp%2Farticles%2F{key_article.slug}%2F" in body
    assert 'name="vote"' not in body


def test_anonymous_votes_and_comments_are_refused(client: Client, key_article: Article) -> None:
    response = client.post(vote_url(key_article), {"vote": "yes"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    response = client.post(feedback_url(key_article), {"comment": "hi"}, HTTP_HX_REQUEST="true")
    assert "/accounts/login/" in response["HX-Redirect"]
    assert not Interaction.objects.exclude(kind=InteractionKind.VIEW).exists()


def test_charlie_votes_once_and_can_change_his_vote(
    client: Client, charlie: User, key_article: Article
) -> None:
    client.force_login(charlie)
    response = client.post(vote_url(key_article), {"vote": "yes"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Thanks! Your answer was saved." in response.content.decode()
    assert 'name="comment"' in response.content.decode()
    client.post(vote_url(key_article), {"vote": "no"}, HTTP_HX_REQUEST="true")
    votes = Interaction.objects.filter(user=charlie, article=key_article).exclude(kind=InteractionKind.VIEW)
    assert list(votes.values_list("kind", flat=True)) == [InteractionKind.NOT_HELPFUL]


def test_a_vote_without_htmx_redirects_back_to_the_article(
    client: Client, charlie: User, key_article: Article
) -> None:
    client.force_login(charlie)
    response = client.post(vote_url(key_article), {"vote": "no"})
    assert response.status_code == 302
    assert response["Location"] == article_url(key_article) + "#feedback"
    body = client.get(article_url(key_article)).content.decode()
    assert 'value="no" class="button button-ghost" aria-pressed="true"' in body


@pytest.mark.parametrize("value", ["maybe", "", "yes\x00"])
def test_a_bad_vote_value_is_400_and_writes_nothing(
    client: Client, charlie: User, key_article: Article, value: str
) -> None:
    client.force_login(charlie)
    response = client.post(vote_url(key_article), {"vote": value}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert not Interaction.objects.filter(user=charlie).exists()


def test_votes_need_a_csrf_token(charlie: User, key_article: Article) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(charlie)
    assert client.post(vote_url(key_article), {"vote": "yes"}).status_code == 403
    assert client.post(feedback_url(key_article), {"comment": "hi"}).status_code == 403
    assert not Interaction.objects.filter(user=charlie).exists()


def test_voting_on_an_unpublished_article_is_404(
    client: Client, charlie: User, settings_category: Category
) -> None:
    draft = make_article(category=settings_category, is_published=False)
    client.force_login(charlie)
    assert client.post(vote_url(draft), {"vote": "yes"}).status_code == 404
    assert client.post(feedback_url(draft), {"comment": "x"}).status_code == 404


def test_get_is_not_allowed_on_the_feedback_endpoints(
    client: Client, charlie: User, key_article: Article
) -> None:
    client.force_login(charlie)
    assert client.get(vote_url(key_article)).status_code == 405
    assert client.get(feedback_url(key_article)).status_code == 405


def test_a_comment_is_recorded(client: Client, charlie: User, key_article: Article) -> None:
    client.force_login(charlie)
    response = client.post(
        feedback_url(key_article), {"comment": "  Needs a screenshot. "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Thanks for your feedback." in response.content.decode()
    row = Interaction.objects.get(kind=InteractionKind.FEEDBACK)
    assert (row.feedback, row.user, row.article) == ("Needs a screenshot.", charlie, key_article)


@pytest.mark.parametrize("comment", ["", "x" * 2_001])
def test_a_bad_comment_is_a_form_error(
    client: Client, charlie: User, key_article: Article, comment: str
) -> None:
    client.force_login(charlie)
    response = client.post(feedback_url(key_article), {"comment": comment}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert re.search(r'class="errorlist"', response.content.decode())
    assert not Interaction.objects.filter(kind=InteractionKind.FEEDBACK).exists()


def test_a_bad_comment_without_htmx_shows_the_article_with_the_error(
    client: Client, charlie: User, key_article: Article
) -> None:
    client.force_login(charlie)
    response = client.post(feedback_url(key_article), {"comment": "x" * 2_001})
    assert response.status_code == 400
    body = response.content.decode()
    assert '<h1 id="article-title">API keys</h1>' in body
    assert "Ensure this value has at most 2000 characters" in body


def test_a_comment_with_a_nul_byte_is_400_and_writes_nothing(
    client: Client, charlie: User, key_article: Article
) -> None:
    client.force_login(charlie)
    assert client.post(feedback_url(key_article), {"comment": "a\x00b"}).status_code == 400
    assert not Interaction.objects.filter(kind=InteractionKind.FEEDBACK).exists()


def test_feedback_is_rate_limited(client: Client, charlie: User, key_article: Article) -> None:
    client.force_login(charlie)
    for _ in range(FEEDBACK_PER_MINUTE):
        assert client.post(feedback_url(key_article), {"comment": "again"}).status_code == 302
    response = client.post(feedback_url(key_article), {"comment": "one too many"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert Interaction.objects.filter(kind=InteractionKind.FEEDBACK).count() == FEEDBACK_PER_MINUTE
    response = client.post(vote_url(key_article), {"vote": "yes"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 429
    assert "Too many requests. Try again in" in response.content.decode()
    assert not Interaction.objects.filter(kind=InteractionKind.HELPFUL).exists()


# --- The profile menu and the "?" links ---------------------------------------------------------------


def test_the_profile_menu_has_get_help(client: Client, alice: User) -> None:
    client.force_login(alice)
    body = client.get(reverse("helpcenter:index")).content.decode()
    assert '<a href="/help/" aria-current="page">Get Help</a>' in body


HELP_LINKS = [
    ("preferences:index", "profile-menu", "Settings"),
    ("preferences:behavior", "behaviour-presets-and-custom-instructions", "Behavior & Personality"),
    ("preferences:language", "language-and-theme", "Language & Localization"),
    ("preferences:notifications", "notifications", "Reminders & Notifications"),
    ("preferences:scheduling", "calendar-and-ical-feed", "Calendar & Scheduling"),
    ("accounts:security", "sessions-and-security", "Security & Keys"),
    ("credits:usage", "usage-and-spending-cap", "Usage & Analytics"),
    ("credits:plans", "plans-and-subscriptions", "Plans & credits"),
    ("credits:top_up", "buying-top-ups", "Top up credits"),
    ("integrations:index", "connecting-integrations", "Integrations"),
    ("reminders:index", "creating-reminders", "Reminders"),
    ("chat:index", "chatting-with-javari", "Chat"),
]


@pytest.mark.parametrize(("url_name", "slug", "topic"), HELP_LINKS)
def test_each_settings_page_and_the_chat_link_their_article(
    client: Client, alice: User, url_name: str, slug: str, topic: str
) -> None:
    client.force_login(alice)
    body = client.get(reverse(url_name)).content.decode()
    href = reverse("helpcenter:article", kwargs={"slug": slug})
    assert f'<a class="help-link" href="{href}" aria-label="Help: {topic}"' in body


@pytest.mark.parametrize(("url_name", "slug", "topic"), HELP_LINKS)
def test_every_help_link_has_an_article_in_both_languages(url_name: str, slug: str, topic: str) -> None:
    from helpcenter.services.loading import CONTENT_DIR

    assert (CONTENT_DIR / "en" / f"{slug}.md").is_file()
    assert (CONTENT_DIR / "es" / f"{slug}.md").is_file()


def test_help_links_are_labelled_in_spanish(client: Client, alice: User) -> None:
    client.force_login(alice)
    body = client.get(reverse("preferences:language"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'aria-label="Ayuda: ' in body
