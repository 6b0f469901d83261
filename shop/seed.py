"""Load the Harbor & Hall demo catalog and accounts (`flask seed-demo`), idempotently.

Rows are matched on their natural keys (category slug, attribute code within its category,
product slug, variant SKU, image and document path within their product, delivery method within
its product, user email), so a second run finds everything and creates nothing. Catalog facts
are brought back to the demo values; live data is left alone: a variant's stock, a product's
first-seen date, and an existing account's password and role (except the demo crew's, which
moves from support to its own crew role). A demo product's delivery options
are exactly the listed ones: an option no longer in the demo data is removed. Only flushes; the
caller commits.
"""

from datetime import time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from shop.auth.models import StaffProfile, User
from shop.auth.roles import STAFF_ROLES, Role
from shop.auth.services import create_user, find_user_by_email
from shop.catalog.demo_data import CATEGORIES, IMAGE_VIEWS, PRODUCTS, STAFF
from shop.catalog.models import (
    Category,
    DeliveryOption,
    Product,
    ProductDocument,
    ProductImage,
    ProductSpec,
    SpecAttribute,
    SpecKind,
    Variant,
)
from shop.catalog.services import refresh_product
from shop.config import ROOT
from shop.consultations.models import RepSchedule, WorkingHours
from shop.db import utcnow
from shop.extensions import db

STATIC = ROOT / "static"

_VARIANT_FIELDS = (
    "name",
    "price_cents",
    "cost_cents",
    "stock_location",
    "delivery_weeks_min",
    "delivery_weeks_max",
    "made_to_order",
    "build_weeks",
)


def seed_demo() -> dict[str, int]:
    """Create or update the demo data; returns how many of each kind the database now holds."""
    categories = _seed_categories()
    attributes = _seed_attributes(categories)
    products = _seed_products(categories)
    _seed_variants(products)
    _seed_specs(products, attributes)
    _seed_media(products)
    _seed_delivery(products)
    db.session.flush()
    _refresh(products)
    _seed_accounts(categories)
    _seed_schedules()
    _seed_delivery_crew()
    db.session.flush()

    def count(model) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    return {
        "categories": count(Category),
        "products": count(Product),
        "variants": count(Variant),
        "images": count(ProductImage),
        "documents": count(ProductDocument),
        "delivery_options": count(DeliveryOption),
        "users": count(User),
    }


def _set(obj, **values) -> None:
    """Assign only what differs, so an unchanged row is not updated (nor its updated_at)."""
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)


def _seed_categories() -> dict[str, Category]:
    slugs = [c["slug"] for c in CATEGORIES]
    found = {
        c.slug: c for c in db.session.scalars(sa.select(Category).where(Category.slug.in_(slugs)))
    }
    for position, data in enumerate(CATEGORIES, start=1):
        category = found.get(data["slug"])
        if category is None:
            category = found[data["slug"]] = Category(slug=data["slug"])
            db.session.add(category)
        _set(
            category,
            name=data["name"],
            tagline=data["tagline"],
            description=data["description"],
            image_path=f"img/categories/{data['slug']}.svg",
            position=position,
        )
    db.session.flush()
    return found


def _seed_attributes(categories: dict[str, Category]) -> dict[tuple[str, str], SpecAttribute]:
    ids = {c.id: slug for slug, c in categories.items()}
    found = {
        (ids[a.category_id], a.code): a
        for a in db.session.scalars(
            sa.select(SpecAttribute).where(SpecAttribute.category_id.in_(ids))
        )
    }
    for data in CATEGORIES:
        for position, spec in enumerate(data["attributes"], start=1):
            key = (data["slug"], spec["code"])
            attribute = found.get(key)
            if attribute is None:
                attribute = found[key] = SpecAttribute(
                    category_id=categories[data["slug"]].id, code=spec["code"]
                )
                db.session.add(attribute)
            _set(
                attribute,
                label=spec["label"],
                kind=spec["kind"],
                unit=spec["unit"],
                decimals=spec["decimals"],
                filterable=spec["filterable"],
                position=position,
            )
    db.session.flush()
    return found


