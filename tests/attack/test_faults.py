# ruff: noqa: F811  (pytest fixtures imported from other conftests are redefined as arguments)
"""Faults: the Stripe peer stopped, slow or answering 5xx at each Stripe call of checkout,
capture and refund; the database unavailable for a moment. A calm answer each time, nothing
half-written, and after recovery everything completes exactly once.

Stripe is reached through `FaultyStripe`, a small proxy in front of localstripe that can fail on
demand. Like Stripe (and unlike localstripe) it answers a repeated idempotency key with the
first answer, so "slow after doing it" (Stripe acted, the store timed out) is tested faithfully.
"""

import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import flask
import pytest
import sqlalchemy as sa

from shop.catalog.models import StockReservation, Variant
from shop.orders.models import Order
from shop.payments.models import Payment, Refund, WebhookEvent
from tests.attack.conftest import capturable_intent, signed_event
from tests.checkout.conftest import (  # noqa: F401  (fixtures used here)
    checkout_to_review,
    piano,
    place,
)
from tests.conftest import csrf_token, free_port
from tests.operations.card_helpers import fresh, post, signed_in, stripe_client, stripe_refunds
from tests.operations.conftest import (  # noqa: F401  (fixtures used here)
    card_order,
    payment_of,
    place_card_order,
    staff,
)

VISA = "4242424242424242"
SLOW = 1.6  # seconds; the store waits 1 (STRIPE_TIMEOUT_SECONDS in these tests)


