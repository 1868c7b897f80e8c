"""javari/handlers.py with the middleware, over real HTTP (uvicorn on javari.asgi, as in production).

Django's test client builds its own ``WSGIRequest``, where a hostile charset fails before any of
our code runs, so these requests go to a real server.
"""

from __future__ import annotations

import httpx
import pytest

MULTIPART = '--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n--x--\r\n'


@pytest.mark.parametrize(
    "charset", ["bz2_codec", "rot13", "punycode", "idna", "utf-7", "utf-16", "latin-1", "nope"]
)
def test_a_charset_other_than_utf8_is_a_415_on_any_url(asgi_url: str, charset: str) -> None:
    # Django decodes the query and form fields with the charset a request names: one that isn't a text
    # encoding (bz2_codec), fails to decode (punycode), or that Django refuses for forms (utf-7) was a 500.
    with httpx.Client(base_url=asgi_url, timeout=10) as http:
        for path in ("/healthz", "/accounts/login/", "/api/v1/conversations/"):
            for method, content_type, body in (
                ("GET", "text/plain", None),
                ("POST", "application/x-www-form-urlencoded", "login=a&password=b"),
                ("POST", "multipart/form-data; boundary=x", MULTIPART),
                ("POST", "application/json", "{}"),
            ):
                response = http.request(
                    method,
                    path,
                    params={"a": "b"},
                    content=body,
                    headers={"content-type": f"{content_type}; charset={charset}"},
                )
                assert response.status_code == 415, (path, method, content_type, response.text[:200])
                text = response.json()["detail"] if path.startswith("/api/") else response.text
                assert "UTF-8" in text


def test_utf8_and_ascii_charsets_are_served(asgi_url: str) -> None:
    with httpx.Client(base_url=asgi_url, timeout=10) as http:
        for charset in ("utf-8", "UTF-8", "us-ascii"):
            response = http.get(
                "/healthz", params={"q": "ñ"}, headers={"content-type": f"text/plain; charset={charset}"}
            )
            assert response.status_code == 200
        response = http.get(
            "/api/v1/conversations/", headers={"content-type": "application/json; charset=utf-8"}
        )
        assert response.status_code == 401  # served: the API asks for a key
