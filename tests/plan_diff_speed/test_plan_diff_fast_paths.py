"""The shortcuts behind `sqlx plan:diff`'s speed change no answer: both hash documents of a
side from one pass, view reads parsed only for views that can name a table, a live side
read after `prepare_live` with its fragments parsed in a helper, and the command ending
without the interpreter's shutdown (its output complete)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import ir
from engine.ir import model
from engine.ir.canonical import hash_text, hash_text_records, hash_texts_both_orders
from engine.ir.hashing import columns_by_name, profile_hash, profile_hash_records, profile_hashes
from engine.planner import make_plan
from engine.planner.lint_facts import LazyViewReads, view_reads
from engine.planner.sources import (
    Source,
    load_source,
    prepare_live,
    probe_server,
    with_server,
)
from tests.flo.catalog_helpers import databases, run_script  # noqa: F401
from tests.planner.test_fast_paths import live_pair

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "planner" / "corpus"


def _snapshots():
    for family in ("postgres", "mysql", "sqlite"):
        for pair in sorted((CORPUS / family).glob("*")):
            for name in ("a.sql", "b.sql"):
                try:
                    yield ir.parse_ddl((pair / name).read_text(), family)
                except Exception:  # pairs that seed rows are not DDL only
                    continue


def test_both_hash_documents_from_one_pass_equal_the_two_passes():
    checked = 0
    for snap in _snapshots():
        text, aside, records = hash_texts_both_orders(snap)
        assert text == hash_text(snap)
        assert (aside, records) == hash_text_records(columns_by_name(snap))
        ordered, unordered, texts = profile_hashes(snap)
        assert ordered == profile_hash(snap)
        assert (unordered, texts) == profile_hash_records(snap, column_order=False)
        checked += 1
    assert checked > 50


def test_columns_out_of_name_order_give_two_documents():
    cols = (model.Column(name="b", type="integer"), model.Column(name="a", type="text"))
    snap = ir.build_snapshot("postgres", tables=[model.Table(schema="s", name="t", columns=cols)])
    text, aside, records = hash_texts_both_orders(snap)
    assert text != aside
    assert aside.index('"name":"a"') < aside.index('"name":"b"')
    assert text.index('"name":"b"') < text.index('"name":"a"')
    (table,) = records["tables"]
    assert '"tables":[' + table + "]" in aside and table not in text


VIEWS = [
    ("v_plain", "SELECT id, qty FROM orders"),
    ("v_upper", 'SELECT o.id FROM "Orders" AS o'),
    ("v_odd", 'SELECT x FROM "we""ird"'),
    ("v_other", "SELECT id FROM customers"),
    ("v_join", "SELECT o.id, c.id AS cid FROM orders AS o JOIN customers AS c ON o.cid = c.id"),
    ("v_broken", "SELECT FROM WHERE orders ((("),
]
TABLES = ["orders", "Orders", 'we"ird', "customers", "ORDERS", "missing"]


def test_view_reads_for_one_table_are_those_of_all_views_that_read_it():
    views = tuple(model.View(schema="s", name=n, definition=d) for n, d in VIEWS)
    tables = [model.Table(schema="s", name=n, columns=()) for n in TABLES]
    snap = ir.build_snapshot("postgres", tables=tables, views=views)
    names = [t.name for t in snap.tables] + [v.name for v in snap.views]
    every = [view_reads(v, "postgres", names) for v in snap.views]
    for table in [*TABLES, "v_plain"]:
        lazy = LazyViewReads(snap).naming(table)
        want = [(r.name, r.tables, r.columns) for r in every if r.reads_table("s", table)]
        got = [(r.name, r.tables, r.columns) for r in lazy if r.reads_table("s", table)]
        assert got == want, table
    assert [r.name for r in LazyViewReads(snap).all()] == [v.name for v in snap.views]
    assert LazyViewReads(None).all() == () and LazyViewReads(None).naming("t") == ()


def test_a_view_that_cannot_name_the_table_is_not_parsed(monkeypatch):
    from engine.planner import lint_facts

    parsed = []

    def counting(view, dialect, names=()):
        parsed.append(view.name)
        return view_reads(view, dialect, names)

    monkeypatch.setattr(lint_facts, "view_reads", counting)
    views = tuple(model.View(schema="s", name=n, definition=d) for n, d in VIEWS)
    lazy = LazyViewReads(ir.build_snapshot("postgres", views=views))
    assert [r.name for r in lazy.naming("customers")] == ["v_join", "v_other"]
    assert [r.name for r in lazy.naming("customers")] == ["v_join", "v_other"]
    assert parsed == ["v_join", "v_other"]  # each once, and only those
    assert len(lazy.naming('we"ird')) == len(VIEWS)  # an odd name: every view is a candidate


@pytest.mark.parametrize("family", ["postgres", "mysql"])
def test_a_side_read_after_preparing_with_a_helper_is_the_same_side(family, databases):  # noqa: F811
    from engine.flo import normaliser

    url, _ = databases(family).new()
    run_script(url, (CORPUS / "postgres" / "31_fk_column_type" / "a.sql").read_text())
    plain = load_source(url)
    prepare_live(url)
    helped = load_source(url, normaliser=normaliser.start())
    assert helped.snapshot == plain.snapshot and helped.describe() == plain.describe()
    assert helped.capabilities == plain.capabilities and helped.capabilities
    assert (helped.profile_hash, helped.unordered_hash) == (
        plain.profile_hash,
        plain.unordered_hash,
    )
    assert helped.digests[1] == plain.digests[1]


def test_probes_on_their_own_connection_give_the_probed_side(pg_url):
    probed = load_source(pg_url)
    side = with_server(load_source(pg_url, probe=False), probe_server(pg_url))
    assert side is not None and side.capabilities and side.capabilities == probed.capabilities
    assert side.snapshot == probed.snapshot and side.describe() == probed.describe()


def test_probes_of_another_server_are_not_used(pg_url):
    import dataclasses

    side = load_source(pg_url, probe=False)
    other = dataclasses.replace(probe_server(pg_url), fingerprint="sha256:another")
    assert with_server(side, other) is None


def test_preparing_a_url_that_cannot_be_read_says_nothing():
    prepare_live("nosuch://u:pw@h/db")  # the read reports it, with the usual message
    prepare_live("postgresql://u:pw@127.0.0.1:1/db")


def test_a_live_side_carries_its_digests_and_both_hashes(pg_url):
    side = load_source(pg_url, probe=False)
    assert side.digests is not None and side.digests[0] is side.snapshot
    unordered, _ = profile_hash_records(side.snapshot, column_order=False)
    assert side.unordered_hash == unordered
    plain = Source(kind="snapshot", label="x", snapshot=side.snapshot)
    assert (
        make_plan(side, side).source["from"]["objects"]
        == make_plan(plain, plain).source["from"]["objects"]
    )


def test_the_command_ends_early_with_all_its_output(databases, tmp_path):  # noqa: F811
    dbs = databases("postgres")
    url_a, url_b = live_pair(dbs)
    out = tmp_path / "plan.json"
    env = {k: v for k, v in os.environ.items() if k != "SQLX_NO_FORK"}
    args = ["plan:diff", "--from", url_a, "--to", url_b, "-o", str(out), "--json"]
    done = subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-800:]
    assert json.loads(done.stdout) == json.loads(out.read_text())  # stdout flushed, whole
    assert "wrote" in done.stderr and "operations" in done.stderr
    assert json.loads(out.read_text())["operations"]


def test_the_collector_is_left_as_it_was_found(databases, tmp_path, capsys):  # noqa: F811
    import gc

    from engine import cli

    dbs = databases("postgres")
    url_a, _ = dbs.new()
    url_b, _ = dbs.new()
    run_script(url_b, "CREATE TABLE t (id integer PRIMARY KEY)")
    out = tmp_path / "plan.json"
    assert cli.main(["plan:diff", "--from", url_a, "--to", url_b, "-o", str(out)]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert json.loads(out.read_text())["operations"]
    bad = "postgresql://nobody:wrong@127.0.0.1:1/none"
    assert cli.main(["plan:diff", "--from", bad, "--to", url_b]) == 3
    assert gc.isenabled() and gc.get_freeze_count() == 0
    capsys.readouterr()
