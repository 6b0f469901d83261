"""Closing a sale through a quote in a real browser (issue 5's story).

A rep builds a quote from a new buyer's cart with a discount beyond her authority, a manager
approves it, the buyer asks for a change, the rep revises (the new version needs approval again:
its figures are new), the buyer accepts version 2 and pays the deposit by card with localstripe's
stand-in Stripe.js, and the order shows in the buyer's account and on the rep's desk.
"""

import re
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from shop.catalog.demo_data import STAFF_PASSWORD

QUOTE_LINK = re.compile(r"https?://\S+/quotes/v/[^\s/]+")
SIGN_UP_LINK = re.compile(r"https?://\S+/account/confirm/[\w-]+")
BUYER_NAME = "Edith Clarke"


def new_context_page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(8000)
    return context, page


def log_in(page, live_server, email, password=STAFF_PASSWORD):
    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/account/login"))


def register(page, live_server, email):
    page.goto(f"{live_server}/account/register")
    page.get_by_label("Full name").fill(BUYER_NAME)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("a long buyer passphrase")
    page.get_by_label("Repeat password").fill("a long buyer passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email to continue")
    # The account is made when the link in the email is followed and its button pressed.
    page.goto(sign_up_link(live_server, email))
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/account/$"))


def sign_up_link(live_server, email: str) -> str:
    """The link in the sign-up email to that address, from the outbox."""
    with sqlite3.connect(live_server.db_path) as conn:
        rows = conn.execute(
            "SELECT body_text FROM outbox_messages WHERE to_address = ? AND dedupe_key LIKE ?",
            (email, "registration:%"),
        ).fetchall()
    assert len(rows) == 1, rows
    found = SIGN_UP_LINK.search(rows[0][0])
    assert found and found.group(0).startswith(live_server + "/"), rows[0][0]
    return found.group(0)


def quote_link(live_server, email: str, version: int) -> str:
    """The link in the "quote sent" email for that version, from the outbox."""
    with sqlite3.connect(live_server.db_path) as conn:
        rows = conn.execute(
            "SELECT body_text FROM outbox_messages WHERE to_address = ? AND dedupe_key LIKE ?",
            (email, f"quote-sent:%:{version}"),
        ).fetchall()
    assert len(rows) == 1, rows
    found = QUOTE_LINK.search(rows[0][0])
    assert found, rows[0][0]
    link = found.group(0)
    assert link.startswith(live_server + "/")
    return link


def approve(manager, live_server, number: str, comment: str):
    manager.goto(f"{live_server}/staff/quotes/approvals")
    row = manager.get_by_test_id("approval-row").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("above Maya Okafor's limit of 5%")
    row.get_by_label("Comment").fill(comment)
    return row


