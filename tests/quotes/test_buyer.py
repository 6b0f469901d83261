"""The buyer's side of a quote: asking from the cart, routing, the page, the thread, declining."""

import re
import sqlite3
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.auth.models import StaffProfile
from shop.auth.roles import Role
from shop.catalog.models import StockReservation
from shop.consultations.models import RepSchedule
from shop.db import utcnow
from shop.errors import DomainError
from shop.notifications.models import OutboxMessage
from shop.quotes import buyer, services
from shop.quotes.models import Quote, QuoteEvent, QuoteMessage, QuoteVersion
from tests.conftest import post_form
from tests.quotes.conftest import terms

# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def desk(db, make_user, sailboats, make_category):
    """Two sailboat reps (maya, ravi), a piano rep (jonas), a manager, and two buyers."""
    pianos = make_category(slug="pianos", name="Grand pianos")
    made = {"pianos": pianos}
    for key, name, category in (
        ("maya", "Maya Okafor", sailboats),
        ("ravi", "Ravi Shah", sailboats),
        ("jonas", "Jonas Lindqvist", pianos),
    ):
        rep = make_user(Role.REP, email=f"{key}@example.com", name=name)
        profile = db.session.scalar(sa.select(StaffProfile).where(StaffProfile.user_id == rep.id))
        profile.specialties = [category]
        db.session.add(RepSchedule(rep_id=rep.id))
        made[key] = rep
    made["boss"] = make_user(Role.MANAGER, email="boss@example.com", name="Bea Boss")
    made["ada"] = make_user(Role.BUYER, email="ada@example.com", name="Ada Lovelace")
    made["bob"] = make_user(Role.BUYER, email="bob@example.com", name="Bob Other")
    db.session.commit()
    return made


@pytest.fixture
def boat(sailboats, make_product):
    """A $100,000 boat that cost the store $50,000."""
    return make_product(sailboats, name="Swan 48", price_cents=100_000_00, stock=3)


def add_to_cart(client, variant, quantity=1):
    response = post_form(
        client, "/cart/add", {"variant_id": str(variant.id), "quantity": str(quantity)}
    )
    assert response.status_code == 303


def ask(client, **data):
    """Press "Request a quote" on the cart page."""
    return post_form(client, "/quotes/request", {"comment": "", **data})


def only_quote(db) -> Quote:
    db.session.expire_all()
    return db.session.scalars(sa.select(Quote)).one()


def version_of(db, quote: Quote, number: int = 1) -> QuoteVersion:
    return db.session.scalar(
        sa.select(QuoteVersion)
        .where(QuoteVersion.quote_id == quote.id, QuoteVersion.number == number)
        .options(sa.orm.selectinload(QuoteVersion.lines))
        .execution_options(populate_existing=True)
    )


def outbox_to(db, address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
    )


def page(client, quote: Quote, **args):
    return client.get(f"/quotes/v/{services.quote_link_token(quote)}", query_string=args)


def sent_quote(db, desk, boat, quantity=1, **kw) -> Quote:
    """A quote maya built for ada and sent (one boat; `**kw` go into the terms)."""
    quote = services.create_quote(desk["maya"], buyer_id=desk["ada"].id)
    services.save_version(quote.id, desk["maya"], terms(boat.variants[0].id, quantity, **kw))
    services.send(quote.id, desk["maya"])
    db.session.commit()
    return quote


def revise(db, desk, quote, boat, quantity, send=True, **kw):
    services.save_version(quote.id, desk["maya"], terms(boat.variants[0].id, quantity, **kw))
    if send:
        services.send(quote.id, desk["maya"])
    db.session.commit()


# --- asking from the cart ----------------------------------------------------------------------


def test_the_cart_offers_a_quote_request_with_a_comment(client, desk, boat, login):
    add_to_cart(client, boat.variants[0])
    html = client.get("/cart/").get_data(as_text=True)
    assert 'action="/quotes/request"' in html
    assert 'name="comment"' in html and 'name="email"' in html  # a visitor gives their email
    login(desk["ada"])
    add_to_cart(client, boat.variants[0])
    html = client.get("/cart/").get_data(as_text=True)
    assert 'action="/quotes/request"' in html and 'name="email"' not in html


