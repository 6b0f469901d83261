"""A researcher's journey in a real browser: browse, filter, compare, add to cart, log in."""

import re

from playwright.sync_api import expect


def test_visitor_researches_compares_fills_cart_and_logs_in(page, live_server, shot):
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "01-home")

    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Sailboats").click()
    expect(page).to_have_url(re.compile(r"/c/sailboats$"))
    total = int(page.get_by_test_id("result-count").inner_text().split()[0])
    assert total >= 8
    shot(page, "02-category")

    # Filter on a choice and a numeric range; the URL keeps them.
    filters = page.locator("form.filters")
    filters.locator("fieldset", has_text="Hull material").locator(
        "input[type=checkbox]"
    ).first.check()
    filters.locator("input[name=length_min]").fill("30")
    filters.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"length_min=30"))
    filtered = int(page.get_by_test_id("result-count").inner_text().split()[0])
    assert 0 < filtered < total
    expect(page.locator("ul.chips li")).to_have_count(2)
    shot(page, "03-category-filtered")

    # Sort by price, high to low: the first card is the most expensive on the page.
    page.select_option("#sort", "price_desc")
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    prices = [int(re.sub(r"[^\d]", "", t)) for t in page.locator(".card-price").all_inner_texts()]
    assert prices == sorted(prices, reverse=True)

    # Open two products, compare them.
    first_url = page.locator(".product-card a").nth(0).get_attribute("href")
    second_url = page.locator(".product-card a").nth(1).get_attribute("href")
    page.goto(live_server + first_url)
    expect(page.locator(".spec-table tr").first).to_be_visible()
    shot(page, "04-product")
    page.get_by_role("button", name="Add to compare").click()
    page.goto(live_server + second_url)
    page.get_by_role("button", name="Add to compare").click()
    page.goto(live_server + "/compare")
    expect(page.locator(".compare-table thead th a")).to_have_count(2)
    expect(page.locator("tr.differs").first).to_be_visible()
    shot(page, "05-compare")

    # Add the second product to the cart as a visitor.
    page.goto(live_server + second_url)
    name = page.get_by_role("heading", level=1).inner_text()
    page.locator("#quantity").fill("1")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    shot(page, "06-cart-visitor")

    # Log in as the demo buyer: the cart and the trail come along.
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("buyer@example.com")
    page.get_by_label("Password").fill("buyer-demo-pass")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".flash-success")).to_contain_text("Welcome back")
    page.goto(live_server + "/cart/")
    expect(page.get_by_test_id("cart-line").filter(has_text=name)).to_have_count(1)
    shot(page, "07-cart-merged")
    page.goto(live_server + "/account/")
    expect(page.locator(".recently-viewed")).to_contain_text(name)
    shot(page, "08-account")


def test_bad_quantity_shows_an_error_next_to_the_field(page, live_server, shot):
    page.goto(live_server + "/c/pianos")
    page.locator(".product-card a").first.click()
    page.locator("#quantity").fill("0")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".quantity-field .field-error")).to_contain_text("at least 1")
    expect(page.locator("#quantity")).to_have_value("0")  # what was typed, to correct it
    expect(page.get_by_test_id("cart-count")).to_have_text("0")
    shot(page, "09-quantity-error")
    page.locator("#quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("2")


def test_a_full_compare_list_is_not_shown_as_a_quantity_error(page, live_server, shot):
    """Five products into a compare list of four: the fifth product's page says why above
    the page, and leaves its quantity field alone."""
    page.goto(live_server + "/c/sailboats")
    links = page.locator(".product-card a.card-link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) >= 5
    for href in hrefs[:5]:
        page.goto(live_server + href)
        page.get_by_role("button", name="Add to compare").click()
    expect(page.locator(".flash-error")).to_contain_text("compare up to 4 products")
    expect(page.locator(".quantity-field .field-error")).to_have_count(0)
    expect(page.locator("#quantity")).not_to_have_attribute("aria-invalid", "true")
    shot(page, "09b-compare-full")


def test_a_cart_line_is_updated_with_enter_and_removed_with_its_own_button(page, live_server, shot):
    """Each line is one form: Enter in its quantity field updates it, and its Remove button
    (the form's second button) removes that line and no other."""
    page.goto(live_server + "/c/pianos")
    links = page.locator(".product-card a.card-link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(2)]
    names = []
    for href in hrefs:
        page.goto(live_server + href)
        names.append(page.get_by_role("heading", level=1).inner_text())
        page.get_by_role("button", name="Add to cart").click()
    lines = page.get_by_test_id("cart-line")
    expect(lines).to_have_count(2)
    # The page is sent in ASCII; the browser shows the characters written as references.
    expect(lines.first.locator(".muted")).to_contain_text(" \N{MIDDLE DOT} SKU ")

    page.get_by_label(f"Quantity of {names[0]}").fill("2")
    page.get_by_label(f"Quantity of {names[0]}").press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("Quantity updated")
    expect(page.get_by_label(f"Quantity of {names[0]}")).to_have_value("2")
    expect(page.get_by_test_id("cart-count")).to_have_text("3")

    lines.filter(has_text=names[1]).get_by_role("button", name="Remove").click()
    expect(page.locator(".flash-info")).to_contain_text("Removed from your cart")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text(names[0])
    expect(page.get_by_label(f"Quantity of {names[0]}")).to_have_value("2")
    shot(page, "06b-cart-update-remove")


def test_search_finds_spec_values(page, live_server):
    page.goto(live_server + "/")
    page.get_by_label("Search the catalog").fill("carbon")
    page.get_by_label("Search the catalog").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=carbon"))
    assert int(page.get_by_test_id("result-count").inner_text().split()[0]) > 0


def test_pages_on_a_phone(browser, live_server, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    for path, name in [
        ("/", "phone-home"),
        ("/c/e-bikes", "phone-category"),
        ("/about", "phone-about"),
    ]:
        page.goto(live_server + path)
        # Nothing is wider than the screen: no sideways scrolling on a phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide"
        shot(page, name)
    page.goto(live_server + "/c/e-bikes")
    page.locator(".product-card a").first.click()
    shot(page, "phone-product")
    context.close()


def test_staff_desk_is_for_staff(page, live_server, shot):
    page.goto(live_server + "/staff/")
    expect(page).to_have_url(re.compile(r"/account/login"))
    page.get_by_label("Email").fill("maya@example.com")
    page.get_by_label("Password").fill("staff-demo-pass")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maya")
    shot(page, "10-staff-desk")
