"""Fixtures for the attack suite, borrowed from the feature suites that build each object."""

import re

import pytest

from tests.checkout.conftest import piano  # noqa: F401
from tests.consultations.conftest import reps  # noqa: F401
from tests.quotes.conftest import boat, team, variant  # noqa: F401
from tests.support.conftest import (  # noqa: F401
    make_delivered_order,
    support_product,
    support_staff,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
PAYLOAD = f"{SCRIPT}{IMG}"


def assert_inert(html: str, where: str = "") -> None:
    """No payload came through as markup: only its escaped text may appear."""
    assert "<script>alert(1)" not in html, f"raw <script> on {where}"
    assert "<img src=x onerror" not in html, f"raw onerror attribute on {where}"
    assert 'href="javascript:' not in html.lower(), f"javascript: link on {where}"
    # Inside a quoted attribute value escaped text is harmless; a breakout leaves a raw quote.
    tags_only = re.sub(r'"[^"]*"', '""', html)
    assert not re.search(r"<[a-z][^<>]*\sonerror\s*=", tags_only, re.I), f"onerror= on {where}"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config.UPLOAD_FOLDER = str(tmp_path / "uploads")
    return app_config
