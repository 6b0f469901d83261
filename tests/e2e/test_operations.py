"""Running an order from payment to delivery in a real browser (issue 6's story).

A buyer pays for a grand piano with white-glove delivery by card. A manager finds the order in
the console, confirms it, captures the authorization, books a delivery window on the crew's
calendar and marks it delivered with a note; then refunds part of it, above the four-eyes limit,
so a second manager approves the refund; and reads the order's audit trail.
"""

import re

from playwright.sync_api import expect

from shop import create_app
from shop.auth.roles import Role
from shop.auth.services import create_user
from shop.catalog.demo_data import STAFF_PASSWORD
from shop.config import TestConfig
from shop.extensions import db
from tests.e2e.test_checkout import add_to_cart, enter_card, place
from tests.e2e.test_quotes import log_in, new_context_page

BUYER = "clara@example.com"
SECOND_MANAGER = "second.manager@example.com"


def add_second_manager(live_server) -> None:
    """Four-eyes needs another manager than the demo's one; added straight into the database."""
    app = create_app(TestConfig(f"sqlite:///{live_server.db_path}", RATELIMIT_ENABLED=False))
    with app.app_context():
        create_user(SECOND_MANAGER, "Nadia Second", STAFF_PASSWORD, Role.MANAGER)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def buy_piano_with_white_glove(page, live_server) -> str:
    add_to_cart(page, live_server, "hollis-rowe-160")
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Email").fill(BUYER)
    page.get_by_label("Full name").fill("Clara Schumann")
    page.get_by_label("Phone").fill("+1 212 555 0142")
    page.get_by_role("button", name="Continue to address").click()
    page.get_by_label("Street address").fill("88 Riverside Drive")
    page.get_by_label("City").fill("New York")
    page.get_by_label("State").select_option("NY")
    page.get_by_label("ZIP code").fill("10024")
    page.get_by_role("button", name="Continue to delivery").click()
    page.locator("input[type=radio][value=white_glove]").first.check()
    page.get_by_role("button", name="Continue to review").click()
    place(page)
    enter_card(page, "4242424242424242")
    expect(page.get_by_role("heading", name=re.compile("Thank you, Clara"))).to_be_visible()
    number = re.search(r"HH-[A-Z0-9]{6}", page.content())
    assert number, "the confirmation page names the order"
    return number.group(0)


def status(page):
    return page.get_by_test_id("order-status")


