"""The session is Flask's signed cookie and the CSRF token Flask-WTF's, as both libraries ship."""

import pytest
from itsdangerous import BadSignature

from tests.conftest import CSRF_RE, post_form


@pytest.fixture
def piano(make_category, make_product):
    return make_product(make_category("Pianos"), name="Upright piano", stock=3)


def cart_count(client) -> str:
    html = client.get("/cart/").text
    return html.split('data-testid="cart-count">', 1)[1].split("<", 1)[0]


def test_a_tampered_session_cookie_is_refused(client, piano):
    post_form(client, "/cart/add", {"variant_id": piano.variants[0].id, "quantity": 2})
    assert cart_count(client) == "2"
    cookie = client.get_cookie("session").value
    payload, rest = cookie.split(".", 1)
    forged = ("A" if payload[0] != "A" else "B") + payload[1:] + "." + rest
    client.set_cookie("session", forged)
    # A cookie whose signature does not match opens no session: a new visitor, an empty cart.
    assert cart_count(client) == "0"
    assert client.get_cookie("session").value != forged


def test_the_session_cookie_is_http_only_and_same_site(client):
    response = client.get("/cart/")  # starts a visitor's session
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Cookie" in response.headers["Vary"]


def test_a_form_token_posts_for_its_own_session_only(app, client, piano):
    form = {"variant_id": piano.variants[0].id, "quantity": 1}
    token = CSRF_RE.search(client.get("/cart/").text).group(1)
    stranger = app.test_client()
    stranger_token = CSRF_RE.search(stranger.get("/cart/").text).group(1)
    assert stranger.post("/cart/add", data={**form, "csrf_token": token}).status_code == 400
    assert client.post("/cart/add", data={**form, "csrf_token": token}).status_code == 303
    assert client.post("/cart/add", data=form).status_code == 400  # no token at all
    assert (
        stranger.post("/cart/add", data={**form, "csrf_token": stranger_token}).status_code == 303
    )


def test_session_keys_rotate_through_flasks_fallbacks(app):
    interface = app.session_interface
    old_cookie = interface.get_signing_serializer(app).dumps({"visitor": "abc"})
    old_key = app.secret_key
    app.secret_key = app.config["SECRET_KEY"] = "a-brand-new-secret-key-0123456789abcdef"
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    rotated = interface.get_signing_serializer(app)
    assert rotated.loads(old_cookie) == {"visitor": "abc"}  # old cookies still open
    new_cookie = rotated.dumps({"cart": 1})
    app.config["SECRET_KEY_FALLBACKS"] = []  # the old key retired
    with pytest.raises(BadSignature):
        interface.get_signing_serializer(app).loads(old_cookie)
    assert interface.get_signing_serializer(app).loads(new_cookie) == {"cart": 1}
