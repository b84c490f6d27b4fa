"""No stored value ever reaches the platform database or the logs, whatever the backend."""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import connection

from apps.secrets import store
from apps.secrets.errors import SecretUnavailable

LOCAL_VALUE = "Recognisable-LOCAL-secret-0xC0FFEE"
REPLACED_VALUE = "Recognisable-REPLACED-secret-0xBEEF"
VAULT_VALUE = "Recognisable-VAULT-secret-0xFACE"
ALL = (LOCAL_VALUE, REPLACED_VALUE, VAULT_VALUE)


def _cells():
    """Every cell of every table: each model's table, the m2m tables, and anything else."""
    tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
    tables |= set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                yield from ((table, cell) for cell in row)


def _contains(cell, needle: str) -> bool:
    if isinstance(cell, bytes | bytearray | memoryview):
        return needle.encode() in bytes(cell)
    return needle in str(cell)


def test_no_value_in_any_table(world, vault, settings):
    kept = store.put(world.acme, "password of main", "first-draft")
    store.replace(kept, REPLACED_VALUE)
    local = store.put(world.globex, "password", LOCAL_VALUE)
    vault()
    remote = store.put(world.acme, "password", VAULT_VALUE)
    assert [store.reveal(r) for r in (kept, local, remote)] == [
        REPLACED_VALUE,
        LOCAL_VALUE,
        VAULT_VALUE,
    ]
    scanned = 0
    for table, cell in _cells():
        scanned += 1
        for value in (*ALL, "first-draft"):
            assert not _contains(cell, value), f"{value} found in {table}"
    assert scanned > 100  # the scan really read the tables
    assert {"secrets_localsecret", "secrets_secretref"} <= set(
        connection.introspection.table_names()
    )


def test_no_value_in_the_logs_even_on_failures(world, vault, caplog):
    caplog.set_level(logging.DEBUG)
    local = store.put(world.acme, "password", LOCAL_VALUE)
    assert store.reveal(local) == LOCAL_VALUE
    standin = vault()
    remote = store.put(world.acme, "password", VAULT_VALUE)
    assert store.reveal(remote) == VAULT_VALUE
    standin.sealed = True
    try:
        store.reveal(remote)
    except SecretUnavailable as exc:
        logging.getLogger("tests").exception("reading failed: %s", exc)
    else:
        raise AssertionError("a sealed Vault must refuse")
    assert caplog.records  # hvac/urllib3 and our own logger did write something
    for value in (*ALL, standin.root_token):
        assert value not in caplog.text
