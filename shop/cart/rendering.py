"""A cart's markup, rendered once for everything it shows and kept in each worker.

A line shows only the values of its `CartRow` (and a quantity error, when the buyer's last
update was refused), so those values are the key: a change of price, name, stock problem or
quantity is a different key, never a stale line. A cart's lines together are kept too, keyed by
their rows: a cart seen again costs one look-up and one join, not one of each per line. What
no two buyers share, the CSRF token, is put in afterwards, once per page.
"""

from functools import lru_cache

from flask import current_app, render_template
from markupsafe import Markup

from shop.cart.services import CartRow
from shop.catalog.page_cache import TOKEN_PLACEHOLDER
from shop.signing import csrf_token
from shop.templating import ascii_html

LINE_ENTRIES = 5000  # about 1 kB each: under 10 MB per worker
CART_ENTRIES = 500  # a cart's lines, 1 to 30 kB: under 15 MB per worker


def _render_line(row: CartRow, problem: str | None) -> tuple[str, ...]:
    """The line's markup, in pieces to join with the page's CSRF token (a join is a copy;
    replacing a placeholder searched the whole 30-line markup for it: 14 µs of it)."""
    html = render_template("cart/_line.html", line=row, problem=problem, csrf=TOKEN_PLACEHOLDER)
    # Without the template's indentation (a line break shows as the same space) and in ASCII:
    # every byte of a line is joined, encoded and sent 30 times over.
    html = ascii_html("\n".join(filter(None, (part.strip() for part in html.splitlines()))))
    return tuple(html.split(TOKEN_PLACEHOLDER))


def _join_lines(rendered) -> tuple[str, ...]:
    """Lines' pieces as the pieces of their whole, to join once with the token: the last
    piece of a line and the first of the next are one piece."""
    pieces = [""]
    for line in rendered:
        pieces[-1] += line[0]
        pieces.extend(line[1:])
    return tuple(pieces)


def _renderers():
    """This app's caches of lines and of carts (functools' LRU: in C, thread-safe, a fraction
    of a microsecond per hit; what a line renders to depends on the app's URLs)."""
    extensions = current_app.extensions
    if "cart_lines" not in extensions:
        line = lru_cache(maxsize=LINE_ENTRIES)(_render_line)

        def cart(rows: tuple[CartRow, ...]) -> tuple[str, ...]:
            return _join_lines([line(row, row.problem) for row in rows])

        extensions["cart_lines"] = (line, lru_cache(maxsize=CART_ENTRIES)(cart))
    return extensions["cart_lines"]


def lines_html(rows: tuple[CartRow, ...], errors: dict[int, str] | None = None) -> Markup:
    """The table rows of a cart page; `errors` maps a line id to why its update was refused."""
    line, cart = _renderers()
    if errors:  # after a refused update: rare, and not worth keeping as a whole
        pieces = _join_lines([line(row, errors.get(row.id) or row.problem) for row in rows])
    else:
        pieces = cart(tuple(rows))
    # Markup from our autoescaped template; the token is URL-safe base64, nothing to escape.
    return Markup(csrf_token().join(pieces))  # noqa: S704
