"""Every staff route, as the URL map has it when the tests run, against every role and visitors.

Each staff view declares its permission (`permission_required`); the expected answer is read
from that declaration and the one table in shop/auth/roles.py: visitors go to log in, a role
without the grant gets 403, a role with it gets past the guard (here a 404 for an object that
does not exist, or a form's answer; never 403, never 5xx). A staff route that declares nothing
fails the first test, so a new route cannot be forgotten. Writes carry a valid CSRF token: a
refusal seen is the permission check, not CSRF.
"""

import re

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from shop.auth.roles import GRANTS, Permission, Role, can
from shop.auth.session import declared_permissions
from tests.conftest import PASSWORD, csrf_token

MISSING_ID = 987_654  # no such row: a request that passes the guard ends in a 404, changing nothing
MISSING_TEXT = "HH-NOPE01"


def staff_rules(app):
    """Rules under /staff or on the staff blueprint, and any other view that declares a
    permission (a staff-only page elsewhere is walked too)."""
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff")
        or rule.endpoint.startswith("staff.")
        or getattr(app.view_functions[rule.endpoint], "permissions", None)
    ]
    assert len(rules) > 50, "the staff routes were not found"
    return rules


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


# "<id:grant_id>", "<int(min=1):n>", "<number>": the converter's name, then the argument's.
PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def url_of(app, rule) -> str:
    """The rule's URL with ids that match no row (read from the rule's text and the map's
    public converter table)."""
    values = {}
    for found in PLACEHOLDER.finditer(rule.rule):
        converter = app.url_map.converters[found["converter"] or "default"]
        numeric = issubclass(converter, IntegerConverter)
        values[found["name"]] = MISSING_ID if numeric else MISSING_TEXT
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def needed(app, rule, method: str) -> frozenset[Permission]:
    return declared_permissions(app.view_functions[rule.endpoint], method)


def expected_allowed(role: Role, permissions) -> bool:
    """The answer the table gives: one of the declared permissions is granted to the role."""
    return any(can(role, p) for p in permissions)


class Browser:
    """A logged-in (or anonymous) client that reads its CSRF token once."""

    def __init__(self, app, user=None):
        self.client = app.test_client()
        self.token = csrf_token(self.client, "/cart/")
        if user is not None:
            r = self.client.post(
                "/account/login",
                data={"email": user.email, "password": PASSWORD, "csrf_token": self.token},
            )
            assert r.status_code == 302, r.status_code
            self.token = csrf_token(self.client, "/cart/")  # a new session at login

    def send(self, method: str, url: str):
        if method == "GET":
            return self.client.get(url)
        return self.client.open(
            url,
            method=method,
            data={"csrf_token": self.token},
            headers={"X-CSRFToken": self.token},
        )


def test_every_staff_route_declares_a_permission(app):
    forgotten = [
        (rule.rule, method)
        for rule in staff_rules(app)
        for method in methods_of(rule)
        if not needed(app, rule, method)
    ]
    assert not forgotten, f"staff routes that declare no permission: {forgotten}"


def test_a_staff_route_that_declares_nothing_is_refused_to_everyone(app, make_user):
    """Deny by default: the blueprint's guard refuses a view with no declaration, even to a
    manager, who holds every permission."""
    app.add_url_rule("/staff/forgotten", endpoint="staff.forgotten", view_func=lambda: "open")
    visitor = Browser(app).send("GET", "/staff/forgotten")
    assert visitor.status_code == 302 and "/account/login" in visitor.headers["Location"]
    manager = Browser(app, make_user(Role.MANAGER))
    assert manager.send("GET", "/staff/forgotten").status_code == 403


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_every_staff_route_answers_each_role_as_the_table_says(app, make_user, role):
    browser = Browser(app, make_user(role) if role is not None else None)
    wrong, seen = [], set()
    for rule in staff_rules(app):
        url = url_of(app, rule)
        for method in methods_of(rule):
            seen.add(method)
            r = browser.send(method, url)
            location = r.headers.get("Location", "")
            if role is None:
                ok = r.status_code == 302 and "/account/login" in location
                want = "login"
            elif expected_allowed(role, needed(app, rule, method)):
                ok = r.status_code < 500 and r.status_code not in (401, 403)
                ok = ok and "/account/login" not in location
                want = "allowed"
            else:
                ok = r.status_code == 403
                want = "403"
            if not ok:
                wrong.append((method, rule.rule, r.status_code, f"expected {want}"))
    assert not wrong, wrong
    assert {"GET", "POST"} <= seen


def test_the_crew_is_granted_only_its_deliveries(app):
    """The table read the other way: the crew's whole reach on the desk, named."""
    reach = {
        (rule.endpoint, method)
        for rule in staff_rules(app)
        for method in methods_of(rule)
        if expected_allowed(Role.CREW, needed(app, rule, method))
    }
    assert reach == {
        ("staff.delivery.deliveries", "GET"),
        ("staff.delivery.delivery_sheet", "GET"),
        ("staff.delivery.delivery_delivered", "POST"),
    }
    money = {
        Permission.CAPTURE_PAYMENT,
        Permission.REQUEST_REFUND,
        Permission.APPROVE_REFUND,
        Permission.RECORD_TRANSFER,
        Permission.APPROVE_TRANSFER,
        Permission.VIEW_ORDERS,
        Permission.BUILD_QUOTES,
        Permission.VIEW_BUYER_THREAD,
    }
    assert not GRANTS[Role.CREW] & money