@pytest.mark.both_dbs
def test_a_buyer_asks_for_a_quote_and_it_lands_on_a_specialists_desk(client, db, desk, boat, login):
    variant = boat.variants[0]
    login(desk["ada"])
    add_to_cart(client, variant, 2)
    response = ask(client, comment="Delivery to Seattle in May? We have a trade-in.")
    assert response.status_code == 303
    assert "/quotes/v/" in response.location and "requested=1" in response.location

    quote = only_quote(db)
    assert (quote.status, quote.source, quote.buyer_id) == ("draft", "request", desk["ada"].id)
    assert (quote.name, quote.email) == ("Ada Lovelace", "ada@example.com")
    assert quote.rep_id in (desk["maya"].id, desk["ravi"].id)  # sailboat specialists
    assert quote.request_comment.startswith("Delivery to Seattle")
    version = version_of(db, quote)
    [line] = version.lines
    assert (line.kind, line.variant_id, line.sku) == ("catalog", variant.id, variant.sku)
    assert (line.unit_price_cents, line.unit_cost_cents, line.quantity) == (
        100_000_00,
        50_000_00,
        2,
    )
    assert line.net_cents == version.list_cents == version.total_cents == 200_000_00
    assert version.cost_cents == 100_000_00 and version.sent_at is None
    event = db.session.scalars(sa.select(QuoteEvent).where(QuoteEvent.quote_id == quote.id)).one()
    assert event.kind == "requested" and "ada@example.com" in event.actor_label

    rep = db.session.get(type(desk["maya"]), quote.rep_id)
    [email] = outbox_to(db, rep.email)
    assert quote.number in email.subject and "Delivery to Seattle" in email.body_text
    assert f"/staff/quotes/{quote.id}" in email.body_text

    # The cart is left as it was: the buyer may still check out on their own.
    assert 'data-testid="cart-line"' in client.get("/cart/").get_data(as_text=True)
    html = client.get(response.location).get_data(as_text=True)
    assert "Thank you, Ada." in html and rep.name in html and "Being prepared" in html


def test_a_visitor_gives_a_name_and_an_email(client, db, desk, boat):
    add_to_cart(client, boat.variants[0])
    response = ask(client, comment="Hello", email="not-an-email")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Tell us your name." in html and "Enter a valid email address." in html
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 0

    response = ask(client, name="Grace Hopper", email="Grace@Example.com")
    assert response.status_code == 303
    quote = only_quote(db)
    assert (quote.buyer_id, quote.email, quote.name) == (None, "grace@example.com", "Grace Hopper")
    event = db.session.scalars(sa.select(QuoteEvent).where(QuoteEvent.quote_id == quote.id)).one()
    assert "(visitor)" in event.actor_label


def test_a_visitor_typing_someone_elses_email_gets_a_request_of_their_own(app, db, desk, boat):
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        add_to_cart(client, boat.variants[0])
    mine = ask(first, name="Grace Hopper", email="grace@example.com", comment="Private plans")
    other = ask(second, name="Mallory", email="grace@example.com")
    assert mine.location != other.location
    assert "Private plans" not in second.get(other.location).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 2


def test_the_requester_gets_the_link_to_their_request(client, db, desk, boat):
    add_to_cart(client, boat.variants[0])
    location = ask(client, name="Grace Hopper", email="grace@example.com").location
    [email] = outbox_to(db, "grace@example.com")
    quote = only_quote(db)
    assert quote.number in email.subject
    assert f"/quotes/v/{services.quote_link_token(quote)}" in email.body_text
    assert location.startswith(f"/quotes/v/{services.quote_link_token(quote)}")


def test_an_empty_cart_cannot_ask_for_a_quote(client, db, desk, login):
    login(desk["ada"])
    response = ask(client, comment="Anything")
    assert response.status_code == 400
    assert "Your cart is empty" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 0


def test_a_double_click_makes_one_request(client, db, desk, boat, login):
    login(desk["ada"])
    add_to_cart(client, boat.variants[0])
    first, second = ask(client, comment="Once"), ask(client, comment="Once")
    assert first.location == second.location
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 1


def test_requests_without_token_are_refused(client, db, desk, boat):
    add_to_cart(client, boat.variants[0])
    response = client.post("/quotes/request", data={"name": "Eve", "email": "eve@example.com"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Quote.id))) == 0


