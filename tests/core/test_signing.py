"""The session cookie and the CSRF token signed without zlib, read as the libraries read them."""

import pytest
from flask import Response, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import ValidationError

from shop.signing import CSRF_SALT, Serializer, csrf_token
from shop.web import _vary_on_cookie
from tests.conftest import CSRF_RE


def test_values_are_not_compressed_and_compressed_ones_are_still_read():
    repetitive = {"compare": [12345] * 40}  # zlib would make this much shorter
    ours = Serializer("a-key-that-is-long-enough-0123456789", salt="s")
    theirs = URLSafeTimedSerializer("a-key-that-is-long-enough-0123456789", salt="s")
    compressed = theirs.dumps(repetitive)
    assert compressed.startswith(".")  # itsdangerous's mark of a zlib payload
    plain = ours.dumps(repetitive)
    assert not plain.startswith(".")
    # Each reads the other's: cookies from before the change, and ours by the library.
    assert ours.loads(compressed) == theirs.loads(plain) == repetitive


def test_a_signer_made_once_still_refuses_a_wrong_key_or_salt():
    signing = Serializer("the-first-key-0123456789abcdefghij", salt="s")
    value = signing.dumps("raw")
    assert signing.make_signer() is signing.make_signer()
    assert signing.loads(value) == "raw"  # twice: the derived key kept is the right one
    assert signing.loads(value) == "raw"
    with pytest.raises(BadSignature):
        Serializer("another-key-0123456789abcdefghijkl", salt="s").loads(value)
    with pytest.raises(BadSignature):
        Serializer("the-first-key-0123456789abcdefghij", salt="other").loads(value)
    with pytest.raises(BadSignature):
        signing.loads(value[:-2] + ("AA" if not value.endswith("AA") else "BB"))


def test_the_session_cookie_is_written_plain_and_flask_reads_it(app, client):
    flask_own = SecureCookieSessionInterface().get_signing_serializer(app)
    # A cookie Flask itself compressed (from before the change; a compare list compresses
    # well) still opens the session...
    old = flask_own.dumps({"compare": [7] * 40})
    assert old.startswith(".")
    client.set_cookie("session", old)
    client.get("/cart/")  # ...which gets a visitor key and a CSRF token, and is written anew
    cookie = client.get_cookie("session").value
    assert not cookie.startswith(".")  # not compressed, though it would have come out shorter
    data = flask_own.loads(cookie)  # and Flask's own serializer reads it
    assert data["compare"] == [7] * 40 and set(data) >= {"visitor", "csrf_token"}


def test_csrf_token_is_the_token_flask_wtf_makes_and_checks(app):
    with app.app_context(), app.test_request_context("/"):  # a new g each time
        token = csrf_token()
        assert csrf_token() == token == generate_csrf()  # one token a request, whoever asks
        validate_csrf(token)  # Flask-WTF's own check: no error
        raw = session["csrf_token"]
        assert URLSafeTimedSerializer(app.secret_key, salt=CSRF_SALT).loads(token) == raw
        with pytest.raises(ValidationError):
            validate_csrf(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    with app.app_context(), app.test_request_context("/"):  # a new g each time
        first = generate_csrf()  # Flask-WTF first this time: ours returns the same
        assert csrf_token() == first
    with app.app_context(), app.test_request_context("/"):  # a new g each time
        session["csrf_token"] = ["not", "a", "token"]  # whatever a session held there
        token = csrf_token()
        assert isinstance(session["csrf_token"], str) and g.csrf_token == token
        validate_csrf(token)


def test_a_product_page_token_posts_and_another_sessions_does_not(
    app, client, make_category, make_product
):
    product = make_product(make_category("Pianos"), stock=3)
    variant = product.variants[0]
    page = client.get(f"/p/{product.slug}").text  # a first visit: the shared page, our token
    token = CSRF_RE.search(page).group(1)
    assert "csrf-placeholder" not in page
    form = {"variant_id": variant.id, "quantity": 1}
    assert client.post("/cart/add", data={**form, "csrf_token": token}).status_code == 303
    stranger = app.test_client()
    stranger.get(f"/p/{product.slug}")
    assert stranger.post("/cart/add", data={**form, "csrf_token": token}).status_code == 400


def test_a_new_session_cookie_is_set_as_flask_sets_it_with_one_vary(app, client):
    ours = client.get("/cart/")  # starts a session: our save_session sets the cookie
    assert ours.headers.getlist("Vary") == ["Cookie"]
    with app.test_request_context("/"):
        session["visitor"] = "x"
        flask_response = Response("")
        SecureCookieSessionInterface().save_session(app, session, flask_response)
    ours_cookie = ours.headers["Set-Cookie"].split(";", 1)[1]
    flask_cookie = flask_response.headers["Set-Cookie"].split(";", 1)[1]
    assert ours_cookie == flask_cookie  # HttpOnly, SameSite, Path, Secure: the same flags
    # A view's own Vary is kept, and Cookie added to it once.
    response = Response("", headers={"Vary": "Accept-Encoding"})
    _vary_on_cookie(response)
    _vary_on_cookie(response)
    assert response.headers["Vary"] == "Accept-Encoding, Cookie"
