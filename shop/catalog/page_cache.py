"""Whole catalog pages for visitors who bring no session, rendered once and shared.

A visitor who arrives with no session and no login sees exactly what every such visitor sees at
that URL: an empty cart, nothing to compare, no trail, no message, the "Log in" links. The only
personal part of the page is its CSRF token. So the page is rendered once per URL, catalog
generation and stock state (the caller's `vary`), with a per-process placeholder where the token
goes, and each response gets its own token put in. Everyone else (a session, a login) gets the
page rendered for them, from the cached fragments as before.

Crawlers, link previews and first clicks from an advertisement or a search engine are such
visitors; they are most of a store's catalog traffic.
"""

import secrets
from collections.abc import Hashable

from flask import current_app, g, render_template, request, session

from shop.catalog import cache
from shop.signing import csrf_token
from shop.templating import ascii_html
from shop.web import VISITOR_SESSION_KEY, is_new_visitor, is_signed_in

# What this request itself put into a first-time visitor's session: nothing the page shows.
_OWN_KEYS = frozenset({VISITOR_SESSION_KEY, "trail_pending"})
# Random per process: no product name, question or query can contain it by chance or design.
TOKEN_PLACEHOLDER = "csrf-placeholder-" + secrets.token_hex(16)


def is_bare_visitor() -> bool:
    """No login, and no session but what this request started."""
    if is_signed_in():
        return False
    keys = session.keys() - _OWN_KEYS if is_new_visitor() else session.keys()
    return not keys


def render_catalog_page(template: str, vary: Hashable = None, **context) -> str:
    """`render_template`, shared between bare visitors when the catalog cache is on.

    `vary` holds whatever else the page shows that can change without a new catalog
    generation (the stock it reads); the URL, query string included, is part of the key.
    """
    if not cache.enabled() or not is_bare_visitor():
        return render_template(template, **context)
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    def build() -> str:
        # csrf_token (or Flask-WTF's generate_csrf) returns it, touching no session.
        setattr(g, field, TOKEN_PLACEHOLDER)
        try:
            return ascii_html(render_template(template, **context))  # its names too, once
        finally:
            g.pop(field, None)

    html = cache.cached(("page", request.full_path, vary), build, store="page_cache")
    return html.replace(TOKEN_PLACEHOLDER, csrf_token())
