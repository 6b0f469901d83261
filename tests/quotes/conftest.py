"""Shared fixtures for quote tests: a rep with a 10 % limit, two managers, a buyer, a boat."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.auth.models import StaffProfile
from shop.auth.roles import Role
from shop.db import utcnow
from shop.quotes import services
from shop.quotes.services import LineInput, Terms


@pytest.fixture
def team(db, make_user):
    """maya and ravi (reps, 10 % limit), two managers, and a buyer."""
    made = {
        "maya": make_user(Role.REP, email="maya@example.com", name="Maya Okafor"),
        "ravi": make_user(Role.REP, email="ravi@example.com", name="Ravi Shah"),
        "boss": make_user(Role.MANAGER, email="boss@example.com", name="Bea Boss"),
        "chief": make_user(Role.MANAGER, email="chief@example.com", name="Cal Chief"),
        "buyer": make_user(Role.BUYER, email="ada@example.com", name="Ada Buyer"),
    }
    for key in ("maya", "ravi", "boss", "chief"):
        profile = db.session.scalar(
            sa.select(StaffProfile).where(StaffProfile.user_id == made[key].id)
        )
        if profile is None:
            profile = StaffProfile(user_id=made[key].id)
            db.session.add(profile)
        profile.max_discount_pct = Decimal("10")
    db.session.commit()
    return made


@pytest.fixture
def boat(sailboats, make_product):
    """A $100,000 boat (cost $50,000), three in stock."""
    return make_product(sailboats, name="Swan 48", price_cents=100_000_00, stock=3)


@pytest.fixture
def variant(boat):
    return boat.variants[0]


def terms(variant_id=None, quantity=1, days=14, lines=None, **kw) -> Terms:
    """Terms with one catalog line (and any extra lines), valid for `days`."""
    items = list(lines or [])
    if variant_id is not None:
        items.insert(0, LineInput(kind="catalog", variant_id=variant_id, quantity=quantity))
    return Terms(valid_until=utcnow() + timedelta(days=days), lines=items, **kw)


@pytest.fixture
def make_quote(db, team, variant):
    """A draft quote by maya for the buyer with one boat; `**kw` go into the terms."""

    def _make(author=None, quantity=1, **kw):
        author = author or team["maya"]
        quote = services.create_quote(author, buyer_id=team["buyer"].id)
        services.save_version(quote.id, author, terms(variant.id, quantity, **kw))
        db.session.commit()
        return quote

    return _make
