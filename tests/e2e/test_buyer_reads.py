"""What every page and email says is true, in the buyer's own time and words (issue 24), walked
in a real browser by visible labels.

A buyer in Los Angeles signs up, pays by card, reads the order, asks about it, books a call and
changes their zone: no page and no email says UTC, every time names the Pacific zone, then the
chosen one. The order says the card is authorized, not paid or confirmed. Another buyer in Los
Angeles, who once met the piano specialist, asks for a quote for a sailboat: the sailboat
specialist gets it, and the order it becomes lists its items without an empty "()", asks its
questions of its rep and of support's queue, and reads its balance as money. A return settled by
support solves the buyer's ticket, with the outcome in words. A category's filter counts are what
clicking them gives.
"""

import re
import sqlite3
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_after_sale import deliver
from tests.e2e.test_checkout import enter_card, place
from tests.e2e.test_quotes import BUYER_NAME, log_in, new_context_page, sign_up_link

LOS_ANGELES = "America/Los_Angeles"
PACIFIC = re.compile(r"\bP[SD]T\b")
MONEY = re.compile(r"\$\d{1,3}(?:,\d{3})*\.\d{2}")
BARE_CENTS = re.compile(r"\d[\d,]*\s*cents", re.I)


def unique(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


class Reader:
    """Every page a browser loads, in the words a person reads there (the body's innerText,
    sent by the page itself as soon as its document is parsed), and every address it reached,
    so a test can tell that it read them all."""

    def __init__(self, context):
        self.read: list[tuple[str, str]] = []
        self.reached: list[str] = []
        context.expose_binding("readPage", lambda source, url, text: self.read.append((url, text)))
        context.add_init_script(
            "window.addEventListener('DOMContentLoaded', () =>"
            " window.readPage(location.href, document.body ? document.body.innerText : ''));"
        )

    def watch(self, page):
        page.on(
            "framenavigated",
            lambda frame: self.reached.append(frame.url) if frame == page.main_frame else None,
        )
        return page

    def settle(self, page) -> None:
        """Wait until the page on screen has been read, before the test leaves it for an
        address it types (a link from an email): its report could otherwise be dropped with
        the page."""
        expect(page.locator("body")).to_be_visible()
        for _ in range(50):
            if page.url in {url for url, _ in self.read}:
                return
            page.wait_for_timeout(100)

    def assert_never_says(self, page, word: str) -> int:
        """No page reached says `word`; returns how many pages were read."""
        page.wait_for_load_state()
        for _ in range(20):  # the last page's report may still be on its way
            missing = set(self.reached) - {url for url, _ in self.read} - {"about:blank"}
            if not missing:
                break
            page.wait_for_timeout(100)
        assert not missing, f"pages reached but never read: {missing}"
        for url, text in self.read:
            at = text.find(word)
            assert at < 0, f"{url} says {word!r}: ...{text[max(0, at - 80) : at + 20]!r}"
        return len(self.read)


def la_buyer(browser, live_server, email):
    """A browser in Los Angeles, its pages read; the buyer signs up there."""
    context = browser.new_context(timezone_id=LOS_ANGELES)
    reader = Reader(context)
    page = reader.watch(context.new_page())
    page.set_default_timeout(8000)
    page.goto(f"{live_server}/account/register")
    page.get_by_label("Full name").fill(BUYER_NAME)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("a long buyer passphrase")
    page.get_by_label("Repeat password").fill("a long buyer passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email to continue")
    reader.settle(page)  # read before the test goes to the emailed link
    page.goto(sign_up_link(live_server, email))
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    reader.settle(page)
    return context, reader, page


def menu(page, item: str) -> None:
    """A link of the account menu in the header (the buyer's first name)."""
    page.locator("details.account-menu summary").click()
    page.locator("details.account-menu").get_by_role("link", name=item).click()


def buy_by_card(page, live_server, slug: str) -> str:
    """A signed-in buyer's card checkout (the card only authorized); returns the order number."""
    page.goto(f"{live_server}/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Street address").fill("1200 Sunset Boulevard")
    page.get_by_label("City").fill("Los Angeles")
    page.get_by_label("State").select_option("CA")
    page.get_by_label("ZIP code").fill("90026")
    phone = page.get_by_label("Phone")
    if phone.count() and not phone.input_value():
        phone.fill("+1 213 555 0144")
    page.get_by_role("button", name="Continue to delivery").click()
    page.get_by_role("button", name="Continue to review").click()
    place(page)
    enter_card(page, "4242424242424242")
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    return re.search(r"HH-[A-Z0-9]{6}", page.locator(".confirmation .lede").inner_text()).group(0)


def open_order(page, number: str) -> None:
    menu(page, "My orders")
    page.get_by_test_id("order-row").get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=number)).to_be_visible()