# --- routing -----------------------------------------------------------------------------------


def test_a_request_goes_to_the_buyers_earlier_rep(db, desk, boat, make_product):
    earlier = services.create_quote(desk["ravi"], buyer_id=desk["ada"].id)
    services.create_quote(desk["ravi"], name="X", email="x@example.com")  # ravi is busier
    db.session.commit()
    assert earlier.rep_id == desk["ravi"].id
    rep_id = buyer.route_request(boat.category_id, desk["ada"].id, "ada@example.com")
    assert rep_id == desk["ravi"].id


def test_a_new_buyer_goes_to_the_least_loaded_specialist_of_the_first_line(db, desk, boat):
    for n in range(2):
        services.create_quote(desk["maya"], name="X", email=f"x{n}@example.com")
    db.session.commit()
    assert buyer.route_request(boat.category_id, None, "new@example.com") == desk["ravi"].id
    pianos = desk["pianos"]
    assert buyer.route_request(pianos.id, None, "new@example.com") == desk["jonas"].id


def test_the_first_cart_line_decides_the_specialty(client, db, desk, boat, make_product):
    piano = make_product(desk["pianos"], name="Model D", price_cents=180_000_00)
    add_to_cart(client, piano.variants[0])
    add_to_cart(client, boat.variants[0])
    ask(client, name="Clara Schumann", email="clara@example.com")
    quote = only_quote(db)
    assert quote.rep_id == desk["jonas"].id
    assert len(version_of(db, quote).lines) == 2


def test_a_sailboat_cart_skips_the_earlier_piano_rep_for_a_sailboat_specialist(
    client, db, desk, boat, login
):
    """Ada bought through Jonas (pianos); her sailboat request goes to a sailboat specialist."""
    services.create_quote(desk["jonas"], buyer_id=desk["ada"].id)
    services.create_quote(desk["maya"], name="X", email="x@example.com")  # maya is busier
    db.session.commit()
    login(desk["ada"])
    add_to_cart(client, boat.variants[0])
    assert ask(client).status_code == 303
    quote = db.session.scalars(sa.select(Quote).where(Quote.source == "request")).one()
    assert quote.rep_id == desk["ravi"].id  # the least loaded sailboat specialist
    assert [m.subject for m in outbox_to(db, "ravi@example.com")] == [
        f"Quote request {quote.number} from Ada Lovelace"
    ]
    assert outbox_to(db, "jonas@example.com") == []


def test_the_earlier_rep_keeps_the_buyer_when_they_cover_the_category(db, desk, boat):
    services.create_quote(desk["maya"], buyer_id=desk["ada"].id)
    services.create_quote(desk["maya"], name="X", email="x@example.com")  # busier, still hers
    db.session.commit()
    assert buyer.route_request(boat.category_id, desk["ada"].id, "") == desk["maya"].id
    # The same earlier rep is passed over for a category she does not cover.
    pianos = desk["pianos"]
    assert buyer.route_request(pianos.id, desk["ada"].id, "") == desk["jonas"].id


def test_equally_loaded_specialists_are_chosen_the_same_way_every_time(db, desk, boat):
    chosen = {buyer.route_request(boat.category_id, None, "n@example.com") for _ in range(3)}
    assert chosen == {min(desk["maya"].id, desk["ravi"].id)}


def test_a_category_nobody_covers_goes_to_the_earlier_rep_else_any_rep(db, desk, make_category):
    harps = make_category(slug="harps", name="Harps")
    services.create_quote(desk["jonas"], buyer_id=desk["ada"].id)
    db.session.commit()
    assert buyer.route_request(harps.id, desk["ada"].id, "") == desk["jonas"].id
    anyone = buyer.route_request(harps.id, None, "new@example.com")
    assert anyone in {desk["maya"].id, desk["ravi"].id, desk["jonas"].id}


def test_the_cart_goes_by_the_category_most_of_its_value_is_in(
    client, db, desk, boat, make_product
):
    bench = make_product(desk["pianos"], name="Piano bench", price_cents=900_00)
    add_to_cart(client, bench.variants[0])  # the first line, but a small part of the cart
    add_to_cart(client, boat.variants[0])
    ask(client, name="Clara Schumann", email="clara@example.com")
    assert only_quote(db).rep_id in (desk["maya"].id, desk["ravi"].id)


