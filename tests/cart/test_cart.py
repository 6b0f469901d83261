import re
import sqlite3

import pytest
import sqlalchemy as sa

from shop.cart.models import Cart, CartLine
from tests.conftest import CSRF_RE, PASSWORD, post_form


@pytest.fixture
def piano(make_category, make_product):
    pianos = make_category(slug="pianos", name="Grand pianos")
    return make_product(pianos, name="Concert Grand", price_cents=42_500_00, stock=3)


def add(client, variant_id, quantity, **extra):
    return post_form(client, "/cart/add", {"variant_id": variant_id, "quantity": quantity, **extra})


def update(client, quantities: dict):
    """Post the cart's one form: {line id: quantity} for each line it shows."""
    data = {}
    for i, (line_id, quantity) in enumerate(quantities.items()):
        data[f"lines-{i}-line"] = line_id
        data[f"lines-{i}-quantity"] = quantity
    return post_form(client, "/cart/update", data)


def remove(client, line_id):
    return post_form(client, "/cart/remove", {"line": line_id})


def lines(db):
    return db.session.execute(sa.select(CartLine.variant_id, CartLine.quantity)).all()


@pytest.mark.both_dbs
def test_visitor_adds_changes_and_removes(client, piano, db):
    variant = piano.variants[0]
    assert add(client, variant.id, 2).status_code == 303
    page = client.get("/cart/").get_data(as_text=True)
    assert "Concert Grand" in page and "$85,000.00" in page
    assert 'data-testid="cart-count">2<' in page
    line_id = db.session.scalar(sa.select(CartLine.id))
    r = update(client, {line_id: 3})
    assert r.status_code == 303
    assert "$127,500.00" in client.get("/cart/").get_data(as_text=True)
    r = remove(client, line_id)
    assert r.status_code == 303
    assert lines(db) == []
    assert "Your cart is empty" in client.get("/cart/").get_data(as_text=True)