class FaultyStripe:
    """An HTTP proxy to localstripe that fails on demand, on the calls whose path matches."""

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.mode = "ok"
        self.match = ""
        self.replies: dict[str, tuple[int, bytes]] = {}  # idempotency key -> first answer
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload = proxy.answer(self.command, self.path, self.headers, body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the store gave up waiting

            do_GET = do_POST = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail(self, mode: str, match: str = "") -> None:
        """mode: slow (never reaches Stripe), slow_after (Stripe acts, the answer is late),
        500 or 503 (a Stripe error answer); `match`: only calls whose path contains it."""
        self.mode, self.match = mode, match

    def heal(self) -> None:
        self.mode, self.match = "ok", ""

    def _forward(self, method, path, headers, body) -> tuple[int, bytes]:
        wanted = ("Authorization", "Content-Type", "Stripe-Version")
        request = urllib.request.Request(
            self.upstream + path,
            data=body if method == "POST" else None,
            method=method,
            headers={k: headers[k] for k in wanted if headers.get(k)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def answer(self, method, path, headers, body) -> tuple[int, bytes]:
        mode = self.mode if self.match in path else "ok"
        if mode in ("500", "503"):
            error = {"error": {"type": "api_error", "message": "Stripe is having a moment."}}
            return int(mode), json.dumps(error).encode()
        if mode == "slow":
            time.sleep(SLOW)
            return 504, b"{}"
        key = headers.get("Idempotency-Key") if method == "POST" else None
        with self.lock:
            if key and key in self.replies:
                return self.replies[key]
        reply = self._forward(method, path, headers, body)
        if key and reply[0] < 500:
            with self.lock:
                self.replies[key] = reply
        if mode == "slow_after":
            time.sleep(SLOW)
        return reply

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def faulty_stripe(stripe_peer):
    proxy = FaultyStripe(stripe_peer.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def app_config(app_config, stripe_peer, faulty_stripe):
    """As tests/checkout/conftest.py's, with Stripe reached through the faulty proxy."""
    stripe_peer.reset()
    for key, value in stripe_peer.settings().items():
        setattr(app_config, key, value)
    faulty_stripe.heal()
    faulty_stripe.replies.clear()
    app_config.STRIPE_API_BASE = faulty_stripe.url
    app_config.STRIPE_TIMEOUT_SECONDS = 1
    return app_config


def break_stripe(app, faulty_stripe, fault: str, match: str = "") -> None:
    if fault == "down":
        app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"
    else:
        faulty_stripe.fail(fault, match)


def heal_stripe(app, faulty_stripe) -> None:
    faulty_stripe.heal()
    app.config["STRIPE_API_BASE"] = faulty_stripe.url


def pay_json(client, url, body=None):
    return client.post(url, json=body or {}, headers={"X-CSRFToken": csrf_token(client)})


def stock(db, variant_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(Variant.stock_on_hand).where(Variant.id == variant_id))


def intents(stripe_peer) -> list:
    return stripe_client(stripe_peer).v1.payment_intents.list({"limit": 100}).data


# --- checkout ---------------------------------------------------------------------------------

# (The setup call with Stripe stopped is in tests/checkout/test_card_payments.py.)
CHECKOUT_FAULTS = [
    ("setup", "500", "/v1/setup_intents"),
    ("card", "down", ""),
    ("card", "slow", "/v1/payment_intents"),
    ("card", "500", "/confirm"),
    ("card", "503", "/v1/payment_intents"),
]


@pytest.mark.parametrize(("step", "fault", "match"), CHECKOUT_FAULTS)
def test_checkout_with_stripe_failing_is_calm_and_a_retry_pays_once(
    app,
    client,
    db,
    piano,
    checkout_to_review,
    stripe_peer,
    faulty_stripe,
    step,
    fault,
    match,
):
    variant_id = piano.variants[0].id
    checkout_to_review(variant_id, delivery="pickup")
    pay_path = place(client).headers["Location"]
    if step == "card":
        assert pay_json(client, pay_path + "/setup").status_code == 200
    method = stripe_peer.card(VISA)
    break_stripe(app, faulty_stripe, fault, match)
    started = time.monotonic()
    r = pay_json(client, f"{pay_path}/{step}", {"payment_method": method})
    assert time.monotonic() - started < 5
    assert r.status_code == 503
    assert "Nothing was charged" in r.get_json()["error"]
    assert "Traceback" not in r.get_data(as_text=True)
    # Nothing half-written: the order waits, the units stay held, no money is held.
    order = db.session.scalar(sa.select(Order))
    assert order.status == "pending_payment" and order.authorized_cents == 0
    assert db.session.scalar(sa.select(Payment.status)) not in ("authorized", "succeeded")
    assert stock(db, variant_id) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockReservation)) == 1
    assert not [i for i in intents(stripe_peer) if i.status == "requires_capture"]

    heal_stripe(app, faulty_stripe)
    if step == "setup":
        assert pay_json(client, pay_path + "/setup").status_code == 200
    r = pay_json(client, pay_path + "/card", {"payment_method": method})
    assert r.status_code == 200 and "placed=1" in r.get_json()["redirect"], r.get_json()
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.status)) == "placed"
    assert stock(db, variant_id) == 2
    assert len([i for i in intents(stripe_peer) if i.status == "requires_capture"]) == 1


def test_an_authorization_stripe_made_while_the_store_timed_out_is_found_not_doubled(
    app,
    client,
    db,
    piano,
    checkout_to_review,
    stripe_peer,
    faulty_stripe,
):
    variant_id = piano.variants[0].id
    checkout_to_review(variant_id, delivery="pickup")
    pay_path = place(client).headers["Location"]
    assert pay_json(client, pay_path + "/setup").status_code == 200
    method = stripe_peer.card(VISA)
    faulty_stripe.fail("slow_after", "/confirm")
    r = pay_json(client, pay_path + "/card", {"payment_method": method})
    assert r.status_code == 503
    assert db.session.scalar(sa.select(Order.status)) == "pending_payment"
    faulty_stripe.heal()
    r = pay_json(client, pay_path + "/card", {"payment_method": method})
    assert "placed=1" in r.get_json()["redirect"]
    # The retry found the authorization Stripe had made: one PaymentIntent, held once.
    assert [i.status for i in intents(stripe_peer)] == ["requires_capture"]
    assert stock(db, variant_id) == 2


