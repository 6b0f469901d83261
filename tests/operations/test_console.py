"""The staff order console and order page: filters, search, pages, query budgets, who may look,
and internal notes that never reach the buyer."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.auth.roles import Role
from shop.consultations.models import Booking
from shop.db import utcnow
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order, OrderEvent
from shop.orders.services import Acceptance, Contact, NewLine, access_token, create_order
from shop.orders.states import LABELS, OrderStatus, record
from shop.payments.models import Payment
from shop.quotes.models import Quote
from tests.conftest import post_form

ROW = re.compile(r'data-testid="order-row" data-number="([^"]+)"')


def new_order(
    db,
    *,
    name: str = "Ada Lovelace",
    email: str = "ada@example.com",
    status: str | None = None,
    delivery: str = "white_glove",
    lines: int = 1,
    created_at: datetime | None = None,
    commit: bool = True,
    **columns,
) -> Order:
    """An order written through the order service (amounts add up), then set as asked."""
    order = create_order(
        checkout_id=None,
        user_id=columns.pop("user_id", None),
        contact=Contact(
            email=email,
            name=name,
            phone="+1 503 555 0100",
            address_line1="12 Harbor Way",
            city="Portland",
            region="WA",
            postal_code="98101",
        ),
        lines=[
            NewLine(
                variant_id=None,
                product_id=None,
                product_name=f"Concert Grand {n}",
                variant_name="Ebony",
                sku=f"CG-{n}",
                unit_price_cents=42_500_00,
                quantity=1,
                delivery_method=delivery,
                delivery_cents=1_200_00,
                delivery_promise="In 3 weeks",
            )
            for n in range(lines)
        ],
        payment_method="card",
        tax_rate=Decimal("10.000"),
        tax_cents=0,
        acceptance=Acceptance(
            terms_version="2025-01",
            accepted_at=utcnow(),
            ip_address="203.0.113.9",
            user_agent="Mozilla/5.0 (TestBrowser)",
        ),
    )
    if status is not None:
        order.status = status
    if created_at is not None:
        order.created_at = created_at
    for key, value in columns.items():
        setattr(order, key, value)
    if commit:
        db.session.commit()
    return order


@pytest.fixture
def manager(make_user, login):
    user = make_user(Role.MANAGER, email="boss@example.com", name="Mona Manager")
    login(user)
    return user


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return ROW.findall(response.get_data(as_text=True))


# --- who may look -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["rep", "support", "manager"])
def test_every_staff_role_reads_the_console_and_the_order_page(client, db, make_user, login, role):
    order = new_order(db)
    login(make_user(Role(role)))
    assert numbers(client.get("/staff/orders")) == [order.number]
    page = client.get(f"/staff/orders/{order.number}")
    assert page.status_code == 200
    assert 'data-testid="timeline"' in page.get_data(as_text=True)


def test_buyers_get_403_on_every_order_page_and_action(client, db, make_user, login):
    order = new_order(db)
    login(make_user(Role.BUYER, email="bea@example.com"))
    assert client.get("/staff/orders").status_code == 403
    assert client.get(f"/staff/orders/{order.number}").status_code == 403
    status = post_form(client, f"/staff/orders/{order.number}/status", {"to": "confirmed"})
    notes = post_form(client, f"/staff/orders/{order.number}/notes", {"body": "hi"})
    assert status.status_code == notes.status_code == 403
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "pending_payment"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    order = new_order(db)
    for url in ("/staff/orders", f"/staff/orders/{order.number}"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]


@pytest.mark.both_dbs
def test_an_unknown_order_is_404(client, manager):
    assert client.get("/staff/orders/HH-NOSUCH").status_code == 404
    assert client.get("/staff/orders/HH-%00").status_code == 404
    assert post_form(client, "/staff/orders/HH-%00/status", {"to": "paid"}).status_code == 404
    assert client.get("/staff/orders/" + "X" * 40).status_code == 404
    assert post_form(client, "/staff/orders/HH-NOSUCH/notes", {"body": "x"}).status_code == 404
    assert (
        post_form(client, "/staff/orders/HH-NOSUCH/status", {"to": "confirmed"}).status_code == 404
    )


# --- filters and search ---------------------------------------------------------------------


def test_filter_by_status_and_payment_state(client, db, manager):
    placed = new_order(db, status="placed", payment_state="authorized")
    paid = new_order(db, status="paid", payment_state="paid")
    new_order(db, status="cancelled", payment_state="unpaid")
    assert numbers(client.get("/staff/orders?status=placed")) == [placed.number]
    assert numbers(client.get("/staff/orders?payment=paid")) == [paid.number]
    assert numbers(client.get("/staff/orders?status=paid&payment=authorized")) == []


def test_filter_by_rep(client, db, manager, make_user):
    rep = make_user(Role.REP, email="rita@example.com", name="Rita Rep")
    mine = new_order(db, rep_id=rep.id)
    nobody = new_order(db)
    assert numbers(client.get(f"/staff/orders?rep={rep.id}")) == [mine.number]
    assert numbers(client.get("/staff/orders?rep=none")) == [nobody.number]
    html = client.get("/staff/orders").get_data(as_text=True)
    assert "Rita Rep" in html


@pytest.mark.both_dbs
def test_filter_by_local_dates(client, db, manager):
    manager.timezone = "America/Los_Angeles"
    db.session.commit()
    # 07:30 UTC on March 2 is still March 1 in Los Angeles (UTC-8).
    first = new_order(db, created_at=datetime(2025, 3, 2, 7, 30, tzinfo=UTC))
    second = new_order(db, created_at=datetime(2025, 3, 2, 9, 0, tzinfo=UTC))
    third = new_order(db, created_at=datetime(2025, 3, 5, 12, 0, tzinfo=UTC))
    assert numbers(client.get("/staff/orders?from=2025-03-01&to=2025-03-01")) == [first.number]
    assert numbers(client.get("/staff/orders?from=2025-03-02")) == [third.number, second.number]
    assert numbers(client.get("/staff/orders?to=2025-03-02")) == [second.number, first.number]


def test_who_never_chose_a_zone_filters_and_reads_on_the_stores_clock(client, db, manager):
    """A manager whose zone is still the column's default reads the store's clock (New York),
    in the filter's words and its dates: the console never says UTC."""
    assert manager.timezone == "UTC"
    # 03:00 UTC on March 2 is still March 1 in New York.
    evening = new_order(db, created_at=datetime(2025, 3, 2, 3, 0, tzinfo=UTC))
    page = client.get("/staff/orders").get_data(as_text=True)
    assert "dates (America/New York)" in page and "UTC" not in page
    assert numbers(client.get("/staff/orders?from=2025-03-01&to=2025-03-01")) == [evening.number]


