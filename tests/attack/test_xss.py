"""XSS: a payload typed into every free-text field a buyer (or staff) fills is shown inert on
the buyer's and the staff's pages, and emails carry it as text (or escaped HTML)."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from shop.auth.roles import Role
from shop.config import ROOT
from shop.consultations import services as consultations
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.quotes import services as quotes
from shop.support.models import ProductQuestion, Ticket
from tests.attack.conftest import IMG, JS_URL, PAYLOAD, SCRIPT, assert_inert
from tests.conftest import PASSWORD, post_form, sign_up
from tests.quotes.conftest import terms


def test_no_template_turns_escaping_off():
    """Escaping is Jinja's default; nothing may opt out of it with user text."""
    for path in (ROOT / "templates").rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "|safe" not in html.replace(" ", ""), path.name
        assert "autoescape false" not in html.replace("  ", " "), path.name
    markup = []
    for path in (ROOT / "shop").rglob("*.py"):
        if "Markup(" in path.read_text(encoding="utf-8"):
            markup.append(path.relative_to(ROOT).as_posix())
    # The about page (our own Markdown, raw HTML disabled) and ticket text (escaped per line).
    assert sorted(markup) == [
        "shop/pages/views.py",
        "shop/support/views.py",
    ]


def check_outbox(db):
    """Emails are plain text (a subject is a header, shown as text); any HTML part is escaped."""
    messages = list(db.session.scalars(sa.select(OutboxMessage)))
    assert messages
    for message in messages:
        assert message.body_text
        assert_inert(message.body_html or "", f"email {message.subject!r}")


def test_buyer_and_staff_text_is_inert_everywhere(app, client, db, piano, make_user):
    # Registration: the name.
    r = sign_up(
        client,
        {"name": PAYLOAD, "email": "xss@example.com", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert r.status_code == 302
    # Checkout: contact and address.
    variant_id = piano.variants[0].id
    post_form(client, "/cart/add", {"variant_id": variant_id, "quantity": 1})
    contact = {"email": "xss@example.com", "name": PAYLOAD, "phone": "+1 503 555 0100"}
    assert post_form(client, "/checkout/contact", contact).status_code == 303
    address = {
        "address_line1": PAYLOAD,
        "address_line2": JS_URL,
        "city": IMG,
        "region": "WA",
        "postal_code": "98101",
    }
    assert post_form(client, "/checkout/address", address).status_code == 303
    delivery = {f"delivery-{variant_id}": "white_glove"}
    assert post_form(client, "/checkout/delivery", delivery).status_code == 303
    assert_inert(client.get("/checkout/review").get_data(as_text=True), "review")
    placed = {"payment_method": "bank_transfer", "accept_terms": "y"}
    assert post_form(client, "/checkout/review", placed).status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert order.name == PAYLOAD  # stored as typed: escaping is the pages' job
    # A ticket: subject and message.
    r = post_form(
        client, "/support/new", {"kind": "question", "subject": SCRIPT, "message": PAYLOAD + JS_URL}
    )
    assert r.status_code == 303
    ticket = db.session.scalar(sa.select(Ticket))
    # A product question and an answer.
    post_form(client, f"/questions/{piano.id}/ask", {"body": PAYLOAD + JS_URL})
    question = db.session.scalar(sa.select(ProductQuestion))
    assert question is not None
    post_form(client, f"/questions/{question.id}/answer", {"body": PAYLOAD})

    buyer_pages = [
        "/account/",
        f"/orders/{order.number}",
        "/orders/",
        f"/support/{ticket.number}",
        "/support/",
        f"/p/{piano.slug}",
    ]
    for url in buyer_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True), url)

    staff = app.test_client()
    manager = make_user(Role.MANAGER, email="xss.boss@example.com", name="Mo Manager")
    post_form(staff, "/account/login", {"email": manager.email, "password": PASSWORD})
    note = post_form(staff, f"/staff/orders/{order.number}/notes", {"body": PAYLOAD})
    assert note.status_code in (302, 303)
    post_form(staff, f"/staff/support/{ticket.number}/note", {"message": PAYLOAD, "body": PAYLOAD})
    staff_pages = [
        f"/staff/orders/{order.number}",
        "/staff/orders",
        f"/staff/buyers/{order.user_id}",
        f"/staff/support/{ticket.number}",
        "/staff/support",
        "/staff/questions",
        "/staff/",
    ]
    for url in staff_pages:
        response = staff.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True), url)
    # The text is there, escaped (so the check above looked at the right page).
    assert "&lt;script&gt;alert(1)" in staff.get(f"/staff/orders/{order.number}").get_data(
        as_text=True
    )
    check_outbox(db)


def test_quote_messages_are_inert(app, client, db, login, team, variant):
    quote = quotes.create_quote(team["maya"], buyer_id=team["buyer"].id)
    quotes.save_version(quote.id, team["maya"], terms(variant.id, 1, note_to_buyer=PAYLOAD))
    quotes.send(quote.id, team["maya"])
    db.session.commit()
    token = quotes.quote_link_token(quote)
    login(team["buyer"])
    body = {"body": PAYLOAD + " " + JS_URL}
    assert post_form(client, f"/quotes/v/{token}/message", body).status_code == 303
    assert_inert(client.get(f"/quotes/v/{token}").get_data(as_text=True), "buyer quote page")
    rep = app.test_client()
    post_form(rep, "/account/login", {"email": team["maya"].email, "password": PASSWORD})
    post_form(rep, f"/staff/quotes/{quote.id}/message", {"body": PAYLOAD})
    for url in (f"/staff/quotes/{quote.id}", "/staff/quotes"):
        response = rep.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True), url)
    assert_inert(client.get(f"/quotes/v/{token}").get_data(as_text=True), "buyer quote page")
    check_outbox(db)


def test_consultation_requests_are_inert(app, client, db, reps, sailboats):
    monday = datetime(2030, 3, 4, tzinfo=UTC)
    request = consultations.Request(
        channel="video",
        name=PAYLOAD,
        email="xss.booker@example.com",
        phone=IMG,
        buyer_timezone="Europe/London",
        budget=SCRIPT,
        timeline=IMG,
        known=PAYLOAD,
        message=PAYLOAD + JS_URL,
        category_id=sailboats.id,
    )
    booking = consultations.book(
        request, monday.replace(hour=17), reps["maya"].id, now=monday - timedelta(days=2)
    )
    db.session.commit()
    token = consultations.link_token(booking)
    assert_inert(client.get(f"/consultations/b/{token}").get_data(as_text=True), "booking page")
    post_form(client, "/account/login", {"email": reps["maya"].email, "password": PASSWORD})
    for url in (f"/staff/consultations/{booking.id}", "/staff/consultations"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True), url)
    check_outbox(db)


def test_cart_lines_kept_as_rendered_text_are_inert(client, db, make_category, make_product):
    shelf = make_category(slug="odd-names", name="Odd names")
    product = make_product(shelf, name=PAYLOAD, price_cents=4_000_00)
    product.variants[0].name = IMG
    db.session.commit()
    r = post_form(client, "/cart/add", {"variant_id": product.variants[0].id, "quantity": 1})
    assert r.status_code == 303
    for _ in range(2):  # rendered, then served from the line cache
        page = client.get("/cart/").get_data(as_text=True)
        assert 'data-testid="cart-line"' in page
        assert_inert(page, "cart")
