"""The catalog cache: pages built once per catalog generation, never stale after a change."""

import pytest
import sqlalchemy as sa

from shop import create_app
from shop.catalog import services
from shop.catalog.cache import generation
from shop.catalog.models import CatalogGeneration, Category, Product, Variant
from shop.extensions import db as _db


def current_generation() -> int:
    return _db.session.scalar(sa.select(CatalogGeneration.value)) or 0


def product_page(client, product) -> str:
    response = client.get(f"/p/{product.slug}")
    assert response.status_code == 200
    return response.text


@pytest.mark.both_dbs
def test_an_orm_change_to_the_catalog_raises_the_generation_in_its_transaction(
    db, sailboats, make_product
):
    boat = make_product(sailboats, name="Tern 30")
    before = current_generation()
    boat.name = "Tern 31"
    db.session.flush()
    assert current_generation() == before + 1
    db.session.rollback()  # and it goes away with the change
    assert current_generation() == before


@pytest.mark.both_dbs
def test_stock_moves_leave_the_generation_alone(db, sailboats, make_product):
    boat = make_product(sailboats, stock=3)
    before = current_generation()
    variant = db.session.scalar(sa.select(Variant).where(Variant.product_id == boat.id))
    variant.stock_on_hand = 1
    db.session.commit()
    assert current_generation() == before
    variant.price_cents += 100
    db.session.commit()
    assert current_generation() == before + 1


def test_the_generation_row_comes_back_after_a_truncate(db, sailboats, make_product):
    db.session.execute(sa.delete(CatalogGeneration))
    db.session.commit()
    assert current_generation() == 0
    make_product(sailboats)
    assert current_generation() >= 1


def test_a_product_page_shows_a_change_on_the_next_view(client, db, sailboats, make_product):
    boat = make_product(sailboats, name="Tern 30", specs={"length": 30})
    assert "Tern 30" in product_page(client, boat)
    assert "<td>30.0 ft</td>" in product_page(client, boat)  # from the cache this time

    boat = db.session.get(Product, boat.id)
    boat.name = "Tern 33"
    for spec in db.session.scalars(sa.select(services.ProductSpec)):
        spec.value_num = 33
    db.session.commit()
    page = product_page(client, boat)
    assert "Tern 33" in page and "<td>33.0 ft</td>" in page and "Tern 30" not in page


def test_pages_are_served_from_the_cache_until_the_catalog_changes(
    app, client, db, sailboats, make_product, query_counter
):
    boat = make_product(sailboats, specs={"length": 30})
    product_page(client, boat)
    with query_counter() as cold:
        product_page(client, boat)
    app.extensions["catalog_cache"] = type(app.extensions["catalog_cache"])()  # forget it all
    with query_counter() as rebuilt:
        product_page(client, boat)
    # The rebuild reads the product, its variants, specs, pictures, documents and delivery
    # options, and the navigation; a cached view reads none of it.
    assert len(rebuilt) >= len(cold) + 5
    assert not any("FROM product_specs" in s for s in cold)


def test_a_second_process_sees_a_change_made_by_the_first(
    app, app_config, client, db, sailboats, make_product
):
    """Each worker keeps its own cache; the generation in the database keeps them honest."""
    boat = make_product(sailboats, name="Tern 30")
    other = create_app(app_config)  # another worker: its own cache, the same database
    other_client = other.test_client()
    with other.app_context():
        assert "Tern 30" in product_page(other_client, boat)
        _db.session.remove()

    boat = db.session.get(Product, boat.id)
    boat.name = "Tern 34"
    category = db.session.get(Category, sailboats.id)
    category.name = "Sailing yachts"
    db.session.commit()

    with other.app_context():
        page = product_page(other_client, boat)
        assert "Tern 34" in page and "Sailing yachts" in page
        _db.session.remove()
    assert "Sailing yachts" in client.get("/").text


def test_category_filters_follow_a_product_being_withdrawn(client, db, sailboats, make_product):
    make_product(sailboats, specs={"hull": "Wood"})
    teak = make_product(sailboats, specs={"hull": "Teak"})
    assert "Teak" in client.get("/c/sailboats").text
    teak = db.session.get(Product, teak.id)
    teak.is_active = False
    db.session.commit()
    page = client.get("/c/sailboats").text
    assert "Teak" not in page and "Wood" in page


def test_the_cache_can_be_switched_off(app, db):
    app.config["CATALOG_CACHE"] = False
    with app.test_request_context():
        calls = []
        services.cached("k", lambda: calls.append(1))
        services.cached("k", lambda: calls.append(1))
    assert calls == [1, 1]


def test_one_request_reads_the_generation_once(app, db, query_counter):
    with app.test_request_context(), query_counter() as statements:
        first = generation()
        assert generation() == first
    assert len(statements) == 1


# --- counting matches ------------------------------------------------------------------------