# --- capture and refund by staff --------------------------------------------------------------

# Stopped is in tests/operations/test_card_operations.py; "slow_after" is the worst timeout
# (Stripe acted, the store never heard), so plain "slow" is only tested at checkout.
STAFF_FAULTS = ["503", "slow_after"]


def order_page(c, order) -> str:
    return c.get(f"/staff/orders/{order.number}").get_data(as_text=True)


@pytest.mark.parametrize("fault", STAFF_FAULTS)
def test_capture_and_refund_failing_at_stripe_are_calm_and_retries_move_money_once(
    app, db, card_order, staff, stripe_peer, faulty_stripe, fault
):
    payment = payment_of(db, card_order)
    total = card_order.total_cents
    manager = signed_in(app, staff["manager"])
    capture = f"/staff/orders/{card_order.number}/payments/{payment.id}/capture"
    faulty_stripe.fail(fault, "/capture")
    assert post(manager, capture).status_code == 303
    html = order_page(manager, card_order)
    assert "could not be reached" in html and "Traceback" not in html
    payment = fresh(db, Payment, payment.id)
    assert payment.status == "authorized" and payment.amount_received_cents == 0
    assert db.session.get(Order, card_order.id).received_cents == 0

    faulty_stripe.heal()
    assert post(manager, capture).status_code == 303
    payment = fresh(db, Payment, payment.id)
    assert payment.status == "succeeded" and payment.amount_received_cents == total
    intent = stripe_client(stripe_peer).v1.payment_intents.retrieve(
        payment.stripe_payment_intent_id
    )
    assert intent.status == "succeeded" and intent.amount == total

    support = signed_in(app, staff["support"])
    faulty_stripe.fail(fault, "/v1/refunds")
    data = {"amount": "300.00", "reason": "Dented lid", "request_key": "fault-" + fault}
    refund_url = f"/staff/orders/{card_order.number}/payments/{payment.id}/refund"
    assert post(support, refund_url, data).status_code == 303
    html = order_page(support, card_order)
    assert "could not be reached" in html and "Traceback" not in html
    [refund] = db.session.scalars(sa.select(Refund)).all()
    assert refund.status == "failed"
    assert fresh(db, Payment, payment.id).amount_refunded_cents == 0
    assert db.session.get(Order, card_order.id).refunded_cents == 0

    faulty_stripe.heal()
    assert post(support, refund_url, data).status_code == 303  # the same form: still one
    assert post(support, f"/staff/refunds/{refund.id}/retry").status_code == 303
    assert fresh(db, Refund, refund.id).status == "succeeded"
    assert db.session.get(Order, card_order.id).refunded_cents == 300_00
    assert len(db.session.scalars(sa.select(Refund)).all()) == 1
    assert [r.amount for r in stripe_refunds(stripe_peer, payment)] == [300_00]


# --- the database unavailable for a moment ------------------------------------------------------


class DatabaseDown:
    """Every statement fails as if the server had gone, until `up()` (SQLite and PostgreSQL)."""

    def __init__(self, engine):
        self.engine = engine

    def _refuse(self, conn, cursor, statement, parameters, context, executemany):
        raise sa.exc.OperationalError(
            statement, parameters, Exception("server closed the connection")
        )

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._refuse)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._refuse)


def assert_calm_503(r):
    assert r.status_code == 503
    assert r.headers["Retry-After"].isdigit()
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "OperationalError" not in text and "SELECT" not in text


