"""Orders on the staff desk: the console (filters, search), the order page, lifecycle moves and
internal notes; also the orders on a rep's desk (from their quotes) and the balance request.

Every staff role reads orders (VIEW_ORDERS); who may make a lifecycle move is the table in
shop/orders/states.py, checked again under the order's row lock. Payments, transfers, delivery
and dispute evidence are panels of the order page, with their own routes and permissions.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.roles import Permission, can
from shop.auth.session import permission_required
from shop.db import utcnow
from shop.delivery import services as delivery_services
from shop.delivery.models import DeliveryAppointment
from shop.delivery.states import DeliveryStatus
from shop.errors import DomainError, InvalidTransition, NotFound
from shop.extensions import db
from shop.money import Money
from shop.orders import console, emails, states
from shop.orders.models import Order
from shop.orders.services import PAYMENT_STATE_LABELS, lock_order
from shop.orders.states import ACTIONS, OrderStatus
from shop.orders.states import STAFF_LABELS as LABELS
from shop.quotes import closing
from shop.quotes.models import Quote
from shop.quotes.services import LABELS as QUOTE_LABELS
from shop.staff import evidence
from shop.staff.actions import run_action
from shop.staff.order_forms import MoveForm, NoteForm
from shop.timefmt import viewer_zone
from shop.unit_of_work import flash_form_errors, refusals
from shop.web import page_arg

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.orders.<view>.
bp = Blueprint("orders", __name__)


def desk_orders(user, limit: int = 20) -> list[Order]:
    """A rep's orders (from their quotes); MANAGE_STAFF sees every rep's. One query."""
    stmt = sa.select(Order).where(Order.rep_id.is_not(None))
    if not can(user.role, Permission.MANAGE_STAFF):
        stmt = stmt.where(Order.rep_id == user.id)
    return list(db.session.scalars(stmt.order_by(Order.created_at.desc()).limit(limit)))


@bp.route("/orders/<number>/balance", methods=["POST"])
@permission_required(Permission.BUILD_QUOTES)
def request_balance(number: str):
    stmt = sa.select(Order).where(Order.number == number[:20])
    if not can(current_user.role, Permission.MANAGE_STAFF):
        stmt = stmt.where(Order.rep_id == current_user.id)
    order = db.session.scalar(stmt)
    if order is None:
        raise NotFound("No such order.")
    method = "bank_transfer" if request.form.get("method") == "bank_transfer" else "card"
    with refusals() as refused:
        payment = closing.request_balance(order.id, current_user, method)
    if not refused:
        amount = Money(payment.amount_cents, payment.currency)
        flash(f"Balance request for {amount} sent to {order.email}.", "success")
    return redirect(url_for("staff.home"), 303)


# --- the console ----------------------------------------------------------------------------


@bp.route("/orders")
@permission_required(Permission.VIEW_ORDERS)
def orders():
    """Every order, newest first, filtered and searched; 25 a page, a fixed number of queries."""
    filters = console.parse_filters(request.args)
    for problem in filters.problems:
        flash(problem, "error")
    # Dates are days on the reader's clock, the one the "Placed" column is shown on (a
    # person who never chose a zone reads the store's, never UTC).
    zone = viewer_zone()
    result = console.console_page(filters, page_arg(request.args.get("page")), zone)
    return render_template(
        "staff/orders.html",
        page=result.page,
        reps=result.reps,
        methods=result.methods,
        filters=filters,
        labels=LABELS,
        statuses=OrderStatus,
        payment_labels=PAYMENT_STATE_LABELS,
        delivery_labels=console.DELIVERY_LABELS,
        dispute_labels=console.DISPUTE_FILTERS,
        me=current_user,
        zone=zone,
    )


# --- one order ------------------------------------------------------------------------------


def _order_or_404(number: str) -> Order:
    if not console.plausible_number(number):
        raise NotFound("No such order.")
    order = db.session.scalar(sa.select(Order).where(Order.number == number))
    if order is None:
        raise NotFound("No such order.")
    return order


# Scheduling a delivery books a window with a crew: the delivery panel does that.
OFFERED = frozenset(OrderStatus) - {OrderStatus.DELIVERY_SCHEDULED}


# With a window booked, delivered and back-to-paid go through the delivery panel (its own
# "Mark delivered" and "Cancel the window"): `_move` refuses them here, so no button offers them.
PANEL_MOVES = frozenset({OrderStatus.DELIVERED, OrderStatus.PAID})


def _staff_moves(order: Order, actor_kind: str, booked: bool = False) -> list[OrderStatus]:
    """The moves the page offers as buttons: the table's, less the ones other panels make."""
    offered = OFFERED - PANEL_MOVES if booked else OFFERED
    return [m for m in states.moves_for(order, actor_kind) if m in offered]


@bp.route("/orders/<number>")
@permission_required(Permission.VIEW_ORDERS)
def order_detail(number: str):
    file = console.order_file(number)
    order = file.order
    file.thread.quotes = _quotes_of(order)
    kind = states.actor_kind_of(current_user)
    appointments = _appointments(order)
    booked = order.status == OrderStatus.DELIVERY_SCHEDULED and any(
        a.status == DeliveryStatus.BOOKED for a in appointments
    )
    return render_template(
        "staff/order.html",
        order=order,
        payments=file.payments,
        refunds=file.refunds,
        receipts=file.receipts,
        appointments=appointments,
        acceptance=evidence.acceptance(order),
        thread=file.thread,
        notes=file.notes,
        moves=_staff_moves(order, kind, booked),
        booked=booked,
        me=current_user,
        now=utcnow(),
        labels=LABELS,
        actions=ACTIONS,
        payment_labels=PAYMENT_STATE_LABELS,
        quote_labels=QUOTE_LABELS,
    )


