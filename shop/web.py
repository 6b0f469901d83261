"""Request-side helpers shared by every blueprint: who is asking, which page, where to go next.

What the app wires once (hooks, filters, headers, template globals) is shop/webapp.py: this module
imports nothing of the domains, so a service or a catalog module can use these helpers without
pulling the whole app in."""

import hashlib
import secrets
from urllib.parse import urlencode, urlsplit

from flask import current_app, g, request, session
from flask_login import current_user

from shop.inputs import MAX_ID, parse_id  # noqa: F401  (ids are read in shop.inputs)

VISITOR_SESSION_KEY = "visitor"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def visitor_token(create: bool = False) -> str | None:
    """The anonymous visitor's random token, kept in the signed session (made if asked).

    Never made for a logged-in user: their cart and trail are kept under their account, and a
    fresh visitor key would mark them a first-time visitor with nothing to read (the header's
    cart count would say 0 over a full cart).
    """
    token = session.get(VISITOR_SESSION_KEY)
    if token is None and create and not is_signed_in():
        token = session[VISITOR_SESSION_KEY] = secrets.token_urlsafe(32)
        g.new_visitor = True
    return token


def visitor_key(create: bool = False) -> str | None:
    """The anonymous visitor's key (a hash of their token): what their rows are stored under."""
    token = visitor_token(create)
    return None if token is None else hash_token(token)


def is_new_visitor() -> bool:
    """The visitor got their key in this request: they have no cart or trail to read yet."""
    return g.get("new_visitor", False)


MAX_PAGE = 10_000


def page_arg(value) -> int:
    """A page number from the query string, clamped to 1..MAX_PAGE."""
    text = str(value or "").strip()
    if not text.isdigit() or int(text.lstrip("0") or "0") < 1:
        return 1
    return MAX_PAGE if len(text) > 6 else min(int(text), MAX_PAGE)


# Where Flask-Login keeps the logged-in user's key in the session (`login_user` writes it).
LOGIN_SESSION_KEY = "_user_id"


def is_signed_in() -> bool:
    """A user is logged in. A session without a login key has no one to load: asking
    Flask-Login would still run its loader (a visitor's every page), to find no one."""
    return LOGIN_SESSION_KEY in session and current_user.is_authenticated


def brings_session() -> bool:
    """The request carries a cookie that can hold a session or a login."""
    config = current_app.config
    names = (config["SESSION_COOKIE_NAME"], config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    return any(name in request.cookies for name in names)


def current_buyer_id() -> int | None:
    return current_user.id if is_signed_in() else None


def owner() -> dict:
    """Who owns the cart, the compare list and the trail: a user id or a visitor key."""
    user_id = current_buyer_id()
    if user_id is not None:
        return {"user_id": user_id, "visitor_key": None}
    return {"user_id": None, "visitor_key": visitor_key(create=True)}


def safe_next(target: str | None, default: str) -> str:
    """A `next` URL only if it stays on this site; otherwise the default (no open redirect)."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


def _url(args) -> str:
    query = urlencode(list(args.items(multi=True)))
    return request.path + ("?" + query if query else "")


def url_with(**changes) -> str:
    """This page's URL with some query arguments replaced (None removes one)."""
    args = request.args.copy()
    for key, value in changes.items():
        args.poplist(key)
        if value is not None:
            args[key] = value
    return _url(args)


def url_without(key: str, value: str | None = None) -> str:
    """This page's URL without one filter (or one value of it), back on the first page."""
    args = request.args.copy()
    args.poplist("page")
    if value is None:
        args.poplist(key)
    else:
        kept = [v for v in args.getlist(key) if v != value]
        args.setlist(key, kept)
    return _url(args)


def owner_without_creating() -> dict:
    """The owner as `owner()` says, but a visitor without a key is not given one."""
    user_id = current_buyer_id()
    if user_id is not None:
        return {"user_id": user_id, "visitor_key": None}
    return {"user_id": None, "visitor_key": visitor_key(create=False)}
