"""Issue 23, point 1: a rep's discount authority and the margin floor hold for every kind of line.

The server decides a line's kind: a catalog variant always carries the catalog's price and cost;
custom lines (services, commissioning, freight) cannot lift the goods' margin or dilute their
discount, and above a set amount, or when they name a catalog item, go to a manager; a trade-in
is a credit with its own limit, never a discount.
"""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.errors import DomainError
from shop.quotes import services
from shop.quotes.models import QuoteLine
from shop.quotes.services import LineInput
from tests.conftest import post_form
from tests.quotes.conftest import terms
from tests.quotes.test_staff_pages import builder_data, client_for


@pytest.fixture
def piano(db, make_category, make_product):
    """A $72,000 piano that costs the store $61,200 (15% margin)."""
    pianos = make_category(slug="pianos", name="Pianos")
    product = make_product(pianos, name="Aura Concert Grand", price_cents=72_000_00)
    variant = product.variants[0]
    variant.cost_cents = 61_200_00
    db.session.commit()
    return variant


def save(db, team, lines, **kw):
    """A new quote by maya (10% limit) for the buyer with `lines`; its current version."""
    quote = services.create_quote(team["maya"], buyer_id=team["buyer"].id)
    version = services.save_version(quote.id, team["maya"], terms(lines=lines, **kw))
    db.session.commit()
    return quote, version


def catalog(variant, **kw):
    return LineInput(kind="catalog", variant_id=variant.id, **kw)


def custom(description, price, cost, **kw):
    return LineInput(
        kind="custom",
        description=description,
        unit_price_cents=price,
        unit_cost_cents=cost,
        **kw,
    )


def trade_in(description, value):
    return LineInput(kind="trade_in", description=description, unit_price_cents=value)


def refused_to_send(db, team, quote):
    with pytest.raises(DomainError, match="manager must approve"):
        services.send(quote.id, team["maya"])
    db.session.rollback()


# --- the server decides a line's kind -------------------------------------------------------


def test_a_catalog_variant_posted_as_custom_at_half_price_keeps_the_catalog_price(db, team, piano):
    _, version = save(
        db,
        team,
        [
            LineInput(
                kind="custom",
                variant_id=piano.id,
                description="Aura Concert Grand",
                unit_price_cents=36_000_00,
                unit_cost_cents=10_000_00,
            )
        ],
    )
    line = version.lines[0]
    assert (line.kind, line.variant_id, line.sku) == ("catalog", piano.id, piano.sku)
    assert (line.unit_price_cents, line.unit_cost_cents) == (72_000_00, 61_200_00)
    assert version.total_cents == 72_000_00 and not version.needs_approval


def test_the_builder_ignores_a_posted_kind_and_price_for_a_catalog_variant(
    client, login, db, team, make_quote, variant
):
    """The attack as it was made: the catalog line re-posted as "custom" at half price."""
    quote = make_quote()
    login(team["maya"])
    url = f"/staff/quotes/{quote.id}"
    data = builder_data(
        quote.id,
        **{
            "lines-0-kind": "custom",
            "lines-0-unit_price": "50,000.00",
            "lines-0-unit_cost": "0",
        },
    )
    assert post_form(client, url, data, csrf_page=url).status_code == 303
    version = services.current(services.get_quote(quote.id, team["maya"]))
    line = version.lines[0]
    assert (line.kind, line.variant_id, line.unit_price_cents) == (
        "catalog",
        variant.id,
        100_000_00,
    )
    assert line.unit_cost_cents == variant.cost_cents
    assert version.total_cents == 100_000_00


@pytest.mark.both_dbs
def test_a_custom_line_that_names_a_catalog_item_needs_a_manager(db, team, app, piano):
    """Without the variant id, the same piano typed as a custom line at half price."""
    app.config["QUOTE_CUSTOM_APPROVAL_ABOVE_CENTS"] = 100_000_00  # not the amount rule here
    quote, version = save(db, team, [custom("aura concert grand, delivered", 36_000_00, 30_000_00)])
    assert version.lines[0].kind == "custom"
    assert version.needs_approval
    assert piano.sku in version.approval_reason and "catalog" in version.approval_reason
    refused_to_send(db, team, quote)


