"""Times as the reader reads them: a buyer in Los Angeles sees Pacific time on every page of
the journey, never UTC; an email shows its recipient's zone; a buyer chooses their zone."""

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from shop.auth.models import User
from shop.consultations.models import Booking
from shop.consultations.services import link_token
from shop.db import utcnow
from shop.notifications.models import OutboxMessage
from shop.notifications.services import queue_email
from shop.orders.states import record
from shop.quotes.models import Quote
from shop.quotes.services import quote_link_token
from shop.timefmt import day, recipient_zone, when
from tests.conftest import post_form
from tests.support.test_buyer_pages import open_ticket

PACIFIC = re.compile(r"\b(PST|PDT|PT)\b")


def test_a_buyer_in_los_angeles_never_reads_utc(
    app, client, db, login, make_user, buyer_with_delivered_order
):
    d = buyer_with_delivered_order
    d.buyer.timezone = "America/Los_Angeles"
    rep = make_user("rep", name="Rita Rep")
    record(d.order, "note", "Your piano is on its way", visible_to_buyer=True)
    ticket = open_ticket(d)
    quote = Quote(
        number="Q-TZ1",
        email=d.buyer.email,
        name=d.buyer.name,
        buyer_id=d.buyer.id,
        status="draft",
        valid_until=utcnow() + timedelta(days=10),
    )
    # 02:30 UTC on a January day is still the evening before in Los Angeles.
    starts = datetime(2027, 1, 12, 2, 30, tzinfo=UTC)
    booking = Booking(
        reference="BK-TZ1",
        rep_id=rep.id,
        buyer_id=d.buyer.id,
        name=d.buyer.name,
        email=d.buyer.email,
        channel="video",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        buyer_timezone="America/Los_Angeles",
    )
    db.session.add_all([quote, booking])
    db.session.commit()
    login(d.buyer)

    pages = {
        "/account/": None,
        "/orders/": None,
        f"/orders/{d.order.number}": PACIFIC,
        "/support/": None,
        f"/support/{ticket.number}": PACIFIC,
        "/quotes/mine": None,
        f"/quotes/v/{quote_link_token(quote)}": None,
        "/consultations/mine": re.compile(r"Jan 11, 2027, 6:30\sPM PST"),
        f"/consultations/b/{link_token(booking)}": PACIFIC,
    }
    for url, expected in pages.items():
        r = client.get(url)
        assert r.status_code == 200, url
        text = re.sub(r"<[^>]+>", " ", r.get_data(as_text=True))  # what a person reads
        assert "UTC" not in text, (url, text[text.find("UTC") - 80 : text.find("UTC") + 20])
        if expected is not None:
            assert expected.search(text), url


def test_an_email_shows_the_recipients_zone(app, db, make_user):
    buyer = make_user("buyer", name="Lea Pacific", email="lea@example.com")
    buyer.timezone = "America/Los_Angeles"
    db.session.commit()
    deadline = datetime(2026, 12, 8, 20, 0, tzinfo=UTC)
    with app.test_request_context():
        queue_email(
            "tz-test-1",
            buyer.email,
            "Quote reminder",
            "quote_reminder_buyer",
            quote=Quote(number="Q-TZ2", email=buyer.email, name="Lea", valid_until=deadline),
            link="http://shop.test/q",
        )
        db.session.commit()
        body = db.session.scalar(
            sa.select(OutboxMessage.body_text).where(OutboxMessage.dedupe_key == "tz-test-1")
        )
    assert "Dec 8, 2026, 12:00\u202fPM PST" in body or "Dec 8, 2026, 12:00 PM PST" in body
    assert "UTC" not in body


def test_who_never_chose_reads_the_stores_zone_and_an_email_to_a_stranger_too(app, db):
    instant = datetime(2026, 12, 7, 20, 4, tzinfo=UTC)
    with app.app_context():
        assert when(instant, "UTC").endswith("EST")  # the store's clock, New York
        assert "3:04" in when(instant, "UTC")
        assert when(instant, "Europe/Berlin").replace("\u202f", " ") == "Dec 7, 2026, 9:04 PM CET"
        assert day(datetime(2026, 12, 8, 3, 0, tzinfo=UTC), "America/Los_Angeles") == "Dec 7, 2026"
        assert recipient_zone("nobody@example.com") == "America/New_York"


