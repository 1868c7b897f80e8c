"""The partner API's docs page (/api/v1/docs/) in Chromium: Swagger UI, from our own static files, reads
the schema and lists every operation under our Content-Security-Policy (the page fixture fails the
test on any violation)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_shows_the_api_under_the_policy(
    page: Page, live_server, shot, page_problems: list[str]
) -> None:
    outside: list[str] = []
    ours = f"{live_server.url}/"
    page.on("request", lambda request: None if request.url.startswith(ours) else outside.append(request.url))
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Javari AI partner API")
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = {path.strip().replace("\u200b", "") for path in operations.all_inner_texts()}
    assert "/api/v1/conversations/{conversation_id}/messages/" in paths
    assert "/api/v1/api-keys/{id}/revoke/" in paths
    # Opening the message operation shows the stream's events.
    page.locator(".opblock-post", has_text="/messages/").first.locator(".opblock-summary").click()
    expect(page.locator(".opblock-post.is-open").first).to_contain_text("text/event-stream")
    shot("docs")
    assert outside == []  # no CDN, no validator badge
    assert page_problems == []
