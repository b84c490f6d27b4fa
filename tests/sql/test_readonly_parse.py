"""The parse half of read-only enforcement, as a table anyone can extend: (dialect,
statement, None if allowed or a piece of the refusal)."""

from __future__ import annotations

import logging

import pytest
import sqlglot

from apps.studio.sql.readonly import NotReadOnly, check_read_only

CASES = [
    ("postgres", "SELECT 1", None),
    ("postgres", "select 1;;", None),
    ("postgres", "WITH RECURSIVE x AS (SELECT 1) SELECT * FROM x", None),
    ("postgres", "SELECT 1 UNION SELECT 2", None),
    ("postgres", "VALUES (1), (2)", None),
    ("postgres", "SHOW search_path", None),
    ("postgres", "EXPLAIN SELECT 1", None),
    ("postgres", "EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1", None),
    ("postgres", "EXPLAIN ANALYZE DELETE FROM t", "DELETE"),
    ("postgres", "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "changes data"),
    ("postgres", "WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1", "changes data"),
    ("postgres", "SELECT * FROM t FOR SHARE", "locks rows"),
    ("postgres", "SELECT * FROM (SELECT * FROM t FOR UPDATE) s", "locks rows"),
    ("postgres", "SELECT 1 UNION SELECT 2 FOR UPDATE", "locks rows"),
    ("postgres", "SELECT * INTO t2 FROM t", "SELECT … INTO"),
    ("postgres", "CREATE TABLE t2 AS SELECT 1", "not a query"),
    ("postgres", "COPY t TO STDOUT", "not a query"),
    ("postgres", "BEGIN", "not a query"),
    ("postgres", "SET TRANSACTION READ WRITE", "not a query"),
    ("postgres", "DO $$ BEGIN END $$", "not a query (DO)"),
    ("postgres", "TRUNCATE t", "not a query"),
    ("postgres", "SELECT 1; SELECT 2", "one statement at a time"),
    ("postgres", "SELECT 1; DROP TABLE t", "holds 2"),
    ("postgres", "", "holds 0"),
    ("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "pg_terminate_backend"),
    ("postgres", 'SELECT pg_catalog."pg_cancel_backend"(1)', "pg_cancel_backend()"),
    ("postgres", "SELECT pg_advisory_lock(42)", "rollback does not undo"),
    ("postgres", "SELECT x FROM t WHERE pg_try_advisory_lock(id)", "pg_try_advisory_lock"),
    ("postgres", "SELECT nextval('s')", "nextval"),
    ("postgres", "SELECT lower(name), now(), count(*) FROM t GROUP BY 1", None),
    ("mysql", "SHOW TABLES", None),
    ("mysql", "SELECT GET_LOCK('deploy', 10)", "get_lock"),
    ("sqlite", "SELECT load_extension('/tmp/x.so')", "load_extension"),
    ("mysql", "EXPLAIN FORMAT=JSON SELECT 1", None),
    ("mysql", "EXPLAIN UPDATE t SET a = 1", "changes data"),
    ("mysql", "SELECT * FROM t LOCK IN SHARE MODE", "locks rows"),
    ("mysql", "SELECT 1 INTO OUTFILE '/tmp/x'", "could not be read"),
    ("mysql", "REPLACE INTO t VALUES (1)", "not a query"),
    ("mysql", "SET autocommit = 0", "not a query"),
    ("sqlite", "EXPLAIN QUERY PLAN SELECT 1", None),
    ("sqlite", "PRAGMA query_only = OFF", "PRAGMA"),
    ("sqlite", "ATTACH DATABASE 'x.db' AS x", "not a query"),
    ("sqlite", "SELECT 1; PRAGMA query_only = OFF", "holds 2"),
]


@pytest.mark.parametrize(("dialect", "sql", "refusal"), CASES)
def test_read_only_parse(dialect, sql, refusal):
    if refusal is None:
        check_read_only(sql, dialect)
        return
    with pytest.raises(NotReadOnly) as raised:
        check_read_only(sql, dialect)
    assert refusal.lower() in str(raised.value).lower()


def test_the_statement_text_stays_out_of_the_log(caplog):
    """sqlglot logs statements it falls back on; the editor's parses stay silent."""
    caplog.set_level(logging.WARNING, logger="sqlglot")
    with pytest.raises(NotReadOnly):
        check_read_only("DO $$ BEGIN PERFORM 'Canary-secret-literal'; END $$", "postgres")
    assert "Canary-secret-literal" not in caplog.text
    sqlglot.parse("DO $$ BEGIN PERFORM 'Canary-other-literal'; END $$", read="postgres")
    assert "Canary-other-literal" in caplog.text  # the filter is only for the editor
