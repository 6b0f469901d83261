"""Pages are sent in ASCII (shop/templating.py), and read the same in a browser."""

import html
import re
from pathlib import Path

from jinja2 import DictLoader, Environment

from shop.templating import AsciiHtml, ascii_html
from tests.conftest import post_form


def test_non_ascii_characters_become_references_and_ascii_is_left_alone():
    assert ascii_html("Blüthner · 5 in stock…") == "Bl&#252;thner &#183; 5 in stock&#8230;"
    plain = "<p>Plain & simple</p>"
    assert ascii_html(plain) is plain
    mixed = "“Ærø” — 4 \N{MULTIPLICATION SIGN} 2 ≠ 7 🎹"  # Latin-1, two-byte and four-byte
    assert ascii_html(mixed).isascii() and html.unescape(ascii_html(mixed)) == mixed


def test_only_the_literal_text_of_html_templates_is_written_as_references():
    source = "Results for “{{ query }}”… {{ '→' }}"
    env = Environment(
        loader=DictLoader({"page.html": source, "email.txt": source}),
        extensions=[AsciiHtml],
        autoescape=True,
    )
    # Literal text, in a page: references. What the template prints is left to the caller
    # (a name, a query): escaped as usual, not rewritten.
    assert env.get_template("page.html").render(query="Bösendorfer") == (
        "Results for &#8220;Bösendorfer&#8221;&#8230; →"
    )
    # A plain-text email has no references to decode: it keeps its characters.
    assert env.get_template("email.txt").render(query="Bösendorfer") == (
        "Results for “Bösendorfer”… →"
    )


def test_catalog_and_cart_pages_with_non_ascii_names_are_sent_in_ascii(
    app, client, make_category, make_product, db
):
    # (A category's name is printed on every page's header, from data: "Flügel" there would
    # leave a signed-in buyer's pages with it as it is, correct but slower to encode.)
    pianos = make_category(slug="pianos", name="Grand pianos")
    product = make_product(pianos, name="Blüthner Model 1", price_cents=98_000_00)
    product.variants[0].name = "Walnut · satin"
    db.session.commit()

    # A first-time visitor's product page is kept in the shared page cache, names and all:
    # twice, so the second is served from it.
    bare = app.test_client(use_cookies=False)
    for _ in range(2):
        page = bare.get(f"/p/{product.slug}").get_data(as_text=True)
        assert page.isascii(), {ch for ch in page if not ch.isascii()}
        assert "Blüthner Model 1" in html.unescape(page)
        assert "Walnut · satin" in html.unescape(page)

    r = post_form(client, "/cart/add", {"variant_id": product.variants[0].id, "quantity": 1})
    assert r.status_code == 303
    for _ in range(2):  # the line's markup rendered, then kept
        cart = client.get("/cart/").get_data(as_text=True)
        assert cart.isascii()
        text = html.unescape(cart)
        assert "Blüthner Model 1" in text and "Walnut · satin · SKU" in text
        assert "the budget you have in mind…" in text


def test_no_template_has_inline_script_or_style():
    """References are not decoded inside <script> or <style>: AsciiHtml relies on there being
    none inline (the Content-Security-Policy forbids them too)."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    for path in templates.rglob("*.html"):
        source = path.read_text()
        assert not re.search(r"<style\b", source), path
        for tag in re.findall(r"<script\b[^>]*>", source):
            assert "src=" in tag, (path, tag)
