"""An order line reads "product (variant)", or the product alone when it has no variant: a quote's
custom and service lines (installation, a trade-in) never show an empty "()"."""

import pytest
from flask import render_template

from shop.auth.roles import Role
from shop.orders.models import line_label
from shop.quotes import closing
from tests.quotes.test_closing import DELIVERY, EVIDENCE, quote  # noqa: F401  (the quote fixture)
from tests.support.helpers_s4 import make_ticket


@pytest.fixture
def quote_order(db, quote):  # noqa: F811
    """The order made from the quote: 2 Aura 38 boats (a catalog variant) and Installation (a
    custom line, no variant; the quote's trade-in becomes a discount, not a line)."""
    closing.accept(quote.id, 1, EVIDENCE)
    order = closing.place_order(
        quote.id,
        delivery=DELIVERY,
        payment_method="card",
        pay="deposit",
        ip_address="203.0.113.9",
        user_agent="Firefox",
    )
    db.session.commit()
    return order


def lines_by_name(order) -> dict:
    return {line.product_name: line for line in order.lines}


@pytest.mark.parametrize(
    ("product", "variant", "label"),
    [
        ("Aura 38", "Version 1", "Aura 38 (Version 1)"),
        ("Installation", "", "Installation"),
        ("Installation", "  ", "Installation"),
        ("Installation", None, "Installation"),
    ],
)
def test_a_line_label_has_brackets_only_around_a_variant(product, variant, label):
    assert line_label(product, variant) == label


def test_the_ticket_form_lists_quote_lines_without_empty_brackets(
    client,
    db,
    login,
    quote_order,
    quote,  # noqa: F811
):
    lines = lines_by_name(quote_order)
    assert lines["Installation"].variant_name == ""  # a custom line has no variant
    assert lines["Aura 38"].variant_name  # the catalog's variant name, copied at sale
    login("ada@example.com")
    r = client.get(f"/support/new?order={quote_order.number}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "()" not in page
    assert f"2 x Aura 38 ({lines['Aura 38'].variant_name})" in page
    assert "1 x Installation<" in page


def test_the_staff_warranty_table_shows_quote_lines_without_empty_brackets(
    client,
    db,
    login,
    make_user,
    quote_order,
    quote,  # noqa: F811
):
    lines = lines_by_name(quote_order)
    support = make_user(Role.SUPPORT, email="s@example.com", name="Sam Support")
    ticket = make_ticket(
        kind="warranty_claim",
        order=quote_order,
        lines=[lines["Aura 38"], lines["Installation"]],
        buyer=None,
        email="ada@example.com",
    )
    login(support)
    page = client.get(f"/staff/support/{ticket.number}").get_data(as_text=True)
    assert 'data-testid="warranty-panel"' in page
    assert "()" not in page
    with client.application.test_request_context("/staff/"):
        html = render_template("staff/support/_warranty.html", ticket=ticket, me=support)
    items = [
        cell.split(">", 1)[1].split("<", 1)[0]
        for cell in html.split('data-testid="warranty-item"')[1:]
    ]
    variant = lines["Aura 38"].variant_name
    assert items == [f"Aura 38 ({variant})", f"Aura 38 ({variant})", "Installation"]
