"""Shared fixtures: an app per test on SQLite (and on PostgreSQL where asked), factories."""

import contextlib
import contextvars
import email
import email.policy
import html
import os
import re
import shutil
import socket
import threading
from decimal import Decimal
from itertools import count

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.engine import Engine

from shop import create_app
from shop.auth.models import User
from shop.auth.roles import Role
from shop.auth.services import create_user
from shop.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductSpec,
    SpecAttribute,
    Variant,
)
from shop.catalog.services import refresh_product
from shop.config import TestConfig
from shop.extensions import db as _db
from shop.extensions import mail as _mail
from tests.postgres import PostgresUnavailable, ThrowawayPostgres

PASSWORD = "correct horse battery"


# --- databases ------------------------------------------------------------------------------


def _migrate(url: str) -> None:
    """Build a schema from the migrations, the only source of the schema."""
    app = create_app(TestConfig(url))
    with app.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A migrated PostgreSQL database, or a skip saying why none could be had."""
    url = os.environ.get("TEST_DATABASE_URL")
    server = None
    if not url:
        try:
            server = ThrowawayPostgres()
            url = server.start()
        except (PostgresUnavailable, OSError) as exc:
            pytest.skip(f"PostgreSQL tests skipped: {exc}")
    _migrate(url)
    yield url
    if server is not None:
        server.stop()


def _truncate_all() -> None:
    names = ", ".join(t.name for t in reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_dbs") is not None
        only_pg = metafunc.definition.get_closest_marker("postgres") is not None
        backends = ["postgresql"] if only_pg else (["sqlite", "postgresql"] if both else ["sqlite"])
        metafunc.parametrize("db_backend", backends, indirect=True)


@pytest.fixture
def db_backend(request):
    return request.param


@pytest.fixture
def database_url(db_backend, request, tmp_path):
    if db_backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "test.sqlite3"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config(database_url):
    """Tests may override settings through this fixture."""
    return TestConfig(database_url)


class SeparateRequestClient(FlaskClient):
    """Each request runs like one from another process: its own app context and DB session.

    Flask would otherwise reuse the test's app context, and so the test's session, for the
    request. The test's own work is committed first, as a separate process would need.
    """

    def open(self, *args, **kwargs):
        if has_app_context():  # not when following a redirect (already in the empty context)
            _db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(app_config, db_backend):
    app = create_app(app_config)
    app.test_client_class = SeparateRequestClient
    with app.app_context():
        yield app
        _db.session.remove()
        if db_backend == "postgresql":
            _truncate_all()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


# --- email ----------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nothing listens on right now (aiosmtpd cannot start on port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpInbox:
    """An aiosmtpd handler keeping every message it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on loopback for the whole run: (host, port, inbox)."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield "127.0.0.1", controller.port, inbox
    controller.stop()


@pytest.fixture
def mailbox(app, smtp_server):
    """Send this test's email by SMTP to the local server; returns the list it receives into.

    Items are `email.message.EmailMessage` (parsed with the default policy), so
    `m["Subject"]`, `m["To"]` and `m.get_body(("plain",)).get_content()` work.
    """
    host, port, inbox = smtp_server
    inbox.messages.clear()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER=host, MAIL_PORT=port)
    _mail.init_app(app)  # Flask-Mailman reads its settings once, at init_app
    return inbox.messages


def email_text(message) -> str:
    """The plain-text body of a received email."""
    return message.get_body(("plain",)).get_content()


@pytest.fixture(scope="session")
def stripe_peer():
    """localstripe on a free loopback port, for the whole run (started on first use)."""
    from tests.stripe_peer import StripePeer

    peer = StripePeer().start()
    yield peer
    peer.stop()


# --- helpers --------------------------------------------------------------------------------

CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_token(client, url: str = "/cart/") -> str:
    """The CSRF token of the client's session, read from a real page."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


VISIT_RE = re.compile(r'<body[^>]* data-visit="([^"]+)"')


def browse(client, url: str, **kw):
    """GET a page as a browser does, app.js included: a catalog page shared by visitors
    without a session names a URL in `data-visit` (shop.catalog.http_cache), which app.js
    fetches to start the visitor's session and note the page on their trail."""
    response = client.get(url, **kw)
    match = VISIT_RE.search(response.get_data(as_text=True))
    if match:
        assert client.get(html.unescape(match.group(1))).status_code == 200
    return response


def post_form(client, url: str, data: dict, csrf_page: str = "/cart/", **kw):
    """POST a form the way a browser does, with the session's CSRF token."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, csrf_page)}, **kw)


SIGN_UP_LINK = re.compile(r"http://shop\.test(/account/confirm/[\w-]+)")


def sign_up_link(email_address: str) -> str:
    """The path of the newest sign-up link queued for `email_address` (from the outbox)."""
    from shop.notifications.models import OutboxMessage

    bodies = _db.session.scalars(
        sa.select(OutboxMessage.body_text)
        .where(OutboxMessage.to_address == email_address)
        .order_by(OutboxMessage.id.desc())
    )
    return next(m.group(1) for m in map(SIGN_UP_LINK.search, bodies) if m)


def sign_up(client, form: dict, **kw):
    """Sign up with `form` and follow the emailed link's button: the client is then logged
    in to its new account. Returns the button's answer."""
    r = post_form(client, "/account/register", form, **kw)
    assert r.status_code == 302, r.get_data(as_text=True)
    link = sign_up_link(form["email"].strip().lower())
    return post_form(client, link, {}, csrf_page=link)


