"""Templates keep scripts and styles in files of their own."""

import re
from pathlib import Path


def test_no_template_has_inline_script_or_style():
    """The Content-Security-Policy forbids inline scripts and styles: a page with one would
    break in the browser."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    for path in templates.rglob("*.html"):
        source = path.read_text()
        assert not re.search(r"<style\b", source), path
        for tag in re.findall(r"<script\b[^>]*>", source):
            assert "src=" in tag, (path, tag)
