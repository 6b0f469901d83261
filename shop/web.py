"""Request-side helpers shared by every blueprint: who is asking, template globals, headers."""

import hashlib
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from shop.inputs import MAX_ID, parse_id  # noqa: F401  (ids are read in shop.inputs)
from shop.money import Money

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


class IdConverter(IntegerConverter):
    """`<id:name>` in a URL: a positive id that fits the database, else the route 404s."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


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


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(config) -> str:
    """Our own files only, plus exactly what Stripe.js needs: its script, frames and API."""
    stripe_js = _origin(config.get("STRIPE_JS_URL", ""))
    stripe_api = _origin(config.get("STRIPE_API_BASE") or "https://api.stripe.com")
    frames = " ".join(o for o in (stripe_js, "https://hooks.stripe.com") if o)
    return (
        f"default-src 'self'; img-src 'self' data:; style-src 'self'; "
        f"script-src 'self' {stripe_js}; frame-src {frames}; "
        f"connect-src 'self' {stripe_api} {stripe_js}; font-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
    )


def register_web(app: Flask) -> None:
    from shop.auth.roles import can
    from shop.cart.services import cart_count
    from shop.catalog.services import nav_categories

    app.url_map.converters["id"] = IdConverter
    from shop.catalog import http_cache

    http_cache.init_app(app)  # the templates' csrf_token(): none in a page shared by visitors

    @app.before_request
    def bind_audit_address():
        """Audit entries written while serving this request carry its client address."""
        from shop.audit.services import bind_address

        bind_address(request.remote_addr)

    from shop import timefmt

    timefmt.init_app(app)

    @app.template_filter("money")
    def money_filter(cents, whole: bool = False):
        if cents is None:
            return ""
        value = cents if isinstance(cents, Money) else Money(int(cents))
        return value.format(locale=app.config["STORE_LOCALE"], whole=whole)

    @app.template_filter("money_text")
    def money_text_filter(value):
        """A dollar amount typed in a form ("164000.00") shown as money, exactly."""
        try:
            return Money.parse(value).format(locale=app.config["STORE_LOCALE"])
        except Exception:
            return value

    @app.template_filter("spec_number")
    def spec_number_filter(value):
        """A bound such as Decimal("42.500") shown as "42.5"."""
        if value is None:
            return ""
        text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
        return text

    @app.context_processor
    def globals_for_templates():
        def header_cart_count() -> int:
            if "cart_count" not in g:
                g.cart_count = 0 if is_new_visitor() else cart_count(**_owner_without_creating())
            return g.cart_count

        def request_nav_categories():
            # The header and the home page both list them: one query per request.
            if "nav_categories" not in g:
                g.nav_categories = nav_categories()
            return g.nav_categories

        return {
            "store_name": app.config["STORE_NAME"],
            "nav_categories": request_nav_categories,
            "header_cart_count": header_cart_count,
            "compare_ids": lambda: session.get("compare", []),
            "url_with": url_with,
            "url_without": url_without,
            "can": can,
        }

    always = (
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", content_security_policy(app.config)),
    )
    hsts = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")

    @app.after_request
    def security_headers(response):
        headers = response.headers
        # A header the view set itself is kept. One pass over those, where a `setdefault` per
        # header searched them each time.
        present = {name.lower(): value for name, value in headers.items()}
        wanted = (*always, hsts) if app.config.get("SESSION_COOKIE_SECURE") else always
        headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
        # Pages carry a cart, an account menu or personal data: never store them in a cache.
        # (A response that already says no-store, like an attachment's, keeps its own words;
        # a catalog page shared by visitors without a session is public: shop.catalog.http_cache.)
        cache_control = present.get("cache-control", "")
        if (
            not request.path.startswith("/static/")
            and "no-store" not in cache_control
            and "public" not in cache_control
        ):
            headers["Cache-Control"] = "private, no-store"
        return response


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


def _owner_without_creating() -> dict:
    user_id = current_buyer_id()
    if user_id is not None:
        return {"user_id": user_id, "visitor_key": None}
    return {"user_id": None, "visitor_key": visitor_key(create=False)}