def timeline(page):
    return page.locator("ol.timeline")


def assert_money_only(text: str) -> None:
    """Amounts read as money ("$2,608.38"), never as a count of cents."""
    assert not BARE_CENTS.search(text), text
    assert MONEY.search(text), text


def emails_to(live_server, address: str) -> list[tuple[str, str]]:
    with sqlite3.connect(live_server.db_path) as conn:
        return conn.execute(
            "SELECT subject, body_text FROM outbox_messages WHERE to_address = ? ORDER BY id",
            (address,),
        ).fetchall()


def save_shot(page, name: str) -> None:
    """The `shot` fixture's picture, for a module's fixture (which cannot take `shot`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# --- points 1 and 3: a buyer in Los Angeles never reads UTC; authorized is not paid -----------


def test_a_buyer_in_los_angeles_reads_pacific_time_on_every_page_and_email(
    browser, live_server, shot
):
    email = unique("lea")
    context, reader, page = la_buyer(browser, live_server, email)
    try:
        # The order, paid by card: the card is authorized, nothing is charged or confirmed.
        number = buy_by_card(page, live_server, "fernway-haul-compact")
        lede = page.locator(".confirmation .lede")
        expect(lede).to_contain_text(re.compile(r"your card is authorized for \$[\d,]+\.\d\d"))
        expect(page.get_by_test_id("order-status")).to_have_text("Order placed")
        expect(page.get_by_test_id("payment-status")).to_have_text("Card, authorized")
        expect(page.get_by_test_id("paid")).to_have_text("$0.00")
        total = page.get_by_test_id("order-total").inner_text()
        expect(timeline(page)).to_contain_text(
            f"Order placed. Card authorized for {total}; not charged yet."
        )
        words = page.locator("main").inner_text()
        assert "Paid by card" not in words and not re.search(r"\bconfirmed\b", words, re.I)
        assert_money_only(timeline(page).inner_text())
        times = timeline(page).locator("time").all_inner_texts()
        assert times and all(PACIFIC.search(t) for t in times), times
        shot(page, "90-la-order-placed")

        # The order again from the account menu, then a question about it.
        open_order(page, number)
        expect(page.get_by_test_id("payment-status")).to_have_text("Card, authorized")
        page.get_by_test_id("order-help").click()
        page.get_by_label("What is it about?").select_option("question")
        page.get_by_label("Subject").fill("Can it come on a Saturday?")
        page.get_by_label("Your message").fill("We are both at work during the week.")
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_test_id("ticket-status")).to_have_text("New")
        expect(page.locator(".message-meta time").first).to_have_text(PACIFIC)
        shot(page, "91-la-ticket")
        page.get_by_role("link", name="All your tickets").click()
        expect(page.get_by_role("link", name=re.compile(r"T-[A-Z0-9]{6}")).first).to_be_visible()

        # A call with a specialist, booked on the Pacific clock.
        menu(page, "My consultations")
        page.get_by_role("main").get_by_role("link", name="Talk to a specialist").click()
        page.get_by_label("Video call").check()
        expect(page.get_by_label("Your time zone")).to_have_value(LOS_ANGELES)
        page.get_by_role("button", name="Choose a time").click()
        page.get_by_test_id("slot").first.click()
        expect(page.get_by_test_id("booking-when")).to_contain_text(PACIFIC)
        menu(page, "My consultations")
        expect(page.get_by_role("main").get_by_role("link", name=PACIFIC)).to_have_count(1)
        menu(page, "My quotes")
        expect(page.get_by_role("heading", name="My quotes")).to_be_visible()

        # The account keeps the zone the browser reported; the buyer moves to Berlin.
        menu(page, "My account")
        zone = page.get_by_label("Times on your pages and in your emails are shown in")
        expect(zone).to_have_value(LOS_ANGELES)
        shot(page, "92-la-account-zone")
        zone.select_option("Europe/Berlin")
        page.get_by_test_id("timezone-panel").get_by_role("button", name="Save").click()
        expect(page.locator(".flash-success")).to_contain_text("Europe/Berlin")
        open_order(page, number)
        times = timeline(page).locator("time").all_inner_texts()
        assert all(re.search(r"\bCES?T\b", t) for t in times), times
        expect(timeline(page)).not_to_contain_text(PACIFIC)
        shot(page, "93-berlin-order")

        # Not one page of the journey said UTC, nor any email to the buyer.
        assert reader.assert_never_says(page, "UTC") >= 15
        mail = emails_to(live_server, email)
        assert len(mail) >= 3, mail  # sign-up, order, ticket, booking
        for subject, body in mail:
            assert "UTC" not in subject + body, (subject, body)
        [(placed, _)] = [m for m in mail if number in m[0] and "placed" in m[0]]
        assert placed == f"Order {number} placed: your card is authorized, not charged yet"
        [booked] = [body for subject, body in mail if "consultation" in subject.lower()]
        assert PACIFIC.search(booked), booked
    finally:
        context.close()


# --- points 2, 6, 11 and 12: a quote for a sailboat, and the order it became -----------------


@pytest.fixture(scope="module")
def quote_order(browser, live_server):
    """A buyer in Los Angeles who met the piano specialist asks for a quote for a sailboat
    from the cart; Maya prices it with a custom commissioning line and a 10% deposit; the buyer
    accepts and pays the deposit by card. Yields what each side needs."""
    email = unique("nell")
    context, reader, buyer = la_buyer(browser, live_server, email)
    rep_context, rep = new_context_page(browser)
    try:
        # A call with the piano specialist first: he becomes the buyer's earlier rep.
        reader.settle(buyer)
        buyer.goto(f"{live_server}/p/sorai-g190")
        buyer.locator(".secondary-actions").get_by_role("link", name="Talk to a specialist").click()
        buyer.get_by_label("Video call").check()
        buyer.get_by_role("button", name="Choose a time").click()
        buyer.get_by_test_id("slot").first.click()
        met = buyer.locator(".confirmation .lede").inner_text()
        reader.settle(buyer)

        # Then a sailboat in the cart, and "Request a quote".
        buyer.goto(f"{live_server}/p/cobble-sound-catboat-22")
        buyer.get_by_role("button", name="Add to cart").click()
        buyer.locator("summary", has_text="Request a quote").click()
        buyer.get_by_label("Anything we should know?").fill("A May launch at our marina.")
        buyer.get_by_role("button", name="Request a quote").click()
        requested = buyer.locator(".confirmation .lede").inner_text()
        specialist = buyer.locator(".rep-panel").inner_text()
        quote = re.search(r"Q-[A-Z0-9]+", requested).group(0)
        save_shot(buyer, "94-quote-requested")

        # Maya prices it: the boat, commissioning (a line with no variant), a 10% deposit.
        log_in(rep, live_server, "maya@example.com")
        rep.goto(f"{live_server}/staff/quotes")
        rep.get_by_test_id("quote-row").filter(has_text=quote).get_by_role(
            "link", name=quote
        ).click()
        rep.get_by_label("New custom line").fill("Commissioning at your marina")
        rep.get_by_label("Price", exact=True).fill("1,500.00")
        rep.get_by_label("Our cost").fill("1,100.00")
        rep.get_by_label("Deposit (%)").fill("10")
        rep.get_by_label("Delivery terms").fill("Trucked to your marina and commissioned there.")
        rep.get_by_role("button", name="Save", exact=True).click()
        expect(rep.locator(".flash-success")).to_contain_text("Quote saved.")
        rep.get_by_role("button", name=f"Send to {email}").click()
        expect(rep.get_by_test_id("quote-status")).to_have_text("Sent")

        # The buyer accepts it from "My quotes" and pays the deposit by card.
        menu(buyer, "My quotes")
        buyer.get_by_test_id("quote-row").get_by_role("link", name=quote).click()
        buyer.get_by_label("Type your full name to sign").fill(BUYER_NAME)
        buyer.get_by_label(re.compile(f"I accept version 1 of quote {quote}")).check()
        buyer.get_by_role("button", name="Accept and pay").click()
        buyer.get_by_label("Street address").fill("2 Marina Drive")
        buyer.get_by_label("City").fill("Portland")
        buyer.get_by_label("State").select_option("OR")
        buyer.get_by_label("ZIP code").fill("97201")
        buyer.get_by_label("Phone").fill("+1 503 555 0123")
        expect(buyer.get_by_label(re.compile("The 10% deposit now"))).to_be_checked()
        buyer.get_by_role("button", name="Continue to payment").click()
        enter_card(buyer, "4242424242424242")
        lede = buyer.locator(".confirmation .lede")
        expect(lede).to_contain_text("the deposit")
        number = re.search(r"Your order (\S+) is", lede.inner_text()).group(1)
        save_shot(buyer, "95-quote-order-placed")
        yield {
            "email": email,
            "buyer": buyer,
            "reader": reader,
            "rep": rep,
            "number": number,
            "quote": quote,
            "met": met,
            "requested": requested,
            "specialist": specialist,
        }
    finally:
        rep_context.close()
        context.close()


def test_a_quote_request_for_a_sailboat_goes_to_the_sailboat_specialist(quote_order):
    """Point 12: the buyer's earlier rep sells pianos, so the sailboat cart goes to Maya."""
    assert quote_order["met"].startswith("Jonas Lindqvist will see you"), quote_order["met"]
    assert f"Your request {quote_order['quote']} is with Maya Okafor." in quote_order["requested"]
    assert "Specialist, sailboats and expeditions" in quote_order["specialist"]
    assert "Jonas" not in quote_order["requested"] + quote_order["specialist"]


