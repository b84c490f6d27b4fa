"""Lint rules: each fires on a plan built to trigger it, none fires on a clean plan, the
strict semantics, and the catalogue in docs/lint.md matches RULES both ways.

Plans are built by hand (model records), so these tests do not depend on the differ."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from engine.ir.canonical import build_snapshot
from engine.ir.model import (
    Check,
    Column,
    ForeignKey,
    Index,
    IndexPart,
    PrimaryKey,
    Table,
    UniqueConstraint,
    View,
)
from engine.planner import lint
from engine.planner.lint_facts import narrowing
from engine.planner.model import (
    Finding,
    Lock,
    ObjectRef,
    Operation,
    Plan,
    PlanContext,
    Rename,
    Step,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lint.md"
UNDO = (Step("SELECT 1"),)
NO_LOCK = Lock()


def col(name, type_="integer", nullable=True, default=None):
    return Column(name, type_, nullable=nullable, default=default)


CUSTOMERS = Table(
    "public", "customers",
    (col("id", nullable=False), col("name", "varchar(100)"), col("email", "text")),
    PrimaryKey("customers_pkey", ("id",)),
)  # fmt: skip
ORDERS = Table(
    "public", "orders",
    (col("id", "bigint", nullable=False), col("customer_id"), col("note", "text"),
     col("amount", "numeric(12,2)"), col("code", "varchar(50)")),
    PrimaryKey("orders_pkey", ("id",)),
    checks=(Check("orders_amount_positive", "amount > 0"),),
)  # fmt: skip
OLD_STUFF = Table("public", "old_stuff", (col("id"),))
V_ORDERS = View("public", "v_orders", "SELECT o.id, o.note FROM public.orders AS o")
BEFORE = build_snapshot("postgres", tables=[CUSTOMERS, ORDERS, OLD_STUFF], views=[V_ORDERS])


def after(*tables, views=(V_ORDERS,)):
    """BEFORE with `tables` replacing (or adding) the tables of the same name; a table given
    as a (schema, name) pair is removed."""
    keep = {t.key: t for t in BEFORE.tables}
    for t in tables:
        if isinstance(t, tuple):
            keep.pop(t)
        else:
            keep[t.key] = t
    return build_snapshot("postgres", tables=keep.values(), views=views)


def op(n, kind, kind_of_target, name, table=None, **kw):
    kw.setdefault("rollback", UNDO)
    return Operation(f"op-{n:03d}", kind, ObjectRef(kind_of_target, "public", name, table),
                     (Step(f"-- {kind}"),), **kw)  # fmt: skip


def context(to, rows=None, **kw):
    return PlanContext("postgres", BEFORE, to, table_rows=rows or {}, **kw)


def run(ops, to, rows=None, suspected=(), renames=(), **kw):
    plan = Plan("postgres", "h0", "h1", "h1u", tuple(ops), renames=renames,
                suspected_renames=suspected)  # fmt: skip
    return lint.check(plan, context(to, rows, renames=renames, **kw))


def codes(findings):
    return {f.code for f in findings}


def replace_cols(table, **changes):
    cols = tuple(dataclasses.replace(c, **changes[c.name]) if c.name in changes else c
                 for c in table.columns)  # fmt: skip
    return dataclasses.replace(table, columns=cols)


def without_cols(table, *names):
    return dataclasses.replace(
        table, columns=tuple(c for c in table.columns if c.name not in names)
    )


LARGE = {("public", "orders"): 5_000_000, ("public", "customers"): 5_000_000}
SMALL = {("public", "orders"): 10, ("public", "customers"): 10}
EXCLUSIVE_SCAN = Lock("ACCESS EXCLUSIVE", "table_size", blocks_reads=True, blocks_writes=True)
REWRITE = dataclasses.replace(EXCLUSIVE_SCAN, rewrites_table=True)
CUSTOMER_FK = ForeignKey("orders_customer_fk", ("customer_id",), "public", "customers", ("id",))
CUSTOMER_IDX = Index("orders_customer_idx", (IndexPart("customer_id"),))
ORDERS_NO_NOTE = without_cols(ORDERS, "note")


@dataclasses.dataclass(frozen=True)
class Loss:
    path: str
    what: str
    why: str


#: code -> (ops, target snapshot, kwargs for `run`): a plan that must trigger the rule
TRIGGERS = {
    "NBX001": ([op(1, "add_column", "column", "x", "orders", rollback=None)], BEFORE, {}),
    "NBX101": (
        [op(1, "drop_table", "table", "old_stuff", hazards=("DATA_LOSS",))],
        after(("public", "old_stuff")),
        {},
    ),
    "NBX102": (
        [op(1, "drop_column", "column", "code", "orders", hazards=("DATA_LOSS",))],
        after(without_cols(ORDERS, "code")),
        {},
    ),
    "NBX103": (
        [op(1, "drop_check", "check", "orders_amount_positive", "orders")],
        after(dataclasses.replace(ORDERS, checks=())),
        {},
    ),
    "NBX201": (
        [op(1, "alter_column_nullability", "column", "note", "orders")],
        after(replace_cols(ORDERS, note={"nullable": False})),
        {},
    ),
    "NBX202": (
        [op(1, "add_unique", "unique", "customers_email_key", "customers")],
        after(
            dataclasses.replace(
                CUSTOMERS, uniques=(UniqueConstraint("customers_email_key", ("email",)),)
            )
        ),
        {},
    ),
    "NBX203": (
        [op(1, "alter_column_type", "column", "code", "orders")],
        after(replace_cols(ORDERS, code={"type": "varchar(20)"})),
        {},
    ),
    "NBX204": (
        [op(1, "add_foreign_key", "foreign_key", "orders_customer_fk", "orders")],
        after(dataclasses.replace(ORDERS, foreign_keys=(CUSTOMER_FK,), indexes=(CUSTOMER_IDX,))),
        {},
    ),
    "NBX205": (
        [op(1, "add_check", "check", "customers_name_len", "customers")],
        after(
            dataclasses.replace(
                CUSTOMERS, checks=(Check("customers_name_len", "length(name) > 0"),)
            )
        ),
        {},
    ),
    "NBX301": (
        [op(1, "drop_column", "column", "note", "orders"), op(2, "drop_view", "view", "v_orders")],
        after(ORDERS_NO_NOTE, views=()),
        {},
    ),
    "NBX302": (
        [op(1, "rename_column", "column", "full_name", "customers")],
        after(replace_cols(CUSTOMERS, name={"name": "full_name"})),
        {"renames": (Rename("column", "public", "name", "full_name", "customers"),)},
    ),
    "NBX303": ([op(1, "drop_column", "column", "note", "orders")], after(ORDERS_NO_NOTE), {}),
    "NBX304": (
        [
            op(
                1,
                "alter_column_type",
                "column",
                "customer_id",
                "orders",
                hazards=("TABLE_REWRITE", "COLUMN_ORDER"),
            )
        ],
        after(replace_cols(ORDERS, customer_id={"type": "bigint"})),
        {},
    ),
    "NBX401": (
        [
            op(
                1,
                "alter_column_type",
                "column",
                "customer_id",
                "orders",
                lock=REWRITE,
                hazards=("TABLE_REWRITE",),
            )
        ],
        after(replace_cols(ORDERS, customer_id={"type": "bigint"})),
        {},
    ),
    "NBX402": (
        [op(1, "validate_check", "check", "orders_amount_positive", "orders", lock=EXCLUSIVE_SCAN)],
        BEFORE,
        {"rows": LARGE},
    ),
    "NBX403": (
        [
            op(
                1,
                "add_index",
                "index",
                "orders_customer_idx",
                "orders",
                hazards=("INDEX_BUILD",),
                lock=dataclasses.replace(EXCLUSIVE_SCAN, blocks_reads=False),
            )
        ],
        after(dataclasses.replace(ORDERS, indexes=(CUSTOMER_IDX,))),
        {"rows": LARGE},
    ),
    "NBX404": (
        [op(1, "add_foreign_key", "foreign_key", "orders_customer_fk", "orders")],
        after(dataclasses.replace(ORDERS, foreign_keys=(CUSTOMER_FK,))),
        {},
    ),
    "NBX501": (
        [
            op(1, "drop_column", "column", "code", "orders", hazards=("DATA_LOSS",)),
            op(2, "add_column", "column", "ref", "orders"),
        ],
        after(replace_cols(ORDERS, code={"name": "ref"})),
        {"suspected": (Rename("column", "public", "code", "ref", "orders"),)},
    ),
    "NBX502": (
        [op(1, "drop_table", "table", "old_stuff", rollback=None, irreversible="data is gone")],
        after(("public", "old_stuff")),
        {},
    ),
    "NBX503": (
        [
            op(
                1,
                "alter_column_type",
                "column",
                "amount",
                "orders",
                hazards=("LOSSY_CONVERSION",),
                notes=("numeric(12,2) -> double precision loses exactness",),
            )
        ],
        after(replace_cols(ORDERS, amount={"type": "numeric(14,2)"})),
        {},
    ),
}


def test_every_rule_has_a_trigger_case():
    assert sorted(TRIGGERS) == sorted(r.code for r in lint.RULES)


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_rule_fires_on_a_plan_built_for_it(code):
    ops, to, kw = TRIGGERS[code]
    findings = run(ops, to, **kw)
    mine = [f for f in findings if f.code == code]
    assert mine, f"{code} did not fire; got {[(f.code, f.message) for f in findings]}"
    rule = lint.RULES_BY_CODE[code]
    for f in mine:
        assert f.severity == rule.severity and f.explanation == rule.explanation
        assert f.operation in {o.id for o in ops} | {None}
        assert f.message and f.fix


def clean_plan():
    """Create a table (its FK indexed), add a nullable column instantly, build an index
    concurrently on a large table, all reversible: nothing for lint to say."""
    payments = Table(
        "public", "payments", (col("id", nullable=False), col("order_id", "bigint")),
        PrimaryKey("payments_pkey", ("id",)),
        foreign_keys=(ForeignKey("payments_order_fk", ("order_id",), "public", "orders", ("id",)),),
        indexes=(Index("payments_order_idx", (IndexPart("order_id"),)),),
    )  # fmt: skip
    customers = dataclasses.replace(CUSTOMERS, columns=(*CUSTOMERS.columns, col("phone", "text")))
    orders = dataclasses.replace(ORDERS, indexes=(CUSTOMER_IDX,))
    ops = [
        op(1, "create_table", "table", "payments"),
        op(2, "add_column", "column", "phone", "customers", strategy="instant"),
        op(3, "add_index", "index", "orders_customer_idx", "orders", hazards=("INDEX_BUILD",),
           strategy="concurrent", lock=Lock("SHARE UPDATE EXCLUSIVE", "table_size")),
    ]  # fmt: skip
    return ops, after(payments, customers, orders)


def test_no_rule_fires_on_a_clean_plan():
    ops, to = clean_plan()
    assert run(ops, to, rows=LARGE) == ()


def test_findings_come_in_plan_order_then_code():
    ops = [
        op(1, "drop_table", "table", "old_stuff", rollback=None, irreversible="data is gone",
           hazards=("DATA_LOSS",)),
        op(2, "drop_column", "column", "note", "orders"),
    ]  # fmt: skip
    findings = run(ops, after(("public", "old_stuff"), ORDERS_NO_NOTE, views=()))
    keys = [(f.operation, f.code) for f in findings]
    assert keys == [
        ("op-001", "NBX101"), ("op-001", "NBX502"), ("op-002", "NBX102"), ("op-002", "NBX301"),
    ]  # fmt: skip


# --- precise cases: where rules must stay quiet ------------------------------------------------


def test_not_null_with_a_default_or_on_a_new_table_is_fine():
    with_default = replace_cols(ORDERS, note={"nullable": False})
    add = dataclasses.replace(
        with_default, columns=(*ORDERS.columns, col("n", "integer", False, "0"))
    )
    assert "NBX201" not in codes(run([op(1, "add_column", "column", "n", "orders")], after(add)))
    bare = dataclasses.replace(ORDERS, columns=(*ORDERS.columns, col("n", "integer", False)))
    assert "NBX201" in codes(run([op(1, "add_column", "column", "n", "orders")], after(bare)))
    fresh = Table("public", "fresh", (col("id", nullable=False),))
    ops = [op(1, "create_table", "table", "fresh"), op(2, "add_column", "column", "id", "fresh")]
    assert run(ops, after(fresh)) == ()


def test_widening_is_not_narrowing():
    assert narrowing("varchar(50)", "varchar(200)") is None
    assert narrowing("integer", "bigint") is None
    assert narrowing("integer", "text") is None
    assert narrowing("numeric(12,2)", "numeric(14,2)") is None
    assert narrowing("integer", "numeric(12,0)") is None
    assert narrowing("varchar(50)", "varchar(20)")
    assert narrowing("bigint", "integer")
    assert narrowing("numeric(12,2)", "numeric(12,0)")
    assert narrowing("text", "varchar(100)")
    assert narrowing("text", "integer")
    assert narrowing("integer", "integer unsigned")
    assert narrowing("timestamptz", "timestamp")
    widen = after(replace_cols(ORDERS, code={"type": "varchar(200)"}))
    assert run([op(1, "alter_column_type", "column", "code", "orders")], widen) == ()


def test_index_build_online_or_on_a_small_table_is_fine():
    _, to, _ = TRIGGERS["NBX403"]
    for strategy in ("concurrent", "inplace"):
        build = op(1, "add_index", "index", "orders_customer_idx", "orders",
                   hazards=("INDEX_BUILD",), strategy=strategy)  # fmt: skip
        assert run([build], to, rows=LARGE) == ()
    ops, _, _ = TRIGGERS["NBX403"]
    assert "NBX403" not in codes(run(ops, to, rows=SMALL))
    assert "NBX403" in codes(run(ops, to, rows=LARGE))


def test_rewrite_of_a_known_small_table_is_not_flagged():
    ops, to, _ = TRIGGERS["NBX401"]
    assert "NBX401" not in codes(run(ops, to, rows=SMALL))
    assert "NBX401" in codes(run(ops, to, rows=LARGE))


def test_long_lock_only_on_big_tables_and_not_twice():
    ops, to, _ = TRIGGERS["NBX402"]
    assert run(ops, to, rows=SMALL) == ()
    rewrite_ops, rewrite_to, _ = TRIGGERS["NBX401"]
    assert "NBX402" not in codes(run(rewrite_ops, rewrite_to, rows=LARGE))


def test_fk_index_found_through_leading_columns_or_primary_key():
    ops, _, _ = TRIGGERS["NBX404"]
    composite = Index("orders_cust_id_idx", (IndexPart("customer_id"), IndexPart("id")))
    covered = dataclasses.replace(ORDERS, foreign_keys=(CUSTOMER_FK,), indexes=(composite,))
    assert "NBX404" not in codes(run(ops, after(covered)))
    trailing = Index("orders_id_cust_idx", (IndexPart("id"), IndexPart("customer_id")))
    uncovered = dataclasses.replace(ORDERS, foreign_keys=(CUSTOMER_FK,), indexes=(trailing,))
    assert "NBX404" in codes(run(ops, after(uncovered)))


def test_new_table_fk_without_index_points_at_the_create():
    fk = ForeignKey("child_fk", ("customer_id",), "public", "customers", ("id",))
    child = Table("public", "child", (col("id"), col("customer_id")), foreign_keys=(fk,))
    (f,) = run([op(1, "create_table", "table", "child")], after(child))
    assert (f.code, f.operation) == ("NBX404", "op-001")
    assert "child_fk" in f.message


def test_constraint_dropped_to_be_recreated_is_not_a_drop():
    ops = [op(1, "drop_check", "check", "orders_amount_positive", "orders"),
           op(2, "add_check", "check", "orders_amount_positive", "orders")]  # fmt: skip
    changed = dataclasses.replace(ORDERS, checks=(Check("orders_amount_positive", "amount >= 0"),))
    assert codes(run(ops, after(changed))) == {"NBX205"}


def test_views_that_read_something_else_are_not_blamed():
    ops = [op(1, "drop_column", "column", "code", "orders", hazards=("DATA_LOSS",))]
    found = codes(run(ops, after(without_cols(ORDERS, "code"))))
    assert found == {"NBX102"}  # v_orders reads id and note, not code


def test_star_views_read_every_column():
    star = View("public", "v_all", "SELECT * FROM orders")
    ops = [op(1, "drop_column", "column", "code", "orders", hazards=("DATA_LOSS",))]
    plan = Plan("postgres", "h0", "h1", "h1u", tuple(ops))
    before = build_snapshot("postgres", tables=[CUSTOMERS, ORDERS], views=[star])
    ctx = PlanContext("postgres", before, after(without_cols(ORDERS, "code"), views=()))
    assert "NBX301" in codes(lint.check(plan, ctx))


def test_rebuild_that_drops_a_column_names_it():
    ops = [op(1, "rebuild_table", "table", "orders", hazards=("DATA_LOSS", "TABLE_REWRITE"),
              lock=REWRITE)]  # fmt: skip
    findings = run(ops, after(without_cols(ORDERS, "code")), rows=SMALL)
    (f,) = [f for f in findings if f.code == "NBX102"]
    assert "code" in f.message


def test_suspected_rename_finding_suggests_the_hint():
    ops, to, kw = TRIGGERS["NBX501"]
    (f,) = [f for f in run(ops, to, **kw) if f.code == "NBX501"]
    assert f.operation == "op-001"
    assert "sqlx:rename-from code" in f.fix


def test_conversion_losses_from_the_context_become_findings():
    findings = run(
        [], BEFORE, losses=(Loss("public.t.c", "tinyint unsigned -> smallint", "wider"),)
    )
    (f,) = findings
    assert (f.code, f.operation) == ("NBX503", None)
    assert "tinyint unsigned -> smallint" in f.message


# --- strict ------------------------------------------------------------------------------------


def finding(code, severity):
    return Finding(code, severity, "m")


def test_errors_always_block():
    assert lint.has_blocking([finding("NBX303", "error")], strict=False)
    assert lint.has_blocking([finding("NBX303", "error")], strict=True)


def test_high_risk_warnings_block_only_with_strict():
    assert lint.RULES_BY_CODE["NBX101"].high_risk
    assert not lint.has_blocking([finding("NBX101", "warning")], strict=False)
    assert lint.has_blocking([finding("NBX101", "warning")], strict=True)


def test_other_warnings_and_info_never_block():
    assert not lint.RULES_BY_CODE["NBX404"].high_risk
    quiet = [finding("NBX404", "warning"), finding("NBX502", "info"), finding("NBX999", "info")]
    assert not lint.has_blocking(quiet, strict=True)
    assert lint.blocking(quiet, strict=True) == ()


def test_unknown_warning_codes_block_with_strict():
    assert lint.has_blocking([finding("NBX999", "warning")], strict=True)
    assert not lint.has_blocking([finding("NBX999", "warning")], strict=False)


def test_strict_on_real_findings():
    fk = ForeignKey("child_fk", ("customer_id",), "public", "customers", ("id",))
    child = Table("public", "child", (col("id"), col("customer_id")), foreign_keys=(fk,))
    only_404 = run([op(1, "create_table", "table", "child")], after(child))
    assert codes(only_404) == {"NBX404"}
    assert not lint.has_blocking(only_404, strict=True)
    ops, to, _ = TRIGGERS["NBX303"]
    broken = run(ops, to)
    assert lint.has_blocking(broken, strict=False)


# --- the catalogue -----------------------------------------------------------------------------


def test_rule_catalogue_is_well_formed():
    assert len({r.code for r in lint.RULES}) == len(lint.RULES)
    for r in lint.RULES:
        assert re.fullmatch(r"NBX\d{3}", r.code), r.code
        assert r.severity in lint.SEVERITIES
        assert r.title and r.explanation.endswith(".") and r.fix.endswith(".")


def doc_sections() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^### (NBX\d{3})\b.*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_rule_is_documented_and_every_documented_rule_exists():
    sections = doc_sections()
    assert sorted(sections) == sorted(r.code for r in lint.RULES)
    for r in lint.RULES:
        body = sections[r.code]
        assert f"**Severity:** {r.severity}" in body, r.code
        assert f"**High-risk (blocks with --strict):** {'yes' if r.high_risk else 'no'}" in body
        assert "**Why:**" in body and "**Example:**" in body and "**Fix:**" in body, r.code


def test_documented_risk_tables_match_the_code():
    from engine.planner import risk

    text = DOCS.read_text(encoding="utf-8")
    for name, points in risk.HAZARD_POINTS.items():
        assert f"| `{name}` | {points} |" in text, name
    for duration, points in risk.LOCK_POINTS.items():
        assert f"| `{duration}` | {points} |" in text, duration
    for _factor, points, label in risk.SIZE_TIERS:
        assert f"| {label} | {points} |" in text, label
    for floor, level in risk.LEVEL_THRESHOLDS:
        assert f"| {level} | {floor} |" in text, level


def test_narrowing_with_a_lossy_hazard_is_reported_once():
    narrow = op(1, "alter_column_type", "column", "code", "orders", hazards=("LOSSY_CONVERSION",))
    found = run([narrow], after(replace_cols(ORDERS, code={"type": "varchar(20)"})))
    assert codes(found) == {"NBX203"}


def test_unnamed_fk_brought_by_a_rebuild_points_at_the_rebuild():
    unnamed = ForeignKey("", ("customer_id",), "public", "customers", ("id",))
    rebuilt = dataclasses.replace(ORDERS, foreign_keys=(unnamed,))
    rebuild = op(1, "rebuild_table", "table", "orders", strategy="table_rebuild")
    (f,) = run([rebuild], after(rebuilt), rows=SMALL)
    assert (f.code, f.operation) == ("NBX404", "op-001")
    assert f.message.startswith("a foreign key on public.orders (customer_id)")


def test_lint_without_snapshots_still_reads_the_operations():
    """A saved plan re-linted without its schemas: op-based rules still work."""
    ops = [
        op(1, "drop_table", "table", "old_stuff", rollback=None, irreversible="data is gone"),
        op(2, "add_index", "index", "i", "orders", hazards=("INDEX_BUILD",)),
    ]
    plan = Plan("postgres", "h0", "h1", "h1u", tuple(ops))
    found = lint.check(plan, PlanContext("postgres", None, None))
    assert [(f.operation, f.code) for f in found] == [("op-001", "NBX101"), ("op-001", "NBX502")]
