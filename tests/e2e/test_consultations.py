"""Talking to a specialist in a real browser: a visitor books from a product page, the rep sees
the visitor's whole story, and the buyer reschedules and cancels through the link in the email.

The demo reps work weekdays 9-5 and Saturday mornings in their own zones with 12 hours' notice,
so free times always exist in the two weeks shown; each test takes the first one still free.
"""

import re
import sqlite3
import uuid

from playwright.sync_api import expect

from shop.catalog.demo_data import STAFF_PASSWORD
from tests.e2e.test_checkout import add_to_cart
from tests.e2e.test_quotes import BUYER_NAME, register

MANAGE_LINK = re.compile(r"https?://\S+/consultations/b/[^\s/]+")


def unique_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


def book_from_product(
    page, live_server, email, shot=None, *, known="", name="Ada Lovelace", cart=None
):
    """From a sailboat's page to the confirmation; returns the rep's name it shows. With
    `cart`, the header's cart count on every page of the way."""

    def header_says_cart():
        if cart is not None:
            expect(page.get_by_test_id("cart-count")).to_have_text(cart)

    page.goto(f"{live_server}/p/aura-38")
    page.locator(".secondary-actions").get_by_role("link", name="Talk to a specialist").click()
    expect(page.get_by_role("heading", name="Let's start where you are")).to_be_visible()
    header_says_cart()
    expect(page.get_by_text("Talk to a specialist · Tidewright Aura 38")).to_be_visible()

    page.get_by_label("Showroom visit").check()
    page.get_by_label("Budget range").select_option("$150,000-$400,000")
    page.get_by_label("When would you like to have it?").select_option("In 1-3 months")
    page.get_by_label("What have you already looked at or compared?").fill(known)
    page.get_by_label("Anything else we should know?").fill("We sail as a couple, mostly coastal.")
    anyone = page.get_by_label("The first specialist available")
    expect(anyone).to_be_checked()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Phone", exact=True).fill("+1 503 555 0142")
    page.get_by_label("Your time zone").select_option("America/Chicago")
    if shot:
        shot(page, "40-consult-form")
    page.get_by_role("button", name="Choose a time").click()

    expect(page.get_by_role("heading", name="Choose a time")).to_be_visible()
    expect(page.get_by_text("A showroom visit.")).to_be_visible()
    expect(page.locator("#tz")).to_have_value("America/Chicago")
    slots = page.get_by_test_id("slot")
    expect(slots.first).to_be_visible()
    header_says_cart()
    if shot:
        shot(page, "41-consult-time")
    slots.first.click()

    first_name = name.split()[0]
    expect(page.get_by_role("heading", name=f"You're booked, {first_name}.")).to_be_visible()
    lede = page.locator(".confirmation .lede").inner_text()
    assert email in lede
    expect(page.get_by_test_id("booking-status")).to_have_text("Booked")
    expect(page.get_by_test_id("booking-when")).to_contain_text(re.compile(r"C[DS]T"))
    header_says_cart()
    if shot:
        shot(page, "42-consult-booked")
    return lede.split(" will see you ")[0]


def manage_link(live_server, email: str) -> str:
    """The reschedule/cancel link in the buyer's confirmation email, from the outbox."""
    with sqlite3.connect(live_server.db_path) as conn:
        rows = conn.execute(
            "SELECT body_text FROM outbox_messages"
            " WHERE to_address = ? AND dedupe_key LIKE 'booking-confirmed:%:buyer'",
            (email,),
        ).fetchall()
    assert len(rows) == 1
    found = MANAGE_LINK.search(rows[0][0])
    assert found, rows[0][0]
    link = found.group(0)
    assert link.startswith(live_server + "/")
    return link


def test_a_visitor_books_a_showroom_visit_from_a_product_page(page, live_server, shot):
    page.goto(f"{live_server}/p/aura-38")
    talk = page.locator(".secondary-actions").get_by_role("link", name="Talk to a specialist")
    expect(talk).to_be_visible()
    talk.scroll_into_view_if_needed()
    shot(page, "39-product-talk", full_page=False)

    rep = book_from_product(
        page,
        live_server,
        unique_email("ada"),
        shot,
        known="Compared the Aura 38 with the Vesper 40; sailed an Aura in Maine.",
    )
    # Only Maya specialises in sailboats, so "the first available" is her.
    assert rep == "Maya Okafor"
    expect(page.locator(".rep-panel")).to_contain_text("Maya Okafor")


def test_a_logged_in_buyer_sees_their_cart_count_while_booking(page, live_server, shot):
    email = unique_email("edith")
    register(page, live_server, email)
    add_to_cart(page, live_server, "aura-38")
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    book_from_product(page, live_server, email, name=BUYER_NAME, cart="1")
    shot(page, "43-consult-booked-buyer")


