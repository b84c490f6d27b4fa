"""Rename hints in desired-state SQL: `-- sqlx:rename-from old` (engine.planner.hints)."""

from __future__ import annotations

from engine.planner.hints import renames_from_sql
from engine.planner.model import Rename


def test_table_hint_on_the_line_before_create_table():
    sql = """
    -- sqlx:rename-from purchase

    CREATE TABLE IF NOT EXISTS app.orders (id integer);
    """
    assert renames_from_sql(sql, "postgres") == (Rename("table", "app", "purchase", "orders"),)


def test_column_hints_at_the_end_of_column_lines():
    sql = """CREATE TABLE orders (
      id integer PRIMARY KEY,
      note text,            -- sqlx:rename-from remark
      "Total" numeric(12, 2) -- sqlx:rename-from "Amount"
    );
    CREATE TABLE other (x integer -- not a hint
    );"""
    assert renames_from_sql(sql, "postgres") == (
        Rename("column", "public", "remark", "note", table="orders"),
        Rename("column", "public", "Amount", "Total", table="orders"),
    )


def test_names_follow_the_dialect_folding_and_quoting():
    sql = "-- sqlx:rename-from OldName\nCREATE TABLE NewName (id int);"
    assert renames_from_sql(sql, "postgres") == (Rename("table", "public", "oldname", "newname"),)
    assert renames_from_sql(sql, "mysql") == (Rename("table", "", "OldName", "NewName"),)
    sql = "CREATE TABLE `t` (\n  `b` int, -- sqlx:rename-from `a`\n  c int\n);"
    assert renames_from_sql(sql, "mysql") == (Rename("column", "", "a", "b", table="t"),)


def test_index_and_view_hints():
    sql = """
    -- sqlx:rename-from t_a_old
    CREATE UNIQUE INDEX t_a_new ON t (a);
    -- sqlx:rename-from v_old
    CREATE OR REPLACE VIEW v_new AS SELECT 1;
    -- sqlx:rename-from m_old
    CREATE MATERIALIZED VIEW m_new AS SELECT 1;
    """
    assert renames_from_sql(sql, "postgres") == (
        Rename("index", "public", "t_a_old", "t_a_new"),
        Rename("view", "public", "v_old", "v_new"),
        Rename("view", "public", "m_old", "m_new"),
    )


def test_a_hint_not_followed_by_a_create_is_dropped():
    sql = """
    -- sqlx:rename-from ghost
    ALTER TABLE t ADD COLUMN x integer;
    CREATE TABLE t2 (id integer);
    """
    assert renames_from_sql(sql, "postgres") == ()


def test_no_hints_no_renames():
    assert renames_from_sql("CREATE TABLE t (a int, -- a comment\n b int);", "sqlite") == ()


def test_constraint_hints_inside_create_table():
    sql = """CREATE TABLE app.orders (
      id integer,
      amount integer CONSTRAINT amount_pos CHECK (amount > 0), -- sqlx:rename-from qty
      CONSTRAINT orders_pkey PRIMARY KEY (id), -- sqlx:rename-from orders_pk
      CONSTRAINT "Amount_Check" CHECK (amount < 100) -- sqlx:rename-from qty_small
    );"""
    assert renames_from_sql(sql, "postgres") == (
        Rename("column", "app", "qty", "amount", table="orders"),  # a column line: a column's
        Rename("constraint", "app", "orders_pk", "orders_pkey", table="orders"),
        Rename("constraint", "app", "qty_small", "Amount_Check", table="orders"),
    )


def test_constraint_hints_on_alter_table_add_constraint():
    sql = """
    ALTER TABLE orders ADD CONSTRAINT orders_qty_ck CHECK (qty > 0); -- sqlx:rename-from ck1
    -- sqlx:rename-from fk1
    ALTER TABLE ONLY app.orders ADD CONSTRAINT orders_customer_fk
      FOREIGN KEY (customer_id) REFERENCES customers (id);
    ALTER TABLE orders
      -- sqlx:rename-from uq1
      ADD CONSTRAINT orders_code_key UNIQUE (code);
    """
    assert renames_from_sql(sql, "postgres") == (
        Rename("constraint", "public", "ck1", "orders_qty_ck", table="orders"),
        Rename("constraint", "app", "fk1", "orders_customer_fk", table="orders"),
        Rename("constraint", "public", "uq1", "orders_code_key", table="orders"),
    )


def test_a_hint_before_an_alter_table_without_add_constraint_is_dropped():
    sql = """
    -- sqlx:rename-from ghost
    ALTER TABLE t ADD COLUMN x integer;
    ALTER TABLE t ADD CONSTRAINT t_x_ck CHECK (x > 0);
    """
    assert renames_from_sql(sql, "postgres") == ()
