"""Closing a quote: acceptance with evidence, one order, paying the deposit, the balance later."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.auth.roles import Role
from shop.catalog import stock
from shop.catalog.models import StockReservation
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db as _db
from shop.orders.models import Order
from shop.payments.models import Payment
from shop.quotes import closing
from shop.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteVersion

DELIVERY = closing.Delivery(
    address_line1="1 Harbor Way",
    address_line2="",
    city="Seattle",
    region="WA",
    postal_code="98101",
    phone="555",
)
EVIDENCE = closing.Evidence(
    typed_name="ada  lovelace", accepted_terms=True, ip_address="203.0.113.9", user_agent="Firefox"
)


@pytest.fixture
def quote(db, sailboats, make_product, make_user):
    """A sent quote: 2 boats at $100,000 (5% off each), installation $5,000, a $20,000 trade-in,
    and 20% deposit. Units are held for the quote."""
    rep = make_user(Role.REP, email="maya@example.com", name="Maya Okafor")
    buyer = make_user(email="ada@example.com", name="Ada Lovelace")
    boat = make_product(sailboats, name="Aura 38", price_cents=100_000_00, stock=3)
    variant = boat.variants[0]
    q = Quote(
        number="Q-TEST01",
        rep_id=rep.id,
        buyer_id=buyer.id,
        email=buyer.email,
        name=buyer.name,
        status="sent",
        current_version=1,
        valid_until=utcnow() + timedelta(days=10),
    )
    db.session.add(q)
    db.session.flush()
    version = QuoteVersion(
        quote_id=q.id,
        number=1,
        deposit_pct=Decimal("20"),
        delivery_terms="Commissioned at your marina",
        list_cents=205_000_00,
        discount_cents=10_000_00,
        total_cents=175_000_00,
        cost_cents=150_000_00,
        sent_at=utcnow(),
        valid_until=q.valid_until,
    )
    version.lines = [
        QuoteLine(
            position=0,
            kind="catalog",
            variant_id=variant.id,
            description="Aura 38",
            sku=variant.sku,
            unit_price_cents=100_000_00,
            unit_cost_cents=72_000_00,
            quantity=2,
            discount_kind="percent",
            discount_value=Decimal("5"),
            net_cents=190_000_00,
        ),
        QuoteLine(
            position=1,
            kind="custom",
            description="Installation",
            unit_price_cents=5_000_00,
            quantity=1,
            net_cents=5_000_00,
        ),
        QuoteLine(
            position=2,
            kind="custom",
            description="Trade-in credit: Petrel 24",
            unit_price_cents=-20_000_00,
            quantity=1,
            net_cents=-20_000_00,
        ),
    ]
    db.session.add(version)
    stock.reserve(f"quote:{q.id}", {variant.id: 2}, q.valid_until)
    db.session.commit()
    return q


def test_acceptance_keeps_the_evidence(db, quote):
    closing.accept(quote.id, 1, EVIDENCE)
    db.session.commit()
    version = db.session.scalar(sa.select(QuoteVersion))
    assert quote.status == "accepted"
    assert version.accepted_name == "ada  lovelace" and version.accepted_ip == "203.0.113.9"
    assert version.accepted_user_agent == "Firefox" and version.accepted_terms_version
    note = db.session.scalar(sa.select(QuoteEvent.note).where(QuoteEvent.kind == "accepted"))
    assert "total $175,000.00, deposit 20%" in note and "cents" not in note
    closing.accept(quote.id, 1, EVIDENCE)  # a second click changes nothing
    assert db.session.scalar(sa.select(sa.func.count()).where(QuoteEvent.kind == "accepted")) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"typed_name": "Someone Else"}, "Type your name"),
        ({"accepted_terms": False}, "terms of sale"),
    ],
)
def test_acceptance_needs_the_buyers_name_and_the_terms(db, quote, change, message):
    evidence = closing.Evidence(**{**EVIDENCE.__dict__, **change})
    with pytest.raises(DomainError, match=message):
        closing.accept(quote.id, 1, evidence)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("expired", "expired"),
        ("declined", "not open"),
        ("superseded", "replaced"),
        ("unapproved", "approval"),
    ],
)
def test_what_cannot_be_accepted(db, quote, setup, message):
    version = db.session.scalar(sa.select(QuoteVersion))
    if setup == "expired":
        version.valid_until = utcnow() - timedelta(minutes=1)
    elif setup == "declined":
        quote.status = "declined"
    elif setup == "superseded":
        quote.current_version = 2
        db.session.add(QuoteVersion(quote_id=quote.id, number=2, total_cents=1))
    else:
        version.needs_approval = True
    db.session.commit()
    with pytest.raises(DomainError, match=message):
        closing.accept(quote.id, 1, EVIDENCE)


def test_the_order_copies_the_quote_and_asks_for_the_deposit(db, quote):
    closing.accept(quote.id, 1, EVIDENCE)
    order = closing.place_order(
        quote.id,
        delivery=DELIVERY,
        payment_method="card",
        pay="deposit",
        ip_address="203.0.113.9",
        user_agent="Firefox",
    )
    db.session.commit()
    # $205,000 of goods and services, $30,000 of discounts and trade-in, WA 6.5% on $175,000.
    assert (order.subtotal_cents, order.discount_cents) == (205_000_00, 30_000_00)
    assert order.tax_cents == 11_375_00 and order.total_cents == 186_375_00
    assert order.rep_id == quote.rep_id and order.quote_id == quote.id
    payment = db.session.scalar(sa.select(Payment))
    assert (payment.purpose, payment.amount_cents) == ("deposit", 35_000_00)  # 20% as quoted
    holds = db.session.execute(
        sa.select(StockReservation.holder, StockReservation.status).order_by(StockReservation.id)
    ).all()
    assert holds == [(f"quote:{quote.id}", "released"), (f"order:{order.id}", "active")]
    again = closing.place_order(
        quote.id,
        delivery=DELIVERY,
        payment_method="card",
        pay="deposit",
        ip_address="",
        user_agent="",
    )
    assert again.id == order.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


@pytest.mark.parametrize(
    ("in_stock", "weeks"),
    [(True, 2), (False, 10)],  # the stock location's 2-3 weeks; else built to order in 10
)
def test_the_order_keeps_the_lead_time_the_catalog_promised(db, quote, in_stock, weeks):
    from shop.catalog.models import Variant
    from shop.orders.models import OrderLine

    variant = db.session.scalar(sa.select(Variant))
    if not in_stock:  # the held units went elsewhere meanwhile; the boat is built for the buyer
        stock.release(f"quote:{quote.id}")
        variant.stock_on_hand, variant.made_to_order = 0, True
        db.session.commit()
    closing.accept(quote.id, 1, EVIDENCE)
    order = closing.place_order(
        quote.id,
        delivery=DELIVERY,
        payment_method="card",
        pay="deposit",
        ip_address="203.0.113.9",
        user_agent="Firefox",
    )
    db.session.commit()
    leads = dict(
        db.session.execute(
            sa.select(OrderLine.product_name, OrderLine.lead_weeks).where(
                OrderLine.order_id == order.id
            )
        ).all()
    )
    assert leads == {"Aura 38": weeks, "Installation": 0}


def test_paying_the_deposit_by_card_then_the_balance(
    app, client, db, quote, stripe_peer, app_config
):
    for key, value in stripe_peer.settings().items():
        app.config[key] = value
    stripe_peer.reset()
    from shop.orders.services import access_token
    from shop.payments import services as payments

    closing.accept(quote.id, 1, EVIDENCE)
    order = closing.place_order(
        quote.id,
        delivery=DELIVERY,
        payment_method="card",
        pay="deposit",
        ip_address="",
        user_agent="",
    )
    db.session.commit()
    token = access_token(order)
    from tests.conftest import csrf_token

    csrf = csrf_token(client)
    assert (
        client.post(
            f"/checkout/pay/{token}/setup", json={}, headers={"X-CSRFToken": csrf}
        ).status_code
        == 200
    )
    r = client.post(
        f"/checkout/pay/{token}/card",
        json={"payment_method": stripe_peer.card("4242424242424242")},
        headers={"X-CSRFToken": csrf},
    )
    assert "placed=1" in r.get_json()["redirect"]
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "placed" and order.authorized_cents == 35_000_00
    deposit = payments.find_payment(f"order:{order.id}", "deposit")
    payments.capture(deposit.id)
    db.session.commit()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.paid_cents == 35_000_00 and order.outstanding_cents == 151_375_00
    # Later, staff ask for the balance by card; the buyer pays it on the same pay page.
    balance = closing.request_balance(order.id, None, "card")
    db.session.commit()
    assert balance.amount_cents == 151_375_00
    setup = client.post(f"/checkout/pay/{token}/setup", json={}, headers={"X-CSRFToken": csrf})
    assert "client_secret" in setup.get_json(), setup.get_json()
    r = client.post(
        f"/checkout/pay/{token}/card",
        json={"payment_method": stripe_peer.card("4242424242424242")},
        headers={"X-CSRFToken": csrf},
    )
    assert r.status_code == 200, r.get_json()
    assert "placed=1" in r.get_json()["redirect"], r.get_json()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.authorized_cents == 151_375_00 and order.paid_cents == 35_000_00
    # Asking again gives the same balance payment, never a second one.
    assert closing.request_balance(order.id, None, "card").id == balance.id


def test_a_bank_transfer_for_the_full_amount(db, quote, mailbox):
    closing.accept(quote.id, 1, EVIDENCE)
    order = closing.place_order(
        quote.id,
        delivery=DELIVERY,
        payment_method="bank_transfer",
        pay="full",
        ip_address="",
        user_agent="",
    )
    db.session.commit()
    payment = db.session.scalar(sa.select(Payment))
    assert order.status == "awaiting_funds" and payment.amount_cents == order.total_cents
    assert payment.bank_reference


@pytest.mark.postgres
def test_two_tabs_accepting_and_paying_make_one_order(app, db, quote):
    results = []
    barrier = threading.Barrier(2)

    def tab():
        with app.app_context():
            barrier.wait()
            closing.accept(quote.id, 1, EVIDENCE)
            order = closing.place_order(
                quote.id,
                delivery=DELIVERY,
                payment_method="card",
                pay="full",
                ip_address="",
                user_agent="",
            )
            _db.session.commit()
            results.append(order.id)
            _db.session.remove()

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 2 and len(set(results)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1


def test_accept_and_pay_through_the_pages(client, db, quote):
    from shop.quotes.services import quote_link_token
    from tests.conftest import post_form

    token = quote_link_token(quote)
    page = client.get(f"/quotes/v/{token}").get_data(as_text=True)
    assert "/accept" in page and "72,000" not in page  # costs never reach the buyer
    wrong = post_form(
        client,
        f"/quotes/v/{token}/accept",
        {"typed_name": "Nobody", "accept_terms": "y", "version": "1", "total_cents": "17500000"},
    )
    assert wrong.status_code == 303
    assert "Type your name as on the quote" in client.get(f"/quotes/v/{token}").get_data(True)
    ok = post_form(
        client,
        f"/quotes/v/{token}/accept",
        {
            "typed_name": "Ada Lovelace",
            "accept_terms": "y",
            "version": "1",
            "total_cents": "17500000",
        },
    )
    assert ok.headers["Location"].endswith(f"/quotes/v/{token}/pay")
    form = client.get(f"/quotes/v/{token}/pay").get_data(as_text=True)
    assert "20% deposit now" in form
    r = post_form(
        client,
        f"/quotes/v/{token}/pay",
        {
            "address_line1": "1 Harbor Way",
            "city": "Seattle",
            "region": "WA",
            "postal_code": "98101",
            "phone": "555",
            "pay": "deposit",
            "payment_method": "card",
        },
    )
    assert r.status_code == 303 and "/checkout/pay/" in r.headers["Location"]
    again = client.get(f"/quotes/v/{token}/pay")
    assert "/orders/view/" in again.headers["Location"]  # one order, whatever the clicks
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


def test_the_rep_desk_shows_their_orders_and_requests_the_balance(
    app, client, db, quote, make_user, login, mailbox
):
    from shop.auth.models import User
    from shop.orders.services import access_token
    from tests.conftest import post_form

    closing.accept(quote.id, 1, EVIDENCE)
    order = closing.place_order(
        quote.id,
        delivery=DELIVERY,
        payment_method="bank_transfer",
        pay="deposit",
        ip_address="",
        user_agent="",
    )
    order.status = "placed"  # the deposit arrived (recording transfers is staff operations)
    db.session.commit()
    rep = db.session.get(User, quote.rep_id)
    login(rep)
    desk = client.get("/staff/").get_data(as_text=True)
    assert order.number in desk and "Request balance" in desk
    r = post_form(client, f"/staff/orders/{order.number}/balance", {"method": "bank_transfer"})
    assert r.status_code == 303
    balance = db.session.scalar(sa.select(Payment).where(Payment.purpose == "balance"))
    assert balance.amount_cents == order.total_cents and balance.bank_reference
    assert balance.expires_at is not None
    from shop.audit.models import AuditEntry

    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "order.balance_requested")
    )
    assert entry.target_id == order.number and entry.actor_id == rep.id
    page = client.get(f"/orders/view/{access_token(order)}")
    assert "Balance due by" in page.get_data(as_text=True)
    other_rep = make_user(Role.REP)
    post_form(client, "/account/logout", {})
    login(other_rep)
    assert order.number not in client.get("/staff/").get_data(as_text=True)
    assert post_form(client, f"/staff/orders/{order.number}/balance", {}).status_code == 404


def test_quote_acceptance_and_payment_are_audited_on_the_quote(db, quote):
    closing.accept(quote.id, 1, EVIDENCE)
    closing.place_order(
        quote.id, delivery=DELIVERY, payment_method="card", pay="full", ip_address="", user_agent=""
    )
    db.session.commit()
    kinds = db.session.scalars(sa.select(QuoteEvent.kind).order_by(QuoteEvent.id)).all()
    assert kinds[-2:] == ["accepted", "ordered"]
    assert quote.status == "ordered"


def test_amounts_sent_by_the_browser_are_ignored(client, db, quote):
    from shop.quotes.services import quote_link_token
    from tests.conftest import post_form

    token = quote_link_token(quote)
    post_form(
        client,
        f"/quotes/v/{token}/accept",
        {
            "typed_name": "Ada Lovelace",
            "accept_terms": "y",
            "version": "1",
            "total_cents": "17500000",  # the total shown, checked, never used as an amount
            "deposit_pct": "0",
            "discount_value": "100",
        },
    )
    post_form(
        client,
        f"/quotes/v/{token}/pay",
        {
            "address_line1": "1 Harbor Way",
            "city": "Seattle",
            "region": "WA",
            "postal_code": "98101",
            "phone": "555",
            "pay": "deposit",
            "payment_method": "card",
            "amount_cents": "100",
            "deposit_pct": "1",
            "tax_cents": "0",
        },
    )
    payment = db.session.scalar(sa.select(Payment))
    order = db.session.scalar(sa.select(Order))
    assert payment.amount_cents == 35_000_00 and order.total_cents == 186_375_00


def test_a_balance_request_reads_as_money_everywhere(
    app, client, db, quote, make_user, login, mailbox
):
    """The buyer's timeline, the balance email, the staff timeline and the audit trail show
    "$186,375.00", never a bare number of cents."""
    import re

    from shop.notifications.models import OutboxMessage
    from shop.orders.services import access_token
    from tests.conftest import post_form

    closing.accept(quote.id, 1, EVIDENCE)
    order = closing.place_order(
        quote.id,
        delivery=DELIVERY,
        payment_method="bank_transfer",
        pay="deposit",
        ip_address="",
        user_agent="",
    )
    order.status = "placed"  # the deposit arrived (recording transfers is staff operations)
    db.session.commit()
    assert order.total_cents == 186_375_00
    manager = make_user(Role.MANAGER, email="boss@example.com")
    login(manager)
    r = post_form(client, f"/staff/orders/{order.number}/balance", {"method": "card"})
    assert r.status_code == 303

    def text(html: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    buyer = text(client.get(f"/orders/view/{access_token(order)}").get_data(as_text=True))
    timeline = buyer[buyer.index("Timeline") :]
    assert "Balance of $186,375.00 requested by card." in timeline
    staff_page = text(client.get(f"/staff/orders/{order.number}").get_data(as_text=True))
    assert "Balance of $186,375.00 requested by card." in staff_page
    db.session.expire_all()
    [balance_email] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("order-balance:"))
    ).all()
    assert "$186,375.00" in balance_email.body_text
    audit_page = text(client.get("/staff/audit").get_data(as_text=True))
    assert "$186,375.00" in audit_page
    quote_page = text(client.get(f"/staff/quotes/{quote.id}").get_data(as_text=True))
    assert "total $175,000.00, deposit 20%" in quote_page
    for page in (timeline, staff_page, balance_email.body_text, audit_page, quote_page):
        assert "cents" not in page
        assert "18637500" not in page and "17500000" not in page
