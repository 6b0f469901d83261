"""HTTP caching of the catalog pages that visitors without a session see.

A visitor who brings no session cookie (a first visit, a crawler, a link preview, a click from
an advertisement) sees at a catalog URL exactly what every such visitor sees: an empty cart,
the "Log in" link, no message. Such a page is sent `Cache-Control: public` with a validator, so
that a reverse proxy or CDN in front of the app, and the browser, serve repeat views, and
revalidate them with a conditional GET that the app answers `304 Not Modified` before it
renders anything.

- **The validator** is a weak ETag, a digest of what the page shows: the catalog generation
  (raised by every catalog change, shop.catalog.cache), the URL with its query string, what
  the view adds that moves without a new generation (the stock it shows, the products a
  listing found), the reader's time zone (the `tz` cookie dates are shown in), the settings
  pages show and the code and templates that render them. Weak: the same page, not
  necessarily the same bytes (a proxy that compresses re-encodes it).
- **No `Last-Modified`:** no one time covers what these pages show (stock moves with every
  order, reservations lapse by the clock), and a client sending only `If-Modified-Since` would
  be told that a page had not changed when it had. The ETag alone is exact.
- **`public, max-age=60, must-revalidate`:** a shared copy is served for a minute at most, then
  revalidated (the stock on it may be that old; the cart and the checkout read stock fresh).
- **`Vary: Cookie`:** a cache keys the page on the Cookie header, so a visitor holding a
  session is never handed the shared copy; their pages are `private, no-store` (shop.web).
  A shared page never sets a cookie: if its view wrote to the session after all, the page is
  sent `private, no-store` instead.
- **No CSRF token in a shared page.** Flask-WTF's token lives in the session, and a shared
  page starts none. Its forms (add to cart, compare) carry an empty token field, and the page
  names a URL in `data-visit` on its <body>: app.js fetches it once (`research.visit`, private,
  no-store), which starts the visitor's session, notes the page on their research trail, and
  answers with their token, put into the forms before any is sent. Exempting "add to cart"
  from CSRF for visitors without a session was the other road, and a worse one: a cross-site
  form POST never carries a SameSite=Lax cookie, so it always looks session-less, and its
  answer would replace a signed-in buyer's session cookie with a new one (logging them out,
  hiding their cart). Without JavaScript, a form sent from a shared page fails Flask-WTF's
  check and comes back to the page, same-origin only, with the session started
  (shop.errors), so the second press works.
- **It reads only:** the view runs under `shop.db.reading_only` (on SQLite, no write lock).
- **Within a second, a shared page is served from memory.** Each worker keeps, for
  `SHARED_PAGE_RECHECK` seconds (1 by default), the page it last worked out for a URL and
  reader's zone, with its validator, and answers the next visitors without a session from it:
  a 304 to a conditional GET that holds the validator, the page itself to any other, without
  running the view or reading the database. A page may then be one second older than the
  `max-age` says, for visitors without a session only; a signed-in buyer, the cart and the
  checkout read everything fresh. This is what a CDN in front would do for a minute, done for
  a second where there is none; it is also what makes a revalidation cheap (the stock a page
  shows must otherwise be read for every one).
"""

import functools
import hashlib
import threading
from dataclasses import dataclass

from cachetools import TTLCache
from flask import current_app, g, make_response, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf

from shop.catalog import cache
from shop.config import ROOT
from shop.db import reading_only
from shop.web import brings_session

MAX_AGE = 60  # seconds a shared copy is served before it is revalidated
# Settings that change what a catalog page shows (a deploy's other settings do not).
SHOWN_SETTINGS = (
    "STORE_NAME",
    "STORE_LOCALE",
    "PRODUCTS_PER_PAGE",
    "MAX_LINE_QUANTITY",
    "COMPARE_MAX",
    "RECENTLY_VIEWED",
)


def shared() -> bool:
    """This request's page is the one every visitor without a session gets (see above)."""
    return g.get("shared_page", False)


def shared_page(view):
    """Mark a catalog view whose page, for a visitor without a session, is cacheable by
    anyone. The view calls `not_modified(...)` once it has read what the page shows."""

    @functools.wraps(view)
    def shared_when_anonymous(*args, **kwargs):
        if request.method not in ("GET", "HEAD") or brings_session():
            return view(*args, **kwargs)
        recent = _recent_pages()
        key = _recent_key()
        kept = recent.get(key) if recent is not None else None
        if kept is not None:
            answer = kept.answer(request.if_none_match)
            if answer is not None:
                return answer
        g.shared_page = True
        try:
            with reading_only():
                response = make_response(view(*args, **kwargs))
            etag = g.get("page_etag")
        finally:  # the page is rendered: nothing after this request's view is shared
            for name in ("shared_page", "page_etag", "visit_note"):
                g.pop(name, None)
        # Status 200 or the 304 of `not_modified`, and nothing written to a session: only then
        # public. (The security headers make anything else `private, no-store`.)
        if response.status_code in (200, 304) and etag and not session.modified:
            _make_public(response, etag)
            if recent is not None:
                recent.keep(key, etag, response)
        return response

    return shared_when_anonymous


