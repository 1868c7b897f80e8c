"""Behaviour & Personality: reading and changing a person's preferences, and composing the system prompt.

The system prompt is composed in the one order DESIGN.md gives ("Chat"):

1. the platform prompt (staff, ``PlatformSettings``);
2. the behaviour preset's prompt (staff, ``BehaviorPreset``), when one is picked and active;
3. one sentence each for the response style, the code preference and the tone;
4. the person's own instructions, introduced so that they win where they disagree with the above;
5. the reply language.

Every part is written in the reply language (the preset and platform texts in that language's
modeltranslation fields, the sentences through gettext), blank parts are skipped, and the parts are
joined by blank lines. The chat and the settings page's live preview both call ``compose_from``, so
the preview shows exactly what is sent.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts import services as accounts_services
from accounts.models import User
from preferences.models import (
    BehaviorPreset,
    CodePreference,
    CommunicationTone,
    PlatformSettings,
    ResponseStyle,
    UserPreferences,
)

STYLE_SENTENCES: dict[str, Promise] = {
    ResponseStyle.BEGINNER: _(
        "Assume the user is a beginner: use plain words, define technical terms and go step by step."
    ),
    ResponseStyle.INTERMEDIATE: _(
        "Assume the user has some experience: explain what matters and skip what is obvious."
    ),
    ResponseStyle.EXPERT: _("Assume the user is an expert: be brief and precise, and skip the basics."),
}
CODE_SENTENCES: dict[str, Promise] = {
    CodePreference.FULL_REPLACEABLE: _(
        "When you write code, give complete files the user can paste in place of their own."
    ),
    CodePreference.SNIPPETS: _("When you write code, give only the parts that change and say where they go."),
    CodePreference.EXPLANATIONS: _(
        "When code is involved, explain the approach rather than give long listings."
    ),
}
TONE_SENTENCES: dict[str, Promise] = {
    CommunicationTone.PROFESSIONAL: _("Keep a professional tone."),
    CommunicationTone.CASUAL: _("Keep a friendly, casual tone."),
    CommunicationTone.TECHNICAL: _("Keep a precise, technical tone."),
}
CUSTOM_INTRODUCTION = _(
    "The user's own instructions follow; where they disagree with the above, follow them."
)
REPLY_LANGUAGE_SENTENCES: dict[str, Promise] = {
    "en": _("Always reply in English."),
    "es": _("Always reply in Spanish."),
}

# What ``update_preferences`` may change; ``language`` is the user's (accounts.User.language).
PREFERENCE_FIELDS = frozenset(
    {
        "preset",
        "response_style",
        "code_preference",
        "communication_tone",
        "custom_system_prompt",
        "theme",
        "sidebar_default_open",
        "time_zone",
        "week_start",
        "calendar_view",
        "notify_email",
        "notify_in_app",
        "lead_minutes",
        "quiet_hours_start",
        "quiet_hours_end",
    }
)


# --- Reading --------------------------------------------------------------------------------------


def get_preferences(user: User) -> UserPreferences:
    """The user's preferences, opened with the defaults the first time they're needed.

    A building block: its savepoint nests in any caller's transaction.
    """
    preferences = UserPreferences.objects.select_related("preset").filter(user=user).first()
    if preferences is not None:
        return preferences
    try:
        with transaction.atomic():
            UserPreferences.objects.create(user=user)
    except IntegrityError:
        pass  # another request opened them first: read theirs
    return UserPreferences.objects.select_related("preset").get(user=user)


def saved_preferences(user: User) -> UserPreferences | None:
    """The user's preferences if they were ever opened; never creates a row."""
    return UserPreferences.objects.select_related("preset").filter(user=user).first()


def active_presets() -> list[BehaviorPreset]:
    """The presets a person can pick, in their order."""
    return list(BehaviorPreset.objects.filter(is_active=True).order_by("order", "key"))


