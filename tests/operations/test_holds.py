"""Card authorization deadlines: when a hold lapses, the list of holds about to lapse, the
`alert-holds` command (staff told once, lapsed holds cancelled at Stripe and shown as "payment
expired", never paid), and asking the buyer for a new payment."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.db import utcnow
from shop.extensions import db as _db
from shop.notifications.models import OutboxMessage
from shop.orders import holds as order_holds
from shop.orders.models import Order, OrderEvent
from shop.orders.services import access_token
from shop.payments import holds
from shop.payments.models import Payment
from shop.staff.dashboard import HoldRow
from tests.conftest import email_text, post_form
from tests.operations.card_helpers import stripe_client, stripe_intent
from tests.operations.conftest import VISA, pay_json, payment_of


def fresh(db, model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def age(db, order: Order, days: float = 0, hours: float = 0, capture_before=None) -> Payment:
    """Make the order's authorization this old (and give it Stripe's deadline, if any)."""
    payment = payment_of(db, order)
    payment.authorized_at = utcnow() - timedelta(days=days, hours=hours)
    payment.capture_before = capture_before
    db.session.commit()
    return payment


def outbox(db, prefix: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.startswith(prefix))
            .order_by(OutboxMessage.id)
        )
    )


def test_the_deadline_is_stripes_capture_before_else_seven_days(card_order, db):
    payment = payment_of(db, card_order)
    assert payment.authorized_at is not None
    assert holds.deadline(payment) == payment.authorized_at + timedelta(days=7)
    stripe_says = utcnow() + timedelta(hours=30)
    payment.capture_before = stripe_says
    assert holds.deadline(payment) == stripe_says
    payment.capture_before = None
    payment.authorized_at = None
    assert holds.deadline(payment) is None


@pytest.mark.both_dbs
def test_the_holds_page_lists_only_holds_lapsing_within_48_hours(
    client, db, card_order, place_card_order, staff, login
):
    soon = card_order
    later = place_card_order()
    stripe_soon = place_card_order()
    age(db, soon, days=6)  # lapses in about 24 h
    age(db, later, days=1)  # lapses in about 6 days
    # Stripe's deadline wins even for a fresh authorization.
    age(db, stripe_soon, capture_before=utcnow() + timedelta(hours=10))
    lapsing = {p.reference for p in holds.lapsing()}
    assert lapsing == {f"order:{soon.id}", f"order:{stripe_soon.id}"}
    login(staff["rep"])
    html = client.get("/staff/holds").get_data(as_text=True)
    assert soon.number in html and stripe_soon.number in html and later.number not in html
    assert html.count('data-testid="hold-row"') == 2
    assert "Ada Lovelace" in html and "$46,540.50" in html
    # Soonest first: the one with Stripe's 10 h deadline.
    assert html.index(stripe_soon.number) < html.index(soon.number)


def test_the_holds_page_runs_a_fixed_number_of_queries(
    client, db, card_order, place_card_order, staff, login, query_counter
):
    age(db, card_order, days=6)
    login(staff["manager"])
    with query_counter() as few:
        assert client.get("/staff/holds").status_code == 200
    for _ in range(2):
        age(db, place_card_order(), days=6, hours=12)
    with query_counter() as many:
        assert client.get("/staff/holds").status_code == 200
    assert len(few) == len(many)


def test_alert_holds_tells_every_manager_once_when_the_order_has_no_rep(
    app, db, card_order, staff, mailbox
):
    payment = age(db, card_order, days=6)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["alert-holds"])
    assert first.exit_code == 0, first.output
    assert "Alerted staff about 1 card hold(s)" in first.output
    second = runner.invoke(args=["alert-holds"])
    assert "Alerted staff about 0 card hold(s)" in second.output
    alerts = outbox(db, "hold-deadline:")
    assert sorted(m.to_address for m in alerts) == ["boss2@example.com", "boss@example.com"]
    assert fresh(db, Payment, payment.id).deadline_alerted_at is not None
    received = [m for m in mailbox if card_order.number in m["Subject"]]
    assert len(received) == 2
    body = email_text(received[0])
    assert card_order.number in body and "$46,540.50" in body and "lapses in 23 hours" in body
    assert f"/staff/orders/{card_order.number}" in body


@pytest.mark.parametrize(
    ("left", "words"),
    [
        (timedelta(hours=3, minutes=59), "3 hours"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=59, seconds=59), "59 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=30), "less than a minute"),
    ],
)
def test_time_left_is_said_in_hours_or_minutes_never_0_h(left, words):
    assert order_holds.time_left_words(left) == words


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(days=1, hours=3), "1 d 3 h"),
        (timedelta(0), "lapsed"),
    ],
)
def test_the_holds_list_says_minutes_under_an_hour_never_0_h(left, text):
    assert HoldRow(payment=None, order=None, rep=None, deadline=None, left=left).left_text == text


@pytest.mark.parametrize(
    ("left", "words"),
    [(timedelta(hours=3, minutes=20), "3 hours"), (timedelta(minutes=40), "40 minutes")],
)
def test_the_warning_says_the_time_left_in_words(app, db, card_order, staff, left, words):
    now = utcnow()
    age(db, card_order, capture_before=now + left)
    assert order_holds.alert_holds(now=now) == (1, 0)
    alerts = outbox(db, "hold-deadline:")
    assert len(alerts) == 2
    for message in alerts:
        assert message.subject.endswith(f"the card hold lapses in {words}")
        assert f"lapses in {words}, at " in message.body_text
        assert "0 h" not in message.subject + message.body_text


@pytest.mark.parametrize("late", [timedelta(0), timedelta(minutes=1), timedelta(hours=5)])
def test_a_hold_at_or_past_its_deadline_gets_only_the_lapse_never_a_warning(
    app, db, card_order, staff, late
):
    now = utcnow()
    payment = age(db, card_order, capture_before=now - late)
    assert order_holds.alert_holds(now=now) == (0, 1)
    assert outbox(db, "hold-deadline:") == []
    assert len(outbox(db, "hold-lapsed:")) == 2
    assert fresh(db, Payment, payment.id).status == "expired"
    # A later run does not warn about it either.
    assert order_holds.alert_holds(now=now + timedelta(minutes=5)) == (0, 0)
    assert outbox(db, "hold-deadline:") == []


def test_alert_holds_tells_the_orders_rep_only(app, db, card_order, staff):
    order = db.session.get(Order, card_order.id)
    order.rep_id = staff["rep"].id
    db.session.commit()
    age(db, card_order, days=5, hours=12)
    app.test_cli_runner().invoke(args=["alert-holds"])
    assert [m.to_address for m in outbox(db, "hold-deadline:")] == ["rep@example.com"]


def test_a_hold_far_from_its_deadline_is_left_alone(app, db, card_order, staff):
    age(db, card_order, days=2)
    result = app.test_cli_runner().invoke(args=["alert-holds"])
    assert "about 0 card hold(s); lapsed 0" in result.output
    assert outbox(db, "hold-") == []


@pytest.mark.both_dbs
def test_a_hold_past_its_deadline_lapses_payment_expired_never_paid(
    app, client, db, card_order, staff, stripe_peer, login
):
    payment = age(db, card_order, days=7, hours=1)
    result = app.test_cli_runner().invoke(args=["alert-holds"])
    assert "lapsed 1 hold(s)" in result.output, result.output
    payment = fresh(db, Payment, payment.id)
    assert payment.status == "expired" and payment.amount_capturable_cents == 0
    assert payment.amount_received_cents == 0
    assert stripe_intent(stripe_peer, payment).status == "canceled"  # released at Stripe
    order = fresh(db, Order, card_order.id)
    assert order.payment_state == "payment_expired"
    assert order.status == "placed"  # the sale stands; the money must be asked for again
    assert order.paid_cents == 0 and order.authorized_cents == 0
    assert order.outstanding_cents == order.total_cents
    event = db.session.scalar(
        sa.select(OrderEvent).where(
            OrderEvent.order_id == order.id, OrderEvent.kind == "payment_expired"
        )
    )
    assert event is not None and not event.visible_to_buyer and "lapsed" in event.note
    assert [m.to_address for m in outbox(db, "hold-lapsed:")] == [
        "boss@example.com",
        "boss2@example.com",
    ]
    # The staff page says "Payment expired", never "Paid".
    login(staff["manager"])
    page = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert 'data-testid="payment-state">Payment expired<' in page
    assert 'data-testid="new-payment-panel"' in page
    holds_page = client.get("/staff/holds").get_data(as_text=True)
    assert 'data-testid="expired-row"' in holds_page and order.number in holds_page
    # A second run finds nothing left to do.
    again = app.test_cli_runner().invoke(args=["alert-holds"])
    assert "lapsed 0 hold(s)" in again.output


def test_stripe_is_asked_first_a_hold_captured_meanwhile_is_not_lapsed(
    app, db, card_order, stripe_peer
):
    payment = age(db, card_order, days=8)
    stripe_client(stripe_peer).v1.payment_intents.capture(payment.stripe_payment_intent_id)
    app.test_cli_runner().invoke(args=["alert-holds"])
    payment = fresh(db, Payment, payment.id)
    assert payment.status == "succeeded"
    order = fresh(db, Order, card_order.id)
    assert order.payment_state == "paid" and order.status == "paid"


def test_stripes_own_lapse_maps_to_payment_expired(db, card_order):
    from shop.payments.services import record_intent

    payment = payment_of(db, card_order)
    record_intent(
        payment,
        {
            "status": "canceled",
            "cancellation_reason": "automatic",
            "amount": payment.amount_cents,
            "currency": "usd",
        },
    )
    db.session.commit()
    assert fresh(db, Payment, payment.id).status == "expired"
    assert fresh(db, Order, card_order.id).payment_state == "payment_expired"


def test_when_stripe_is_down_the_hold_is_left_for_the_next_run(app, db, card_order):
    from tests.operations.card_helpers import stripe_down

    payment = age(db, card_order, days=8)
    old = stripe_down(app)
    try:
        result = app.test_cli_runner().invoke(args=["alert-holds"])
    finally:
        app.config["STRIPE_API_BASE"] = old
    assert result.exit_code == 0 and "lapsed 0 hold(s)" in result.output
    assert fresh(db, Payment, payment.id).status == "authorized"


# --- a new payment after a lapse -----------------------------------------------------------------


def lapse(app, db, order: Order) -> None:
    age(db, order, days=8)
    app.test_cli_runner().invoke(args=["alert-holds"])
    assert fresh(db, Order, order.id).payment_state == "payment_expired"


def test_asking_for_a_new_payment_emails_the_pay_link_once(
    app, client, db, card_order, staff, login, stripe_peer
):
    lapse(app, db, card_order)
    login(staff["rep"])
    url = f"/staff/orders/{card_order.number}/new-payment"
    r = post_form(client, url, {"method": "card"})
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/staff/orders/{card_order.number}")
    assert post_form(client, url, {"method": "card"}).status_code == 303  # a double click
    renewals = list(
        db.session.scalars(sa.select(Payment).where(Payment.purpose.startswith("renewal")))
    )
    assert len(renewals) == 1
    renewal = renewals[0]
    assert renewal.purpose == "renewal-2" and renewal.method == "card"
    assert renewal.amount_cents == card_order.total_cents and renewal.status == "created"
    [email] = outbox(db, "order-new-payment:")
    assert email.to_address == card_order.email
    token = access_token(card_order)
    assert f"/checkout/pay/{token}" in email.body_text and "$46,540.50" in email.body_text
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "order.new_payment_requested")
    )
    assert entry.actor_id == staff["rep"].id and entry.target_id == card_order.number
    assert entry.after["purpose"] == "renewal-2"
    # The buyer pays through the pay link: the order holds money again.
    buyer = app.test_client()
    pay = f"/checkout/pay/{token}"
    assert buyer.get(pay).status_code == 200
    assert pay_json(buyer, pay + "/setup").status_code == 200
    r = pay_json(buyer, pay + "/card", {"payment_method": stripe_peer.card(VISA)})
    assert r.status_code == 200, r.get_json()
    order = fresh(db, Order, card_order.id)
    assert order.payment_state == "authorized" and order.authorized_cents == order.total_cents
    assert fresh(db, Payment, renewal.id).status == "authorized"


def test_a_new_payment_by_transfer_gets_a_bank_reference(app, client, db, card_order, staff, login):
    lapse(app, db, card_order)
    login(staff["manager"])
    post_form(client, f"/staff/orders/{card_order.number}/new-payment", {"method": "bank_transfer"})
    renewal = db.session.scalar(sa.select(Payment).where(Payment.purpose == "renewal-2"))
    assert renewal.method == "bank_transfer" and renewal.bank_reference.startswith("HH-")
    [email] = outbox(db, "order-new-payment:")
    assert renewal.bank_reference in email.body_text


def test_support_cannot_ask_for_a_new_payment_and_nothing_outstanding_is_refused(
    app, client, db, card_order, staff, login
):
    login(staff["support"])
    url = f"/staff/orders/{card_order.number}/new-payment"
    assert post_form(client, url, {"method": "card"}).status_code == 403
    post_form(client, "/account/logout", {})
    login(staff["manager"])
    # The hold is still there: nothing is outstanding beyond it.
    r = post_form(client, url, {"method": "card"}, follow_redirects=True)
    assert "Nothing is outstanding" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1


def test_request_new_payment_refuses_a_cancelled_order(db, card_order, staff):
    order = db.session.get(Order, card_order.id)
    order.status = "cancelled"
    db.session.commit()
    from shop.errors import DomainError

    with pytest.raises(DomainError, match="live order"):
        order_holds.request_new_payment(order.id, staff["manager"])


# --- two runs at once ----------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_alert_runs_at_once_alert_each_manager_once(app, db, card_order, staff):
    age(db, card_order, days=6)
    barrier = threading.Barrier(2)
    results = []

    def run():
        with app.app_context():
            barrier.wait()
            try:
                results.append(order_holds.alert_holds())
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(a for a, _ in results) == [0, 1]
    assert len(outbox(db, "hold-deadline:")) == 2  # one per manager
