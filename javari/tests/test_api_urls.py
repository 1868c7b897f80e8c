"""/api/v1/ routes: any address that is no endpoint is a 404 in the API's error shape, for anyone and
any method (schemathesis found an id that isn't a UUID answered with the site's HTML page)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from accounts.services import create_api_key

ADDRESSES = [
    "/api/v1/api-keys/not-a-uuid/",
    "/api/v1/api-keys/null,null/revoke/",
    "/api/v1/conversations/42/messages/",
    "/api/v1/nothing/here/",
]


@pytest.mark.parametrize("address", ADDRESSES)
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_no_such_endpoint_is_a_json_404(client: Client, charlie: User, address: str, method: str) -> None:
    _key, secret = create_api_key(user=charlie, name="Charlie's")
    for headers in [{}, {"HTTP_AUTHORIZATION": f"Bearer {secret}"}]:
        response = getattr(client, method)(address, **headers)
        assert response.status_code == 404, (method, address, headers)
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_a_bad_key_is_still_a_401_there(client: Client) -> None:
    response = client.get("/api/v1/nothing/", HTTP_AUTHORIZATION="Bearer jv_nope")
    assert response.status_code == 401


def test_an_address_without_its_slash_still_redirects(client: Client) -> None:
    response = client.get("/api/v1/credits")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/credits/"
