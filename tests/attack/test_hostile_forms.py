"""Every form, as every role, with hostile values: never a 5xx (issue 23, point 10).

The store runs on the demo data with a little life added through its own pages (orders paid by
transfer and waiting for a card, a quote asked for, a ticket, a consultation, a transfer waiting
for approval), so forms carry real ids. `tests/attack/crawler.py` finds the pages and forms.
"""

import re
import time
from datetime import date
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from shop.auth.roles import Role
from shop.auth.services import create_user, find_user_by_email
from shop.catalog.demo_data import BUYER_PASSWORD, STAFF, STAFF_PASSWORD
from shop.catalog.models import DeliveryOption, Variant
from shop.delivery.services import order_token
from shop.orders.models import Order
from shop.orders.services import access_token
from shop.payments import transfers
from shop.payments.models import Payment
from shop.seed import seed_demo
from tests.attack.crawler import Crawler, FormParser, values_of
from tests.conftest import post_form

ADDRESS = {
    "address_line1": "12 Harbor Way",
    "address_line2": "",
    "city": "Seattle",
    "region": "WA",
    "postal_code": "98101",
}


@pytest.fixture
def app_config(app_config, stripe_peer):
    stripe_peer.reset()
    for key, value in stripe_peer.settings().items():
        setattr(app_config, key, value)
    app_config.RATELIMIT_ENABLED = False  # the crawler logs in once per role, many times over
    return app_config


def fill(client, page: str, action_part: str, **overrides):
    """Send the form of `page` whose action contains `action_part`, as a careful person would
    (None when the page has no such form: no free consultation slot, say)."""
    parser = FormParser()
    parser.feed(client.get(page).get_data(as_text=True))
    form = next(
        (f for f in parser.forms if f.method == "post" and action_part in (f.action or page)),
        None,
    )
    if form is None:
        return None
    data = {**values_of(form, {}), **overrides}
    response = client.post(
        form.action or page, data={k: v for k, v in data.items() if v is not None}
    )
    errors = re.findall(r'class="field-error"[^>]*>([^<]*)', response.get_data(as_text=True))
    assert response.status_code in (302, 303), (page, response.status_code, errors)
    return response


def _demo_email(role: str) -> str | None:
    if role == "crew":
        return "crew@example.com"
    return next((s["email"] for s in STAFF if s["role"] == role), None)


def _login(app, db, role: str):
    """A client signed in as the demo account of this role (one is made for a role without)."""
    client = app.test_client()
    if role == "anonymous":
        return client
    email = _demo_email(role)
    password = BUYER_PASSWORD if role == "buyer" else STAFF_PASSWORD
    if email is None:
        email = f"{role}@crawl.example"
        create_user(email, f"Crawl {role.title()}", password, Role(role))
        db.session.commit()
    response = post_form(client, "/account/login", {"email": email, "password": password})
    assert response.status_code in (302, 303), f"cannot log in as {role}"
    return client


