"""Catalog pages of visitors without a session are cacheable by anyone (shop.catalog.http_cache)."""

import re
import time

import pytest
import sqlalchemy as sa
from flask import template_rendered

from shop.cart.models import CartLine
from shop.catalog.models import Variant
from shop.research.models import ResearchEvent
from tests.conftest import CSRF_RE, VISIT_RE, post_form

TOKEN_FIELD_RE = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def bare(app):
    """A client that never sends a cookie back: every request is a first visit."""
    return app.test_client(use_cookies=False)


@pytest.fixture
def boat(sailboats, make_product):
    return make_product(sailboats, name="Tern 30", variants=2, stock=2)


@pytest.fixture
def renders(app):
    seen = []

    def note(sender, template, context, **extra):
        seen.append(template.name)

    template_rendered.connect(note, app)
    yield seen
    template_rendered.disconnect(note, app)


def catalog_urls(boat) -> list[str]:
    return list(revalidation_queries(boat))


def revalidation_queries(boat) -> dict[str, int]:
    """Each shared page, and the queries its 304 costs: the catalog generation, and the stock
    the page shows (read with the generation on a product page)."""
    return {
        f"/p/{boat.slug}": 1,
        "/c/sailboats": 2,
        "/search?q=tern": 2,
        "/": 1,
        "/about": 1,
    }


def assert_public(response):
    assert response.headers["Cache-Control"] == "public, max-age=60, must-revalidate"
    assert "Cookie" in response.headers["Vary"]
    etag, weak = response.get_etag()
    assert etag and weak
    assert "Set-Cookie" not in response.headers


