"""schemathesis against the partner API: every operation of /api/v1/schema/, called on the live app
(uvicorn on javari.asgi) with generated valid and invalid requests, authenticated by an API key.

Each answer must be no server error and must conform to the schema: a documented status, content
type, headers and body. Bounded: a few dozen examples an operation, no shrinking of passing runs,
and replies come from the fake model server (chat/tests/fake_llm.py), never the real one. A failure
found here becomes a regular test next to the code it is about.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services as accounts_services
from chat import services as chat_services
from chat.models import ChatModel
from chat.tests.fake_llm import FakeLLM
from conftest import make_user
from integrations.models import Credential, Integration
from reminders import services as reminders_services
from reminders.tests.factories import NotificationFactory, ReminderFactory

pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Requests sent, by documented operation, for the suite's closing note (printed with -s). Probes are
# schemathesis's calls of a method the path doesn't document (it expects a 405).
CALLS: Counter[str] = Counter()
PROBES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if CALLS:
        print(
            f"\nschemathesis: {len(CALLS)} operations, {sum(CALLS.values())} examples, "
            f"{sum(PROBES.values())} undocumented-method probes"
        )
        for operation, count in sorted(CALLS.items()):
            print(f"  {count:4d}  {operation}")


@pytest.fixture
def partner(asgi_url: str) -> Iterator[dict[str, Any]]:
    """A person with an API key, a conversation, a second key to read and revoke, a reminder, a
    notification and an integration; replies from the fake model server."""
    with FakeLLM() as llm:
        ChatModel.objects.filter(is_default=True).update(base_url=llm.url, model="ok", api_key="sk-test")
        person = make_user("partner@example.com", display_name="Partner")
        _key, plaintext = accounts_services.create_api_key(user=person, name="schemathesis")
        other_key, _ = accounts_services.create_api_key(user=person, name="to revoke")
        conversation = chat_services.start_conversation(user=person)
        reminder = ReminderFactory.create(user=person, recurrence="daily")
        notification = NotificationFactory.create(user=person)
        event = reminders_services.create_event(
            user=person, title="Review", start=datetime(2026, 12, 1, 9, 0)
        )
        # An integration written directly: connecting, verifying or changing one calls its provider,
        # which test settings put on a closed port (127.0.0.1:9), so those answer 400 or record a
        # failed check, never a 5xx. GitHub: its rotation is a reminder (409), not a call that would
        # fail with a 502 on that closed port (integrations/tests/test_api.py covers the 502).
        integration = Integration.objects.create(
            user=person, provider="github", name="Schema", config={"account": "partner"}
        )
        Credential.objects.create(
            integration=integration,
            field="personal_access_token",
            state="current",
            value="github_pat_schema_" + "x" * 20,
        )
        yield {
            "base_url": asgi_url,
            "headers": {"Authorization": f"Bearer {plaintext}"},
            "ids": {
                "conversation_id": str(conversation.pk),
                "id": str(other_key.pk),
                "reminder_id": str(reminder.pk),
                "notification_id": str(notification.pk),
                "event_id": str(event.pk),
                "integration_id": str(integration.pk),
            },
        }


def _load_schema() -> Any:
    """The schema /api/v1/schema/ serves (its generator, run at collection: schemathesis makes one
    test per operation from it); the calls then go to the live server."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        # The key is sent below: generated Authorization headers or session cookies would only
        # test the 401 path, again and again.
        with_security_parameters=False,
    )
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # each run starts afresh and leaves no .hypothesis/ behind
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema(case: Any, partner: dict[str, Any]) -> None:
    # Half the cases name the partner's own conversation or key, so the operations get past 404.
    for name, real in partner["ids"].items():
        generated = case.path_parameters.get(name) if case.path_parameters else None
        if isinstance(generated, str) and _is_uuid(generated) and int(generated[0], 16) % 2 == 0:
            case.path_parameters[name] = real
    label = f"{case.operation.method.upper()} {case.path}"
    if case.method.upper() == case.operation.method.upper():
        CALLS[label] += 1
    else:
        PROBES[label] += 1
    case.call_and_validate(base_url=partner["base_url"], headers=partner["headers"], checks=CHECKS)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
