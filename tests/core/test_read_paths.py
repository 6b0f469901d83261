"""Read-only requests that commit, and what must never be committed."""

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shop.auth.roles import Role
from shop.catalog.cache import cached
from shop.catalog.models import Product
from shop.db import WriteWhileReadingOnly, reading_only
from shop.research.models import ResearchEvent
from tests.conftest import PASSWORD, post_form


@pytest.fixture
def transactions(app, db):
    """The transactions any engine begins, commits and rolls back, in order."""
    seen: list[str] = []
    engine = Engine

    def note(what):
        def listener(conn):
            seen.append(what)

        return listener

    listeners = {name: note(name) for name in ("begin", "commit", "rollback")}
    for name, fn in listeners.items():
        sa.event.listen(engine, name, fn)
    yield seen
    for name, fn in listeners.items():
        sa.event.remove(engine, name, fn)


def test_on_sqlite_a_bare_visitor_is_not_held_up_by_a_writer(
    app, database_url, sailboats, make_product
):
    """A page shared between visitors without a session reads only (shop.catalog.http_cache):
    on SQLite its transaction begins deferred and takes no write lock."""
    boat = make_product(sailboats)
    bare = app.test_client(use_cookies=False)
    assert bare.get(f"/p/{boat.slug}").status_code == 200  # the catalog cache is warm:
    assert bare.get("/c/sailboats").status_code == 200  # (building it reads in a transaction)
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a checkout, holding the lock
    try:  # (were it to wait for the lock, it would fail after the 10 s busy timeout)
        assert bare.get(f"/p/{boat.slug}").status_code == 200
        assert bare.get("/c/sailboats").status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_on_sqlite_a_buyers_cart_page_is_not_held_up_by_a_writer(
    client, database_url, sailboats, make_product, make_user, login
):
    """A signed-in page reads in a transaction; the cart page's reads only (`reads_only`), so
    on SQLite it begins deferred and takes no write lock."""
    boat = make_product(sailboats, name="Tern 30")
    assert login(make_user(email="ada@example.com")).status_code == 302
    post_form(client, "/cart/add", {"variant_id": boat.variants[0].id, "quantity": 1})
    assert client.get("/cart/").status_code == 200  # the caches warm
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a checkout, holding the lock
    try:  # (were it to wait for the lock, it would fail after the 10 s busy timeout)
        page = client.get("/cart/")
        assert page.status_code == 200 and "Tern 30" in page.text
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def _read_only_pages(app) -> list[str]:
    """Every signed-in page that reads only (any GET not marked `writes`) whose path has
    nothing to fill in."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and rule.rule.startswith(("/staff/", "/orders/", "/cart/", "/account/", "/quotes/"))
        and not getattr(app.view_functions[rule.endpoint], "writes_on_get", False)
    )


def test_on_sqlite_no_read_only_page_is_held_up_by_a_writer(app, database_url, make_user):
    """A GET's whole request reads only, not just the view: the staff blueprint's
    guard loads the signed-in user before it, and that read opened a writer's transaction,
    which waited for the write lock (and then held it through the view). Every role's branch of
    each page is asked for: a page that wrote for one of them would fail with a 500."""
    pages = _read_only_pages(app)
    assert {"/staff/", "/staff/orders", "/staff/support", "/orders/", "/cart/"} <= set(pages)
    clients = {}
    for role in Role:
        email = f"{role.value}-reader@example.com"
        make_user(role, email=email)
        clients[role] = app.test_client()
        signed_in = post_form(
            clients[role], "/account/login", {"email": email, "password": PASSWORD}
        )
        assert signed_in.status_code == 302

    def answers() -> dict:
        roles = [r for r in Role if r != Role.BUYER]
        return {
            (url, role): clients[role].get(url).status_code
            for url in pages
            for role in (roles if url.startswith("/staff/") else [Role.BUYER])
        }

    free = answers()  # and the caches warm
    assert set(free.values()) <= {200, 302, 403}
    shown = {url for (url, _), status in free.items() if status == 200}
    assert {"/staff/", "/staff/orders", "/staff/support", "/orders/", "/cart/"} <= shown
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a checkout, holding the lock
    try:  # (a page waiting for the lock would fail after the 10 s busy timeout)
        assert answers() == free
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.both_dbs
def test_a_write_while_reading_only_is_refused_before_it_reaches_the_database(
    db, sailboats, make_product
):
    boat = make_product(sailboats, name="Tern 30")
    rename = sa.update(Product).where(Product.id == boat.id).values(name="Renamed")
    with reading_only():
        assert db.session.scalar(sa.select(Product.name).where(Product.id == boat.id)) == "Tern 30"
        with pytest.raises(WriteWhileReadingOnly, match="UPDATE"):
            db.session.execute(rename)
        db.session.rollback()
    db.session.execute(rename)  # outside the block, a write is a write again
    db.session.commit()
    assert db.session.scalar(sa.select(Product.name).where(Product.id == boat.id)) == "Renamed"


@pytest.mark.both_dbs
def test_a_request_that_only_read_commits_and_one_that_wrote_keeps_its_own_commit(
    app, client, db, login, make_user, sailboats, make_product, transactions
):
    boat = make_product(sailboats)
    login(make_user())
    client.get(f"/p/{boat.slug}")
    transactions.clear()
    assert client.get("/cart/").status_code == 200  # reads only
    assert transactions == ["begin", "commit"]
    transactions.clear()
    assert client.get(f"/p/{boat.slug}").status_code == 200  # writes its trail row, commits it
    assert "rollback" not in transactions
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResearchEvent)) >= 2


@pytest.mark.both_dbs
def test_a_failed_request_after_a_write_is_rolled_back_not_committed(
    app, db, sailboats, make_product
):
    boat = make_product(sailboats, name="Tern 30")

    @app.route("/_half_written")
    def half_written():
        db.session.execute(sa.update(Product).where(Product.id == boat.id).values(name="Half"))
        raise RuntimeError("after a write")

    @app.route("/_unflushed")
    def unflushed():
        db.session.get(Product, boat.id).name = "Unflushed"
        return "ok"

    @app.route("/_caught")
    def caught():
        db.session.add(Product(category_id=boat.category_id, slug=boat.slug, name="Twin"))
        try:
            db.session.flush()  # the slug is taken
        except sa.exc.IntegrityError:
            return "handled"  # without a rollback: the transaction is left inactive
        return "not reached"

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    assert client.get("/_half_written").status_code == 500
    # A GET reads only (shop.unit_of_work): a change it makes is refused, flushed or not.
    assert client.get("/_unflushed").status_code == 500
    assert client.get("/_caught").status_code == 500
    assert client.get(f"/p/{boat.slug}").status_code == 200
    db.session.expire_all()
    assert db.session.scalar(sa.select(Product.name).where(Product.id == boat.id)) == "Tern 30"


def test_a_change_not_yet_committed_is_never_kept_in_the_catalog_cache(db, sailboats, make_product):
    boat = make_product(sailboats, name="Tern 30")

    def name():
        return db.session.scalar(sa.select(Product.name).where(Product.id == boat.id))

    assert cached(("name", boat.id), name) == "Tern 30"
    boat.name = "Tern 31"  # this transaction's own change, not committed
    assert cached(("name", boat.id), name) == "Tern 31"  # it sees its own change
    db.session.rollback()
    assert cached(("name", boat.id), name) == "Tern 30"  # and nobody keeps it


def test_the_query_counter_counts_only_its_own_threads_statements(app, db, query_counter):
    """A webhook served on the live server's thread meanwhile must not change a page's count."""
    import threading

    def elsewhere():
        with app.app_context():
            db.session.execute(sa.text("SELECT 2"))
            db.session.remove()

    with query_counter() as statements:
        db.session.execute(sa.text("SELECT 1"))
        db.session.commit()  # SQLite: let the other thread take the lock
        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()
    assert statements == ["SELECT 1"]
