"""Cross-dialect conversion without servers: the type map both ways, lossy mappings
flagged, same-dialect identity, names moved between namespaces, objects a target cannot
hold dropped with a Loss. (tests/ir/test_convert_servers.py runs the result on servers.)"""

from __future__ import annotations

import pytest

from engine.errors import ConfigError
from engine.ir import parse_ddl, render_ddl
from engine.ir.convert import convert
from engine.ir.convert_types import TypeMapper
from engine.ir.model import Snapshot

#: (source dialect, source type, target dialect, expected type, lossy?)
TYPES = [
    ("mysql", "int", "postgres", "integer", False),
    ("mysql", "tinyint(1)", "postgres", "boolean", False),
    ("mysql", "tinyint unsigned", "postgres", "smallint", True),
    ("mysql", "int unsigned", "postgres", "bigint", True),
    ("mysql", "bigint unsigned", "postgres", "bigint", True),
    ("mysql", "decimal(12,4)", "postgres", "numeric(12,4)", False),
    ("mysql", "decimal", "postgres", "numeric(10,0)", False),
    ("mysql", "double", "postgres", "double precision", False),
    ("mysql", "varchar(190)", "postgres", "varchar(190)", False),
    ("mysql", "longtext", "postgres", "text", False),
    ("mysql", "mediumblob", "postgres", "bytea", False),
    ("mysql", "datetime", "postgres", "timestamp(0)", False),
    ("mysql", "datetime(3)", "postgres", "timestamp(3)", False),
    ("mysql", "timestamp", "postgres", "timestamptz(0)", False),
    ("mysql", "json", "postgres", "jsonb", True),
    ("mysql", "enum('a','b')", "postgres", "text", True),
    ("mysql", "enum('a','b')", "sqlite", "text", True),
    ("mysql", "year", "postgres", "smallint", True),
    ("postgres", "integer", "mysql", "int", False),
    ("postgres", "boolean", "mysql", "tinyint(1)", False),
    ("postgres", "numeric(12,2)", "mysql", "decimal(12,2)", False),
    ("postgres", "numeric", "mysql", "decimal(65,30)", True),
    ("postgres", "text", "mysql", "longtext", False),
    ("postgres", "varchar", "mysql", "longtext", False),
    ("postgres", "timestamp", "mysql", "datetime(6)", False),
    ("postgres", "timestamptz", "mysql", "timestamp(6)", True),
    ("postgres", "timestamptz(0)", "mysql", "timestamp", True),
    ("postgres", "jsonb", "mysql", "json", False),
    ("postgres", "uuid", "mysql", "char(36)", True),
    ("postgres", "bytea", "mysql", "longblob", False),
    ("postgres", "integer[]", "mysql", "json", True),
    ("postgres", "integer[]", "sqlite", "text", True),
    ("postgres", "smallint", "sqlite", "integer", False),
    ("postgres", "varchar(3)", "sqlite", "varchar(3)", True),
    ("sqlite", "integer", "postgres", "bigint", False),
    ("sqlite", "text", "mysql", "longtext", False),
    ("sqlite", "real", "postgres", "double precision", False),
    ("sqlite", "numeric", "postgres", "numeric", False),
    ("sqlite", "varchar(10)", "mysql", "varchar(10)", False),
    ("sqlite", "datetime", "postgres", "timestamp", False),
    ("sqlite", "fancy words", "postgres", "numeric", False),  # SQLite's own affinity rule
    ("sqlite", "big_counter_int", "postgres", "bigint", False),  # contains "int"
]


@pytest.mark.parametrize(("src", "raw", "dst", "expected", "lossy"), TYPES)
def test_type_map(src, raw, dst, expected, lossy):
    mapped = TypeMapper(Snapshot(dialect=src), dst).map(raw)
    assert mapped.type == expected, (src, raw, dst)
    assert bool(mapped.losses) == lossy, mapped.losses


def test_type_map_round_trips_the_lossless_core():
    for raw in ["int", "bigint", "smallint", "decimal(8,2)", "varchar(40)", "date",
                "datetime(3)", "tinyint(1)", "double", "char(2)"]:  # fmt: skip
        there = TypeMapper(Snapshot(dialect="mysql"), "postgres").map(raw)
        back = TypeMapper(Snapshot(dialect="postgres"), "mysql").map(there.type)
        assert back.type == raw, (raw, there.type, back.type)
        assert not there.losses and not back.losses


def test_same_dialect_is_the_identity():
    snap = parse_ddl("CREATE TABLE t (id int PRIMARY KEY, v varchar(5));", "mysql")
    conv = convert(snap, "mysql")
    assert conv.snapshot is snap
    assert conv.losses == ()


def test_unknown_dialect_is_a_config_error():
    with pytest.raises(ConfigError):
        convert(Snapshot(dialect="mysql"), "oracle")


MYSQL = """
CREATE TABLE c (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mood enum('sad','ok') DEFAULT 'ok',
  flag tinyint(1) NOT NULL DEFAULT 1,
  seen timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
  note text,
  KEY c_note (note(10)),
  FULLTEXT KEY c_ft (note)
);
CREATE TABLE o (id int PRIMARY KEY, c_id int unsigned, FOREIGN KEY (c_id) REFERENCES c (id));
"""