def test_a_quote_from_discount_approval_to_a_paid_deposit(browser, live_server, shot):
    email = f"edith-{uuid.uuid4().hex[:8]}@example.com"
    buyer_ctx, buyer = new_context_page(browser)
    rep_ctx, rep = new_context_page(browser)
    mgr_ctx, manager = new_context_page(browser)
    try:
        # A new buyer puts a daysailer in the cart.
        register(buyer, live_server, email)
        buyer.goto(f"{live_server}/p/larkhaven-31")
        buyer.get_by_role("button", name="Add to cart").click()
        expect(buyer).to_have_url(re.compile(r"/cart/$"))
        expect(buyer.get_by_test_id("cart-line")).to_have_count(1)

        # Maya starts a quote from the buyer's cart.
        log_in(rep, live_server, "maya@example.com")
        rep.goto(f"{live_server}/staff/")
        rep.get_by_role("link", name=BUYER_NAME).first.click()
        expect(rep.get_by_role("heading", level=1)).to_have_text(BUYER_NAME)
        rep.get_by_role("button", name="New quote from their cart").click()
        expect(rep.locator(".flash-success")).to_contain_text("started")
        heading = rep.get_by_role("heading", level=1)
        expect(heading).to_have_text(re.compile(rf"Quote Q-\w+ for {BUYER_NAME}"))
        number = re.search(r"Q-\w+", heading.inner_text()).group(0)
        quote_url = rep.url
        builder = rep.get_by_test_id("builder")
        expect(builder.get_by_test_id("line")).to_have_count(1)
        expect(builder.get_by_test_id("line")).to_contain_text("Larkhaven 31 Daysailer")

        # 10% off the quote is beyond her 5%; a 20% deposit, the balance before delivery.
        rep.get_by_label("Discount on the quote").select_option("percent")
        rep.get_by_label("Quote discount value").fill("10")
        rep.get_by_label("Deposit (%)").fill("20")
        valid = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
        # The day ends on Maya's own clock, named: she is in Los Angeles.
        rep.get_by_label("Valid until (end of day, America/Los Angeles)").fill(valid)
        rep.get_by_label("Delivery terms").fill("Commissioned at the Annapolis yard in May.")
        rep.get_by_label("Note to the buyer").fill("Our best price for a spring launch.")
        rep.get_by_role("button", name="Save", exact=True).click()
        expect(rep.locator(".flash-success")).to_contain_text("Quote saved.")
        # $164,000 less 10% = $147,600; 20% deposit = $29,520.
        totals = rep.get_by_test_id("totals")
        expect(totals.get_by_test_id("total")).to_have_text("$147,600.00")
        expect(totals).to_contain_text("$29,520.00")
        expect(rep.get_by_test_id("approval-box")).to_contain_text(
            "Discount 10.00% is above Maya Okafor's limit of 5%"
        )
        actions = rep.get_by_test_id("actions")
        expect(actions.get_by_role("button", name=re.compile("^Send to"))).to_have_count(0)
        shot(rep, "50-quote-builder-needs-approval")
        rep.get_by_label("Note for the manager").fill("Repeat customer of the yard; spring launch.")
        rep.get_by_role("button", name="Ask a manager to approve").click()
        expect(rep.locator(".flash-success")).to_contain_text("Sent to a manager for approval.")
        expect(rep.get_by_test_id("quote-status")).to_have_text("Waiting for approval")

        # The manager approves it from the queue.
        log_in(manager, live_server, "manager@example.com")
        row = approve(manager, live_server, number, "Fine for a spring launch.")
        shot(manager, "51-approval-queue")
        row.get_by_role("button", name="Approve").click()
        expect(manager.locator(".flash-success")).to_contain_text("Approved")
        expect(manager.get_by_test_id("approval-row").filter(has_text=number)).to_have_count(0)

        # Maya sends it.
        rep.goto(quote_url)
        expect(rep.get_by_test_id("approval-box")).to_contain_text("Approved by")
        expect(rep.get_by_test_id("approval-box")).to_contain_text("Fine for a spring launch.")
        rep.get_by_role("button", name=f"Send to {email}").click()
        expect(rep.locator(".flash-success")).to_contain_text("Quote sent")
        expect(rep.get_by_test_id("quote-status")).to_have_text("Sent")

        # The buyer opens the link in the email and asks for a change.
        link = quote_link(live_server, email, 1)
        buyer.goto(link)
        expect(buyer.get_by_role("heading", name="Your quote")).to_be_visible()
        expect(buyer.get_by_test_id("quote-status")).to_have_text("Ready for your answer")
        expect(buyer.get_by_test_id("quote-total")).to_have_text("$147,600.00")
        expect(buyer.get_by_test_id("deposit")).to_have_text("$29,520.00")
        expect(buyer.get_by_test_id("rep-note")).to_contain_text("Our best price")
        expect(buyer.get_by_text("Our cost")).to_have_count(0)  # never the cost or margin
        expect(buyer.get_by_text("Margin")).to_have_count(0)
        shot(buyer, "52-buyer-quote-v1")
        buyer.get_by_label("Your message").fill(
            "Could you include delivery to our marina in Portland?"
        )
        buyer.get_by_role("button", name="Send and ask for changes").click()
        expect(buyer.locator(".flash-success")).to_contain_text("Your message is with")
        expect(buyer.get_by_test_id("quote-status")).to_have_text("Changes requested")
        expect(buyer.get_by_test_id("message")).to_contain_text("delivery to our marina")

        # Maya revises: a transport line; saving a sent quote makes version 2.
        rep.goto(quote_url)
        expect(rep.get_by_test_id("quote-status")).to_have_text("Changes requested")
        expect(rep.get_by_test_id("thread")).to_contain_text("delivery to our marina")
        rep.get_by_label("New custom line").fill("Transport to your Portland marina")
        rep.get_by_label("Price", exact=True).fill("3,800.00")
        rep.get_by_label("Our cost").fill("3,100.00")
        rep.get_by_label("Delivery terms").fill("Trucked and launched at your Portland marina.")
        rep.get_by_role("button", name="Save as version 2").click()
        expect(rep.locator(".flash-success")).to_contain_text("Quote saved.")
        expect(rep.get_by_role("navigation", name="Versions")).to_contain_text("v2")
        # 10% of $167,800 = $16,780 off: $151,020, deposit $30,204.
        expect(rep.get_by_test_id("total")).to_have_text("$151,020.00")
        expect(rep.get_by_test_id("approval-box")).to_be_visible()
        shot(rep, "53-quote-v2-builder")
        rep.get_by_role("button", name="Ask a manager to approve").click()
        expect(rep.get_by_test_id("quote-status")).to_have_text("Waiting for approval")

        # The new figures need the manager again; then Maya sends version 2.
        row = approve(manager, live_server, number, "Transport at cost plus a little: fine.")
        row.get_by_role("button", name="Approve").click()
        expect(manager.locator(".flash-success")).to_contain_text("Approved")
        rep.goto(quote_url)
        rep.get_by_role("button", name=f"Send to {email}").click()
        expect(rep.get_by_test_id("quote-status")).to_have_text("Sent")
        shot(rep, "54-quote-v2-sent")

        # The buyer reads version 2 (version 1 stays readable, no longer acceptable) and accepts.
        assert quote_link(live_server, email, 2) == link
        buyer.goto(f"{link}?version=1")
        expect(buyer.get_by_test_id("superseded")).to_be_visible()
        expect(buyer.get_by_role("button", name="Accept and pay")).to_have_count(0)
        buyer.goto(link)
        expect(buyer.get_by_role("heading", name=re.compile("^Version 2"))).to_be_visible()
        expect(buyer.get_by_test_id("quote-total")).to_have_text("$151,020.00")
        expect(buyer.get_by_test_id("deposit")).to_have_text("$30,204.00")
        expect(buyer.get_by_test_id("quote-line")).to_have_count(2)
        buyer.get_by_label("Type your full name to sign").fill(BUYER_NAME)
        buyer.get_by_label(re.compile(f"I accept version 2 of quote {number}")).check()
        shot(buyer, "55-buyer-accepts-v2")
        buyer.get_by_role("button", name="Accept and pay").click()

        # Delivery and the deposit, by card.
        expect(buyer.get_by_role("heading", name="Delivery and payment")).to_be_visible()
        buyer.get_by_label("Street address").fill("2 Marina Drive")
        buyer.get_by_label("City").fill("Portland")
        buyer.get_by_label("State").select_option("OR")
        buyer.get_by_label("ZIP code").fill("97201")
        buyer.get_by_label("Phone").fill("+1 503 555 0123")
        deposit = buyer.get_by_label(re.compile("The 20% deposit now"))
        expect(deposit).to_be_checked()
        expect(buyer.get_by_label("Card", exact=True)).to_be_checked()
        shot(buyer, "56-quote-pay")
        buyer.get_by_role("button", name="Continue to payment").click()

        expect(buyer).to_have_url(re.compile(r"/checkout/pay/"))
        expect(buyer.get_by_placeholder("number")).to_be_visible()
        expect(buyer.get_by_test_id("pay-total")).to_have_text("$30,204.00")  # the deposit
        shot(buyer, "57-pay-deposit")
        buyer.get_by_placeholder("number").fill("4242424242424242")
        buyer.get_by_placeholder("exp_month").fill("12")
        buyer.get_by_placeholder("exp_year").fill("31")
        buyer.get_by_placeholder("cvc").fill("123")
        postal = buyer.get_by_placeholder("postal_code")
        if postal.count():
            postal.fill("97201")
        buyer.locator("#pay-button").click()
        expect(buyer.get_by_role("heading", name="Thank you, Edith.")).to_be_visible()
        lede = buyer.locator(".confirmation .lede")
        # Oregon has no sales tax: the deposit is exactly the one on the quote.
        expect(lede).to_contain_text("authorized for $30,204.00, the deposit")
        expect(lede).to_contain_text("the balance of $120,816.00 is due later")
        order_number = re.search(r"Your order (\S+) is", lede.inner_text()).group(1)
        expect(buyer.get_by_test_id("order-total")).to_have_text("$151,020.00")
        expect(buyer.get_by_test_id("outstanding")).to_have_text("$151,020.00")
        expect(buyer.locator(".order-lines")).to_contain_text("As agreed in your quote")
        expect(buyer.get_by_test_id("cart-count")).to_have_text("0")  # the cart let go of it
        shot(buyer, "58-deposit-paid")

        # The order is in the buyer's account...
        buyer.goto(f"{live_server}/orders/")
        order_row = buyer.get_by_test_id("order-row").filter(has_text=order_number)
        expect(order_row).to_have_count(1)
        shot(buyer, "59-buyer-orders")

        # ... and on Maya's desk, where her quote now reads "Ordered".
        rep.goto(f"{live_server}/staff/quotes")
        quote_row = rep.get_by_test_id("quote-row").filter(has_text=number)
        expect(quote_row).to_contain_text("Ordered")
        rep.goto(f"{live_server}/staff/")
        desk_order = (
            rep.get_by_test_id("desk-orders").get_by_role("row").filter(has_text=order_number)
        )
        expect(desk_order).to_have_count(1)
        expect(desk_order).to_contain_text(BUYER_NAME)
        expect(desk_order.get_by_role("cell").nth(3)).to_have_text("$151,020.00")  # total
        expect(desk_order.get_by_role("cell").nth(4)).to_have_text("$30,204.00")  # authorized
        expect(desk_order.get_by_role("cell").nth(6)).to_have_text("$151,020.00")  # outstanding
        shot(rep, "60-rep-desk")
    finally:
        for context in (buyer_ctx, rep_ctx, mgr_ctx):
            context.close()
