"""profile_hash: equal for equal schemas whatever the order or the source; different for
a one-character change in a default, a check, a view or an index predicate."""

from __future__ import annotations

import dataclasses
import re

import pytest

from engine import ir

BASE = {
    "postgres": [
        "CREATE TABLE a (id int PRIMARY KEY, price numeric DEFAULT 10 CHECK (price > 0))",
        "CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id), note text DEFAULT 'x')",
        "CREATE INDEX b_note ON b (note) WHERE note <> 'y'",
        "CREATE VIEW cheap AS SELECT id FROM a WHERE price < 5",
        "CREATE SEQUENCE s START WITH 3",
    ],
    "mysql": [
        "CREATE TABLE a (id int PRIMARY KEY, price decimal(10,2) DEFAULT 10 CHECK (price > 0))",
        "CREATE TABLE b (id int PRIMARY KEY, a_id int, note varchar(9) DEFAULT 'x', "
        "FOREIGN KEY (a_id) REFERENCES a (id))",
        "CREATE INDEX b_note ON b (note)",
        "CREATE VIEW cheap AS SELECT id FROM a WHERE price < 5",
        "CREATE SEQUENCE s START WITH 3",
    ],
    "sqlite": [
        "CREATE TABLE a (id int PRIMARY KEY, price real DEFAULT 10 CHECK (price > 0))",
        "CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id), note text DEFAULT 'x')",
        "CREATE INDEX b_note ON b (note) WHERE note <> 'y'",
        "CREATE VIEW cheap AS SELECT id FROM a WHERE price < 5",
    ],
}
DIALECTS = sorted(BASE)


def snap(dialect: str, statements) -> ir.Snapshot:
    return ir.parse_ddl(";\n".join(statements), dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_hash_format_and_determinism(dialect):
    h = ir.profile_hash(snap(dialect, BASE[dialect]))
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", h)
    assert h == ir.profile_hash(snap(dialect, BASE[dialect]))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_creation_order_does_not_matter(dialect):
    forward = snap(dialect, BASE[dialect])
    stmts = BASE[dialect]
    # tables must exist before their indexes: reverse the tables, keep the rest after them
    reordered = [stmts[1], stmts[0], *reversed(stmts[2:])]
    assert ir.profile_hash(snap(dialect, reordered)) == ir.profile_hash(forward)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_source_stats_and_raw_types_are_not_hashed(dialect):
    s = snap(dialect, BASE[dialect])
    t = s.tables[0]
    other = dataclasses.replace(
        s,
        source={"database": "elsewhere", "fingerprint": "sha256:00"},
        stats={"rows": {"a": 12}},
        tables=(
            dataclasses.replace(
                t, columns=tuple(dataclasses.replace(c, raw_type="X") for c in t.columns)
            ),
            *s.tables[1:],
        ),
    )
    assert ir.profile_hash(other) == ir.profile_hash(s)


CHANGES = {
    "default": ("DEFAULT 10", "DEFAULT 11"),
    "check": ("price > 0", "price > 1"),
    "view": ("price < 5", "price < 6"),
    "index predicate": ("note <> 'y'", "note <> 'z'"),
    "default string": ("DEFAULT 'x'", "DEFAULT 'X'"),
}


# MySQL has no partial indexes: every other (dialect, change) pair is a case
CASES = [
    (d, w) for d in DIALECTS for w in sorted(CHANGES) if (d, w) != ("mysql", "index predicate")
]


@pytest.mark.parametrize(("dialect", "what"), CASES)
def test_one_character_changes_change_the_hash(dialect, what):
    old, new = CHANGES[what]
    text = ";\n".join(BASE[dialect])
    assert old in text, f"{what}: the {dialect} base schema lacks {old!r}"
    changed = ir.parse_ddl(text.replace(old, new, 1), dialect)
    assert ir.profile_hash(changed) != ir.profile_hash(ir.parse_ddl(text, dialect))


def test_column_order_aside():
    a = ir.parse_ddl("CREATE TABLE t (x int, y text)", "sqlite")
    b = ir.parse_ddl("CREATE TABLE t (y text, x int)", "sqlite")
    assert ir.profile_hash(a) != ir.profile_hash(b)
    assert ir.profile_hash(a, column_order=False) == ir.profile_hash(b, column_order=False)


def test_same_schema_in_two_namespaces_of_different_names_differ_but_mysql_databases_do_not():
    pg1 = ir.parse_ddl("CREATE SCHEMA s1; CREATE TABLE s1.t (x int)", "postgres")
    pg2 = ir.parse_ddl("CREATE SCHEMA s2; CREATE TABLE s2.t (x int)", "postgres")
    assert ir.profile_hash(pg1) != ir.profile_hash(pg2)
    my1 = ir.parse_ddl("CREATE TABLE db1.t (x int)", "mysql")
    my2 = ir.parse_ddl("CREATE TABLE db2.t (x int)", "mysql")
    assert ir.profile_hash(my1) == ir.profile_hash(my2)
