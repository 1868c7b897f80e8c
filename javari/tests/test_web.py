"""javari/web.py: htmx-aware sign-in, CSV cells a spreadsheet can't run, the payments switch."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django_htmx.middleware import HtmxDetails

from javari import web


def _view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("secret page")


def _request(user, *, htmx_from: str | None = None, path: str = "/somewhere/?a=1"):
    headers = {"HX-Request": "true", "HX-Current-URL": htmx_from} if htmx_from is not None else {}
    request = RequestFactory().get(path, headers=headers)
    request.user = user
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]
    return request


@pytest.mark.django_db
def test_a_signed_in_person_gets_the_view(charlie) -> None:
    response = web.login_required(_view)(_request(charlie))

    assert response.status_code == 200
    assert response.content == b"secret page"


def test_a_signed_out_browser_is_redirected_to_sign_in_with_next() -> None:
    response = web.login_required(_view)(_request(AnonymousUser()))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/somewhere/%3Fa%3D1"
    assert "HX-Redirect" not in response


def test_a_signed_out_htmx_request_gets_hx_redirect_to_the_page_it_was_on() -> None:
    request = _request(AnonymousUser(), htmx_from="http://testserver/settings/usage/?page=2")

    response = web.login_required(_view)(request)

    # 200 with HX-Redirect: htmx sends the whole page to sign-in, swapping nothing into the target.
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/settings/usage/%3Fpage%3D2"
    assert b"secret" not in response.content


def test_an_htmx_current_url_on_another_host_is_never_the_next_page() -> None:
    request = _request(AnonymousUser(), htmx_from="https://evil.example/phish")

    response = web.login_required(_view)(request)

    assert response["HX-Redirect"] == "/accounts/login/?next=/somewhere/%3Fa%3D1"
    assert "evil" not in response["HX-Redirect"]


def test_fallback_names_the_page_for_a_partial_without_its_own() -> None:
    decorated = web.login_required(fallback="preferences:behavior")(_view)

    plain = decorated(_request(AnonymousUser(), path="/settings/behavior/preview/"))
    htmx = decorated(_request(AnonymousUser(), htmx_from="https://evil.example/"))

    assert plain["Location"] == "/accounts/login/?next=/settings/behavior/"
    assert htmx["HX-Redirect"] == "/accounts/login/?next=/settings/behavior/"


@pytest.mark.django_db
def test_every_app_signs_in_htmx_requests_the_same_way(client: Client) -> None:
    # A page behind the shared decorator in each app answers htmx with HX-Redirect, not a 302.
    for path in ("/credits/recent/", "/settings/behavior/", "/accounts/security/", "/chat/"):
        response = client.get(path, headers={"HX-Request": "true"})
        assert response.status_code == 200, path
        assert response["HX-Redirect"].startswith("/accounts/login/?next="), path


@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1", "=cmd|' /C calc'!A0"],
)
def test_a_text_cell_a_spreadsheet_would_run_gets_an_apostrophe(hostile: str) -> None:
    assert web.csv_safe(hostile) == "'" + hostile


@pytest.mark.parametrize("harmless", ["hello", "a=b", " =1", "", "5 credits", "ñandú"])
def test_other_text_cells_stay_as_they_are(harmless: str) -> None:
    assert web.csv_safe(harmless) == harmless


def test_numbers_stay_numbers_even_negative() -> None:
    assert web.csv_safe(-5) == -5
    assert web.csv_safe(0) == 0
    assert web.csv_safe(None) is None


def test_csv_response_quotes_every_hostile_cell_and_names_the_file() -> None:
    response = web.csv_response(
        filename="report.csv",
        header=["who", "amount", "reason"],
        rows=[["=1+1", -3, "@evil"], ["alice@example.com", 4, 'fine, "quoted"']],
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["who", "amount", "reason"],
        ["'=1+1", "-3", "'@evil"],
        ["alice@example.com", "4", 'fine, "quoted"'],
    ]


@pytest.mark.django_db
def test_the_usage_csv_quotes_a_hostile_reason(client: Client, alice, staff) -> None:
    from credits import services

    services.adjust(user=alice, amount=5, staff_user=staff, reason='=HYPERLINK("http://x")')
    client.force_login(alice)

    rows = list(csv.reader(io.StringIO(client.get("/settings/usage.csv").content.decode())))

    assert rows[-1][-1] == '\'=HYPERLINK("http://x")'


def test_payments_are_configured_only_with_a_stripe_secret_key(settings) -> None:
    settings.STRIPE_SECRET_KEY = ""
    assert web.payments_configured() is False
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    assert web.payments_configured() is True


def test_the_stripe_service_uses_the_same_switch(settings) -> None:
    from credits.services.stripe import payments_enabled

    settings.STRIPE_SECRET_KEY = ""
    assert payments_enabled() is False
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    assert payments_enabled() is True
