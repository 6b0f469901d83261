# ruff: noqa: F811  (pytest fixtures imported from other conftests are redefined as arguments)
"""Several app servers can share one database: two gunicorn processes on one PostgreSQL keep
the guarantees. Twelve buyers (each alternating between the two servers, over real HTTP with
the CSRF tokens of the pages) race for the last three units: three orders, stock 0. Six
visitors ask for one rep's same slot through both: one booking. Two managers approve one
refund at once, one on each: one Stripe refund. A buyer accepts and pays one quote in two
tabs, one on each: one order. One Stripe event delivered to both at once is handled once.
And with the limiter's counts in a shared Redis, as the README's production section says,
login throttling holds across the two: an attacker gains nothing by spreading guesses."""

import contextlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from shop.auth.models import User
from shop.catalog.models import Variant
from shop.consultations.models import Booking
from shop.orders import operations
from shop.orders.models import Order, OrderEvent
from shop.payments.models import Payment, Refund, WebhookEvent
from tests.attack.conftest import capturable_intent, signed_event
from tests.checkout.conftest import (  # noqa: F401  (fixtures used here)
    ADDRESS,
    CONTACT,
    app_config,
    checkout_to_review,
    piano,
    place,
)
from tests.conftest import PASSWORD, free_port
from tests.operations.card_helpers import audit_rows, fresh, stripe_refunds
from tests.operations.conftest import (  # noqa: F401  (fixtures used here)
    card_order,
    payment_of,
    place_card_order,
    staff,
)
from tests.quotes.test_closing import quote  # noqa: F401  (a fixture used here)
from tests.stripe_peer import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
BUYERS = 12
SHARED_SECRET = "two-processes-share-this-secret"


@contextlib.contextmanager
def serving_two(postgres_url, stripe_peer, tmp_path, **settings):
    """Two gunicorn processes (one worker, eight threads each) on the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "SECRET_KEY": SHARED_SECRET,
        "MAIL_BACKEND": "locmem",
        "RATELIMIT_ENABLED": "false",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_peer.url,
        "STRIPE_JS_URL": f"{stripe_peer.url}/js.stripe.com/v3/",
        **settings,
    }
    env.pop("SHOP_ENV", None)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    processes, urls = [], []
    for i in range(2):
        port = free_port()
        log = open(tmp_path / f"gunicorn-{i}.log", "wb")  # noqa: SIM115  (closed below)
        cmd = [gunicorn, "-w", "1", "-k", "gthread", "--threads", "8", "--graceful-timeout", "1"]
        cmd += ["-b", f"127.0.0.1:{port}"]
        processes.append(
            (subprocess.Popen([*cmd, "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log), log)
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        for url in urls:
            while True:
                try:
                    if requests.get(url + "/about", timeout=5).status_code == 200:
                        break
                except requests.RequestException:  # not listening, or the worker still booting
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "gunicorn-0.log").read_text()[-2000:])
                time.sleep(0.1)
        yield urls
    finally:
        for process, _ in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


@pytest.fixture
def two_servers(app, postgres_url, stripe_peer, tmp_path):
    with serving_two(postgres_url, stripe_peer, tmp_path) as urls:
        yield urls


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway Redis on a free loopback port, keeping nothing on disk."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("Redis tests skipped: no redis-server (install the 'redis-server' package)")
    import redis

    port = free_port()
    cmd = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    cmd += ["no", "--dir", str(tmp_path)]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def page_token(http: requests.Session, url: str) -> str:
    """The CSRF token of the page at `url`, as a browser would read it."""
    return CSRF_RE.search(http.get(url, timeout=10).text).group(1)


def log_in(http: requests.Session, server: str, email: str, password: str) -> int:
    """Post the login form on `server`; the answer's status (302: in, 401, 429)."""
    url = server + "/account/login"
    data = {"email": email, "password": password, "csrf_token": page_token(http, url)}
    return http.post(url, data=data, allow_redirects=False, timeout=30).status_code


class Buyer:
    """A browser over HTTP whose requests alternate between the two servers."""

    def __init__(self, urls: list[str], first: int):
        self.urls, self.turn = urls, first
        self.http = requests.Session()

    def url(self, path: str) -> str:
        self.turn += 1
        return self.urls[self.turn % len(self.urls)] + path

    def token(self) -> str:
        return page_token(self.http, self.url("/cart/"))  # a page of their own session

    def form(self, path: str, data: dict) -> requests.Response:
        body = {**data, "csrf_token": self.token()}
        return self.http.post(self.url(path), data=body, allow_redirects=False, timeout=30)

    def json(self, path: str, body: dict) -> requests.Response:
        headers = {"X-CSRFToken": self.token()}
        return self.http.post(self.url(path), json=body, headers=headers, timeout=30)


