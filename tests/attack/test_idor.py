"""IDOR: every object a buyer can reach answers 404 to another buyer and to a tampered link.

Objects behind a signed link (guest order, quote, booking, guest ticket, delivery) are reached
by whoever holds the link, as the emails intend; the link names one object, its signature
cannot be forged or moved to another kind of link, and orders and quotes also refuse a
*different* signed-in buyer who got hold of the link. Objects reached by number or id
(orders, tickets, attachments) are scoped to the signed-in buyer.

COVERAGE lists every buyer-facing GET route of the URL map with an argument; a new one fails
`test_every_buyer_route_with_an_argument_is_covered` until it is added with its test."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer
from werkzeug.datastructures import FileStorage

from shop.auth.roles import Role
from shop.consultations import services as consultations
from shop.delivery import services as delivery
from shop.orders.services import access_token
from shop.orders.states import OrderStatus
from shop.quotes import services as quotes
from shop.support import services as support
from shop.support.models import TicketMessage
from shop.support.uploads import store_files
from tests.conftest import PASSWORD, post_form
from tests.quotes.conftest import terms

# endpoint -> the test below that attacks it, or why no object stands behind the argument.
COVERAGE = {
    "orders.detail": "test_orders",
    "orders.guest_view": "test_orders",
    "checkout.pay": "test_orders",
    "quotes.view": "test_quotes",
    "quotes.pay_quote": "test_quotes",
    "consultations.manage": "test_bookings",
    "consultations.invite_file": "test_bookings",
    "consultations.reschedule": "test_bookings",
    "support.thread": "test_tickets",
    "support.guest_thread": "test_tickets",
    "support.new_guest": "test_tickets",
    "support_files.download": "test_attachments",
    "delivery.window": "test_delivery_links",
}
NOT_AN_OBJECT = {
    "catalog.category": "public catalog page",
    "catalog.product": "public catalog page",
    "auth.verify_email": "one-use verification link; tampered: 400 (tests/auth/test_verify_email)",
    "auth.confirm_registration": "random one-use sign-up link, before any account exists; "
    "unknown or used: 400 (tests/auth/test_registration)",
}


def test_every_buyer_route_with_an_argument_is_covered(app):
    found = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and rule.arguments
        and rule.endpoint != "static"
        and not rule.rule.startswith("/staff")
    }
    missing = found - COVERAGE.keys() - NOT_AN_OBJECT.keys()
    assert not missing, f"buyer routes with an object argument and no IDOR test: {missing}"
    assert not (COVERAGE.keys() | NOT_AN_OBJECT.keys()) - found, "stale entries"
    for test in set(COVERAGE.values()):
        assert callable(globals().get(test)), test


def tamper(token: str) -> list[str]:
    """Damaged versions of a signed link: a changed signature, a cut one, a changed payload."""
    head, _, sig = token.rpartition(".")
    # Change the FIRST character: the last one of a base64 signature also carries padding bits,
    # so changing it can decode to the same bytes (a valid signature, and a flaky test).
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    return [f"{head}.{flipped}", head, token + "x", "x" + token, token[:-4], "forged"]


def forge(salt: str, payload) -> str:
    """A link for another object, signed with the right salt but the wrong key."""
    return URLSafeSerializer("not-the-secret-key", salt=salt).dumps(payload)


def resign(app, salt: str, payload) -> str:
    """The right key with another kind of link's salt (links must not be interchangeable)."""
    return URLSafeSerializer(app.config["SECRET_KEY"], salt=salt).dumps(payload)


def assert_404(client, url: str):
    response = client.get(url)
    response.close()
    assert response.status_code == 404, (url, response.status_code)


@pytest.fixture
def stranger(make_user):
    return make_user(Role.BUYER, email="mallory@example.com", name="Mallory Other")


def test_orders(app, client, db, login, make_delivered_order, stranger):
    mine = make_delivered_order()
    order = mine.order
    token = access_token(order)
    assert client.get(f"/orders/view/{token}").status_code == 200  # the guest link works
    login(stranger)
    assert_404(client, f"/orders/{order.number}")
    assert_404(client, f"/orders/view/{token}")  # a signed-in stranger with the link
    assert order.number not in client.get("/orders/").get_data(as_text=True)
    for bad in [
        *tamper(token),
        forge("order-link", order.number),
        resign(app, "quote-link", order.number),
        resign(app, "delivery-link", ["o", order.number]),
    ]:
        assert_404(client, f"/orders/view/{bad}")
        assert_404(client, f"/checkout/pay/{bad}")
    # The owner still sees it, by number and through the link.
    other = app.test_client()
    post_form(other, "/account/login", {"email": mine.buyer.email, "password": PASSWORD})
    assert other.get(f"/orders/{order.number}").status_code == 200
    assert other.get(f"/orders/view/{token}").status_code == 200


