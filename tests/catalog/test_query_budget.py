"""Pages run a fixed number of SQL queries whatever the number of items they show."""

import pytest
import sqlalchemy as sa

from shop.cart.models import CartLine
from tests.conftest import browse, post_form


def queries(client, query_counter, url):
    with query_counter() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


@pytest.fixture
def grow(sailboats, make_product):
    """Make the catalog hold `n` products, each with variants, specs and images."""
    made = []

    def _grow(n):
        while len(made) < n:
            made.append(
                make_product(
                    sailboats,
                    variants=3,
                    images=3,
                    specs={
                        "length": 30 + len(made),
                        "hull": ["Wood", "Fiberglass"][len(made) % 2],
                        "launch": "2027-05-01",
                    },
                )
            )
        return made

    return _grow


def test_category_page(app, client, grow, query_counter):
    app.config["PRODUCTS_PER_PAGE"] = 60
    url = "/c/sailboats?length_min=10&hull=Wood&hull=Fiberglass&sort=price_asc"
    grow(1)
    one = queries(client, query_counter, url)
    grow(50)
    many = queries(client, query_counter, url)
    # The first view after a catalog change also reads the category, its facets, the
    # navigation and the products on the page into the catalog cache; later views only the
    # generation, the page's ids, their count and their stock.
    again = queries(client, query_counter, url)
    assert one == many <= 13
    assert again <= 5, again


def test_search_page(app, client, grow, query_counter):
    app.config["PRODUCTS_PER_PAGE"] = 60
    # A returning visitor (a new one has no cart to count yet), whose first search, held in
    # their session, has been written.
    browse(client, "/search?q=first")
    client.get("/")
    grow(1)
    one = queries(client, query_counter, "/search?q=product")
    grow(50)
    many = queries(client, query_counter, "/search?q=product")
    assert one == many <= 10


def test_product_page(client, sailboats, make_product, query_counter):
    small = make_product(sailboats, variants=1, images=1, specs={"length": 30})
    big = make_product(
        sailboats,
        variants=50,
        images=50,
        specs={"length": 30, "hull": "Wood", "launch": "2027-01-01"},
    )
    # Both pages then show the other as recently viewed, and every card is in the cache.
    for product in (small, big, small, big):
        browse(client, f"/p/{product.slug}")
    assert (
        queries(client, query_counter, f"/p/{small.slug}")
        == queries(client, query_counter, f"/p/{big.slug}")
        <= 15  # 14 + one for the product's questions and answers
    )


def test_compare_page(client, grow, query_counter):
    boats = grow(4)
    post_form(client, "/compare/add", {"product_id": boats[0].id})
    one = queries(client, query_counter, "/compare")
    for boat in boats[1:]:
        post_form(client, "/compare/add", {"product_id": boat.id})
    four = queries(client, query_counter, "/compare")
    assert one == four <= 10


def test_cart_page(app, client, grow, query_counter, db):
    app.config["MAX_LINE_QUANTITY"] = 5
    boats = grow(50)
    post_form(client, "/cart/add", {"variant_id": boats[0].variants[0].id, "quantity": 1})
    one = queries(client, query_counter, "/cart/")
    for boat in boats[1:]:
        post_form(client, "/cart/add", {"variant_id": boat.variants[1].id, "quantity": 1})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CartLine)) == 50
    fifty = queries(client, query_counter, "/cart/")
    assert one == fifty <= 10


def test_home_page(client, grow, query_counter):
    boats = grow(12)
    browse(client, f"/p/{boats[0].slug}")
    client.get("/about")  # the first view, held in the new visitor's session, is written
    one = queries(client, query_counter, "/")
    for boat in boats[1:]:
        client.get(f"/p/{boat.slug}")
    many = queries(client, query_counter, "/")
    assert one == many <= 10


def test_the_navigation_categories_are_read_once_per_page(client, query_counter, sailboats):
    """The header and the home page both list the categories: one query serves both."""
    with query_counter() as statements:
        assert client.get("/").status_code == 200
    reads = [s for s in statements if "FROM categories" in s and "products" not in s]
    assert len(reads) == 1, reads


def test_a_first_time_visitor_has_no_cart_or_trail_to_read(
    client, sailboats, make_product, query_counter
):
    boat = make_product(sailboats)
    with query_counter() as first:
        assert browse(client, f"/p/{boat.slug}").status_code == 200  # the page and its visit
    assert not any("cart_lines" in s for s in first)
    assert not any("research_events" in s for s in first)  # the view waits in the session
    with query_counter() as again:  # the same visitor, back: the held view is written,
        client.get(f"/p/{boat.slug}")  # and the cart and the trail are read
    assert any("cart_lines" in s for s in again)
    assert any(s.lstrip().startswith("SELECT research_events") for s in again)
    assert sum(s.lstrip().startswith("INSERT INTO research_events") for s in again) == 2


@pytest.mark.both_dbs
def test_a_shared_product_page_reads_its_stock_and_the_generation_in_one_query(
    app, db, sailboats, make_product, query_counter
):
    boat = make_product(sailboats, variants=3, stock=4)
    bare = app.test_client(use_cookies=False)  # a visitor with no session: the shared page
    assert bare.get(f"/p/{boat.slug}").status_code == 200  # fills the caches
    with query_counter() as statements:
        page = bare.get(f"/p/{boat.slug}")
    assert page.status_code == 200
    assert len(statements) == 1, statements
    assert "catalog_generation" in statements[0] and "stock_reservations" in statements[0]
    # The stock read with it is fresh: sold out shows at once, on the same cached page.
    for variant in boat.variants:
        variant.stock_on_hand = 0
    db.session.commit()
    assert "sold out right now" in bare.get(f"/p/{boat.slug}").get_data(as_text=True)
    # With no generation row (emptied by hand), the page still reads its stock apart.
    db.session.execute(sa.text("DELETE FROM catalog_generation"))
    db.session.commit()
    assert bare.get(f"/p/{boat.slug}").status_code == 200  # generation 0: the caches refill
    with query_counter() as statements:
        page = bare.get(f"/p/{boat.slug}")
    assert page.status_code == 200 and "sold out right now" in page.get_data(as_text=True)
    assert len(statements) == 3  # the combined read, the generation, the stock
    assert bare.get("/p/no-such-boat").status_code == 404
