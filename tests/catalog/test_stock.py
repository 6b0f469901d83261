"""What the store says is available: stock on hand net of live reservations, per variant."""

import json
from datetime import timedelta

import pytest

from shop.catalog import stock
from shop.db import utcnow


def hold(variant, holder, quantity, minutes=30):
    """What a checkout does: units held for `holder` (expired already when `minutes` < 0)."""
    stock.reserve(holder, {variant.id: quantity}, utcnow() + timedelta(minutes=minutes))


@pytest.mark.both_dbs
def test_only_live_reservations_count_and_a_holder_can_be_left_out(
    app, db, sailboats, make_product
):
    held = make_product(sailboats, stock=16).variants[0]
    free = make_product(sailboats, stock=4).variants[0]
    retired = make_product(sailboats, stock=5).variants[0]
    built = make_product(sailboats, stock=1, made_to_order=True).variants[0]
    hold(held, "order:5", 6)
    stock.convert("order:5", {held.id: 6})  # sold: 10 left on hand, the hold closed
    hold(held, "order:4", 5)
    stock.release("order:4")  # given back: counts for nothing
    hold(held, "order:3", 4, minutes=-1)  # expired: counts for nothing
    hold(held, "order:1", 2)
    hold(held, "order:2", 3)
    hold(built, "order:6", 1)
    retired.is_active = False
    db.session.commit()
    cap = app.config["MAX_LINE_QUANTITY"]

    found = stock.availability([held.id, free.id, retired.id, built.id])

    assert found == {
        held.id: (5, 5),
        free.id: (4, 4),
        retired.id: (0, 0),
        built.id: (0, cap),
    }
    mine = stock.availability([held.id, free.id], exclude_holder="order:1")
    assert mine[held.id] == (7, 7)  # order:1's own two units are its to keep
    assert mine[free.id] == (4, 4)
    assert stock.available_units([held.id, 999_999]) == {held.id: 5}


@pytest.mark.both_dbs
def test_orderable_units_are_availabilitys_orderable_in_every_case(
    app, db, sailboats, make_product
):
    """`available_units` works the orderable figure out in SQL (`orderable_units`, the cart
    page's rule): it must agree with `availability`'s, worked out apart, for every kind of
    variant."""
    cap = app.config["MAX_LINE_QUANTITY"]
    cases = {
        "held in part": make_product(sailboats, stock=9),
        "held beyond its stock": make_product(sailboats, stock=2),
        "retired": make_product(sailboats, stock=5),
        "retired, made to order": make_product(sailboats, stock=5, made_to_order=True),
        "made to order, none on hand": make_product(sailboats, stock=0, made_to_order=True),
        "made to order, more than a line": make_product(
            sailboats, stock=cap + 7, made_to_order=True
        ),
        "made to order, held": make_product(sailboats, stock=3, made_to_order=True),
    }
    cases = {case: product.variants[0] for case, product in cases.items()}
    hold(cases["held in part"], "order:1", 4)
    hold(cases["held beyond its stock"], "order:2", 2)
    cases["held beyond its stock"].stock_on_hand = 1  # a recount after the hold
    hold(cases["made to order, held"], "order:3", 3)
    cases["retired"].is_active = False
    cases["retired, made to order"].is_active = False
    db.session.commit()
    ids = [v.id for v in cases.values()]

    for holder in (None, "order:1", "order:3"):
        units = stock.available_units(ids, holder)
        assert units == {k: v.orderable for k, v in stock.availability(ids, holder).items()}
    units = stock.available_units(ids)
    assert [units[v.id] for v in cases.values()] == [5, 0, 0, 0, cap, cap + 7, cap]
    assert stock.available_units(ids, "order:1")[cases["held in part"].id] == 9
    assert stock.available_units([]) == {}


@pytest.mark.postgres
def test_a_long_list_reads_the_reservations_in_one_pass(app, db, sailboats, make_product):
    """Thirty variants, a small reservations table: PostgreSQL once scanned it per variant."""
    variants = [make_product(sailboats, stock=3).variants[0] for _ in range(30)]
    for n, variant in enumerate(variants):
        hold(variant, f"order:{n}-old", 1)
        stock.convert(f"order:{n}-old", {variant.id: 1})  # 2 left on hand
        hold(variant, f"order:{n}", 1)
    db.session.commit()
    ids = [v.id for v in variants]

    compiled = stock._AVAILABILITY.compile(db.engine)
    expanded = compiled.construct_expanded_state({"ids": ids, "now": utcnow()})
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE stock_reservations")
        plan = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + expanded.statement, expanded.parameters
        ).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)

    scans = [n for n in _nodes(plan[0]["Plan"]) if n.get("Relation Name") == "stock_reservations"]
    assert scans, plan
    assert all(n["Actual Loops"] == 1 for n in scans), scans
    assert stock.available_units(ids) == dict.fromkeys(ids, 1)


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def test_unknown_and_empty_lists(app):
    assert stock.availability([]) == {}
    assert stock.availability([123_456]) == {}


@pytest.mark.both_dbs
@pytest.mark.parametrize("count", [1, 2, 30])
def test_a_list_of_ids_is_matched_whatever_its_length(app, db, sailboats, make_product, count):
    """The ids go as an expanding parameter: exactly the listed variants come back."""
    variants = [make_product(sailboats, stock=n + 1).variants[0] for n in range(count + 1)]
    asked = [v.id for v in variants[:count]]  # the last one is not asked for

    found = stock.availability(asked)

    assert sorted(found) == sorted(asked)
    assert [found[v.id].in_stock for v in variants[:count]] == list(range(1, count + 1))
