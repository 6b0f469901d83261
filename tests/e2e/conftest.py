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
def live_server(tmp_path_factory):
    """The store with the demo data, on a free loopback port, for the whole browser session."""
    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    app = create_app(TestConfig(f"sqlite:///{path}", RATELIMIT_ENABLED=False))
    with app.app_context():
        upgrade()
        from shop.seed import seed_demo

        seed_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def shot():
    """Save a screenshot of a page under test-artifacts/screenshots/ to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str, full_page: bool = True):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    return _shot
