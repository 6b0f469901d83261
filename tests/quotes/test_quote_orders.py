"""An order made from a quote sells the same unit as checkout does: its lines keep the variant and
product, the warranty term is copied at the sale, the buyer owns the product, goods ship."""

# ruff: noqa: F811  (the quote fixture is imported from test_closing)

import sqlalchemy as sa

from shop.auth.roles import Role
from shop.catalog.models import Product, Variant
from shop.orders.models import OrderLine
from shop.orders.services import access_token
from shop.orders.states import OrderStatus, transition
from shop.quotes import closing
from shop.quotes.models import QuoteLine
from shop.support import questions, warranty
from shop.support.models import ProductQuestion
from tests.quotes.test_closing import DELIVERY, EVIDENCE, quote  # noqa: F401  (a fixture)
from tests.support.helpers_s4 import make_ticket


def aura(db) -> Product:
    return db.session.scalar(sa.select(Product).where(Product.name == "Aura 38"))


def aura_variant(db) -> Variant:
    return db.session.scalar(sa.select(Variant).where(Variant.product_id == aura(db).id))


def ordered(db, quote, months=60):
    """The catalog gives the Aura 38 `months` of warranty; the buyer accepts and orders, and
    the deposit arrives (the order is paid for as far as these tests care)."""
    aura(db).warranty_months = months
    db.session.commit()
    closing.accept(quote.id, 1, EVIDENCE)
    order = closing.place_order(
        quote.id,
        delivery=DELIVERY,
        payment_method="bank_transfer",
        pay="deposit",
        ip_address="198.51.100.7",
        user_agent="Pay page",
    )
    order.status = OrderStatus.PAID.value
    db.session.commit()
    return order


def lines_of(db, order) -> dict[str, OrderLine]:
    rows = db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id))
    return {line.sku or line.product_name: line for line in rows}


def test_a_quote_line_for_a_variant_becomes_the_catalog_unit(db, quote):
    order = ordered(db, quote)
    product, variant = aura(db), aura_variant(db)
    lines = lines_of(db, order)
    boat = lines[variant.sku]
    assert boat.variant_id == variant.id and boat.product_id == product.id
    assert (boat.product_name, boat.variant_name) == ("Aura 38", variant.name)
    assert boat.warranty_months == 60 and boat.quantity == 2
    assert boat.delivery_method == "as_agreed" and boat.unit_price_cents == 100_000_00
    # A service on the quote is no product and carries no warranty; it comes with the boats.
    service = lines["Installation"]
    assert service.product_id is None and service.variant_id is None
    assert service.warranty_months == 0 and service.delivery_method == "as_agreed"


def test_the_warranty_runs_the_catalogs_term_from_delivery(db, quote, make_user):
    order = ordered(db, quote, months=60)
    aura(db).warranty_months = 12  # a later catalog edit changes no promise already made
    manager = make_user(Role.MANAGER, email="mona@example.com", name="Mona Manager")
    transition(order, OrderStatus.DELIVERED, actor_kind=manager.role, actor=manager)
    db.session.commit()
    boat = lines_of(db, order)[aura_variant(db).sku]
    units = warranty.coverage(boat)
    starts = warranty.local_date(order.delivered_at)
    ends = warranty.add_months(starts, 60)
    assert [u.unit for u in units] == [1, 2]
    for unit in units:
        assert unit.covered and unit.registration.ends_on == ends
        assert unit.text == f"Covered until {ends:%B %-d, %Y}."
        assert unit.registration.product_id == aura(db).id
        assert unit.needs_serial  # staff can record each unit's serial number
    # The serial number of a unit sold through a quote can be recorded like any other.
    ticket = make_ticket(kind="warranty_claim", order=order)
    db.session.commit()
    warranty.set_serial(ticket.id, units[0].registration.id, "AU38-0001", manager)
    assert units[0].registration.serial_number == "AU38-0001"


def test_the_buyer_of_a_quote_order_is_a_verified_owner(db, quote):
    from shop.auth.models import User

    order = ordered(db, quote)
    buyer = db.session.get(User, quote.buyer_id)
    product = aura(db)
    assert questions.owns_product(buyer.id, product.id)
    question = ProductQuestion(
        product_id=product.id, author_name="Quinn Q.", body="Is the mast deck-stepped?"
    )
    question.status = "published"
    db.session.add(question)
    db.session.commit()
    reply = questions.answer(question.id, buyer, "Yes, and it is easy to drop for winter.")
    assert reply.verified_owner and order.user_id == buyer.id


def test_the_order_pages_say_the_goods_ship_as_agreed(db, client, quote, make_user, login):
    order = ordered(db, quote)
    buyer_page = client.get(f"/orders/view/{access_token(order)}").get_data(as_text=True)
    assert "Aura 38" in buyer_page and "As agreed in your quote" in buyer_page
    assert "Nothing to ship" not in buyer_page
    login(make_user(Role.MANAGER, email="mona@example.com", name="Mona Manager"))
    staff_page = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert "Aura 38" in staff_page and "As agreed in your quote" in staff_page
    assert "Nothing to ship" not in staff_page


def test_a_quote_for_what_is_never_shipped_says_so(db, quote):
    """An expedition (its product offers only "nothing to ship") stays nothing to ship."""
    from shop.catalog.models import DeliveryOption

    db.session.add(DeliveryOption(product_id=aura(db).id, method="none", price_cents=0))
    db.session.execute(sa.delete(QuoteLine).where(QuoteLine.description == "Installation"))
    db.session.commit()
    order = ordered(db, quote)
    assert {line.delivery_method for line in lines_of(db, order).values()} == {"none"}
