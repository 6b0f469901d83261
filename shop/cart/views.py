"""The cart page and the forms that change it."""

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from shop.cart.forms import (
    QUANTITY_REFUSED,
    REFUSED_QUANTITY,
    AddToCartForm,
    EmptyForm,
    UpdateLineForm,
)
from shop.cart.services import add_item, get_or_create_cart, remove_line, set_quantity, view_cart
from shop.catalog.cache import generation
from shop.errors import NotFound
from shop.unit_of_work import refusals
from shop.web import owner, safe_next

bp = Blueprint("cart", __name__)
TYPED_QUANTITY_MAX = 12  # characters kept of a refused quantity (a quantity has at most 9)


def _render_cart(status: int = 200, errors: dict | None = None):
    view = view_cart(**owner())
    g.cart_count = view.units  # the header's count (shop.web): known already, no second query
    generation()  # read with the lines, unless the cart is empty: the header's categories need it
    return render_template("cart/cart.html", view=view, line_errors=errors or {}), status


@bp.route("/")
def show():
    return _render_cart()


@bp.route("/add", methods=["POST"])
def add():
    form = AddToCartForm()
    back = safe_next(request.form.get("next"), url_for("cart.show"))
    variant_id = form.variant()
    if form.validate_on_submit() and variant_id is not None:
        # Flashed here, under the category the product page shows beside its quantity field.
        with refusals(flash_it=False) as refused:
            line = add_item(get_or_create_cart(**owner()), variant_id, form.quantity.data)
        if refused:
            flash(refused.message, QUANTITY_REFUSED)
            _keep_typed_quantity(variant_id)
            return redirect(back), 303
        flash(f"Added to your cart ({line.quantity} in cart).", "success")
        return redirect(url_for("cart.show")), 303
    if variant_id is None:
        raise NotFound("No such item.")
    for message in form.quantity.errors:
        flash(message, QUANTITY_REFUSED)
    _keep_typed_quantity(variant_id)
    return redirect(back), 303


def _keep_typed_quantity(variant_id: int) -> None:
    """What the buyer typed, for the product page to show again beside its error: they correct
    their number rather than type it anew (the field would otherwise say 1)."""
    typed = (request.form.get("quantity") or "").strip()[:TYPED_QUANTITY_MAX]
    session[REFUSED_QUANTITY] = {"variant": variant_id, "typed": typed}


@bp.route("/lines/<id:line_id>", methods=["POST"])
def update(line_id: int):
    form = UpdateLineForm()
    if not form.validate_on_submit():
        return _render_cart(400, {line_id: form.quantity.errors[0]})
    with refusals(flash_it=False) as refused:  # shown beside the line's quantity
        set_quantity(get_or_create_cart(**owner()), line_id, form.quantity.data)
    if refused:
        return _render_cart(400, {line_id: refused.message})
    flash("Quantity updated.", "success")
    return redirect(url_for("cart.show")), 303


@bp.route("/lines/<id:line_id>/remove", methods=["POST"])
def remove(line_id: int):
    EmptyForm().validate_on_submit()  # CSRF is checked globally; nothing else to read
    remove_line(get_or_create_cart(**owner()), line_id)
    flash("Removed from your cart.", "info")
    return redirect(url_for("cart.show")), 303
