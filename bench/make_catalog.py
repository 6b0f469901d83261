"""Build a benchmark database: the schema, the demo data, then N generated products in bulk.

    .venv/bin/python bench/make_catalog.py --products 100000 --database-url URL

Generated products are copies of the 46 demo products (category, specs, variants, delivery
options, pictures) with their own slug, SKUs, varied numbers and prices; `price_from_cents` and
`search_text` are computed the way `shop.catalog.services.refresh_product` computes them. Rows
go in with SQLAlchemy Core executemany (SQLite) or COPY (PostgreSQL), never one by one through
the ORM. Then a few rows through the services: a buyer with a 1-line cart, a buyer with a
30-line cart, and a quote sent to the first buyer. Prints what the benchmark needs as JSON.
Needs the same SECRET_KEY as the server (the quote link is signed with it).
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUYER1 = ("buyer@example.com", "buyer-demo-pass")  # the demo buyer
BUYER30 = ("bench-buyer30@example.com", "bench-buyer-pass-30")
STAFF = ("manager@example.com", "staff-demo-pass")
CART_LINES = 30
BATCH = 5000


def _columns(table) -> list[str]:
    return [c.name for c in table.columns]


class Writer:
    """Bulk rows into one table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, connection, postgres: bool):
        self.connection = connection
        self.postgres = postgres

    def write(self, table, rows: list[dict]) -> None:
        if not rows:
            return
        if self.postgres:
            names = _columns(table)
            raw = self.connection.connection.driver_connection
            sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row([row[n] for n in names])
        else:
            for start in range(0, len(rows), BATCH):
                self.connection.execute(table.insert(), rows[start : start + BATCH])


def _vary(value: Decimal, rng: random.Random, decimals: int) -> Decimal:
    factor = Decimal(rng.randint(80, 120)) / 100
    return (value * factor).quantize(Decimal(1).scaleb(-decimals))


