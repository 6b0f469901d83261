"""Staff desk: its home and buyer pages, and the one place that imports every staff page module
so their routes land on the blueprint (shop/staff/blueprint.py holds it and its guard)."""

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user

from shop.auth.models import User
from shop.auth.roles import Permission, Role, can
from shop.auth.session import permission_required
from shop.cart.services import view_cart
from shop.errors import NotFound
from shop.extensions import db
from shop.research.services import trail
from shop.staff.blueprint import bp
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
    from shop.orders.services import PAYMENT_STATE_LABELS
    from shop.orders.states import STAFF_LABELS as LABELS
    from shop.staff.dashboard import for_user
    from shop.staff.orders import desk_orders

    return render_template(
        "staff/home.html",
        buyers=buyers,
        me=current_user,
        orders=desk_orders(current_user) if can(current_user.role, Permission.BUILD_QUOTES) else [],
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


from shop.staff import audit as _audit  # noqa: E402,F401  (its routes on bp)
from shop.staff import consultations as _consultations  # noqa: E402,F401  (its routes on bp)
from shop.staff import delivery as _delivery  # noqa: E402,F401  (its routes on bp)
from shop.staff import money as _money  # noqa: E402,F401  (its routes on bp)
from shop.staff import orders as _orders  # noqa: E402,F401  (its routes on bp)
from shop.staff import payments as _payments  # noqa: E402,F401  (its routes on bp)
from shop.staff import questions as _questions  # noqa: E402,F401  (its routes on bp)
from shop.staff import quotes as _quotes  # noqa: E402,F401  (its routes on bp)
from shop.staff import returns as _returns  # noqa: E402,F401  (its routes on bp)
from shop.staff import schedule as _schedule  # noqa: E402,F401  (its routes on bp)
from shop.staff import support as _support  # noqa: E402,F401  (its routes on bp)
from shop.staff import voice as _voice  # noqa: E402,F401  (its routes on bp)