@pytest.mark.both_dbs
def test_filter_by_delivery_method(client, db, manager):
    glove = new_order(db, delivery="white_glove")
    pickup = new_order(db, delivery="pickup")
    assert numbers(client.get("/staff/orders?delivery=pickup")) == [pickup.number]
    assert numbers(client.get("/staff/orders?delivery=white_glove")) == [glove.number]
    assert numbers(client.get("/staff/orders?delivery=freight")) == []


@pytest.mark.both_dbs
def test_filter_by_review_and_dispute_flags(client, db, manager):
    review = new_order(db, needs_review=True, review_reason="Amount mismatch")
    open_dispute = new_order(db, dispute_status="open")
    won = new_order(db, dispute_status="won")
    new_order(db)
    assert numbers(client.get("/staff/orders?review=1")) == [review.number]
    assert numbers(client.get("/staff/orders?dispute=open")) == [open_dispute.number]
    assert numbers(client.get("/staff/orders?dispute=any")) == [won.number, open_dispute.number]


@pytest.mark.both_dbs
def test_search_by_number_name_and_email(client, db, manager):
    ada = new_order(db, name="Ada Lovelace", email="ada@example.com")
    grace = new_order(db, name="Grace Hopper", email="G.Hopper@Navy.example")
    assert numbers(client.get(f"/staff/orders?q={ada.number}")) == [ada.number]
    assert numbers(client.get(f"/staff/orders?q={ada.number.lower()}")) == [ada.number]
    prefix = grace.number[:6]
    assert grace.number in numbers(client.get(f"/staff/orders?q={prefix}"))
    assert numbers(client.get("/staff/orders?q=lovel")) == [ada.number]
    assert numbers(client.get("/staff/orders?q=HOPPER")) == [grace.number]
    assert numbers(client.get("/staff/orders?q=navy.EXAMPLE")) == [grace.number]
    assert numbers(client.get("/staff/orders?q=%25")) == []  # a wildcard is just a character
    assert numbers(client.get("/staff/orders?q=_")) == []
    assert numbers(client.get("/staff/orders?q=nobody")) == []


