"""Staff desk: its home and buyer pages, and the one place that nests every staff page module's
blueprint under the staff one (shop/staff/blueprint.py holds that and its guard)."""

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user

from shop.auth.models import User
from shop.auth.roles import Permission, Role, can
from shop.auth.session import permission_required
from shop.cart.services import view_cart
from shop.errors import NotFound
from shop.extensions import db
from shop.orders.services import PAYMENT_STATE_LABELS
from shop.orders.states import STAFF_LABELS as LABELS
from shop.research.services import trail
from shop.staff import (
    audit,
    consultations,
    delivery,
    money,
    orders,
    payments,
    questions,
    quotes,
    returns,
    schedule,
    support,
    voice,
)
from shop.staff.blueprint import bp
from shop.staff.dashboard import for_user
from shop.web import page_arg


@bp.route("/")
@permission_required(Permission.STAFF_DESK)
def home():
    buyers = db.paginate(
        sa.select(User).where(User.role == Role.BUYER.value).order_by(User.created_at.desc()),
        page=page_arg(request.args.get("page")),
        per_page=25,
        error_out=False,
    )
    return render_template(
        "staff/home.html",
        buyers=buyers,
        me=current_user,
        orders=orders.desk_orders(current_user)
        if can(current_user.role, Permission.BUILD_QUOTES)
        else [],
        order_labels=LABELS,
        payment_labels=PAYMENT_STATE_LABELS,
        board=for_user(current_user),
    )


@bp.route("/buyers/<id:user_id>")
@permission_required(Permission.VIEW_BUYER_THREAD)
def buyer(user_id: int):
    person = db.session.get(User, user_id)
    if person is None or person.role != Role.BUYER.value:
        raise NotFound("No such buyer.")
    return render_template(
        "staff/buyer.html",
        person=person,
        trail=trail(person.id),
        cart=view_cart(user_id=person.id),
    )


# The pages, each its own blueprint nested here (endpoints staff.<page>.<view>); the parent's guard
# (shop/staff/blueprint.py) runs for every one of them. This is the one place that imports them,
# and none imports this module back.
for _page in (audit, consultations, delivery, money, orders, payments, questions, quotes,
              returns, schedule, support, voice):  # fmt: skip
    bp.register_blueprint(_page.bp)

# Panels drawn by pages of more than one area (the order page shows payments, transfers and
# evidence; the ticket page shows returns): their context on the whole staff blueprint.
bp.context_processor(money.money_panels)
bp.context_processor(payments.payment_panel)
bp.context_processor(returns.after_sale_panels)
