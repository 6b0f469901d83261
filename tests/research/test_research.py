import sqlalchemy as sa

from shop.research.models import ResearchEvent
from tests.conftest import PASSWORD, browse, post_form


def compare_add(client, product):
    return post_form(client, "/compare/add", {"product_id": product.id, "next": "/compare"})


def test_compare_up_to_four_side_by_side_with_differences(client, boats):
    for boat in boats[:4]:
        assert compare_add(client, boat).status_code == 303
    page = client.get("/compare").get_data(as_text=True)
    assert all(f"Boat {n}" in page for n in ("Alpha", "Bravo", "Charlie", "Delta"))
    assert 'data-testid="compare-count">4<' in page
    # Length differs across all four; rows that differ are marked.
    assert '<tr class="differs">\n        <th scope="row">Length overall' in page
    refused = compare_add(client, boats[4])
    assert refused.status_code == 303
    page = client.get("/compare").get_data(as_text=True)
    assert "up to 4 products" in page and "Boat Echo" not in page


def test_same_values_are_not_marked_as_differences(client, boats):
    compare_add(client, boats[0])
    compare_add(client, boats[2])  # both wood
    page = client.get("/compare").get_data(as_text=True)
    assert '<tr>\n        <th scope="row">Hull material' in page
    assert '<tr class="differs">\n        <th scope="row">Length overall' in page


def test_remove_from_compare(client, boats):
    compare_add(client, boats[0])
    compare_add(client, boats[1])
    post_form(client, "/compare/remove", {"product_id": boats[0].id})
    page = client.get("/compare").get_data(as_text=True)
    assert "Boat Alpha" not in page and "Boat Bravo" in page


def test_compare_rejects_unknown_products(client, boats):
    assert post_form(client, "/compare/add", {"product_id": "999999"}).status_code == 404
    assert post_form(client, "/compare/add", {"product_id": "nope"}).status_code == 404


def test_compare_list_survives_login(client, boats, make_user, login):
    compare_add(client, boats[0])
    login(make_user())
    assert "Boat Alpha" in client.get("/compare").get_data(as_text=True)


def test_visitor_trail_becomes_the_buyers_at_login(client, boats, make_user, login, db):
    browse(client, f"/p/{boats[0].slug}")  # a first visit: the shared page, then app.js
    client.get(f"/p/{boats[1].slug}")
    compare_add(client, boats[2])
    buyer = make_user()
    login(buyer)
    rows = db.session.execute(
        sa.select(
            ResearchEvent.kind,
            ResearchEvent.product_id,
            ResearchEvent.user_id,
            ResearchEvent.visitor_key,
        ).order_by(ResearchEvent.id)
    ).all()
    assert [(k, p) for k, p, _, _ in rows] == [
        ("viewed", boats[0].id),
        ("viewed", boats[1].id),
        ("compared", boats[2].id),
    ]
    assert {(u, v) for _, _, u, v in rows} == {(buyer.id, None)}
    page = client.get("/account/").get_data(as_text=True)
    assert "Boat Alpha" in page and "Boat Charlie" in page


def test_recently_viewed_is_latest_first_and_distinct(client, boats):
    for boat in (boats[0], boats[1], boats[0], boats[3]):
        browse(client, f"/p/{boat.slug}")
    html = client.get("/").get_data(as_text=True)
    section = html[html.index("Recently viewed") :]
    assert section.count("Boat Alpha</h3>") == 1
    assert section.index("Boat Delta") < section.index("Boat Alpha") < section.index("Boat Bravo")


def test_one_visitor_never_sees_anothers_trail(app, client, boats):
    client.get(f"/p/{boats[0].slug}")
    stranger = app.test_client()
    assert "Recently viewed" not in stranger.get("/").get_data(as_text=True)


def test_buyer_trail_follows_them_to_a_new_device(app, boats, make_user):
    buyer = make_user()
    first = app.test_client()
    post_form(first, "/account/login", {"email": buyer.email, "password": PASSWORD})
    first.get(f"/p/{boats[4].slug}")
    second = app.test_client()
    post_form(second, "/account/login", {"email": buyer.email, "password": PASSWORD})
    assert "Boat Echo" in second.get("/").get_data(as_text=True)
