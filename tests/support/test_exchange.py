"""Exchange for another variant: the returned goods' paid value goes towards the replacement; a
dearer one waits for the difference and its tax (a pay link by email), a cheaper one gives the
difference as store credit under the credit rules, the same price costs nothing; a replacement
not in stock is refused with nothing written. And a line's units go back in stock once, however
many return tickets name it."""

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from shop.auth.models import User
from shop.catalog import stock
from shop.catalog.models import Variant
from shop.checkout.services import tax_rate
from shop.credit import services as credit
from shop.errors import DomainError
from shop.extensions import db as _db
from shop.orders.models import Order, OrderLine
from shop.payments.models import Payment
from shop.support import returns
from shop.support.models import CreditGrant, ReturnRequest
from tests.conftest import post_form
from tests.races import run_together
from tests.support.helpers_s4 import audit_actions, event_kinds, make_ticket, outbox

PIANO = 42_500_00  # Version 1 of the upright, as the delivered order sold it


@pytest.fixture
def people(support_staff):
    return support_staff


@pytest.fixture
def upright(make_category, make_product):
    """Version 1 at $42,500 and Version 2 at $43,500, three of each in stock."""
    uprights = make_category(slug="uprights", name="Uprights")
    return make_product(uprights, name="Studio Upright", price_cents=PIANO, variants=2)


@pytest.fixture
def received(db, people, make_delivered_order, upright):
    """A delivered Version 1 ($42,500 + $1,200 delivery), returned, approved and received."""
    made = make_delivered_order(product=upright)
    ticket = make_ticket(
        kind="return_request", order=made.order, lines=[made.line], buyer=made.buyer
    )
    returns.approve(ticket.id, people["support"])
    returns.mark_received(ticket.id, people["support"])
    db.session.commit()
    return made, ticket


def version(db, product, n: int) -> Variant:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Variant).where(Variant.product_id == product.id, Variant.name == f"Version {n}")
    )


def return_of(db, ticket) -> ReturnRequest:
    db.session.expire_all()
    return db.session.scalar(sa.select(ReturnRequest).where(ReturnRequest.ticket_id == ticket.id))


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_dearer_variant_waits_for_exactly_the_difference_and_emails_a_pay_link(
    client, db, login, people, received, upright
):
    made, ticket = received
    dearer = version(db, upright, 2)
    on_hand = dearer.stock_on_hand
    done = returns.settle(ticket.id, "exchange", people["support"], exchange_variant_id=dearer.id)
    db.session.commit()
    new = db.session.get(Order, done.exchange_order.id)
    tax = int(
        (Decimal(1_000_00) * tax_rate(made.order.region) / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    assert tax == 65_00  # WA, 6.5% of the $1,000 difference
    assert new.status == "pending_payment" and new.payment_state != "paid"
    assert new.subtotal_cents == 43_500_00 and new.discount_cents == PIANO
    assert new.delivery_cents == 0 and new.tax_cents == tax
    assert new.total_cents == 1_000_00 + tax
    [payment] = db.session.scalars(sa.select(Payment)).all()
    assert payment.reference == f"order:{new.id}" and payment.method == "card"
    assert payment.amount_cents == new.total_cents
    [line] = db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == new.id)).all()
    assert line.variant_id == dearer.id and line.variant_name == "Version 2"
    assert line.unit_price_cents == 43_500_00 and line.lead_weeks > 0
    # its unit is held for the buyer while they pay, not yet sold
    assert version(db, upright, 2).stock_on_hand == on_hand
    assert stock.availability([dearer.id])[dearer.id].in_stock == on_hand - 1
    ret = return_of(db, ticket)
    assert ret.outcome == "exchange" and ret.exchange_value_cents == PIANO
    assert ret.exchange_order_id == new.id
    assert count(db, CreditGrant) == 0 and credit.balance(made.buyer.id) == 0
    [mail] = outbox("return-settled")
    assert "$1,000.00" in mail.body_text and "$1,065.00" in mail.body_text
    link = next(w for w in mail.body_text.split() if "/checkout/pay/" in w)
    assert client.get(urlparse(link).path).status_code == 200  # the pay page for the difference
    assert "return_exchange" in event_kinds(ticket.id)
    assert "return.settle" in audit_actions(ticket.number)
    assert "order.exchange" in audit_actions(new.number)
    # nothing more can be given back for goods already put towards the replacement
    assert returns.money_left(db.session.get(Order, made.order.id)) == 1_200_00
    # the buyer's ticket page says it in plain words, with the same pay link
    login(made.buyer)
    page = client.get(f"/support/{ticket.number}").get_data(as_text=True)
    assert 'data-testid="buyer-exchange"' in page and new.number in page
    assert "$1,000.00 plus $65.00 sales tax is due" in page and "Pay $1,065.00" in page
    assert urlparse(link).path in page