# --- the quote page ----------------------------------------------------------------------------


def test_a_forged_or_damaged_link_is_404(client, db, desk, boat):
    quote = sent_quote(db, desk, boat)
    token = services.quote_link_token(quote)
    assert client.get(f"/quotes/v/{token}x").status_code == 404
    assert client.get("/quotes/v/Q-ABCDEFG").status_code == 404
    assert client.get(f"/quotes/v/{'a' * 400}").status_code == 404
    assert post_form(client, f"/quotes/v/{token}x/message", {"body": "Hi"}).status_code == 404
    assert post_form(client, f"/quotes/v/{token}x/decline", {"reason": "No"}).status_code == 404


def test_the_buyer_reads_lines_totals_terms_and_the_reps_note(client, db, desk, boat):
    quote = sent_quote(
        db,
        desk,
        boat,
        quantity=2,
        discount_kind="percent",
        discount_value=5,
        deposit_pct=30,
        delivery_terms="Delivered to Seattle, commissioning included.",
        note_to_buyer="Ada, as we discussed: both boats, 5% off.",
    )
    html = page(client, quote).get_data(as_text=True)
    assert "Swan 48" in html and quote.number in html
    assert "$200,000.00" in html  # at list price
    assert "\N{MINUS SIGN}$10,000.00" in html  # the quote discount, after a minus sign
    assert 'data-testid="quote-total">$190,000.00<' in html
    assert 'data-testid="deposit">$57,000.00<' in html and "(30%)" in html
    assert "Delivered to Seattle, commissioning included." in html
    assert "both boats, 5% off." in html and "Maya Okafor" in html
    assert "Ready for your answer" in html and 'data-testid="valid-until"' in html


def test_on_sqlite_the_quote_page_is_not_held_up_by_a_writer(
    client, db, desk, boat, database_url, login
):
    """The quote page only reads (`reads_only`): on SQLite it takes no write lock, so a
    checkout holding the lock does not keep the buyer waiting."""
    quote = sent_quote(db, desk, boat)
    assert login(desk["ada"]).status_code == 302
    assert page(client, quote).status_code == 200
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:  # (were it to wait for the lock, it would fail after the 10 s busy timeout)
        r = page(client, quote)
        assert r.status_code == 200 and quote.number in r.text
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_buyers_never_see_cost_or_margin(client, db, desk, boat):
    quote = sent_quote(db, desk, boat, quantity=1, discount_kind="amount", discount_value=1234)
    html = page(client, quote).get_data(as_text=True)
    version = version_of(db, quote)
    assert version.cost_cents == 50_000_00
    assert "$50,000.00" not in html
    assert version.total_cents - version.cost_cents == 48_766_00
    assert "$48,766.00" not in html  # the margin
    assert "margin" not in html.lower() and "cost" not in html.lower()


def test_a_request_not_yet_sent_shows_no_figures(client, db, desk, boat, login):
    login(desk["ada"])
    add_to_cart(client, boat.variants[0])
    location = ask(client, comment="Quick question").location
    html = client.get(location).get_data(as_text=True)
    assert "Your quote request" not in html or "Thank you" in html
    assert "$100,000.00" not in html and 'data-testid="quote-line"' not in html
    assert "Quick question" in html
    assert 'action="/quotes/v/' in html  # the thread is open
    assert "/accept" not in html
    assert client.get(location.split("?")[0] + "?version=1").status_code == 404


def test_the_accept_form_posts_a_typed_name_and_the_terms(client, db, desk, boat):
    quote = sent_quote(db, desk, boat)
    token = services.quote_link_token(quote)
    html = page(client, quote).get_data(as_text=True)
    assert f'action="/quotes/v/{token}/accept"' in html
    assert 'name="typed_name"' in html and 'name="accept_terms"' in html
    assert 'name="csrf_token"' in html


def test_text_from_buyers_and_staff_is_shown_inert(client, db, desk, boat, login):
    quote = sent_quote(db, desk, boat, note_to_buyer="<b>bold</b> <script>alert(1)</script>")
    buyer.post_message(quote, "<img src=x onerror=alert(2)>", from_buyer=True)
    buyer.post_message(quote, "<i>staff</i>", from_buyer=False, author=desk["maya"])
    db.session.commit()
    html = page(client, quote).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<i>staff</i>" not in html and "&lt;i&gt;staff&lt;/i&gt;" in html


