"""Delivery on the staff desk: book, move or cancel a window, ask the buyer to pick one, mark it
delivered; the crew's list of today's and upcoming deliveries.

Every route needs SCHEDULE_DELIVERY (reps, support, managers); the blueprint's guard already
turns buyers away. Actions on an order go back to its page (303), or to the crew's list when
posted from there.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.models import User
from shop.auth.roles import Permission, Role, can
from shop.auth.session import permission_required
from shop.db import utcnow
from shop.delivery import services
from shop.delivery.forms import CancelForm, DeliveredForm, LinkForm, WindowForm
from shop.delivery.models import DeliveryAppointment
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.states import OrderStatus, actor_kind_of
from shop.staff.views import bp
from shop.web import reads_only

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
    days: list = field(default_factory=list)  # [(day label, [Window])]
    blocked: str = ""  # why nothing can be booked now
    ready_from: str = ""  # the first day the goods can be delivered, when still to come


def delivery_panel(order: Order, appointments=None) -> Panel:
    """The delivery panel's facts, in a fixed number of queries (windows only when bookable)."""
    if appointments is None:
        appointments = services.appointments_of(order.id)
    appointments = list(appointments)
    live = next((a for a in appointments if a.status == "booked"), None)
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
    panel.can_deliver = panel.can_move
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


def _back(number: str):
    if request.form.get("back") == "deliveries":
        return redirect(url_for("staff.deliveries"), 303)
    return redirect(url_for("staff.order_detail", number=number), 303)


def _refused(form) -> None:
    if "csrf_token" in form.errors:
        flash("Your form expired. Please try again.", "error")
        return
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


def _run(action, success: str) -> None:
    """Run a service call as one transaction: commit and say so, or roll back and say why."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(success, "success")


def _me() -> User:
    return current_user._get_current_object()


@bp.route("/orders/<number>/delivery", methods=["POST"])
@permission_required(Permission.SCHEDULE_DELIVERY)
def delivery_book(number: str):
    order = _order(number)
    form = WindowForm()
    if not form.validate_on_submit():
        _refused(form)
        return _back(order.number)

    def act():
        crew_id, starts_at = services.parse_window(form.window.data)
        services.book(
            order.id,
            starts_at,
            crew_id,
            actor=_me(),
            actor_kind=actor_kind_of(current_user),
            instructions=form.instructions.data or "",
        )

    _run(act, "Delivery window booked; the buyer has been sent the confirmation.")
    return _back(order.number)


@bp.route("/delivery/<reference>/reschedule", methods=["POST"])
@permission_required(Permission.SCHEDULE_DELIVERY)
def delivery_reschedule(reference: str):
    appointment = _appointment(reference)
    number = db.session.get(Order, appointment.order_id).number
    form = WindowForm()
    if not form.validate_on_submit():
        _refused(form)
        return _back(number)

    def act():
        crew_id, starts_at = services.parse_window(form.window.data)
        services.reschedule(
            appointment.id,
            starts_at,
            crew_id,
            actor=_me(),
            actor_kind=actor_kind_of(current_user),
            reason=form.instructions.data or "",
        )

    _run(act, "Delivery moved; the buyer has been sent the new window.")
    return _back(number)


@bp.route("/delivery/<reference>/cancel", methods=["POST"])
@permission_required(Permission.SCHEDULE_DELIVERY)
def delivery_cancel(reference: str):
    appointment = _appointment(reference)
    number = db.session.get(Order, appointment.order_id).number
    form = CancelForm()
    if not form.validate_on_submit():
        _refused(form)
        return _back(number)
    _run(
        lambda: services.cancel(
            appointment.id,
            actor=_me(),
            actor_kind=actor_kind_of(current_user),
            reason=form.reason.data or "",
        ),
        "Delivery window cancelled; the order waits for a new one.",
    )
    return _back(number)


@bp.route("/delivery/<reference>/delivered", methods=["POST"])
@permission_required(Permission.SCHEDULE_DELIVERY)
def delivery_delivered(reference: str):
    appointment = _appointment(reference)
    number = db.session.get(Order, appointment.order_id).number
    form = DeliveredForm()
    if not form.validate_on_submit():
        _refused(form)
        return _back(number)
    _run(
        lambda: services.mark_delivered(appointment.id, _me(), form.note.data),
        f"Order {number} is marked delivered; the buyer has been told.",
    )
    return _back(number)


@bp.route("/orders/<number>/delivery/link", methods=["POST"])
@permission_required(Permission.SCHEDULE_DELIVERY)
def delivery_link(number: str):
    order = _order(number)
    form = LinkForm()
    if not form.validate_on_submit():
        _refused(form)
        return _back(order.number)
    _run(
        lambda: services.send_pick_link(order.id, _me()),
        f"{order.email} has been sent a link to pick a delivery window.",
    )
    return _back(order.number)


# --- the crew's list ------------------------------------------------------------------------


@bp.route("/deliveries")
@reads_only
@permission_required(Permission.SCHEDULE_DELIVERY)
def deliveries():
    """A crew member's own deliveries from today on; everyone else sees every crew's."""
    me = _me()
    now = utcnow()
    own = services.is_crew(me)
    team = services.crews()
    crew_filter = None
    if not own:
        raw = request.args.get("crew", "")
        crew_filter = int(raw) if raw.isdigit() and int(raw) in team else None
    # From the start of today on the viewer's clock (a day either side covers every crew zone).
    zone = ZoneInfo(me.timezone or "UTC")
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
                    DeliveryAppointment.status == "booked",
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
        crew_zone = ZoneInfo((crew.timezone if crew else None) or "UTC")
        local_day = appointment.starts_at.astimezone(crew_zone).date()
        if local_day < now.astimezone(crew_zone).date():
            if appointment.status != "booked":
                continue  # an earlier day's finished delivery
            today_rows.append((appointment, order))  # overdue: still to be marked
        elif local_day == now.astimezone(crew_zone).date():
            today_rows.append((appointment, order))
        else:
            upcoming.append((appointment, order))
    return render_template(
        "staff/deliveries.html",
        today=today_rows,
        upcoming=upcoming,
        people=people,
        team=team,
        own=own,
        crew_filter=crew_filter,
        is_manager=me.role == Role.MANAGER.value,
        delivered_form=DeliveredForm(formdata=None),
        now=now,
        labels=services.STATUS_LABELS,
    )
