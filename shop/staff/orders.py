"""The orders on a rep's desk (attributed to them by their quotes) and the balance request.

The full order console (filters, lifecycle, captures, refunds) comes with the staff-operations
issue; this is what closing a quote needs now.
"""

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_login import current_user

from shop.auth.roles import Role
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.money import Money
from shop.orders.models import Order
from shop.quotes import closing
from shop.staff.views import bp


def desk_orders(user, limit: int = 20) -> list[Order]:
    """A rep's orders (from their quotes); a manager sees every rep's. One query."""
    stmt = sa.select(Order).where(Order.rep_id.is_not(None))
    if user.role != Role.MANAGER.value:
        stmt = stmt.where(Order.rep_id == user.id)
    return list(db.session.scalars(stmt.order_by(Order.created_at.desc()).limit(limit)))


@bp.route("/orders/<number>/balance", methods=["POST"])
def request_balance(number: str):
    if current_user.role not in (Role.REP.value, Role.MANAGER.value):
        return redirect(url_for("staff.home"))
    stmt = sa.select(Order).where(Order.number == number[:20])
    if current_user.role != Role.MANAGER.value:
        stmt = stmt.where(Order.rep_id == current_user.id)
    order = db.session.scalar(stmt)
    if order is None:
        raise NotFound("No such order.")
    method = "bank_transfer" if request.form.get("method") == "bank_transfer" else "card"
    try:
        payment = closing.request_balance(order.id, current_user, method)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        amount = Money(payment.amount_cents, payment.currency)
        flash(f"Balance request for {amount} sent to {order.email}.", "success")
    return redirect(url_for("staff.home"), 303)
