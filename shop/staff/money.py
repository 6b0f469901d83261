"""The money desk: card holds about to lapse, bank transfers received, their approvals, and
asking a buyer for a new payment. Routes on the staff blueprint, each with its own permission.
"""

import secrets

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.roles import Permission
from shop.auth.session import permission_required
from shop.db import utcnow
from shop.errors import NotFound
from shop.extensions import db
from shop.money import Money
from shop.orders import holds as order_holds
from shop.orders.models import Order
from shop.orders.services import PAYMENT_STATE_LABELS
from shop.orders.states import STAFF_LABELS as LABELS
from shop.orders.states import OrderStatus
from shop.payments import holds, transfers
from shop.payments.models import Payment, TransferReceipt
from shop.staff import evidence
from shop.staff.dashboard import hold_rows, order_id_of
from shop.staff.money_forms import NewPaymentForm, RejectForm, TransferForm
from shop.unit_of_work import flash_form_errors, refusals

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.money.<view>.
bp = Blueprint("money", __name__)


def new_request_key() -> str:
    return secrets.token_urlsafe(24)


def money_panels():
    """What the order page's transfer and evidence panels need beyond the page's own context
    (a context processor of the whole staff blueprint: shop/staff/views.py)."""
    return {
        "transfer_request_key": new_request_key,
        "dispute_evidence": evidence.evidence,
        "transfer_approval_limit": transfers.approval_limit,
    }


def _order_or_404(number: str) -> Order:
    order = db.session.scalar(sa.select(Order).where(Order.number == (number or "")[:20]))
    if order is None:
        raise NotFound("No such order.")
    return order


# --- card holds -------------------------------------------------------------------------------


@bp.route("/holds")
@permission_required(Permission.VIEW_ORDERS)
def holds_page():
    """Authorized card holds lapsing within the warning window (and any past it), and live orders
    whose hold lapsed; a fixed number of queries."""
    now = utcnow()
    hours = holds.warning_hours()
    expired = list(
        db.session.scalars(
            sa.select(Order)
            .where(
                Order.payment_state == "payment_expired",
                Order.status.not_in((OrderStatus.CANCELLED.value, OrderStatus.COMPLETED.value)),
            )
            .order_by(Order.created_at.desc())
            .limit(50)
        )
    )
    return render_template(
        "staff/holds.html",
        rows=hold_rows(now, hours),
        expired=expired,
        hours=hours,
        now=now,
        me=current_user,
        labels=LABELS,
        payment_labels=PAYMENT_STATE_LABELS,
        form=NewPaymentForm(formdata=None),
    )


@bp.route("/orders/<number>/new-payment", methods=["POST"])
@permission_required(Permission.CAPTURE_PAYMENT)
def order_new_payment(number: str):
    """Ask the buyer to pay what is outstanding again (after a hold lapsed, say)."""
    order = _order_or_404(number)
    form = NewPaymentForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash("Choose how the buyer should pay.", "error")
        return _to_order(order)
    with refusals() as refused:
        payment = order_holds.request_new_payment(order.id, current_user, form.method.data)
    if refused:
        return _to_order(order)
    how = "card" if payment.method == "card" else "bank transfer"
    flash(
        f"{order.email} was asked to pay {Money(payment.amount_cents, payment.currency)} by {how}.",
        "success",
    )
    return _to_order(order)


def _to_order(order: Order):
    return redirect(url_for("staff.orders.order_detail", number=order.number), 303)


# --- bank transfers ---------------------------------------------------------------------------


def _transfer_page(form: TransferForm, status: int = 200):
    pending = transfers.pending()
    recent = transfers.recent()
    payments = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Payment).where(Payment.id.in_({r.payment_id for r in pending + recent}))
        )
    }
    order_ids = {order_id_of(p.reference) for p in payments.values()}
    orders = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Order).where(Order.id.in_({i for i in order_ids if i is not None}))
        )
    }
    order_of = {pid: orders.get(order_id_of(p.reference)) for pid, p in payments.items()}
    if not form.request_key.data:
        form.request_key.data = new_request_key()
    return (
        render_template(
            "staff/transfers.html",
            form=form,
            pending=pending,
            recent=recent,
            payments=payments,
            order_of=order_of,
            reject_form=RejectForm(formdata=None),
            limit=transfers.approval_limit(),
            me=current_user,
        ),
        status,
    )


