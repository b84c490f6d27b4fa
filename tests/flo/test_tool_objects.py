"""The tool's own objects (catalog.json "exclude_name_prefix": `_sqlx_`, the planner's
journal and shadow tables and their triggers) never show in a snapshot or its stats: a
database holding them hashes like one without, on every family."""

from __future__ import annotations

import pytest

from engine import connect
from engine.flo import learn_database
from tests.flo.catalog_helpers import FAMILIES, databases, run_script  # noqa: F401

USER_SCHEMA = "CREATE TABLE items (id integer PRIMARY KEY, name varchar(40))"

#: the tool's objects per family: a journal table, a shadow table and a trigger on a user
#: table (a trigger on the journal goes with it)
TOOL_OBJECTS = {
    "postgres": [
        "CREATE TABLE _sqlx_journal (id serial PRIMARY KEY, note text)",
        "CREATE TABLE _sqlx_shadow_items (id integer PRIMARY KEY, name varchar(40))",
        "CREATE INDEX _sqlx_shadow_items_name ON _sqlx_shadow_items (name)",
        "CREATE FUNCTION _sqlx_copy() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RETURN NEW; END $$",
        "CREATE TRIGGER _sqlx_items_copy AFTER INSERT ON items FOR EACH ROW "
        "EXECUTE FUNCTION _sqlx_copy()",
    ],
    "mysql": [
        "CREATE TABLE _sqlx_journal (id int AUTO_INCREMENT PRIMARY KEY, note text)",
        "CREATE TABLE _sqlx_shadow_items (id int PRIMARY KEY, name varchar(40), KEY (name))",
        "CREATE TRIGGER _sqlx_items_copy AFTER INSERT ON items FOR EACH ROW "
        "INSERT INTO _sqlx_shadow_items VALUES (NEW.id, NEW.name)",
    ],
    "sqlite": [
        "CREATE TABLE _sqlx_journal (id INTEGER PRIMARY KEY, note TEXT)",
        "CREATE TABLE _sqlx_shadow_items (id integer PRIMARY KEY, name varchar(40))",
        "CREATE INDEX _sqlx_shadow_items_name ON _sqlx_shadow_items (name)",
        "CREATE TRIGGER _sqlx_items_copy AFTER INSERT ON items BEGIN "
        "INSERT INTO _sqlx_shadow_items VALUES (NEW.id, NEW.name); END",
    ],
}


def learn(url: str, name: str):
    with connect(url) as s:
        return learn_database(s, name)


@pytest.mark.parametrize("family", FAMILIES)
def test_tool_objects_do_not_change_the_snapshot(family, databases):  # noqa: F811
    dbs = databases(family)
    url_a, name_a = dbs.new()
    run_script(url_a, USER_SCHEMA)
    url_b, name_b = dbs.new()
    run_script(url_b, USER_SCHEMA)
    with connect(url_b) as s:
        for sql in TOOL_OBJECTS[family]:
            s.query(sql)
        tables = s.query(
            "SELECT name FROM sqlite_master WHERE name LIKE '\\_sqlx\\_%' ESCAPE '\\'"
            if family == "sqlite"
            else "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE '\\_sqlx\\_%'"
        ).rows
        assert len(tables) >= 2  # the tool's tables really are there
    plain, with_tool = learn(url_a, name_a), learn(url_b, name_b)
    assert with_tool.profile_hash == plain.profile_hash
    assert [t.name for t in with_tool.snapshot.tables] == ["items"]
    assert not with_tool.snapshot.triggers
    assert list(with_tool.stats["tables"]) == list(plain.stats["tables"])
    assert with_tool.stats["counts"] == plain.stats["counts"]
