"""Schema-based fuzzing: schemathesis generates valid and invalid requests for EVERY
operation of the OpenAPI document and sends them to the Django WSGI app in-process (no
network), authenticated as acme's owner. No answer may be a 5xx.

Bounded and reproducible: a fixed number of examples per operation and mode, derandomized,
no example database, so a run takes well under two minutes and fails the same way twice.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

EXAMPLES = 10
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture
def wsgi_app(openapi_document):
    """Django's WSGI app sharing the test's transaction: the handler must not close the
    connection at the end of each request. (Django's test Client reconnects the closer after
    each of its requests, so this runs after the fixture that uses one.)"""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def openapi_document(world, host_client) -> dict:
    response = host_client(world.users["owner"], "acme.localhost").get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def fuzz(operation, mode, call, seen: Counter, failures: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def probe(case):
        response = call(case)
        seen[response.status_code // 100] += 1
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} ({mode.value}) -> "
                f"{response.status_code} {response.text[:300]}"
            )

    probe()


def test_no_operation_answers_5xx(world, api_token, wsgi_app, openapi_document):
    schema = schemathesis.openapi.from_dict(openapi_document)
    headers = {"Authorization": f"Bearer {api_token(world.users['owner'], world.acme)}"}

    def call(case):
        return case.call(app=wsgi_app, base_url="http://acme.localhost", headers=headers)

    seen: Counter = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in MODES:
            fuzz(operation, mode, call, seen, failures)
    declared = [m for item in openapi_document["paths"].values() for m in item]
    assert len(operations) == len(declared)
    # The requests reached the endpoints as the owner: some succeeded, some were refused.
    assert seen[2] > len(operations) and seen[4] > len(operations), seen
    assert failures == []
