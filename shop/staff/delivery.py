"""Delivery on the staff desk: book, move or cancel a window, ask the buyer to pick one, mark it
delivered; the crew's list of today's and upcoming deliveries, and a delivery's sheet.

Booking, moving, cancelling and the buyer's link need SCHEDULE_DELIVERY (reps, support,
managers), which also opens every crew's deliveries. The list, the sheet (VIEW_DELIVERIES) and
marking delivered (MARK_DELIVERED) are the crew's too, on its own deliveries only: another
crew's, or a cancelled one, is a 404. The sheet carries what the crew needs at the door (the
window, address, contact, items, serials, instructions) and nothing about money or the buyer's
other business. Actions go back to the order page (303), or to the list or sheet they were
posted from.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.models import User
from shop.auth.roles import Permission, can
from shop.auth.session import permission_required
from shop.db import utcnow
from shop.delivery import services
from shop.delivery.forms import CancelForm, DeliveredForm, LinkForm, WindowForm
from shop.delivery.models import DeliveryAppointment
from shop.delivery.states import DeliveryStatus, allowed_moves
from shop.errors import NotFound
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.orders.states import OrderStatus, actor_kind_of
from shop.support.models import WarrantyRegistration
from shop.timefmt import zone_name
from shop.unit_of_work import flash_form_errors, refusals

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.delivery.<view>.
bp = Blueprint("delivery", __name__)

# --- the panel on the order page ------------------------------------------------------------


@dataclass
class Panel:
    """What templates/staff/order/_delivery.html shows for one order."""

    needs_window: bool
    live: DeliveryAppointment | None
    appointments: list[DeliveryAppointment]
    people: dict[int, User]  # crews (and who marked deliveries), by id
    may_act: bool
    can_book: bool = False
    can_move: bool = False
    can_deliver: bool = False
    can_cancel: bool = False
    days: list = field(default_factory=list)  # [(day label, [Window])]
    blocked: str = ""  # why nothing can be booked now
    ready_from: str = ""  # the first day the goods can be delivered, when still to come


def delivery_panel(order: Order, appointments=None) -> Panel:
    """The delivery panel's facts, in a fixed number of queries (windows only when bookable)."""
    if appointments is None:
        appointments = services.appointments_of(order.id)
    appointments = list(appointments)
    live = next((a for a in appointments if a.status == DeliveryStatus.BOOKED), None)
    ids = {a.crew_id for a in appointments} | {
        a.delivered_by_id for a in appointments if a.delivered_by_id
    }
    people = (
        {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    may_act = can(getattr(current_user, "role", None), Permission.SCHEDULE_DELIVERY)
    panel = Panel(
        needs_window=services.needs_window(order),
        live=live,
        appointments=appointments,
        people=people,
        may_act=may_act,
    )
    disputed = order.dispute_status == "open"
    if disputed:
        panel.blocked = "Fulfilment is stopped while a card dispute is open."
    elif not panel.needs_window:
        panel.blocked = "No line of this order goes by white-glove delivery."
    elif live is None and order.status != OrderStatus.PAID:
        panel.blocked = "A delivery window can be booked once the order is paid in full."
    if not may_act:
        return panel
    panel.can_book = live is None and not panel.blocked
    panel.can_move = (
        live is not None and not disputed and order.status == OrderStatus.DELIVERY_SCHEDULED
    )
    # Offered only where both lifecycle tables allow the move now.
    panel.can_deliver = live is not None and services.may_mark_delivered(
        live, order, actor_kind_of(current_user)
    )
    panel.can_cancel = live is not None and DeliveryStatus.CANCELLED in allowed_moves(live)
    if panel.can_book or panel.can_move:
        now = utcnow()
        earliest = services.earliest_delivery(order)
        if earliest is not None and earliest > now:
            panel.ready_from = services.day_label(earliest)
        offer = services.offer(now, moving=live, earliest=earliest)
        panel.days = offer.by_day()
    return panel


@bp.app_template_global("delivery_panel")
def _delivery_panel_global(order, appointments=None):
    return delivery_panel(order, appointments)


# --- actions --------------------------------------------------------------------------------


def _order(number: str) -> Order:
    order = db.session.scalar(sa.select(Order).where(Order.number == (number or "")[:20]))
    if order is None:
        raise NotFound("No such order.")
    return order


def _appointment(reference: str) -> DeliveryAppointment:
    appointment = db.session.scalar(
        sa.select(DeliveryAppointment).where(DeliveryAppointment.reference == reference[:16])
    )
    if appointment is None:
        raise NotFound("No such delivery.")
    return appointment


def _serves_every_crew() -> bool:
    """Dispatchers see and act on every crew's deliveries; a crew only on its own."""
    return can(current_user.role, Permission.SCHEDULE_DELIVERY)


def _served(reference: str) -> DeliveryAppointment:
    """A delivery the current user serves: any for a dispatcher; for a crew, its own booked or
    delivered ones. Anything else is the same 404 as a delivery that does not exist."""
    appointment = _appointment(reference)
    if not _serves_every_crew() and (
        appointment.crew_id != current_user.id or appointment.status not in services.BUSY
    ):
        raise NotFound("No such delivery.")
    return appointment


def _back(number: str, reference: str | None = None):
    back = request.form.get("back")
    if back == "deliveries":
        return redirect(url_for("staff.delivery.deliveries"), 303)
    if back == "sheet" and reference:
        return redirect(url_for("staff.delivery.delivery_sheet", reference=reference), 303)
    if not can(current_user.role, Permission.VIEW_ORDERS):  # the crew has no order pages
        return redirect(url_for("staff.delivery.deliveries"), 303)
    return redirect(url_for("staff.orders.order_detail", number=number), 303)


def _me() -> User:
    return current_user._get_current_object()


@bp.route("/orders/<number>/delivery", methods=["POST"])
@permission_required(Permission.SCHEDULE_DELIVERY)
def delivery_book(number: str):
    order = _order(number)
    form = WindowForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order.number)

    with refusals() as refused:
        crew_id, starts_at = services.parse_window(form.window.data)
        services.book(
            order.id,
            starts_at,
            crew_id,
            actor=_me(),
            actor_kind=actor_kind_of(current_user),
            instructions=form.instructions.data or "",
        )
    if not refused:
        flash("Delivery window booked; the buyer has been sent the confirmation.", "success")
    return _back(order.number)


@bp.route("/delivery/<reference>/reschedule", methods=["POST"])
@permission_required(Permission.SCHEDULE_DELIVERY)
def delivery_reschedule(reference: str):
    appointment = _appointment(reference)
    number = db.session.get(Order, appointment.order_id).number
    form = WindowForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(number)

    with refusals() as refused:
        crew_id, starts_at = services.parse_window(form.window.data)
        services.reschedule(
            appointment.id,
            starts_at,
            crew_id,
            actor=_me(),
            actor_kind=actor_kind_of(current_user),
            reason=form.instructions.data or "",
        )
    if not refused:
        flash("Delivery moved; the buyer has been sent the new window.", "success")
    return _back(number)


@bp.route("/delivery/<reference>/cancel", methods=["POST"])
@permission_required(Permission.SCHEDULE_DELIVERY)
def delivery_cancel(reference: str):
    appointment = _appointment(reference)
    number = db.session.get(Order, appointment.order_id).number
    form = CancelForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(number)
    with refusals() as refused:
        services.cancel(
            appointment.id,
            actor=_me(),
            actor_kind=actor_kind_of(current_user),
            reason=form.reason.data or "",
        )
    if not refused:
        flash("Delivery window cancelled; the order waits for a new one.", "success")
    return _back(number)


@bp.route("/delivery/<reference>/delivered", methods=["POST"])
@permission_required(Permission.MARK_DELIVERED)
def delivery_delivered(reference: str):
    appointment = _served(reference)
    number = db.session.get(Order, appointment.order_id).number
    form = DeliveredForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(number, appointment.reference)
    reference = appointment.reference
    with refusals() as refused:
        services.mark_delivered(appointment.id, _me(), form.note.data)
    if not refused:
        flash(f"Order {number} is marked delivered; the buyer has been told.", "success")
    return _back(number, reference)


@bp.route("/orders/<number>/delivery/link", methods=["POST"])
@permission_required(Permission.SCHEDULE_DELIVERY)
def delivery_link(number: str):
    order = _order(number)
    form = LinkForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(order.number)
    number, email = order.number, order.email
    with refusals() as refused:
        services.send_pick_link(order.id, _me())
    if not refused:
        flash(f"{email} has been sent a link to pick a delivery window.", "success")
    return _back(number)


# --- the crew's list ------------------------------------------------------------------------


@bp.route("/deliveries")
@permission_required(Permission.VIEW_DELIVERIES)
def deliveries():
    """A crew member's own deliveries from today on; dispatchers see every crew's."""
    me = _me()
    now = utcnow()
    own = services.is_crew(me) or not _serves_every_crew()
    team = services.crews()
    crew_filter = None
    if not own:
        raw = request.args.get("crew", "")
        crew_filter = int(raw) if raw.isdigit() and int(raw) in team else None
    # From the start of today on the viewer's clock (a day either side covers every crew zone).
    zone = ZoneInfo(zone_name(me.timezone))
    today = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone)
    stmt = (
        sa.select(DeliveryAppointment, Order)
        .join(Order, Order.id == DeliveryAppointment.order_id)
        .where(
            DeliveryAppointment.status.in_(services.BUSY),
            sa.or_(
                DeliveryAppointment.ends_at >= today - timedelta(hours=12),
                # Still to be marked, however late: it stays on the list as overdue.
                sa.and_(
                    DeliveryAppointment.status == DeliveryStatus.BOOKED,
                    Order.status == OrderStatus.DELIVERY_SCHEDULED.value,
                ),
            ),
        )
        .order_by(DeliveryAppointment.starts_at, DeliveryAppointment.id)
        .limit(200)
    )
    if own:
        stmt = stmt.where(DeliveryAppointment.crew_id == me.id)
    elif crew_filter:
        stmt = stmt.where(DeliveryAppointment.crew_id == crew_filter)
    rows = db.session.execute(stmt).all()
    missing = {a.crew_id for a, _ in rows} - set(team)
    people = dict(team)
    if missing:
        people.update(
            {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(missing)))}
        )
    today_rows, upcoming = [], []
    for appointment, order in rows:
        crew = people.get(appointment.crew_id)
        crew_zone = ZoneInfo(zone_name(crew.timezone if crew else None))
        local_day = appointment.starts_at.astimezone(crew_zone).date()
        if local_day < now.astimezone(crew_zone).date():
            if appointment.status != DeliveryStatus.BOOKED:
                continue  # an earlier day's finished delivery
            today_rows.append((appointment, order))  # overdue: still to be marked
        elif local_day == now.astimezone(crew_zone).date():
            today_rows.append((appointment, order))
        else:
            upcoming.append((appointment, order))
    kind = actor_kind_of(me)
    return render_template(
        "staff/deliveries.html",
        today=today_rows,
        upcoming=upcoming,
        people=people,
        team=team,
        own=own,
        crew_filter=crew_filter,
        delivered_form=DeliveredForm(formdata=None),
        # The rows whose "Mark delivered" the lifecycle tables allow now.
        markable={a.id for a, o in rows if services.may_mark_delivered(a, o, kind)},
        now=now,
        labels=services.STATUS_LABELS,
    )


