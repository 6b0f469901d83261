"""Buying in a real browser: card (with localstripe's stand-in Stripe.js), 3-D Secure, a decline
then another card, and a bank transfer. The card number never reaches our server."""

import re
import sqlite3

from playwright.sync_api import expect


def add_to_cart(page, live_server, slug):
    page.goto(f"{live_server}/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart/$"))


def checkout_to_review(page, email="grace@example.com"):
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Phone").fill("+1 503 555 0199")
    page.get_by_role("button", name="Continue to address").click()
    page.get_by_label("Street address").fill("1 Harbor Way")
    page.get_by_label("City").fill("Portland")
    page.get_by_label("State").select_option("OR")
    page.get_by_label("ZIP code").fill("97201")
    page.get_by_role("button", name="Continue to delivery").click()
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("heading", name="Review and pay")).to_be_visible()


def place(page, method="card"):
    page.locator(f"input[name=payment_method][value={method}]").check()
    page.get_by_label(re.compile("I have read and accept the terms of sale")).check()
    page.get_by_role("button", name="Place order").click()


def enter_card(page, number):
    page.get_by_placeholder("number").fill(number)
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("31")
    page.get_by_placeholder("cvc").fill("123")
    postal = page.get_by_placeholder("postal_code")
    if postal.count():
        postal.fill("97201")
    page.locator("#pay-button").click()


def test_a_buyer_pays_for_a_piano_by_card(page, live_server, shot):
    add_to_cart(page, live_server, "hollis-rowe-160")
    checkout_to_review(page)
    shot(page, "20-checkout-review")
    place(page)
    expect(page).to_have_url(re.compile(r"/checkout/pay/"))
    expect(page.get_by_placeholder("number")).to_be_visible()
    shot(page, "21-pay")
    enter_card(page, "4242424242424242")
    expect(page.get_by_role("heading", name=re.compile("Thank you, Grace"))).to_be_visible()
    expect(page.get_by_test_id("order-status")).to_have_text("Order placed")
    shot(page, "22-confirmation")
    expect(page.get_by_test_id("cart-count")).to_have_text("0")


def count_authentication_dialogs(page) -> list:
    """Every 3-D Secure dialog the stand-in Stripe.js opens (a box holding a "Complete
    authentication" button), counted in this process so the count outlives the pay page."""
    opened = []
    page.expose_function("tdsOpened", lambda: opened.append(1))
    page.add_init_script(
        """
        new MutationObserver((changes) => {
          for (const change of changes) for (const node of change.addedNodes) {
            if (node.querySelectorAll && [...node.querySelectorAll("button")].some(
                (b) => b.innerText === "Complete authentication")) window.tdsOpened();
          }
        }).observe(document, { childList: true, subtree: true });
        """
    )
    return opened


def payment_status(live_server, email):
    with sqlite3.connect(live_server.db_path) as conn:
        return conn.execute(
            "SELECT p.status FROM payments p JOIN orders o ON p.reference = 'order:' || o.id "
            "WHERE o.email = ? ORDER BY p.id DESC",
            (email,),
        ).fetchone()[0]


def test_three_d_secure_asks_once(page, live_server, shot):
    opened = count_authentication_dialogs(page)
    add_to_cart(page, live_server, "galapagos-by-sailing-yacht")
    checkout_to_review(page, "tds@example.com")
    place(page)
    enter_card(page, "4000002500003155")
    page.get_by_role("button", name="Complete authentication").click()
    # One authentication for one payment: the order is placed with no second dialog.
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    shot(page, "23-confirmation-3ds")
    assert len(opened) == 1
    assert payment_status(live_server, "tds@example.com") == "authorized"


def test_a_decline_then_another_card(page, live_server, shot):
    add_to_cart(page, live_server, "svalbard-polar-summer")
    checkout_to_review(page, "declined@example.com")
    place(page)
    enter_card(page, "4000000000000341")
    expect(page.locator("#card-errors")).to_have_text("Your card was declined.")
    shot(page, "24-declined")
    expect(page.locator("#pay-button")).to_be_enabled()
    page.get_by_placeholder("number").fill("")
    enter_card(page, "4242424242424242")
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()


