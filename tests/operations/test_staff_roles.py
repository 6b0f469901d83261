"""Role checks deny by default, tested on every staff route as the URL map has it when the tests
run, so a route added later is covered without anyone remembering to list it.

Every POST carries a valid CSRF token: the refusal seen is the role check, not CSRF.
"""

import re

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from shop.auth.roles import STAFF_ROLES, Role
from tests.conftest import PASSWORD, csrf_token

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def staff_rules(app):
    """Every rule under /staff (whatever its endpoint is called) or on the staff blueprint."""
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff") or rule.endpoint.startswith("staff.")
    ]
    assert rules, "no staff routes found"
    return rules


def url_of(app, rule, object_id: int = 1) -> str:
    """The rule's URL with a dummy value for each argument, of the kind its converter takes."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        values[name] = object_id if isinstance(converter, IntegerConverter) else "HH-NOPE01"
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def browser(app, user=None):
    client = app.test_client()
    if user is not None:
        token = csrf_token(client, "/cart/")
        r = client.post(
            "/account/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert r.status_code == 302
    return client


def send(client, method: str, url: str, data: dict | None = None):
    """One request; writes carry the session's CSRF token in the form and the header."""
    if method == "GET":
        return client.get(url)
    token = csrf_token(client, "/cart/")
    return client.open(
        url,
        method=method,
        data={**(data or {}), "csrf_token": token},
        headers={"X-CSRFToken": token},
    )