def _seed_products(categories: dict[str, Category]) -> dict[str, Product]:
    slugs = [p["slug"] for p in PRODUCTS]
    found = {
        p.slug: p for p in db.session.scalars(sa.select(Product).where(Product.slug.in_(slugs)))
    }
    now = utcnow()
    for data in PRODUCTS:
        product = found.get(data["slug"])
        if product is None:
            created = now - timedelta(days=data["created_days_ago"])
            product = found[data["slug"]] = Product(
                slug=data["slug"], created_at=created, updated_at=created
            )
            db.session.add(product)
        _set(
            product,
            category_id=categories[data["category"]].id,
            name=data["name"],
            brand=data["brand"],
            summary=data["summary"],
            description=data["description"],
            warranty_months=data["warranty_months"],
            has_serial_numbers=data["has_serial_numbers"],
        )
    db.session.flush()
    return found


def _seed_variants(products: dict[str, Product]) -> None:
    skus = [v["sku"] for p in PRODUCTS for v in p["variants"]]
    found = {v.sku: v for v in db.session.scalars(sa.select(Variant).where(Variant.sku.in_(skus)))}
    for data in PRODUCTS:
        product_id = products[data["slug"]].id
        for position, spec in enumerate(data["variants"], start=1):
            variant = found.get(spec["sku"])
            if variant is None:
                # Stock is set once: afterwards it is live data that orders move.
                variant = Variant(sku=spec["sku"], stock_on_hand=spec["stock_on_hand"])
                db.session.add(variant)
            _set(variant, product_id=product_id, position=position)
            _set(variant, **{key: spec[key] for key in _VARIANT_FIELDS})


def _seed_specs(
    products: dict[str, Product], attributes: dict[tuple[str, str], SpecAttribute]
) -> None:
    ids = [p.id for p in products.values()]
    found = {
        (s.product_id, s.attribute_id): s
        for s in db.session.scalars(sa.select(ProductSpec).where(ProductSpec.product_id.in_(ids)))
    }
    for data in PRODUCTS:
        product = products[data["slug"]]
        for code, raw in data["specs"].items():
            attribute = attributes[(data["category"], code)]
            key = (product.id, attribute.id)
            spec = found.get(key)
            if spec is None:
                spec = found[key] = ProductSpec(product_id=product.id, attribute_id=attribute.id)
                db.session.add(spec)
            if attribute.kind == SpecKind.NUMBER:
                _set(spec, value_num=Decimal(raw), value_text=None)
            else:
                _set(spec, value_num=None, value_text=raw)


def _seed_media(products: dict[str, Product]) -> None:
    ids = [p.id for p in products.values()]
    images = {
        (i.product_id, i.path): i
        for i in db.session.scalars(sa.select(ProductImage).where(ProductImage.product_id.in_(ids)))
    }
    documents = {
        (d.product_id, d.path): d
        for d in db.session.scalars(
            sa.select(ProductDocument).where(ProductDocument.product_id.in_(ids))
        )
    }
    for data in PRODUCTS:
        product = products[data["slug"]]
        views = IMAGE_VIEWS[data["category"]]
        for n in range(1, data["images"] + 1):
            path = f"img/products/{data['slug']}-{n}.svg"
            image = images.get((product.id, path))
            if image is None:
                image = ProductImage(product_id=product.id, path=path)
                db.session.add(image)
            _set(image, alt=views[n - 1].format(name=data["name"]), position=n - 1)
        if not data["spec_sheet"]:
            continue
        path = f"docs/{data['slug']}-spec-sheet.pdf"
        file = STATIC / path
        if not file.is_file():  # scripts/make_demo_assets.py draws it
            continue
        document = documents.get((product.id, path))
        if document is None:
            document = ProductDocument(product_id=product.id, path=path)
            db.session.add(document)
        _set(document, title="Spec sheet", size_bytes=file.stat().st_size, position=0)


def _seed_delivery(products: dict[str, Product]) -> None:
    """Upsert each demo product's delivery options by method; drop the ones no longer listed."""
    ids = [p.id for p in products.values()]
    found = {
        (o.product_id, o.method): o
        for o in db.session.scalars(
            sa.select(DeliveryOption).where(DeliveryOption.product_id.in_(ids))
        )
    }
    listed = set()
    for data in PRODUCTS:
        product = products[data["slug"]]
        for spec in data["delivery"]:
            key = (product.id, spec["method"])
            listed.add(key)
            option = found.get(key)
            if option is None:
                option = found[key] = DeliveryOption(product_id=product.id, method=spec["method"])
                db.session.add(option)
            _set(
                option,
                price_cents=spec["price_cents"],
                extra_weeks=spec["extra_weeks"],
                note=spec["note"],
            )
    for key, option in found.items():
        if key not in listed:
            db.session.delete(option)


