"""Home page and the about page rendered from content/about.md."""

from functools import lru_cache

import markdown
from flask import Blueprint, current_app
from markupsafe import Markup

from shop.catalog.http_cache import not_modified, render_page, shared_page
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
@shared_page
def home():
    unchanged = not_modified()
    if unchanged:
        return unchanged
    viewed = recently_viewed_ids(
        current_buyer_id(), visitor_key(), current_app.config["RECENTLY_VIEWED"]
    )
    return render_page("pages/home.html", recently_viewed=viewed)


@bp.route("/about")
@shared_page
def about():
    mtime = (ROOT / "content" / "about.md").stat().st_mtime
    unchanged = not_modified(mtime)
    if unchanged:
        return unchanged
    return render_page("pages/about.html", body=_about_html(mtime))