def test_the_staff_panel_offers_the_variants_with_the_difference_and_shows_the_result(
    client, db, login, people, received, upright
):
    _made, ticket = received
    login(people["support"])
    html = client.get(f"/staff/support/{ticket.number}").get_data(as_text=True)
    assert 'data-testid="exchange-choice"' in html
    assert "Version 2" in html and "buyer pays $1,000.00 + tax" in html
    dearer = version(db, upright, 2)
    r = post_form(
        client,
        f"/staff/support/{ticket.number}/return/settle",
        {"outcome": "exchange", "exchange_variant": str(dearer.id), "request_key": "k1"},
        csrf_page="/staff/",
        follow_redirects=True,
    )
    page = r.get_data(as_text=True)
    assert 'data-testid="exchange-result"' in page
    assert "The buyer pays the difference: <strong>$1,000.00</strong>" in page
    assert "waiting for payment" in page


def test_a_cheaper_variant_gives_the_difference_as_store_credit(db, people, received, upright):
    made, ticket = received
    cheaper = version(db, upright, 2)
    cheaper.price_cents = 41_000_00
    on_hand = cheaper.stock_on_hand
    db.session.commit()
    # a rep who is not the ticket's assignee cannot give credit, so not this exchange either
    with pytest.raises(DomainError, match="assignee, support or a manager"):
        returns.settle(ticket.id, "exchange", people["rep"], exchange_variant_id=cheaper.id)
    db.session.rollback()
    assert count(db, Order) == 1
    done = returns.settle(ticket.id, "exchange", people["support"], exchange_variant_id=cheaper.id)
    db.session.commit()
    new = db.session.get(Order, done.exchange_order.id)
    assert new.status == "paid" and new.total_cents == 0 and new.tax_cents == 0
    assert new.discount_cents == new.subtotal_cents == 41_000_00
    assert version(db, upright, 2).stock_on_hand == on_hand - 1
    [grant] = db.session.scalars(sa.select(CreditGrant)).all()
    assert grant.status == "granted" and grant.amount_cents == 1_500_00
    assert credit.balance(made.buyer.id) == 1_500_00
    assert count(db, Payment) == 0
    assert "$1,500.00" in outbox("return-settled")[0].body_text
    assert returns.buyer_exchange(ticket).credit_cents == 1_500_00
    assert "store credit" in outbox("return-settled")[0].body_text


def test_a_cheaper_variant_above_the_limit_waits_for_a_second_person(db, people, received, upright):
    made, ticket = received
    cheaper = version(db, upright, 2)
    cheaper.price_cents = 30_000_00  # $12,500 back: above the $10,000 refund limit
    db.session.commit()
    returns.settle(ticket.id, "exchange", people["manager"], exchange_variant_id=cheaper.id)
    db.session.commit()
    [grant] = db.session.scalars(sa.select(CreditGrant)).all()
    assert grant.status == "pending_approval" and grant.amount_cents == 12_500_00
    assert credit.balance(made.buyer.id) == 0
    assert "approves store credit of this size" in outbox("return-settled")[0].body_text
    with pytest.raises(DomainError, match="another manager"):
        returns.approve_credit(grant.id, people["manager"])
    db.session.rollback()
    returns.approve_credit(grant.id, people["manager2"])
    db.session.commit()
    assert credit.balance(made.buyer.id) == 12_500_00


def test_a_rejected_difference_leaves_the_exchange_settled(db, people, received, upright):
    _made, ticket = received
    cheaper = version(db, upright, 2)
    cheaper.price_cents = 30_000_00
    db.session.commit()
    returns.settle(ticket.id, "exchange", people["manager"], exchange_variant_id=cheaper.id)
    db.session.commit()
    grant = db.session.scalar(sa.select(CreditGrant))
    returns.reject_credit(grant.id, people["manager2"], "Agreed by phone instead")
    db.session.commit()
    ret = return_of(db, ticket)
    assert ret.outcome == "exchange" and ret.status == "closed" and ret.exchange_order_id