def test_the_rep_sees_the_answers_research_trail_and_cart(page, browser, live_server, shot):
    # The visitor does some research first: two boats looked at, one in the cart.
    page.goto(f"{live_server}/p/vesper-40")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vesper 40 Performance Cruiser")
    page.goto(f"{live_server}/p/kittiwake-34")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.get_by_test_id("cart-line")).to_have_count(1)

    email = unique_email("grace")
    known = f"Sea-trialled a Vesper 40 last spring ({uuid.uuid4().hex[:6]})."
    rep = book_from_product(page, live_server, email, known=known, name="Grace Hopper")
    rep_email = {"Maya Okafor": "maya@example.com", "Jonas Lindqvist": "jonas@example.com"}[rep]

    desk = browser.new_context()
    try:
        staff = desk.new_page()
        staff.set_default_timeout(8000)
        staff.goto(f"{live_server}/account/login")
        staff.get_by_label("Email").fill(rep_email)
        staff.get_by_label("Password").fill(STAFF_PASSWORD)
        staff.get_by_role("button", name="Log in").click()
        staff.goto(f"{live_server}/staff/consultations")
        row = staff.get_by_test_id("consultation-row").filter(has_text=email)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Showroom visit")
        shot(staff, "43-staff-consultations")
        row.get_by_role("link").click()

        expect(staff.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
        answers = staff.get_by_test_id("answers")
        expect(answers).to_contain_text("Tidewright Aura 38")
        expect(answers).to_contain_text("$150,000-$400,000")
        expect(answers).to_contain_text("In 1-3 months")
        expect(answers).to_contain_text(known)
        expect(answers).to_contain_text("We sail as a couple, mostly coastal.")
        research = staff.get_by_test_id("research")
        for viewed in (
            "Vesper 40 Performance Cruiser",
            "Kittiwake 34 Aluminum Explorer",
            "Tidewright Aura 38",
        ):
            expect(research.get_by_role("link", name=viewed).first).to_be_visible()
        cart = staff.get_by_test_id("cart")
        expect(cart.locator("li")).to_have_count(1)
        expect(cart).to_contain_text("1 \u00d7 Kittiwake 34 Aluminum Explorer")
        expect(staff.get_by_test_id("orders")).to_contain_text("No orders yet.")
        shot(staff, "44-staff-consultation")
    finally:
        desk.close()


def test_the_buyer_reschedules_through_the_email_link(page, browser, live_server, shot):
    email = unique_email("linus")
    book_from_product(page, live_server, email, name="Linus Pauling")
    booked_when = page.get_by_test_id("booking-when").inner_text()
    link = manage_link(live_server, email)

    # The link works without the booking session: a fresh browser, as from a mail client.
    inbox = browser.new_context()
    try:
        buyer = inbox.new_page()
        buyer.set_default_timeout(8000)
        buyer.goto(link)
        expect(buyer.get_by_role("heading", name="Your consultation")).to_be_visible()
        expect(buyer.get_by_test_id("booking-when")).to_have_text(booked_when)
        buyer.get_by_role("link", name="Reschedule").click()

        expect(buyer.get_by_role("heading", name="Choose a new time")).to_be_visible()
        expect(buyer.get_by_text("See times with another specialist")).to_be_visible()
        slots = buyer.get_by_test_id("slot")
        expect(slots.first).to_be_visible()
        shot(buyer, "45-consult-reschedule")
        # Not the first free time: the second free day, so the move is plain to see.
        buyer.locator(".slot-day").nth(1).get_by_test_id("slot").first.click()

        expect(buyer.locator(".flash-success")).to_contain_text("Your consultation has moved")
        expect(buyer.get_by_test_id("booking-status")).to_have_text("Booked")
        moved_when = buyer.get_by_test_id("booking-when").inner_text()
        assert moved_when != booked_when
        shot(buyer, "46-consult-moved")
        new_link = buyer.url

        # The old link died with the move; the new one works.
        assert buyer.goto(link).status == 404
        assert buyer.goto(new_link).status == 200
        expect(buyer.get_by_test_id("booking-when")).to_have_text(moved_when)
    finally:
        inbox.close()


def test_the_buyer_cancels_through_the_email_link(page, live_server, shot):
    email = unique_email("marie")
    book_from_product(page, live_server, email, name="Marie Curie")
    link = manage_link(live_server, email)

    page.goto(link)
    page.get_by_text("Cancel the consultation").click()
    page.get_by_label("Why are you cancelling? (optional)").fill("Bought a boat elsewhere.")
    shot(page, "47-consult-cancel-box")
    page.get_by_role("button", name="Cancel it").click()

    expect(page.locator(".flash")).to_contain_text("Your consultation is cancelled.")
    expect(page.get_by_test_id("booking-status")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Reschedule")).to_have_count(0)
    shot(page, "48-consult-cancelled")
    assert page.goto(link).status == 404


def test_the_booking_pages_on_a_phone(browser, live_server, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.set_default_timeout(8000)
        page.goto(f"{live_server}/consultations/new?product=aura-38")
        expect(page.locator(".rep-card")).to_have_count(2)
        shot(page, "phone-consult-form")
        page.get_by_label("Video call").check()
        page.get_by_label("Your name").fill("Rosalind Franklin")
        page.get_by_label("Email", exact=True).fill(unique_email("rosalind"))
        page.get_by_role("button", name="Choose a time").click()
        expect(page.get_by_test_id("slot").first).to_be_visible()
        shot(page, "phone-consult-time")
        # Nothing is wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
    finally:
        context.close()
