"""Supabase: a project's URL and keys, verified against the project; its secret key rotated by the
Management API when a management access token is given.

Two bases. The project's own API (``project_url``, typed by the person, so checked like a custom
URL) and the Management API (``INTEGRATIONS_SUPABASE_API_BASE``, https://api.supabase.com;
https://supabase.com/docs/reference/api):

- ``GET {project_url}/rest/v1/`` with ``apikey: <key>`` and ``Authorization: Bearer <key>`` →
  200 (PostgREST's OpenAPI description) when the key belongs to the project; 401
  ``{"message": "Invalid API key"}`` when it doesn't. Done once with the anon (or publishable)
  key and once with the service-role (or secret) key
  (https://supabase.com/docs/guides/api/api-keys).
- ``GET /v1/projects/{ref}`` with ``Authorization: Bearer <management token>`` →
  ``{"id", "ref", "name", "organization_id", "region", "status", …}``; 401 for a bad token, 404 (or
  403) for a project the token can't reach.
- ``GET /v1/projects/{ref}/api-keys?reveal=true`` → ``[{"id", "name", "type": "legacy" |
  "publishable" | "secret", "api_key", "prefix", …}]``: finds the id of the secret key in use, so a
  rotation can delete it.
- ``POST /v1/projects/{ref}/api-keys?reveal=true`` with ``{"type": "secret", "name": …,
  "description": …, "secret_jwt_template": {"role": "service_role"}}`` → 201 ``{"id", "api_key",
  …}``. A name is ``^[a-z_][a-z0-9_]+$`` (so the rotation's name is reshaped to fit). When the answer
  hides the value, ``GET /v1/projects/{ref}/api-keys/{id}?reveal=true`` reads it.
- ``DELETE /v1/projects/{ref}/api-keys/{id}`` → 200 with the deleted key; 404 when already gone.

The project ref: a hosted project's URL is ``https://<ref>.supabase.co``, and the ref is read from
it. A project elsewhere (self-hosted, a local stack, the fake on 127.0.0.1 in tests) names its ref in
the optional ``project_ref`` field; without one it still verifies by its keys but can't be rotated
by API. Rotation by API replaces ``service_role_key`` with a new-style secret key (``sb_secret_…``):
a legacy service-role JWT can't be deleted by the API (only by rolling the project's JWT secret,
which breaks every key), so after the first rotation the person disables the legacy keys in the
dashboard; later rotations delete the previous secret key themselves.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrations import http
from integrations.errors import ProviderError
from integrations.providers.base import Access, Field, NewKey, Provider, Verification

NAME = "Supabase"
HOSTED_SUFFIX = ".supabase.co"
_REF = re.compile(r"[a-z0-9]{3,64}")
# The Management API's rule for a key's name.
_KEY_NAME_UNSAFE = re.compile(r"[^a-z0-9_]")


def _management() -> str:
    return str(settings.INTEGRATIONS_SUPABASE_API_BASE).rstrip("/")


def hosted_ref(url: str) -> str:
    """The project ref of a ``https://<ref>.supabase.co`` URL, or "" for any other address."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(HOSTED_SUFFIX):
        ref = host.removesuffix(HOSTED_SUFFIX)
        if _REF.fullmatch(ref):
            return ref
    return ""


def jwt_role(key: str) -> str:
    """The ``role`` claim of a legacy key (a JWT: anon or service_role), unverified; "" otherwise.
    Only to catch the two keys pasted into each other's fields."""
    parts = key.split(".")
    if len(parts) != 3:
        return ""
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return ""
    role = payload.get("role") if isinstance(payload, dict) else None
    return role if isinstance(role, str) else ""


def ref_problem(ref: str, *, derived: str) -> str:
    """Why ``ref`` (typed, lowercased) can't be used, given the ref read from a hosted URL; "" if it can."""
    if ref and not _REF.fullmatch(ref):
        return gettext("A project ref is lowercase letters and digits, like abcdefghijklmnopqrst.")
    if ref and derived and ref != derived:
        return gettext("This ref doesn't match the project URL's (%(ref)s): leave it blank.") % {
            "ref": derived
        }
    return ""


def key_name(name: str) -> str:
    """``name`` reshaped to the Management API's rule for key names (``^[a-z_][a-z0-9_]+$``)."""
    return ("javari_" + _KEY_NAME_UNSAFE.sub("_", name.lower()))[:64]


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(gettext("Supabase sent an answer Javari could not read.")) from exc


