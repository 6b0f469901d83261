import pytest

from shop.auth.roles import STAFF_ROLES, Permission, Role, can
from tests.conftest import post_form


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_grants_table_denies_by_default(role, permission):
    expected = {
        Role.BUYER: set(),
        Role.REP: {
            Permission.STAFF_DESK,
            Permission.VIEW_BUYER_THREAD,
            Permission.VIEW_ORDERS,
            Permission.CAPTURE_PAYMENT,
            Permission.SCHEDULE_DELIVERY,
            Permission.VIEW_DELIVERIES,
            Permission.MARK_DELIVERED,
            Permission.VIEW_TICKETS,
            Permission.HANDLE_RETURNS,
            Permission.MODERATE_QUESTIONS,
            Permission.VIEW_CONSULTATIONS,
            Permission.TAKE_BOOKINGS,
            Permission.BUILD_QUOTES,
        },
        # Support cannot capture, approve, build quotes, or see the audit trail.
        Role.SUPPORT: {
            Permission.STAFF_DESK,
            Permission.VIEW_BUYER_THREAD,
            Permission.VIEW_ORDERS,
            Permission.REQUEST_REFUND,
            Permission.RECORD_TRANSFER,
            Permission.GIVE_STORE_CREDIT,
            Permission.SCHEDULE_DELIVERY,
            Permission.VIEW_DELIVERIES,
            Permission.MARK_DELIVERED,
            Permission.VIEW_TICKETS,
            Permission.ACT_ON_ANY_TICKET,
            Permission.HANDLE_RETURNS,
            Permission.MODERATE_QUESTIONS,
            Permission.VIEW_CONSULTATIONS,
        },
        Role.MANAGER: set(Permission),
        # The delivery crew: its deliveries and handing over; no money, no other buyers.
        Role.CREW: {Permission.VIEW_DELIVERIES, Permission.MARK_DELIVERED},
    }[role]
    assert can(role, permission) is (permission in expected)


def test_unknown_roles_get_nothing():
    assert not can("admin", Permission.STAFF_DESK)
    assert not can(None, Permission.STAFF_DESK)


def staff_urls(app, object_id, method="GET"):
    """Every staff route, collected from the URL map, so a new one cannot be forgotten."""
    from flask import url_for

    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and method in rule.methods:
            with app.test_request_context():
                urls.append(url_for(rule.endpoint, **dict.fromkeys(rule.arguments, object_id)))
    assert urls, "no staff routes found"
    return urls


def test_every_staff_route_refuses_visitors_and_buyers(app, client, make_user, login):
    buyer = make_user(Role.BUYER)
    for url in staff_urls(app, buyer.id):
        r = client.get(url)
        assert r.status_code == 302 and "/account/login" in r.headers["Location"], url
    for url in staff_urls(app, buyer.id, "POST"):
        r = post_form(client, url, {})
        assert r.status_code == 302 and "/account/login" in r.headers["Location"], url
    login(buyer)
    for url in staff_urls(app, buyer.id):
        assert client.get(url).status_code == 403, url
    for url in staff_urls(app, buyer.id, "POST"):
        assert post_form(client, url, {}).status_code == 403, url


@pytest.mark.parametrize("role", sorted(STAFF_ROLES - {Role.CREW}))
def test_staff_reach_the_desk_and_a_buyer_thread(app, client, make_user, login, role):
    buyer = make_user(Role.BUYER, name="Ada Lovelace")
    login(make_user(role))
    for url in staff_urls(app, buyer.id):
        # Every staff page answers: 200, 404 for an object that is not theirs, or 403 for a
        # page of another role (the calendar is the managers'); never a redirect or a 500.
        assert client.get(url).status_code in (200, 403, 404), url
    assert client.get("/staff/").status_code == 200
    assert client.get(f"/staff/buyers/{buyer.id}").status_code == 200
    assert client.get("/staff/consultations").status_code == 200
    assert "Ada Lovelace" in client.get("/staff/").get_data(as_text=True)


def test_staff_see_a_buyers_research_trail_and_cart(
    app, client, make_user, login, sailboats, make_product
):
    boat = make_product(sailboats, name="Aura 38")
    buyer = make_user(Role.BUYER)
    shopper = app.test_client()
    post_form(
        shopper, "/account/login", {"email": buyer.email, "password": "correct horse battery"}
    )
    shopper.get(f"/p/{boat.slug}")
    shopper.get("/search?q=blue+water")
    post_form(shopper, "/cart/add", {"variant_id": boat.variants[0].id, "quantity": 1})
    login(make_user(Role.REP))
    page = client.get(f"/staff/buyers/{buyer.id}").get_data(as_text=True)
    assert "Aura 38" in page and "viewed" in page and "blue water" in page
    assert "Subtotal $250,000.00" in page


def test_a_staff_page_for_a_non_buyer_is_404(client, make_user, login):
    rep = make_user(Role.REP)
    login(make_user(Role.MANAGER))
    assert client.get(f"/staff/buyers/{rep.id}").status_code == 404
    assert client.get("/staff/buyers/99999").status_code == 404


def test_create_staff_command(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-staff",
            "--email",
            "Rae@Example.com",
            "--name",
            "Rae",
            "--role",
            "rep",
            "--password",
            "a long staff pass",
        ]
    )
    assert result.exit_code == 0, result.output
    from shop.auth.services import find_user_by_email

    user = find_user_by_email("rae@example.com")
    assert user.role == "rep"
    again = runner.invoke(
        args=[
            "create-staff",
            "--email",
            "rae@example.com",
            "--name",
            "Rae",
            "--role",
            "rep",
            "--password",
            "a long staff pass",
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output
    bad = runner.invoke(
        args=[
            "create-staff",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "buyer",
            "--password",
            "a long staff pass",
        ]
    )
    assert bad.exit_code != 0
