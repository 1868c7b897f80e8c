"""Account emails are rendered in the request and sent by the worker after commit, by id only."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.test import Client

from accounts.models import OutgoingEmail, User
from accounts.tasks import send_account_email
from conftest import PASSWORD, make_user
from javari.tasks import enqueue_on_commit
from javari.tests.test_celery import worker  # noqa: F401 (a fixture: a real worker)


def _queued(callbacks: list) -> list[tuple[str, tuple]]:
    """Each captured on-commit callback as (task name, arguments)."""
    return [(callback.func.__self__.name, callback.args) for callback in callbacks]


@pytest.mark.django_db
def test_signing_up_queues_the_verification_email_by_id_and_sends_nothing_in_the_request(
    client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/accounts/signup/",
            {
                "display_name": "Nadia",
                "email": "nadia@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    assert response.status_code == 302
    email = OutgoingEmail.objects.get()
    assert email.to == ["nadia@example.com"]
    assert "/accounts/confirm-email/" in email.body
    assert _queued(callbacks) == [("accounts.tasks.send_account_email", (str(email.pk),))]
    assert mail.outbox == []

    assert send_account_email(str(email.pk)) is True
    assert [message.to for message in mail.outbox] == [["nadia@example.com"]]
    assert mail.outbox[0].subject.startswith("[Javari AI]")
    assert not OutgoingEmail.objects.exists()  # the link it held is gone once sent
    assert send_account_email(str(email.pk)) is False  # a repeated delivery sends nothing twice
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_password_reset_queues_its_email_by_id(
    client: Client, alice: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/accounts/password/reset/", {"email": alice.email})
    assert response.status_code == 302
    email = OutgoingEmail.objects.get()
    assert email.to == [alice.email]
    assert "/accounts/password/reset/key/" in email.body
    assert _queued(callbacks) == [("accounts.tasks.send_account_email", (str(email.pk),))]
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_html_part_travels_with_the_message(django_capture_on_commit_callbacks) -> None:
    from django.core.mail import EmailMultiAlternatives

    from accounts.adapter import queue_email

    message = EmailMultiAlternatives("Subject", "Text", "from@example.com", ["to@example.com"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    with django_capture_on_commit_callbacks(execute=False):
        email = queue_email(message)
    send_account_email(str(email.pk))
    assert mail.outbox[0].alternatives[0][0] == "<p>HTML</p>"


@pytest.mark.parametrize("value", [{"id": 1}, [1], 1.5, True, None, object()])
def test_tasks_are_queued_with_ids_only(value: object) -> None:
    with pytest.raises(TypeError, match="ids only"):
        enqueue_on_commit(send_account_email, value)  # type: ignore[arg-type]


@pytest.fixture
def sent() -> Iterator[threading.Event]:
    """Set when the worker has finished a send_account_email task: waited on, never slept for."""
    done = threading.Event()

    def record(sender: object = None, **kwargs: object) -> None:
        if getattr(sender, "name", "") == send_account_email.name:
            done.set()

    task_postrun.connect(record, weak=False)
    yield done
    task_postrun.disconnect(record)


def test_a_real_worker_sends_the_email_after_the_request_commits(
    worker: None,  # noqa: F811
    sent: threading.Event,
    client: Client,
) -> None:
    make_user("walter@example.com", display_name="Walter")
    response = client.post("/accounts/password/reset/", {"email": "walter@example.com"})
    assert response.status_code == 302
    assert sent.wait(timeout=30)
    assert [message.to for message in mail.outbox] == [["walter@example.com"]]
    assert not OutgoingEmail.objects.exists()