def generate(count: int, seed: int = 8) -> None:
    """Add `count` products (with everything a product page shows) after the demo catalog."""
    import sqlalchemy as sa

    from shop.catalog.demo_data import IMAGE_VIEWS, PRODUCTS
    from shop.catalog.models import (
        Category,
        DeliveryOption,
        Product,
        ProductImage,
        ProductSpec,
        SpecAttribute,
        SpecKind,
        Variant,
    )
    from shop.catalog.services import format_spec
    from shop.db import utcnow
    from shop.extensions import db

    rng = random.Random(seed)  # noqa: S311  (made-up catalog data)
    session = db.session
    categories = {c.slug: c for c in session.scalars(sa.select(Category))}
    attributes = {(a.category_id, a.code): a for a in session.scalars(sa.select(SpecAttribute))}
    ids = {}
    for model in (Product, Variant, ProductSpec, ProductImage, DeliveryOption):
        ids[model] = (session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1
    now = utcnow()
    postgres = session.get_bind().dialect.name == "postgresql"
    writer = Writer(session.connection(), postgres)

    chunk = 10_000
    for start in range(0, count, chunk):
        rows = {m: [] for m in ids}
        for n in range(start, min(count, start + chunk)):
            t = PRODUCTS[n % len(PRODUCTS)]
            category = categories[t["category"]]
            pid = ids[Product]
            ids[Product] += 1
            created = now - timedelta(days=rng.randint(0, 400), minutes=rng.randint(0, 1440))
            name = f"{t['name']} No. {n + 1}"
            description = t["description"].split("\n\n")[0]
            price_factor = rng.randint(85, 115) / 100
            variants = []
            for position, v in enumerate(t["variants"], start=1):
                price = max(100, int(v["price_cents"] * price_factor))
                variants.append(
                    {
                        "id": ids[Variant],
                        "product_id": pid,
                        "sku": f"{v['sku']}-B{n + 1}"[:40],
                        "name": v["name"],
                        "price_cents": price,
                        "cost_cents": int(price * 0.75),
                        "stock_on_hand": 1000,
                        "stock_location": v["stock_location"] or "Bench warehouse",
                        "delivery_weeks_min": v["delivery_weeks_min"],
                        "delivery_weeks_max": v["delivery_weeks_max"],
                        "made_to_order": False,
                        "build_weeks": 0,
                        "is_active": True,
                        "position": position,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                ids[Variant] += 1
            specs = []
            for code, raw in t["specs"].items():
                attribute = attributes[(category.id, code)]
                if attribute.kind == SpecKind.NUMBER:
                    value_num, value_text = _vary(Decimal(raw), rng, attribute.decimals), None
                else:
                    value_num, value_text = None, raw
                specs.append(
                    {
                        "id": ids[ProductSpec],
                        "product_id": pid,
                        "attribute_id": attribute.id,
                        "value_num": value_num,
                        "value_text": value_text,
                    }
                )
                ids[ProductSpec] += 1
            # What refresh_product computes, without loading the rows back.
            parts = [name, t["brand"], t["summary"], description, category.name]
            parts += [v["name"] for v in variants] + [v["sku"] for v in variants]
            parts += [
                format_spec(
                    SimpleNamespace(
                        attribute=attributes[(category.id, code)],
                        value_num=s["value_num"],
                        value_text=s["value_text"],
                    )
                )
                for code, s in zip(t["specs"], specs, strict=True)
            ]
            rows[Product].append(
                {
                    "id": pid,
                    "category_id": category.id,
                    "slug": f"{t['slug']}-b{n + 1}",
                    "name": name,
                    "brand": t["brand"],
                    "summary": t["summary"],
                    "description": description,
                    "is_active": True,
                    "price_from_cents": min(v["price_cents"] for v in variants),
                    "search_text": " ".join(p for p in parts if p).lower(),
                    "warranty_months": t["warranty_months"],
                    "has_serial_numbers": t["has_serial_numbers"],
                    "created_at": created,
                    "updated_at": created,
                }
            )
            rows[Variant] += variants
            rows[ProductSpec] += specs
            views = IMAGE_VIEWS[t["category"]]
            for i in range(1, t["images"] + 1):
                rows[ProductImage].append(
                    {
                        "id": ids[ProductImage],
                        "product_id": pid,
                        "path": f"img/products/{t['slug']}-{i}.svg",
                        "alt": views[i - 1].format(name=name),
                        "position": i - 1,
                    }
                )
                ids[ProductImage] += 1
            for d in t["delivery"]:
                rows[DeliveryOption].append(
                    {
                        "id": ids[DeliveryOption],
                        "product_id": pid,
                        "method": d["method"],
                        "price_cents": d["price_cents"],
                        "extra_weeks": d["extra_weeks"],
                        "note": d["note"],
                    }
                )
                ids[DeliveryOption] += 1
        for model in (Product, Variant, ProductSpec, ProductImage, DeliveryOption):
            writer.write(model.__table__, rows[model])
    if postgres:  # explicit ids: move the sequences past them
        for model in ids:
            table = model.__table__.name
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: E501, S608
            session.execute(sa.text(sql))
    if postgres:
        session.commit()
        session.execute(sa.text("ANALYZE"))


def accounts_carts_quote(count: int) -> dict:
    """Buyers with carts of 1 and 30 lines, and a quote sent to the first buyer."""
    import sqlalchemy as sa

    from shop.auth.roles import Role
    from shop.auth.services import create_user, find_user_by_email
    from shop.cart.models import Cart, CartLine
    from shop.catalog.models import Category, Product, Variant
    from shop.db import utcnow
    from shop.extensions import db
    from shop.quotes import services as quotes
    from shop.quotes.services import LineInput, Terms

    session = db.session
    buyer1 = find_user_by_email(BUYER1[0])
    buyer30 = find_user_by_email(BUYER30[0]) or create_user(
        BUYER30[0], "Bench Buyer", BUYER30[1], Role.BUYER
    )
    buyer30.email_verified_at = utcnow()
    # Variants of generated products (stock 1000), spread over the catalog.
    step = max(1, count // CART_LINES)
    variant_ids = session.scalars(
        sa.select(Variant.id)
        .where(Variant.sku.like("%-B%"), Variant.position == 1)
        .order_by(Variant.id)
    ).all()[::step][:CART_LINES]
    for user, lines in ((buyer1, variant_ids[:1]), (buyer30, variant_ids)):
        cart = session.scalar(sa.select(Cart).where(Cart.user_id == user.id))
        if cart is None:
            cart = Cart(user_id=user.id)
            session.add(cart)
            session.flush()
        session.execute(sa.delete(CartLine).where(CartLine.cart_id == cart.id))
        session.add_all(CartLine(cart_id=cart.id, variant_id=v, quantity=1) for v in lines)
    maya = find_user_by_email("maya@example.com")
    sailboats = session.scalar(sa.select(Category.id).where(Category.slug == "sailboats"))
    boat_variants = session.scalars(
        sa.select(Variant.id)
        .join(Product)
        .where(Product.category_id == sailboats, Variant.sku.like("%-B%"))
        .order_by(Variant.id)
        .limit(3)
    ).all()
    quote = quotes.create_quote(maya, buyer_id=buyer1.id)
    quotes.save_version(
        quote.id,
        maya,
        Terms(
            valid_until=utcnow() + timedelta(days=14),
            delivery_terms="Delivered to your marina.",
            lines=[LineInput(kind="catalog", variant_id=v, quantity=1) for v in boat_variants],
        ),
    )
    quotes.send(quote.id, maya)
    session.commit()
    middle = session.scalar(
        sa.select(Product.slug)
        .where(Product.slug.like("%-b%"))
        .order_by(Product.id)
        .offset(count // 2)
    )
    checkout_variants = session.scalars(
        sa.select(Variant.id)
        .where(Variant.sku.like("%-B%"), Variant.position == 1)
        .order_by(Variant.id.desc())
        .limit(20)
    ).all()
    return {
        "quote_path": f"/quotes/v/{quotes.quote_link_token(quote)}",
        "product_path": f"/p/{middle}",
        "buyer1": BUYER1,
        "buyer30": BUYER30,
        "staff": STAFF,
        "checkout_variants": checkout_variants,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--out", help="write the JSON here too")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("MAIL_BACKEND", "locmem")
    os.environ.setdefault("OUTBOX_SEND_INLINE", "false")
    from flask_migrate import upgrade

    from shop import create_app
    from shop.catalog.cache import bump
    from shop.extensions import db
    from shop.seed import seed_demo

    app = create_app()
    started = time.monotonic()
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        seeded = time.monotonic()
        generate(args.products)
        bump(db.session.connection())  # bulk rows bypass the ORM events that bump it
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum would do soon after such a load, done now rather than in the
            # middle of a measured run (at 100k it vacuums about 1.4 million new rows): without
            # statistics the planner guesses the spec filters' selectivity badly.
            with db.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.exec_driver_sql("VACUUM ANALYZE")
        generated = time.monotonic()
        info = accounts_carts_quote(args.products)
    info["products"] = args.products
    info["seconds"] = {
        "schema_and_demo": round(seeded - started, 1),
        "generate": round(generated - seeded, 1),
    }
    text = json.dumps(info)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