def test_adding_the_same_variant_again_adds_up(client, piano, db):
    add(client, piano.variants[0].id, 1)
    add(client, piano.variants[0].id, 1)
    assert lines(db) == [(piano.variants[0].id, 2)]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "at least 1"),
        ("-2", "at least 1"),
        ("two", "whole number"),
        ("1.5", "whole number"),
        ("", "whole number"),
        ("4", "Only 3 units are available"),
        ("99999999999999999999", "far too large"),
        ("21", "At most 20"),
    ],
)
def test_bad_quantities_are_refused_and_change_nothing(client, piano, db, quantity, message, app):
    piano.variants[0].stock_on_hand = 30
    if message.startswith("Only"):
        piano.variants[0].stock_on_hand = 3
    db.session.commit()
    response = add(client, piano.variants[0].id, quantity, next=f"/p/{piano.slug}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/p/{piano.slug}"
    assert lines(db) == []
    page = client.get(f"/p/{piano.slug}").get_data(as_text=True)
    assert message in page and 'class="field-error"' in page
    # The field shows what was typed, to correct it, not 1 again; once, like the error.
    assert quantity_field(page) == quantity[:12]
    assert quantity_field(client.get(f"/p/{piano.slug}").get_data(as_text=True)) == "1"


def quantity_field(page: str) -> str:
    return re.search(r'<input id="quantity"[^>]* value="([^"]*)"', page).group(1)


def test_a_refused_quantity_is_shown_again_only_on_its_own_product(client, piano, make_product, db):
    other = make_product(piano.category, name="Upright", stock=2)
    add(client, piano.variants[0].id, "<b>9</b>", next=f"/p/{other.slug}")
    page = client.get(f"/p/{other.slug}").get_data(as_text=True)
    assert "whole number" in page and quantity_field(page) == "1"  # not this product's
    add(client, piano.variants[0].id, "<b>9</b>", next=f"/p/{piano.slug}")
    page = client.get(f"/p/{piano.slug}").get_data(as_text=True)
    assert quantity_field(page) == "&lt;b&gt;9&lt;/b&gt;"  # escaped like any other value


def test_a_refusal_sent_back_elsewhere_is_not_shown_later_without_its_error(client, piano):
    add(client, piano.variants[0].id, "0", next=f"/c/{piano.category.slug}")
    assert "at least 1" in client.get(f"/c/{piano.category.slug}").get_data(as_text=True)
    page = client.get(f"/p/{piano.slug}").get_data(as_text=True)
    assert 'class="field-error"' not in page and quantity_field(page) == "1"


def test_a_refused_quantity_comes_back_on_the_variant_it_was_for(client, piano, make_product):
    two = make_product(piano.category, name="Baby grand", stock=2, variants=2)
    second = two.variants[1]
    add(client, second.id, "5", next=f"/p/{two.slug}?variant={two.variants[0].id}")
    page = client.get(f"/p/{two.slug}?variant={two.variants[0].id}").get_data(as_text=True)
    assert "Only 2 units are available" in page and quantity_field(page) == "5"
    checked = re.search(r'name="variant_id" value="(\d+)" checked', page).group(1)
    assert int(checked) == second.id  # not the one in the address: the one asked for


def test_only_a_refused_quantity_is_shown_beside_the_quantity_field(
    client, piano, app, monkeypatch
):
    """Other errors flashed back to the product page (a full compare list) are not about the
    quantity: they show above the page, and the field stays as it was."""
    monkeypatch.setitem(app.config, "COMPARE_MAX", 0)  # the compare list is full at once
    refused = post_form(
        client, "/compare/add", {"product_id": piano.id, "next": f"/p/{piano.slug}"}
    )
    assert refused.status_code == 303

    page = client.get(f"/p/{piano.slug}").get_data(as_text=True)

    assert 'class="flash flash-error"' in page
    assert 'class="field-error"' not in page and 'aria-invalid="true"' not in page

    add(client, piano.variants[0].id, "0", next=f"/p/{piano.slug}")
    page = client.get(f"/p/{piano.slug}").get_data(as_text=True)
    assert 'class="flash flash-quantity"' in page  # styled as an error (shop.css)
    assert 'id="quantity-error">Enter a whole number of at least 1.<' in page


def test_update_above_stock_shows_error_next_to_the_line(client, piano, db):
    add(client, piano.variants[0].id, 1)
    line_id = db.session.scalar(sa.select(CartLine.id))
    r = update(client, {line_id: "7"})
    assert r.status_code == 400
    assert "Only 3 units are available." in r.get_data(as_text=True)
    r = update(client, {line_id: "abc"})
    assert r.status_code == 400 and "whole number" in r.get_data(as_text=True)
    assert lines(db) == [(piano.variants[0].id, 1)]


def test_prices_and_totals_from_the_browser_are_ignored(client, piano, db):
    add(client, piano.variants[0].id, 1, price="1.00", price_cents="100", subtotal="1")
    page = client.get("/cart/").get_data(as_text=True)
    assert "$42,500.00" in page and "$1.00" not in page


def test_cart_shows_current_prices(client, piano, db):
    add(client, piano.variants[0].id, 2)
    piano.variants[0].price_cents = 41_000_00
    db.session.commit()
    assert "$82,000.00" in client.get("/cart/").get_data(as_text=True)


def test_unknown_or_foreign_lines_are_404(client, app, piano, db, make_product):
    assert add(client, 999_999, 1).status_code == 404
    assert add(client, "x", 1).status_code == 404
    other = app.test_client()
    add(other, piano.variants[0].id, 1)
    foreign_line = db.session.scalar(sa.select(CartLine.id))
    r = remove(client, foreign_line)
    assert r.status_code == 404
    assert len(lines(db)) == 1


@pytest.fixture
def two_lines(client, piano, make_product, db):
    """A cart of the piano (3 in stock) and a bench (5 in stock), one of each."""
    bench = make_product(piano.category, name="Piano Bench", price_cents=900_00, stock=5)
    add(client, piano.variants[0].id, 1)
    add(client, bench.variants[0].id, 1)
    ids = dict(db.session.execute(sa.select(CartLine.variant_id, CartLine.id)).all())
    return ids[piano.variants[0].id], ids[bench.variants[0].id]


@pytest.mark.both_dbs
def test_one_update_saves_every_quantity_typed(client, piano, db, two_lines):
    piano_line, bench_line = two_lines
    r = update(client, {piano_line: 2, bench_line: 4})
    assert r.status_code == 303
    assert dict(db.session.execute(sa.select(CartLine.id, CartLine.quantity)).all()) == {
        piano_line: 2,
        bench_line: 4,
    }
    page = client.get("/cart/").get_data(as_text=True)
    assert "Quantities updated." in page and "$88,600.00" in page  # 2 x 42,500 + 4 x 900


def test_a_refused_line_saves_none_and_says_why_beside_it(client, db, two_lines):
    piano_line, bench_line = two_lines
    r = update(client, {piano_line: 7, bench_line: 2})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert f'id="qty-{piano_line}-error">Only 3 units are available.<' in page
    assert f'id="qty-{bench_line}-error"' not in page
    # What was typed stays in both fields, to correct rather than type again.
    assert re.search(rf'id="qty-{piano_line}" name="lines-0-quantity" [^>]*value="7"', page)
    assert re.search(rf'id="qty-{bench_line}" name="lines-1-quantity" [^>]*value="2"', page)
    assert sorted(q for _, q in lines(db)) == [1, 1]  # all or nothing
    r = update(client, {piano_line: "abc", bench_line: 0})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert f'id="qty-{piano_line}-error">Enter a whole number of at least 1.<' in page
    assert f'id="qty-{bench_line}-error">Enter a whole number of at least 1.<' in page
    assert sorted(q for _, q in lines(db)) == [1, 1]


def test_a_line_left_alone_does_not_stop_the_others(client, piano, db, two_lines):
    piano_line, bench_line = two_lines
    update(client, {piano_line: 3, bench_line: 1})
    piano.variants[0].stock_on_hand = 1  # units were sold elsewhere: the piano line asks too many
    db.session.commit()
    assert "Only 1 available now." in client.get("/cart/").get_data(as_text=True)
    assert update(client, {piano_line: 3, bench_line: 2}).status_code == 303
    assert dict(db.session.execute(sa.select(CartLine.id, CartLine.quantity)).all()) == {
        piano_line: 3,
        bench_line: 2,
    }


def test_another_carts_line_or_a_bad_id_in_the_form_is_404(app, client, piano, db, two_lines):
    other = app.test_client()
    add(other, piano.variants[0].id, 1)
    foreign = db.session.scalar(sa.select(sa.func.max(CartLine.id)))
    piano_line, _ = two_lines
    assert update(client, {piano_line: 2, foreign: 2}).status_code == 404
    assert update(client, {"x": 2}).status_code == 404
    assert remove(client, "x").status_code == 404
    assert sorted(q for _, q in lines(db)) == [1, 1, 1]


def test_the_cart_shows_a_renamed_product_at_once(client, piano, db):
    add(client, piano.variants[0].id, 1)
    assert "Concert Grand" in client.get("/cart/").get_data(as_text=True)
    piano.name = "Concert Grand D-274"
    db.session.commit()
    page = client.get("/cart/").get_data(as_text=True)
    assert ">Concert Grand D-274</a>" in page


def test_visitor_cart_merges_into_buyer_cart_at_login(
    client, app, piano, make_product, make_user, login, db
):
    buyer = make_user(email="ada@example.com")
    # The buyer already has one unit from an earlier visit, on another device.
    elsewhere = app.test_client()
    post_form(elsewhere, "/account/login", {"email": buyer.email, "password": PASSWORD})
    add(elsewhere, piano.variants[0].id, 1)
    other = make_product(piano.category, name="Studio Upright", price_cents=9_800_00)

    add(client, piano.variants[0].id, 1)
    add(client, other.variants[0].id, 1)
    assert login(buyer).status_code == 302
    rows = db.session.execute(
        sa.select(Cart.user_id, Cart.visitor_key, CartLine.variant_id, CartLine.quantity)
        .join(CartLine)
        .order_by(CartLine.variant_id)
    ).all()
    assert rows == [
        (buyer.id, None, piano.variants[0].id, 2),
        (buyer.id, None, other.variants[0].id, 1),
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cart)) == 1
    # Merging never asks for more than the stock: 3 in stock, 2 already, visitor adds 3.
    guest = app.test_client()
    add(guest, piano.variants[0].id, 3)
    post_form(guest, "/account/login", {"email": buyer.email, "password": PASSWORD})
    qty = db.session.scalar(
        sa.select(CartLine.quantity).where(CartLine.variant_id == piano.variants[0].id)
    )
    assert qty == 3