def test_a_variant_of_the_same_price_is_at_no_charge(db, people, received, upright):
    _made, ticket = received
    same = version(db, upright, 2)
    same.price_cents = PIANO
    db.session.commit()
    done = returns.settle(ticket.id, "exchange", people["support"], exchange_variant_id=same.id)
    db.session.commit()
    new = db.session.get(Order, done.exchange_order.id)
    assert new.status == "paid" and new.total_cents == 0
    assert count(db, CreditGrant) == 0 and count(db, Payment) == 0
    [line] = db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == new.id)).all()
    assert line.variant_id == same.id
    assert "costs the same" in outbox("return-settled")[0].body_text


def test_an_exchange_by_sku_for_an_out_of_stock_item_is_refused_and_nothing_is_written(
    client, db, login, people, received, upright
):
    _made, ticket = received
    gone = version(db, upright, 2)
    gone.stock_on_hand = 0
    db.session.commit()
    login(people["support"])
    r = post_form(
        client,
        f"/staff/support/{ticket.number}/return/settle",
        {"outcome": "exchange", "exchange_sku": gone.sku, "request_key": "k1"},
        csrf_page="/staff/",
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "Not in stock for the exchange: Studio Upright" in r.get_data(as_text=True)
    ret = return_of(db, ticket)
    assert ret.status == "received" and ret.outcome is None and ret.exchange_order_id is None
    assert ret.exchange_value_cents == 0
    assert count(db, Order) == 1 and count(db, Payment) == 0 and count(db, CreditGrant) == 0
    assert outbox("return-settled") == []
    # an unknown SKU is a clear refusal too
    with pytest.raises(DomainError, match="No item for sale matches SKU NOPE"):
        returns.settle(ticket.id, "exchange", people["support"], exchange_sku="NOPE")
    db.session.rollback()
    # and a hostile "variant" is a form error, never a server error
    for hostile in ("2**63", "1e26", "99999999999999999999", "-1", "x\x00"):
        r = post_form(
            client,
            f"/staff/support/{ticket.number}/return/settle",
            {"outcome": "exchange", "exchange_variant": hostile, "request_key": "k2"},
            csrf_page="/staff/",
            follow_redirects=True,
        )
        assert r.status_code == 200 and "Choose an item from the list." in r.get_data(as_text=True)
    assert count(db, Order) == 1


def test_a_second_ticket_on_the_same_line_does_not_restock_it_again(
    db, people, make_delivered_order, upright
):
    made = make_delivered_order(product=upright)
    variant_id = made.line.variant_id
    before = _db.session.get(Variant, variant_id).stock_on_hand
    tickets = [
        make_ticket(kind="return_request", order=made.order, lines=[made.line], buyer=made.buyer)
        for _ in range(2)
    ]
    for ticket in tickets:
        returns.approve(ticket.id, people["support"])
        returns.mark_received(ticket.id, people["support"])
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Variant, variant_id).stock_on_hand == before + 1
    assert [return_of(db, t).restocked_units for t in tickets] == [1, 0]
    assert db.session.get(OrderLine, made.line.id).restocked_quantity == 1
    assert "return_restocked" not in event_kinds(tickets[1].id)


@pytest.mark.postgres
def test_two_tickets_received_at_once_restock_the_line_once(
    app, db, people, make_delivered_order, upright
):
    made = make_delivered_order(product=upright, quantity=2)
    variant_id = made.line.variant_id
    before = db.session.get(Variant, variant_id).stock_on_hand
    tickets = [
        make_ticket(kind="return_request", order=made.order, lines=[made.line], buyer=made.buyer)
        for _ in range(2)
    ]
    for ticket in tickets:
        returns.approve(ticket.id, people["support"])
    db.session.commit()
    ids, staff_id = [t.id for t in tickets], people["support"].id

    def receive(ticket_id):
        return lambda: returns.mark_received(ticket_id, _db.session.get(User, staff_id)).id

    run_together(app, [receive(i) for i in ids])
    db.session.expire_all()
    assert db.session.get(Variant, variant_id).stock_on_hand == before + 2
    assert sorted(return_of(db, t).restocked_units for t in tickets) == [0, 2]
    assert db.session.get(OrderLine, made.line.id).restocked_quantity == 2
