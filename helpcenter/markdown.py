"""Help articles' Markdown, through the project's one pipeline (javari.markdown: sanitised by nh3)."""

from __future__ import annotations

from django.utils.safestring import SafeString

from javari.markdown import render_markdown


def markdownify(text: str) -> SafeString:
    """The admin editor's live preview (django-markdownx's MARKDOWNX_MARKDOWNIFY_FUNCTION)."""
    return render_markdown(text)
