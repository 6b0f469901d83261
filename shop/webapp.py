"""What the app wires once for every request: the `<id:...>` converter, the template filters and
globals, the audit address hook and the security headers. The helpers requests share (who is
asking, which page) are shop/web.py, which imports none of this."""

from urllib.parse import urlsplit

from flask import Flask, g, request, session
from werkzeug.routing import IntegerConverter

from shop.inputs import MAX_ID
from shop.money import Money
from shop.web import is_new_visitor, owner_without_creating, url_with, url_without


class IdConverter(IntegerConverter):
    """`<id:name>` in a URL: a positive id that fits the database, else the route 404s."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


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
                g.cart_count = 0 if is_new_visitor() else cart_count(**owner_without_creating())
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
