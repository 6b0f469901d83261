"""Every staff page a role may open is reachable by a visible link: from the page it lands on
after logging in, and from the staff navigation shown on every staff page.

The pages are read from the URL map (every GET staff route without arguments) and the roles'
reach from each route's declared permission and the one table in shop/auth/roles.py, so a new
page that nobody links to fails here.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import url_for

from shop.auth.roles import Role
from tests.staff.test_permissions import expected_allowed, needed, staff_rules

STAFF_ROLES = [Role.REP, Role.SUPPORT, Role.MANAGER, Role.CREW]


class Links(HTMLParser):
    """The paths of the links a person can see: not inside `hidden` or aria-hidden elements,
    nor the visually-hidden text; `nav` keeps those inside the staff navigation."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "area", "col"}

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, hidden, in staff nav)
        self.visible: set[str] = set()
        self.nav: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        hidden_above = self.stack[-1][1] if self.stack else False
        in_nav = self.stack[-1][2] if self.stack else False
        hidden = (
            hidden_above
            or "hidden" in a
            or a.get("aria-hidden") == "true"
            or "visually-hidden" in (a.get("class") or "").split()
        )
        in_nav = in_nav or a.get("data-testid") == "desk-nav"
        if tag == "a" and a.get("href") and not hidden:
            path = urlsplit(a["href"]).path
            self.visible.add(path)
            if in_nav:
                self.nav.add(path)
        if tag not in self.VOID:
            self.stack.append((tag, hidden, in_nav))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


def links_of(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def pages_for(app, role: Role) -> dict[str, str]:
    """The role's staff pages without arguments: endpoint -> path."""
    pages = {}
    for rule in staff_rules(app):
        if (
            "GET" in rule.methods
            and not rule.arguments
            and expected_allowed(role, needed(app, rule, "GET"))
        ):
            with app.test_request_context():
                pages[rule.endpoint] = url_for(rule.endpoint)
    return pages


@pytest.mark.parametrize("role", STAFF_ROLES, ids=lambda r: r.value)
def test_every_page_a_role_may_open_is_linked_from_its_landing_page_and_the_staff_nav(
    app, client, make_user, login, role
):
    pages = pages_for(app, role)
    assert pages, "no staff page found for the role"
    r = login(make_user(role))
    assert r.status_code == 302
    landing = urlsplit(r.headers["Location"]).path
    assert landing in pages.values(), f"{role} lands on {landing}, not a staff page"
    found = links_of(client.get(landing).get_data(as_text=True))
    missing = {e: p for e, p in pages.items() if p not in found.visible and p != landing}
    assert not missing, f"{role}: no visible link on {landing} to {missing}"
    # The staff nav alone links every page the role may open, and none it may not.
    assert found.nav == set(pages.values()), (role, found.nav ^ set(pages.values()))


@pytest.mark.parametrize("role", STAFF_ROLES, ids=lambda r: r.value)
def test_the_staff_nav_is_on_every_staff_page_and_marks_where_one_is(
    app, client, make_user, login, role
):
    pages = pages_for(app, role)
    login(make_user(role))
    for endpoint, path in pages.items():
        html = client.get(path).get_data(as_text=True)
        found = links_of(html)
        assert found.nav == set(pages.values()), (endpoint, found.nav ^ set(pages.values()))
        assert f'href="{path}" aria-current="page"' in html, endpoint


def test_the_crew_lands_on_its_deliveries_with_the_staff_nav(client, make_user, login):
    """The crew's deliveries (named in the issue), in the nav; never the desk it may not open."""
    r = login(make_user(Role.CREW))
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    nav = html[html.index('data-testid="desk-nav"') :]
    nav = nav[: nav.index("</nav>")]
    assert ">My deliveries</a>" in nav and 'href="/staff/"' not in html