def together(functions) -> list:
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(i, fn):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_app_processes_sell_the_last_three_units_exactly_once(
    app, db, piano, stripe_peer, two_servers
):
    variant_id = piano.variants[0].id
    db.session.commit()
    buyers = [Buyer(two_servers, i) for i in range(BUYERS)]
    for b in buyers:
        assert b.form("/cart/add", {"variant_id": variant_id, "quantity": 1}).status_code == 303
        assert b.form("/checkout/contact", CONTACT).status_code == 303
        assert b.form("/checkout/address", ADDRESS).status_code == 303
        assert b.form("/checkout/delivery", {}).status_code == 303
    tokens = [b.token() for b in buyers]

    def place(b, token):
        data = {"payment_method": "card", "accept_terms": "y", "csrf_token": token}
        return lambda: b.http.post(
            b.url("/checkout/review"), data=data, allow_redirects=False, timeout=30
        )

    placed = together([place(b, t) for b, t in zip(buyers, tokens, strict=True)])
    assert all(r.status_code == 303 for r in placed), [r.status_code for r in placed]
    winners = [
        (b, r.headers["Location"])
        for b, r in zip(buyers, placed, strict=True)
        if "/checkout/pay/" in r.headers["Location"]
    ]
    losers = [r for r in placed if r.headers["Location"].endswith("/cart/")]
    assert len(winners) == 3 and len(losers) == BUYERS - 3

    cards = [stripe_peer.card("4242424242424242") for _ in winners]

    def pay(b, location, card):
        path = "/checkout/pay/" + location.split("/checkout/pay/", 1)[1]

        def _pay():
            assert b.json(path + "/setup", {}).status_code == 200
            return b.json(path + "/card", {"payment_method": card})

        return _pay

    paid = together([pay(b, loc, card) for (b, loc), card in zip(winners, cards, strict=True)])
    assert all("placed=1" in r.json()["redirect"] for r in paid), [r.text for r in paid]

    db.session.expire_all()
    assert db.session.scalar(sa.select(Variant.stock_on_hand).where(Variant.id == variant_id)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Order.status == "placed")) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 3


def test_login_throttling_holds_across_two_processes_sharing_redis(
    app, db, make_user, postgres_url, stripe_peer, tmp_path, redis_url
):
    """Five wrong passwords for one account, spread over both servers, lock it on both: the
    sixth try, even with the right password, is refused wherever it lands."""
    user: User = make_user()
    db.session.commit()
    settings = {"RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": redis_url}
    with serving_two(postgres_url, stripe_peer, tmp_path, **settings) as urls:
        http = requests.Session()
        # Three guesses on the first server, two on the second.
        wrong = [log_in(http, urls[i % 2], user.email, "wrong password!") for i in range(5)]
        assert wrong == [401] * 5
        # Alone, neither server has seen the five that lock the account; together they have.
        assert log_in(http, urls[1], user.email, PASSWORD) == 429
        assert log_in(http, urls[0], user.email, PASSWORD) == 429


def test_one_stripe_event_delivered_to_both_processes_at_once_is_handled_once(
    app, db, client, piano, checkout_to_review, two_servers
):
    """Stripe retries an event it thinks was lost, and behind a load balancer the copies can
    reach different processes at the same moment: one authorizes, the rest are duplicates."""
    checkout_to_review(piano.variants[0].id, delivery="pickup")
    place(client)
    order = db.session.scalar(sa.select(Order))
    payment = db.session.scalar(sa.select(Payment))
    payment.stripe_payment_intent_id = "pi_two_processes_1"
    db.session.commit()
    intent = capturable_intent(order, "pi_two_processes_1")
    payload, headers = signed_event(intent, "evt_two_processes_1")
    headers["Content-Type"] = "application/json"

    def deliver(url):
        return lambda: requests.post(
            url + "/stripe/webhook", data=payload, headers=headers, timeout=30
        )

    answers = together([deliver(two_servers[i % 2]) for i in range(8)])
    assert [r.status_code for r in answers] == [200] * 8, [r.text for r in answers]
    outcomes = sorted(r.json()["outcome"] for r in answers)
    assert sum(o.endswith("authorized") for o in outcomes) == 1, outcomes
    assert outcomes.count("duplicate") == 7, outcomes

    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 1
    placed = sa.select(sa.func.count()).where(OrderEvent.kind == "placed")
    assert db.session.scalar(placed) == 1
    assert db.session.scalar(sa.select(Order.status)) == "placed"
    assert db.session.scalar(sa.select(Payment.status)) == "authorized"


