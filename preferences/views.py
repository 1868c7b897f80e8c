"""The Settings hub: one card per section of the spec's settings navigation (§3) that exists."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    title: str | Promise
    description: str | Promise
    url_name: str


# The spec's order: Behavior & Personality, Integrations, Security & API Keys, Calendar & Scheduling,
# Reminders & Notifications, Language & Localization, Usage & Analytics. Each later feature adds its
# section here in that order; one whose URL doesn't resolve is left out, as in the profile menu.
SECTIONS = [
    Section(_("Security & API Keys"), _("Manage all tokens and credentials"), "accounts:security"),
    Section(_("Usage & Analytics"), _("View your activity and stats"), "credits:usage"),
]


def available_sections() -> list[dict]:
    sections = []
    for section in SECTIONS:
        try:
            url = reverse(section.url_name)
        except NoReverseMatch:
            continue
        sections.append({"title": section.title, "description": section.description, "url": url})
    return sections


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Settings: the sections a person can open."""
    return render(request, "preferences/index.html", {"sections": available_sections()})
