"""Quote arithmetic: totals, discounts, credits, margins, deposits, and what is refused."""

from decimal import Decimal

import pytest

from shop.quotes.pricing import PricingError, authority, price


def line(unit, qty=1, cost=0, kind="catalog", dk="none", dv="0"):
    return {
        "kind": kind,
        "unit_price_cents": unit,
        "unit_cost_cents": cost,
        "quantity": qty,
        "discount_kind": dk,
        "discount_value": Decimal(dv),
    }


@pytest.mark.parametrize(
    ("lines", "kind", "value", "deposit", "expected"),
    [
        # one boat at list price, cost half: 50 % margin
        ([line(100_000_00, cost=50_000_00)], "none", "0", "0", (100_000_00, 0, 100_000_00, 0)),
        # 10 % off the line
        (
            [line(100_000_00, cost=50_000_00, dk="percent", dv="10")],
            "none",
            "0",
            "0",
            (100_000_00, 10_000_00, 90_000_00, 0),
        ),
        # $2,500.50 off the whole quote, 30 % deposit (rounded half up)
        (
            [line(10_000_00, qty=2, cost=5_000_00)],
            "amount",
            "2500.50",
            "30",
            (20_000_00, 2_500_50, 17_499_50, 5_249_85),
        ),
        # a trade-in credit is not a discount; the quote discount skips it
        (
            [line(50_000_00, cost=20_000_00), line(-5_000_00, kind="custom")],
            "percent",
            "10",
            "0",
            (50_000_00, 5_000_00, 40_000_00, 0),
        ),
        # installation as a custom line with its own cost
        (
            [line(30_000_00, cost=15_000_00), line(1_200_00, cost=800_00, kind="custom")],
            "none",
            "0",
            "100",
            (31_200_00, 0, 31_200_00, 31_200_00),
        ),
        # percent rounding: 33.33 % of $0.10 on three units
        ([line(10, qty=3, dk="percent", dv="33.33")], "none", "0", "0", (30, 10, 20, 0)),
        # 100 % off is allowed (a gift), total zero
        ([line(1_000_00, dk="percent", dv="100")], "none", "0", "50", (1_000_00, 1_000_00, 0, 0)),
    ],
)
def test_totals(lines, kind, value, deposit, expected):
    priced = price(lines, kind, Decimal(value), Decimal(deposit))
    assert (
        priced.list_cents,
        priced.discount_cents,
        priced.total_cents,
        priced.deposit_cents,
    ) == expected
    assert priced.margin_cents == priced.total_cents - priced.cost_cents


def test_margin_and_discount_percentages():
    priced = price([line(100_000_00, cost=80_000_00, dk="percent", dv="12.5")])
    assert priced.discount_pct == Decimal("12.50")
    assert priced.total_cents == 87_500_00
    assert priced.margin_cents == 7_500_00
    assert priced.margin_pct == Decimal("8.57")
    assert priced.lines[0].margin_pct == Decimal("8.57")


@pytest.mark.parametrize(
    ("lines", "kind", "value", "deposit", "message"),
    [
        ([line(100, dk="percent", dv="-1")], "none", "0", "0", "between 0 and 100 percent"),
        ([line(100, dk="percent", dv="100.01")], "none", "0", "0", "between 0 and 100 percent"),
        ([line(100)], "percent", "150", "0", "between 0 and 100 percent"),
        ([line(100, dk="amount", dv="-5")], "none", "0", "0", "cannot be negative"),
        ([line(100, dk="amount", dv="1.01")], "none", "0", "0", "larger than the amount"),
        ([line(100)], "amount", "2", "0", "larger than the amount"),
        ([line(100, dk="amount", dv="0.001")], "none", "0", "0", "two decimal places"),
        ([line(100, qty=0)], "none", "0", "0", "quantity"),
        ([line(100, qty=-2)], "none", "0", "0", "quantity"),
        ([line(0)], "none", "0", "0", "price above zero"),
        ([line(-100)], "none", "0", "0", "price above zero"),
        ([line(100)], "none", "0", "-1", "deposit must be between 0 and 100"),
        ([line(100)], "none", "0", "101", "deposit must be between 0 and 100"),
        ([line(100), line(-200, kind="custom")], "none", "0", "0", "trade-in credit is larger"),
        ([line(-200, kind="custom", dk="percent", dv="5")], "none", "0", "0", "no discount"),
        ([line(100, dk="half")], "none", "0", "0", "choose no discount"),
        ([line(100, cost=-1)], "none", "0", "0", "cost cannot be negative"),
    ],
)
def test_bad_figures_are_refused_with_a_clear_message(lines, kind, value, deposit, message):
    with pytest.raises(PricingError) as caught:
        price(lines, kind, Decimal(value), Decimal(deposit))
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("discount", "cost", "limit", "needs", "why"),
    [
        ("5", 50_000_00, "10", False, ""),
        ("10", 50_000_00, "10", False, ""),
        ("10.01", 50_000_00, "10", True, "above Maya's limit of 10%"),
        ("0", 90_000_00, "10", True, "below the store's floor of 12%"),
        ("20", 80_000_00, "25", True, "below the store's floor"),
        ("0", 88_000_00, "0", False, ""),  # exactly 12 % margin: at the floor, allowed
    ],
)
def test_authority(discount, cost, limit, needs, why):
    priced = price([line(100_000_00, cost=cost, dk="percent", dv=discount)])
    result, reason = authority(priced, Decimal(limit), Decimal("12"), "Maya")
    assert result is needs
    assert why in reason