def test_a_buyer_chooses_their_zone_and_a_bad_one_is_refused(client, db, login, make_user):
    buyer = make_user("buyer", name="Ada Zone")
    login(buyer)
    page = client.get("/account/").get_data(as_text=True)
    assert 'name="timezone"' in page and "America/Los_Angeles" in page
    assert "data-detect-timezone" in page  # never chose: the browser's zone is offered
    r = post_form(client, "/account/timezone", {"timezone": "Mars/Olympus"}, csrf_page="/account/")
    assert r.status_code == 303
    assert db.session.get(User, buyer.id).timezone == "UTC"
    r = post_form(
        client, "/account/timezone", {"timezone": "America/Chicago"}, csrf_page="/account/"
    )
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, buyer.id).timezone == "America/Chicago"
    page = client.get("/account/").get_data(as_text=True)
    assert '<option value="America/Chicago" selected>' in page
    assert "data-detect-timezone" not in page


def test_a_guest_reads_their_browsers_zone(client, db, buyer_with_delivered_order):
    """The tz cookie app.js sets: a guest's order link shows Pacific time."""
    from shop.orders.services import access_token

    d = buyer_with_delivered_order
    record(d.order, "note", "On its way", visible_to_buyer=True)
    db.session.commit()
    client.set_cookie("tz", "America/Los_Angeles")
    text = client.get(f"/orders/view/{access_token(d.order)}").get_data(as_text=True)
    assert PACIFIC.search(text) and "UTC" not in text
    client.set_cookie("tz", "Not/AZone")
    text = client.get(f"/orders/view/{access_token(d.order)}").get_data(as_text=True)
    assert re.search(r"\bE[SD]T\b", text)  # the store's zone


def test_staff_read_their_own_zone_on_the_order_and_ticket_pages(
    client, db, login, make_user, buyer_with_delivered_order
):
    d = buyer_with_delivered_order
    record(d.order, "note", "Crew booked", visible_to_buyer=False)
    ticket = open_ticket(d)
    boss = make_user("manager", name="Mia Manager")
    boss.timezone = "America/Los_Angeles"
    db.session.commit()
    login(boss)
    for url in (
        f"/staff/orders/{d.order.number}",
        "/staff/orders",
        f"/staff/support/{ticket.number}",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        text = re.sub(r"<[^>]+>", " ", r.get_data(as_text=True))
        assert "UTC" not in text, (url, text[text.find("UTC") - 80 : text.find("UTC") + 20])
        assert PACIFIC.search(text), url


def test_a_new_account_keeps_the_zone_its_browser_reported(app, client, db):
    from tests.conftest import sign_up

    client.set_cookie("tz", "America/Los_Angeles")
    form = {
        "name": "Lee Newcomer",
        "email": "lee@example.com",
        "password": "correct horse battery staple",
        "confirm": "correct horse battery staple",
    }
    sign_up(client, form, csrf_page="/account/register")
    user = db.session.scalar(sa.select(User).where(User.email == "lee@example.com"))
    assert user.timezone == "America/Los_Angeles"


def test_the_zone_cookie_reads_as_app_js_writes_it(app, client, db):
    """app.js writes the zone through encodeURIComponent: "America%2FLos_Angeles" is still
    Los Angeles, for a new account as for a guest (found by the browser walk)."""
    from tests.conftest import sign_up

    client.set_cookie("tz", "America%2FLos_Angeles")
    form = {
        "name": "Lee Encoded",
        "email": "lee.encoded@example.com",
        "password": "correct horse battery staple",
        "confirm": "correct horse battery staple",
    }
    sign_up(client, form, csrf_page="/account/register")
    user = db.session.scalar(sa.select(User).where(User.email == "lee.encoded@example.com"))
    assert user.timezone == "America/Los_Angeles"