def requests_for(app, object_id: int = 1):
    """(method, url, rule) for every method of every staff rule."""
    for rule in staff_rules(app):
        url = url_of(app, rule, object_id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url, rule


# --- (a) visitors and buyers -----------------------------------------------------------------


def test_every_staff_route_sends_visitors_to_log_in(app):
    visitor = browser(app)
    wrong = []
    for method, url, _rule in requests_for(app):
        r = send(visitor, method, url)
        if r.status_code != 302 or "/account/login" not in r.headers.get("Location", ""):
            wrong.append((method, url, r.status_code))
    assert not wrong, wrong


def test_every_staff_route_refuses_a_buyer(app, make_user):
    buyer = make_user(Role.BUYER)
    client = browser(app, buyer)
    wrong = []
    seen = set()
    for method, url, _rule in requests_for(app, buyer.id):
        seen.add(method)
        r = send(client, method, url)
        if r.status_code != 403:
            wrong.append((method, url, r.status_code))
    assert not wrong, wrong
    assert {"GET", "POST"} <= seen


def test_every_staff_write_checks_csrf_before_doing_anything(app, make_user):
    """Without the token a write is refused outright (and never reaches a service)."""
    client = browser(app, make_user(Role.MANAGER))
    wrong = []
    for method, url, _rule in requests_for(app):
        if method in WRITES:
            r = client.open(url, method=method, data={})
            if r.status_code != 400:
                wrong.append((method, url, r.status_code))
    assert not wrong, wrong


# --- (b) money and prices --------------------------------------------------------------------

# Which staff roles may POST to the rules matching each pattern; a rule matching several
# patterns is open only to the roles all of them allow. Everyone else must get 403.
#   rep: no refunds (request or approve), no transfers (record or approve), no approvals.
#   support: no capture, no void, no quote pages at all (prices, lines, discounts), no approvals.
MONEY_RULES: list[tuple[str, frozenset[Role]]] = [
    (r"/refund", frozenset({Role.SUPPORT, Role.MANAGER})),
    # Money approvals (the second pair of eyes); approving a return is a service decision.
    (r"^/staff/(refunds|transfers)/.*/approv", frozenset({Role.MANAGER})),
    (r"/capture", frozenset({Role.REP, Role.MANAGER})),
    (r"/void", frozenset({Role.REP, Role.MANAGER})),
    (r"/payments?/[^/]+/cancel", frozenset({Role.REP, Role.MANAGER})),
    (r"/transfer", frozenset({Role.SUPPORT, Role.MANAGER})),
    (r"^/staff/quotes", frozenset({Role.REP, Role.MANAGER})),
    (r"^/staff/quotes/.*/(approve|reject)$", frozenset({Role.MANAGER})),
    (r"/balance", frozenset({Role.REP, Role.MANAGER})),
]


def money_table(app) -> dict[str, tuple[str, frozenset[Role]]]:
    """rule -> (URL to POST, roles allowed), for every staff write that moves money or prices."""
    table = {}
    for rule in staff_rules(app):
        if not rule.methods & set(WRITES):
            continue
        allowed = None
        for pattern, roles in MONEY_RULES:
            if re.search(pattern, rule.rule):
                allowed = roles if allowed is None else allowed & roles
        if allowed is not None:
            table[rule.rule] = (rule, allowed)
    return table


def test_the_money_table_is_not_empty(app):
    table = money_table(app)
    quote_rules = {r for r in table if r.startswith("/staff/quotes")}
    # The quote routes exist now: the builder, lines, approval, rejection, sending...
    assert {
        "/staff/quotes/new",
        "/staff/quotes/<id:quote_id>",
        "/staff/quotes/<id:quote_id>/lines",
        "/staff/quotes/<id:quote_id>/approve",
        "/staff/quotes/<id:quote_id>/reject",
    } <= quote_rules
    assert table["/staff/quotes/<id:quote_id>/approve"][1] == {Role.MANAGER}
    assert table["/staff/quotes/<id:quote_id>"][1] == {Role.REP, Role.MANAGER}


@pytest.fixture
def quote_of_the_rep(db, make_user, sailboats, make_product):
    """A real quote, written by a rep: quote routes answer for it (no 404 to hide behind)."""
    from datetime import timedelta

    from shop.db import utcnow
    from shop.quotes import services
    from shop.quotes.services import LineInput, Terms

    rep = make_user(Role.REP, name="Rita Rep")
    boat = make_product(sailboats, name="Swan 48", price_cents=100_000_00, stock=3)
    quote = services.create_quote(rep, name="Ada Buyer", email="ada@example.com")
    services.save_version(
        quote.id,
        rep,
        Terms(
            valid_until=utcnow() + timedelta(days=14),
            lines=[LineInput(kind="catalog", variant_id=boat.variants[0].id)],
        ),
    )
    db.session.commit()
    return rep, quote


def test_money_and_price_routes_refuse_the_roles_not_allowed(app, db, make_user, quote_of_the_rep):
    from shop.quotes.models import Quote, QuoteVersion

    rep, quote = quote_of_the_rep
    people = {
        Role.REP: rep,
        Role.SUPPORT: make_user(Role.SUPPORT),
        Role.MANAGER: make_user(Role.MANAGER),
        Role.CREW: make_user(Role.CREW),
    }
    browsers = {role: browser(app, user) for role, user in people.items()}
    table = money_table(app)
    assert table
    refused = []
    for _rule_text, (rule, allowed) in sorted(table.items()):
        url = url_of(app, rule, quote.id)
        for role in sorted(STAFF_ROLES - allowed):
            r = send(browsers[role], "POST", url, {"comment": "x", "discount_value": "50"})
            if r.status_code != 403:
                refused.append((role.value, url, r.status_code))
    assert not refused, f"not refused with 403: {refused}"
    # Nothing changed on the quote: no approval, no new price, no new quote.
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).status == "draft"
    version = db.session.query(QuoteVersion).filter_by(quote_id=quote.id).one()
    assert version.approved_at is None and version.total_cents == 100_000_00
    assert db.session.query(Quote).count() == 1


def test_the_allowed_roles_reach_the_quote_routes(app, db, make_user, quote_of_the_rep):
    """The other side of the table for the routes that exist now: not a blanket refusal."""
    rep, quote = quote_of_the_rep
    manager = browser(app, make_user(Role.MANAGER))
    own = browser(app, rep)
    for _rule_text, (rule, allowed) in money_table(app).items():
        if not rule.rule.startswith("/staff/quotes"):
            continue
        url = url_of(app, rule, quote.id)
        if Role.MANAGER in allowed:
            assert send(manager, "POST", url, {}).status_code != 403, url
        if Role.REP in allowed:
            assert send(own, "POST", url, {}).status_code != 403, url


@pytest.mark.parametrize("role", [Role.REP, Role.SUPPORT, Role.CREW])
def test_only_managers_read_the_audit_trail(app, make_user, role):
    assert browser(app, make_user(role)).get("/staff/audit").status_code == 403