def test_a_custom_line_that_names_a_catalog_sku_needs_a_manager(db, team, app, piano):
    app.config["QUOTE_CUSTOM_APPROVAL_ABOVE_CENTS"] = 100_000_00
    _, version = save(db, team, [custom(f"Floor model {piano.sku.lower()}", 40_000_00, 35_000_00)])
    assert version.needs_approval and piano.sku in version.approval_reason


def test_a_negative_custom_line_is_a_trade_in_not_a_hidden_discount(db, team, app, piano):
    app.config["QUOTE_TRADE_IN_APPROVAL_ABOVE_CENTS"] = 10_000_00
    quote, version = save(db, team, [catalog(piano), custom("Courtesy credit", -36_000_00, 0)])
    assert [li.kind for li in version.lines] == ["catalog", "trade_in"]
    assert version.needs_approval and "trade-in" in version.approval_reason.lower()
    refused_to_send(db, team, quote)


# --- custom lines cannot hide a discount ------------------------------------------------------


def test_a_custom_line_with_no_cost_cannot_lift_the_margin_over_the_floor(db, team, piano):
    """5% off the piano leaves 10.5% margin, under the 12% floor; a $4,000 "commissioning" line
    typed with a cost of 0 used to lift the quote to 14.3% and let it go without a manager."""
    quote, version = save(
        db,
        team,
        [
            catalog(piano, discount_kind="percent", discount_value=Decimal("5")),
            custom("Commissioning", 4_000_00, 0),
        ],
    )
    assert version.needs_approval
    assert "below the store's floor of 12%" in version.approval_reason
    refused_to_send(db, team, quote)


def test_custom_lines_do_not_dilute_the_discount_on_the_goods(db, team, piano):
    """10.5% off the piano is beyond maya's 10%; a $4,000 freight line at list used to bring
    the quote's discount to 9.97% of everything."""
    quote, version = save(
        db,
        team,
        [
            catalog(piano, discount_kind="percent", discount_value=Decimal("10.5")),
            custom("Freight to Denver", 4_000_00, 3_500_00),
        ],
    )
    assert version.needs_approval
    assert "10.50%" in version.approval_reason and "Maya Okafor's limit" in version.approval_reason
    refused_to_send(db, team, quote)


def test_custom_lines_above_the_set_amount_need_a_manager(db, team, app, variant):
    app.config["QUOTE_CUSTOM_APPROVAL_ABOVE_CENTS"] = 5_000_00
    quote, version = save(
        db,
        team,
        [
            catalog(variant),
            custom("Commissioning", 3_000_00, 2_000_00),
            custom("Freight", 2_500_00, 2_000_00),
        ],
    )
    assert version.needs_approval
    assert "$5,500.00" in version.approval_reason and "$5,000.00" in version.approval_reason
    refused_to_send(db, team, quote)


def test_custom_lines_within_the_set_amount_and_the_floor_go_without_a_manager(
    db, team, app, variant
):
    app.config["QUOTE_CUSTOM_APPROVAL_ABOVE_CENTS"] = 5_000_00
    quote, version = save(db, team, [catalog(variant), custom("Commissioning", 5_000_00, 3_000_00)])
    assert not version.needs_approval and version.approval_reason == ""
    services.send(quote.id, team["maya"])
    db.session.commit()
    assert quote.status == "sent"


def test_a_custom_line_sold_below_its_cost_needs_a_manager(db, team, variant):
    _, version = save(db, team, [catalog(variant), custom("Freight", 1_000_00, 2_500_00)])
    assert version.needs_approval and "below its cost" in version.approval_reason


# --- trade-ins --------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_a_trade_in_is_a_credit_not_a_discount_and_leaves_the_goods_margin_alone(
    db, team, app, piano
):
    """The piano at list (15% margin) with a $20,000 trade-in: the store's margin on the goods
    is untouched (the trade-in is goods coming in), so no manager is needed."""
    app.config["QUOTE_TRADE_IN_APPROVAL_ABOVE_CENTS"] = 25_000_00
    quote, version = save(
        db, team, [catalog(piano), trade_in("Trade-in: Yamaha C3, appraised", 20_000_00)]
    )
    assert [li.kind for li in version.lines] == ["catalog", "trade_in"]
    assert version.lines[1].unit_price_cents == -20_000_00  # a credit
    assert version.lines[1].unit_cost_cents == 0
    assert version.discount_cents == 0
    assert version.total_cents == 52_000_00
    assert not version.needs_approval, version.approval_reason
    services.send(quote.id, team["maya"])
    db.session.commit()
    assert quote.status == "sent"


