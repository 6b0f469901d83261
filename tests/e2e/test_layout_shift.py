"""Pages keep still while they load: cumulative layout shift measured in the browser."""

import time

import pytest
from playwright.sync_api import expect

# Sum of the page's layout shifts not caused by the reader (as the CLS audit counts them),
# read from the buffered entries once the page has settled.
CLS = """
() => new Promise((resolve) => {
  let total = 0;
  const shifts = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!entry.hadRecentInput) {
        total += entry.value;
        shifts.push(entry.sources.map((s) => s.node && (s.node.className || s.node.nodeName)));
      }
    }
  }).observe({ type: "layout-shift", buffered: true });
  setTimeout(() => resolve({ total, shifts }), 500);
})
"""


def late_script(route):
    """A slow network, as a page audit simulates: the script arrives after the first paint."""
    time.sleep(1)
    route.continue_()


@pytest.mark.parametrize(
    "viewport",
    [{"width": 390, "height": 844}, {"width": 1280, "height": 800}],
    ids=["phone", "desktop"],
)
@pytest.mark.parametrize("path", ["/c/e-bikes", "/c/sailboats?price_max=300000"])
def test_the_category_page_does_not_shift_while_it_loads(
    browser, live_server, shot, viewport, path
):
    context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 600)
    page = context.new_page()
    page.route("**/static/js/*.js", late_script)
    page.goto(live_server + path, wait_until="load")
    page.wait_for_timeout(300)
    shift = page.evaluate(CLS)
    folded = page.locator("details.filter-panel:not([open])").count()
    if folded:  # and a tap unfolds it
        page.get_by_text("Filters", exact=True).click()
        expect(page.get_by_role("button", name="Apply filters")).to_be_visible()
    shot(page, f"cls-{viewport['width']}-{path.split('?')[0].strip('/').replace('/', '-')}")
    context.close()
    assert shift["total"] < 0.1, shift
    # The script ran (a phone's panel is folded unless filters are in use): what was measured
    # includes its folding of the panel.
    assert folded == (viewport["width"] < 600 and "?" not in path)