def hold_of(live_server, email):
    """(status, expires_at) of the order's stock holds."""
    with sqlite3.connect(live_server.db_path) as conn:
        return conn.execute(
            "SELECT r.status, r.expires_at FROM stock_reservations r "
            "JOIN orders o ON r.holder = 'order:' || o.id WHERE o.email = ?",
            (email,),
        ).fetchall()


def test_a_decline_offers_the_other_ways_to_pay_and_keeps_the_hold(page, live_server, shot):
    email = "other-ways@example.com"
    add_to_cart(page, live_server, "svalbard-polar-summer")
    checkout_to_review(page, email)
    place(page)
    other_ways = page.get_by_role("heading", name="Other ways to pay")
    expect(other_ways).to_be_hidden()  # nothing to offer before the card was tried
    enter_card(page, "4000000000000341")
    expect(page.locator("#card-errors")).to_have_text("Your card was declined.")
    expect(other_ways).to_be_visible()
    expect(page.get_by_role("link", name="Try another card")).to_be_visible()
    expect(page.get_by_role("button", name="Pay by bank transfer")).to_be_visible()
    specialist = page.get_by_role("link", name="Talk to a specialist")
    expect(specialist).to_be_visible()
    assert "/consultations/new" in specialist.get_attribute("href")
    shot(page, "24-declined-other-ways")
    # The cart and the held units are kept, and the options are still there after a reload.
    expect(page.get_by_test_id("cart-count")).not_to_have_text("0")
    [(status, card_expiry)] = hold_of(live_server, email)
    assert status == "active"
    page.reload()
    expect(page.get_by_role("button", name="Pay by bank transfer")).to_be_visible()
    # Paying by bank transfer instead: the bank details, and the units held for the transfer.
    page.get_by_role("button", name="Pay by bank transfer").click()
    expect(page.get_by_test_id("bank-details")).to_be_visible()
    expect(page.get_by_test_id("order-status")).to_have_text("Waiting for your bank transfer")
    [(status, transfer_expiry)] = hold_of(live_server, email)
    assert status == "active" and transfer_expiry > card_expiry
    shot(page, "24-switched-to-transfer")


def test_talk_to_a_specialist_after_a_decline(page, live_server):
    add_to_cart(page, live_server, "svalbard-polar-summer")
    checkout_to_review(page, "specialist@example.com")
    place(page)
    enter_card(page, "4000000000000341")
    page.get_by_role("link", name="Talk to a specialist").click()
    expect(page).to_have_url(re.compile(r"/consultations/new"))
    expect(page.get_by_label("Anything else we should know?")).to_have_value(
        re.compile(r"About my order HH-")
    )


def test_a_bank_transfer_order(page, live_server, shot):
    add_to_cart(page, live_server, "larkhaven-27")
    checkout_to_review(page, "transfer@example.com")
    place(page, "bank_transfer")
    expect(page.get_by_test_id("bank-details")).to_be_visible()
    reference = page.get_by_test_id("bank-reference").inner_text()
    assert re.fullmatch(r"HH-[A-Z2-9]{4}-[A-Z2-9]{4}", reference)
    expect(page.get_by_test_id("order-status")).to_have_text("Waiting for your bank transfer")
    shot(page, "25-bank-transfer")


def test_no_card_number_ever_reaches_our_database(page, live_server):
    """After real card payments in the browser, no card number is anywhere in our data."""
    add_to_cart(page, live_server, "fernway-commute-1")
    checkout_to_review(page, "privacy@example.com")
    place(page)
    enter_card(page, "4242424242424242")
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    with sqlite3.connect(live_server.db_path) as conn:
        dump = "\n".join(conn.iterdump())
    assert "privacy@example.com" in dump  # the dump does hold the order
    for number in ("4242424242424242", "4000002500003155", "4000000000000341", "424242"):
        assert number not in dump
