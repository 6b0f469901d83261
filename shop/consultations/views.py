"""Booking a specialist, and the buyer's links to see, reschedule or cancel a consultation."""

from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from shop.auth.models import User
from shop.catalog.models import Category, Product
from shop.consultations import services
from shop.consultations.emails import _invites
from shop.consultations.forms import CancelForm, RequestForm, SlotForm, zone_choices
from shop.consultations.models import Booking
from shop.consultations.states import BookingStatus, allowed_moves
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.inputs import parse_instant
from shop.unit_of_work import refusals
from shop.web import current_buyer_id, visitor_key

bp = Blueprint("consultations", __name__)
DRAFT = "consultation"


def _subject():
    """The product or category the buyer came from (from the query string or the draft)."""
    draft = session.get(DRAFT, {})
    product = category = None
    slug = request.args.get("product") or draft.get("product_slug")
    if slug:
        product = db.session.scalar(
            sa.select(Product).where(Product.slug == slug, Product.is_active.is_(True))
        )
    if product is not None:
        category = db.session.get(Category, product.category_id)
    else:
        cslug = request.args.get("category") or draft.get("category_slug")
        if cslug:
            category = db.session.scalar(sa.select(Category).where(Category.slug == cslug))
    return product, category


def _form(reps: list[User], detected: str | None) -> RequestForm:
    form = RequestForm()
    form.rep.choices = [
        SelectChoice("any", "The first specialist available"),
        *(SelectChoice(str(r.id), r.name) for r in reps),
    ]
    form.timezone.choices = zone_choices(detected)
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    product, category = _subject()
    reps = services.reps_for(category.id if category else None)
    tz = request.values.get("timezone") or request.args.get("tz")
    if tz and tz not in services._zones():
        tz = None
    form = _form(reps, tz)
    if request.method == "GET":
        if current_user.is_authenticated:
            form.name.data, form.email.data = current_user.name, current_user.email
            form.phone.data = current_user.phone
        form.timezone.data = tz or "America/Los_Angeles"
        order_number = (request.args.get("order") or "")[:20]
        if order_number:
            form.message.data = f"About my order {order_number}: "
        preferred = services.previous_rep(
            current_user.id if current_user.is_authenticated else None, None
        )
        if preferred and any(r.id == preferred for r in reps):
            form.rep.data = str(preferred)
    if form.validate_on_submit():
        session[DRAFT] = {
            "product_slug": product.slug if product else None,
            "category_slug": category.slug if category else None,
            **{
                f: getattr(form, f).data
                for f in (
                    "channel",
                    "budget",
                    "timeline",
                    "known",
                    "message",
                    "rep",
                    "timezone",
                    "name",
                    "email",
                    "phone",
                )
            },
        }
        return redirect(url_for("consultations.pick_time"), 303)
    return render_template(
        "consultations/new.html", form=form, reps=reps, product=product, category=category
    ), 400 if form.errors else 200


def _request_from_draft(draft: dict) -> services.Request:
    product, category = _subject()
    return services.Request(
        channel=draft["channel"],
        name=draft["name"],
        email=draft["email"],
        phone=draft.get("phone") or "",
        buyer_timezone=draft["timezone"],
        budget=draft.get("budget") or "",
        timeline=draft.get("timeline") or "",
        known=draft.get("known") or "",
        message=draft.get("message") or "",
        product_id=product.id if product else None,
        category_id=category.id if category else None,
        buyer_id=current_buyer_id(),
        # A logged-in buyer's cart and trail are under their account: no visitor key for them.
        visitor_key=None if current_buyer_id() else visitor_key(create=True),
    )


def _parse_slot(value: str | None) -> datetime:
    instant = parse_instant(value)
    if instant is None:
        raise DomainError("That time could not be read. Please choose one below.")
    return instant


def _slots_page(template: str, offer, tz: str, status: int = 200, **context):
    zone = services.check_timezone(tz)
    return render_template(
        template,
        offer=offer,
        days=offer.days(zone),
        zone=zone,
        tz=tz,
        zones=zone_choices(tz),
        form=SlotForm(),
        **context,
    ), status


