"""Tenant isolation for EVERY operation of the API, generated from its OpenAPI document.

Each operation is called (1) on acme's subdomain with a globex member's token and with no
credentials: 401; (2) on globex's subdomain, with that globex token, naming acme's objects
in the path: 404. Path parameters come from tests/api/factories.py; a parameter without a
factory fails here, so an endpoint added later is covered or the suite says what to add.
Bodies are minimal valid examples built from the schema, so a refusal cannot be a mere 400.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.api.factories import OBJECT_FACTORIES

METHODS = ("get", "post", "put", "patch", "delete")
ACME, GLOBEX = "acme.localhost", "globex.localhost"


def operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = doc["components"]["schemas"][name]
    return schema


def example(doc: dict, schema: dict):
    """A small value that satisfies `schema` (enough for the body to validate)."""
    schema = resolve(doc, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(doc, s).get("type") != "null"]
            return example(doc, (options or schema[key])[0])
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {name: example(doc, props[name]) for name in required}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if schema.get("format") == "email":
        return "isolation@example.test"
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    return "x" * max(1, schema.get("minLength", 1))


def fill_path(path: str, world) -> str:
    def value(match):
        name = match.group(1)
        if name not in OBJECT_FACTORIES:
            pytest.fail(f"add a factory for {name} to tests/api/factories.py ({path})")
        return str(OBJECT_FACTORIES[name](world))

    return re.sub(r"\{(\w+)\}", value, path)


def call(client, method: str, url: str, doc: dict, op: dict):
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    kwargs = {}
    if body is not None:
        kwargs = {"data": json.dumps(example(doc, body["schema"])),
                  "content_type": "application/json"}  # fmt: skip
    return getattr(client, method)(url, **kwargs)


@pytest.fixture
def doc(world, host_client) -> dict:
    response = host_client(world.users["owner"], ACME).get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_lists_operations(doc):
    assert len(operations(doc)) >= 12
    for method, path, op in operations(doc):
        assert op.get("operationId"), (method, path)
        assert op.get("summary"), (method, path)


def test_every_operation_refuses_other_workspaces(world, doc, api_client, api_token):
    globex_token = api_token(world.users["outsider"], world.globex)
    foreign = api_client(token=globex_token, host=ACME)
    anonymous = api_client(None, host=ACME)
    own = api_client(token=globex_token, host=GLOBEX)
    wrong = []
    for method, path, op in operations(doc):
        url = fill_path(path, world)
        for who, client in (("globex token on acme", foreign), ("anonymous", anonymous)):
            status = call(client, method, url, doc, op).status_code
            if status != 401:
                wrong.append(f"{method.upper()} {url} ({who}): {status}, expected 401")
        if "{" in path:
            response = call(own, method, url, doc, op)
            if response.status_code != 404:
                wrong.append(
                    f"{method.upper()} {url} (globex naming acme's objects): "
                    f"{response.status_code} {response.content[:200]!r}, expected 404"
                )
    assert wrong == []


def test_a_signed_in_outsider_gets_404(world, doc, host_client):
    outsider = host_client(world.users["outsider"], ACME)
    for method, path, _ in operations(doc):
        if method == "get":
            assert outsider.get(fill_path(path, world)).status_code == 404, path