def test_an_expired_quote_can_be_read_not_answered(client, db, desk, boat):
    quote = sent_quote(db, desk, boat)
    for row in (quote, version_of(db, quote)):
        row.valid_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    html = page(client, quote).get_data(as_text=True)
    assert "Swan 48" in html and "/accept" not in html and "Decline" not in html


# --- versions ----------------------------------------------------------------------------------


def test_every_sent_version_is_readable_only_the_current_one_actionable(client, db, desk, boat):
    quote = sent_quote(db, desk, boat, quantity=1)
    token = services.quote_link_token(quote)
    # The rep revises: until version 2 is sent, the buyer reads version 1, marked replaced.
    revise(db, desk, quote, boat, 2, send=False)
    html = page(client, quote).get_data(as_text=True)
    assert 'data-testid="superseded"' in html and "/accept" not in html
    assert "$200,000.00" not in html  # the draft's figures stay on the desk

    revise(db, desk, quote, boat, 2, send=True)
    html = page(client, quote).get_data(as_text=True)
    assert 'data-testid="quote-total">$200,000.00<' in html
    assert f'action="/quotes/v/{token}/accept"' in html and 'name="version" value="2"' in html
    assert "Version 1" in html and 'aria-current="page">Version 2' in html

    old = page(client, quote, version=1).get_data(as_text=True)
    assert 'data-testid="quote-total">$100,000.00<' in old
    assert 'data-testid="superseded"' in old and "/accept" not in old and "Decline" not in old
    assert page(client, quote, version=3).status_code == 404
    assert page(client, quote, version="x").status_code == 404