def test_the_database_down_gives_a_calm_503_then_everything_completes(
    app,
    client,
    db,
    piano,
    checkout_to_review,
    caplog,
):
    variant_id, slug = piano.variants[0].id, piano.slug
    checkout_to_review(variant_id, delivery="pickup")
    pay_path = place(client).headers["Location"]
    order = db.session.scalar(sa.select(Order))
    payment = db.session.scalar(sa.select(Payment))
    payment.stripe_payment_intent_id = "pi_outage_1"
    db.session.commit()
    token = csrf_token(client)
    payload, headers = signed_event(capturable_intent(order, "pi_outage_1"), "evt_outage_1")

    with DatabaseDown(db.engine), caplog.at_level("ERROR"):
        page = client.get(f"/p/{slug}")
        assert_calm_503(page)
        assert "Back in a moment" in page.get_data(as_text=True)
        form = client.post(
            "/cart/add", data={"variant_id": variant_id, "quantity": 1, "csrf_token": token}
        )
        assert_calm_503(form)
        pay = client.post(pay_path + "/setup", json={}, headers={"X-CSRFToken": token})
        assert_calm_503(pay)
        assert "briefly unavailable" in pay.get_json()["error"]
        hook = client.post(
            "/stripe/webhook", data=payload, headers=headers, content_type="application/json"
        )
        assert 500 <= hook.status_code < 600  # Stripe sends it again later
    outage_logs = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage_logs) == 3 and not any(r.exc_info for r in outage_logs)

    # Back up: the page, then Stripe's retry of the same event, handled once.
    assert client.get(f"/p/{slug}").status_code == 200
    r = client.post(
        "/stripe/webhook", data=payload, headers=headers, content_type="application/json"
    )
    assert r.status_code == 200
    r = client.post(
        "/stripe/webhook", data=payload, headers=headers, content_type="application/json"
    )
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.status)) == "placed"
    assert db.session.scalar(sa.select(Payment.status)) == "authorized"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1
    assert stock(db, variant_id) == 2


# Pages a signed-in buyer and a staff member open; each loads its user from the database.
SIGNED_IN_PAGES = {
    "buyer": ["/", "/account/", "/orders/", "/cart/"],
    "manager": ["/", "/account/", "/staff/", "/staff/orders"],
}


@pytest.mark.parametrize("who", ["buyer", "manager"])
def test_the_database_down_gives_signed_in_buyers_and_staff_the_calm_503(
    app, db, staff, piano, who, caplog
):
    # The 503 page used to load the user for its template (Flask-Login's `current_user`),
    # from the database that was down: a bare 500 for everyone signed in.
    user = staff["buyer"] if who == "buyer" else staff["manager"]
    browser = signed_in(app, user)
    pages = [*SIGNED_IN_PAGES[who], f"/p/{piano.slug}"]
    for url in pages:
        assert browser.get(url).status_code == 200, url
    token = csrf_token_of(browser)
    with DatabaseDown(db.engine), caplog.at_level("ERROR"):
        for url in pages:
            r = browser.get(url)
            assert_calm_503(r)
            assert "Back in a moment" in r.get_data(as_text=True), url
        add = {"variant_id": piano.variants[0].id, "quantity": 1, "csrf_token": token}
        form = browser.post("/cart/add", data=add)
        assert_calm_503(form)
    # Back up: the same session still works.
    assert browser.get(pages[1]).status_code == 200


def csrf_token_of(browser) -> str:
    token = getattr(browser, "csrf", None)
    if token is None:
        token = browser.csrf = csrf_token(browser)
    return token


@pytest.mark.parametrize("who", ["buyer", "manager"])
def test_error_pages_run_no_sql_for_signed_in_users(app, db, staff, query_counter, who):
    browser = signed_in(app, staff[who])
    csrf_token_of(browser)
    with query_counter() as statements:
        missing = browser.get("/no-such-page")
        expired = browser.post("/cart/add", data={"variant_id": 1, "csrf_token": "forged"})
    assert missing.status_code == 404 and "We could not find that page" in missing.get_data(
        as_text=True
    )
    assert expired.status_code == 400 and "Your form expired" in expired.get_data(as_text=True)
    assert statements == []
    # And with the database down, they are the same pages, not a 503 or a 500.
    with DatabaseDown(db.engine):
        assert browser.get("/no-such-page").status_code == 404
        r = browser.post("/cart/add", data={"variant_id": 1, "csrf_token": "forged"})
        assert r.status_code == 400