def assert_private(response):
    cache_control = response.headers["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    assert "public" not in cache_control and "ETag" not in response.headers


@pytest.mark.both_dbs
def test_a_first_visit_gets_a_public_page_without_a_session_or_token(bare, boat):
    for url in catalog_urls(boat):
        page = bare.get(url)
        assert page.status_code == 200, url
        assert_public(page)
        # Nothing personal: the header of a visitor with nothing, no CSRF token anywhere.
        assert '<meta name="csrf-token" content="">' in page.text, url
        assert set(TOKEN_FIELD_RE.findall(page.text)) <= {""}, url
        assert '<span class="badge" data-testid="cart-count">0</span>' in page.text
        assert "Log in</a>" in page.text
        assert VISIT_RE.search(page.text), url  # where app.js starts the visit
    assert 'name="csrf_token" value=""' in bare.get(f"/p/{boat.slug}").text  # add to cart


@pytest.mark.both_dbs
def test_a_revalidation_is_a_304_without_rendering(bare, boat, renders, query_counter):
    for url, queries in revalidation_queries(boat).items():
        first = bare.get(url)
        etag = first.headers["ETag"]
        renders.clear()
        with query_counter() as statements:
            again = bare.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.data == b"", url
        assert again.headers["ETag"] == etag, url
        assert_public(again)
        assert renders == [], url  # answered before any template
        assert len(statements) == queries, (url, statements)
        assert bare.head(url, headers={"If-None-Match": etag}).status_code == 304
        assert bare.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_a_visitor_with_a_session_or_a_login_gets_a_private_page(
    client, bare, boat, login, make_user
):
    post_form(client, "/cart/add", {"variant_id": boat.variants[0].id, "quantity": 2})
    etag = bare.get(f"/p/{boat.slug}").headers["ETag"]
    for url in catalog_urls(boat):
        # Even with the shared page's validator, a visitor with a cart gets their own page.
        page = client.get(url, headers={"If-None-Match": etag})
        assert page.status_code == 200, url
        assert_private(page)
        assert '<span class="badge" data-testid="cart-count">2</span>' in page.text, url
        token = CSRF_RE.search(page.text).group(1)
        assert token and not VISIT_RE.search(page.text), url
    assert login(make_user(name="Ada Lovelace")).status_code == 302
    for url in catalog_urls(boat):
        page = client.get(url)
        assert_private(page)
        assert "Ada" in page.text and "Log in</a>" not in page.text


def test_a_price_edit_changes_the_validator(bare, db, boat):
    url = f"/p/{boat.slug}"
    first = bare.get(url)
    listing = bare.get("/c/sailboats")
    assert "$250,000" in first.text
    boat.variants[0].price_cents = 199_000_00
    db.session.commit()
    page = bare.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert page.status_code == 200 and "$199,000" in page.text
    assert page.headers["ETag"] != first.headers["ETag"]
    again = bare.get("/c/sailboats", headers={"If-None-Match": listing.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != listing.headers["ETag"]


def test_the_stock_shown_is_part_of_the_validator(bare, db, boat):
    page = bare.get(f"/p/{boat.slug}")
    listing = bare.get("/c/sailboats")
    assert "2 in stock" in page.text and "</span>In stock</p>" in listing.text
    for variant in db.session.scalars(sa.select(Variant).where(Variant.product_id == boat.id)):
        variant.stock_on_hand = 0  # stock moves without a new catalog generation
    db.session.commit()
    now = bare.get(f"/p/{boat.slug}", headers={"If-None-Match": page.headers["ETag"]})
    assert now.status_code == 200 and "Every version is sold out right now." in now.text
    listed = bare.get("/c/sailboats", headers={"If-None-Match": listing.headers["ETag"]})
    assert listed.status_code == 200 and "</span>Sold out</p>" in listed.text


def test_the_url_and_the_readers_zone_are_part_of_the_validator(bare, boat):
    second = boat.variants[1]
    plain = bare.get(f"/p/{boat.slug}")
    chosen = bare.get(f"/p/{boat.slug}?variant={second.id}")
    assert f'value="{second.id}" checked' in chosen.text
    assert f'value="{second.id}" checked' not in plain.text
    assert chosen.headers["ETag"] != plain.headers["ETag"]
    assert 'value="sloop"' in bare.get("/search?q=sloop").text
    assert bare.get("/search?q=tern").headers["ETag"] != bare.get("/search?q=sloop").headers["ETag"]
    # The browser's zone (app.js's `tz` cookie, no session) is shared too, per zone.
    paris = bare.get(f"/p/{boat.slug}", headers={"Cookie": "tz=Europe/Paris"})
    assert_public(paris)
    assert paris.headers["ETag"] != plain.headers["ETag"]


def test_a_catalog_change_reaches_the_next_shared_page(bare, db, boat):
    assert "Tern 30" in bare.get("/c/sailboats").text
    boat.name = "Tern 31"
    db.session.commit()
    assert "Tern 31" in bare.get("/c/sailboats").text
    assert "Tern 31" in bare.get(f"/p/{boat.slug}").text


def test_a_shared_page_writes_nothing(bare, db, boat, query_counter):
    for url in catalog_urls(boat):
        bare.get(url)  # the caches warm
    with query_counter() as statements:
        for url in catalog_urls(boat):
            assert bare.get(url).status_code == 200
    assert not [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResearchEvent)) == 0


def test_the_visit_starts_the_session_notes_the_page_and_gives_the_token(
    client, db, boat, make_product, sailboats
):
    page = client.get(f"/p/{boat.slug}").text
    visit = client.get(VISIT_RE.search(page).group(1).replace("&amp;", "&"))
    assert visit.status_code == 200
    assert "no-store" in visit.headers["Cache-Control"]
    assert "Set-Cookie" in visit.headers  # the session, started here
    token = visit.json["csrf_token"]
    form = {"variant_id": boat.variants[0].id, "quantity": 1, "csrf_token": token}
    assert client.post("/cart/add", data=form).status_code == 303
    own = client.get(f"/p/{boat.slug}")  # from now on, the visitor's own pages
    assert_private(own)
    assert '<span class="badge" data-testid="cart-count">1</span>' in own.text
    assert [tuple(row) for row in db.session.execute(sa.select(ResearchEvent.product_id))] == [
        (boat.id,),
        (boat.id,),
    ]  # the first view, held in the session, then this one


def test_without_javascript_a_form_from_a_shared_page_comes_back_to_be_sent_again(client, boat, db):
    url = f"/p/{boat.slug}"
    page = client.get(url).text
    form = {"variant_id": boat.variants[0].id, "quantity": 1, "next": url}
    assert TOKEN_FIELD_RE.search(page).group(1) == ""
    # From another site: refused, and no cookie that would replace anyone's session.
    forged = client.post("/cart/add", data=form, headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 400 and "Set-Cookie" not in forged.headers
    # From this site, before a token came: back to the page, with a session now.
    sent = client.post("/cart/add", data=form, headers={"Sec-Fetch-Site": "same-origin"})
    assert sent.status_code == 303 and sent.headers["Location"] == url
    again = client.get(url)
    assert_private(again)
    assert "Please try again" in again.text
    token = TOKEN_FIELD_RE.search(again.text).group(1)
    assert client.post("/cart/add", data={**form, "csrf_token": token}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CartLine)) == 1


def test_without_the_catalog_cache_every_page_is_rendered(app, bare, boat, renders):
    app.config["CATALOG_CACHE"] = False
    for _ in range(2):
        assert bare.get(f"/p/{boat.slug}").status_code == 200
    assert renders.count("catalog/product.html") == 2


def test_a_shared_page_is_rendered_once_per_validator(bare, boat, renders):
    pages = [bare.get(f"/p/{boat.slug}") for _ in range(3)]
    assert renders.count("catalog/product.html") == 1
    assert len({p.text for p in pages}) == 1


def test_the_shared_page_of_a_missing_product_is_a_404(bare):
    page = bare.get("/p/no-such-boat")
    assert page.status_code == 404
    assert "public" not in page.headers["Cache-Control"]


@pytest.mark.both_dbs
def test_within_the_recheck_window_a_shared_page_is_served_from_memory(
    app, bare, client, db, boat, query_counter, renders
):
    app.config["SHARED_PAGE_RECHECK"] = 60  # a second in production: time to look, here
    url = f"/p/{boat.slug}"
    first = bare.get(url)
    etag = first.headers["ETag"]
    renders.clear()
    with query_counter() as statements:
        again = bare.get(url, headers={"If-None-Match": etag})
        page = bare.get(url)
        head = bare.head(url)
    assert statements == [] and renders == []  # no view, no database, no template
    assert again.status_code == 304 and again.data == b""
    assert page.status_code == 200 and page.data == first.data
    assert head.status_code == 200 and head.data == b""
    for response in (again, page, head):
        assert_public(response)
        assert response.headers["ETag"] == etag
    assert page.mimetype == "text/html"
    # Another URL is worked out on its own.
    assert bare.get(url + "?variant=1", headers={"If-None-Match": etag}).status_code == 200
    for variant in db.session.scalars(sa.select(Variant).where(Variant.product_id == boat.id)):
        variant.stock_on_hand = 0
    db.session.commit()
    # Within the window, a visitor without a session may still get the page of a moment ago;
    # a visitor with a session reads the stock fresh.
    assert bare.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert "2 in stock" in bare.get(url).text
    assert "Set-Cookie" in client.get("/visit").headers  # this visitor now has a session
    own = client.get(url, headers={"If-None-Match": etag})
    assert own.status_code == 200 and "Every version is sold out right now." in own.text


def test_after_the_recheck_window_the_page_is_worked_out_again(app, bare, db, boat):
    app.config["SHARED_PAGE_RECHECK"] = 1
    url = f"/p/{boat.slug}"
    etag = bare.get(url).headers["ETag"]
    for variant in db.session.scalars(sa.select(Variant).where(Variant.product_id == boat.id)):
        variant.stock_on_hand = 0
    db.session.commit()
    time.sleep(1.1)
    now = bare.get(url, headers={"If-None-Match": etag})
    assert now.status_code == 200 and "Every version is sold out right now." in now.text
    assert now.headers["ETag"] != etag


def test_a_page_a_worker_only_revalidated_is_rendered_when_asked_whole(app, bare, boat):
    app.config["SHARED_PAGE_RECHECK"] = 60
    url = f"/p/{boat.slug}"
    etag = bare.get(url).headers["ETag"]
    app.extensions.pop("recent_pages")  # a worker that has not rendered the page yet
    assert bare.get(url, headers={"If-None-Match": etag}).status_code == 304
    page = bare.get(url)
    assert page.status_code == 200 and "Tern 30" in page.text
