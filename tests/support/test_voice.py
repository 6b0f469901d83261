"""The voice of the buyer: compliments and suggestions per product and category, managers only,
in a fixed number of queries."""

import pytest

from tests.support.helpers_s4 import make_ticket


@pytest.fixture
def catalog(make_category, make_product):
    boats = make_category(slug="boats", name="Boats")
    pianos = make_category(slug="pianos-v", name="Pianos")
    return {
        "sloop": make_product(boats, name="Blue Sloop"),
        "ketch": make_product(boats, name="Red Ketch"),
        "grand": make_product(pianos, name="Concert Grand"),
        "boats": boats,
        "pianos": pianos,
    }


def say(product, kind, body, n=1):
    for i in range(n):
        make_ticket(
            kind=kind,
            product_id=product.id,
            subject=f"{kind} {i}",
            body=body,
            email="someone@example.com",
        )


def rows(html, testid):
    import re

    return re.findall(rf'data-testid="{testid}">([^<]*)<', html)


def test_managers_see_counts_per_product_and_category(client, login, support_staff, catalog):
    say(catalog["sloop"], "compliment", "Sails like a dream", 2)
    say(catalog["sloop"], "suggestion", "Add a <script>alert(1)</script> bimini")
    say(catalog["ketch"], "suggestion", "Offer teak decks")
    say(catalog["grand"], "compliment", "Perfect tuning")
    make_ticket(kind="complaint", product_id=catalog["grand"].id, email="x@example.com")
    login(support_staff["manager"])
    html = client.get("/staff/voice").get_data(as_text=True)
    assert rows(html, "voice-category-name") == ["Boats", "Pianos"]
    assert rows(html, "voice-category-counts") == [
        "2 compliments, 2 suggestions",
        "1 compliments, 0 suggestions",
    ]
    assert rows(html, "voice-compliments") == ["2", "0", "1"]
    assert rows(html, "voice-suggestions") == ["1", "1", "0"]
    assert "Sails like a dream" in html and "Offer teak decks" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html

    html = client.get(f"/staff/voice?category={catalog['pianos'].id}").get_data(as_text=True)
    assert rows(html, "voice-category-name") == ["Pianos"]
    html = client.get("/staff/voice?kind=suggestion").get_data(as_text=True)
    assert rows(html, "voice-category-counts") == ["0 compliments, 2 suggestions"]
    assert "Perfect tuning" not in html
    assert client.get("/staff/voice?category=abc&kind=nope").status_code == 200


def test_only_managers_see_it(client, login, support_staff):
    for role in ("rep", "support"):
        login(support_staff[role])
        assert client.get("/staff/voice").status_code == 403
    login(support_staff["other_buyer"])
    assert client.get("/staff/voice").status_code in (302, 403, 404)


def test_a_fixed_number_of_queries(client, login, support_staff, catalog, query_counter):
    login(support_staff["manager"])
    say(catalog["sloop"], "compliment", "one")
    with query_counter() as few:
        assert client.get("/staff/voice").status_code == 200
    for product in ("sloop", "ketch", "grand"):
        say(catalog[product], "compliment", "more", 4)
        say(catalog[product], "suggestion", "more", 4)
    with query_counter() as many:
        html = client.get("/staff/voice").get_data(as_text=True)
    assert html.count('data-testid="voice-text"') == 9  # the latest 3 per product
    assert len(many) == len(few)
