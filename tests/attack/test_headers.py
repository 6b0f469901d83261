"""Headers and production settings: a Content-Security-Policy that lets Stripe.js work and
nothing else, HSTS, nosniff, Referrer-Policy, frame protection, secure cookies, debug off, and
no start in production without its required settings and a real database."""

import re
import shutil
from urllib.parse import urlsplit

import pytest
from flask import url_for

from shop import create_app
from shop.auth.roles import Role
from shop.auth.services import create_user
from shop.config import ROOT, ConfigError, ProductionConfig, TestConfig
from shop.extensions import db
from shop.webapp import content_security_policy
from tests.conftest import PASSWORD, csrf_token
from tests.production import production_env


def directives(policy: str) -> dict[str, set[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            assert words[0] not in parsed, f"{words[0]} given twice"
            parsed[words[0]] = set(words[1:])
    return parsed


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- the Content-Security-Policy ------------------------------------------------------------

STRIPE_SETTINGS = [
    pytest.param({}, id="real-stripe"),
    pytest.param(
        {
            "STRIPE_JS_URL": "http://127.0.0.1:8420/js.stripe.com/v3/",
            "STRIPE_API_BASE": "http://127.0.0.1:8420",
        },
        id="local-peer",
    ),
]


@pytest.mark.parametrize("settings", STRIPE_SETTINGS)
def test_the_policy_allows_exactly_what_stripe_js_needs(settings):
    config = TestConfig("sqlite://", **settings)
    js = origin(config.STRIPE_JS_URL)
    api = origin(config.STRIPE_API_BASE or "https://api.stripe.com")
    policy = directives(
        content_security_policy(
            {"STRIPE_JS_URL": config.STRIPE_JS_URL, "STRIPE_API_BASE": config.STRIPE_API_BASE}
        )
    )
    assert policy == {
        "default-src": {"'self'"},
        "img-src": {"'self'", "data:"},
        "style-src": {"'self'"},
        "script-src": {"'self'", js},
        "frame-src": {js, "https://hooks.stripe.com"},
        "connect-src": {"'self'", api, js},
        "font-src": {"'self'"},
        "frame-ancestors": {"'none'"},
        "form-action": {"'self'"},
        "base-uri": {"'self'"},
        "object-src": {"'none'"},
    }
    if not settings:
        assert js == "https://js.stripe.com" and api == "https://api.stripe.com"
    words = set().union(*policy.values())
    for loose in ("*", "'unsafe-inline'", "'unsafe-eval'", "http:", "https:", "blob:"):
        assert loose not in words
    assert not any("*" in word for word in words), "no wildcard hosts"


def test_no_template_needs_inline_script():
    """With no 'unsafe-inline', an inline script or handler would silently not run."""
    for path in (ROOT / "templates").rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"inline <script> in {path.name}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler in {path.name}"
        assert "javascript:" not in html, path.name


def _get_routes_without_arguments(app):
    with app.test_request_context():
        return [
            url_for(rule.endpoint)
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
        ]


def test_every_page_and_error_sends_the_safety_headers(app, client, make_user, login):
    login(make_user(Role.MANAGER))
    csp = content_security_policy(app.config)
    urls = [*_get_routes_without_arguments(app), "/no-such-page", "/orders/NOPE"]
    assert len(urls) > 20
    for url in urls:
        response = client.get(url)
        assert response.status_code != 500, url
        headers = response.headers
        assert headers["Content-Security-Policy"] == csp, url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", url
        assert headers["X-Frame-Options"] == "DENY", url
        assert "no-store" in headers["Cache-Control"], url
        # Not in production (plain HTTP in development): no HSTS that would pin localhost.
        assert "Strict-Transport-Security" not in headers, url


# --- production -----------------------------------------------------------------------------


@pytest.fixture
def production(monkeypatch, sqlite_template, tmp_path):
    """A production app on a copy of the migrated schema (SQLite allowed for this test only)."""
    path = tmp_path / "prod.sqlite3"
    shutil.copy(sqlite_template, path)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    environ = production_env(
        DATABASE_URL=f"sqlite:///{path}",
        ALLOW_SQLITE_IN_PRODUCTION="1",
        RATELIMIT_STORAGE_URI=None,
        ALLOW_PROCESS_LOCAL_RATELIMIT="1",  # one process: the test's
    )
    app = create_app(ProductionConfig(environ))
    with app.app_context():
        create_user("pat@example.com", "Pat Buyer", PASSWORD, Role.BUYER)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def _cookie_attributes(response, name: str) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    return None


def test_production_sends_hsts_and_secure_cookies_and_has_debug_off(production):
    assert production.debug is False and not production.testing
    client = production.test_client()
    page = client.get("/")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    token = csrf_token(client)
    login = client.post(
        "/account/login?next=/account/",
        data={
            "email": "pat@example.com",
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )
    assert login.status_code == 302
    cookies = list(login.headers.getlist("Set-Cookie"))
    assert cookies, "login renews the session cookie"
    for header in cookies:
        flags = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
        assert {"secure", "httponly", "samesite"} <= flags, header
        assert "samesite=lax" in header.lower() or "samesite=strict" in header.lower()
    assert client.get("/account/").status_code == 200
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert production.config["REMEMBER_COOKIE_SAMESITE"] in ("Lax", "Strict")


def test_production_error_pages_show_no_debugger(production):
    @production.route("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    response = production.test_client().get("/boom-for-test")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"SECRET_KEY": None}, "SECRET_KEY", id="no-secret-key"),
        pytest.param({"SECRET_KEY": ""}, "SECRET_KEY", id="empty-secret-key"),
        pytest.param({"DATABASE_URL": None}, "DATABASE_URL", id="no-database-url"),
        pytest.param({"DATABASE_URL": "sqlite:///prod.db"}, "real database", id="sqlite-file"),
        pytest.param({"DATABASE_URL": "sqlite://"}, "real database", id="sqlite-memory"),
        pytest.param({"FLASK_DEBUG": "1"}, "Debug", id="debug-on"),
        pytest.param(
            {"RATELIMIT_STORAGE_URI": None}, "RATELIMIT_STORAGE_URI", id="throttling-per-process"
        ),
        pytest.param(
            {"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI", id="memory-storage"
        ),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(monkeypatch, env, message):
    env = dict(env)
    debug = env.pop("FLASK_DEBUG", None)
    if debug is None:
        monkeypatch.delenv("FLASK_DEBUG", raising=False)
    else:
        monkeypatch.setenv("FLASK_DEBUG", debug)
    with pytest.raises(ConfigError, match=message):
        create_app(ProductionConfig(production_env(**env)))


def test_production_starts_on_postgresql(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app(ProductionConfig(production_env(DATABASE_URL="postgres://db.internal/shop")))
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.debug is False