@bp.route("/new/time", methods=["GET", "POST"])
def pick_time():
    draft = session.get(DRAFT)
    if not draft:
        return redirect(url_for("consultations.new"))
    tz = request.args.get("tz") or draft["timezone"]
    if tz not in services._zones():
        tz = draft["timezone"]
    req = _request_from_draft(draft)
    rep_id = int(draft["rep"]) if str(draft.get("rep", "")).isdigit() else None
    error = None
    if request.method == "POST":
        form = SlotForm()
        if form.validate_on_submit():
            with refusals(flash_it=False) as refused:
                booking = services.book(req, _parse_slot(form.slot.data), rep_id)
            if refused:
                error = refused.message
            else:
                session.pop(DRAFT, None)
                return redirect(
                    url_for("consultations.manage", token=services.link_token(booking), booked=1),
                    303,
                )
        else:
            error = "That time could not be read. Please choose one below."
    offer = services.offer(req.category_id, rep_id)
    return _slots_page(
        "consultations/time.html",
        offer,
        tz,
        409 if error else 200,
        error=error,
        draft=draft,
        rep=offer.reps.get(rep_id),
    )


def _manage_context(booking: Booking):
    rep = db.session.scalar(
        sa.select(User).where(User.id == booking.rep_id).options(selectinload(User.staff_profile))
    )
    return {
        "booking": booking,
        "rep": rep,
        "channel": services.CHANNELS[booking.channel],
        "zone": services.check_timezone(booking.buyer_timezone),
    }


@bp.route("/b/<token>")
def manage(token: str):
    booking = services.booking_for_token(token, for_change=False)
    return render_template(
        "consultations/manage.html",
        token=token,
        cancel_form=CancelForm(),
        just_booked=request.args.get("booked") == "1",
        can_change=BookingStatus.CANCELLED in allowed_moves(booking) and utcnow() < booking.ends_at,
        **_manage_context(booking),
    )


@bp.route("/b/<token>/invite.ics")
def invite_file(token: str):
    booking = services.booking_for_token(token, for_change=False)
    buyer_ics, _ = _invites(
        booking,
        db.session.get(User, booking.rep_id),
        cancelled=booking.status == BookingStatus.CANCELLED,
    )
    return Response(
        buyer_ics["content"],
        mimetype="text/calendar",
        headers={"Content-Disposition": f"attachment; filename={booking.reference}.ics"},
    )


@bp.route("/b/<token>/reschedule", methods=["GET", "POST"])
def reschedule(token: str):
    booking = services.booking_for_token(token)
    if booking.status != BookingStatus.BOOKED:
        abort(404)
    another = request.values.get("another") == "1"
    tz = request.args.get("tz") or booking.buyer_timezone
    if tz not in services._zones():
        tz = booking.buyer_timezone
    error = None
    if request.method == "POST":
        form = SlotForm()
        if form.validate_on_submit():
            with refusals(flash_it=False) as refused:
                moved = services.reschedule(
                    booking.id,
                    _parse_slot(form.slot.data),
                    another_rep=another,
                    reason="Moved by the buyer.",
                )
            if refused:
                error = refused.message
            else:
                flash("Your consultation has moved. A new invitation is on its way.", "success")
                return redirect(
                    url_for("consultations.manage", token=services.link_token(moved)), 303
                )
    offer = services.offer(booking.category_id, None if another else booking.rep_id, moving=booking)
    offer.slots.pop(booking.starts_at, None)  # its own time is not offered back to it
    context = _manage_context(booking)
    context.pop("zone")  # every time on this page is shown in the zone the buyer picked
    return _slots_page(
        "consultations/reschedule.html",
        offer,
        tz,
        409 if error else 200,
        error=error,
        another=another,
        token=token,
        **context,
    )


@bp.route("/b/<token>/cancel", methods=["POST"])
def cancel(token: str):
    booking = services.booking_for_token(token)
    form = CancelForm()
    if form.validate_on_submit():
        services.cancel(booking.id, reason=form.reason.data or "")
        flash("Your consultation is cancelled.", "info")
    return redirect(
        url_for(
            "consultations.manage", token=services.link_token(db.session.get(Booking, booking.id))
        ),
        303,
    )


@bp.route("/mine")
@login_required
def mine():
    bookings = db.session.scalars(
        sa.select(Booking)
        .where(Booking.buyer_id == current_user.id)
        .order_by(Booking.starts_at.desc())
        .limit(50)
    ).all()
    reps = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_({b.rep_id for b in bookings}))
        )
    }
    return render_template(
        "consultations/mine.html",
        bookings=bookings,
        reps=reps,
        tokens={b.id: services.link_token(b) for b in bookings},
        channels=services.CHANNELS,
    )