@bp.route("/transfers", methods=["GET", "POST"])
@permission_required(Permission.RECORD_TRANSFER, Permission.APPROVE_TRANSFER, methods=["GET"])
@permission_required(Permission.RECORD_TRANSFER, methods=["POST"])
def transfers_page():
    """Record a bank transfer seen on the statement; receipts waiting for approval."""
    if request.method == "GET":
        return _transfer_page(TransferForm(formdata=None))
    form = TransferForm()
    from_order = form.back.data == "order"
    if not form.validate_on_submit():
        if from_order:
            flash_form_errors(form)
            return _refused_on_order(form)
        if "csrf_token" in form.errors:
            abort(400)
        return _transfer_page(form, 400)
    # From an order page the refusal is flashed there; on this page it stands on the form.
    with refusals(None if from_order else form) as refused:
        receipt = transfers.record_receipt(
            reference_text=form.reference.data,
            amount_cents=form.cents,
            received_on=form.received_on.data,
            payer=form.payer.data,
            actor=current_user,
            request_key=form.request_key.data,
        )
    if refused:
        return _refused_on_order(form) if from_order else _transfer_page(form, 400)
    payment = db.session.get(Payment, receipt.payment_id)
    order = db.session.get(Order, order_id_of(payment.reference) or 0)
    where = f" for order {order.number}" if order else ""
    amount = Money(receipt.amount_cents, receipt.currency)
    if receipt.status == "pending_approval":
        flash(
            f"Transfer of {amount}{where} recorded; above {Money(transfers.approval_limit())} it "
            "waits for a second staff member's approval.",
            "success",
        )
    else:
        left = transfers.outstanding(payment)
        rest = f" {left} is still outstanding on this payment." if left.cents else ""
        flash(f"Transfer of {amount}{where} recorded and applied.{rest}", "success")
    if from_order and order is not None:
        return _to_order(order)
    return redirect(url_for("staff.money.transfers_page"), 303)


def _refused_on_order(form: TransferForm):
    """A refused form sent from an order page: back to that order (why is flashed)."""
    payment = transfers.find_by_reference(form.reference.data or "")
    order = payment and db.session.get(Order, order_id_of(payment.reference) or 0)
    if order is None:
        return redirect(url_for("staff.money.transfers_page"), 303)
    return _to_order(order)


def _decided(receipt: TransferReceipt):
    """Back where the decision was made: the order page, or the transfers page."""
    if request.form.get("back") == "order":
        payment = db.session.get(Payment, receipt.payment_id)
        order = db.session.get(Order, order_id_of(payment.reference) or 0)
        if order is not None:
            return _to_order(order)
    return redirect(url_for("staff.money.transfers_page"), 303)


def _receipt_or_404(receipt_id: int) -> TransferReceipt:
    receipt = db.session.get(TransferReceipt, receipt_id)
    if receipt is None:
        raise NotFound("No such transfer receipt.")
    return receipt


@bp.route("/transfers/<id:receipt_id>/approve", methods=["POST"])
@permission_required(Permission.APPROVE_TRANSFER)
def transfer_approve(receipt_id: int):
    receipt = _receipt_or_404(receipt_id)
    with refusals() as refused:
        transfers.approve(receipt.id, current_user)
    if refused:
        return _decided(receipt)
    flash(
        f"Transfer of {Money(receipt.amount_cents, receipt.currency)} approved and applied.",
        "success",
    )
    return _decided(receipt)


@bp.route("/transfers/<id:receipt_id>/reject", methods=["POST"])
@permission_required(Permission.APPROVE_TRANSFER)
def transfer_reject(receipt_id: int):
    receipt = _receipt_or_404(receipt_id)
    form = RejectForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash("Say why the transfer is rejected.", "error")
        return _decided(receipt)
    with refusals() as refused:
        transfers.reject(receipt.id, current_user, form.reason.data)
    if refused:
        return _decided(receipt)
    flash("Transfer rejected; nothing was applied.", "success")
    return _decided(receipt)
