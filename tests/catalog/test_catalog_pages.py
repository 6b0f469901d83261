import pytest

from tests.conftest import post_form


@pytest.fixture
def fleet(sailboats, make_product):
    """Four boats with different lengths, hulls, launch dates and prices."""
    return {
        "dinghy": make_product(
            sailboats,
            name="Petrel 24",
            price_cents=48_000_00,
            specs={"length": "24", "hull": "Fiberglass", "launch": "2027-03-01"},
        ),
        "cruiser": make_product(
            sailboats,
            name="Aura 38",
            price_cents=289_000_00,
            specs={"length": "38.5", "hull": "Fiberglass", "launch": "2027-05-15"},
        ),
        "classic": make_product(
            sailboats,
            name="Teak Heron 42",
            price_cents=365_000_00,
            specs={"length": "42", "hull": "Wood", "launch": "2027-08-01"},
        ),
        "passage": make_product(
            sailboats,
            name="Meridian 46",
            price_cents=399_000_00,
            specs={"length": "46", "hull": "Aluminium", "launch": "2028-01-10"},
            stock=0,
            made_to_order=True,
        ),
    }


def names(response):
    text = response.get_data(as_text=True)
    return [n for n in ("Petrel 24", "Aura 38", "Teak Heron 42", "Meridian 46") if n in text]


@pytest.mark.both_dbs
def test_category_filters_combine_on_ranges_choices_and_price(client, fleet):
    assert len(names(client.get("/c/sailboats"))) == 4
    r = client.get("/c/sailboats?length_min=30&length_max=45")
    assert names(r) == ["Aura 38", "Teak Heron 42"]
    r = client.get("/c/sailboats?length_min=30&hull=Fiberglass")
    assert names(r) == ["Aura 38"]
    r = client.get("/c/sailboats?hull=Wood&hull=Aluminium&price_max=370000")
    assert names(r) == ["Teak Heron 42"]
    r = client.get("/c/sailboats?launch_min=2027-06-01")
    assert names(r) == ["Teak Heron 42", "Meridian 46"]


@pytest.mark.both_dbs
def test_sorting_by_price_and_newest(client, fleet):
    text = client.get("/c/sailboats?sort=price_asc").get_data(as_text=True)
    order = sorted(["Petrel 24", "Aura 38", "Teak Heron 42", "Meridian 46"], key=text.index)
    assert order == ["Petrel 24", "Aura 38", "Teak Heron 42", "Meridian 46"]
    text = client.get("/c/sailboats?sort=price_desc").get_data(as_text=True)
    assert text.index("Meridian 46") < text.index("Petrel 24")
    text = client.get("/c/sailboats").get_data(as_text=True)  # newest first
    assert text.index("Meridian 46") < text.index("Petrel 24")


def test_pagination_keeps_filters_in_the_links(app, client, sailboats, make_product):
    app.config["PRODUCTS_PER_PAGE"] = 2
    for i in range(5):
        make_product(sailboats, name=f"Boat {i}", specs={"hull": "Wood"})
    first = client.get("/c/sailboats?hull=Wood&sort=name").get_data(as_text=True)
    assert "Boat 0" in first and "Boat 1" in first and "Boat 2" not in first
    assert "/c/sailboats?hull=Wood&amp;sort=name&amp;page=2" in first
    third = client.get("/c/sailboats?hull=Wood&sort=name&page=3").get_data(as_text=True)
    assert "Boat 4" in third and "Boat 0" not in third
    beyond = client.get("/c/sailboats?hull=Wood&page=999")
    assert beyond.status_code == 200 and "Nothing matches" in beyond.get_data(as_text=True)


@pytest.mark.both_dbs
def test_search_covers_names_descriptions_and_spec_values(client, fleet, db):
    fleet["classic"].description = "Hand-laid teak decks over a cold-moulded hull."
    db.session.commit()
    assert names(client.get("/search?q=meridian")) == ["Meridian 46"]
    assert names(client.get("/search?q=cold-moulded")) == []  # description not refreshed yet
    from shop.catalog.services import get_product, refresh_product

    refresh_product(get_product(fleet["classic"].slug))
    db.session.commit()
    assert names(client.get("/search?q=cold-moulded")) == ["Teak Heron 42"]
    assert names(client.get("/search?q=aluminium")) == ["Meridian 46"]  # a spec value
    assert names(client.get("/search?q=fiberglass&price_min=100000")) == ["Aura 38"]
    assert names(client.get("/c/sailboats?q=wood")) == ["Teak Heron 42"]
    assert names(client.get("/search?q=%25")) == []  # LIKE wildcards are literal


def test_bad_filter_values_give_a_notice_not_an_error(client, fleet):
    r = client.get("/c/sailboats?length_min=abc&price_max=lots&sort=evil&page=-4")
    assert r.status_code == 200
    assert "Ignored" in r.get_data(as_text=True)
    assert len(names(r)) == 4


def test_unknown_category_and_product_are_404(client, fleet):
    assert client.get("/c/submarines").status_code == 404
    assert client.get("/p/no-such-boat").status_code == 404


def test_inactive_product_is_404(client, fleet, db):
    fleet["dinghy"].is_active = False
    db.session.commit()
    assert client.get(f"/p/{fleet['dinghy'].slug}").status_code == 404
    assert "Petrel 24" not in names(client.get("/c/sailboats"))


def test_product_page_shows_specs_variants_prices_and_honest_promises(
    client, sailboats, make_product, db
):
    boat = make_product(
        sailboats,
        name="Aura 38",
        price_cents=289_000_00,
        variants=2,
        specs={"length": "38.5", "hull": "Fiberglass", "launch": "2027-05-15"},
    )
    boat.variants[1].stock_on_hand = 0
    boat.variants[1].made_to_order = True
    boat.variants[1].build_weeks = 14
    db.session.commit()
    text = client.get(f"/p/{boat.slug}").get_data(as_text=True)
    assert "Length overall" in text and "38.5 ft" in text
    assert "Fiberglass" in text and "May 15, 2027" in text
    assert "$289,000" in text and "$290,000" in text
    assert "In stock at the Portland showroom, delivery in 2-3 weeks" in text
    assert "Made to order, 14 weeks" in text
    assert "Add to cart" in text


def test_sold_out_variant_cannot_be_chosen(client, sailboats, make_product):
    boat = make_product(sailboats, stock=0)
    text = client.get(f"/p/{boat.slug}").get_data(as_text=True)
    assert "Sold out" in text and "disabled" in text and "Add to cart" not in text


def test_documents_are_listed_for_download(client, sailboats, make_product, db):
    from shop.catalog.models import ProductDocument

    boat = make_product(sailboats)
    db.session.add(
        ProductDocument(product_id=boat.id, title="Spec sheet", path="docs/x.pdf", size_bytes=4096)
    )
    db.session.commit()
    text = client.get(f"/p/{boat.slug}").get_data(as_text=True)
    assert 'href="/static/docs/x.pdf" download' in text and "Spec sheet" in text


def test_category_page_offers_facets_from_the_data(client, fleet):
    text = client.get("/c/sailboats").get_data(as_text=True)
    assert 'name="hull" value="Fiberglass"' in text and 'name="hull" value="Wood"' in text
    assert 'name="length_min"' in text and 'placeholder="24"' in text


def test_csrf_is_required_on_state_changes(client, fleet):
    variant = fleet["cruiser"].variants[0]
    response = client.post("/cart/add", data={"variant_id": variant.id, "quantity": 1})
    assert response.status_code == 400
    assert (
        post_form(client, "/cart/add", {"variant_id": variant.id, "quantity": 1}).status_code == 303
    )