def time_zone_of(user: User) -> str:
    """The person's IANA time zone: saved, else UTC (the browser's guess saves one on first visit)."""
    preferences = saved_preferences(user) if getattr(user, "is_authenticated", False) else None
    return (preferences.time_zone if preferences is not None else "") or "UTC"


def supported_language(code: str | None) -> str | None:
    """``code`` (or its base language, es-mx → es) when it is one of ours, else None."""
    if not code:
        return None
    languages = dict(settings.LANGUAGES)
    for candidate in (code, code.split("-")[0]):
        if candidate in languages:
            return candidate
    return None


def reply_language(user: User) -> str:
    """The language Javari replies in: the user's saved one, else the request's, else the default."""
    return (
        supported_language(user.language)
        or supported_language(translation.get_language())
        or settings.LANGUAGE_CODE
    )


# --- The system prompt ----------------------------------------------------------------------------


def compose_from(
    *,
    preset: BehaviorPreset | None,
    response_style: str,
    code_preference: str,
    communication_tone: str,
    custom_system_prompt: str,
    language: str,
    platform_prompt: str | None = None,
) -> str:
    """The system prompt for these values (saved or not), in ``language``; see the module docstring.

    ``platform_prompt`` defaults to the staff setting in that language.
    """
    with translation.override(language):
        if platform_prompt is None:
            # Read inside override(): modeltranslation returns the active language's field.
            platform_prompt = PlatformSettings.load().platform_prompt or ""
        preset_prompt = preset.system_prompt if preset is not None and preset.is_active else ""
        custom = (custom_system_prompt or "").strip()
        parts = [
            platform_prompt,
            preset_prompt or "",
            str(STYLE_SENTENCES.get(response_style, "")),
            str(CODE_SENTENCES.get(code_preference, "")),
            str(TONE_SENTENCES.get(communication_tone, "")),
            f"{CUSTOM_INTRODUCTION}\n\n{custom}" if custom else "",
            str(REPLY_LANGUAGE_SENTENCES.get(language, "")),
        ]
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


def compose_system_prompt(*, user: User) -> str:
    """The system prompt the chat sends for ``user``, from their saved preferences."""
    preferences = get_preferences(user)
    return compose_from(
        preset=preferences.preset,
        response_style=preferences.response_style,
        code_preference=preferences.code_preference,
        communication_tone=preferences.communication_tone,
        custom_system_prompt=preferences.custom_system_prompt,
        language=reply_language(user),
    )


# --- Writing --------------------------------------------------------------------------------------