def test_six_visitors_on_two_processes_for_one_slot_make_one_booking(
    app, db, reps, sailboats, make_product, two_servers
):
    """Each fills in the request on one server; all ask for the same time of the same rep at
    once, spread over both: one booking, and everyone else is told it was just taken."""
    boat = make_product(sailboats)
    maya = reps["maya"].id
    db.session.commit()
    visitors = [requests.Session() for _ in range(6)]
    for i, http in enumerate(visitors):
        server = two_servers[i % 2]
        ask = f"{server}/consultations/new?product={boat.slug}"
        data = {"channel": "video", "rep": str(maya), "timezone": "UTC", "name": f"Visitor {i}"}
        data |= {"email": f"visitor{i}@example.com", "csrf_token": page_token(http, ask)}
        r = http.post(ask, data=data, allow_redirects=False, timeout=30)
        assert r.status_code == 303, r.text[-500:]
    times = visitors[0].get(two_servers[0] + "/consultations/new/time", timeout=10).text
    slot = re.search(r'name="slot" value="([^"]+)"', times).group(1)

    def ask_for_the_slot(i, http):
        url = f"{two_servers[(i + 1) % 2]}/consultations/new/time"
        data = {"slot": slot, "csrf_token": page_token(http, url)}
        return lambda: http.post(url, data=data, allow_redirects=False, timeout=30)

    answers = together([ask_for_the_slot(i, http) for i, http in enumerate(visitors)])
    codes = sorted(r.status_code for r in answers)
    assert codes == [303] + [409] * 5, codes
    assert all("just taken" in r.text for r in answers if r.status_code == 409)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1


def test_two_managers_on_two_processes_approving_one_refund_make_one_stripe_refund(
    app, db, card_order, staff, stripe_peer, two_servers
):
    """A refund above the approval limit waits for a manager; two approve it at the same
    moment, each signed in on a different server: Stripe refunds once."""
    payment = payment_of(db, card_order)
    operations.capture_payment(card_order.id, payment.id, None, staff["manager"])
    db.session.commit()
    outcome = operations.request_refund(
        card_order.id, payment.id, 20_000_00, "Wrong finish", staff["support"], "two-processes"
    )
    db.session.commit()
    refund_id = outcome.refund.id
    assert fresh(db, Refund, refund_id).status == "pending_approval"

    def signed_in_on(server: str, user) -> tuple[requests.Session, str]:
        http = requests.Session()
        assert log_in(http, server, user.email, PASSWORD) == 302
        return http, page_token(http, server + "/staff/")

    managers = [
        (server, *signed_in_on(server, staff[who]))
        for server, who in zip(two_servers, ("manager", "manager2"), strict=True)
    ]

    def approve(server, http, token):
        url = f"{server}/staff/refunds/{refund_id}/approve"
        return lambda: http.post(url, data={"csrf_token": token}, allow_redirects=False, timeout=60)

    answers = together([approve(*m) for m in managers])
    assert [r.status_code for r in answers] == [303, 303], [r.text[-300:] for r in answers]
    assert len(stripe_refunds(stripe_peer, payment)) == 1
    assert fresh(db, Refund, refund_id).status == "succeeded"
    assert fresh(db, Payment, payment.id).amount_refunded_cents == 20_000_00
    assert len(audit_rows(db, "refund.approve")) == 1


def test_two_tabs_on_two_processes_accepting_and_paying_one_quote_make_one_order(
    app, db, quote, two_servers
):
    """The buyer accepts the quote and goes on to pay in two tabs at once, and a load balancer
    sends each tab to a different server: one order, one payment."""
    from shop.quotes.services import quote_link_token

    app.config["SECRET_KEY"] = SHARED_SECRET  # the servers' key signs the buyer's link
    token = quote_link_token(quote)
    db.session.commit()
    address = {"address_line1": "1 Harbor Way", "city": "Seattle", "region": "WA"}
    address |= {"postal_code": "98101", "phone": "555", "pay": "deposit", "payment_method": "card"}

    def tab(server: str):
        http = requests.Session()
        base = f"{server}/quotes/v/{token}"
        csrf = page_token(http, base)

        def accept_and_pay():
            data = {"typed_name": "Ada Lovelace", "accept_terms": "y", "version": "1"}
            data["total_cents"] = "17500000"  # the total the page showed
            http.post(base + "/accept", data={**data, "csrf_token": csrf}, timeout=30)
            pay = {**address, "csrf_token": csrf}
            return http.post(base + "/pay", data=pay, allow_redirects=False, timeout=30)

        return accept_and_pay

    answers = together([tab(server) for server in two_servers])
    assert [r.status_code for r in answers] == [303, 303], [r.text[-300:] for r in answers]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
