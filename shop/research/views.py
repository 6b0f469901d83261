"""The compare list and its page."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from shop.cart.forms import EmptyForm
from shop.catalog.services import compare_rows, load_products
from shop.errors import NotFound
from shop.research import compare
from shop.research.models import ResearchKind
from shop.research.trail import note, write_held_events
from shop.unit_of_work import refusals
from shop.web import parse_id, safe_next

bp = Blueprint("research", __name__)
bp.before_app_request(write_held_events)


def _product_id() -> int:
    product_id = parse_id(request.form.get("product_id"))
    if product_id is None:
        raise NotFound("No such product.")
    return product_id


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
