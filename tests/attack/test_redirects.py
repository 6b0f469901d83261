"""Open redirects: every `next` parameter keeps the visitor on the site.

tests/auth/test_auth.py already tries a few targets on the login form; this sweeps every view
that reads `next` (found in the source, so a new one cannot be forgotten) with more targets."""

import re
from urllib.parse import urlsplit

import pytest

from shop.config import ROOT
from shop.web import safe_next
from tests.conftest import PASSWORD, post_form

EVIL = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    " https://evil.example",
    "%2F%2Fevil.example",
    "http:/evil.example",
    "https:evil.example",
    "/\t/evil.example",
    "/\r\n//evil.example",
    "\x00//evil.example",
    "///evil.example",
]
# The list, sent through every view (each login costs an Argon2 hash: keep it short).
THROUGH_VIEWS = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    " https://evil.example",
    "%2F%2Fevil.example",
]


def stays_on_site(response) -> str:
    assert response.status_code in (302, 303), response.status_code
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), location
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location and "evil" not in location, location
    return location


@pytest.mark.parametrize("target", EVIL)
def test_safe_next_refuses_anything_leaving_the_site(target):
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/cart/", "/c/sailboats?length=30", "/account/"])
def test_safe_next_keeps_a_path_on_the_site(target):
    assert safe_next(target, "/home") == target


def test_every_view_reading_next_goes_through_safe_next():
    """A new view taking `next` without safe_next fails here (then add it to the sweep below)."""
    readers = []
    for path in (ROOT / "shop").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""\.(get|getlist)\(\s*["']next["']""", line) or re.search(
                r"""\[\s*["']next["']\s*\]""", line
            ):
                where = f"{path.relative_to(ROOT)}:{number}"
                if re.search(r"""get\("next"\)\s*==\s*["']""", line):
                    continue  # compared with a fixed word, never redirected to
                assert "safe_next(" in line, f"{where} reads `next` without safe_next"
                readers.append(path.relative_to(ROOT).as_posix())
    assert sorted(set(readers)) == [
        "shop/auth/views.py",
        "shop/cart/views.py",
        "shop/errors.py",
        "shop/research/views.py",
    ], "a new view reads `next`: add it to the sweep in this module"


@pytest.fixture
def product(sailboats, make_product):
    return make_product(sailboats, name="Swan 48", stock=1)


def test_login_register_and_logout_stay_on_the_site(app, client, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "1000 per minute"
    user = make_user()
    form = {"email": user.email, "password": PASSWORD}
    for n, target in enumerate(THROUGH_VIEWS):
        query = {"next": target}
        stays_on_site(post_form(client, "/account/login", form, query_string=query))
        # Already logged in: the login page sends the visitor on at once.
        stays_on_site(client.get("/account/login", query_string=query))
        stays_on_site(post_form(client, "/account/logout", {}, query_string=query))
        registration = {
            "name": "Reg Ister",
            "email": f"reg.{n}@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        }
        stays_on_site(post_form(client, "/account/register", registration, query_string=query))
        post_form(client, "/account/logout", {})


def test_the_raw_encoded_double_slash_in_the_address_bar(client, make_user):
    user = make_user()
    form = {"email": user.email, "password": PASSWORD}
    stays_on_site(post_form(client, "/account/login?next=%2F%2Fevil.example", form))
    stays_on_site(post_form(client, "/account/logout?next=%2F%2Fevil.example", {}))


def test_cart_and_compare_forms_stay_on_the_site(client, product):
    variant = product.variants[0]
    for target in EVIL:
        # Asking for more than the stock is refused and sends the buyer back to `next`.
        too_many = {"variant_id": variant.id, "quantity": 2, "next": target}
        assert stays_on_site(post_form(client, "/cart/add", too_many)).startswith("/cart")
        compare = {"product_id": product.id, "next": target}
        stays_on_site(post_form(client, "/compare/add", compare))
        stays_on_site(post_form(client, "/compare/remove", compare))


def test_a_form_sent_before_the_visit_began_stays_on_the_site(client, product):
    """A shared page's form sent without its token (shop.errors) goes back to `next`."""
    for target in EVIL:
        form = {"variant_id": product.variants[0].id, "quantity": 1, "next": target}
        sent = client.post("/cart/add", data=form, headers={"Sec-Fetch-Site": "same-origin"})
        assert sent.status_code == 303
        stays_on_site(sent)
        client.delete_cookie("session")  # a visitor without a session again


def test_a_good_next_is_followed_everywhere(client, product):
    stays = post_form(client, "/compare/add", {"product_id": product.id, "next": "/p/x"})
    assert stays.headers["Location"].endswith("/p/x")
