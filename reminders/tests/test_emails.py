"""A reminder's email: text and HTML, the person's language and zone, absolute signed links."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from conftest import make_user
from preferences.models import UserPreferences
from reminders.links import read_token
from reminders.models import Channel, Delivery, Reminder
from reminders.services.dispatch import claim_emails, send_emails, write_due_notices
from reminders.tests.dispatch_helpers import due_reminder

pytestmark = pytest.mark.django_db


def _send(reminder_user: User, **fields: Any) -> tuple[Reminder, Any]:
    reminder, due = due_reminder(reminder_user, **fields)
    write_due_notices(now=due)
    assert send_emails(claim_emails(now=due, queue=False)) == 1
    return reminder, mail.outbox[-1]


@override_settings(SITE_URL="https://javari.example.com")
def test_the_email_has_text_and_html_with_absolute_signed_links(alice: User) -> None:
    reminder, message = _send(alice, title="Rotate the Stripe key", description="Use the dashboard.")

    assert message.subject == "[Javari AI] Reminder: Rotate the Stripe key"
    assert message.to == [alice.email]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Use the dashboard." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Rotate the Stripe key" in html
    links = re.findall(r"https://javari\.example\.com/reminders/email/(\w+)/([^/\s]+)/", message.body)
    assert sorted({action for action, _token in links}) == ["complete", "open", "snooze"]
    assert len([a for a, _t in links if a == "snooze"]) == 3  # 10 minutes, 1 hour, tomorrow
    for action, token in links:
        target = read_token(action=action, token=token)
        assert target.reminder == reminder
        assert target.occurrence == reminder.due_at
    # The signed-in link opens this reminder, and says so (it was labelled "All your reminders:").
    assert f"Open in Javari: https://javari.example.com/reminders/{reminder.pk}/" in message.body
    assert "All your reminders" not in message.body
    assert "72 hours" in message.body


def test_the_email_speaks_the_persons_language_and_shows_their_zone(db: None) -> None:
    ana = make_user("ana@example.com", display_name="Ana", language="es")
    UserPreferences.objects.create(user=ana, time_zone="Europe/Madrid")
    start = timezone.now().date() + timedelta(days=30)
    _reminder, message = _send(
        ana, title="Copia de seguridad", start_date=start, start_time=time(9, 0), time_zone="UTC"
    )
    assert message.subject == "[Javari AI] Recordatorio: Copia de seguridad"
    assert "Hola Ana" in message.body
    assert "Abrir en Javari: " in message.body
    # 09:00 UTC is 10:00 or 11:00 in Madrid; the Spanish format writes the month's name in Spanish.
    assert "(Europe/Madrid)" in message.body
    assert re.search(r"\b(10|11):00\b", message.body)
    assert "Marcar como hecho" in message.alternatives[0][0]


def test_a_title_cannot_break_the_subject_line(alice: User) -> None:
    reminder, due = due_reminder(alice, title="Quarterly review")
    Delivery.objects.all().delete()
    type(reminder).objects.filter(pk=reminder.pk).update(title="Line one\nBcc: evil@example.com")
    write_due_notices(now=due)
    send_emails(claim_emails(now=due, queue=False))
    assert "\n" not in mail.outbox[0].subject
    assert mail.outbox[0].bcc == []


def test_an_html_title_is_escaped_in_the_html_part(alice: User) -> None:
    _reminder, message = _send(alice, title="<script>alert(1)</script>")
    html = message.alternatives[0][0]
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert Delivery.objects.get(channel=Channel.EMAIL).status == "sent"


# --- The cached skeletons make the very message the templates render --------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("snooze_round", [0, 2])
@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Plain", ""),
        ("<b>Bold</b> & \ue000title\ue000 \ue000due\ue000", 'Line one\nLine "two" <i>\ue000name\ue000</i>'),
    ],
)
@override_settings(SITE_URL="https://javari.example.com/")
def test_the_skeleton_message_is_the_templates_message(
    db: None, language: str, snooze_round: int, title: str, description: str
) -> None:
    from django.template.loader import render_to_string
    from django.utils import translation

    from reminders.emails import email_context, reminder_email

    person = make_user(f"{language}{snooze_round}@example.com", display_name="Ana & <Bo>", language=language)
    UserPreferences.objects.create(user=person, time_zone="America/New_York")
    reminder, _due = due_reminder(person, title=title, description=description)
    delivery = Delivery(
        reminder=reminder, user=person, occurrence=reminder.due_at, snooze_round=snooze_round, channel="email"
    )
    message = reminder_email(delivery)
    with translation.override(language):
        context = email_context(delivery)
        subject = render_to_string("reminders/email/subject.txt", context)
        text = render_to_string("reminders/email/reminder.txt", context)
        html = render_to_string("reminders/email/reminder.html", context)
    # Signatures carry a timestamp: compare with the tokens blanked, then check the tokens apart.
    token = re.compile(r"/reminders/email/(open|complete|snooze)/[^/\s\"]+/")

    def blank(value: object) -> str:
        return token.sub(r"/reminders/email/\1/TOKEN/", str(value))

    assert message.subject == " ".join(subject.split())
    assert blank(message.body) == blank(text)
    assert blank(message.alternatives[0][0]) == blank(html)
    body = str(message.body)
    assert "\ue000" in body or "\ue000" not in title + description  # values left as written
    for action, raw in re.findall(r"/reminders/email/(open|complete|snooze)/([^/\s\"]+)/", body):
        assert read_token(action=action, token=raw).reminder == reminder


def test_html_values_are_escaped_once_and_text_values_not_at_all(alice: User) -> None:
    _reminder, message = _send(alice, title="Fish & chips <now>", description="a < b")
    html = message.alternatives[0][0]
    assert "Fish &amp; chips &lt;now&gt;" in html
    assert "&amp;amp;" not in html
    assert "a &lt; b" in html
    assert "Fish & chips <now>" in message.body
    assert "a < b" in message.body
    assert message.subject == "[Javari AI] Reminder: Fish & chips <now>"