def test_the_ticket_form_of_a_quote_order_lists_its_items_without_empty_brackets(quote_order):
    """Point 6: the commissioning line has no variant, and reads as itself."""
    buyer = quote_order["buyer"]
    open_order(buyer, quote_order["number"])
    buyer.get_by_test_id("order-help").click()
    form = buyer.get_by_test_id("ticket-form")
    items = form.locator("input[name=lines]")
    expect(items).to_have_count(2)
    expect(form.get_by_label("1 x Commissioning at your marina", exact=True)).to_have_count(1)
    boat = form.get_by_label("1 x Cobble Sound Catboat 22 (Painted topsides)", exact=True)
    expect(boat).to_have_count(1)
    assert "()" not in buyer.locator("main").inner_text()
    save_shot(buyer, "96-quote-order-ticket-form")


def test_a_question_about_a_quote_order_reaches_its_rep_and_supports_queue(
    browser, live_server, quote_order, shot
):
    """Point 11: the buyer asks from the order page; Maya has it on her desk, and support sees
    it on theirs and in the queue, with no filter to change."""
    buyer, number = quote_order["buyer"], quote_order["number"]
    open_order(buyer, number)
    buyer.get_by_test_id("order-help").click()
    expect(buyer.get_by_text("the specialist who sold it to you")).to_be_visible()
    buyer.get_by_label("What is it about?").select_option("question")
    buyer.get_by_label("Subject").fill("Can the launch move to June?")
    buyer.get_by_label("Your message").fill("The marina is full until June.")
    buyer.get_by_role("button", name="Send").click()
    expect(buyer.get_by_test_id("ticket-status")).to_have_text("New")
    ticket = re.search(r"T-[A-Z0-9]{6}", buyer.locator(".eyebrow").inner_text()).group(0)

    rep = quote_order["rep"]
    rep.goto(f"{live_server}/staff/")
    mine = rep.get_by_test_id("dash-tickets")
    expect(mine).to_contain_text("Your tickets")
    expect(mine.get_by_test_id("dash-tickets-row").filter(has_text=ticket)).to_contain_text(
        "Can the launch move to June?"
    )

    context, support = new_context_page(browser)
    try:
        log_in(support, live_server, "support@example.com")
        support.goto(f"{live_server}/staff/")
        desk = support.get_by_test_id("dash-tickets")
        expect(desk).not_to_contain_text("No ticket is waiting")
        expect(desk.get_by_test_id("dash-tickets-row").filter(has_text=ticket)).to_have_count(1)
        shot(support, "97-support-desk-question")
        desk.get_by_role("link", name="Every ticket still to do").click()
        row = support.get_by_test_id("ticket-row").filter(has_text=ticket)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Maya Okafor")
        shot(support, "98-support-queue-question")
    finally:
        context.close()