def losses_by_path(conv):
    out: dict[str, list[str]] = {}
    for loss in conv.losses:
        out.setdefault(loss.path, []).append(loss.what)
    return out


def test_mysql_to_postgres_flags_every_approximation():
    conv = convert(parse_ddl(MYSQL, "mysql"), "postgres")
    snap, lost = conv.snapshot, losses_by_path(conv)
    c = snap.table("public", "c")
    assert c is not None, "MySQL has no schemas: tables land in PostgreSQL's default schema"
    assert c.column("id").type == "bigint" and c.column("id").identity == "by default"
    assert c.column("mood").type == "text"
    assert any("mood" in ck.expression and "IN" in ck.expression for ck in c.checks)
    assert c.column("flag").type == "boolean" and c.column("flag").default == "TRUE"
    assert c.column("seen").on_update is None
    assert "ON UPDATE CURRENT_TIMESTAMP() dropped" in lost["tables[public.c].columns[seen]"]
    assert any("unsigned" in w for w in lost["tables[public.c].columns[id]"])
    assert any("enum" in w for w in lost["tables[public.c].columns[mood]"])
    assert "index prefix length (10) dropped" in lost["tables[public.c].indexes[c_note]"]
    assert "fulltext index c_ft not converted" in lost["tables[public.c].indexes[c_ft]"]
    assert [i.name for i in c.indexes] == ["c_note"]
    # auto names become the target's own: PRIMARY -> c_pkey, o_ibfk_1 -> o_c_id_fkey
    assert c.primary_key.name == "c_pkey"
    assert [fk.name for fk in snap.table("public", "o").foreign_keys] == ["o_c_id_fkey"]
    assert render_ddl(snap)  # renders


PG = """
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('sad', 'ok');
CREATE SEQUENCE app.free_seq;
CREATE TABLE app.t (
  id bigserial PRIMARY KEY,
  mood app.mood,
  tags text[] DEFAULT '{}',
  n integer DEFAULT nextval('app.free_seq'),
  name text NOT NULL
);
CREATE UNIQUE INDEX t_name_uq ON app.t (name) WHERE id > 0;
CREATE INDEX t_lower ON app.t (lower(name));
CREATE TABLE public.t (id integer PRIMARY KEY);
CREATE VIEW app.v AS SELECT id FROM app.t;
CREATE FUNCTION app.f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
"""


def test_postgres_to_mysql_merges_schemas_and_drops_what_it_cannot_hold():
    conv = convert(parse_ddl(PG, "postgres"), "mysql")
    snap, lost = conv.snapshot, losses_by_path(conv)
    names = sorted(t.name for t in snap.tables)
    assert names == ["app_t", "t"], "a name taken once schemas merge is renamed"
    assert "tables[app_t]" in lost
    t = snap.table("", "app_t")
    assert t.column("id").identity == "auto_increment"  # bigserial -> AUTO_INCREMENT
    assert t.column("id").default is None
    assert t.column("mood").type == "enum('sad','ok')"  # the enum type, inlined
    assert t.column("tags").type == "json" and t.column("tags").default is None
    assert t.column("n").default is None
    # its only index was partial and unique, so dropped: name is no key and stays TEXT
    assert t.column("name").type == "longtext"
    assert not snap.sequences and not snap.types and not snap.routines
    assert "sequence free_seq dropped" in lost["sequences[free_seq]"]
    assert "enum type mood dropped" in lost["types[mood]"]
    assert "function f dropped" in lost["routines[f]"]
    assert "schema app merged" in lost["namespaces[app]"]
    assert (
        "partial unique index t_name_uq not converted" in lost["tables[app_t].indexes[t_name_uq]"]
    )
    assert "expression index t_lower not converted" in lost["tables[app_t].indexes[t_lower]"]
    assert snap.views[0].definition == "SELECT id FROM app_t"  # references follow renames
    # the serial's sequence is absorbed into the identity, never reported as dropped
    assert not any("t_id_seq" in loss.what for loss in conv.losses)


def test_sqlite_to_postgres_applies_target_implied_facts():
    snap = parse_ddl(
        "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT COLLATE NOCASE, "
        "b INTEGER REFERENCES a (id) DEFERRABLE INITIALLY DEFERRED);",
        "sqlite",
    )
    conv = convert(snap, "postgres")
    a = conv.snapshot.table("public", "a")
    assert a.column("id").nullable is False  # PostgreSQL: key columns are NOT NULL
    assert a.column("id").identity == "by default"
    assert a.primary_key.name == "a_pkey"
    assert [fk.name for fk in a.foreign_keys] == ["a_b_fkey"]
    assert a.foreign_keys[0].deferrable  # PostgreSQL keeps DEFERRABLE
    assert "collation NOCASE dropped" in losses_by_path(conv)["tables[public.a].columns[v]"]


def test_fragments_sqlglot_cannot_write_are_kept_out_with_a_loss():
    snap = parse_ddl(
        "CREATE TABLE t (a integer[], b integer, CONSTRAINT t_ck CHECK (a @> ARRAY[b]));",
        "postgres",
    )
    conv = convert(snap, "mysql")
    t = conv.snapshot.table("", "t")
    assert not t.checks
    assert any(loss.what.startswith("check not converted") for loss in conv.losses)