def _refresh(products: dict[str, Product]) -> None:
    """Recompute from-prices and search text, with what refresh_product reads loaded."""
    loaded = db.session.scalars(
        sa.select(Product)
        .where(Product.id.in_([p.id for p in products.values()]))
        .options(
            joinedload(Product.category),
            selectinload(Product.variants),
            selectinload(Product.specs).joinedload(ProductSpec.attribute),
        )
        .execution_options(populate_existing=True)
    )
    for product in loaded:
        refresh_product(product)


def _seed_accounts(categories: dict[str, Category]) -> None:
    now = utcnow()
    for data in STAFF:
        user = find_user_by_email(data["email"])
        if user is None:
            user = create_user(data["email"], data["name"], data["password"], Role(data["role"]))
        _set(user, timezone=data["timezone"])
        if user.email_verified_at is None:
            user.email_verified_at = now
        if Role(user.role) not in STAFF_ROLES or "title" not in data:
            continue
        profile = db.session.scalar(
            sa.select(StaffProfile)
            .where(StaffProfile.user_id == user.id)
            .options(selectinload(StaffProfile.specialties))
        )
        if profile is None:
            profile = StaffProfile(user_id=user.id)
            db.session.add(profile)
        local = data["email"].split("@")[0]
        _set(
            profile,
            title=data["title"],
            bio=data["bio"],
            languages=data["languages"],
            photo_path=f"img/staff/{local}.svg",
        )
        wanted = [categories[slug] for slug in data["specialties"]]
        if {c.id for c in profile.specialties} != {c.id for c in wanted}:
            profile.specialties = wanted


# The demo white-glove crew: a crew account (its deliveries, nothing about money or other buyers)
# on the delivery team whose calendar (the same tables as a rep's) offers 4-hour windows, Monday
# to Friday 8 to 6, two a day, 2 days ahead.
DELIVERY_CREW = {
    "email": "crew@example.com",
    "name": "Harbor & Hall delivery crew",
    "timezone": "America/New_York",
    "title": "White-glove delivery and installation",
}


def _seed_delivery_crew() -> None:
    """Only set up once: hours and rules the crew later changes are theirs."""
    from shop.catalog.demo_data import STAFF_PASSWORD

    crew = find_user_by_email(DELIVERY_CREW["email"])
    if crew is None:
        crew = create_user(DELIVERY_CREW["email"], DELIVERY_CREW["name"], STAFF_PASSWORD, Role.CREW)
        crew.timezone = DELIVERY_CREW["timezone"]
        crew.email_verified_at = utcnow()
    elif crew.role == Role.SUPPORT.value:
        # Seeded as a full support account before the crew had a role of its own: it could
        # record transfers and open card holds. Least privilege now.
        crew.role = Role.CREW.value
    profile = db.session.scalar(sa.select(StaffProfile).where(StaffProfile.user_id == crew.id))
    if profile is None:
        profile = StaffProfile(user_id=crew.id)
        db.session.add(profile)
    _set(profile, team="delivery", title=DELIVERY_CREW["title"])
    if db.session.scalar(sa.select(RepSchedule.id).where(RepSchedule.rep_id == crew.id)):
        return
    db.session.add(
        RepSchedule(
            rep_id=crew.id,
            meeting_minutes=240,
            min_notice_minutes=2 * 24 * 60,
            buffer_minutes=0,
            window_days=60,
            daily_cap=2,
        )
    )
    for weekday in range(5):
        db.session.add(
            WorkingHours(rep_id=crew.id, weekday=weekday, starts_at=time(8), ends_at=time(18))
        )
    db.session.flush()


def _seed_schedules() -> None:
    """Demo reps take bookings Monday to Friday, 9 to 5 in their own time zone, and Saturday
    mornings. Only set up once: hours a rep later changes are theirs."""
    emails = [d["email"] for d in STAFF if d["role"] == Role.REP.value]
    reps = db.session.scalars(sa.select(User).where(User.email.in_(emails))).all()
    for rep in reps:
        if db.session.scalar(sa.select(RepSchedule.id).where(RepSchedule.rep_id == rep.id)):
            continue
        db.session.add(RepSchedule(rep_id=rep.id))
        for weekday in range(5):
            db.session.add(
                WorkingHours(rep_id=rep.id, weekday=weekday, starts_at=time(9), ends_at=time(17))
            )
        db.session.add(WorkingHours(rep_id=rep.id, weekday=5, starts_at=time(10), ends_at=time(13)))
    db.session.flush()
