import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY  # noqa: F401  (documents the family we use)

from shop.auth.models import LoginSession, Registration, User
from shop.auth.passwords import hash_password, verify_password
from shop.auth.roles import Role
from tests.conftest import PASSWORD, post_form, sign_up_link


def test_passwords_use_argon2id_at_owasp_parameters():
    hashed = hash_password("a long enough secret")
    assert hashed.startswith("$argon2id$")
    assert "$m=19456,t=2,p=1$" in hashed  # OWASP: 19 MiB, 2 iterations, 1 lane
    params = PasswordHasher().check_needs_rehash  # noqa: F841
    assert verify_password(hashed, "a long enough secret")
    assert not verify_password(hashed, "a long enough secreT")
    assert not verify_password(None, "anything")


def test_sign_up_stores_only_a_hash_and_logs_in_at_the_link(client, db):
    form = {
        "name": "Grace Hopper",
        "email": "Grace@Example.com ",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    r = post_form(client, "/account/register", form)
    assert r.status_code == 302 and r.headers["Location"] == "/account/check-email"
    registration = db.session.scalar(sa.select(Registration))
    assert registration.email == "grace@example.com"
    assert registration.password_hash.startswith("$argon2id$")
    assert PASSWORD not in registration.password_hash
    assert db.session.scalar(sa.select(User)) is None
    assert client.get("/account/").status_code == 302  # not logged in

    link = sign_up_link("grace@example.com")
    page = client.get(link)
    assert page.status_code == 200 and "grace@example.com" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(User)) is None  # opening the link makes nothing
    assert post_form(client, link, {}, csrf_page=link).status_code == 302
    user = db.session.scalar(sa.select(User))
    assert user.email == "grace@example.com" and user.role == Role.BUYER.value
    assert user.password_hash == registration.password_hash
    assert "Hello, Grace Hopper" in client.get("/account/").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": "short", "confirm": "short"}, "at least 10"),
        ({"confirm": "something else entirely"}, "Passwords differ"),
        ({"email": "not-an-email"}, "Invalid email"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_register_errors_show_next_to_the_field_and_write_nothing(client, db, data, message):
    form = {
        "name": "Grace",
        "email": "grace@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **data,
    }
    r = post_form(client, "/account/register", form)
    assert r.status_code == 200
    assert 'class="field-error"' in r.get_data(as_text=True)
    assert message in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_unknown_email_and_wrong_password_look_the_same(client, make_user):
    make_user(email="ada@example.com")
    wrong = post_form(
        client, "/account/login", {"email": "ada@example.com", "password": "nope-nope-nope"}
    )
    unknown = post_form(
        client, "/account/login", {"email": "who@example.com", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    message = "That email and password do not match an account."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_session_is_renewed_at_login_and_ended_at_logout(app, client, make_user, login, db):
    user = make_user()
    client.get("/cart/")  # a visitor with a session (a cart page starts one)
    before = client.get_cookie("session").value
    assert login(user).status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1

    # A copy of the logged-in cookie, as a thief would keep it.
    thief = app.test_client()
    thief.set_cookie("session", after)
    assert thief.get("/account/").status_code == 200

    post_form(client, "/account/logout", {})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0
    assert client.get("/account/").status_code == 302
    assert thief.get("/account/").status_code == 302  # the copied cookie died with the logout


def test_session_cookie_flags(client, make_user, login):
    response = login(make_user())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_sessions_store_no_usable_token(client, make_user, login, db):
    login(make_user())
    stored = db.session.scalar(sa.select(LoginSession.token_hash))
    cookie = client.get_cookie("session").value
    assert len(stored) == 64 and stored not in cookie


def test_change_password_ends_other_sessions(app, client, make_user, login, db):
    user = make_user()
    other_device = app.test_client()
    post_form(other_device, "/account/login", {"email": user.email, "password": PASSWORD})
    login(user)
    r = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert r.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other_device.get("/account/").status_code == 302
    post_form(client, "/account/logout", {})
    assert login(user, "a brand new secret").status_code == 302


def test_change_password_with_a_wrong_current_password(client, make_user, login):
    login(make_user())
    r = post_form(
        client,
        "/account/password",
        {
            "current_password": "wrong-wrong-wrong",
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert "not correct" in r.get_data(as_text=True)


def test_login_is_throttled_per_account(app, client, make_user, login):
    user = make_user()
    for _ in range(5):
        assert login(user, "wrong password!").status_code == 401
    assert login(user).status_code == 429  # even the right password waits now
    # Another account from the same address is not locked out by this one.
    assert login(make_user()).status_code == 302


def test_successful_logins_do_not_count_against_the_account(app, make_user):
    user = make_user()
    for _ in range(7):
        c = app.test_client()
        assert (
            post_form(c, "/account/login", {"email": user.email, "password": PASSWORD}).status_code
            == 302
        )


def test_login_is_throttled_per_client_address(app, client, make_user, login):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    users = [make_user() for _ in range(4)]
    results = [login(u, "wrong password!").status_code for u in users]
    assert results == [401, 401, 401, 429]


def test_successful_logins_from_one_address_are_never_throttled(app, make_user):
    """An office behind one address logs in all day: 31 good logins in a row (the limit is
    30 per 10 minutes) all get in; only failures count."""
    users = [make_user() for _ in range(4)]
    statuses = []
    for n in range(31):
        c = app.test_client()
        form = {"email": users[n % 4].email, "password": PASSWORD}
        statuses.append(post_form(c, "/account/login", form).status_code)
    assert statuses == [302] * 31


def test_only_failed_logins_count_against_the_address(app, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    users = [make_user() for _ in range(6)]

    def attempt(user, password):
        return post_form(
            app.test_client(), "/account/login", {"email": user.email, "password": password}
        ).status_code

    assert [attempt(u, "wrong password!") for u in users[:2]] == [401, 401]
    assert [attempt(u, PASSWORD) for u in users] == [302] * 6
    assert attempt(users[2], "wrong password!") == 401
    # Three failures from this address: the next try waits, even with a right password.
    assert attempt(users[3], "wrong password!") == 429
    assert attempt(users[4], PASSWORD) == 429


def test_no_rate_limit_covers_a_page_read(app):
    """Reads skip the limiter (its request filter, `shop.extensions`), so a limit that covered a
    GET would be silently ignored: every limit declared on a route must name its methods, and
    no GET."""
    from flask_limiter.util import get_qualified_name

    from shop.extensions import limiter, reads_are_not_limited

    manager = limiter.limit_manager
    assert manager.default_limits == [] and manager.application_limits == []
    declared = {}
    for rule in app.url_map.iter_rules():
        name = get_qualified_name(app.view_functions[rule.endpoint])
        assert manager.blueprint_limits(app, rule.endpoint.rpartition(".")[0]) == []
        for limit in manager.decorated_limits(name):
            declared[name] = limit.methods
            assert limit.methods, f"{name}: a limit on every method, GET included"
            assert not {"get", "head", "options"} & set(limit.methods), name
    assert any(".login" in name for name in declared)  # the walk finds the limits it checks
    with app.test_request_context("/", method="GET"):
        assert reads_are_not_limited()
    with app.test_request_context("/account/login", method="POST"):
        assert not reads_are_not_limited()


def test_page_reads_are_never_limited_and_posts_are(app, client, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "2 per minute"
    user = make_user()
    for _ in range(5):
        assert client.get("/account/login").status_code == 200
    wrong = {"email": user.email, "password": "wrong password!"}
    assert [post_form(client, "/account/login", wrong).status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]
    assert client.get("/account/login").status_code == 200  # reading the page still works


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ],
)
def test_next_never_leaves_the_site(client, make_user, target):
    user = make_user()
    r = post_form(
        client, f"/account/login?next={target}", {"email": user.email, "password": PASSWORD}
    )
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_next_inside_the_site_is_followed(client, make_user):
    user = make_user()
    r = post_form(client, "/account/login?next=/cart/", {"email": user.email, "password": PASSWORD})
    assert r.headers["Location"] == "/cart/"