def _appointments(order: Order) -> list[DeliveryAppointment]:
    """The order's delivery windows, newest first (one query)."""
    return list(
        db.session.scalars(
            sa.select(DeliveryAppointment)
            .where(DeliveryAppointment.order_id == order.id)
            .order_by(DeliveryAppointment.id.desc())
        )
    )


def _booked_appointment(order: Order) -> DeliveryAppointment | None:
    return db.session.scalar(
        sa.select(DeliveryAppointment)
        .where(
            DeliveryAppointment.order_id == order.id,
            DeliveryAppointment.status == DeliveryStatus.BOOKED,
        )
        .limit(1)
    )


def _quotes_of(order: Order) -> list[Quote]:
    """The buyer's quotes: the order's own, and any by their account or email (one query)."""
    match = [sa.func.lower(Quote.email) == (order.email or "").strip().lower()]
    match.append(Quote.order_id == order.id)
    if order.user_id:
        match.append(Quote.buyer_id == order.user_id)
    if order.quote_id:
        match.append(Quote.id == order.quote_id)
    return list(
        db.session.scalars(
            sa.select(Quote)
            .where(sa.or_(*match))
            .order_by(Quote.created_at.desc(), Quote.id.desc())
            .limit(50)
        )
    )


def _back(order: Order):
    return redirect(url_for("staff.orders.order_detail", number=order.number), 303)


def _may_ever(target: OrderStatus, actor_kind: str) -> bool:
    """Whether the table lets this actor make a move to `target` from any status."""
    return any(actor_kind in who for (_, to), who in states.MOVES.items() if to == target)


@bp.route("/orders/<number>/status", methods=["POST"])
@permission_required(Permission.VIEW_ORDERS)
def order_move(number: str):
    """One lifecycle move, if the table allows it for my role from the order's status now."""
    order = _order_or_404(number)
    form = MoveForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order)
    try:
        target = OrderStatus(form.to.data)
    except ValueError:
        flash("That is not a status an order can have.", "error")
        return _back(order)
    kind = states.actor_kind_of(current_user)
    if not _may_ever(target, kind):
        abort(403)
    if target == OrderStatus.DELIVERY_SCHEDULED:
        flash("To schedule delivery, pick a delivery window in the delivery panel.", "error")
        return _back(order)
    note = form.note.data or ""
    if target == OrderStatus.CANCELLED:
        return _cancel(order, kind, note)
    with refusals() as refused:
        message = _move(order, target, kind, note)
    if not refused:
        flash(message, "success")
    return _back(order)


def _refusal(order: Order, target: OrderStatus) -> InvalidTransition:
    current = LABELS[OrderStatus(order.status)].lower()
    return InvalidTransition(
        f"Order {order.number} is {current}: it cannot become {LABELS[target].lower()} now."
    )


def _move(order: Order, target: OrderStatus, kind: str, note: str) -> str:
    locked = lock_order(order.id)
    if not states.allowed(locked.status, target, kind):
        raise _refusal(locked, target)
    if (
        locked.status == OrderStatus.DELIVERY_SCHEDULED
        and target in (OrderStatus.PAID, OrderStatus.DELIVERED)
        and _booked_appointment(locked) is not None
    ):
        what = "cancel" if target == OrderStatus.PAID else "mark delivered"
        raise DomainError(f"A delivery window is booked: {what} it in the delivery panel.")
    states.transition(locked, target, actor_kind=kind, actor=current_user, note=note)
    emails.status_changed(locked, target.value)
    return f"Order {locked.number}: {LABELS[target].lower()}."


def _cancel(order: Order, kind: str, reason: str):
    """Cancel through the operations service: units back, holds voided, money refunded."""
    from shop.orders import operations  # the money side: voids, refunds, stock back

    if not states.allowed(order.status, OrderStatus.CANCELLED, kind):
        flash(_refusal(order, OrderStatus.CANCELLED).message, "error")
        return _back(order)
    if not reason:
        flash("Say why the order is cancelled: the buyer is told the reason.", "error")
        return _back(order)

    def cancel():
        outcome = operations.cancel_order(order.id, current_user, reason)
        booked = _booked_appointment(order)
        if booked is not None:  # the crew must not drive out to a cancelled order
            delivery_services.cancel(
                booked.id, actor=current_user, reason=f"Order cancelled: {reason}"
            )
        return outcome

    run_action(cancel)  # a failure at Stripe is undone, then written down
    return _back(order)


@bp.route("/orders/<number>/notes", methods=["POST"])
@permission_required(Permission.VIEW_ORDERS)
def order_note(number: str):
    """An internal note on the timeline: staff only, never on a buyer's page or email."""
    order = _order_or_404(number)
    form = NoteForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order)
    states.record(
        order,
        "note",
        form.body.data,
        actor=current_user,
        actor_kind=states.actor_kind_of(current_user),
        visible_to_buyer=False,
    )
    flash("Note added.", "success")
    return _back(order)
