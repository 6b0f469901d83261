"""The cart page and the forms that change it."""

from flask import (
    Blueprint,
    flash,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup

from shop.cart.forms import (
    QUANTITY_REFUSED,
    REFUSED_QUANTITY,
    TYPED_MAX,
    AddToCartForm,
    CartForm,
    RemoveLineForm,
)
from shop.cart.services import (
    add_item,
    get_or_create_cart,
    remove_line,
    set_quantities,
    view_cart,
)
from shop.catalog.cache import cached_many, generation
from shop.errors import NotFound
from shop.unit_of_work import refusals
from shop.web import owner, safe_next

bp = Blueprint("cart", __name__)


def render_cart(
    status: int = 200, errors: dict | None = None, typed: dict | None = None, **context
):
    """The cart page: `errors` and `typed` by line id (a refused update), and what another
    form posted from it brings back (the quote request's `quote_form`)."""
    view = view_cart(**owner())
    g.cart_count = view.units  # the header's count (shop.web): known already, no second query
    generation()  # read with the lines, unless the cart is empty: the header's categories need it
    return render_template(
        "cart/cart.html",
        view=view,
        items=_item_cells(view.rows),
        line_errors=errors or {},
        typed=typed or {},
        **context,
    ), status


def _item_cells(rows) -> dict[int, Markup]:
    """Each line's item cell (picture, product link, names, SKU) by variant id: catalog data the
    same in every cart, so rendered once per variant and catalog generation and kept with the
    catalog, like a product page's fragments. A cart's own parts (quantity, totals, errors)
    are rendered on every view."""
    by_variant = {row.variant_id: row for row in rows}
    macro = get_template_attribute("cart/_line.html", "item_cell")
    cells = cached_many(
        [("cart_item", variant_id) for variant_id in by_variant],
        lambda keys: {key: macro(by_variant[key[1]]) for key in keys},
    )
    return {key[1]: cell for key, cell in cells.items()}


@bp.route("/")
def show():
    return render_cart()


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
    typed = (request.form.get("quantity") or "").strip()[:TYPED_MAX]
    session[REFUSED_QUANTITY] = {"variant": variant_id, "typed": typed}


@bp.route("/update", methods=["POST"])
def update():
    """The cart form: every line's quantity, saved together or not at all."""
    form = CartForm()  # its CSRF token is checked before any view (CSRFProtect)
    if not form.validate_on_submit():
        errors = form.errors_by_line()
        if not errors:  # no lines, too many, or a line id that is not one
            raise NotFound("No such line in your cart.")
        return render_cart(400, errors, form.typed_by_line())
    quantities = form.quantities()
    if quantities is None:
        raise NotFound("No such line in your cart.")
    with refusals(flash_it=False) as refused:  # shown beside each refused line's quantity
        changed = set_quantities(get_or_create_cart(**owner()), quantities)
    if refused:
        return render_cart(400, getattr(refused.error, "by_line", {}), form.typed_by_line())
    if changed:
        flash("Quantity updated." if changed == 1 else "Quantities updated.", "success")
    return redirect(url_for("cart.show")), 303


@bp.route("/remove", methods=["POST"])
def remove():
    form = RemoveLineForm()
    line_id = form.line_id() if form.validate_on_submit() else None
    if line_id is None:
        raise NotFound("No such line in your cart.")
    remove_line(get_or_create_cart(**owner()), line_id)
    flash("Removed from your cart.", "info")
    return redirect(url_for("cart.show")), 303
