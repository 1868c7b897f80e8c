from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.core.mail import EmailMessage
from django.http import HttpRequest
from django.utils.translation import get_language

from accounts.models import OutgoingEmail, User
from accounts.redirects import is_own_url
from javari.tasks import enqueue_on_commit

PRODUCT_NAME = "Javari AI"


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: User, form: object, commit: bool = True) -> User:
        """A new user keeps the interface language they signed up in."""
        user.language = get_language() or ""
        return super().save_user(request, user, form, commit=commit)

    def is_safe_url(self, url: str | None) -> bool:
        """Every ``next`` allauth reads (sign-in, sign-up, sign-out, two-factor) stays on our host.

        allauth's own check also trusts every host in ``ALLOWED_HOSTS`` and
        ``CSRF_TRUSTED_ORIGINS``; ours is the host the request came to, as everywhere else.
        """
        request = allauth_context.request
        return request is not None and is_own_url(request, url)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's messages, signed with the product's name rather than the bare host name, and
        sent by the worker after the request's transaction commits (``queue_email``).

        Without django.contrib.sites, allauth names the site after the request's host
        ("Hello from 127.0.0.1:8000!"); we give it the product name and keep the host as domain.
        """
        request = allauth_context.request
        domain = request.get_host() if request is not None else urlsplit(settings.SITE_URL).netloc
        ctx = {"request": request, "email": email, **context}
        ctx["current_site"] = SimpleNamespace(name=PRODUCT_NAME, domain=domain)
        queue_email(self.render_mail(template_prefix, email, ctx))


def queue_email(message: EmailMessage) -> OutgoingEmail:
    """Store a rendered message and have the worker send it once this transaction commits.

    Rendered here, where the request's language and host are known; sent by
    ``accounts.tasks.send_account_email``, never during the request.
    """
    from accounts.tasks import send_account_email  # tasks import the models; the adapter loads early

    html = next(
        (content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), ""
    )
    outgoing = OutgoingEmail(
        from_email=message.from_email,
        to=list(message.to),
        subject=message.subject,
        body=message.body,
        html=html,
        headers=dict(message.extra_headers),
    )
    outgoing.save()
    enqueue_on_commit(send_account_email, outgoing.pk)
    return outgoing