class SupabaseProvider(Provider):
    slug = "supabase"
    name = NAME
    description = _("Manage your database and backend")
    capabilities = ("database", "auth", "storage", "edge_functions")
    fields = (
        Field(
            "project_url",
            _("Project URL"),
            _("From your project's Settings → Data API, like https://abcdefghijklmnopqrst.supabase.co."),
            kind="url",
            max_length=500,
            placeholder="https://<project-ref>.supabase.co",
        ),
        Field(
            "anon_key",
            _("Anon (publishable) key"),
            _("From Settings → API Keys: the publishable key (sb_publishable_…) or the legacy anon key."),
            secret=True,
            max_length=2_000,
        ),
        Field(
            "service_role_key",
            _("Service-role (secret) key"),
            _("From Settings → API Keys: a secret key (sb_secret_…) or the legacy service_role key."),
            secret=True,
            max_length=2_000,
        ),
        Field(
            "management_token",
            _("Management access token"),
            _(
                "Optional: a personal access token (sbp_…) from your Supabase account's Access Tokens. "
                "With it Javari checks the project and rotates the secret key for you."
            ),
            secret=True,
            required=False,
            max_length=200,
            placeholder="sbp_…",
        ),
        Field(
            "project_ref",
            _("Project ref"),
            _(
                "Only for a project not on supabase.co (self-hosted): its ref, for the management "
                "token. Javari reads it from a supabase.co address."
            ),
            required=False,
            max_length=64,
        ),
    )
    rotates_by_api = True
    rotated_field = "service_role_key"
    token_page_url = "https://supabase.com/dashboard/project/_/settings/api-keys"  # noqa: S105 (a page)
    # For a connection without a management token, which is rotated by reminder.
    rotation_steps = (
        _("Open your project's API Keys settings on Supabase (the link below)."),
        _("Create a new secret key and copy it."),
        _("Paste it into this integration's service-role key in Javari and save: Javari checks it."),
        _("Delete the old secret key on Supabase once nothing else uses it."),
    )

    def rotates(self, access: Access) -> bool:
        """Only with a management token and a known project ref."""
        return bool(access.secret("management_token") and access.config.get("project_ref"))

    def clean_secrets(self, secrets: Mapping[str, str]) -> dict[str, str]:
        errors: dict[str, list[str]] = {}
        anon = secrets.get("anon_key")
        if anon is not None and (anon.startswith("sb_secret_") or jwt_role(anon) == "service_role"):
            errors["anon_key"] = [
                gettext("This is a secret (service-role) key: paste the publishable or anon key here.")
            ]
        service = secrets.get("service_role_key")
        if service is not None and (service.startswith("sb_publishable_") or jwt_role(service) == "anon"):
            errors["service_role_key"] = [
                gettext("This is a publishable (anon) key: paste a secret or service-role key here.")
            ]
        if errors:
            raise ValidationError(errors)
        return dict(secrets)

    def clean_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = dict(config)
        errors: dict[str, list[str]] = {}
        derived = ""
        if cleaned.get("project_url"):
            url = str(cleaned["project_url"]).strip()
            try:
                parts = urlsplit(url)
                http.check_url(url)
            except (ValueError, ProviderError) as exc:
                message = (
                    str(exc)
                    if isinstance(exc, ProviderError)
                    else gettext("This is not a valid web address.")
                )
                errors["project_url"] = [message]
            else:
                # The project's API lives at the root of its address: keep scheme and host only.
                cleaned["project_url"] = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "", "", ""))
                derived = hosted_ref(url)
        ref = str(cleaned.get("project_ref") or "").strip().lower()
        problem = ref_problem(ref, derived=derived)
        if problem:
            errors["project_ref"] = [problem]
        if errors:
            raise ValidationError(errors)
        if derived:
            cleaned["project_ref"] = derived
        elif "project_ref" in cleaned:
            cleaned["project_ref"] = ref
        return cleaned

    def _management_call(self, method: str, path: str, access: Access, **kwargs: Any) -> Any:
        return http.call(
            method,
            f"{_management()}{path}",
            provider=NAME,
            headers={"Authorization": f"Bearer {access.secret('management_token')}"},
            **kwargs,
        )

    def _ref(self, access: Access) -> str:
        ref = str(access.config.get("project_ref") or "")
        if not ref:
            raise ProviderError(
                gettext(
                    "Javari can't tell this project's ref from its address: fill in the project ref "
                    "to use the management token."
                ),
                permanent=True,
            )
        return ref

    def _check_project(self, access: Access, ref: str) -> str:
        try:
            project = _json(self._management_call("GET", f"/v1/projects/{quote(ref, safe='')}", access))
        except ProviderError as exc:
            if exc.status == 401:
                raise ProviderError(
                    gettext("Supabase refused the management token (HTTP 401)."),
                    permanent=True,
                    status=401,
                    field="management_token",
                ) from exc
            if exc.status in (403, 404):
                raise ProviderError(
                    gettext("The management token has no access to the project %(ref)s.") % {"ref": ref},
                    permanent=True,
                    status=exc.status,
                    field="management_token",
                ) from exc
            raise
        return str(project.get("name") or ref)[:200] if isinstance(project, dict) else ref

    def _check_key(self, access: Access, field: str) -> None:
        key = access.secret(field)
        label = {"anon_key": gettext("the anon key"), "service_role_key": gettext("the service-role key")}[
            field
        ]
        try:
            http.call(
                "GET",
                f"{str(access.config.get('project_url') or '').rstrip('/')}/rest/v1/",
                provider=NAME,
                headers={"apikey": key, "Authorization": f"Bearer {key}"},
            )
        except ProviderError as exc:
            if exc.status in (401, 403):
                raise ProviderError(
                    gettext("Supabase refused %(key)s (HTTP %(status)s): check it belongs to this project.")
                    % {"key": label, "status": exc.status},
                    permanent=True,
                    status=exc.status,
                    field=field,
                ) from exc
            if exc.status == 404:
                raise ProviderError(
                    gettext("No Supabase project answers at this project URL: check the address."),
                    permanent=True,
                    status=404,
                ) from exc
            raise

    def _key_id(self, access: Access, ref: str) -> str:
        """The Management API's id of the secret key in use ("" for a legacy JWT)."""
        key = access.secret("service_role_key")
        if not key.startswith("sb_secret_"):
            return ""
        keys = _json(
            self._management_call(
                "GET", f"/v1/projects/{quote(ref, safe='')}/api-keys", access, params={"reveal": "true"}
            )
        )
        for item in keys if isinstance(keys, list) else []:
            if isinstance(item, dict) and item.get("api_key") == key and item.get("id"):
                return str(item["id"])[:200]
        return ""

    def verify(self, access: Access) -> Verification:
        account = urlsplit(str(access.config.get("project_url") or "")).hostname or ""
        upstream_id = ""
        if access.secret("management_token"):
            ref = self._ref(access)
            account = self._check_project(access, ref)
            upstream_id = self._key_id(access, ref)
        self._check_key(access, "anon_key")
        self._check_key(access, "service_role_key")
        return Verification(account=account, upstream_id=upstream_id)

    def create_key(self, access: Access, *, name: str) -> NewKey:
        ref = quote(self._ref(access), safe="")
        made = _json(
            self._management_call(
                "POST",
                f"/v1/projects/{ref}/api-keys",
                access,
                params={"reveal": "true"},
                json={
                    "type": "secret",
                    "name": key_name(name),
                    "description": "Made by Javari AI's key rotation",
                    "secret_jwt_template": {"role": "service_role"},
                },
            )
        )
        key_id = str(made.get("id") or "") if isinstance(made, dict) else ""
        if not key_id:
            raise ProviderError(gettext("Supabase sent an answer Javari could not read."))
        value = made.get("api_key")
        if not isinstance(value, str) or not value.startswith("sb_secret_") or "·" in value:
            # The answer hid the value: read it once, revealed.
            shown = _json(
                self._management_call(
                    "GET",
                    f"/v1/projects/{ref}/api-keys/{quote(key_id, safe='')}",
                    access,
                    params={"reveal": "true"},
                )
            )
            value = shown.get("api_key") if isinstance(shown, dict) else None
        if not isinstance(value, str) or not value:
            raise ProviderError(gettext("Supabase sent an answer Javari could not read."))
        return NewKey(value=value, upstream_id=key_id[:200])

    def revoke_key(self, access: Access, *, upstream_id: str) -> None:
        ref = quote(self._ref(access), safe="")
        try:
            self._management_call(
                "DELETE", f"/v1/projects/{ref}/api-keys/{quote(upstream_id, safe='')}", access
            )
        except ProviderError as exc:
            if exc.status == 404:
                return  # already gone: revoked is what we wanted
            raise
