"""Home page and the about page rendered from content/about.md."""

from functools import lru_cache

import markdown
from flask import Blueprint, current_app, render_template
from markupsafe import Markup

from shop.catalog.page_cache import render_catalog_page
from shop.config import ROOT
from shop.research.services import recently_viewed_ids
from shop.web import current_buyer_id, visitor_key

bp = Blueprint("pages", __name__)


@lru_cache(maxsize=1)
def _about_html(mtime: float) -> Markup:
    text = (ROOT / "content" / "about.md").read_text(encoding="utf-8")
    # The file is ours and kept with the code; still, no raw HTML passes through.
    md = markdown.Markdown(extensions=["extra", "smarty"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return Markup(md.convert(text))  # noqa: S704


@bp.route("/")
def home():
    viewed = recently_viewed_ids(
        current_buyer_id(), visitor_key(), current_app.config["RECENTLY_VIEWED"]
    )
    return render_catalog_page("pages/home.html", recently_viewed=viewed)


@bp.route("/about")
def about():
    path = ROOT / "content" / "about.md"
    return render_template("pages/about.html", body=_about_html(path.stat().st_mtime))