def test_buyer_cart_survives_a_new_browser_and_a_restart(app, app_config, piano, make_user, db):
    from shop import create_app

    buyer = make_user()
    first = app.test_client()
    post_form(first, "/account/login", {"email": buyer.email, "password": PASSWORD})
    add(first, piano.variants[0].id, 2)
    restarted = create_app(app_config)  # a new process: new engine, nothing kept in memory
    second = restarted.test_client()
    post_form(second, "/account/login", {"email": buyer.email, "password": PASSWORD})
    assert 'data-testid="cart-count">2<' in second.get("/cart/").get_data(as_text=True)


def test_every_form_carries_the_pages_one_token_and_each_post_still_checks_it(
    client, piano, make_product, db
):
    other = make_product(piano.category, name="Studio Upright", price_cents=9_800_00)
    add(client, piano.variants[0].id, 1)
    add(client, other.variants[0].id, 1)
    page = client.get("/cart/").get_data(as_text=True)
    # The cart's one form, the form its Remove buttons belong to, and the quote request: the
    # token rendered once.
    tokens = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    assert len(tokens) == 3 and set(tokens) == {CSRF_RE.search(page).group(1)}
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # no more one id="csrf_token" per form
    line_id = db.session.scalar(
        sa.select(CartLine.id).where(CartLine.variant_id == piano.variants[0].id)
    )
    posted = {"lines-0-line": line_id, "lines-0-quantity": "3", "line": line_id}
    for path in ("/cart/update", "/cart/remove"):
        for forged in ({}, {"csrf_token": "forged"}):
            r = client.post(path, data={**posted, **forged})
            assert r.status_code == 400 and "Your form expired" in r.get_data(as_text=True)
    assert sorted(lines(db)) == sorted([(piano.variants[0].id, 1), (other.variants[0].id, 1)])


