"""A first visit in a real browser: the catalog page comes public, for the caches in front of
the store (shop.catalog.http_cache), and its forms still work, with JavaScript and without."""

import re

from playwright.sync_api import expect

PRODUCT = "/p/hollis-rowe-160"


def test_a_shared_product_page_still_adds_to_the_cart(page, live_server):
    response = page.goto(live_server + PRODUCT)
    assert response.headers["cache-control"] == "public, max-age=60, must-revalidate"
    assert response.headers["etag"].startswith('W/"')
    # app.js started the visit and put the visitor's own token into the form.
    expect(page.locator('form.add-to-cart input[name="csrf_token"]')).not_to_have_value("")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    # From now on the visitor's pages are their own, never stored by a cache.
    again = page.goto(live_server + PRODUCT)
    assert "no-store" in again.headers["cache-control"]
    expect(page.get_by_test_id("cart-count")).to_have_text("1")


def test_without_javascript_the_second_press_adds_to_the_cart(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        response = page.goto(live_server + PRODUCT)
        assert "public" in response.headers["cache-control"]
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_text("Please try again")).to_be_visible()
        expect(page).to_have_url(re.compile(PRODUCT + "$"))
        page.get_by_role("button", name="Add to cart").click()
        expect(page).to_have_url(re.compile(r"/cart/$"))
        expect(page.get_by_test_id("cart-count")).to_have_text("1")
    finally:
        context.close()