def test_the_balance_request_reads_as_money_on_the_buyers_timeline(live_server, quote_order):
    """Point 2: Maya asks for the balance from her desk; the buyer's timeline says how much in
    dollars, and no amount anywhere on the order page is a count of cents."""
    rep, buyer, number = quote_order["rep"], quote_order["buyer"], quote_order["number"]
    rep.goto(f"{live_server}/staff/")
    row = rep.get_by_test_id("desk-orders").get_by_role("row").filter(has_text=number)
    row.get_by_role("button", name="Request balance").click()
    expect(rep.locator(".flash-success")).to_contain_text("Balance request for $")

    open_order(buyer, number)
    outstanding = buyer.get_by_test_id("balance-due").inner_text().split(" ·")[0]
    assert MONEY.fullmatch(outstanding), outstanding
    expect(timeline(buyer)).to_contain_text(f"Balance of {outstanding} requested by card.")
    assert_money_only(timeline(buyer).inner_text())
    assert not BARE_CENTS.search(buyer.locator("main").inner_text())
    save_shot(buyer, "99-balance-requested")


def test_no_page_of_the_quote_journey_says_utc(quote_order):
    """Point 1 again, for the quote buyer's pages: request, quote, acceptance, payment, order,
    ticket, all on the Pacific clock."""
    buyer = quote_order["buyer"]
    open_order(buyer, quote_order["number"])
    times = timeline(buyer).locator("time").all_inner_texts()
    assert times and all(PACIFIC.search(t) for t in times), times
    assert quote_order["reader"].assert_never_says(buyer, "UTC") >= 10