def test_a_manager_runs_an_order_from_payment_to_delivery_and_refund(browser, live_server, shot):
    add_second_manager(live_server)
    buyer_context, buyer = new_context_page(browser)
    number = buy_piano_with_white_glove(buyer, live_server)

    context, manager = new_context_page(browser)
    log_in(manager, live_server, "manager@example.com")
    manager.goto(f"{live_server}/staff/orders?q={BUYER}")
    row = manager.get_by_test_id("order-row").filter(has_text=number)
    expect(row).to_have_count(1)
    shot(manager, "60-order-console")
    row.get_by_role("link", name=number).click()
    expect(status(manager)).to_have_text("Order placed")
    expect(manager.get_by_test_id("payment-state")).to_have_text("Authorized")

    # Confirm, then capture the whole authorization: the order is paid.
    manager.get_by_test_id("move-confirmed").click()
    expect(status(manager)).to_have_text("Confirmed")
    manager.get_by_test_id("capture-button").click()
    expect(status(manager)).to_have_text("Paid")
    total = manager.get_by_test_id("amount-total").inner_text()
    expect(manager.get_by_test_id("amount-received")).to_have_text(total)
    expect(manager.get_by_test_id("amount-outstanding")).to_have_text("$0.00")

    # Book the first free window on the crew's calendar, then hand the piano over.
    select = manager.get_by_test_id("delivery-window-select")
    first_window = select.locator("option:not([value=''])").first.get_attribute("value")
    select.select_option(first_window)
    manager.get_by_label("Instructions for the crew").fill("Third floor, freight elevator.")
    manager.get_by_test_id("delivery-book").click()
    expect(status(manager)).to_have_text("Delivery scheduled")
    expect(manager.get_by_test_id("delivery-window")).to_be_visible()
    shot(manager, "61-order-delivery-scheduled")
    # One way to mark it delivered: the delivery panel's (the general move would be refused).
    expect(manager.get_by_role("button", name="Mark delivered")).to_have_count(1)
    manager.get_by_label("Delivery note").fill("Placed in the music room and tuned to A440.")
    manager.get_by_test_id("delivered-button").click()
    expect(status(manager)).to_have_text("Delivered")

    # A refund above the four-eyes limit waits for a second manager.
    manager.get_by_test_id("refund-amount").fill("12,000.00")
    manager.get_by_test_id("refund-reason").fill("Agreed goodwill for a scratched music desk.")
    manager.get_by_test_id("refund-button").click()
    refund = manager.get_by_test_id("refund-row")
    expect(refund).to_have_attribute("data-status", "pending_approval")
    expect(manager.get_by_test_id("approval-by-other")).to_be_visible()
    expect(manager.get_by_test_id("approve-refund")).to_have_count(0)
    expect(manager.get_by_test_id("amount-refunded")).to_have_text("$0.00")
    shot(manager, "62-refund-waiting")
    context.close()

    context, second = new_context_page(browser)
    log_in(second, live_server, SECOND_MANAGER)
    second.goto(f"{live_server}/staff/")
    expect(second.get_by_text(number).first).to_be_visible()  # approvals waiting: the refund
    shot(second, "65-manager-dashboard")
    second.goto(f"{live_server}/staff/orders/{number}")
    second.get_by_test_id("approve-refund").click()
    expect(second.get_by_test_id("refund-row")).to_have_attribute("data-status", "succeeded")
    expect(second.get_by_test_id("amount-refunded")).to_have_text("$12,000.00")
    expect(second.get_by_test_id("payment-state")).to_have_text("Partly refunded")
    expect(status(second)).to_have_text("Delivered")
    shot(second, "63-refund-approved")

    # The audit trail tells who did what to this order.
    second.goto(f"{live_server}/staff/audit?target_id={number}")
    actions = second.get_by_test_id("audit-row")
    expect(actions.first).to_be_visible()
    seen = {actions.nth(i).get_attribute("data-action") for i in range(actions.count())}
    assert {"order.confirmed", "order.delivered"} <= seen, seen
    assert any("capture" in a for a in seen), seen
    assert any("refund" in a and "approve" in a for a in seen), seen
    expect(second.get_by_test_id("audit")).to_contain_text("Nadia Second")
    shot(second, "64-audit-trail")
    for path, name in [
        ("holds", "66-card-holds"),
        ("transfers", "67-transfers"),
        ("deliveries", "68-deliveries"),
    ]:
        assert second.goto(f"{live_server}/staff/{path}").status == 200
        shot(second, name)

    # The buyer sees the story, without the staff's internal notes.
    buyer.reload()
    expect(buyer.get_by_test_id("order-status")).to_have_text("Delivered")
    context.close()
    buyer_context.close()


def test_the_buyer_picks_and_moves_the_delivery_window_from_the_order_page(
    browser, live_server, shot
):
    buyer_context, buyer = new_context_page(browser)
    number = buy_piano_with_white_glove(buyer, live_server)
    order_page = buyer.url.split("?")[0]  # the order's own page (the guest link)
    expect(buyer.get_by_role("link", name="Choose a delivery window")).to_have_count(0)

    # Paid in full (confirmed and captured by the manager): now the buyer may choose.
    context, manager = new_context_page(browser)
    log_in(manager, live_server, "manager@example.com")
    manager.goto(f"{live_server}/staff/orders?q={BUYER}")
    manager.get_by_test_id("order-row").filter(has_text=number).get_by_role(
        "link", name=number
    ).click()
    manager.get_by_test_id("move-confirmed").click()
    expect(status(manager)).to_have_text("Confirmed")
    manager.get_by_test_id("capture-button").click()
    expect(status(manager)).to_have_text("Paid")
    context.close()

    buyer.goto(order_page)
    buyer.get_by_role("link", name="Choose a delivery window").click()
    select = buyer.get_by_label(re.compile(r"^Delivery window"))
    select.select_option(index=0)
    buyer.get_by_role("button", name="Book this window").click()
    expect(buyer.get_by_test_id("delivery-when")).to_be_visible()
    buyer.get_by_role("link", name=f"Order {number}").click()
    booked = buyer.get_by_test_id("order-delivery-window")
    expect(booked).to_contain_text("Delivery window:")
    first = booked.inner_text()
    shot(buyer, "62-order-delivery-window")

    buyer.get_by_role("link", name="Change").click()
    buyer.get_by_label(re.compile(r"^Move it to")).select_option(index=1)
    buyer.get_by_role("button", name="Move my delivery").click()
    expect(buyer.get_by_role("status").or_(buyer.locator(".flash")).first).to_contain_text(
        "Your delivery has moved"
    )
    buyer.get_by_role("link", name=f"Order {number}").click()
    expect(buyer.get_by_test_id("order-delivery-window")).not_to_have_text(first)
    expect(status(buyer)).to_have_text("Delivery scheduled")
    buyer_context.close()
