"""The buyer's delivery link: see the booked window, pick one, or move it (no login needed).

`/delivery/<token>`: the token is signed (salt "delivery-link") and carries either an
appointment and its link version (it dies at the next change and once the window has passed),
or an order number (to pick a first window; it dies once a window is booked).
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.models import User
from shop.auth.roles import Permission, can
from shop.db import utcnow
from shop.delivery import services
from shop.delivery.forms import WindowForm
from shop.delivery.states import DeliveryStatus
from shop.extensions import db
from shop.orders.services import access_token
from shop.orders.states import OrderStatus
from shop.timefmt import zone_name
from shop.unit_of_work import refusals

bp = Blueprint("delivery", __name__)


def _zone(link: services.Link, offer: services.Offer) -> str:
    if link.appointment is not None:
        return link.appointment.buyer_timezone
    first = next(iter(offer.crews.values()), None)
    return zone_name(first.timezone if first else None)


def _own(order) -> bool:
    return current_user.is_authenticated and order.user_id == current_user.id


@bp.route("/<token>", methods=["GET", "POST"])
def window(token: str):
    now = utcnow()
    link = services.resolve(token, now)
    order, appointment = link.order, link.appointment
    if (
        current_user.is_authenticated
        and not can(current_user.role, Permission.VIEW_ORDERS)
        and order.user_id is not None
        and not _own(order)
    ):
        abort(404)  # another buyer's delivery, even with its link (as for the order page)
    form = WindowForm()
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            with refusals(flash_it=False) as refused:
                _, starts_at = services.parse_window(form.window.data)
                if appointment is None:
                    done = services.book(
                        order.id,
                        starts_at,
                        actor_kind="buyer",
                        instructions=form.instructions.data or "",
                        now=now,
                    )
                    flash(
                        "Your delivery window is booked. The confirmation is on its way.", "success"
                    )
                else:
                    done = services.reschedule(
                        appointment.id,
                        starts_at,
                        actor_kind="buyer",
                        reason="Moved by the buyer.",
                        now=now,
                    )
                    flash("Your delivery has moved. The new invitation is on its way.", "success")
            if refused:
                error = refused.message
            else:
                return redirect(url_for("delivery.window", token=services.link_token(done)), 303)
        elif "csrf_token" in form.errors:
            error = "Your form expired. Please choose again."
        else:
            error = "Choose a delivery window."
    can_change = order.dispute_status != "open" and (
        (appointment is None and order.status == OrderStatus.PAID)
        or (
            appointment is not None
            and appointment.status == DeliveryStatus.BOOKED
            and order.status == OrderStatus.DELIVERY_SCHEDULED
        )
    )
    earliest = services.earliest_delivery(order) if can_change else None
    offer = services.offer(now, moving=appointment, earliest=earliest) if can_change else None
    zone = (
        _zone(link, offer)
        if offer is not None
        else zone_name(appointment.buyer_timezone if appointment else None)
    )
    crew = db.session.get(User, appointment.crew_id) if appointment else None
    return render_template(
        "delivery/window.html",
        token=token,
        order=order,
        appointment=appointment,
        crew=crew,
        form=form,
        error=error,
        can_change=can_change,
        days=offer.by_day(zone, one_per_time=True) if offer is not None else [],
        zone=zone,
        when=(
            services.window_label(appointment.starts_at, appointment.ends_at, zone)
            if appointment
            else ""
        ),
        status_labels=services.STATUS_LABELS,
        ready_from=services.day_label(earliest) if earliest and earliest > now else "",
        order_url=(
            url_for("orders.detail", number=order.number)
            if _own(order)
            else url_for("orders.guest_view", token=access_token(order))
        ),
    ), (409 if error else 200)
