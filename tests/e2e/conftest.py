"""Browser tests: the store served from this process, driven by Debian's Chromium."""

import shutil
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from shop import create_app
from shop.config import ROOT, TestConfig
from shop.extensions import db

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class LiveServer(str):
    """The server's base URL (it is a str), knowing where its database file is."""

    def __new__(cls, url: str, db_path: Path):
        obj = super().__new__(cls, url)
        obj.db_path = db_path
        return obj


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip("Browser tests skipped: Chromium is not installed (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, stripe_peer):
    """The store with the demo data, on a free loopback port, for the whole browser session.

    Payments go to localstripe, whose stand-in Stripe.js the pay page loads, and localstripe
    sends its signed webhooks back to this server, as Stripe would.
    """
    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    stripe_peer.reset()
    app = create_app(
        TestConfig(f"sqlite:///{path}", RATELIMIT_ENABLED=False, **stripe_peer.settings())
    )
    with app.app_context():
        upgrade()
        from shop.seed import seed_demo

        seed_demo()
        db.session.commit()
        db.session.remove()
    server = start_server(app)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = url
    stripe_peer.register_webhook(f"{url}/stripe/webhook")
    yield LiveServer(url, path)
    stop_server(server)
    with app.app_context():
        db.engine.dispose()


def start_server(app):
    """Serve `app` on a free loopback port from a daemon thread; stop it with stop_server."""
    server = make_server("127.0.0.1", 0, closing_every_body(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop_server(server) -> None:
    server.shutdown()
    server.server_close()  # the listening socket, or it is reported unclosed at exit


def closing_every_body(app):
    """`app`, closing each response body itself once it is sent or abandoned.

    PEP 3333 has the server call a body's close(). Werkzeug's development server (3.1.9, and
    its main branch as of May 2026) skips it when the client resets the connection after the
    body went out (a browser dropping a request it no longer needs): before closing, it reads
    what is left on the socket, that read raises ConnectionResetError, and the close never
    comes. For a static file the body is werkzeug's FileWrapper around the open file, which
    then waits for the garbage collector, whose "unclosed file" ResourceWarning fails
    whatever test happens to be running (PytestUnraisableExceptionWarning).
    """

    def serve(environ, start_response):
        return _closed_at_the_end(app(environ, start_response))

    return serve


def _closed_at_the_end(body):
    # The finally runs when the body is exhausted, when the server closes this generator, and
    # when a server that forgot to drops it. A plain loop, not `yield from`, which would close
    # the body a second time (a Response's call_on_close callbacks would run twice).
    try:
        for chunk in body:  # noqa: UP028 (see above)
            yield chunk
    finally:
        if hasattr(body, "close"):
            body.close()


@pytest.fixture(autouse=True)
def _quick_failures(request):
    """A missing element fails in seconds, not after Playwright's default 30 s."""
    if "page" in request.fixturenames:
        request.getfixturevalue("page").set_default_timeout(8000)


@pytest.fixture
def shot():
    """Save a screenshot of a page under test-artifacts/screenshots/ to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str, full_page: bool = True):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    return _shot
