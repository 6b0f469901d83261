"""The rep desk: consultations, each opening on the buyer's whole story; the manager's view."""

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from shop.auth.models import User
from shop.auth.roles import Permission, Role, can
from shop.auth.session import permission_required
from shop.cart.services import view_cart
from shop.catalog.models import Category, Product
from shop.consultations import services
from shop.consultations.forms import OutcomeForm
from shop.consultations.models import Booking
from shop.consultations.states import BookingStatus, takes_outcome
from shop.db import utcnow
from shop.errors import NotFound
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.states import STAFF_LABELS as ORDER_LABELS
from shop.research.services import trail, trail_for_visitor
from shop.unit_of_work import refusals
from shop.web import page_arg, parse_id

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.consultations.<view>.
bp = Blueprint("consultations", __name__)


def _is_manager() -> bool:
    """Every rep's consultations, not only one's own."""
    return can(current_user.role, Permission.MANAGE_STAFF)


def _scoped(stmt):
    """Reps see their own consultations; managers see every rep's."""
    if _is_manager():
        return stmt
    return stmt.where(Booking.rep_id == current_user.id)


@bp.route("/consultations")
@permission_required(Permission.VIEW_CONSULTATIONS)
def consultations():
    now = utcnow()
    rep_filter = parse_id(request.args.get("rep")) if _is_manager() else None
    stmt = _scoped(
        sa.select(Booking).where(
            Booking.status == BookingStatus.BOOKED, Booking.ends_at >= now - timedelta(hours=2)
        )
    )
    if rep_filter:
        stmt = stmt.where(Booking.rep_id == rep_filter)
    page = db.paginate(
        stmt.order_by(Booking.starts_at),
        page=page_arg(request.args.get("page")),
        per_page=25,
        error_out=False,
    )
    reps = {u.id: u for u in db.session.scalars(sa.select(User).where(User.role == Role.REP.value))}
    return render_template(
        "staff/consultations.html",
        page=page,
        reps=reps,
        now=now,
        channels=services.CHANNELS,
        is_manager=_is_manager(),
        rep_filter=rep_filter,
    )


def _booking(booking_id: int) -> Booking:
    booking = db.session.scalar(_scoped(sa.select(Booking).where(Booking.id == booking_id)))
    if booking is None:
        raise NotFound("No such consultation.")
    return booking


@bp.route("/consultations/<id:booking_id>", methods=["GET", "POST"])
@permission_required(Permission.VIEW_CONSULTATIONS)
def consultation(booking_id: int):
    booking = _booking(booking_id)
    form = OutcomeForm(obj=booking)
    if form.validate_on_submit():
        with refusals() as refused:
            # Audited by the service, with the history event.
            services.record_outcome(booking.id, current_user, form.outcome.data, form.notes.data)
        if not refused:
            flash("Notes and outcome saved.", "success")
            return redirect(url_for("staff.consultations.consultation", booking_id=booking.id), 303)
    return render_template("staff/consultation.html", **_context(booking), form=form)


def _context(booking: Booking) -> dict:
    """The buyer's whole story, in a fixed number of queries."""
    buyer = db.session.get(User, booking.buyer_id) if booking.buyer_id else None
    if buyer is None:  # a visitor who has since made an account with that email
        buyer = db.session.scalar(
            sa.select(User).where(User.email == booking.email, User.role == Role.BUYER.value)
        )
    research = trail(buyer.id) if buyer else trail_for_visitor(booking.visitor_key)
    cart = view_cart(user_id=buyer.id) if buyer else view_cart(visitor_key=booking.visitor_key)
    who = Order.user_id == buyer.id if buyer else sa.func.lower(Order.email) == booking.email
    orders = db.session.scalars(
        sa.select(Order).where(who).order_by(Order.created_at.desc()).limit(20)
    ).all()
    same_buyer = (
        Booking.buyer_id == buyer.id if buyer else (sa.func.lower(Booking.email) == booking.email)
    )
    earlier = db.session.scalars(
        sa.select(Booking)
        .where(same_buyer, Booking.id != booking.id)
        .order_by(Booking.starts_at.desc())
        .limit(20)
    ).all()
    booking_full = db.session.scalar(
        sa.select(Booking).where(Booking.id == booking.id).options(selectinload(Booking.events))
    )
    reps = {u.id: u for u in db.session.scalars(sa.select(User).where(User.role == Role.REP.value))}
    return {
        "booking": booking_full,
        "buyer": buyer,
        "research": research,
        "cart": cart,
        "orders": orders,
        "order_labels": ORDER_LABELS,
        "earlier": earlier,
        "reps": reps,
        "channels": services.CHANNELS,
        "outcomes": services.OUTCOMES,
        "product": db.session.get(Product, booking.product_id) if booking.product_id else None,
        "category": db.session.get(Category, booking.category_id) if booking.category_id else None,
        "is_manager": _is_manager(),
        # The outcome form only where the lifecycle table lets it be recorded (not cancelled).
        "takes_outcome": takes_outcome(booking_full),
        "can_reassign": booking_full.status == BookingStatus.BOOKED,
    }


@bp.route("/consultations/<id:booking_id>/reassign", methods=["POST"])
@permission_required(Permission.MANAGE_STAFF)
def reassign(booking_id: int):
    booking = _booking(booking_id)
    rep_id = parse_id(request.form.get("rep_id"))
    with refusals() as refused:
        # Audited by the service, with the history event.
        services.reassign(booking.id, rep_id or 0, current_user, request.form.get("reason", ""))
    if not refused:
        flash("Consultation reassigned; both reps and the buyer are told.", "success")
    return redirect(url_for("staff.consultations.consultation", booking_id=booking.id), 303)
