"""Delivery options: seeded for every demo product, shown on the product page, lead times."""

import pytest
import sqlalchemy as sa

from shop.catalog.demo_data import PRODUCTS
from shop.catalog.models import DeliveryMethod, DeliveryOption, Product, Variant
from shop.catalog.services import delivery_lead_weeks
from shop.seed import seed_demo


def options_by_slug(db) -> dict[str, dict[str, tuple[int, int, str]]]:
    rows = db.session.execute(
        sa.select(
            Product.slug,
            DeliveryOption.method,
            DeliveryOption.price_cents,
            DeliveryOption.extra_weeks,
            DeliveryOption.note,
        ).join(Product, Product.id == DeliveryOption.product_id)
    )
    out: dict[str, dict[str, tuple[int, int, str]]] = {}
    for slug, method, price, extra, note in rows:
        out.setdefault(slug, {})[method] = (price, extra, note)
    return out


def add_options(db, product: Product, *methods: str) -> None:
    prices = {"white_glove": 1_250_00, "freight": 450_00, "pickup": 0, "none": 0}
    for method in methods:
        db.session.add(
            DeliveryOption(
                product_id=product.id,
                method=method,
                price_cents=prices[method],
                extra_weeks=1 if method == "white_glove" else 0,
                note=f"Note for {method.replace('_', ' ')}",
            )
        )
    db.session.commit()


# --- demo data and seed ---------------------------------------------------------------------


def test_demo_data_lists_sane_delivery_options():
    methods = {m.value for m in DeliveryMethod}
    for product in PRODUCTS:
        options = product["delivery"]
        assert options, product["slug"]
        listed = [o["method"] for o in options]
        assert len(listed) == len(set(listed)) and set(listed) <= methods, product["slug"]
        for o in options:
            assert type(o["price_cents"]) is int and o["price_cents"] >= 0
            assert type(o["extra_weeks"]) is int and o["extra_weeks"] >= 0
            assert 0 < len(o["note"]) <= 200 and o["note"].isascii()
        if product["category"] == "expeditions":
            assert options == [
                {
                    "method": "none",
                    "price_cents": 0,
                    "extra_weeks": 0,
                    "note": "Travel documents and packing list by email",
                }
            ]
        else:
            assert "none" not in listed
            paid = [o["price_cents"] for o in options if o["method"] != "pickup"]
            assert paid and all(p > 0 for p in paid), product["slug"]
            assert all(o["price_cents"] == 0 for o in options if o["method"] == "pickup")


@pytest.mark.both_dbs
def test_seed_creates_the_listed_options_for_every_demo_product(app, db):
    counts = seed_demo()
    db.session.commit()
    seeded = options_by_slug(db)
    expected = {
        p["slug"]: {o["method"]: (o["price_cents"], o["extra_weeks"], o["note"]) for o in options}
        for p in PRODUCTS
        for options in [p["delivery"]]
    }
    assert seeded == expected
    assert counts["delivery_options"] == sum(len(p["delivery"]) for p in PRODUCTS)
    expeditions = {p["slug"] for p in PRODUCTS if p["category"] == "expeditions"}
    assert expeditions and all(set(seeded[slug]) == {"none"} for slug in expeditions)
    # Every category's buyer gets a choice, except the trips with nothing to ship.
    boat = seeded["aura-38"]
    assert set(boat) == {"white_glove", "freight", "pickup"}
    assert 4_500_00 <= boat["white_glove"][0] <= 9_500_00 and boat["pickup"][0] == 0