@pytest.fixture
def login(client):
    def _login(user_or_email, password: str = PASSWORD, follow: bool = False):
        email = getattr(user_or_email, "email", user_or_email)
        return post_form(
            client,
            "/account/login",
            {"email": email, "password": password},
            follow_redirects=follow,
        )

    return _login


@pytest.fixture
def query_counter(app):
    """Count the SQL statements run inside a `with` block."""

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []
        # Only this thread's: a webhook the Stripe peer sends to the live server meanwhile
        # runs its own queries on another thread, and made the counts flaky.
        here = threading.get_ident()

        def before(conn, cursor, statement, parameters, context, executemany):
            if threading.get_ident() != here:
                return
            if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "SAVEPOINT")):
                statements.append(statement)

        sa.event.listen(Engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(Engine, "before_cursor_execute", before)

    return counting


# --- factories ------------------------------------------------------------------------------

_seq = count(1)


@pytest.fixture
def make_user(db):
    def _make(
        role: Role | str = Role.BUYER,
        email: str | None = None,
        name: str = "Ada Buyer",
        password: str = PASSWORD,
    ) -> User:
        n = next(_seq)
        user = create_user(email or f"user{n}@example.com", name, password, Role(role))
        db.session.commit()
        return user

    return _make


@pytest.fixture
def make_category(db):
    def _make(slug: str | None = None, name: str = "Sailboats", attributes=()) -> Category:
        n = next(_seq)
        category = Category(
            slug=slug or f"cat-{n}", name=name, tagline="Boats for blue water", position=n
        )
        db.session.add(category)
        for position, (code, label, kind, unit) in enumerate(attributes):
            db.session.add(
                SpecAttribute(
                    category=category,
                    code=code,
                    label=label,
                    kind=kind,
                    unit=unit,
                    position=position,
                    decimals=1,
                )
            )
        db.session.commit()
        return category

    return _make


@pytest.fixture
def make_product(db):
    def _make(
        category: Category,
        name: str | None = None,
        price_cents: int = 250_000_00,
        stock: int = 3,
        variants: int = 1,
        specs: dict | None = None,
        made_to_order: bool = False,
        images: int = 1,
        **fields,
    ) -> Product:
        n = next(_seq)
        product = Product(
            category=category,
            slug=f"product-{n}",
            name=name or f"Product {n}",
            summary="A fine thing",
            description="Made with care.",
            **fields,
        )
        db.session.add(product)
        for i in range(variants):
            db.session.add(
                Variant(
                    product=product,
                    sku=f"SKU-{n}-{i}",
                    name=f"Version {i + 1}",
                    price_cents=price_cents + i * 1_000_00,
                    cost_cents=price_cents // 2,
                    stock_on_hand=stock,
                    stock_location="Portland showroom",
                    delivery_weeks_min=2,
                    delivery_weeks_max=3,
                    made_to_order=made_to_order,
                    build_weeks=10,
                    position=i,
                )
            )
        for i in range(images):
            db.session.add(
                ProductImage(
                    product=product, path=f"img/products/x-{n}-{i}.svg", alt=f"View {i}", position=i
                )
            )
        attributes = {
            a.code: a
            for a in _db.session.scalars(
                sa.select(SpecAttribute).where(SpecAttribute.category_id == category.id)
            )
        }
        for code, value in (specs or {}).items():
            attribute = attributes[code]
            if attribute.kind == "number":
                db.session.add(
                    ProductSpec(product=product, attribute=attribute, value_num=Decimal(str(value)))
                )
            else:
                db.session.add(
                    ProductSpec(product=product, attribute=attribute, value_text=str(value))
                )
        db.session.flush()
        _db.session.refresh(product)
        product = _db.session.scalars(
            sa.select(Product)
            .where(Product.id == product.id)
            .options(
                sa.orm.selectinload(Product.variants),
                sa.orm.selectinload(Product.specs).joinedload(ProductSpec.attribute),
                sa.orm.joinedload(Product.category),
            )
            .execution_options(populate_existing=True)
        ).one()
        refresh_product(product)
        db.session.commit()
        return product

    return _make


@pytest.fixture
def sailboats(make_category):
    return make_category(
        slug="sailboats",
        name="Sailboats",
        attributes=[
            ("length", "Length overall", "number", "ft"),
            ("hull", "Hull material", "choice", ""),
            ("launch", "Launch date", "date", ""),
        ],
    )