def test_filters_combine(client, db, manager):
    target = new_order(db, name="Ada Lovelace", status="placed", delivery="pickup")
    new_order(db, name="Ada Lovelace", status="placed", delivery="white_glove")
    new_order(db, name="Ada Lovelace", status="paid", delivery="pickup")
    url = "/staff/orders?q=ada&status=placed&delivery=pickup"
    assert numbers(client.get(url)) == [target.number]


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "payment=rich",
        "rep=abc",
        "rep=-1",
        "rep=99999999999999999999999",
        "from=yesterday",
        "to=2025-13-45",
        "delivery=teleport",
        "dispute=maybe",
        "page=abc",
        "page=-3",
        "page=999999999999",
        "q=" + "x" * 500,
        "q=%00ada",
        "from=2025-03-05&to=2025-03-01",
        "from=9999-12-31&to=9999-12-31",
        "from=0001-01-01",
    ],
)
@pytest.mark.both_dbs
def test_bad_filter_values_are_ignored_with_a_message(client, db, manager, query):
    order = new_order(db)
    response = client.get(f"/staff/orders?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if query.startswith(("page", "from=0001", "from=9999", "q=")):
        return
    assert order.number in html or "swapped" in html
    assert "flash-error" in html


# --- pages and the query budget -------------------------------------------------------------


def test_pages_of_25_newest_first(client, db, manager):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    made = [new_order(db, created_at=start + timedelta(hours=n), commit=False) for n in range(30)]
    db.session.commit()
    newest_first = [o.number for o in reversed(made)]
    first = numbers(client.get("/staff/orders"))
    second = numbers(client.get("/staff/orders?page=2"))
    assert first == newest_first[:25]
    assert second == newest_first[25:]
    assert numbers(client.get("/staff/orders?page=3")) == []
    html = client.get("/staff/orders?status=pending_payment").get_data(as_text=True)
    assert "30 orders" in html and "page=2" in html and "status=pending_payment" in html


def _count(client, query_counter, url) -> int:
    with query_counter() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def _grow(db, n: int, rep_id: int) -> None:
    for i in range(n):
        new_order(
            db,
            commit=False,
            lines=2,
            rep_id=rep_id if i % 2 else None,
            needs_review=i % 3 == 0,
            delivery=["white_glove", "pickup"][i % 2],
        )
    db.session.commit()


@pytest.mark.both_dbs
@pytest.mark.parametrize(
    "query",
    ["", "?q=ada&status=pending_payment&delivery=pickup&from=2000-01-01&to=2100-01-01&review=1"],
)
def test_the_console_runs_a_fixed_number_of_queries(client, db, manager, query_counter, query):
    _grow(db, 3, manager.id)
    few = _count(client, query_counter, "/staff/orders" + query)
    _grow(db, 37, manager.id)
    many = _count(client, query_counter, "/staff/orders" + query)
    assert few == many <= 10


def _fill(db, order: Order, payments: int, events: int) -> None:
    for n, purpose in enumerate(["full", "deposit", "balance"][:payments]):
        db.session.add(
            Payment(
                reference=f"order:{order.id}",
                purpose=purpose,
                method="card",
                status="authorized",
                amount_cents=1000_00 + n,
                amount_capturable_cents=1000_00 + n,
                stripe_payment_intent_id=f"pi_{order.id}_{n}",
            )
        )
    for n in range(events):
        record(order, "note", f"note {n}", visible_to_buyer=n % 2 == 0)
    db.session.commit()


@pytest.mark.both_dbs
def test_the_order_page_runs_a_fixed_number_of_queries(client, db, manager, query_counter):
    small = new_order(db, lines=1)
    big = new_order(db, lines=6, email="ada@example.com")
    _fill(db, small, payments=1, events=1)
    _fill(db, big, payments=3, events=12)
    for n in range(4):
        db.session.add(Quote(number=f"Q-T{n}", email="ada@example.com", name="Ada", status="sent"))
    db.session.commit()
    few = _count(client, query_counter, f"/staff/orders/{small.number}")
    many = _count(client, query_counter, f"/staff/orders/{big.number}")
    assert few == many <= 15


# --- the order page -------------------------------------------------------------------------


def test_the_order_page_shows_amounts_lines_acceptance_and_the_buyers_thread(
    client, db, manager, make_user
):
    buyer = make_user(Role.BUYER, email="ada@example.com", name="Ada Lovelace")
    rep = make_user(Role.REP, email="rita@example.com", name="Rita Rep")
    quote = Quote(number="Q-ORDER1", email="other@example.com", name="Ada", status="ordered")
    other = Quote(number="Q-EMAIL1", email="ADA@example.com", name="Ada", status="declined")
    stranger = Quote(number="Q-STRANGE", email="x@example.com", name="X", status="sent")
    db.session.add_all([quote, other, stranger])
    db.session.flush()
    db.session.add(
        Booking(
            reference="BK-T1",
            rep_id=rep.id,
            buyer_id=buyer.id,
            name="Ada",
            email="ada@example.com",
            channel="video",
            starts_at=datetime(2025, 2, 3, 17, 0, tzinfo=UTC),
            ends_at=datetime(2025, 2, 3, 17, 30, tzinfo=UTC),
            buyer_timezone="UTC",
        )
    )
    order = new_order(
        db,
        lines=2,
        user_id=buyer.id,
        rep_id=rep.id,
        quote_id=quote.id,
        status="placed",
        authorized_cents=30_000_00,
        received_cents=10_000_00,
        refunded_cents=2_500_00,
        paid_cents=7_500_00,
        needs_review=True,
        review_reason="Currency mismatch on payment 3",
    )
    record(order, "note", "Buyer wants a Tuesday delivery", visible_to_buyer=False)
    db.session.commit()
    html = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)

    def amount(name):
        match = re.search(rf'data-testid="amount-{name}">([^<]+)<', html)
        return match.group(1)

    assert amount("total") == "$87,400.00"
    assert amount("authorized") == "$30,000.00"
    assert amount("received") == "$10,000.00"
    assert amount("refunded") == "$2,500.00"
    assert amount("paid") == "$7,500.00"
    assert amount("outstanding") == "$77,400.00"
    assert html.count('data-testid="order-line"') == 2
    assert "Concert Grand 1" in html and "White-glove delivery" in html
    assert "2025-01" in html and "203.0.113.9" in html and "TestBrowser" in html
    assert "Currency mismatch on payment 3" in html
    assert "Q-ORDER1" in html and "this order's quote" in html and "Q-EMAIL1" in html
    assert "Q-STRANGE" not in html
    assert f"/staff/consultations/{db.session.scalar(sa.select(Booking.id))}" in html
    assert f"/staff/buyers/{buyer.id}" in html and "Rita Rep" in html
    assert "Buyer wants a Tuesday delivery" in html and "flag-internal" in html
    assert 'data-testid="move-confirmed"' in html and 'data-testid="move-cancelled"' in html


