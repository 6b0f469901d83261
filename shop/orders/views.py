"""The buyer's orders: history, order page, and the guest link from the confirmation email."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from shop.auth.roles import Permission, can
from shop.delivery.services import for_order_page
from shop.orders.models import line_label
from shop.orders.services import (
    access_token,
    buyer_events,
    buyer_orders,
    get_order,
    order_for_token,
    payments_of,
)
from shop.orders.states import LABELS, OrderStatus
from shop.web import page_arg

bp = Blueprint("orders", __name__)


@bp.app_template_filter("line_label")
def line_label_filter(line) -> str:
    """`{{ line|line_label }}`: "product (variant)", or the product alone when it has no variant."""
    return line_label(line.product_name, line.variant_name)


def _render(order, token: str):
    return render_template(
        "orders/detail.html",
        order=order,
        token=token,
        events=buyer_events(order),
        payments=payments_of(order),
        labels=LABELS,
        statuses=OrderStatus,
        delivery_window=for_order_page(order),
        just_placed=request.args.get("placed") == "1",
    )


@bp.route("/")
@login_required
def history():
    page = buyer_orders(current_user.id, page_arg(request.args.get("page")))
    return render_template("orders/history.html", page=page, labels=LABELS)


@bp.route("/<number>")
@login_required
def detail(number: str):
    if len(number) > 20:
        abort(404)
    order = get_order(number=number, user_id=current_user.id)
    return _render(order, access_token(order))


@bp.route("/view/<token>")
def guest_view(token: str):
    """The link in the buyer's emails; it cannot be guessed, and it works without logging in."""
    if len(token) > 200:
        abort(404)
    order = order_for_token(token)
    if (
        current_user.is_authenticated
        and not can(current_user.role, Permission.VIEW_ORDERS)
        and order.user_id is not None
        and order.user_id != current_user.id
    ):
        abort(404)  # another buyer's order, even with its link (as for quotes)
    return _render(order, token)