# --- the thread --------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_the_buyer_asks_for_changes_in_the_thread(client, db, desk, boat):
    quote = sent_quote(db, desk, boat)
    token = services.quote_link_token(quote)
    assert post_form(client, f"/quotes/v/{token}/message", {"body": "  "}).status_code == 400
    response = post_form(
        client, f"/quotes/v/{token}/message", {"body": "Could you include the sail cover?"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    quote = db.session.get(Quote, quote.id)
    assert quote.status == "changes_requested"
    kinds = db.session.scalars(
        sa.select(QuoteEvent.kind).where(QuoteEvent.quote_id == quote.id).order_by(QuoteEvent.id)
    ).all()
    assert kinds[-1] == "changes_requested"
    [message] = db.session.scalars(sa.select(QuoteMessage)).all()
    assert message.from_buyer and message.body == "Could you include the sail cover?"
    [email] = [m for m in outbox_to(db, "maya@example.com") if "asks for changes" in m.subject]
    assert "sail cover" in email.body_text
    html = page(client, quote).get_data(as_text=True)
    assert "Could you include the sail cover?" in html and "Changes requested" in html

    # A second message is just a message; the rep answers and the buyer is emailed the link.
    buyer.post_message(quote, "Also a trailer.", from_buyer=True)
    buyer.post_message(quote, "On its way.", from_buyer=False, author=desk["maya"])
    db.session.commit()
    assert db.session.get(Quote, quote.id).status == "changes_requested"
    [to_buyer] = outbox_to(db, "ada@example.com")[-1:]
    assert "On its way." in to_buyer.body_text and "/quotes/v/" in to_buyer.body_text


def test_messages_and_declines_need_the_csrf_token(client, db, desk, boat):
    quote = sent_quote(db, desk, boat)
    token = services.quote_link_token(quote)
    assert client.post(f"/quotes/v/{token}/message", data={"body": "Hi"}).status_code == 400
    assert client.post(f"/quotes/v/{token}/decline", data={"reason": "No"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).status == "sent"
    assert db.session.scalar(sa.select(sa.func.count(QuoteMessage.id))) == 0


# --- declining ---------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_the_buyer_declines_with_a_reason(client, db, desk, boat):
    quote = sent_quote(db, desk, boat)
    token = services.quote_link_token(quote)
    held = sa.select(sa.func.count(StockReservation.id)).where(
        StockReservation.holder == services.holder(quote), StockReservation.status == "active"
    )
    assert db.session.scalar(held) == 1
    response = post_form(client, f"/quotes/v/{token}/decline", {"reason": ""})
    assert response.status_code == 400 and "why the quote does not suit" in response.get_data(
        as_text=True
    )
    response = post_form(client, f"/quotes/v/{token}/decline", {"reason": "Found a used one."})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).status == "declined"
    assert db.session.scalar(held) == 0  # the units go back on sale
    event = db.session.scalars(
        sa.select(QuoteEvent).where(QuoteEvent.kind == "declined", QuoteEvent.quote_id == quote.id)
    ).one()
    assert event.note.startswith("Found a used one.")
    assert any("declined" in m.subject for m in outbox_to(db, "maya@example.com"))

    # Replayed: no second event; the thread is closed; nothing can be answered.
    post_form(client, f"/quotes/v/{token}/decline", {"reason": "Found a used one."})
    assert (
        db.session.scalar(
            sa.select(sa.func.count(QuoteEvent.id)).where(QuoteEvent.kind == "declined")
        )
        == 1
    )
    assert post_form(client, f"/quotes/v/{token}/message", {"body": "Wait"}).status_code == 400
    html = page(client, quote).get_data(as_text=True)
    assert "Declined" in html and "/accept" not in html and "This quote is closed" in html


def test_a_draft_cannot_be_declined(db, desk, boat):
    quote = services.create_quote(desk["maya"], buyer_id=desk["ada"].id)
    with pytest.raises(DomainError):
        buyer.decline(quote, "Nope")


# --- whose quote -------------------------------------------------------------------------------


def test_another_buyer_gets_404_through_every_path(client, db, desk, boat, login):
    quote = sent_quote(db, desk, boat)
    token = services.quote_link_token(quote)
    login(desk["bob"])
    assert page(client, quote).status_code == 404
    assert post_form(client, f"/quotes/v/{token}/message", {"body": "Hi"}).status_code == 404
    assert post_form(client, f"/quotes/v/{token}/decline", {"reason": "No"}).status_code == 404
    assert quote.number not in client.get("/quotes/mine").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).status == "sent"


def test_my_quotes_lists_only_my_own(client, db, desk, boat, login):
    mine = sent_quote(db, desk, boat)
    theirs = services.create_quote(desk["maya"], buyer_id=desk["bob"].id)
    db.session.commit()
    assert client.get("/quotes/mine").status_code == 302  # log in first
    login(desk["ada"])
    html = client.get("/quotes/mine").get_data(as_text=True)
    assert mine.number in html and theirs.number not in html
    assert f"/quotes/v/{services.quote_link_token(mine)}" in html
    assert "$100,000.00" in html
    assert "My quotes" in client.get("/about").get_data(as_text=True)  # in the account menu
    assert page(client, mine).status_code == 200


# --- a fixed number of queries -----------------------------------------------------------------


@pytest.mark.both_dbs
def test_the_quote_page_keeps_a_fixed_query_count(
    client, db, desk, boat, sailboats, make_product, query_counter
):
    small = sent_quote(db, desk, boat)

    big = services.create_quote(desk["maya"], buyer_id=desk["ada"].id)
    extras = [make_product(sailboats, price_cents=1_000_00 * (n + 1)) for n in range(5)]
    from shop.quotes.services import LineInput

    for n in range(3):
        lines = [LineInput(kind="catalog", variant_id=p.variants[0].id) for p in extras]
        lines.append(LineInput(kind="custom", description="Transport", unit_price_cents=900_00))
        services.save_version(big.id, desk["maya"], terms(boat.variants[0].id, n + 1, lines=lines))
        services.send(big.id, desk["maya"])
    for n in range(4):
        buyer.post_message(big, f"Question {n}", from_buyer=True)
        buyer.post_message(big, f"Answer {n}", from_buyer=False, author=desk["boss"])
    db.session.commit()

    counts = []
    for quote in (small, big):
        token = services.quote_link_token(quote)
        client.get(f"/quotes/v/{token}")  # warm up the session and the caches
        with query_counter() as statements:
            response = client.get(f"/quotes/v/{token}")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    html = response.get_data(as_text=True)
    assert len(re.findall(r'data-testid="quote-line"', html)) == 7
    assert len(re.findall(r'data-testid="message"', html)) == 8 and "Bea Boss" in html
