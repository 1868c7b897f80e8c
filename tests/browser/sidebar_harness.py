"""A test-only page for the side panel: the real partial, CSS and JS beside one conversation whose reply's
artifacts come from javari.markdown on a fixed text. The browser test switches it in as ROOT_URLCONF;
the project's own URLs follow, for the page layout's links."""

from __future__ import annotations

import functools
import json

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from javari.markdown import render_with_artifacts

CODE = '''def greet(name: str) -> str:
    """Say hello to someone by name."""
    if not name:
        raise ValueError("a name, please")
    greeting = f"Hello, {name}!"
    print(greeting)
    return greeting
'''

# Hunk sizes: five old lines (one removed), seven new ones (three added).
DIFF = "\n".join(
    [
        "--- a/app/greet.py",
        "+++ b/app/greet.py",
        "@@ -1,5 +1,7 @@",
        " def greet(name: str) -> str:",
        '-    return "Hello " + name',
        "+    if not name:",
        '+        raise ValueError("a name, please")',
        '+    return f"Hello, {name}!"',
        " ",
        " ",
        " def main() -> None:",
        "",
    ]
)

DOCUMENT = {
    "name": "Javari",
    "version": 2,
    "features": {"chat": True, "sidebar": {"default_open": False, "width": "45%"}},
    "languages": ["en", "es"],
    "owner": None,
}

REPLY = (
    "Here is the function, the change to make, and the settings it reads.\n\n"
    f"```python\n{CODE}```\n\n"
    f"```diff\n{DIFF}```\n\n"
    f"```json\n{json.dumps(DOCUMENT)}\n```\n\n"
    "![The Javari logo](/static/img/javari.svg)\n\n"
    "And a short one, which stays in the message:\n\n"
    '```js\nconsole.log("short");\n```\n'
)

TEMPLATE = """{% extends "base.html" %}{% load static %}
{% block head_title %}Side panel harness{% endblock %}
{% block extra_head %}
  <link rel="stylesheet" href="{% static 'css/markdown.css' %}">
  <link rel="stylesheet" href="{% static 'css/sidebar.css' %}">
  <script src="{% static 'js/codeblocks.js' %}" defer></script>
  <script src="{% static 'js/sidebar.js' %}" defer></script>
  <style>
    .workspace-main:has(.chat-layout) { padding: 0; }
    .chat-main { display: flex; flex-direction: column; gap: 12px; padding: 16px 20px 96px; }
    .harness-header { display: flex; align-items: center; justify-content: space-between; gap: 12px; }
    .harness-header h1 { margin: 0; font-size: 1.2rem; }
    .harness-messages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; }
    .harness-messages { gap: 14px; }
    .chat-message { max-width: 820px; overflow-wrap: anywhere; }
    .chat-message-user { align-self: flex-end; background: var(--surface-2); }
    .chat-message-user { border-radius: 14px; padding: 10px 14px; }
  </style>
{% endblock %}
{% block body %}
<div class="chat-layout" data-sidebar-default="{{ default }}">
  <section class="chat-main" aria-labelledby="harness-title">
    <header class="harness-header">
      <h1 id="harness-title">A conversation</h1>
      <button type="button" class="button button-ghost button-small" id="harness-toggle"
        data-sidebar-toggle aria-controls="sidebar" aria-expanded="false">Side panel</button>
    </header>
    <ol class="harness-messages">
      <li class="chat-message chat-message-user">Write me a greeting function.</li>
      <li class="chat-message" id="reply"
        {% if artifacts_json %}data-artifacts="{{ artifacts_json }}"{% endif %}>
        <div class="chat-message-body">{{ reply_html }}</div>
      </li>
    </ol>
  </section>
  {% include "chat/_sidebar.html" %}
</div>
{% endblock %}
"""


@functools.cache
def _template():  # type: ignore[no-untyped-def]
    return engines["django"].from_string(TEMPLATE)


def harness(request: HttpRequest) -> HttpResponse:
    # ?plain=1: a reply without code, so the panel has nothing to show; ?default=open: the preference.
    html, artifacts = render_with_artifacts(
        "Just words, nothing to open." if request.GET.get("plain") else REPLY
    )
    context = {
        "reply_html": html,
        "artifacts_json": json.dumps(artifacts) if artifacts else "",
        "default": "open" if request.GET.get("default") == "open" else "closed",
    }
    return HttpResponse(_template().render(context, request))


urlpatterns = [
    path("sidebar-harness/", harness, name="sidebar_harness"),
    path("", include("javari.urls")),
]
