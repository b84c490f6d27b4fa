"""parse_ddl: desired-state DDL -> the snapshot a server would report; errors name the
statement and its line."""

from __future__ import annotations

import pytest

from engine import ir
from engine.errors import ConfigError
from engine.ir.ddl import DDLParseError
from tests.ir._corpus import CORPUS, corpus_files, corpus_ids


@pytest.mark.parametrize(("dialect", "path"), corpus_files(), ids=corpus_ids())
def test_corpus_covers_every_object_kind_the_family_has(dialect, path):
    snap = ir.parse_ddl(path.read_text(), dialect)
    assert snap.tables and snap.views and snap.triggers
    tables = {t.name: t for t in snap.tables}
    assert any(t.primary_key for t in snap.tables)
    assert any(t.checks for t in snap.tables)
    assert any(t.foreign_keys for t in snap.tables)
    assert any(
        i.predicate or i.method != "btree" or i.unique for t in snap.tables for i in t.indexes
    )
    assert any(c.default is not None for t in snap.tables for c in t.columns)
    assert any(c.generated for t in snap.tables for c in t.columns)
    assert any(c.identity for t in snap.tables for c in t.columns)
    assert [v.name for v in snap.views] == sorted(v.name for v in snap.views)
    assert "customers" in tables and "orders" in tables


def test_postgres_corpus_details():
    snap = ir.parse_ddl((CORPUS / "postgres" / "shop.sql").read_text(), "postgres")
    customers = snap.table("app", "customers")
    orders = snap.table("public", "orders")
    assert [n.name for n in snap.namespaces] == ["app"]
    assert snap.namespaces[0].comment == "application objects"
    assert customers.primary_key.name == "customers_pkey"
    assert customers.column("id").identity == "always" and not customers.column("id").nullable
    assert customers.column("Display Name").collation == "C"
    assert {u.name for u in customers.uniques} == {
        "customers_email_key",
        "customers_Display Name_email_key",
    }
    assert {c.name: c.validated for c in customers.checks} == {
        "customers_score_check": True,
        "email_len": False,
    }
    ix = next(i for i in customers.indexes if i.name == "customers_lower_email")
    assert ix.unique and ix.predicate == "score > 0" and ix.include == ("score",)
    assert ix.parts[0].expression == "LOWER(email)" and ix.parts[0].descending
    assert ix.parts[0].nulls == "last" and ix.parts[1].opclass == "text_pattern_ops"
    assert "customers_created_idx" in {i.name for i in customers.indexes}
    # serial -> integer + owned sequence + nextval default
    assert orders.column("id").type == "integer"
    assert orders.column("id").default == "NEXTVAL('orders_id_seq')"
    seq = {s.name: s for s in snap.sequences}
    assert seq["orders_id_seq"].owned_by == "orders.id"
    assert seq["order_seq"].cycle and seq["order_seq"].max_value == 100000
    assert orders.partitioning.strategy == "range"
    assert [p[0] for p in orders.partitioning.partitions] == ["orders_low", "orders_high"]
    fks = {f.name: f for f in orders.foreign_keys}
    assert fks["orders_customer_id_fkey"].on_delete == "CASCADE"
    assert fks["orders_customer_fk2"].match == "FULL" and fks["orders_customer_fk2"].deferrable
    assert {t.name: t.kind for t in snap.types} == {
        "mood": "enum",
        "pair": "composite",
        "posint": "domain",
    }
    assert snap.types[0].labels == ("sad", "ok", "happy")
    views = {v.name: v for v in snap.views}
    assert views["order_totals"].materialized and views["order_totals"].indexes
    assert views["paid_orders"].comment == "only paid"
    assert {r.name: r.kind for r in snap.routines} == {"touch": "function", "archive": "procedure"}
    assert snap.triggers[0].events == ("INSERT", "UPDATE")
    assert [e.name for e in snap.extensions] == ["pgcrypto"]


def test_mysql_corpus_details():
    snap = ir.parse_ddl((CORPUS / "mysql" / "shop.sql").read_text(), "mysql")
    customers = snap.table("", "customers")
    notes = snap.table("", "notes")
    assert customers.primary_key.name == "PRIMARY"
    assert customers.column("active").type == "tinyint(1)"
    assert customers.column("active").default == "1"
    assert customers.column("updated").on_update == "CURRENT_TIMESTAMP()"
    assert customers.column("code").collation == "ascii_bin"
    # UNIQUE constraints are indexes; FULLTEXT is a method; prefix lengths are kept
    idx = {i.name: i for i in customers.indexes}
    assert idx["customers_email"].unique and not customers.uniques
    assert idx["ft_name"].method == "fulltext"
    assert idx["name_prefix"].parts[0].length == 10 and idx["name_prefix"].parts[0].descending
    assert {c.name for c in customers.checks} == {"email_len", "score"}  # column check: its name
    # an unnamed FK gets the server's name and the index the server adds for it
    assert notes.foreign_keys[0].name == "notes_ibfk_1"
    assert [p.column for i in notes.indexes for p in i.parts] == ["customer_id"]
    assert dict(customers.options) == {"charset": "utf8mb4"}  # engine=InnoDB is the default
    assert customers.comment == "people who buy"
    assert snap.sequences[0].cache == 10 and snap.sequences[0].min_value == 1000
    assert (
        "IF ROW_COUNT() > 0 THEN"
        in next(r for r in snap.routines if r.name == "archive").definition
    )


