"""After the sale, in a real browser (issue 7's story).

A buyer whose piano was delivered reports damage with a photo and asks to return it. Maya, the rep
who sold it, answers, leaves an internal note, and approves the return; support marks the piano
received and settles the return with a refund above the four-eyes limit, which the manager
approves. The buyer reads the answers (never the note) and rates the service. On the product page,
another buyer asks a question that the first buyer answers as a verified owner.
"""

import re
import struct
import zlib

import sqlalchemy as sa
from playwright.sync_api import expect

from shop import create_app
from shop.auth.models import User
from shop.config import TestConfig
from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import Order
from shop.payments import services as payments
from shop.payments.models import Payment
from tests.e2e.test_checkout import add_to_cart, enter_card, place
from tests.e2e.test_quotes import log_in, new_context_page, register

BUYER_PASSWORD = "buyer-demo-pass"
NOTE = "Internal: crate shows forklift damage; claim against the carrier."


def tiny_png(path) -> None:
    """A valid 1x1 PNG, as a phone would attach a photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xaa\x55\x22")
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def deliver(live_server, stripe_peer, number: str) -> None:
    """What issue 6's staff pages do, done directly: capture, sold by Maya, delivered."""
    app = create_app(
        TestConfig(
            f"sqlite:///{live_server.db_path}", RATELIMIT_ENABLED=False, **stripe_peer.settings()
        )
    )
    with app.app_context():
        order = db.session.scalar(sa.select(Order).where(Order.number == number))
        payment = db.session.scalar(
            sa.select(Payment).where(Payment.reference == f"order:{order.id}")
        )
        payments.capture(payment.id)
        db.session.commit()
        order = db.session.scalar(sa.select(Order).where(Order.number == number))
        maya = db.session.scalar(sa.select(User).where(User.email == "maya@example.com"))
        order.rep_id = maya.id
        order.status = "delivered"
        order.delivered_at = utcnow()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_a_damaged_delivery_is_returned_refunded_and_rated(
    browser, live_server, stripe_peer, shot, tmp_path
):
    photo = tmp_path / "damage.png"
    tiny_png(photo)

    buyer_context, buyer = new_context_page(browser)
    log_in(buyer, live_server, "buyer@example.com", BUYER_PASSWORD)
    add_to_cart(buyer, live_server, "hollis-rowe-185")
    buyer.get_by_role("link", name="Check out").click()
    # Signed in: the contact step is known already, the checkout opens at the address.
    buyer.get_by_label("Street address").fill("5 Park Avenue")
    buyer.get_by_label("City").fill("New York")
    buyer.get_by_label("State").select_option("NY")
    buyer.get_by_label("ZIP code").fill("10016")
    buyer.get_by_role("button", name="Continue to delivery").click()
    buyer.get_by_role("button", name="Continue to review").click()
    place(buyer)
    enter_card(buyer, "4242424242424242")
    expect(buyer.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    number = re.search(r"HH-[A-Z0-9]{6}", buyer.content()).group(0)
    deliver(live_server, stripe_peer, number)

    # The buyer reports the damage from the order page, with a photo.
    buyer.goto(f"{live_server}/orders/{number}")
    buyer.get_by_test_id("order-help").click()
    buyer.get_by_label("What is it about?").select_option("return_request")
    buyer.locator("input[name=lines]").first.check()
    buyer.get_by_label("Subject").fill("The lid arrived cracked")
    buyer.get_by_label("Your message").fill(
        "The lid has a long crack along the hinge. <script>alert(1)</script> Photo attached."
    )
    buyer.get_by_label("Photos or documents").set_input_files(str(photo))
    buyer.get_by_role("button", name="Send").click()
    expect(buyer.get_by_test_id("ticket-status")).to_be_visible()
    expect(buyer.get_by_test_id("attachments")).to_contain_text("damage.png")
    expect(buyer.get_by_test_id("message").first).to_contain_text("<script>alert(1)</script>")
    ticket = re.search(r"T-[A-Z0-9]{6}", buyer.url + buyer.content()).group(0)
    shot(buyer, "70-ticket-opened")

    # Maya, who sold it, finds it in her queue, answers, notes, and approves the return.
    context, rep = new_context_page(browser)
    log_in(rep, live_server, "maya@example.com")
    rep.goto(f"{live_server}/staff/support?whose=mine")
    rep.get_by_role("link", name=ticket).click()
    expect(rep.get_by_test_id("attachments")).to_contain_text("damage.png")
    rep.get_by_label("Reply to the buyer").fill(
        "I am so sorry, Ms Moreno. We will take it back and refund you in full for the lid."
    )
    rep.get_by_test_id("send-reply").click()
    rep.get_by_label("Internal note").fill(NOTE)
    rep.get_by_test_id("add-note").click()
    expect(rep.get_by_test_id("internal-flag")).to_be_visible()
    rep.get_by_test_id("return-approve").click()
    expect(rep.get_by_test_id("return-status")).to_have_text(re.compile("Approved", re.I))
    shot(rep, "71-staff-ticket")
    context.close()

    # Support receives the piano and settles with a refund above the four-eyes limit.
    context, support = new_context_page(browser)
    log_in(support, live_server, "support@example.com")
    support.goto(f"{live_server}/staff/support/{ticket}")
    support.get_by_test_id("return-received").click()
    support.get_by_label("Settle with").select_option("refund")
    support.get_by_label("Amount (refund or credit)").fill("12000.00")
    support.get_by_test_id("return-settle").click()
    expect(support.get_by_test_id("return-outcome")).to_be_visible()
    context.close()

    # The manager, a second pair of eyes, approves the refund on the order page.
    context, manager = new_context_page(browser)
    log_in(manager, live_server, "manager@example.com")
    manager.goto(f"{live_server}/staff/orders/{number}")
    manager.get_by_test_id("approve-refund").click()
    expect(manager.get_by_test_id("refund-row")).to_have_attribute("data-status", "succeeded")
    expect(manager.get_by_test_id("amount-refunded")).to_have_text("$12,000.00")
    # Settling the return solved its ticket: nobody has to remember to.
    manager.goto(f"{live_server}/staff/support/{ticket}")
    expect(manager.get_by_test_id("ticket-status")).to_have_text("Solved")
    assert manager.goto(f"{live_server}/staff/support?status=solved").status == 200
    shot(manager, "74-support-queue")
    assert manager.goto(f"{live_server}/staff/voice").status == 200
    shot(manager, "75-voice-of-the-buyer")
    context.close()

    # The buyer reads the answer, never the internal note, and rates the service.
    buyer.goto(f"{live_server}/support/{ticket}")
    expect(buyer.get_by_text("We will take it back")).to_be_visible()
    expect(buyer.get_by_test_id("return-outcome")).to_contain_text(
        "We refunded $12,000.00 to the card you paid with"
    )
    assert NOTE not in buyer.content()
    buyer.locator("input[name=rating][value='5']").check()
    buyer.get_by_label("Comment (optional)").fill("Maya sorted it out in a day.")
    buyer.get_by_test_id("rating-submit").click()
    expect(buyer.get_by_test_id("rating-given")).to_contain_text("5 out of 5")
    shot(buyer, "72-ticket-rated")

    # Another buyer asks about the piano; the first buyer answers as a verified owner.
    context, other = new_context_page(browser)
    register(other, live_server, "curious.pianist@example.com")
    other.goto(f"{live_server}/p/hollis-rowe-185")
    other.get_by_label(re.compile("Ask about the")).fill(
        "How does it hold its tuning through a dry winter?"
    )
    other.get_by_role("button", name="Ask a question").click()
    expect(other.get_by_test_id("questions")).to_contain_text("dry winter")
    context.close()
    buyer.goto(f"{live_server}/p/hollis-rowe-185")
    buyer.get_by_text("Answer this question").first.click()
    buyer.get_by_test_id("questions").get_by_label("Your answer").first.fill(
        "Ours held well with a humidifier in the room; one tuning since delivery."
    )
    buyer.get_by_role("button", name="Post answer").first.click()
    expect(buyer.get_by_test_id("owner-badge").first).to_be_visible()
    shot(buyer, "73-product-question")
    buyer_context.close()