def _admin(postgres_url: str):
    import psycopg

    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    return psycopg.connect(dsn + "/template1", autocommit=True)


@pytest.mark.postgres
def test_postgres_refusing_connections_then_back_and_killed_connections_recover(
    app,
    client,
    db,
    piano,
    postgres_url,
):
    url, variant_id = f"/p/{piano.slug}", piano.variants[0].id
    assert client.get(url).status_code == 200
    token = csrf_token(client)
    with _admin(postgres_url) as admin:
        kill = (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = 'postgres' AND pid <> pg_backend_pid()"
        )
        # Killed between requests: the pool notices (pre-ping) and the next request just works.
        admin.execute(kill)
        assert client.get(url).status_code == 200
        # Refusing connections for a moment: a calm 503, then normal service again.
        admin.execute("ALTER DATABASE postgres WITH ALLOW_CONNECTIONS false")
        try:
            admin.execute(kill)
            assert_calm_503(client.get(url))
            add = {"variant_id": variant_id, "quantity": 1, "csrf_token": token}
            assert_calm_503(client.post("/cart/add", data=add))
        finally:
            admin.execute("ALTER DATABASE postgres WITH ALLOW_CONNECTIONS true")
    assert client.get(url).status_code == 200
    assert post(client, "/cart/add", {"variant_id": variant_id, "quantity": 1}).status_code in (
        302,
        303,
    )


@pytest.mark.postgres
def test_postgres_refusing_connections_gives_signed_in_people_the_calm_503(
    app, db, staff, postgres_url
):
    buyer, manager = signed_in(app, staff["buyer"]), signed_in(app, staff["manager"])
    pages = [(buyer, "/account/"), (buyer, "/orders/"), (manager, "/staff/")]
    for browser, url in pages:
        assert browser.get(url).status_code == 200, url
    with _admin(postgres_url) as admin:
        admin.execute("ALTER DATABASE postgres WITH ALLOW_CONNECTIONS false")
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = 'postgres' AND pid <> pg_backend_pid()"
            )
            for browser, url in pages:
                assert_calm_503(browser.get(url))
            assert buyer.get("/no-such-page").status_code == 404
        finally:
            admin.execute("ALTER DATABASE postgres WITH ALLOW_CONNECTIONS true")
    for browser, url in pages:
        assert browser.get(url).status_code == 200, url


@pytest.mark.postgres
def test_a_bare_visitors_read_connection_killed_while_idle_is_replaced_unseen(
    app, db, piano, postgres_url
):
    # The pool's pre-ping (shop.config) finds the dead connection before the page reads, and
    # SQLAlchemy makes a new one.
    bare = app.test_client(use_cookies=False)
    url = f"/p/{piano.slug}"
    assert bare.get(url).status_code == 200
    with _admin(postgres_url) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = 'postgres' AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 1
    for _ in range(3):
        page = bare.get(url)
        assert page.status_code == 200 and piano.name in page.get_data(as_text=True)
    # And when the database refuses connections, the read fails calmly, not with a 500.
    with _admin(postgres_url) as admin:
        admin.execute("ALTER DATABASE postgres WITH ALLOW_CONNECTIONS false")
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = 'postgres' AND pid <> pg_backend_pid()"
            )
            assert_calm_503(bare.get(url))
        finally:
            admin.execute("ALTER DATABASE postgres WITH ALLOW_CONNECTIONS true")
    assert bare.get(url).status_code == 200


def test_proxy_headers_are_believed_only_when_configured(app_config):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from shop import create_app

    seen = []
    for hops in (0, 1):
        app_config.TRUSTED_PROXIES = hops
        proxied = create_app(app_config)
        proxied.add_url_rule("/_ip", "ip", lambda: seen.append(flask.request.remote_addr) or "")
        proxied.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.9"})
        assert isinstance(proxied.wsgi_app, ProxyFix) == bool(hops)
    assert seen == ["127.0.0.1", "203.0.113.9"]