def test_a_trade_in_above_its_limit_needs_a_manager(db, team, app, variant):
    app.config["QUOTE_TRADE_IN_APPROVAL_ABOVE_CENTS"] = 25_000_00
    quote, version = save(
        db, team, [catalog(variant), trade_in("Trade-in: Catalina 30", 30_000_00)]
    )
    assert version.needs_approval
    assert "trade-in" in version.approval_reason.lower()
    assert "$30,000.00" in version.approval_reason and "$25,000.00" in version.approval_reason
    refused_to_send(db, team, quote)
    services.submit(quote.id, team["maya"])
    services.approve(quote.id, team["boss"], "Appraisal checked.")
    services.send(quote.id, team["maya"])
    db.session.commit()
    assert quote.status == "sent"


def test_a_trade_in_takes_no_discount_and_no_catalog_variant(db, team, variant):
    with pytest.raises(DomainError, match="no discount"):
        save(
            db,
            team,
            [
                catalog(variant),
                LineInput(
                    kind="trade_in",
                    description="Trade-in",
                    unit_price_cents=1_000_00,
                    discount_kind="percent",
                    discount_value=Decimal("5"),
                ),
            ],
        )
    db.session.rollback()
    with pytest.raises(DomainError, match="describe"):
        save(db, team, [catalog(variant), trade_in("  ", 1_000_00)])
    db.session.rollback()


def test_a_quote_made_only_of_custom_lines_follows_the_same_rules(db, team, app):
    app.config["QUOTE_CUSTOM_APPROVAL_ABOVE_CENTS"] = 5_000_00
    _, version = save(db, team, [custom("Winter storage", 4_000_00, 3_000_00)])
    assert not version.needs_approval
    _, version = save(db, team, [custom("Refit", 9_000_00, 6_000_00)])
    assert version.needs_approval


# --- pages --------------------------------------------------------------------------------------


def test_the_builder_adds_a_trade_in_and_shows_each_kind(client, login, db, team, app, make_quote):
    app.config["QUOTE_TRADE_IN_APPROVAL_ABOVE_CENTS"] = 25_000_00
    quote = make_quote()
    login(team["maya"])
    url = f"/staff/quotes/{quote.id}"
    data = builder_data(
        quote.id,
        new_description="Commissioning at your marina",
        new_price="2,500.00",
        new_cost="1,800.00",
        trade_in_description="Trade-in: Catalina 30",
        trade_in_value="30,000.00",
    )
    assert post_form(client, url, data, csrf_page=url).status_code == 303
    version = services.current(services.get_quote(quote.id, team["maya"]))
    assert [(li.kind, li.unit_price_cents) for li in version.lines] == [
        ("catalog", 100_000_00),
        ("custom", 2_500_00),
        ("trade_in", -30_000_00),
    ]
    page = client.get(url).get_data(as_text=True)
    assert 'data-kind="catalog"' in page and "Catalog item" in page
    assert 'data-kind="custom"' in page and "Custom line" in page
    assert 'data-kind="trade_in"' in page and "Trade-in" in page
    assert "$30,000.00" in page  # the appraised value, as money
    assert "above the $25,000.00" in page  # why it needs a manager
    services.submit(quote.id, team["maya"])
    db.session.commit()
    boss = client_for(app, team["boss"])
    queue = boss.get("/staff/quotes/approvals").get_data(as_text=True)
    assert "above the $25,000.00" in queue and "Trade-in" in queue
    assert "$30,000.00" in queue


@pytest.mark.both_dbs
def test_stored_lines_keep_their_kinds(db, team, piano):
    _, version = save(
        db,
        team,
        [
            catalog(piano),
            custom("Commissioning", 1_000_00, 800_00),
            trade_in("Old upright", 500_00),
        ],
    )
    kinds = db.session.scalars(
        sa.select(QuoteLine.kind)
        .where(QuoteLine.version_id == version.id)
        .order_by(QuoteLine.position)
    ).all()
    assert kinds == ["catalog", "custom", "trade_in"]