@pytest.mark.both_dbs
def test_seeding_delivery_options_twice_changes_nothing(app, db, query_counter):
    seed_demo()
    db.session.commit()
    table = sa.select(DeliveryOption.__table__).order_by(DeliveryOption.id)
    before = db.session.execute(table).all()
    with query_counter() as statements:
        seed_demo()
        db.session.commit()
    after = db.session.execute(table).all()
    assert after == before
    writes = [
        s
        for s in statements
        if "delivery_options" in s and s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


def test_seed_updates_changed_options_and_removes_unlisted_ones(app, db, monkeypatch):
    seed_demo()
    db.session.commit()
    boat = next(p for p in PRODUCTS if p["slug"] == "aura-38")
    pickup = next(o for o in boat["delivery"] if o["method"] == "pickup")
    freight = next(o for o in boat["delivery"] if o["method"] == "freight")
    monkeypatch.setitem(boat, "delivery", [pickup, {**freight, "price_cents": 5_100_00}])
    seed_demo()
    db.session.commit()
    seeded = options_by_slug(db)
    assert set(seeded["aura-38"]) == {"pickup", "freight"}
    assert seeded["aura-38"]["freight"][0] == 5_100_00
    assert set(seeded["aura-46"]) == {"white_glove", "freight", "pickup"}  # others untouched


# --- product page ---------------------------------------------------------------------------


def test_product_page_lists_delivery_options_with_prices(client, sailboats, make_product, db):
    boat = make_product(sailboats, name="Aura 38")
    add_options(db, boat, "white_glove", "freight", "pickup")
    text = client.get(f"/p/{boat.slug}").get_data(as_text=True)
    assert "Delivery options" in text
    assert "White-glove delivery and installation" in text and "$1,250" in text
    assert "Freight to your door" in text and "$450" in text
    assert "Collect it yourself" in text and "Free" in text
    assert "Note for white glove" in text and "Note for pickup" in text
    assert "$0" not in text
    # Cheapest first, as the relationship orders them.
    assert text.index('data-testid="delivery-pickup"') < text.index(
        'data-testid="delivery-freight"'
    )


def test_product_page_without_options_has_no_delivery_section(client, sailboats, make_product):
    boat = make_product(sailboats)
    assert "Delivery options" not in client.get(f"/p/{boat.slug}").get_data(as_text=True)


def test_product_page_query_count_does_not_grow_with_options(
    client, sailboats, make_product, db, query_counter
):
    one = make_product(sailboats)
    add_options(db, one, "pickup")
    four = make_product(sailboats)
    add_options(db, four, "white_glove", "freight", "pickup", "none")
    # Both pages then show the other as recently viewed, and every card is in the cache.
    for product in (one, four, one, four):
        client.get(f"/p/{product.slug}")

    def queries(product: Product) -> int:
        with query_counter() as statements:
            response = client.get(f"/p/{product.slug}")
        assert response.status_code == 200
        return len(statements)

    assert queries(one) == queries(four) <= 15  # 14 + the product's questions and answers


# --- lead times -----------------------------------------------------------------------------


def variant(made_to_order: bool = False) -> Variant:
    return Variant(
        delivery_weeks_min=2, delivery_weeks_max=4, made_to_order=made_to_order, build_weeks=14
    )


@pytest.mark.parametrize(
    ("made_to_order", "in_stock", "method", "extra", "expected"),
    [
        pytest.param(False, 3, "white_glove", 1, (3, 5), id="in-stock"),
        pytest.param(False, 1, "pickup", 0, (2, 4), id="in-stock-pickup"),
        pytest.param(True, 1, "freight", 2, (4, 6), id="made-to-order-but-in-stock"),
        pytest.param(True, 0, "white_glove", 2, (16, 16), id="made-to-order"),
        pytest.param(True, 0, "pickup", 0, (14, 14), id="made-to-order-pickup"),
        pytest.param(False, 0, "freight", 1, (3, 5), id="sold-out-lead-time-once-back"),
        pytest.param(False, 5, "none", 0, (0, 0), id="none-in-stock"),
        pytest.param(True, 0, "none", 3, (0, 0), id="none-ignores-build-and-extra"),
    ],
)
def test_delivery_lead_weeks(made_to_order, in_stock, method, extra, expected):
    option = DeliveryOption(method=method, price_cents=0, extra_weeks=extra, note="")
    assert delivery_lead_weeks(variant(made_to_order), in_stock, option) == expected
