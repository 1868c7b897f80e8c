"""The Supabase adapter against the fake Supabase: keys verified against the project, the project
checked with the management token, secret keys made and deleted by the Management API, the project
ref read from a supabase.co address or given, and every failure permanent or transient with a
message that names the key at fault and never its value."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from integrations import providers, services
from integrations.errors import ProviderError, VerificationFailed
from integrations.models import Integration
from integrations.providers import Access
from integrations.providers.supabase.provider import hosted_ref, jwt_role, key_name, ref_problem
from integrations.providers.supabase.tests.fake import FakeSupabase, legacy_jwt


def _access(fake: FakeSupabase, *, management: bool = True, ref: str | None = None, **secrets: Any) -> Access:
    values = {
        "anon_key": fake.legacy_anon,
        "service_role_key": fake.legacy_service_role,
        **({"management_token": fake.new_management_token()} if management else {}),
        **secrets,
    }
    return Access(
        config={"project_url": fake.base_url, "project_ref": fake.ref if ref is None else ref}, secrets=values
    )


def test_verify_checks_both_keys_and_names_the_project(fake_supabase: FakeSupabase) -> None:
    result = providers.get("supabase").verify(_access(fake_supabase))
    assert result.account == "Javari production"
    assert result.upstream_id == ""  # a legacy service-role JWT has no key id to delete
    paths = [(method, path) for method, path, _key in fake_supabase.requests]
    assert paths == [("GET", "/v1/projects/abcdefghijklmnopqrst"), ("GET", "/rest/v1/"), ("GET", "/rest/v1/")]


def test_verify_finds_the_id_of_a_new_style_secret_key(fake_supabase: FakeSupabase) -> None:
    key_id = fake_supabase.new_key()
    result = providers.get("supabase").verify(
        _access(fake_supabase, service_role_key=fake_supabase.value(key_id))
    )
    assert result.upstream_id == key_id


def test_without_a_management_token_the_keys_alone_are_verified(fake_supabase: FakeSupabase) -> None:
    supabase = providers.get("supabase")
    access = _access(fake_supabase, management=False, ref="")
    assert supabase.verify(access).account == "127.0.0.1"
    assert not supabase.rotates(access)
    assert supabase.rotates(_access(fake_supabase))
    assert not supabase.rotates(_access(fake_supabase, ref=""))


@pytest.mark.parametrize(
    ("field", "words"), [("anon_key", "the anon key"), ("service_role_key", "the service-role key")]
)
def test_a_wrong_key_is_named(fake_supabase: FakeSupabase, field: str, words: str) -> None:
    wrong = legacy_jwt("anon" if field == "anon_key" else "service_role", "otherprojectrefxyzab")
    secrets: dict[str, Any] = {field: wrong}
    access = _access(fake_supabase, **secrets)
    with pytest.raises(ProviderError) as caught:
        providers.get("supabase").verify(access)
    assert caught.value.permanent
    assert caught.value.field == field
    assert str(caught.value) == f"Supabase refused {words} (HTTP 401): check it belongs to this project."
    assert wrong[-10:] not in str(caught.value)


def test_a_wrong_management_token_or_project_is_named(fake_supabase: FakeSupabase) -> None:
    supabase = providers.get("supabase")
    with pytest.raises(ProviderError) as caught:
        supabase.verify(_access(fake_supabase, management_token="sbp_" + "0" * 40))
    assert (caught.value.permanent, caught.value.field) == (True, "management_token")
    assert str(caught.value) == "Supabase refused the management token (HTTP 401)."
    with pytest.raises(ProviderError) as caught:
        supabase.verify(_access(fake_supabase, ref="someotherprojectref"))
    assert str(caught.value) == "The management token has no access to the project someotherprojectref."


def test_a_management_token_without_a_ref_asks_for_one(fake_supabase: FakeSupabase) -> None:
    with pytest.raises(ProviderError, match="fill in the project ref") as caught:
        providers.get("supabase").verify(_access(fake_supabase, ref=""))
    assert caught.value.permanent
    assert fake_supabase.requests == []


def test_create_key_makes_a_working_secret_key_and_revoke_key_deletes_it(fake_supabase: FakeSupabase) -> None:
    supabase = providers.get("supabase")
    access = _access(fake_supabase)
    new = supabase.create_key(access, name="rotation-5f0c0d7e-1b2a")
    assert new.value.startswith("sb_secret_")
    assert new.value not in repr(new)
    assert fake_supabase.keys[new.upstream_id]["name"] == "javari_rotation_5f0c0d7e_1b2a"
    rotated = access.with_secret("service_role_key", new.value)
    assert supabase.verify(rotated).upstream_id == new.upstream_id

    second = supabase.create_key(rotated, name="rotation-2")
    supabase.revoke_key(rotated, upstream_id=new.upstream_id)
    assert new.upstream_id in fake_supabase.deleted
    assert new.value not in fake_supabase.project_keys()
    assert second.value in fake_supabase.project_keys()
    # Deleting a key that is already gone counts as done.
    supabase.revoke_key(rotated, upstream_id=new.upstream_id)


def test_create_key_reads_back_a_value_the_answer_hid(fake_supabase: FakeSupabase) -> None:
    fake_supabase.hide_new_values = True
    new = providers.get("supabase").create_key(_access(fake_supabase), name="x")
    assert new.value == fake_supabase.value(new.upstream_id)
    assert ("GET", f"/v1/projects/{fake_supabase.ref}/api-keys/{new.upstream_id}") in [
        (method, path) for method, path, _key in fake_supabase.requests
    ]


@pytest.mark.parametrize(
    ("route", "status", "permanent"),
    [
        ("POST /v1/projects/{ref}/api-keys", 500, False),
        ("POST /v1/projects/{ref}/api-keys", 429, False),
        ("POST /v1/projects/{ref}/api-keys", 400, True),
        ("DELETE /v1/projects/{ref}/api-keys/{id}", 503, False),
        ("GET /rest/v1/", 502, False),
        ("GET /v1/projects/{ref}", 500, False),
    ],
)
def test_provider_errors_say_whether_to_try_again(
    fake_supabase: FakeSupabase, route: str, status: int, permanent: bool
) -> None:
    supabase = providers.get("supabase")
    access = _access(fake_supabase)
    fake_supabase.fail[route] = status
    key_id = fake_supabase.new_key()
    calls = {
        "POST": lambda: supabase.create_key(access, name="x"),
        "DELETE": lambda: supabase.revoke_key(access, upstream_id=key_id),
        "GET": lambda: supabase.verify(access),
    }
    act = calls[route.split()[0]]
    with pytest.raises(ProviderError) as caught:
        act()
    assert caught.value.permanent is permanent
    assert caught.value.status == status


def test_a_supabase_that_does_not_answer_in_time_is_transient(
    fake_supabase: FakeSupabase, settings: Any
) -> None:
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.3
    fake_supabase.fail["GET /rest/v1/"] = "stall"
    with pytest.raises(ProviderError) as caught:
        providers.get("supabase").verify(_access(fake_supabase, management=False))
    assert not caught.value.permanent
    assert str(caught.value) == "Supabase did not answer in time."


def test_an_unreadable_answer_is_a_provider_error(fake_supabase: FakeSupabase) -> None:
    fake_supabase.fail["POST /v1/projects/{ref}/api-keys"] = 200
    with pytest.raises(ProviderError, match="could not read") as caught:
        providers.get("supabase").create_key(_access(fake_supabase), name="x")
    assert not caught.value.permanent


# --- Settings and key shapes -------------------------------------------------------------------------


def test_the_ref_is_read_from_a_hosted_project_url() -> None:
    assert hosted_ref("https://abcdefghijklmnopqrst.supabase.co") == "abcdefghijklmnopqrst"
    assert hosted_ref("https://ABCDEFGHIJKLMNOPQRST.supabase.co/rest/v1") == "abcdefghijklmnopqrst"
    assert hosted_ref("https://a.b.supabase.co") == ""
    assert hosted_ref("https://abcdefghijklmnopqrst.supabase.co.evil.example") == ""
    assert hosted_ref("http://127.0.0.1:54321") == ""
    assert key_name("Rotation-ÄB 1") == "javari_rotation__b_1"
    assert jwt_role(legacy_jwt("anon", "x")) == "anon"
    assert jwt_role("sb_secret_abc") == ""
    assert jwt_role("a.%%%.c") == ""


def test_clean_values_keeps_the_address_root_and_a_given_ref(fake_supabase: FakeSupabase) -> None:
    config, _secrets = services.clean_values(
        provider=providers.get("supabase"),
        values={
            "project_url": fake_supabase.base_url + "/rest/v1/",
            "project_ref": "AbcdefghijklmnopQRST",
            "anon_key": fake_supabase.legacy_anon,
            "service_role_key": fake_supabase.legacy_service_role,
        },
    )
    assert config == {"project_url": fake_supabase.base_url, "project_ref": "abcdefghijklmnopqrst"}


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"project_url": "http://10.0.0.1"}, "project_url", "private or local network"),
        ({"project_url": "http://169.254.169.254"}, "project_url", "private or local network"),
        ({"project_url": "ftp://127.0.0.1"}, "project_url", "starts with https://"),
        ({"project_ref": "not a ref!"}, "project_ref", "lowercase letters and digits"),
        ({"anon_key": "sb_secret_abcdefghijkl"}, "anon_key", "secret (service-role) key"),
        ({"service_role_key": "sb_publishable_abcdefgh"}, "service_role_key", "publishable (anon) key"),
        ({"anon_key": "swap"}, "anon_key", "secret (service-role) key"),
        ({"service_role_key": "swap"}, "service_role_key", "publishable (anon) key"),
    ],
)
def test_settings_and_keys_are_checked_before_any_call(
    fake_supabase: FakeSupabase, values: dict[str, str], field: str, words: str
) -> None:
    base = {
        "project_url": fake_supabase.base_url,
        "anon_key": fake_supabase.legacy_anon,
        "service_role_key": fake_supabase.legacy_service_role,
    }
    if values.get("anon_key") == "swap":
        values = {"anon_key": fake_supabase.legacy_service_role}
    if values.get("service_role_key") == "swap":
        values = {"service_role_key": fake_supabase.legacy_anon}
    with pytest.raises(ValidationError) as caught:
        services.clean_values(provider=providers.get("supabase"), values={**base, **values})
    assert words in " ".join(caught.value.message_dict[field])
    assert fake_supabase.requests == []


def test_a_ref_that_contradicts_a_hosted_url_is_refused() -> None:
    # (A hosted URL can't go through clean_values here: checking it would ask a DNS server.)
    assert ref_problem("abcdefghijklmnopqrst", derived="abcdefghijklmnopqrst") == ""
    assert ref_problem("", derived="abcdefghijklmnopqrst") == ""
    assert ref_problem("zzzzzzzzzzzzzzzzzzzz", derived="") == ""
    assert ref_problem("zzzzzzzzzzzzzzzzzzzz", derived="abcdefghijklmnopqrst") == (
        "This ref doesn't match the project URL's (abcdefghijklmnopqrst): leave it blank."
    )


# --- Through the services -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_connecting_stores_the_key_id_and_blames_the_key_at_fault(
    alice: Any, fake_supabase: FakeSupabase
) -> None:
    key_id = fake_supabase.new_key()
    values = {
        "project_url": fake_supabase.base_url,
        "project_ref": fake_supabase.ref,
        "anon_key": fake_supabase.legacy_anon,
        "service_role_key": legacy_jwt("service_role", "otherprojectrefxyzab"),
        "management_token": fake_supabase.new_management_token(),
    }
    with pytest.raises(VerificationFailed) as caught:
        services.connect(user=alice, provider="supabase", name="Prod", values=values)
    assert caught.value.field == "service_role_key"
    assert not Integration.objects.exists()

    integration = services.connect(
        user=alice,
        provider="supabase",
        name="Prod",
        values={**values, "service_role_key": fake_supabase.value(key_id)},
    )
    assert integration.config["account"] == "Javari production"
    assert integration.credentials.get(field="service_role_key").upstream_id == key_id
    assert set(integration.credentials.values_list("field", flat=True)) == {
        "anon_key",
        "service_role_key",
        "management_token",
    }
