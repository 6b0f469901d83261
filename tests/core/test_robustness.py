"""Sweeps over the URL map: every state change needs CSRF, and no input produces a 500."""

import pytest
from flask import url_for

from shop.auth.roles import Role
from tests.conftest import post_form

WEIRD = [
    "",
    "0",
    "-1",
    "abc",
    "1e999",
    "99999999999999999999",
    "%00",
    "<script>",
    "' OR 1=1 --",
    "x" * 3000,
]


def routes(app, method):
    found = []
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint != "static":
            values = dict.fromkeys(rule.arguments, 1)
            for name in rule.arguments:
                if "slug" in name:
                    values[name] = "nope"
            with app.test_request_context():
                found.append(url_for(rule.endpoint, **values))
    assert found
    return found


def test_every_post_route_refuses_a_missing_csrf_token(app, client):
    for url in routes(app, "POST"):
        assert client.post(url, data={"quantity": 1}).status_code == 400, url


@pytest.mark.parametrize("role", [None, Role.BUYER, Role.MANAGER])
def test_no_get_route_answers_500_to_odd_query_strings(
    app, client, make_user, login, sailboats, make_product, role
):
    make_product(sailboats, specs={"length": 30, "hull": "Wood"})
    if role:
        login(make_user(role))
    for url in [*routes(app, "GET"), "/c/sailboats", "/search"]:
        for value in WEIRD:
            query = dict.fromkeys(
                (
                    "q",
                    "page",
                    "sort",
                    "price_min",
                    "length_min",
                    "hull",
                    "launch_max",
                    "next",
                    "variant",
                ),
                value,
            )
            response = client.get(url, query_string=query)
            assert response.status_code < 500, (url, value[:20], response.status_code)


def test_no_post_route_answers_500_to_odd_forms(app, client, sailboats, make_product):
    make_product(sailboats)
    for url in routes(app, "POST"):
        for value in WEIRD:
            data = dict.fromkeys(
                (
                    "variant_id",
                    "quantity",
                    "product_id",
                    "email",
                    "password",
                    "name",
                    "confirm",
                    "next",
                    "current_password",
                    "new_password",
                ),
                value,
            )
            response = post_form(client, url, data)
            assert response.status_code < 500, (url, value[:20], response.status_code)
