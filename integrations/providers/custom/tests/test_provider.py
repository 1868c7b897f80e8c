"""The custom integration against a fake API: each auth type puts the key where it belongs, the
status must be the expected one, and the settings are checked before any call, above all the base
URL (no loopback, private, link-local or metadata address unless the deployment allows it)."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from integrations import providers, services
from integrations.errors import ProviderError, VerificationFailed
from integrations.models import Integration
from integrations.providers import Access
from integrations.providers.custom.tests.fake import FakeCustomAPI

KEY = "custom-key-0123456789abcdef"


def _values(fake: FakeCustomAPI, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "base_url": fake.base_url,
        "auth_type": "bearer",
        "api_key": KEY,
        "verify_path": "/health",
    }
    values.update(overrides)
    return values


def _access(values: dict[str, Any]) -> Access:
    config, secrets = services.clean_values(provider=providers.get("custom"), values=values)
    return Access(config=config, secrets=secrets)


def _errors(values: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        services.clean_values(provider=providers.get("custom"), values=values)
    return caught.value.message_dict


@pytest.mark.parametrize("auth", ["bearer", "header", "query", "basic"])
def test_each_auth_type_sends_the_key_where_the_api_expects_it(
    fake_custom_api: FakeCustomAPI, auth: str
) -> None:
    fake_custom_api.auth = auth
    extra = {
        "bearer": {},
        "header": {"header_name": "X-Api-Key"},
        "query": {"query_param": "api_key"},
        "basic": {"api_key": "", "username": "ada", "password": KEY},
    }[auth]
    result = providers.get("custom").verify(_access(_values(fake_custom_api, auth_type=auth, **extra)))
    assert result.account == "127.0.0.1"
    _method, path, headers, query = fake_custom_api.requests[-1]
    assert path == "/health"
    placed = {
        "bearer": headers.get("Authorization") == f"Bearer {KEY}",
        "header": headers.get("X-Api-Key") == KEY,
        "query": query == {"api_key": [KEY]},
        "basic": headers.get("Authorization") == "Basic " + base64.b64encode(f"ada:{KEY}".encode()).decode(),
    }
    assert placed[auth]


def test_a_wrong_key_is_a_permanent_refusal_without_the_key_in_it(fake_custom_api: FakeCustomAPI) -> None:
    fake_custom_api.auth = "query"
    access = _access(
        _values(fake_custom_api, auth_type="query", query_param="api_key", api_key="wrong-key-xyz")
    )
    with pytest.raises(ProviderError) as caught:
        providers.get("custom").verify(access)
    assert caught.value.permanent
    assert caught.value.status == 401
    assert str(caught.value) == "127.0.0.1 refused the credentials (HTTP 401)."


def test_a_status_other_than_the_expected_one_says_both(fake_custom_api: FakeCustomAPI) -> None:
    with pytest.raises(ProviderError) as caught:
        providers.get("custom").verify(_access(_values(fake_custom_api, verify_path="/nothing?x=1")))
    assert caught.value.permanent
    assert str(caught.value) == "127.0.0.1 answered HTTP 404 at /nothing, not the expected 200."


def test_the_expected_status_can_be_a_redirect_which_is_not_followed(fake_custom_api: FakeCustomAPI) -> None:
    fake_custom_api.status = 302
    providers.get("custom").verify(_access(_values(fake_custom_api, expected_status="302")))
    assert [r[1] for r in fake_custom_api.requests] == ["/health"]
    with pytest.raises(ProviderError, match="answered HTTP 302 at /health, not the expected 200"):
        providers.get("custom").verify(_access(_values(fake_custom_api)))


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (503, False), (429, False), (418, True)])
def test_provider_errors_say_whether_to_try_again(
    fake_custom_api: FakeCustomAPI, status: int, permanent: bool
) -> None:
    fake_custom_api.fail["GET /health"] = status
    with pytest.raises(ProviderError) as caught:
        providers.get("custom").verify(_access(_values(fake_custom_api)))
    assert caught.value.permanent is permanent
    assert caught.value.status == status


def test_an_api_that_does_not_answer_in_time_is_transient(
    fake_custom_api: FakeCustomAPI, settings: Any
) -> None:
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.3
    fake_custom_api.fail["GET /health"] = "stall"
    with pytest.raises(ProviderError) as caught:
        providers.get("custom").verify(_access(_values(fake_custom_api)))
    assert not caught.value.permanent
    assert str(caught.value) == "127.0.0.1 did not answer in time."


def test_settings_left_blank_take_their_defaults_and_the_url_is_normalised(
    fake_custom_api: FakeCustomAPI,
) -> None:
    config, secrets = services.clean_values(
        provider=providers.get("custom"),
        values=_values(
            fake_custom_api, base_url=fake_custom_api.base_url + "/v1/", verify_path="", expected_status=""
        ),
    )
    assert config["base_url"] == fake_custom_api.base_url + "/v1"
    assert config["verify_path"] == "/"
    assert config["expected_status"] == 200
    assert secrets == {"api_key": KEY}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:8000/",
        "http://0.0.0.0/",
        "http://192.168.1.10/",
    ],
)
def test_private_and_metadata_addresses_are_refused(settings: Any, url: str) -> None:
    settings.INTEGRATIONS_ALLOWED_NETWORKS = []
    errors = _errors({"base_url": url, "auth_type": "bearer", "api_key": KEY})
    assert errors == {
        "base_url": ["This address points to a private or local network, which integrations may not reach."]
    }


def test_a_deployment_can_allow_a_private_network(settings: Any) -> None:
    # The test settings allow 127.0.0.1/32 (the fakes live there); nothing else private.
    config, _secrets = services.clean_values(
        provider=providers.get("custom"),
        values={"base_url": "http://127.0.0.1:8080/api", "auth_type": "bearer", "api_key": KEY},
    )
    assert config["base_url"] == "http://127.0.0.1:8080/api"
    assert "base_url" in _errors({"base_url": "http://10.0.0.1/", "auth_type": "bearer", "api_key": KEY})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "Use a web address that starts with https:// (or http://)."),
        ("ftp://127.0.0.1/", "Use a web address that starts with https:// (or http://)."),
        ("file:///etc/passwd", "Use a web address that starts with https:// (or http://)."),
        ("http://127.0.0.1:99999/", "This is not a valid web address."),
        ("http://ada:pw@127.0.0.1/", "Put credentials in the authentication fields, not in the address."),
        ("http://127.0.0.1/?key=1", "Leave the query out of the base URL: put it in the verify path."),
        ("http://[::1/", "This is not a valid web address."),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    assert _errors({"base_url": url, "auth_type": "bearer", "api_key": KEY}) == {"base_url": [message]}


def test_a_one_megabyte_url_is_refused_by_length() -> None:
    errors = _errors({"base_url": "http://" + "a" * 1_000_000, "auth_type": "bearer", "api_key": KEY})
    assert errors == {"base_url": ["Use at most 2000 characters."]}


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"auth_type": "header", "header_name": "Host"}, "header_name", "can't carry a key"),
        ({"auth_type": "header", "header_name": "content-length"}, "header_name", "can't carry a key"),
        ({"auth_type": "header", "header_name": "Proxy-Whatever"}, "header_name", "can't carry a key"),
        ({"auth_type": "header", "header_name": "X Api Key"}, "header_name", "letters, digits"),
        ({"auth_type": "header", "header_name": "X-Key\r\nHost: evil"}, "header_name", "letters, digits"),
        ({"auth_type": "header"}, "header_name", "required"),
        ({"auth_type": "query", "query_param": "a&b=c"}, "query_param", "letters, digits"),
        ({"auth_type": "query"}, "query_param", "required"),
        ({"auth_type": "basic", "api_key": "", "password": KEY}, "username", "required"),
        ({"auth_type": "basic", "api_key": "", "username": "a:b", "password": KEY}, "username", "colon"),
        ({"auth_type": "basic", "api_key": "", "username": "ada", "password": ""}, "password", "required"),
        ({"auth_type": "bearer", "api_key": ""}, "api_key", "required"),
        ({"auth_type": "digest"}, "auth_type", "Choose one"),
        ({"verify_path": "health"}, "verify_path", "Start the path with /"),
        ({"verify_path": "/a b"}, "verify_path", "Start the path with /"),
        ({"expected_status": "abc"}, "expected_status", "whole number"),
        ({"expected_status": "٢٠٠"}, "expected_status", "whole number"),
        ({"expected_status": 700}, "expected_status", "100 to 599"),
        ({"expected_status": "99"}, "expected_status", "100 to 599"),
        ({"expected_status": 10**5000}, "expected_status", "Enter text"),
        ({"expected_status": True}, "expected_status", "Enter text"),
        ({"expected_status": [200]}, "expected_status", "Enter text"),
    ],
)
def test_settings_are_checked_before_any_call(
    fake_custom_api: FakeCustomAPI, values: dict[str, Any], field: str, words: str
) -> None:
    errors = _errors({"base_url": fake_custom_api.base_url, "auth_type": "bearer", "api_key": KEY, **values})
    assert field in errors
    assert words in " ".join(errors[field])
    assert fake_custom_api.requests == []


def test_the_basic_auth_form_needs_no_api_key(fake_custom_api: FakeCustomAPI) -> None:
    # A form sends every field; the API key field is hidden (and blank) for basic auth.
    config, secrets = services.clean_values(
        provider=providers.get("custom"),
        values=_values(fake_custom_api, auth_type="basic", api_key="", username="ada", password=KEY),
    )
    assert secrets == {"password": KEY}
    assert config["username"] == "ada"


@pytest.mark.django_db
def test_connecting_with_a_query_key_keeps_it_out_of_logs_and_activity(
    alice: Any, fake_custom_api: FakeCustomAPI, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_custom_api.auth = "query"
    integration = services.connect(
        user=alice,
        provider="custom",
        name="Weather",
        values=_values(fake_custom_api, auth_type="query", query_param="api_key"),
    )
    assert integration.config["verify_path"] == "/health"
    assert integration.config["account"] == "127.0.0.1"
    assert integration.credentials.get().value == KEY
    assert KEY not in caplog.text
    assert not integration.activity.filter(message__contains=KEY).exists()


@pytest.mark.django_db
def test_a_private_base_url_saves_nothing_and_calls_nothing(alice: Any, settings: Any) -> None:
    settings.INTEGRATIONS_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError) as caught:
        services.connect(
            user=alice,
            provider="custom",
            name="Metadata",
            values={"base_url": "http://169.254.169.254", "auth_type": "bearer", "api_key": KEY},
        )
    assert "base_url" in caught.value.message_dict
    assert not Integration.objects.exists()


@pytest.mark.django_db
def test_a_refused_key_saves_nothing(alice: Any, fake_custom_api: FakeCustomAPI) -> None:
    with pytest.raises(VerificationFailed) as caught:
        services.connect(
            user=alice,
            provider="custom",
            name="API",
            values=_values(fake_custom_api, api_key="nope-nope-nope"),
        )
    assert caught.value.field == "api_key"
    assert not Integration.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("auth", ["bearer", "header"])
def test_a_key_that_cannot_travel_in_a_header_is_refused_not_a_crash(
    alice: Any, fake_custom_api: FakeCustomAPI, auth: str
) -> None:
    # Visible non-ASCII characters pass the token check, but a header carries ASCII only.
    key = "clé-0123456789abcdef"
    with pytest.raises(VerificationFailed) as caught:
        services.connect(
            user=alice,
            provider="custom",
            name="API",
            values=_values(fake_custom_api, auth_type=auth, header_name="X-API-Key", api_key=key),
        )
    assert caught.value.permanent
    assert key not in str(caught.value)
    assert not Integration.objects.exists()
    assert fake_custom_api.requests == []
