"""Site-wide views: the home page and the health probes."""

from __future__ import annotations

import logging

import httpx
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    template = "home.html" if request.user.is_authenticated else "landing.html"
    return render(request, template)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: answers while the process can serve a request, touching no dependency."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_pgvector() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        if cursor.fetchone() is None:
            raise RuntimeError("the vector extension is not installed in this database")


def _check_broker() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _check_llm() -> None:
    # The OpenAI-compatible model list: cheap, authenticated, and answered by every such server.
    response = httpx.get(
        f"{settings.LLM_BASE_URL.rstrip('/')}/models",
        headers={"Authorization": f"Bearer {settings.LLM_API_KEY}"},
        timeout=settings.LLM_PROBE_TIMEOUT,
    )
    if not response.is_success:
        # The status only: the body may echo the key, and this page is public.
        raise RuntimeError(f"the LLM endpoint answered {response.status_code} {response.reason_phrase}")


# Readiness: this process's own dependencies, without which it can serve nothing. A model
# provider's outage must not take billing, settings and the admin out of the load balancer, so the
# model endpoint is only in the deep check (`/readyz?deep=1`), for monitoring, never for routing.
READINESS_CHECKS = {
    "database": _check_database,
    "pgvector": _check_pgvector,
    "broker": _check_broker,
}
DEEP_CHECKS = {"llm": _check_llm}


@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when every dependency answers, else 503 naming each one that fails.

    ``?deep=1`` adds the model endpoint. The answer is public: each check's name and ok or not,
    nothing more. Why one failed (an exception's text may name hosts, users or timeouts) is logged.
    """
    checks = dict(READINESS_CHECKS)
    if request.GET.get("deep") == "1":
        checks |= DEEP_CHECKS
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception:  # any failure of a dependency makes us unready; the log says why
            logger.warning("readiness check %s failed", name, exc_info=True)
            results[name] = {"ok": False}
        else:
            results[name] = {"ok": True}
    failing = [name for name, result in results.items() if not result["ok"]]
    body = {"status": "unavailable" if failing else "ready", "checks": results, "failing": failing}
    return JsonResponse(body, status=503 if failing else 200)