def _serials_of(line_ids: list[int]) -> dict[int, list[str]]:
    """Serial numbers recorded for these order lines, by line, in unit order (one query)."""
    serials: dict[int, list[str]] = {}
    rows = db.session.execute(
        sa.select(WarrantyRegistration.order_line_id, WarrantyRegistration.serial_number)
        .where(
            WarrantyRegistration.order_line_id.in_(line_ids),
            WarrantyRegistration.serial_number.is_not(None),
        )
        .order_by(WarrantyRegistration.order_line_id, WarrantyRegistration.unit)
    )
    for line_id, serial in rows:
        serials.setdefault(line_id, []).append(serial)
    return serials


@bp.route("/deliveries/<reference>")
@permission_required(Permission.VIEW_DELIVERIES)
def delivery_sheet(reference: str):
    """What the crew needs for one delivery: when, where, whom to call, what to carry."""
    appointment = _served(reference)
    order = db.session.get(Order, appointment.order_id)
    lines = list(
        db.session.scalars(
            sa.select(OrderLine)
            .where(
                OrderLine.order_id == order.id,
                OrderLine.delivery_method.in_(services.NEEDS_WINDOW),
            )
            .order_by(OrderLine.id)
        )
    )
    crew = db.session.get(User, appointment.crew_id)
    return render_template(
        "staff/delivery_sheet.html",
        appointment=appointment,
        order=order,
        lines=lines,
        serials=_serials_of([line.id for line in lines]),
        crew=crew,
        tz=zone_name(crew.timezone if crew else None),
        delivered_by=(
            db.session.get(User, appointment.delivered_by_id)
            if appointment.delivered_by_id
            else None
        ),
        can_mark=(
            services.may_mark_delivered(appointment, order, actor_kind_of(current_user))
            and can(current_user.role, Permission.MARK_DELIVERED)
        ),
        delivered_form=DeliveredForm(formdata=None),
        labels=services.STATUS_LABELS,
        now=utcnow(),
    )