def test_quotes(app, client, db, login, team, variant, stranger):
    quote = quotes.create_quote(team["maya"], buyer_id=team["buyer"].id)
    quotes.save_version(quote.id, team["maya"], terms(variant.id, 1))
    quotes.send(quote.id, team["maya"])
    db.session.commit()
    token = quotes.quote_link_token(quote)
    login(stranger)
    assert_404(client, f"/quotes/v/{token}")
    assert_404(client, f"/quotes/v/{token}/pay")
    assert quote.number not in client.get("/quotes/mine").get_data(as_text=True)
    for bad in [
        *tamper(token),
        forge("quote-link", quote.number),
        resign(app, "order-link", quote.number),
    ]:
        assert_404(client, f"/quotes/v/{bad}")
        assert_404(client, f"/quotes/v/{bad}/pay")


MONDAY = datetime(2030, 3, 4, tzinfo=UTC)


def test_bookings(app, client, db, login, reps, sailboats, stranger, make_user):
    owner = make_user(Role.BUYER, email="ada@example.com", name="Ada Lovelace")
    request = consultations.Request(
        channel="video",
        name="Ada Lovelace",
        email="ada@example.com",
        phone="555",
        buyer_timezone="Europe/London",
        category_id=sailboats.id,
        buyer_id=owner.id,
    )
    booking = consultations.book(
        request, MONDAY.replace(hour=17), reps["maya"].id, now=MONDAY - timedelta(days=2)
    )
    db.session.commit()
    token = consultations.link_token(booking)
    login(stranger)
    assert booking.reference not in client.get("/consultations/mine").get_data(as_text=True)
    for bad in [
        *tamper(token),
        forge("booking-link", [booking.id, booking.link_version]),
        resign(app, "ticket-link", [booking.id, booking.link_version]),
        resign(app, "booking-link", [booking.id, booking.link_version + 1]),  # superseded
        resign(app, "booking-link", [booking.id + 1, booking.link_version]),
    ]:
        for suffix in ("", "/invite.ics", "/reschedule"):
            assert_404(client, f"/consultations/b/{bad}{suffix}")


def test_tickets(app, client, db, login, make_delivered_order, stranger):
    mine = make_delivered_order()
    guest = make_delivered_order(buyer=False)
    ticket = support.open_ticket(
        kind="question",
        subject="About the bench",
        body="Which wood?",
        email=mine.order.email,
        name=mine.order.name,
        buyer=mine.buyer,
        order=mine.order,
    )
    db.session.commit()
    token = support.ticket_link_token(ticket)
    order_token = access_token(guest.order)
    login(stranger)
    assert_404(client, f"/support/{ticket.number}")
    assert ticket.number not in client.get("/support/").get_data(as_text=True)
    for bad in [
        *tamper(token),
        forge("ticket-link", [ticket.id, ticket.link_version]),
        resign(app, "booking-link", [ticket.id, ticket.link_version]),
        resign(app, "ticket-link", [ticket.id, ticket.link_version + 1]),
    ]:
        assert_404(client, f"/support/t/{bad}")
    for bad in [*tamper(order_token), resign(app, "ticket-link", guest.order.number)]:
        assert_404(client, f"/support/new/{bad}")


JPEG_HEADER = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def test_attachments(app, client, db, login, make_delivered_order, stranger, make_user):
    mine = make_delivered_order()
    ticket = support.open_ticket(
        kind="question",
        subject="Scratched lid",
        body="See the photo.",
        email=mine.order.email,
        name=mine.order.name,
        buyer=mine.buyer,
        order=mine.order,
    )
    db.session.flush()
    message = db.session.scalar(
        sa.select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
    )
    pdf = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    (attachment,) = store_files(
        ticket.id,
        message.id,
        [FileStorage(io.BytesIO(pdf), filename="receipt.pdf", content_type="application/pdf")],
        mine.buyer,
    )
    db.session.commit()
    token = support.ticket_link_token(ticket)
    assert_404(client, f"/support/files/{attachment.id}")  # nobody signed in, no link
    login(stranger)
    assert_404(client, f"/support/files/{attachment.id}")
    assert_404(client, f"/support/files/{attachment.id + 1}")
    for bad in tamper(token):
        assert_404(client, f"/support/files/{attachment.id}?t={bad}")
    # A valid link of another ticket opens nothing of this one.
    other = make_delivered_order(buyer=False)
    other_ticket = support.open_ticket(
        kind="question",
        subject="Mine",
        body="Hello",
        email=other.order.email,
        name=other.order.name,
        buyer=None,
        order=other.order,
    )
    db.session.commit()
    other_token = support.ticket_link_token(other_ticket)
    assert_404(client, f"/support/files/{attachment.id}?t={other_token}")


def test_delivery_links(app, client, db, make_delivered_order, stranger):
    paid = make_delivered_order(status=OrderStatus.PAID)
    token = delivery.order_token(paid.order)
    for bad in [
        *tamper(token),
        forge("delivery-link", ["o", paid.order.number]),
        resign(app, "order-link", ["o", paid.order.number]),
        resign(app, "delivery-link", ["a", 10**9, 1]),
        resign(app, "delivery-link", ["o", "H-NOPE"]),
        resign(app, "delivery-link", {"o": paid.order.number}),
    ]:
        assert_404(client, f"/delivery/{bad}")
        response = post_form(client, f"/delivery/{bad}", {"window": "x"})
        assert response.status_code == 404, bad
