"""Catalog pages shared between visitors who bring no session: one render, each their own token."""

import re

import pytest
import sqlalchemy as sa
from flask import template_rendered

from shop.cart.models import CartLine
from shop.catalog.models import Variant
from tests.conftest import CSRF_RE, post_form

TOKEN_FIELD_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def bare(app):
    """A client that never sends a cookie back: every request is a first visit."""
    return app.test_client(use_cookies=False)


@pytest.fixture
def renders(app):
    seen = []

    def note(sender, template, context, **extra):
        seen.append(template.name)

    template_rendered.connect(note, app)
    yield seen
    template_rendered.disconnect(note, app)


def token(html: str) -> str:
    return CSRF_RE.search(html).group(1)


def without_tokens(html: str) -> str:
    return html.replace(token(html), "TOKEN")


@pytest.mark.both_dbs
def test_bare_visitors_share_one_render_each_with_their_own_token(
    app, bare, sailboats, make_product, renders
):
    boat = make_product(sailboats, name="Tern 30", variants=2)
    pages = [bare.get(f"/p/{boat.slug}") for _ in range(3)]
    assert all(p.status_code == 200 for p in pages)
    assert renders.count("catalog/product.html") == 1  # the first view rendered it
    html = [p.text for p in pages]
    assert len({token(h) for h in html}) == 3  # three visitors, three sessions, three tokens
    assert len({without_tokens(h) for h in html}) == 1
    for h in html:
        assert "csrf-placeholder" not in h
        assert TOKEN_FIELD_RE.search(h).group(1) == token(h)  # the add-to-cart form's too
        assert "Tern 30" in h
    assert all("no-store" in p.headers["Cache-Control"] for p in pages)


def test_a_shared_page_token_works_for_its_own_visitor_only(app, sailboats, make_product):
    boat = make_product(sailboats, stock=3)
    variant_id = boat.variants[0].id
    first, second = app.test_client(), app.test_client()
    first_token = token(first.get(f"/p/{boat.slug}").text)
    second_token = token(second.get(f"/p/{boat.slug}").text)
    form = {"variant_id": variant_id, "quantity": 1}
    assert second.post("/cart/add", data={**form, "csrf_token": first_token}).status_code == 400
    assert first.post("/cart/add", data={**form, "csrf_token": first_token}).status_code == 303
    assert second.post("/cart/add", data={**form, "csrf_token": second_token}).status_code == 303


def test_the_stock_a_shared_page_shows_is_read_on_every_view(bare, db, sailboats, make_product):
    boat = make_product(sailboats, stock=2)
    assert "2 in stock" in bare.get(f"/p/{boat.slug}").text
    assert "</span>In stock</p>" in bare.get("/c/sailboats").text
    variant = db.session.scalar(sa.select(Variant).where(Variant.product_id == boat.id))
    variant.stock_on_hand = 0  # stock moves without a new catalog generation
    db.session.commit()
    html = bare.get(f"/p/{boat.slug}").text
    assert "2 in stock" not in html
    assert "Every version is sold out right now." in html
    listing = bare.get("/c/sailboats").text
    assert "</span>Sold out</p>" in listing
    assert "</span>In stock</p>" not in listing


def test_a_catalog_change_reaches_the_next_shared_page(bare, db, sailboats, make_product):
    boat = make_product(sailboats, name="Tern 30")
    assert "Tern 30" in bare.get("/c/sailboats").text
    boat.name = "Tern 31"
    db.session.commit()
    assert "Tern 31" in bare.get("/c/sailboats").text
    assert "Tern 31" in bare.get(f"/p/{boat.slug}").text


def test_the_url_is_part_of_the_key(bare, sailboats, make_product):
    boat = make_product(sailboats, variants=2)
    second = boat.variants[1]
    plain = bare.get(f"/p/{boat.slug}").text
    chosen = bare.get(f"/p/{boat.slug}?variant={second.id}").text
    assert f'value="{second.id}" checked' in chosen
    assert f'value="{second.id}" checked' not in plain
    assert f'name="next" value="/p/{boat.slug}?variant={second.id}"' in chosen
    results = bare.get("/search?q=tern").text
    assert 'value="tern"' in results
    assert 'value="sloop"' in bare.get("/search?q=sloop").text


def test_a_visitor_with_a_session_gets_their_own_page(app, client, sailboats, make_product):
    boat = make_product(sailboats, stock=3)
    app.test_client(use_cookies=False).get(f"/p/{boat.slug}")  # the shared page exists
    post_form(client, "/cart/add", {"variant_id": boat.variants[0].id, "quantity": 2})
    html = client.get(f"/p/{boat.slug}").text
    assert '<span class="badge" data-testid="cart-count">2</span>' in html
    assert "Added to your cart (2 in cart)." in html  # the flash is theirs


def test_a_signed_in_buyer_gets_their_own_page(
    bare, client, login, make_user, sailboats, make_product
):
    boat = make_product(sailboats)
    bare.get(f"/p/{boat.slug}")
    login(make_user(name="Ada Lovelace"))
    html = client.get(f"/p/{boat.slug}").text
    assert "Ada" in html
    assert "Log in</a>" not in html


def test_without_the_catalog_cache_every_page_is_rendered(
    app, bare, sailboats, make_product, renders
):
    app.config["CATALOG_CACHE"] = False
    boat = make_product(sailboats)
    for _ in range(2):
        assert bare.get(f"/p/{boat.slug}").status_code == 200
    assert renders.count("catalog/product.html") == 2


def test_a_shared_page_adds_nothing_to_the_database(
    bare, db, sailboats, make_product, query_counter
):
    boat = make_product(sailboats)
    bare.get(f"/p/{boat.slug}")
    with query_counter() as statements:
        for url in (f"/p/{boat.slug}", "/c/sailboats", "/search?q=product", "/"):
            assert bare.get(url).status_code == 200
    assert not [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CartLine)) == 0


def test_a_shared_page_makes_no_orm_session_and_asks_for_no_user(
    app, bare, db, sailboats, make_product
):
    """A bare visitor's pages read on `shop.db.read`'s connection only: nothing creates the
    request's ORM session (once, just to ask whether it was in a transaction), and nothing
    asks Flask-Login for a user the session cannot hold."""
    from flask import request_finished
    from flask_login import user_accessed

    boat = make_product(sailboats)
    urls = (f"/p/{boat.slug}", "/c/sailboats", "/search?q=product", "/")
    for url in urls:
        bare.get(url)  # fills the caches
    sessions, users = [], []

    def finished(sender, **extra):  # before the request's context (and session) is torn down
        sessions.append(db.session.registry.has())

    def accessed(sender, **extra):
        users.append(sender)

    with request_finished.connected_to(finished, app), user_accessed.connected_to(accessed):
        for url in urls:
            assert bare.get(url).status_code == 200
    assert sessions == [False] * len(urls)
    assert users == []
