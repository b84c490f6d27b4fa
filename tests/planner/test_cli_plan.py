"""`sqlx plan:diff`, `lint`, `apply`, `rollback` end to end on real databases.

What a DBA does: plan from the live database to a desired-state .sql file, read the plan
(table, --sql), lint it, dry-run, apply with the hazards accepted, see it refuse what it
must (drift, destructive without permission, unaccepted hazards, a tampered plan file), and
roll back to where they started with the data intact.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from engine import cli, connect
from engine.cli_plan import parse_renames
from engine.errors import ConfigError
from engine.flo.database import learn_database
from engine.planner.model import Rename
from tests.flo.catalog_helpers import run_script

A_SQL = """
CREATE TABLE customers (id integer PRIMARY KEY, name varchar(100) NOT NULL);
CREATE TABLE orders (
  id integer PRIMARY KEY,
  customer_id integer NOT NULL,
  total numeric(12,2) NOT NULL DEFAULT 0,
  legacy_code varchar(20),
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
);
"""

B_SQL = """
CREATE TABLE customers (id integer PRIMARY KEY, name varchar(100) NOT NULL,
  email varchar(200));
CREATE TABLE orders (
  id integer PRIMARY KEY,
  customer_id integer NOT NULL,
  total numeric(12,2) NOT NULL DEFAULT 0,
  legacy_code varchar(20),
  note text,
  CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
);
CREATE INDEX orders_total_idx ON orders (total);
CREATE TABLE shipments (id integer PRIMARY KEY, order_id integer NOT NULL);
"""

DATA = [
    "INSERT INTO customers (id, name) VALUES (1, 'Ada'), (2, 'Linus')",
    "INSERT INTO orders (id, customer_id, total) VALUES (10, 1, 5.5), (11, 2, 7.25)",
]


def sqlx(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def live_hash(url: str, database: str) -> str:
    with connect(url) as s:
        return learn_database(s, database).profile_hash


def order_rows(url: str) -> list[tuple]:
    with connect(url) as s:
        return [tuple(str(v) for v in r) for r in s.query("SELECT * FROM orders ORDER BY id").rows]


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def target(request, tmp_path):
    """(url, database name) of a database holding schema A with a few rows."""
    if request.param == "sqlite":
        path = tmp_path / "app.db"
        sqlite3.connect(path).close()
        url, name = f"sqlite:///{path}", "main"
    else:
        fixture = "fresh_pg_database" if request.param == "postgres" else "fresh_mariadb_database"
        url = request.getfixturevalue(fixture)
        name = url.rsplit("/", 1)[1]
    run_script(url, A_SQL)
    for statement in DATA:
        run_script(url, statement)
    return url, name


def test_plan_apply_rollback_round_trip(target, tmp_path, capsys):
    url, name = target
    desired = tmp_path / "desired.sql"
    desired.write_text(B_SQL)
    plan_file = tmp_path / "plan.json"
    before_hash, before_rows = live_hash(url, name), order_rows(url)

    code, out, err = sqlx(capsys, "plan:diff", "--from", url, "--to", str(desired),
                          "-o", str(plan_file))  # fmt: skip
    assert code == 0, err
    plan = json.loads(plan_file.read_text())
    kinds = {op["kind"] for op in plan["operations"]}
    assert {"add_column", "create_table", "create_index"} <= kinds, kinds
    assert plan["source_hash"] == before_hash
    assert "op-001" in out and "shipments" in out  # the readable table

    code, out, _ = sqlx(capsys, "plan:diff", "--from", url, "--to", str(desired), "--sql")
    assert code == 0 and "CREATE TABLE" in out and "shipments" in out and "-- op-001" in out

    code, out, _ = sqlx(capsys, "lint", str(plan_file))
    assert code == 0 and "findings" in out
    code, out, _ = sqlx(capsys, "lint", str(plan_file), "--json")
    assert code == 0 and [f["code"] for f in json.loads(out)] == [
        f["code"] for f in plan["findings"]
    ]

    code, out, err = sqlx(capsys, "apply", url, "--plan", str(plan_file), "--dry-run")
    assert code == 0, err
    assert live_hash(url, name) == before_hash  # a dry run changes nothing

    code, out, err = sqlx(capsys, "apply", url, "--plan", str(plan_file), "--yes")
    assert code == 0, out + err
    assert live_hash(url, name) == plan["target_hash"]
    assert order_rows(url)[0][:3] == before_rows[0][:3]

    code, out, err = sqlx(capsys, "rollback", url, "--plan", str(plan_file), "--yes")
    assert code == 0, out + err
    assert live_hash(url, name) == before_hash
    assert order_rows(url) == before_rows


def test_apply_refuses_a_drifted_database(target, tmp_path, capsys):
    url, name = target
    desired = tmp_path / "desired.sql"
    desired.write_text(B_SQL)
    plan_file = tmp_path / "plan.json"
    assert (
        sqlx(capsys, "plan:diff", "--from", url, "--to", str(desired), "-o", str(plan_file))[0] == 0
    )
    run_script(url, "CREATE TABLE surprise (id integer PRIMARY KEY)")
    drifted = live_hash(url, name)

    code, _, err = sqlx(capsys, "apply", url, "--plan", str(plan_file), "--yes")
    assert code == 1
    assert "drift" in err.lower() and "surprise" in err
    assert live_hash(url, name) == drifted  # refused before touching anything


def test_destructive_needs_permission_and_hazards_need_accepting(target, tmp_path, capsys):
    url, name = target
    desired = tmp_path / "desired.sql"
    desired.write_text(A_SQL.replace("\n  legacy_code varchar(20),", ""))
    plan_file = tmp_path / "plan.json"
    assert (
        sqlx(capsys, "plan:diff", "--from", url, "--to", str(desired), "-o", str(plan_file))[0] == 0
    )
    plan = json.loads(plan_file.read_text())
    assert any("DATA_LOSS" in op["hazards"] for op in plan["operations"])
    before = live_hash(url, name)

    code, _, err = sqlx(capsys, "apply", url, "--plan", str(plan_file))  # stdin is no terminal
    assert code == 1 and "--yes" in err
    code, _, err = sqlx(capsys, "apply", url, "--plan", str(plan_file), "--yes")
    assert code == 1 and "--allow-destructive" in err
    assert live_hash(url, name) == before

    code, _, err = sqlx(capsys, "apply", url, "--plan", str(plan_file), "--yes",
                        "--allow-destructive")  # fmt: skip
    assert code == 0, err
    assert live_hash(url, name) == plan["target_hash"]


def test_a_tampered_plan_file_is_a_clear_error(tmp_path, capsys):
    db = tmp_path / "app.db"
    sqlite3.connect(db).close()
    url = f"sqlite:///{db}"
    run_script(url, A_SQL)
    desired = tmp_path / "desired.sql"
    desired.write_text(B_SQL)
    plan_file = tmp_path / "plan.json"
    assert (
        sqlx(capsys, "plan:diff", "--from", url, "--to", str(desired), "-o", str(plan_file))[0] == 0
    )
    plan = json.loads(plan_file.read_text())
    plan["operations"][0]["steps"][0]["kind"] = "rm_rf"
    plan_file.write_text(json.dumps(plan))
    code, _, err = sqlx(capsys, "apply", url, "--plan", str(plan_file), "--yes")
    assert code == 2 and str(plan_file) in err and "rm_rf" in err

    plan_file.write_text(plan_file.read_text()[:200])
    code, _, err = sqlx(capsys, "lint", str(plan_file))
    assert code == 2 and str(plan_file) in err


def test_plan_between_two_snapshot_files_needs_no_server(tmp_path, capsys):
    from engine import ir

    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(ir.dumps(ir.parse_ddl(A_SQL, "postgres")))
    b.write_text(ir.dumps(ir.parse_ddl(B_SQL, "postgres")))
    code, out, err = sqlx(capsys, "plan:diff", "--from", str(a), "--to", str(b), "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["source_hash"] == ir.profile_hash(ir.parse_ddl(A_SQL, "postgres"))
    assert len(plan["operations"]) >= 4


def test_apply_with_rehearsal_first(fresh_pg_database, tmp_path, capsys):
    url = fresh_pg_database
    name = url.rsplit("/", 1)[1]
    run_script(url, A_SQL)
    desired = tmp_path / "desired.sql"
    desired.write_text(B_SQL)
    plan_file = tmp_path / "plan.json"
    assert (
        sqlx(capsys, "plan:diff", "--from", url, "--to", str(desired), "-o", str(plan_file))[0] == 0
    )

    code, out, _ = sqlx(capsys, "plan:diff", "--from", url, "--to", str(desired), "--sql")
    # the script runs by hand too: the concurrent build is a statement, not a comment
    assert code == 0 and "\nCREATE INDEX CONCURRENTLY orders_total_idx ON public.orders" in out

    code, out, err = sqlx(capsys, "apply", url, "--plan", str(plan_file), "--yes", "--rehearse")
    assert code == 0, out + err
    assert "rehearsal: applied" in err and "dropped" in err
    assert live_hash(url, name) == json.loads(plan_file.read_text())["target_hash"]
    with connect(url.rsplit("/", 1)[0] + "/postgres") as s:  # the scratch database is gone
        rows = s.query("SELECT datname FROM pg_database WHERE datname LIKE '_sqlx_rehearse%'").rows
    assert rows == []


ROUTINES_SQL = """
CREATE FUNCTION touch_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.total := coalesce(NEW.total, 0);
  RETURN NEW;