def test_support_sees_no_move_it_may_not_make(client, db, make_user, login):
    order = new_order(db, status="placed")
    login(make_user(Role.SUPPORT))
    html = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert 'data-testid="move-' not in html


def test_an_open_dispute_hides_fulfilment_moves(client, db, manager):
    order = new_order(db, status="paid", dispute_status="open")
    html = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert 'data-testid="flag-dispute"' in html
    assert 'data-testid="move-delivered"' not in html
    assert 'data-testid="move-delivery_scheduled"' not in html
    assert 'data-testid="move-cancelled"' in html


# --- internal notes -------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_a_note_is_kept_audited_and_never_shown_to_the_buyer(client, db, manager, app):
    order = new_order(db, status="placed")
    secret = "Buyer is a reseller; check the ID on delivery"
    response = post_form(client, f"/staff/orders/{order.number}/notes", {"body": f"  {secret} "})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/orders/{order.number}")
    event = db.session.scalar(sa.select(OrderEvent).where(OrderEvent.kind == "note"))
    assert event.note == secret and event.visible_to_buyer is False
    assert event.actor_id == manager.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "order.note"))
    assert entry.actor_id == manager.id and entry.target_id == order.number
    assert entry.reason == secret
    assert secret in client.get(f"/staff/orders/{order.number}").get_data(as_text=True)

    # A staff move the buyer hears of, then the buyer's own pages and emails.
    post_form(client, f"/staff/orders/{order.number}/status", {"to": "confirmed", "note": "OK"})
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "confirmed"
    token = access_token(order)
    guest = app.test_client()
    page = guest.get(f"/orders/view/{token}").get_data(as_text=True)
    assert LABELS[OrderStatus.CONFIRMED] in page
    assert secret not in page and "reseller" not in page
    for message in db.session.scalars(sa.select(OutboxMessage)):
        assert secret not in message.body_text and secret not in message.body_html


def test_a_note_is_required_and_at_most_4000_characters(client, db, manager):
    order = new_order(db)
    for body in ("", "   ", "x" * 4001):
        response = post_form(client, f"/staff/orders/{order.number}/notes", {"body": body})
        assert response.status_code == 303
    assert db.session.scalar(sa.select(OrderEvent).where(OrderEvent.kind == "note")) is None
    html = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert "4,000 characters" in html or "Write the note" in html
    ok = post_form(client, f"/staff/orders/{order.number}/notes", {"body": "y" * 4000})
    assert ok.status_code == 303
    assert (
        len(db.session.scalar(sa.select(OrderEvent.note).where(OrderEvent.kind == "note"))) == 4000
    )


def test_a_note_without_csrf_is_refused(client, db, manager):
    order = new_order(db)
    response = client.post(f"/staff/orders/{order.number}/notes", data={"body": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("status", list(OrderStatus))
def test_the_buyers_order_page_knows_every_status(client, db, status):
    order = new_order(db, status=status.value)
    record(order, "note", "internal only", visible_to_buyer=False)
    db.session.commit()
    page = client.get(f"/orders/view/{access_token(order)}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert LABELS[status] in html and "internal only" not in html
