"""Checkout tests run against a real Stripe peer (localstripe) on loopback."""

import pytest
import sqlalchemy as sa

from shop.catalog.models import DeliveryOption
from tests.conftest import post_form


@pytest.fixture
def app_config(app_config, stripe_peer):
    stripe_peer.reset()
    for key, value in stripe_peer.settings().items():
        setattr(app_config, key, value)
    return app_config


@pytest.fixture
def piano(make_category, make_product, db):
    """A $42,500 grand with white-glove delivery ($1,200) and showroom pickup."""
    pianos = make_category(slug="pianos", name="Grand pianos")
    product = make_product(pianos, name="Concert Grand", price_cents=42_500_00, stock=3)
    db.session.add_all(
        [
            DeliveryOption(
                product_id=product.id,
                method="white_glove",
                price_cents=1_200_00,
                extra_weeks=1,
                note="Placed and tuned",
            ),
            DeliveryOption(
                product_id=product.id,
                method="pickup",
                price_cents=0,
                extra_weeks=0,
                note="Portland showroom",
            ),
        ]
    )
    db.session.commit()
    return product


CONTACT = {"email": "Ada@Example.com", "name": "Ada Lovelace", "phone": "+1 503 555 0100"}
ADDRESS = {
    "address_line1": "12 Harbor Way",
    "address_line2": "",
    "city": "Portland",
    "region": "WA",
    "postal_code": "98101",
}


@pytest.fixture
def checkout_to_review(client, db):
    """Fill the cart and walk the steps up to the review page, as a buyer would."""

    def _go(variant_id: int, quantity: int = 1, delivery: str | None = None, c=None):
        c = c or client
        post_form(c, "/cart/add", {"variant_id": variant_id, "quantity": quantity})
        assert post_form(c, "/checkout/contact", CONTACT).status_code == 303
        assert post_form(c, "/checkout/address", ADDRESS).status_code == 303
        data = {f"delivery-{variant_id}": delivery} if delivery else {}
        assert post_form(c, "/checkout/delivery", data).status_code == 303
        return c

    return _go


def place(client, method: str = "card", accept: bool = True):
    data = {"payment_method": method}
    if accept:
        data["accept_terms"] = "y"
    return post_form(client, "/checkout/review", data)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
