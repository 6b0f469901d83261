import pytest
import sqlalchemy as sa

from shop.auth.models import StaffProfile, User
from shop.auth.services import authenticate
from shop.catalog.models import Category, Product, ProductDocument, ProductImage, Variant
from shop.config import ROOT
from shop.seed import seed_demo


def snapshot(db):
    tables = [Category, Product, Variant, ProductImage, ProductDocument, User, StaffProfile]
    return {
        t.__tablename__: db.session.execute(sa.select(t.__table__).order_by(t.id)).all()
        for t in tables
    }


@pytest.mark.both_dbs
def test_seed_demo_is_idempotent(app, db):
    first = seed_demo()
    db.session.commit()
    before = snapshot(db)
    second = seed_demo()
    db.session.commit()
    assert first == second
    assert snapshot(db) == before


def test_demo_catalog_looks_like_a_real_shop(app, db):
    counts = seed_demo()
    db.session.commit()
    assert counts["categories"] >= 5 and counts["products"] >= 40
    low, high = db.session.execute(
        sa.select(sa.func.min(Variant.price_cents), sa.func.max(Variant.price_cents))
    ).one()
    assert 150_000 <= low <= 300_000 and 30_000_000 <= high <= 45_000_000
    # Every product has a picture shipped in static/, and every document exists.
    paths = db.session.scalars(sa.select(ProductImage.path)).all()
    assert {p for (p,) in db.session.execute(sa.select(Product.id))} == set(
        db.session.scalars(sa.select(ProductImage.product_id).distinct())
    )
    assert all((ROOT / "static" / p).is_file() for p in paths)
    docs = db.session.scalars(sa.select(ProductDocument.path)).all()
    assert docs and all((ROOT / "static" / p).is_file() for p in docs)
    # Some variants are in stock, some made to order, some sold out.
    assert db.session.scalar(sa.select(sa.func.count()).where(Variant.stock_on_hand > 0))
    assert db.session.scalar(sa.select(sa.func.count()).where(Variant.made_to_order))
    products_with_variants = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Variant.product_id))).where(Variant.position > 0)
    )
    assert products_with_variants >= 10


def test_demo_accounts_can_log_in_with_their_roles(app, db):
    seed_demo()
    db.session.commit()
    expected = {
        "buyer@example.com": ("buyer", "buyer-demo-pass"),
        "maya@example.com": ("rep", "staff-demo-pass"),
        "jonas@example.com": ("rep", "staff-demo-pass"),
        "support@example.com": ("support", "staff-demo-pass"),
        "manager@example.com": ("manager", "staff-demo-pass"),
        "crew@example.com": ("crew", "staff-demo-pass"),
    }
    for email, (role, password) in expected.items():
        assert authenticate(email, password).role == role
    reps = db.session.scalars(
        sa.select(StaffProfile)
        .join(User)
        .where(User.role == "rep")
        .options(sa.orm.selectinload(StaffProfile.specialties))
    ).all()
    specialties = [frozenset(c.slug for c in r.specialties) for r in reps]
    assert len(specialties) == 2 and all(specialties) and specialties[0] != specialties[1]


def test_seed_demo_command(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "Demo data is loaded" in result.output