@pytest.mark.parametrize(
    ("lines", "needs", "why"),
    [
        # 5% off a $72,000 piano (cost $61,200): 10.53% margin on the goods, under the floor; a
        # $4,000 custom line typed with no cost cannot lift it
        (
            [line(72_000_00, cost=61_200_00, dk="percent", dv="5"), line(4_000_00, kind="custom")],
            True,
            "margin 10.53% on the catalog items is below the store's floor of 12%",
        ),
        # 10.5% off the goods is beyond a 10% limit, even diluted by custom lines at list
        (
            [
                line(72_000_00, cost=50_000_00, dk="percent", dv="10.5"),
                line(4_000_00, cost=3_500_00, kind="custom"),
            ],
            True,
            "discount 10.50% on the catalog items is above Maya's limit of 10%",
        ),
        # a custom line's own discount is held to the same limit
        (
            [line(72_000_00, cost=50_000_00), line(4_000_00, 1, 0, "custom", "percent", "50")],
            True,
            "discount 50.00% on the custom lines",
        ),
        # a custom line sold below its cost
        (
            [line(72_000_00, cost=50_000_00), line(1_000_00, cost=1_500_00, kind="custom")],
            True,
            "custom line 2 is priced below its cost",
        ),
        # a trade-in is not a discount and leaves the goods' margin alone
        (
            [line(72_000_00, cost=61_200_00), line(-20_000_00, kind="trade_in")],
            False,
            "",
        ),
        # custom lines above the set amount; trade-ins above theirs
        (
            [line(72_000_00, cost=50_000_00), line(5_000_01, cost=4_000_00, kind="custom")],
            True,
            "custom lines come to $5,000.01, above the $5,000.00",
        ),
        (
            [line(72_000_00, cost=50_000_00), line(-25_000_01, kind="trade_in")],
            True,
            "trade-in credit of $25,000.01 is above the $25,000.00",
        ),
    ],
)
def test_authority_judges_each_kind_of_line_on_its_own(lines, needs, why):
    priced = price(lines)
    result, reason = authority(
        priced,
        Decimal("10"),
        Decimal("12"),
        "Maya",
        custom_above_cents=5_000_00,
        trade_in_above_cents=25_000_00,
    )
    assert (result, why.lower() in reason.lower()) == (needs, True), reason


def test_the_quote_discount_is_shared_between_goods_and_custom_lines():
    priced = price(
        [line(90_000_00, cost=60_000_00), line(10_000_00, cost=5_000_00, kind="custom")],
        "amount",
        Decimal("1000"),
    )
    assert (priced.goods_discount_cents, priced.custom_discount_cents) == (900_00, 100_00)
    assert priced.goods_net_cents + priced.custom_net_cents == priced.total_cents
    assert priced.goods_margin_cents == 89_100_00 - 60_000_00


def test_a_trade_in_must_be_a_credit():
    with pytest.raises(PricingError, match="appraised value"):
        price([line(1_000_00), line(500_00, kind="trade_in")])
