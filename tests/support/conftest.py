"""Shared fixtures for after-sale tests: a buyer with a delivered order (rep optional), staff."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.auth.models import User
from shop.auth.roles import Role
from shop.catalog.models import Product, Variant
from shop.db import utcnow
from shop.orders.models import Order, OrderLine
from shop.orders.services import Acceptance, Contact, NewLine, create_order
from shop.orders.states import OrderStatus


@pytest.fixture
def app_config(app_config, tmp_path):
    """Uploads go to this test's own folder."""
    app_config.UPLOAD_FOLDER = str(tmp_path / "uploads")
    return app_config


@dataclass
class Delivered:
    buyer: User | None
    order: Order
    line: OrderLine
    product: Product
    rep: User | None


@pytest.fixture
def support_product(make_category, make_product):
    """A $42,500 piano with three in stock."""
    pianos = make_category(slug="pianos", name="Pianos")
    return make_product(pianos, name="Concert Grand", price_cents=42_500_00, stock=3)


@pytest.fixture
def make_delivered_order(db, make_user, support_product):
    """Write a delivered order straight into the database.

    `buyer`: a User, None for a new buyer, or False for a guest order (no account).
    `rep`: a User who sold it (Order.rep_id), or None. `delivered_days_ago` sets delivered_at.
    Returns a `Delivered` (buyer, order, line, product, rep); `order.lines` is loaded.
    """

    def _make(
        buyer: User | bool | None = None,
        rep: User | None = None,
        product: Product | None = None,
        quantity: int = 1,
        delivered_days_ago: int = 3,
        status: str = OrderStatus.DELIVERED,
        email: str | None = None,
    ) -> Delivered:
        if buyer is None:
            buyer = make_user(Role.BUYER, name="Ada Buyer")
        product = product or support_product
        variant = db.session.scalars(
            sa.select(Variant).where(Variant.product_id == product.id).order_by(Variant.id)
        ).first()
        contact_email = email or (buyer.email if buyer else "guest@example.com")
        order = create_order(
            checkout_id=None,
            user_id=buyer.id if buyer else None,
            contact=Contact(
                email=contact_email,
                name=buyer.name if buyer else "Gus Guest",
                phone="+1 503 555 0100",
                address_line1="12 Harbor Way",
                city="Portland",
                region="WA",
                postal_code="98101",
            ),
            lines=[
                NewLine(
                    variant_id=variant.id,
                    product_id=product.id,
                    product_name=product.name,
                    variant_name=variant.name,
                    sku=variant.sku,
                    unit_price_cents=variant.price_cents,
                    quantity=quantity,
                    delivery_method="white_glove",
                    delivery_cents=1_200_00,
                    delivery_promise="In 3 weeks",
                )
            ],
            payment_method="card",
            tax_rate=Decimal("0.000"),
            tax_cents=0,
            acceptance=Acceptance(
                terms_version="2025-01",
                accepted_at=utcnow(),
                ip_address="203.0.113.9",
                user_agent="Mozilla/5.0 (TestBrowser)",
            ),
        )
        now = utcnow()
        order.status = str(status)
        order.placed_at = now - timedelta(days=delivered_days_ago + 14)
        order.delivered_at = now - timedelta(days=delivered_days_ago)
        order.paid_cents = order.received_cents = order.total_cents
        order.payment_state = "paid"
        order.rep_id = rep.id if rep else None
        db.session.commit()
        line = db.session.query(OrderLine).filter_by(order_id=order.id).one()
        return Delivered(buyer=buyer or None, order=order, line=line, product=product, rep=rep)

    return _make


@pytest.fixture
def buyer_with_delivered_order(make_delivered_order):
    """A buyer with one delivered order of one piano ($42,500 + $1,200 white glove), no rep."""
    return make_delivered_order()


@pytest.fixture
def support_staff(make_user):
    """One of each staff role, two managers for four-eyes approvals, and another buyer."""
    return {
        "rep": make_user(Role.REP, email="rita.rep@example.com", name="Rita Rep"),
        "rep2": make_user(Role.REP, email="rob.rep@example.com", name="Rob Rep"),
        "support": make_user(Role.SUPPORT, email="sam.support@example.com", name="Sam Support"),
        "manager": make_user(Role.MANAGER, email="mona.manager@example.com", name="Mona Manager"),
        "manager2": make_user(Role.MANAGER, email="max.manager@example.com", name="Max Manager"),
        "other_buyer": make_user(Role.BUYER, email="other.buyer@example.com", name="Otto Other"),
    }


@pytest.fixture
def buyer_with_rep_order(make_delivered_order, support_staff):
    """A buyer with a delivered order sold by the rep Rita Rep (support_staff["rep"])."""
    return make_delivered_order(rep=support_staff["rep"])