def test_the_cart_page_formats_each_amount_with_babel_once(
    client, piano, make_product, monkeypatch
):
    import shop.money

    calls = []
    babel = shop.money.format_currency

    def counting(amount, *args, **kwargs):
        calls.append(amount)
        return babel(amount, *args, **kwargs)

    monkeypatch.setattr(shop.money, "format_currency", counting)
    odd = make_product(piano.category, price_cents=31_415_92)  # an amount no test showed yet
    add(client, odd.variants[0].id, 2)
    first = client.get("/cart/").get_data(as_text=True)
    assert "$31,415.92" in first and "$62,831.84" in first and calls
    calls.clear()
    again = client.get("/cart/").get_data(as_text=True)
    assert "$31,415.92" in again and "$62,831.84" in again
    assert calls == []  # the text of an amount is worked out once per worker, then reused


def test_every_line_carries_its_sessions_token_and_shows_what_changed(app, client, piano, db):
    add(client, piano.variants[0].id, 1)
    first = client.get("/cart/").get_data(as_text=True)
    other = app.test_client()
    add(other, piano.variants[0].id, 1)
    theirs = other.get("/cart/").get_data(as_text=True)
    # Each page carries its own session's token where the line's forms need it.
    for page in (first, theirs):
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
        assert tokens == {CSRF_RE.search(page).group(1)}
    assert CSRF_RE.search(first).group(1) != CSRF_RE.search(theirs).group(1)
    line_id = db.session.scalar(sa.select(CartLine.id).order_by(CartLine.id))
    assert update(client, {line_id: 2}).status_code == 303
    page = client.get("/cart/").get_data(as_text=True)
    assert 'value="2"' in page and "$85,000.00" in page
    # A price change shows at once, and so does a refused update's error on its line.
    piano.variants[0].price_cents = 40_000_00
    db.session.commit()
    assert "$80,000.00" in client.get("/cart/").get_data(as_text=True)
    r = update(client, {line_id: 9})
    assert r.status_code == 400 and "Only 3 units are available" in r.get_data(as_text=True)
    assert "Only 3 units are available" not in client.get("/cart/").get_data(as_text=True)


def test_the_cart_page_holds_no_write_lock_while_rendering(
    app, client, piano, make_user, login, database_url
):
    """On SQLite a writing transaction holds the database's one write lock: a cart page that
    held it while rendering made every other worker's request wait for its template. A GET reads
    only (a deferred BEGIN), so a writer goes ahead while the page renders."""
    from flask import before_render_template

    path = database_url.removeprefix("sqlite:///")
    writer_went_ahead = []

    def note(sender, template, context, **extra):
        if template.name != "cart/cart.html":
            return
        writer = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # a checkout elsewhere, taking the lock
            writer.execute("ROLLBACK")
            writer_went_ahead.append(True)
        except sqlite3.OperationalError:  # "database is locked": the page holds it
            writer_went_ahead.append(False)
        finally:
            writer.close()

    before_render_template.connect(note, app)
    try:
        add(client, piano.variants[0].id, 1)
        visitor_page = client.get("/cart/")
        assert login(make_user(email="ada@example.com")).status_code == 302  # the line comes along
        buyer_page = client.get("/cart/")
    finally:
        before_render_template.disconnect(note, app)
    for page in (visitor_page, buyer_page):
        assert page.status_code == 200 and 'data-testid="cart-line"' in page.text
    # (post_form reads its token from the cart page too: every render counts.)
    assert len(writer_went_ahead) >= 2 and all(writer_went_ahead)