# --- point 13: a settled return solves the buyer's ticket, with the outcome -------------------


def test_a_settled_return_solves_the_buyers_ticket_and_says_the_outcome(
    browser, live_server, stripe_peer, shot
):
    email = unique("ruth")
    context, _, buyer = la_buyer(browser, live_server, email)
    try:
        number = buy_by_card(buyer, live_server, "tallis-fold-s")
        deliver(live_server, stripe_peer, number)
        open_order(buyer, number)
        expect(buyer.get_by_test_id("order-status")).to_have_text("Delivered")
        buyer.get_by_test_id("order-help").click()
        buyer.get_by_label("What is it about?").select_option("return_request")
        buyer.locator("input[name=lines]").first.check()
        buyer.get_by_label("Subject").fill("Too small for me after all")
        buyer.get_by_label("Your message").fill("I would like to send the bike back.")
        buyer.get_by_role("button", name="Send").click()
        expect(buyer.get_by_test_id("ticket-status")).to_have_text("New")
        ticket = re.search(r"T-[A-Z0-9]{6}", buyer.locator(".eyebrow").inner_text()).group(0)

        staff_context, support = new_context_page(browser)
        try:
            log_in(support, live_server, "support@example.com")
            support.goto(f"{live_server}/staff/")
            support.get_by_test_id("dash-tickets").get_by_role("link", name=ticket).click()
            support.get_by_test_id("return-approve").click()
            support.get_by_test_id("return-received").click()
            support.get_by_label("Settle with").select_option("refund")
            refund = support.get_by_label("Amount (refund or credit)").input_value()
            support.get_by_test_id("return-settle").click()
            expect(support.get_by_test_id("return-outcome")).to_be_visible()
            shot(support, "9a-support-return-settled")
        finally:
            staff_context.close()

        buyer.reload()
        expect(buyer.get_by_test_id("ticket-status")).to_have_text("Solved")
        dollars = f"${float(refund.replace(',', '')):,.2f}"
        expect(buyer.get_by_test_id("return-outcome")).to_contain_text(
            f"We refunded {dollars} to the card you paid with"
        )
        expect(buyer.get_by_text("We think this is solved")).to_be_visible()
        shot(buyer, "9b-buyer-return-solved")
    finally:
        context.close()


