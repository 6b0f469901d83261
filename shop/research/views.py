"""The compare list and its page."""

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import generate_csrf

from shop.cart.forms import EmptyForm
from shop.catalog.models import Product
from shop.catalog.services import compare_rows, load_products
from shop.errors import NotFound
from shop.extensions import db
from shop.research import compare
from shop.research.models import ResearchKind
from shop.research.trail import note, write_held_events
from shop.unit_of_work import refusals
from shop.web import brings_session, parse_id, safe_next

bp = Blueprint("research", __name__)
bp.before_app_request(write_held_events)


def _product_id() -> int:
    product_id = parse_id(request.form.get("product_id"))
    if product_id is None:
        raise NotFound("No such product.")
    return product_id


@bp.route("/visit")
def visit():
    """Where app.js starts the session of a visitor who got a shared catalog page
    (shop.catalog.http_cache): the page's event goes on their trail (held in the new session,
    as on any first visit), and the answer is their CSRF token, for the page's forms.

    Only a visitor without a session is noted (anyone else's pages note their own events), so
    this GET writes nothing to the database. Nor can another site use it against a signed-in
    buyer: their SameSite=Lax cookie comes with a cross-site link (then they have a session and
    nothing is noted), and the answer to a cross-site image or fetch cannot set such a cookie."""
    if not brings_session():
        kind = request.args.get("kind")
        product_id = parse_id(request.args.get("product"))
        query = (request.args.get("q") or "").strip()[:200]
        if kind == ResearchKind.VIEWED and product_id and db.session.get(Product, product_id):
            note(ResearchKind.VIEWED, product_id=product_id)
        elif kind == ResearchKind.SEARCHED and query:
            note(ResearchKind.SEARCHED, query=query)
    return jsonify(csrf_token=generate_csrf())


@bp.route("/compare")
def compare_page():
    products = load_products(session.get("compare", []), with_specs=True)
    return render_template(
        "catalog/compare.html",
        products=products,
        rows=compare_rows(products) if products else [],
        form=EmptyForm(),
    )


@bp.route("/compare/add", methods=["POST"])
def compare_add():
    product_id = _product_id()
    if not load_products([product_id]):
        raise NotFound("No such product.")
    back = safe_next(request.form.get("next"), url_for("research.compare_page"))
    with refusals() as refused:
        ids = compare.add(session.get("compare", []), product_id, current_app.config["COMPARE_MAX"])
    if refused:
        return redirect(back), 303
    session["compare"] = ids
    note(ResearchKind.COMPARED, product_id=product_id)
    flash("Added to your comparison.", "success")
    return redirect(back), 303


@bp.route("/compare/remove", methods=["POST"])
def compare_remove():
    session["compare"] = compare.remove(session.get("compare", []), _product_id())
    back = safe_next(request.form.get("next"), url_for("research.compare_page"))
    return redirect(back), 303
