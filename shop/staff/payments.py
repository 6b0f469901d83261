"""Card payment actions on the staff order page: capture, void, refund, and refund approvals.

Each route checks its own permission (403 otherwise), finds the order and a payment of that
order (404 otherwise), calls one service and redirects 303 to the order page with a message.
When Stripe fails, the action is undone (the order and payment stay as they were) and the
failure is then written to the timeline and the audit trail (shop.staff.actions.run_action).
"""

import secrets

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, url_for
from flask_login import current_user

from shop.auth.roles import Permission
from shop.auth.session import permission_required
from shop.errors import NotFound
from shop.extensions import db
from shop.orders import operations
from shop.orders.models import Order
from shop.payments import holds, refunds
from shop.payments.models import Payment, Refund
from shop.staff.actions import run_action
from shop.staff.payment_forms import ApproveForm, CaptureForm, RefundForm, RejectForm, VoidForm
from shop.unit_of_work import flash_form_errors

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.payments.<view>.
bp = Blueprint("payments", __name__)


def payment_panel():
    """What the order page's payment panel needs beyond the page's own context
    (a context processor of the whole staff blueprint: shop/staff/views.py)."""
    return {
        "refund_request_key": lambda: secrets.token_urlsafe(24),
        "refund_approval_limit": refunds.approval_limit_cents,
        "refund_labels": refunds.STATUS_LABELS,
        "refund_may_retry": refunds.may_retry,
        "hold_deadline": holds.deadline,
    }


def _order(number: str) -> Order:
    if not number or len(number) > 20:
        raise NotFound("No such order.")
    order = db.session.scalar(sa.select(Order).where(Order.number == number))
    if order is None:
        raise NotFound("No such order.")
    return order


def _payment(order: Order, payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.reference != f"order:{order.id}":
        raise NotFound("No such payment on this order.")
    return payment


def _refund(refund_id: int) -> tuple[Order, Refund]:
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        raise NotFound("No such refund.")
    payment = db.session.get(Payment, refund.payment_id)
    kind, _, value = payment.reference.partition(":")
    order = db.session.get(Order, int(value)) if kind == "order" and value.isdigit() else None
    if order is None:
        raise NotFound("No such refund.")
    return order, refund


def _back(number: str):
    return redirect(url_for("staff.orders.order_detail", number=number), 303)


@bp.route("/orders/<number>/payments/<id:payment_id>/capture", methods=["POST"])
@permission_required(Permission.CAPTURE_PAYMENT)
def payment_capture(number: str, payment_id: int):
    order = _order(number)
    payment = _payment(order, payment_id)
    form = CaptureForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order.number)
    amount = form.amount.cents
    run_action(lambda: operations.capture_payment(order.id, payment.id, amount, current_user))
    return _back(order.number)


@bp.route("/orders/<number>/payments/<id:payment_id>/void", methods=["POST"])
@permission_required(Permission.CAPTURE_PAYMENT)
def payment_void(number: str, payment_id: int):
    order = _order(number)
    payment = _payment(order, payment_id)
    form = VoidForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order.number)
    reason = form.reason.data
    run_action(lambda: operations.void_payment(order.id, payment.id, current_user, reason))
    return _back(order.number)


@bp.route("/orders/<number>/payments/<id:payment_id>/refund", methods=["POST"])
@permission_required(Permission.REQUEST_REFUND)
def payment_refund(number: str, payment_id: int):
    order = _order(number)
    payment = _payment(order, payment_id)
    form = RefundForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order.number)
    amount, reason, key = form.amount.cents, form.reason.data, form.request_key.data
    run_action(
        lambda: operations.request_refund(order.id, payment.id, amount, reason, current_user, key)
    )
    return _back(order.number)


@bp.route("/refunds/<id:refund_id>/approve", methods=["POST"])
@permission_required(Permission.APPROVE_REFUND)
def refund_approve(refund_id: int):
    order, refund = _refund(refund_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order.number)
    run_action(lambda: operations.approve_refund(refund.id, current_user))
    return _back(order.number)


@bp.route("/refunds/<id:refund_id>/reject", methods=["POST"])
@permission_required(Permission.APPROVE_REFUND)
def refund_reject(refund_id: int):
    order, refund = _refund(refund_id)
    form = RejectForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order.number)
    reason = form.reason.data
    run_action(lambda: operations.reject_refund(refund.id, current_user, reason))
    return _back(order.number)


@bp.route("/refunds/<id:refund_id>/retry", methods=["POST"])
@permission_required(Permission.REQUEST_REFUND)
def refund_retry(refund_id: int):
    """Send a failed refund again: whoever could have sent it (see refunds.may_retry)."""
    order, refund = _refund(refund_id)
    if refund.status == refunds.FAILED and not refunds.may_retry(refund, current_user):
        abort(403)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order.number)
    run_action(lambda: operations.retry_refund(refund.id, current_user))
    return _back(order.number)