def test_sqlite_corpus_details():
    snap = ir.parse_ddl((CORPUS / "sqlite" / "shop.sql").read_text(), "sqlite")
    customers = snap.table("", "customers")
    orders = snap.table("", "orders")
    assert customers.column("id").identity == "auto_increment"
    assert customers.primary_key.name is None
    assert customers.column("id").nullable  # SQLite: PRIMARY KEY does not imply NOT NULL
    assert customers.column("display_name").collation == "NOCASE"
    assert dict(orders.options) == {"without_rowid": "true"}
    assert sorted(c.expression for c in orders.checks) == ["status IN ('new', 'paid', 'shipped')"]
    assert [u.name for u in orders.uniques] == ["orders_unique_status"]


def test_unquoted_names_fold_like_the_server():
    pg = ir.parse_ddl('CREATE TABLE Foo (Bar int, "Baz" int)', "postgres")
    assert pg.tables[0].name == "foo"
    assert [c.name for c in pg.tables[0].columns] == ["bar", "Baz"]
    my = ir.parse_ddl("CREATE TABLE Foo (Bar int, `Baz` int)", "mysql")
    assert my.tables[0].name == "Foo" and [c.name for c in my.tables[0].columns] == ["Bar", "Baz"]


def test_statement_order_is_irrelevant_for_the_result():
    a = "CREATE TABLE t (x int); CREATE INDEX i ON t (x); COMMENT ON TABLE t IS 'hi';"
    b = "CREATE TABLE t (x int); COMMENT ON TABLE t IS 'hi'; CREATE INDEX i ON t (x);"
    assert ir.parse_ddl(a, "postgres") == ir.parse_ddl(b, "postgres")


def test_session_statements_are_ignored():
    text = "SET search_path = public;\nBEGIN;\nCREATE TABLE t (x int);\nCOMMIT;\n"
    assert [t.name for t in ir.parse_ddl(text, "postgres").tables] == ["t"]


@pytest.mark.parametrize(
    ("dialect", "text", "line", "fragment"),
    [
        (
            "postgres",
            "CREATE TABLE a (x int);\n\nCREATE TABLE b (x int,\n  EXCLUDE USING gist (x WITH =));",
            3,
            "CREATE TABLE b",
        ),
        ("postgres", "CREATE TABLE a (x int);\nINSERT INTO a VALUES (1);", 2, "INSERT INTO a"),
        ("mysql", "CREATE TABLE a (x int);\nCREATE TABLE a (y int);", 2, "CREATE TABLE a (y int)"),
        ("sqlite", "\n\nCREATE INDEX i ON missing (x);", 3, "CREATE INDEX i ON missing"),
        ("postgres", "CREATE TABLE a (x int PRIMARY KEY WOBBLE);", 1, "CREATE TABLE a"),
        ("postgres", "CREATE TABLE a (x int);\nCREATE FROB f;", 2, "CREATE FROB"),
    ],
)
def test_parse_errors_name_statement_and_line(dialect, text, line, fragment):
    with pytest.raises(DDLParseError) as err:
        ir.parse_ddl(text, dialect)
    assert isinstance(err.value, ConfigError)
    assert err.value.line == line
    assert err.value.statement.startswith(fragment)
    assert f"line {line}:" in str(err.value) and fragment in str(err.value)


def test_long_statements_are_cut_to_80_characters_in_the_message():
    text = (
        "CREATE TABLE a (" + ", ".join(f"c{i} int" for i in range(40)) + ", x int NOT NULL WOBBLE)"
    )
    with pytest.raises(DDLParseError) as err:
        ir.parse_ddl(text, "postgres")
    shown = str(err.value).split(" in: ", 1)[1]
    assert len(shown) == 80 and text.startswith(shown)


def test_unknown_dialect_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown SQL dialect 'oracle'"):
        ir.parse_ddl("CREATE TABLE t (x int)", "oracle")


def test_unterminated_string_is_a_parse_error_not_a_traceback():
    with pytest.raises(DDLParseError):
        ir.parse_ddl("CREATE TABLE t (x text DEFAULT 'oops);", "postgres")