END $$;
CREATE TRIGGER orders_touch BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION touch_total();
"""


def test_a_desired_sql_file_is_read_back_through_the_server(fresh_pg_database, tmp_path, capsys):
    """Routine and trigger bodies come back from the server reprinted; planning against
    what the server makes of the file lets apply verify exactly, and a scratch database
    is all it leaves behind (dropped)."""
    url = fresh_pg_database
    name = url.rsplit("/", 1)[1]
    run_script(url, A_SQL)
    desired = tmp_path / "desired.sql"
    desired.write_text(B_SQL + ROUTINES_SQL)
    plan_file = tmp_path / "plan.json"
    assert (
        sqlx(capsys, "plan:diff", "--from", url, "--to", str(desired), "-o", str(plan_file))[0] == 0
    )
    plan = json.loads(plan_file.read_text())
    assert plan["source"]["to"]["normalised"].startswith("by the server")

    code, out, err = sqlx(capsys, "apply", url, "--plan", str(plan_file), "--yes")
    assert code == 0, out + err
    assert live_hash(url, name) == plan["target_hash"]
    with connect(url.rsplit("/", 1)[0] + "/postgres") as s:
        rows = s.query("SELECT datname FROM pg_database WHERE datname LIKE '_sqlx_%'").rows
    assert rows == []


def test_a_desired_sql_file_that_does_not_run_is_a_clear_error(fresh_pg_database, tmp_path, capsys):
    url = fresh_pg_database
    run_script(url, A_SQL)
    desired = tmp_path / "desired.sql"
    desired.write_text(B_SQL + "CREATE INDEX broken_idx ON orders (no_such_column);\n")
    code, _, err = sqlx(capsys, "plan:diff", "--from", url, "--to", str(desired))
    assert code == 2
    assert "desired.sql does not run on the server" in err and "no_such_column" in err


@pytest.mark.parametrize(
    ("text", "rename"),
    [
        ("table:orders=purchases", Rename("table", "", "orders", "purchases")),
        ("table:shop.orders=purchases", Rename("table", "shop", "orders", "purchases")),
        ("view:v_old=v_new", Rename("view", "", "v_old", "v_new")),
        ("index:i_old=i_new", Rename("index", "", "i_old", "i_new")),
        ("column:orders.name=full_name", Rename("column", "", "name", "full_name", table="orders")),
        (
            "constraint:shop.orders.orders_ref_key=orders_code_key",
            Rename("constraint", "shop", "orders_ref_key", "orders_code_key", table="orders"),
        ),
    ],
)
def test_declared_renames_parse(text, rename):
    assert parse_renames([text]) == (rename,)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("trigger:a=b", "write table:OLD=NEW"),
        ("table:orders", "write table:OLD=NEW"),
        ("column:name=full_name", "a column needs TABLE.OLD=NEW"),
        ("constraint:k1=k2", "a constraint needs TABLE.OLD=NEW"),
    ],
)
def test_a_malformed_rename_is_a_clear_config_error(text, words):
    with pytest.raises(ConfigError, match=words):
        parse_renames([text])