def normalize_prompt(text: str) -> str:
    """One newline character per line break (browsers send CRLF), no surrounding blank space.

    So the 4,000-character limit counts what the person sees in the counter.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _preset_from(value: BehaviorPreset | str | None) -> BehaviorPreset | None:
    if value is None or value == "":
        return None
    key = value.key if isinstance(value, BehaviorPreset) else str(value)
    preset = BehaviorPreset.objects.filter(key=key, is_active=True).first()
    if preset is None:
        raise ValidationError({"preset": [_("Choose one of the presets offered.")]})
    return preset


def update_preferences(*, user: User, move_reminders: bool = False, **fields: Any) -> UserPreferences:
    """Change some of the user's preferences (and ``language``, the user's own); all or nothing.

    Every value is validated before anything is written: one bad value raises ``ValidationError``
    naming each bad field, and nothing changes. ``preset`` is a ``BehaviorPreset``, its key, or None.
    ``time_zone`` is an IANA name; with ``move_reminders`` a changed zone also moves the person's
    open reminders to it, keeping their times of day, in the same transaction. Quiet hours are both
    set or both empty, and start and end differ (a range may cross midnight: 22:00 to 07:00).
    """
    unknown = set(fields) - PREFERENCE_FIELDS - {"language"}
    if unknown:
        raise TypeError(f"Unknown preference fields: {', '.join(sorted(unknown))}")
    language = fields.pop("language", None)
    errors: dict[str, list[str]] = {}

    if "preset" in fields:
        try:
            fields["preset"] = _preset_from(fields["preset"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
            del fields["preset"]
    if language is not None and language not in dict(settings.LANGUAGES):
        errors["language"] = [str(_("Choose English or Spanish."))]

    if fields.get("time_zone"):
        from reminders.errors import InvalidTimeZone
        from reminders.recurrence import zone_named

        try:
            zone_named(fields["time_zone"])
        except InvalidTimeZone as exc:
            errors["time_zone"] = [str(exc)]
            del fields["time_zone"]

    if isinstance(fields.get("custom_system_prompt"), str):
        fields["custom_system_prompt"] = normalize_prompt(fields["custom_system_prompt"])

    preferences = get_preferences(user)
    previous_zone = preferences.time_zone
    _check_quiet_hours(preferences, fields, errors)
    for name, value in fields.items():
        setattr(preferences, name, value)
    try:
        preferences.full_clean(exclude=["user"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    zone_changed = bool(preferences.time_zone) and preferences.time_zone != previous_zone
    with transaction.atomic(durable=True):
        preferences.save()
        if language is not None and language != user.language:
            accounts_services.set_user_language(user=user, language=language)
        if move_reminders and zone_changed:
            from reminders import services as reminders_services

            reminders_services.move_reminders_to_zone(user=user, time_zone=preferences.time_zone)
    return preferences


def _check_quiet_hours(
    preferences: UserPreferences, fields: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    """Quiet hours as they would be saved: both times or neither, and not the same time twice."""
    if "quiet_hours_start" not in fields and "quiet_hours_end" not in fields:
        return
    start = fields.get("quiet_hours_start", preferences.quiet_hours_start)
    end = fields.get("quiet_hours_end", preferences.quiet_hours_end)
    if (start is None) != (end is None):
        name = "quiet_hours_end" if end is None else "quiet_hours_start"
        errors.setdefault(name, []).append(
            str(_("Set both times of your quiet hours, or leave both empty to have none."))
        )
    elif start is not None and start == end:
        errors.setdefault("quiet_hours_end", []).append(
            str(_("Quiet hours need to end at a different time than they start."))
        )


def set_time_zone(*, user: User, time_zone: str, move_reminders: bool) -> UserPreferences:
    """Save the person's IANA time zone (``Europe/Madrid``); with ``move_reminders`` their open
    reminders move to it too, keeping their times of day, in the same transaction. Durable.
    Raises ``ValidationError`` (``time_zone``) for a name that isn't in the tz database."""
    if not time_zone:
        raise ValidationError({"time_zone": [_("Choose a time zone from the list.")]})
    return update_preferences(user=user, time_zone=time_zone, move_reminders=move_reminders)


def guess_time_zone(*, user: User, time_zone: str) -> bool:
    """Keep the browser's guess of the person's zone, only while they have none saved; returns
    whether it was saved. An invalid guess is ignored (False). Durable: one conditional update, so
    two tabs guessing at once, or a choice made meanwhile, are never overwritten."""
    from reminders.errors import InvalidTimeZone
    from reminders.recurrence import zone_named

    try:
        zone = zone_named(time_zone).key
    except InvalidTimeZone:
        return False
    get_preferences(user)
    with transaction.atomic(durable=True):
        return UserPreferences.objects.filter(user=user, time_zone="").update(time_zone=zone) == 1


def apply_preset(*, user: User, preset: BehaviorPreset | str) -> UserPreferences:
    """Pick a preset: it becomes the user's and fills the fields it sets (Custom fills none)."""
    chosen = _preset_from(preset)
    if chosen is None:
        raise ValidationError({"preset": [_("Choose one of the presets offered.")]})
    fills: dict[str, Any] = dict(chosen.fills)
    return update_preferences(user=user, preset=chosen, **fills)