@pytest.fixture
def five_boats(sailboats, make_product):
    return [make_product(sailboats, specs={"length": 30 + n}) for n in range(5)]


def test_a_broad_list_counts_up_to_the_cap_and_still_pages_on(app, client, five_boats, monkeypatch):
    monkeypatch.setattr(services, "COUNT_CAP", 3)
    app.config["PRODUCTS_PER_PAGE"] = 2
    first = client.get("/c/sailboats?length_min=10")
    assert "3+ products" in first.text
    assert 'rel="next"' in first.text
    third = client.get("/c/sailboats?length_min=10&page=3")
    assert third.status_code == 200
    # Five boats at two a page: the third page holds the last one, and says it is the last.
    assert third.text.count('class="product-card"') == 1
    assert 'rel="next"' not in third.text
    assert 'rel="prev"' in third.text


def test_a_list_under_the_cap_shows_the_exact_count(app, client, five_boats, monkeypatch):
    monkeypatch.setattr(services, "COUNT_CAP", 10)
    app.config["PRODUCTS_PER_PAGE"] = 2
    page = client.get("/c/sailboats?length_min=32").text
    assert "3 products" in page and "3+ products" not in page
    one = client.get("/c/sailboats?length_min=34").text
    assert "1 product<" in one


def test_page_numbers_skip_with_a_gap():
    page = services.ProductPage(items=[1] * 10, page=7, per_page=10, total=200, capped=False)
    assert list(page.iter_pages()) == [1, None, 5, 6, 7, 8, 9, 10, None, 20]
    assert page.prev_num == 6 and page.next_num == 8
    last = services.ProductPage(items=[1] * 5, page=3, per_page=10, total=25, capped=False)
    assert last.next_num is None and list(last.iter_pages()) == [1, 2, 3]


def test_a_cached_card_follows_the_stock(client, db, sailboats, make_product):
    boat = make_product(sailboats, stock=1)
    assert "In stock" in client.get("/c/sailboats").text
    before = current_generation()
    db.session.execute(
        sa.update(Variant).where(Variant.product_id == boat.id).values(stock_on_hand=0)
    )
    db.session.commit()
    assert current_generation() == before  # the card was not thrown away: it has two states
    page = client.get("/c/sailboats").text
    assert "Sold out" in page and "In stock" not in page


def test_cards_of_withdrawn_products_are_left_out(app, db, sailboats, make_product):
    kept, withdrawn = make_product(sailboats, name="Kept"), make_product(sailboats, name="Gone")
    withdrawn.is_active = False
    db.session.commit()
    from shop.catalog.views import product_cards

    with app.test_request_context():
        cards = product_cards([withdrawn.id, kept.id, 999_999])
    assert len(cards) == 1 and "Kept" in cards[0]


def test_a_list_is_read_once_per_generation_and_a_new_product_shows_at_once(
    client, sailboats, make_product, query_counter
):
    make_product(sailboats, name="Tern 30", specs={"length": 30})
    url = "/c/sailboats?length_min=20"
    assert "1 product<" in client.get(url).text
    with query_counter() as warm:
        client.get(url)
    assert not any("FROM products" in s for s in warm)
    make_product(sailboats, name="Tern 40", specs={"length": 40})
    page = client.get(url).text
    assert "2 products" in page and "Tern 40" in page


def test_whoever_changes_the_catalog_reads_its_own_change_next(app, db, sailboats, make_product):
    """A job that renames a category and then lists the categories in the same app context."""
    make_product(sailboats)
    with app.test_request_context():
        assert [c.name for c in services.nav_categories()] == ["Sailboats"]
        category = db.session.get(Category, sailboats.id)
        category.name = "Sailing yachts"
        db.session.commit()
        assert [c.name for c in services.nav_categories()] == ["Sailing yachts"]


def test_the_labels_of_a_list_of_variants_are_kept_together_until_the_catalog_changes(
    app, db, sailboats, make_product, query_counter
):
    boats = [make_product(sailboats, name=f"Tern {n}", price_cents=n * 100_00) for n in (30, 31)]
    ids = [boat.variants[0].id for boat in boats]

    def labels(ids):  # as a request would ask, in a context of its own (its own generation)
        with app.app_context(), app.test_request_context():
            return services.variant_labels(ids)

    first = labels(ids)
    assert {vid: label.price_cents for vid, label in first.items()} == dict(
        zip(ids, [30_00_00, 31_00_00], strict=True)
    )
    with query_counter() as seen:
        again = labels(ids)
    assert again is first  # one look-up for the list, nothing read but the generation
    assert len(seen) == 1 and "catalog_generation" in seen[0]
    assert labels(ids[:1]) == {ids[0]: first[ids[0]]}  # another list: its own entry

    boats[0].variants[0].price_cents = 29_000_00
    db.session.commit()
    after = labels(ids)
    assert after[ids[0]].price_cents == 29_000_00 and after[ids[1]] == first[ids[1]]