# --- point 15: each filter count is what clicking it gives -----------------------------------


def result_count(page) -> int:
    text = page.get_by_test_id("result-count").inner_text()
    return int(re.match(r"([\d,]+) product", text).group(1).replace(",", ""))


def choices(page, legend: str) -> list[tuple[str, int, bool]]:
    """(value, count shown, offered) for each choice of a filter group."""
    group = page.locator("form.filters fieldset").filter(
        has=page.locator("legend", has_text=legend)
    )
    out = []
    for label in group.locator("label.check").all():
        value, count = re.fullmatch(r"\s*(.+?)\s+(\d+)\s*", label.inner_text()).groups()
        out.append((value, int(count), label.locator("input").is_enabled()))
    return out


def test_filter_counts_are_what_choosing_them_gives(page, live_server, shot):
    page.goto(live_server)
    page.get_by_role("link", name="Sailboats", exact=True).first.click()
    everything = result_count(page)
    page.get_by_label("Maximum price").fill("250000")
    page.get_by_role("button", name="Apply filters").click()
    narrowed = result_count(page)
    assert 0 < narrowed < everything
    shot(page, "9c-filtered-sailboats")

    for legend in ("Hull material", "Model year"):
        shown = choices(page, legend)
        # Every boat has one hull and one model year: the counts add up to the results.
        assert sum(count for _, count, _ in shown) == narrowed, (legend, shown)
        for value, count, offered in shown:
            assert offered == (count > 0), (legend, value, count)
    for value, count, offered in choices(page, "Hull material"):
        if not offered:
            continue
        page.get_by_role("checkbox", name=f"{value} {count}", exact=True).check()
        page.get_by_role("button", name="Apply filters").click()
        assert result_count(page) == count, (value, count)
        # Ticked, it still counts what it gives: the other filters, not itself, narrow it.
        now = {v: c for v, c, _ in choices(page, "Hull material")}
        assert now[value] == count, (value, now)
        page.get_by_role("checkbox", name=f"{value} {count}", exact=True).uncheck()
        page.get_by_role("button", name="Apply filters").click()
        assert result_count(page) == narrowed
