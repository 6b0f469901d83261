"""Every email the store sends, made with realistic data, read as its recipient reads it.

Each template under templates/emails/ is produced here through the code that sends it (the
domain's emails.py function, or the service step that queues it) with the objects of a real
sale: a $260,838.00 order of two sailboats and a teak deck set, a consultation, a quote, a
delivery window, a ticket, a return, a card hold, a dispute. The queued outbox row (subject and
body) is then checked for what a person would trip over:

- an amount in cents ("26083800", "26083800 cents") instead of money ("$260,838.00");
- a clock time without its zone, or on a zone that is not the reader's ("UTC" to a buyer in
  Los Angeles);
- a link that does not start with PUBLIC_BASE_URL (a bare "/orders/..." path, another host), or
  that leads to no page of the store.

A template with no scenario below fails ("no data for template X"): a new email is covered the
day it is added.

Where a service step needs Stripe to get there, the scenario calls the step's own email function
with the rows that step would have (marked "no Stripe" below): order_refunded
(operations._refund_email after a refund Stripe confirmed) and hold_lapsed
(holds._tell_staff_of_lapse after Stripe voided the hold). Every other email comes from the
public function that sends it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from shop.auth.models import StaffProfile, User
from shop.auth.registration import start_registration
from shop.auth.roles import Role
from shop.auth.services import create_user, queue_verification_email
from shop.cart.services import add_item, get_or_create_cart, view_cart
from shop.consultations import emails as booking_emails
from shop.consultations.models import Booking
from shop.db import utcnow
from shop.delivery import emails as delivery_emails
from shop.delivery.models import DeliveryAppointment
from shop.notifications import services as notifications
from shop.notifications.models import OutboxMessage
from shop.orders import disputes, holds, operations
from shop.orders import emails as order_emails
from shop.orders.models import Order
from shop.orders.services import (
    Acceptance,
    Contact,
    NewLine,
    create_order,
    reference,
    refresh_amounts,
)
from shop.payments.models import Payment, Refund
from shop.payments.services import create_payment
from shop.quotes import buyer as quote_buyer
from shop.quotes import closing
from shop.quotes import services as quotes
from shop.quotes.services import LineInput, Terms
from shop.support import returns, satisfaction
from shop.support import services as support
from shop.timefmt import zone_name
from tests.conftest import PASSWORD

BASE = "https://shop.example.test"
TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "emails"
TEMPLATES = sorted(p.name for p in TEMPLATE_DIR.glob("*") if p.is_file())

# Where the people of these emails live. Nobody reads UTC: the buyer is in Los Angeles, the
# rep in Chicago, the managers in Denver, the crew in Los Angeles; Sam of support never chose a
# zone, so reads the store's (America/New_York).
BUYER_TZ = "America/Los_Angeles"
REP_TZ = "America/Chicago"
MANAGER_TZ = "America/Denver"
CREW_TZ = "America/Los_Angeles"

# A consultation and a delivery window on fixed days (winter: PST, CST, MST).
BOOKING_AT = datetime(2030, 1, 15, 18, 30, tzinfo=UTC)  # 10:30 AM in Los Angeles
WINDOW_AT = datetime(2030, 1, 16, 16, 0, tzinfo=UTC)  # 8:00 AM in Los Angeles


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config.PUBLIC_BASE_URL = BASE
    app_config.UPLOAD_FOLDER = str(tmp_path / "uploads")
    return app_config


# --- the world the emails are about ------------------------------------------------------------


class World:
    """The people and things of one sale, made on first use in the test's database."""

    def __init__(self, db, make_category, make_product):
        self.db = db
        self._make_category = make_category
        self._make_product = make_product
        self._cache: dict = {}
        self.extra_cents: set[int] = set()  # amounts in cents the data carries outside the DB

    def _once(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def person(self, role, email, name, tz=None) -> User:
        def make():
            user = create_user(email, name, PASSWORD, role)
            if tz:
                user.timezone = tz
            self.db.session.flush()
            return user

        return self._once(("person", email), make)

    def hire(self, *who: str) -> None:
        """Make these people now (the staff an email goes to must exist before it is sent)."""
        for name in who:
            getattr(self, name)

    @property
    def buyer(self) -> User:
        return self.person(Role.BUYER, "ada@example.com", "Ada Lovelace", BUYER_TZ)

    @property
    def rep(self) -> User:
        return self.person(Role.REP, "maya@example.com", "Maya Okafor", REP_TZ)

    @property
    def manager(self) -> User:
        return self.person(Role.MANAGER, "mona@example.com", "Mona Manager", MANAGER_TZ)

    @property
    def manager2(self) -> User:
        return self.person(Role.MANAGER, "max@example.com", "Max Manager", MANAGER_TZ)

    @property
    def support(self) -> User:
        return self.person(Role.SUPPORT, "sam@example.com", "Sam Support")  # never chose a zone

    @property
    def crew(self) -> User:
        return self.person(Role.CREW, "crew@example.com", "Harbor Crew", CREW_TZ)

    @property
    def boat(self):
        """A Swan 48 ($128,500.00; its version 2 $129,500.00); a $1,638.00 teak deck set."""

        def make():
            boats = self._make_category(slug="sailboats", name="Sailboats")
            swan = self._make_product(
                boats, name="Swan 48", price_cents=128_500_00, stock=5, variants=2
            )
            teak = self._make_product(boats, name="Teak deck set", price_cents=1_638_00, stock=5)
            return swan, teak

        return self._once("boat", make)

    def order(self, *, payment_method: str = "card", status: str = "placed", credit=0) -> Order:
        """Two Swan 48 ($257,000.00, white glove $1,200.00) and a teak deck set ($1,638.00),
        $1,000.00 tax: $260,838.00 in all."""
        swan, teak = self.boat
        buyer = self.buyer
        order = create_order(
            checkout_id=None,
            user_id=buyer.id,
            contact=Contact(
                email=buyer.email,
                name=buyer.name,
                phone="+1 503 555 0100",
                address_line1="12 Harbor Way",
                city="Vancouver",
                region="WA",
                postal_code="98660",
            ),
            lines=[
                NewLine(
                    variant_id=swan.variants[0].id,
                    product_id=swan.id,
                    product_name=swan.name,
                    variant_name=swan.variants[0].name,
                    sku=swan.variants[0].sku,
                    unit_price_cents=128_500_00,
                    quantity=2,
                    delivery_method="white_glove",
                    delivery_cents=1_200_00,
                    delivery_promise="In 3 to 4 weeks",
                    lead_weeks=3,
                ),
                NewLine(
                    variant_id=teak.variants[0].id,
                    product_id=teak.id,
                    product_name=teak.name,
                    variant_name=teak.variants[0].name,
                    sku=teak.variants[0].sku,
                    unit_price_cents=1_638_00,
                    quantity=1,
                    delivery_method="freight",
                    delivery_cents=0,
                    delivery_promise="In 2 weeks",
                ),
            ],
            payment_method=payment_method,
            tax_rate=Decimal("0.387"),
            tax_cents=1_000_00,
            acceptance=Acceptance(
                terms_version="2026-11",
                accepted_at=utcnow(),
                ip_address="203.0.113.9",
                user_agent="Mozilla/5.0 (TestBrowser)",
            ),
            credit_cents=credit,
        )
        assert order.total_cents == 260_838_00
        order.status = status
        order.placed_at = utcnow()
        self.db.session.flush()
        return order

    def payment(self, order: Order, status: str, **values) -> Payment:
        """A payment of the order as Stripe or the bank left it; the order's amounts follow."""
        payment = Payment(
            reference=reference(order),
            purpose=values.pop("purpose", "full"),
            method=values.pop("method", "card"),
            status=status,
            currency="USD",
            amount_cents=values.pop("amount_cents", order.total_cents),
            **values,
        )
        self.db.session.add(payment)
        self.db.session.flush()
        refresh_amounts(order)
        return payment

    def delivered(self, **kw) -> Order:
        """The order, paid by card (captured) and delivered three days ago."""
        order = self.order(status="delivered", **kw)
        order.delivered_at = utcnow() - timedelta(days=3)
        self.payment(
            order,
            "succeeded",
            amount_received_cents=order.total_cents,
            authorized_at=utcnow() - timedelta(days=20),
            stripe_payment_intent_id=f"pi_{order.number}",
        )
        return order

    def return_ticket(self, order: Order, line_index: int):
        line = order.lines[line_index]
        return support.open_ticket(
            kind="return_request",
            subject=f"Return of the {line.product_name}",
            body="It does not fit our mooring after all; we would like to send it back.",
            email=order.email,
            name=order.name,
            buyer=self.buyer,
            order=order,
            order_line_ids=[line.id],
        )

    def booking(self) -> Booking:
        booking = Booking(
            reference="BK-7Q2KXM",
            rep_id=self.rep.id,
            buyer_id=self.buyer.id,
            name=self.buyer.name,
            email=self.buyer.email,
            phone="+1 503 555 0100",
            channel="video",
            starts_at=BOOKING_AT,
            ends_at=BOOKING_AT + timedelta(minutes=45),
            buyer_timezone=BUYER_TZ,
            budget="$250,000 to $300,000",
            timeline="This spring",
            known="Sailed a Swan 44 for years.",
            message="We would like to talk about the Swan 48 for coastal cruising.",
        )
        self.db.session.add(booking)
        self.db.session.flush()
        return booking

    def appointment(self, order: Order, crew: User, reference: str = "DL-4H7KQP"):
        appointment = DeliveryAppointment(
            reference=reference,
            order_id=order.id,
            crew_id=crew.id,
            starts_at=WINDOW_AT,
            ends_at=WINDOW_AT + timedelta(hours=4),
            status="booked",
            # As `delivery.services.book` writes it: the crew's zone.
            buyer_timezone=crew.timezone or "UTC",
            booked_by_label="Harbor Crew",
        )
        self.db.session.add(appointment)
        self.db.session.flush()
        return appointment

    def quote(self, days: int = 14, **terms) -> int:
        """A quote by the rep for the buyer: two Swan 48 and the teak set, 10 % deposit."""
        swan, teak = self.boat
        quote = quotes.create_quote(self.rep, buyer_id=self.buyer.id)
        quotes.save_version(
            quote.id,
            self.rep,
            Terms(
                valid_until=utcnow() + timedelta(days=days),
                deposit_pct=Decimal("10"),
                note_to_buyer="Delivered to your marina in Portland and commissioned there.",
                lines=[
                    LineInput(kind="catalog", variant_id=swan.variants[0].id, quantity=2),
                    LineInput(kind="catalog", variant_id=teak.variants[0].id, quantity=1),
                ],
                **terms,
            ),
        )
        self.db.session.flush()
        return quote.id


@pytest.fixture
def world(db, make_category, make_product):
    return World(db, make_category, make_product)


def loaded(db, order: Order) -> Order:
    """The order as senders hold it: read fresh, its lines loaded."""
    db.session.flush()
    return db.session.scalar(
        sa.select(Order)
        .where(Order.id == order.id)
        .options(sa.orm.selectinload(Order.lines))
        .execution_options(populate_existing=True)
    )


# --- one scenario per template ----------------------------------------------------------------


@dataclass
class Expect:
    """What the emails of a template must say: `all` in every one, `to[address]` in those to
        that address, `some[template]` each in one of that template's emails at least (one variant's
    words). `zones`: zones
        other than the reader's that a time may be on (a delivery window is on the crew's clock)."""

    all: list[str] = field(default_factory=list)
    to: dict[str, list[str]] = field(default_factory=dict)
    some: dict[str, list[str]] = field(default_factory=dict)
    zones: set[str] = field(default_factory=set)


SCENARIOS: dict[str, Callable[[World], Expect]] = {}


def scenario(*names: str):
    def register(fn):
        for name in names:
            assert name not in SCENARIOS, name
            SCENARIOS[name] = fn
        return fn

    return register


ORDER_FIGURES = ["$260,838.00", "$257,000.00", "$1,638.00", "$258,638.00", "$1,200.00"]


@scenario("order_confirmation")
def _order_confirmation(w: World) -> Expect:
    card = w.order()
    w.payment(card, "authorized", amount_capturable_cents=card.total_cents, authorized_at=utcnow())
    order_emails.confirmation(loaded(w.db, card), "card_authorized")
    # $20,000.00 paid with store credit, the rest by bank transfer.
    transfer = w.order(payment_method="bank_transfer", credit=20_000_00)
    w.payment(
        transfer,
        "received",
        method="bank_transfer",
        amount_cents=transfer.due_cents,
        amount_received_cents=transfer.due_cents,
    )
    order_emails.confirmation(loaded(w.db, transfer), "transfer_received")
    return Expect(
        all=[*ORDER_FIGURES, "$1,000.00", "Vancouver, WA 98660"],
        some={
            "order_confirmation": [
                "authorized for $260,838.00",
                "bank transfer of $240,838.00 arrived",
            ]
        },
    )


@scenario("order_bank_transfer")
def _order_bank_transfer(w: World) -> Expect:
    order = w.order(payment_method="bank_transfer", status="awaiting_funds", credit=20_000_00)
    order.funds_due_at = utcnow() + timedelta(days=5)
    create_payment(reference(order), "bank_transfer", order.due_cents, "USD")
    order_emails.bank_details(loaded(w.db, order))
    return Expect(all=[*ORDER_FIGURES, "$240,838.00", "$20,000.00"])


@scenario("order_cancelled")
def _order_cancelled(w: World) -> Expect:
    order = w.order()
    order_emails.cancelled(loaded(w.db, order), "the Swan 48 is no longer built in this color.")
    return Expect(all=["no longer built in this color"])


@scenario("order_confirmed")
def _order_confirmed(w: World) -> Expect:
    order = w.order(status="confirmed")
    # A 10 % deposit held on the card; the balance is asked for later.
    w.payment(
        order,
        "authorized",
        purpose="deposit",
        amount_cents=26_083_80,
        amount_capturable_cents=26_083_80,
        authorized_at=utcnow(),
    )
    order_emails.status_changed(loaded(w.db, order), "confirmed")
    return Expect(all=["$26,083.80", "$234,754.20", "$260,838.00"])


@scenario("order_delivered")
def _order_delivered(w: World) -> Expect:
    order = w.delivered()
    order_emails.status_changed(loaded(w.db, order), "delivered", "Placed at slip 14, E dock.")
    return Expect(all=["slip 14"])


@scenario("order_completed")
def _order_completed(w: World) -> Expect:
    order = w.delivered()
    order.status = "completed"
    order_emails.status_changed(loaded(w.db, order), "completed")
    return Expect(all=["complete"])


@scenario("order_refunded")
def _order_refunded(w: World) -> Expect:
    # No Stripe: the email `operations` queues once Stripe confirms a refund, for such a refund.
    order = w.delivered()
    payment = w.db.session.scalar(sa.select(Payment).where(Payment.reference == reference(order)))
    payment.amount_refunded_cents = 130_138_00  # this refund and an earlier $1,638.00
    refund = Refund(
        payment_id=payment.id,
        amount_cents=128_500_00,
        reason="One Swan 48 returned",
        status="succeeded",
        requested_by_label="Mona Manager <mona@example.com> (manager)",
    )
    w.db.session.add(refund)
    w.db.session.flush()
    operations._refund_email(loaded(w.db, order), payment, refund)
    return Expect(all=["$128,500.00", "$130,138.00"])


@scenario("order_balance")
def _order_balance(w: World) -> Expect:
    for method in ("card", "bank_transfer"):
        order = w.order(status="confirmed")
        w.payment(  # the 10 % deposit, received
            order,
            "succeeded",
            amount_cents=26_083_80,
            amount_received_cents=26_083_80,
            purpose="deposit",
        )
        closing.request_balance(order.id, w.manager, method)
    return Expect(all=["$234,754.20"])


@scenario("hold_new_payment")
def _hold_new_payment(w: World) -> Expect:
    for method in ("card", "bank_transfer"):
        order = w.order(status="placed")
        w.payment(order, "expired", authorized_at=utcnow() - timedelta(days=8))
        holds.request_new_payment(order.id, w.manager, method)
    return Expect(all=["$260,838.00"])


def _held_order(w: World) -> tuple[Order, Payment]:
    order = w.order(status="placed")
    order.rep_id = w.rep.id
    payment = w.payment(
        order,
        "authorized",
        amount_capturable_cents=order.total_cents,
        authorized_at=utcnow() - timedelta(days=6),
    )
    return order, payment


@scenario("hold_deadline")
def _hold_deadline(w: World) -> Expect:
    _held_order(w)
    w.db.session.commit()  # the job reads and claims committed rows
    assert holds.alert_holds() == (1, 0)
    return Expect(to={"maya@example.com": ["$260,838.00", "CST"]})


@scenario("hold_lapsed")
def _hold_lapsed(w: World) -> Expect:
    # No Stripe: `alert_holds` sends this once Stripe has voided the lapsed authorization.
    order, payment = _held_order(w)
    payment.status = "expired"
    payment.amount_capturable_cents = 0
    refresh_amounts(order)
    holds._tell_staff_of_lapse(payment)
    return Expect(all=["$260,838.00"])


@scenario("dispute_opened", "dispute_closed")
def _disputes(w: World) -> Expect:
    w.hire("manager", "manager2")  # the managers hear of disputes
    order = w.delivered()
    payment = w.db.session.scalar(sa.select(Payment).where(Payment.reference == reference(order)))
    dispute = {"id": "dp_1Q2w3E", "status": "needs_response", "reason": "product_not_received"}
    disputes.on_dispute(order, payment, {**dispute, "amount": 128_500_00})
    disputes.on_dispute(order, payment, {**dispute, "status": "lost"})
    return Expect()


@scenario("delivery_confirmed", "delivery_rescheduled", "delivery_cancelled", "delivery_reminder")
def _delivery(w: World) -> Expect:
    order = w.order(status="delivery_scheduled")
    w.payment(order, "succeeded", amount_received_cents=order.total_cents)
    order = loaded(w.db, order)
    # The seeded crew reads Los Angeles; a crew member who never chose a zone reads the store's.
    newcomer = w.person(Role.CREW, "lee@example.com", "Lee Newcomer")
    for crew, ref in ((w.crew, "DL-4H7KQP"), (newcomer, "DL-9M3RTW")):
        appointment = w.appointment(order, crew, ref)
        delivery_emails.confirmed(appointment, order, crew)
        delivery_emails.reminder(appointment, order, crew)
        appointment.link_version += 1
        delivery_emails.rescheduled(appointment, order, crew)
        appointment.link_version += 1
        delivery_emails.cancelled(appointment, order, crew, "the crane at the marina is down.")
    return Expect(all=["Wednesday, January 16"], zones={zone_name(None)})


@scenario("delivery_pick")
def _delivery_pick(w: World) -> Expect:
    order = w.order(status="paid")
    w.payment(order, "succeeded", amount_received_cents=order.total_cents)
    delivery_emails.pick(loaded(w.db, order), utcnow())
    return Expect(all=["12 Harbor Way, Vancouver, WA, 98660"])


@scenario("booking_confirmed", "booking_rescheduled", "booking_cancelled", "booking_reminder")
def _bookings(w: World) -> Expect:
    booking = w.booking()
    booking_emails.confirmation(booking)
    booking_emails.reminder(booking, "24h")
    booking.link_version += 1
    booking_emails.rescheduled(booking)
    booking.link_version += 1
    booking_emails.cancelled(booking)
    return Expect(
        to={
            "ada@example.com": ["Tuesday, January 15 at 10:30 AM PST"],
            "maya@example.com": ["Tuesday, January 15 at 12:30 PM CST"],
        }
    )


QUOTE_TOTAL = "$258,638.00"  # 2 x $128,500.00 + $1,638.00


@scenario("quote_sent")
def _quote_sent(w: World) -> Expect:
    quotes.send(w.quote(), w.rep)
    return Expect(all=[QUOTE_TOTAL, "$25,863.80"])


@scenario("quote_decision")
def _quote_decision(w: World) -> Expect:
    profile = w.db.session.scalar(sa.select(StaffProfile).where(StaffProfile.user_id == w.rep.id))
    profile.max_discount_pct = Decimal("5")
    for approve in (True, False):
        quote_id = w.quote(discount_kind="percent", discount_value=Decimal("8"))
        quotes.submit(quote_id, w.rep, "A returning buyer.")
        if approve:
            quotes.approve(quote_id, w.manager, "Fine for a returning buyer.")
        else:
            quotes.reject(quote_id, w.manager, "Keep it to 5 % and offer the cover instead.")
    return Expect()


@scenario("quote_reminder_buyer", "quote_reminder_rep")
def _quote_reminders(w: World) -> Expect:
    quote_id = w.quote(days=5)
    quotes.send(quote_id, w.rep)
    w.db.session.commit()  # the job reads committed rows
    until = w.db.session.get(quotes.Quote, quote_id).valid_until
    assert quotes.remind_quotes(until - timedelta(hours=47)) == 1  # the buyer, 48 h before
    assert quotes.remind_quotes(until - timedelta(hours=23)) == 1  # the rep, 24 h before
    return Expect(to={"ada@example.com": ["PST"], "maya@example.com": ["CST"]})


@scenario("quote_request_received", "quote_buyer_to_rep")
def _quote_request(w: World) -> Expect:
    swan, _teak = w.boat
    w.hire("rep")  # the rep who takes requests
    cart = get_or_create_cart(user_id=w.buyer.id)
    add_item(cart, swan.variants[0].id, 2)
    w.db.session.flush()
    quote = quote_buyer.request_quote(
        view_cart(user_id=w.buyer.id).lines,
        quote_buyer.Contact(name=w.buyer.name, email=w.buyer.email),
        buyer_id=w.buyer.id,
        comment="Could you include commissioning at our marina in Portland?",
    )
    # On a quote the rep sent: the buyer asks for changes, then declines.
    sent = w.quote()
    quotes.send(sent, w.rep)
    sent = w.db.session.get(quotes.Quote, sent)
    quote_buyer.post_message(sent, "Could the teak set be fitted before delivery?", True)
    quote_buyer.decline(sent, "We bought a boat closer to home.")
    return Expect(to={"ada@example.com": [quote.number]})


@scenario("quote_rep_to_buyer")
def _quote_rep_to_buyer(w: World) -> Expect:
    quote_id = w.quote()
    quotes.send(quote_id, w.rep)
    quotes.message_buyer(quote_id, w.rep, "The teak set can be fitted at the yard before delivery.")
    return Expect(all=["fitted at the yard"])


@scenario("registration_confirm", "registration_attempt")
def _registration(w: World) -> Expect:
    start_registration("nia@example.com", "Nia Newcomer", PASSWORD)
    start_registration(w.buyer.email, "Ada Lovelace", PASSWORD)  # the address has an account
    return Expect()


@scenario("verify_email")
def _verify_email(w: World) -> Expect:
    queue_verification_email(w.buyer)
    return Expect(all=["ada@example.com"])


def _question(w: World):
    return support.open_ticket(
        kind="question",
        subject="Mast height of the Swan 48",
        body="Will the Swan 48 pass under the Burnside Bridge with its mast up?",
        email=w.buyer.email,
        name=w.buyer.name,
        buyer=w.buyer,
    )


@scenario("ticket_received", "ticket_to_staff", "ticket_reply", "ticket_status", "ticket_assigned")
def _tickets(w: World) -> Expect:
    w.hire("support", "rep")
    ticket = _question(w)
    support.post_message(
        ticket.id, author=w.support, body="The mast clears 26 m; the bridge opens on request."
    )
    support.set_status(ticket.id, "waiting_on_buyer", w.support)
    support.post_message(ticket.id, author=w.buyer, body="Thank you, that settles it.")
    support.reassign(ticket.id, actor=w.support, assignee_id=w.rep.id)
    support.set_status(ticket.id, "solved", w.rep)
    return Expect()


@scenario("rating_low")
def _rating_low(w: World) -> Expect:
    w.hire("manager")
    ticket = _question(w)
    support.set_status(ticket.id, "solved", w.support)
    satisfaction.rate(ticket.id, 2, "It took a week to hear back.")
    return Expect(all=["2 out of 5"])


@scenario("return_approved", "return_received")
def _return_steps(w: World) -> Expect:
    order = loaded(w.db, w.delivered())
    ticket = w.return_ticket(order, 0)
    returns.approve(ticket.id, w.support, "Bring it to our Portland yard; we lift it out.")
    returns.mark_received(ticket.id, w.support)
    return Expect(all=[order.number])


@scenario("return_declined")
def _return_declined(w: World) -> Expect:
    order = loaded(w.db, w.delivered())
    ticket = w.return_ticket(order, 1)
    returns.decline(ticket.id, w.support, "The deck set was cut to fit and cannot be resold.")
    return Expect(all=["cut to fit"])


@scenario("return_settled", "return_credit")
def _return_settled(w: World) -> Expect:
    w.hire("manager", "manager2")
    # One Swan 48 refunded to the card: above $10,000.00 a second manager approves it.
    order = loaded(w.db, w.delivered())
    ticket = w.return_ticket(order, 0)
    returns.approve(ticket.id, w.manager)
    returns.mark_received(ticket.id, w.manager)
    refunded = returns.settle(ticket.id, "refund", w.manager, amount_cents=128_500_00)
    assert refunded.refund.status == "pending_approval"
    # The teak set as store credit, given at once; a Swan 48 as store credit, approved after.
    for line_index, amount in ((1, 1_638_00), (0, 128_500_00)):
        order = loaded(w.db, w.delivered())
        ticket = w.return_ticket(order, line_index)
        returns.approve(ticket.id, w.manager)
        returns.mark_received(ticket.id, w.manager)
        returns.settle(ticket.id, "store_credit", w.manager, amount_cents=amount)
    [grant] = returns.pending_credit()
    returns.approve_credit(grant.id, w.manager2)
    # Both Swan 48 exchanged for version 2: $2,000.00 more, plus Washington's 6.5 % tax on it.
    swan, _teak = w.boat
    order = loaded(w.db, w.delivered())
    ticket = w.return_ticket(order, 0)
    returns.approve(ticket.id, w.manager)
    returns.mark_received(ticket.id, w.manager)
    returns.settle(ticket.id, "exchange", w.manager, exchange_variant_id=swan.variants[1].id)
    return Expect(
        some={
            "return_settled": [
                "refunding $128,500.00 to the card",
                "added $1,638.00 of store credit",
                "adding $128,500.00 of store credit",
                "difference of $2,000.00 plus $130.00 sales tax, $2,130.00 in all",
            ],
            "return_credit": ["$128,500.00 is now in your account"],
        }
    )


# --- the checks --------------------------------------------------------------------------------

CENTS_WORD = re.compile(r"\d\s*(?:cents?\b|¢)|\bcents?\s*\d", re.IGNORECASE)
# A number standing alone: not part of "$1,234.00", an order number (HH-7Q2K3M) or a word.
NUMBER = re.compile(r"(?<![\w$.,/-])\d[\d,]*(?:\.\d+)?(?![\w-])")
DOLLARS = re.compile(r"\$(\d{1,3}(?:,\d{3})*)(?:\.(\d{2}))?(?![\d,])")
CLOCK_TEXT = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?"
CLOCK = re.compile(r"\b" + CLOCK_TEXT)
RANGE_END = re.compile(r"\s*(?:-|\u2013|\u2014|to)\s*" + CLOCK_TEXT)  # "8:00 AM - 12:00 PM PST"
ZONE = re.compile(r"\s*\(?([A-Z][A-Za-z_]*(?:/[A-Za-z_]+)+|[A-Z]{2,5}(?:[+-]\d{1,4})?)\b")
URL = re.compile(r"""https?://[^\s<>"']+""")
HREF = re.compile(r"""(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
BARE_PATH = re.compile(r"""(?:^|[\s("'>:])(/[A-Za-z0-9_][^\s<>"']*)""", re.MULTILINE)
TAG = re.compile(r"<[^>]+>")


def known_cents(db, extra: set[int]) -> set[int]:
    """Every amount of the data, in cents (any `*_cents` column), from $100.00 up: a smaller
    number could be anything (a quantity, a year, a slip number)."""
    found = set(extra)
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith("_cents"):
                found.update(db.session.scalars(sa.select(column).distinct()))
    return {c for c in found if c is not None and c >= 100_00}


def zone_names(name: str) -> set[str]:
    """How a zone is written after a time: its abbreviations (winter and summer) or its name."""
    zone = ZoneInfo(name)
    names = {name}
    for year in (utcnow().year, utcnow().year + 1, 2030):
        for month in (1, 7):
            names.add(datetime(year, month, 15, 12, tzinfo=zone).tzname())
    return names


def reader_zone(db, address: str) -> str:
    """The recipient's zone as they chose it; the store's for nobody or a never-chosen "UTC"."""
    chosen = db.session.scalar(
        sa.select(User.timezone).where(sa.func.lower(User.email) == address.lower())
    )
    return zone_name(chosen)


def money_problems(text: str, cents: set[int]) -> list[str]:
    found = []
    for m in CENTS_WORD.finditer(text):
        found.append(f"an amount in cents: {m.group(0)!r}")
    for m in NUMBER.finditer(text):
        token = m.group(0).rstrip(".,")
        if re.fullmatch(r"\d[\d,]*\.\d{2}", token):
            found.append(f"an amount without its currency: {token!r}")
        elif "." not in token and int(token.replace(",", "")) in cents:
            found.append(f"an amount printed in cents: {token!r}")
    for m in re.finditer(r"\$\S*", text):
        money = DOLLARS.match(text, m.start())
        if money is None:
            found.append(f"a dollar sign not followed by money: {m.group(0)!r}")
        elif int(money.group(1).replace(",", "")) in cents:
            found.append(f"cents shown as dollars: {money.group(0)!r}")
    return found


def time_problems(text: str, zones: set[str]) -> list[str]:
    found = []
    for m in CLOCK.finditer(text):
        rest = text[m.end() : m.end() + 60]
        end = RANGE_END.match(rest)
        if end:
            rest = rest[end.end() :]
        zone = ZONE.match(rest)
        if zone is None:
            found.append(f"a time without its zone: {text[m.start() : m.end() + 12]!r}")
        elif zone.group(1) not in zones:
            found.append(
                f"a time on {zone.group(1)!r}, not the reader's zone ({sorted(zones)}): "
                f"{text[m.start() : m.end() + 12]!r}"
            )
    if "UTC" not in zones and re.search(r"\bUTC\b", text):
        found.append("'UTC' shown to a reader who is not on UTC")
    return found


def link_problems(app, text: str, html: bool) -> list[str]:
    found = []
    links = [u.rstrip(".,;:)!?") for u in URL.findall(text)]
    if html:
        links += HREF.findall(text)
        text = TAG.sub(" ", text)
    for m in BARE_PATH.finditer(text):
        found.append(f"a path without the public base URL: {m.group(1)!r}")
    adapter = app.url_map.bind(urlsplit(BASE).netloc, url_scheme="https")
    for link in links:
        if not link.startswith(BASE + "/"):
            found.append(f"a link not on {BASE}: {link!r}")
            continue
        path = urlsplit(link).path
        try:
            adapter.match(path, method="GET")
        except RequestRedirect:
            pass
        except (NotFound, MethodNotAllowed) as exc:
            found.append(f"a link to no page ({type(exc).__name__}): {link!r}")
    return found


def problems_of(app, db, message: OutboxMessage, html: bool, cents: set[int], also: set[str]):
    zones = set().union(*(zone_names(z) for z in {reader_zone(db, message.to_address), *also}))
    body = message.body_html if html else message.body_text
    readable = TAG.sub(" ", body) if html else body
    found = []
    for where, text in (("subject", message.subject), ("body", readable)):
        found += [f"{where}: {p}" for p in money_problems(text, cents)]
        found += [f"{where}: {p}" for p in time_problems(text, zones)]
    found += [f"subject: {p}" for p in link_problems(app, message.subject, False)]
    found += [f"body: {p}" for p in link_problems(app, body, html)]
    return found


@pytest.fixture
def rendered(monkeypatch):
    """(template, text body) of every email queued: which outbox rows came from which file."""
    seen: list[tuple[str, str]] = []
    render = notifications._render_bodies

    def spy(template, context):
        text, html = render(template, context)
        seen.append((template, text))
        return text, html

    monkeypatch.setattr(notifications, "_render_bodies", spy)
    return seen


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_email_shows_money_zoned_times_and_public_links(app, db, world, rendered, template):
    stem, ext = template.rsplit(".", 1)
    make = SCENARIOS.get(stem)
    assert make is not None, (
        f"no data for template {template}: add a scenario for it in {Path(__file__).name}"
    )
    expect = make(world)
    db.session.flush()
    bodies = {text for name, text in rendered if name == stem}
    messages = [
        m
        for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        if m.body_text in bodies
    ]
    assert messages, f"{template}: the scenario queued no email from it"
    cents = known_cents(db, world.extra_cents)
    failures = []
    for text in expect.some.get(stem, []):
        if not any(text in (m.body_html if ext == "html" else m.body_text) for m in messages):
            failures.append(f"{text!r} is in none of its emails")
    for message in messages:
        body = message.body_html if ext == "html" else message.body_text
        if ext == "html" and not body:
            failures.append(f"to {message.to_address}: no HTML body")
            continue
        for text in [*expect.all, *expect.to.get(message.to_address, [])]:
            if text not in body:
                failures.append(f"to {message.to_address}: {text!r} is not in the email")
        failures += [
            f"to {message.to_address}: {p}"
            for p in problems_of(app, db, message, ext == "html", cents, expect.zones)
        ]
    assert not failures, (
        f"{template}:\n"
        + "\n".join(failures)
        + "\n\n"
        + "\n---\n".join(
            f"Subject: {m.subject}\n{m.body_html if ext == 'html' else m.body_text}"
            for m in messages
        )
    )


# --- the checks themselves can fail --------------------------------------------------------------

GOOD = (
    "Total: $260,838.00, due Dec 8, 2026, 3:13 PM PST (8:00 AM - 12:00 PM PST). "
    f"Order 2 x Swan 48, HH-7Q2K3M: {BASE}/account/login."
)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Total: 26083800", "printed in cents"),
        ("Total: 26,083,800", "printed in cents"),
        ("Total: 26083800 cents", "in cents"),
        ("Total: $26,083,800.00", "cents shown as dollars"),
        ("Total: 260,838.00", "without its currency"),
        ("Total: $260838", "not followed by money"),
        ("Your call is at 3:00 PM.", "without its zone"),
        ("Your window is 8:00 AM - 12:00 PM.", "without its zone"),
        ("Your call is at 3:00 PM +0100.", "without its zone"),
        ("Your call is at 11:00 PM UTC.", "not the reader's zone"),
        ("Your call is at 6:00 PM EST.", "not the reader's zone"),
        ("Times are in UTC.", "'UTC' shown"),
        ("See /orders/HH-7Q2K3M for details.", "without the public base URL"),
        ("See http://127.0.0.1:5000/orders/HH-7Q2K3M", "not on https://shop.example.test"),
        (f"See {BASE}/no/such/page", "to no page"),
        ('<a href="/account/login">Log in</a>', "not on https://shop.example.test"),
    ],
)
def test_the_checks_catch_what_they_are_for(app, text, problem):
    cents = {260_838_00, 128_500_00}
    zones = zone_names(BUYER_TZ)
    assert not money_problems(GOOD, cents) + time_problems(GOOD, zones)
    assert not link_problems(app, GOOD, False)
    found = (
        money_problems(text, cents)
        + time_problems(text, zones)
        + link_problems(app, text, text.startswith("<"))
    )
    assert any(problem in p for p in found), found
