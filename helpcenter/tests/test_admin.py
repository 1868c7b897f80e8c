"""The help center in the back office: staff only, translated tabs, Markdown editor, reports."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from helpcenter.models import Article, Interaction, InteractionKind
from helpcenter.services import record_search, record_view, vote
from helpcenter.tests.factories import make_article

pytestmark = pytest.mark.django_db

MARKDOWNIFY = "/help/markdownx/markdownify/"
UPLOAD = "/help/markdownx/upload/"


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_staff_edit_articles_with_language_tabs_and_the_markdown_editor(staff_client: Client) -> None:
    article = make_article(title_en="API keys")
    response = staff_client.get(reverse("admin:helpcenter_article_change", args=[article.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="content_en"' in body
    assert 'name="content_es"' in body
    assert body.count('class="markdownx') >= 2
    assert "helpcenter/admin/tabs.js" in body
    assert "googleapis" not in body


def test_the_article_form_gives_long_titles_a_wide_box(staff_client: Client) -> None:
    article = make_article(title_en="API keys")
    body = staff_client.get(reverse("admin:helpcenter_article_change", args=[article.pk])).content.decode()
    for name in ("title_en", "title_es", "summary_en", "search_keywords_es"):
        before, after = body.split(f'name="{name}"', 1)
        tag = before.rsplit("<input", 1)[1] + after.split(">", 1)[0]
        assert "vLargeTextField" in tag, name


def test_staff_list_filter_and_search_articles(staff_client: Client) -> None:
    make_article(title_en="Two-factor authentication", slug="two-factor-authentication")
    make_article(title_en="Buying top-ups", slug="buying-top-ups", is_published=False)
    url = reverse("admin:helpcenter_article_changelist")
    body = staff_client.get(url, {"q": "two-factor"}).content.decode()
    assert "Two-factor authentication" in body
    assert "Buying top-ups" not in body
    body = staff_client.get(url, {"is_published__exact": "0"}).content.decode()
    assert "Buying top-ups" in body
    assert "Two-factor authentication" not in body


def test_staff_publish_and_unpublish_in_bulk(staff_client: Client) -> None:
    first, second = make_article(is_published=False), make_article(is_published=False)
    url = reverse("admin:helpcenter_article_changelist")
    response = staff_client.post(
        url, {"action": "publish", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    assert "2 articles published." in response.content.decode()
    assert Article.objects.filter(is_published=True).count() == 2
    staff_client.post(url, {"action": "unpublish", "_selected_action": [first.pk]})
    assert list(Article.objects.filter(is_published=False)) == [first]


def test_interactions_are_read_only(staff_client: Client, alice: User) -> None:
    article = make_article()
    row = record_view(article=article, user=alice, language="en")
    assert staff_client.get(reverse("admin:helpcenter_interaction_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:helpcenter_interaction_add")).status_code == 403
    staff_client.post(reverse("admin:helpcenter_interaction_delete", args=[row.pk]), {"post": "yes"})
    assert Interaction.objects.filter(pk=row.pk).exists()


def test_the_reports_page_shows_searches_votes_and_weekly_views(
    staff_client: Client, alice: User, bob: User
) -> None:
    article = make_article(title_en="Confusing article")
    record_view(article=article, user=alice, language="en")
    record_search(query="zebra", result_count=0, user=alice, language="en")
    record_search(query="billing", result_count=3, user=bob, language="en")
    vote(article=article, user=alice, helpful=False, language="en")
    response = staff_client.get(reverse("admin:helpcenter_interaction_reports"), {"days": "7"})
    assert response.status_code == 200
    body = response.content.decode()
    top = body.split('id="top-searches"')[1].split("</table>")[0]
    assert "zebra" in top
    assert "billing" in top
    no_results = body.split('id="no-results"')[1].split("</table>")[0]
    assert "zebra" in no_results
    assert "billing" not in no_results
    least = body.split('id="least-helpful"')[1].split("</table>")[0]
    assert "Confusing article" in least
    assert "100%" in least
    assert "Confusing article" in body.split('id="weekly-views"')[1]
    assert '<option value="7" selected>' in body


@pytest.mark.parametrize(("language", "shown"), [("en", "1,200"), ("es", "1.200")])
def test_the_reports_page_groups_its_counts_in_the_staff_language(
    staff_client: Client, language: str, shown: str
) -> None:
    Interaction.objects.bulk_create(
        Interaction(kind=InteractionKind.SEARCH, query="billing", result_count=3, language="en")
        for _ in range(1200)
    )
    response = staff_client.get(
        reverse("admin:helpcenter_interaction_reports"), headers={"accept-language": language}
    )
    top = response.content.decode().split('id="top-searches"')[1].split("</table>")[0]
    assert f"<td>{shown}</td>" in top


def test_the_reports_tables_scroll_inside_their_box(staff_client: Client, alice: User) -> None:
    record_view(article=make_article(), user=alice, language="en")
    body = staff_client.get(reverse("admin:helpcenter_interaction_reports")).content.decode()
    assert "helpcenter/admin/reports.css" in body
    assert '<div class="help-table-scroll">\n  <table id="weekly-views">' in body


@pytest.mark.parametrize("days", ["abc", "-1", "5", "9" * 50, "٣٠"])
def test_a_bad_period_falls_back_to_30_days(staff_client: Client, days: str) -> None:
    response = staff_client.get(reverse("admin:helpcenter_interaction_reports"), {"days": days})
    assert response.status_code == 200
    assert '<option value="30" selected>' in response.content.decode()


def test_the_help_center_app_index_links_the_reports(staff_client: Client) -> None:
    body = staff_client.get(reverse("admin:app_list", args=["helpcenter"])).content.decode()
    assert reverse("admin:helpcenter_interaction_reports") in body


def test_non_staff_never_reach_the_help_center_admin(client: Client, charlie: User) -> None:
    client.force_login(charlie)
    for url in [
        reverse("admin:helpcenter_article_changelist"),
        reverse("admin:helpcenter_category_changelist"),
        reverse("admin:helpcenter_interaction_reports"),
    ]:
        assert client.get(url).status_code in (302, 403)


def test_staff_without_two_factor_do_not_reach_it(client: Client, staff: User) -> None:
    client.force_login(staff)
    response = client.get(reverse("admin:helpcenter_interaction_reports"))
    assert response.status_code == 302


def test_the_markdown_preview_is_for_staff_only_and_sanitised(
    client: Client, charlie: User, staff_client: Client
) -> None:
    text = "## Hi\n\n<script>alert(1)</script> **bold**"
    assert client.post(MARKDOWNIFY, {"content": text}).status_code == 403
    client.force_login(charlie)
    assert client.post(MARKDOWNIFY, {"content": text}).status_code == 403
    response = staff_client.post(MARKDOWNIFY, {"content": text})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<strong>bold</strong>" in body
    assert "<script" not in body


def test_image_upload_is_for_staff_only(
    client: Client, charlie: User, staff_client: Client, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client.force_login(charlie)
    image = SimpleUploadedFile("x.png", png(), content_type="image/png")
    assert client.post(UPLOAD, {"image": image}).status_code == 403
    image = SimpleUploadedFile("x.png", png(), content_type="image/png")
    response = staff_client.post(UPLOAD, {"image": image}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 200
    assert "image_code" in response.json()
    assert len(list((tmp_path / "help").iterdir())) == 1


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", MARKDOWNIFY, {}),
        ("get", MARKDOWNIFY, {}),
        ("get", UPLOAD, {}),
        ("post", UPLOAD, {}),
        ("post", UPLOAD, {"image": SimpleUploadedFile("x.png", b"not a png", content_type="image/png")}),
        (
            "post",
            UPLOAD,
            {"image": SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")},
        ),
    ],
)
def test_the_markdownx_views_refuse_bad_requests_without_a_500(
    staff_client: Client, settings: Any, tmp_path: Path, method: str, url: str, data: dict
) -> None:
    settings.MEDIA_ROOT = tmp_path
    response = getattr(staff_client, method)(url, data, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code in (400, 405)
    assert not (tmp_path / "help").exists() or not any((tmp_path / "help").iterdir())