def _place(client, variant_id: int, method: str) -> str:
    """Buy one unit with white-glove delivery through the checkout; returns where it led."""
    post_form(client, "/cart/add", {"variant_id": variant_id, "quantity": 1})
    post_form(client, "/checkout/contact", {"email": "buyer@example.com", "name": "Alex Moreno"})
    assert post_form(client, "/checkout/address", ADDRESS).status_code == 303
    data = {f"delivery-{variant_id}": "white_glove"}
    assert post_form(client, "/checkout/delivery", data).status_code == 303
    response = post_form(
        client, "/checkout/review", {"payment_method": method, "accept_terms": "y"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    return response.headers["Location"]


def _bank_payment(db, order_id: int) -> Payment:
    return db.session.scalar(
        sa.select(Payment).where(
            Payment.reference == f"order:{order_id}", Payment.method == "bank_transfer"
        )
    )


@pytest.fixture
def world(app, db):
    """The demo store with orders, a quote, a ticket, a booking and transfers in it: where the
    crawl starts (links sent by email), and values to type that match real records."""
    seed_demo()
    db.session.commit()
    variant = db.session.scalar(
        sa.select(Variant)
        .join(DeliveryOption, DeliveryOption.product_id == Variant.product_id)
        .where(DeliveryOption.method == "white_glove", Variant.stock_on_hand >= 3)
        .order_by(Variant.price_cents)
    )
    buyer = _login(app, db, "buyer")
    starts: list[str] = []
    orders = []
    for method in ("bank_transfer", "bank_transfer", "card"):
        starts.append(_place(buyer, variant.id, method))
        orders.append(db.session.scalar(sa.select(Order).order_by(Order.id.desc())))
    paid, waiting, _card = orders

    support = find_user_by_email("support@example.com")
    manager = find_user_by_email("manager@example.com")
    for order, approve in ((paid, True), (waiting, False)):
        payment = _bank_payment(db, order.id)
        receipt = transfers.record_receipt(
            reference_text=payment.bank_reference,
            amount_cents=payment.amount_cents,
            received_on=payment.created_at.date(),
            payer="Alex Moreno",
            actor=support,
            request_key=f"crawl-{order.id}",
        )
        if approve and receipt.status == "pending_approval":
            transfers.approve(receipt.id, manager)
    db.session.commit()
    for order in orders:
        db.session.refresh(order)
        starts.append(f"/orders/view/{access_token(order)}")
    assert paid.status == "paid"  # its delivery link offers windows
    starts.append(f"/delivery/{order_token(paid)}")

    post_form(buyer, "/cart/add", {"variant_id": variant.id, "quantity": 1})
    fill(buyer, "/cart/", "/quotes/request", comment="Can you deliver in spring?")
    fill(buyer, "/support/new", "/support/new", subject="A question", message="Hello")
    fill(buyer, "/consultations/new", "/consultations/new")
    fill(buyer, "/consultations/new/time", "/consultations/new/time")
    hints = {
        "reference": _bank_payment(db, waiting.id).bank_reference,
        "received_on": date.today().isoformat(),
        # Discounts in dollars, so a hostile discount value is taken as an amount.
        "discount_kind": "amount",
        "lines-0-discount_kind": "amount",
    }
    return starts, hints


def _roles() -> list[str]:
    return ["anonymous", *(r.value for r in Role)]


def test_no_form_answers_a_hostile_value_with_a_server_error(app, db, world):
    started = time.monotonic()
    starts, hints = world
    failures, attacked, requests, reached = [], set(), 0, set()
    for role in _roles():
        client = _login(app, db, role)
        crawler = Crawler(app, client, role, starts if role in ("anonymous", "buyer") else [])
        failures += crawler.run(attacked, hints)
        requests += crawler.requests
        reached |= crawler.timings.keys()
        print(f"{role}: {len(crawler.pages)} pages, {len(crawler.forms)} forms")
        slow = sorted(crawler.timings.items(), key=lambda kv: -kv[1])[:8]
        print("   ", ", ".join(f"{k} {v:.1f}" for k, v in slow))
    forms = len(attacked)
    took = time.monotonic() - started
    print(f"crawled {forms} forms in {requests} requests, {took:.0f} s")
    assert forms > 40, "the crawler found too few forms to mean anything"
    # Where the seven causes of issue 23 were: the crawl must keep reaching them.
    assert {
        "delivery.window",
        "checkout.pay_card",
        "staff.consultations.consultations",
        "staff.money.transfers_page",
        "staff.quotes.quote",
        "staff.quotes.quote_add_line",
    } <= reached
    unique = {}
    for failure in failures:
        path = re.sub(r"/\d+|/[A-Za-z0-9_.-]{20,}", "/<x>", urlsplit(failure.url).path)
        unique.setdefault((path, failure.what.split("=")[0], failure.detail[:60]), failure)
    assert not unique, "\n".join(str(f) for f in unique.values())
