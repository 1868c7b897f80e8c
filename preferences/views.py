"""Settings: the hub, Behavior & Personality (with its live prompt preview), Calendar & Scheduling,
Reminders & Notifications, Language & Localization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from javari.shell import THEME_COOKIE
from javari.web import login_required
from preferences import services
from preferences.context_processors import saved_theme
from preferences.forms import BehaviorForm, LanguageThemeForm, NotificationSettingsForm, SchedulingForm
from preferences.models import CUSTOM_PROMPT_MAX_CHARS


@dataclass(frozen=True)
class Section:
    title: str | Promise
    description: str | Promise
    url_name: str


# The spec's order: Behavior & Personality, Integrations, Security & API Keys, Calendar & Scheduling,
# Reminders & Notifications, Language & Localization, Usage & Analytics. Each later feature adds its
# section here in that order; one whose URL doesn't resolve is left out, as in the profile menu.
SECTIONS = [
    Section(
        gettext_lazy("Behavior & Personality"),
        gettext_lazy("Customize how Javari responds to you"),
        "preferences:behavior",
    ),
    Section(
        gettext_lazy("Integrations"),
        gettext_lazy("Connect Gmail, Vercel, Supabase, etc."),
        "integrations:index",
    ),
    Section(
        gettext_lazy("Security & API Keys"),
        gettext_lazy("Manage all tokens and credentials"),
        "accounts:security",
    ),
    Section(
        gettext_lazy("Calendar & Scheduling"),
        gettext_lazy("Your time zone, the first day of the week and the calendar's view"),
        "preferences:scheduling",
    ),
    Section(
        gettext_lazy("Reminders & Notifications"),
        gettext_lazy("How and when reminders reach you, and quiet hours"),
        "preferences:notifications",
    ),
    Section(
        gettext_lazy("Language & Localization"),
        gettext_lazy("Choose your preferred language"),
        "preferences:language",
    ),
    Section(gettext_lazy("Usage & Analytics"), gettext_lazy("View your activity and stats"), "credits:usage"),
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


# --- Language and theme, shared by both pages ------------------------------------------------------


def _apply_language_and_theme(
    request: HttpRequest, response: HttpResponse, *, language: str, theme: str
) -> None:
    """Make a saved language and theme take effect at once: this request's language (so the success
    message is already in it), Django's language cookie, and the shell's theme cookie."""
    translation.activate(language)
    request.LANGUAGE_CODE = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.SESSION_COOKIE_SECURE,
    )
    response.set_cookie(
        THEME_COOKIE,
        theme,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _current_language(request: HttpRequest) -> str:
    return services.reply_language(request.user)  # type: ignore[arg-type]


def _add_errors(form: Any, exc: ValidationError) -> None:
    """A service's field errors onto the form (``language`` is the form's name too)."""
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


# --- Behavior & Personality -----------------------------------------------------------------------


def _behavior_context(form: BehaviorForm, preview: dict[str, Any]) -> dict[str, Any]:
    return {"form": form, "presets": form.presets, "limit": CUSTOM_PROMPT_MAX_CHARS, **preview}


def _preview(form: BehaviorForm) -> dict[str, Any]:
    """The preview's context: the prompt composed from the form's values, or why there is none."""
    if not form.is_valid():
        return {"preview_prompt": None}
    values = form.preference_values()
    prompt = services.compose_from(
        preset=values["preset"],
        response_style=values["response_style"],
        code_preference=values["code_preference"],
        communication_tone=values["communication_tone"],
        custom_system_prompt=values["custom_system_prompt"],
        language=values["language"],
    )
    return {"preview_prompt": prompt, "preview_language": values["language"]}


@login_required
def behavior(request: HttpRequest) -> HttpResponse:
    """Behavior & Personality: presets as cards, the fields they fill, own instructions, a live preview."""
    preferences = services.get_preferences(request.user)  # type: ignore[arg-type]
    initial = BehaviorForm.initial_for(
        preferences, language=_current_language(request), theme=saved_theme(request)
    )
    if request.method == "POST":
        form = BehaviorForm(request.POST, initial=initial)
        if form.is_valid():
            values = form.preference_values()
            try:
                services.update_preferences(user=request.user, **values)  # type: ignore[arg-type]
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                response = redirect("preferences:behavior")
                _apply_language_and_theme(
                    request, response, language=values["language"], theme=values["theme"]
                )
                messages.success(
                    request, _("Your preferences are saved. Javari uses them from your next message.")
                )
                return response
        return render(request, "preferences/behavior.html", _behavior_context(form, _preview(form)))
    form = BehaviorForm(initial=initial)
    preview = {
        "preview_prompt": services.compose_system_prompt(user=request.user),  # type: ignore[arg-type]
        "preview_language": initial["language"],
    }
    return render(request, "preferences/behavior.html", _behavior_context(form, preview))


@require_POST
@never_cache
@login_required(fallback="preferences:behavior")
def behavior_preview(request: HttpRequest) -> HttpResponse:
    """The preview partial: exactly what would be sent, composed from the form's unsaved values."""
    preferences = services.get_preferences(request.user)  # type: ignore[arg-type]
    initial = BehaviorForm.initial_for(
        preferences, language=_current_language(request), theme=saved_theme(request)
    )
    form = BehaviorForm(request.POST, initial=initial)
    return render(request, "preferences/_preview.html", {"form": form, **_preview(form)})


# --- Language & Localization ----------------------------------------------------------------------


@login_required
def language(request: HttpRequest) -> HttpResponse:
    """Language & Localization: the language and the theme, both in effect from the next page."""
    initial = {"language": _current_language(request), "theme": saved_theme(request)}
    form = LanguageThemeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        language_code, theme = form.cleaned_data["language"], form.cleaned_data["theme"]
        try:
            services.update_preferences(user=request.user, language=language_code, theme=theme)  # type: ignore[arg-type]
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            response = redirect("preferences:language")
            _apply_language_and_theme(request, response, language=language_code, theme=theme)
            messages.success(request, _("Language and theme saved."))
            return response
    return render(request, "preferences/language.html", {"form": form})


# --- Calendar & Scheduling ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def scheduling(request: HttpRequest) -> HttpResponse:
    """Calendar & Scheduling: time zone (optionally moving the reminders with it), week start, view."""
    preferences = services.get_preferences(request.user)  # type: ignore[arg-type]
    initial = SchedulingForm.initial_for(preferences)
    form = SchedulingForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_preferences(
                    user=request.user,  # type: ignore[arg-type]
                    time_zone=data["time_zone"],
                    week_start=data["week_start"],
                    calendar_view=data["calendar_view"],
                    move_reminders=data["move_reminders"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Calendar and scheduling settings saved."))
                return redirect("preferences:scheduling")
        return render(request, "preferences/scheduling.html", {"form": form}, status=400)
    return render(request, "preferences/scheduling.html", {"form": form, "saved_zone": preferences.time_zone})


# --- Reminders & Notifications --------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """Reminders & Notifications: a new reminder's channels and lead time, and quiet hours."""
    preferences = services.get_preferences(request.user)  # type: ignore[arg-type]
    form = NotificationSettingsForm(
        request.POST or None, initial=NotificationSettingsForm.initial_for(preferences)
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_preferences(user=request.user, **form.preference_values())  # type: ignore[arg-type]
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Reminder and notification settings saved."))
                return redirect("preferences:notifications")
        return render(request, "preferences/notifications.html", {"form": form}, status=400)
    return render(request, "preferences/notifications.html", {"form": form})
