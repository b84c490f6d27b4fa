"""PostgreSQL-only checks, run by tests/platform/test_production_parts.py in a child pytest.

Not named test_*.py: on the embedded SQLite these would have nothing to test, and a test
that cannot run must fail, not skip. The child names this file explicitly.
"""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.log import record, record_many
from apps.audit.models import AuditEvent, ChainHead
from apps.audit.verify import verify_chain
from tests.audit.helpers import TABLE


@pytest.fixture(autouse=True)
def _on_postgresql(db):
    assert connection.vendor == "postgresql", "run through tests/platform/test_production_parts.py"


def _run_together(workers: int, work) -> list[BaseException]:
    """Start `workers` threads at the same instant; each uses its own connection."""
    barrier, errors = threading.Barrier(workers), []

    def run(n: int) -> None:
        try:
            barrier.wait()
            work(n)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_never_fork_a_chain(world):
    from apps.workspaces.models import Workspace

    fresh = Workspace.objects.create(name="Busy", slug="busy")  # no chain head yet: a race

    def work(n: int) -> None:
        for i in range(20):
            with transaction.atomic():
                record(fresh, None, "learn", details={"thread": n, "i": i})
                record(None, None, "account.sign_in_failed", outcome="refused")
        record_many(fresh, [{"action": "apply", "details": {"thread": n}}] * 30)

    assert _run_together(8, work) == []
    seqs = list(AuditEvent.objects.filter(workspace=fresh).order_by("seq").values_list("seq"))
    assert [s for (s,) in seqs] == list(range(1, 8 * 50 + 1))
    result = verify_chain(fresh)
    assert result.ok and result.count == 400
    assert verify_chain(None).ok and verify_chain(None).count == 160
    assert ChainHead.objects.get(key=f"workspace:{fresh.pk}").last_seq == 400


def test_the_trigger_refuses_raw_update_and_delete(world):
    event = record(world.acme, None, "learn", details={"a": 1})
    for sql in (
        f"UPDATE {TABLE} SET details = '{{\"a\": 2}}' WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.details == {"a": 1} and verify_chain(world.acme).ok


def test_truncate_stays_possible(world):
    record(world.acme, None, "learn")
    with transaction.atomic():
        sid = transaction.savepoint()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE will not wait for them
            cursor.execute(f"TRUNCATE {TABLE}")
        assert not AuditEvent.objects.exists()
        transaction.savepoint_rollback(sid)
    assert AuditEvent.objects.exists()