def not_modified(*parts):
    """For a shared page: its validator, from the page's URL, the catalog generation and
    `parts` (what the page shows that moves without a new generation); a 304 response when the
    client's `If-None-Match` holds it already, else None (then render the page)."""
    if not shared():
        return None
    etag = g.page_etag = _etag(parts)
    if request.if_none_match.contains_weak(etag):
        return current_app.response_class(status=304)
    return None


@dataclass(frozen=True)
class KeptPage:
    """A shared page as a worker last worked it out: its validator, and its body when the
    worker rendered it (a 304 it answered leaves only the validator)."""

    etag: str
    body: bytes | None
    mimetype: str

    def answer(self, if_none_match):
        """The 304 or the page itself for this request, or None (the view must run)."""
        if if_none_match.contains_weak(self.etag):
            response = current_app.response_class(status=304)
        elif self.body is not None:
            response = current_app.response_class(self.body, mimetype=self.mimetype)
        else:
            return None
        _make_public(response, self.etag)
        return response


class RecentPages:
    """The shared pages a worker worked out in the last `seconds`, by URL and zone."""

    def __init__(self, seconds: float):
        self._lock = threading.Lock()
        self._entries: TTLCache = TTLCache(maxsize=cache.PAGE_ENTRIES, ttl=seconds)

    def get(self, key) -> KeptPage | None:
        with self._lock:
            return self._entries.get(key)

    def keep(self, key, etag: str, response) -> None:
        body = response.get_data() if response.status_code == 200 else None
        with self._lock:
            known = self._entries.get(key)
            if body is None and known is not None and known.etag == etag:
                body = known.body  # a 304 for the page it holds: keep the page
            self._entries[key] = KeptPage(etag, body, response.mimetype)


def _recent_pages() -> RecentPages | None:
    seconds = current_app.config.get("SHARED_PAGE_RECHECK", 0)
    if not seconds:
        return None
    extensions = current_app.extensions
    if "recent_pages" not in extensions:
        extensions["recent_pages"] = RecentPages(seconds)
    return extensions["recent_pages"]


def _recent_key() -> tuple:
    from shop.timefmt import browser_zone, store_zone

    return (request.path, request.query_string, browser_zone() or store_zone())


def render_page(template: str, **context) -> str:
    """`render_template`; a shared page is kept by its validator in the catalog cache too, so
    that the app serves it again without a reverse proxy in front."""
    etag = g.get("page_etag") if shared() else None
    if etag is None:
        return render_template(template, **context)
    return cache.cached(
        ("page", etag), lambda: render_template(template, **context), store="page_cache"
    )


def visit_url() -> str | None:
    """For a shared page's <body data-visit>: where app.js starts the visitor's session,
    with what the page puts on their research trail."""
    if not shared():
        return None
    return url_for("research.visit", **g.get("visit_note", {}))


def csrf_token() -> str:
    """Flask-WTF's token, as the `csrf_token()` of templates; none in a shared page."""
    return "" if shared() else generate_csrf()


def init_app(app) -> None:
    # After CSRFProtect.init_app, which offers generate_csrf under the same name, as a global
    # (for imported macros) and from a context processor (which this one, run later, overrides).
    helpers = {"csrf_token": csrf_token, "visit_url": visit_url}
    app.jinja_env.globals.update(helpers)
    app.context_processor(lambda: helpers)


def _make_public(response, etag: str) -> None:
    response.set_etag(etag, weak=True)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.cache_control.must_revalidate = True
    response.vary.add("Cookie")


def _etag(parts: tuple) -> str:
    from shop.timefmt import browser_zone, store_zone

    config = current_app.config
    key = (
        cache.generation(),
        request.path,
        request.query_string,
        browser_zone() or store_zone(),
        _release(),
        tuple(config.get(name) for name in SHOWN_SETTINGS),
        parts,
    )
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


@functools.cache
def _release() -> str:
    """A digest of the code and templates, read once per process: a deploy that changes how
    a page renders changes its validator, on every host alike."""
    digest = hashlib.blake2b(digest_size=8)
    for folder, pattern in ((ROOT / "templates", "*.html"), (ROOT / "shop", "*.py")):
        for path in sorted(folder.rglob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
