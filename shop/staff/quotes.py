"""Quotes on the staff desk: the list, the builder, the approval queue.

Reps see and build their own quotes; managers see every quote and approve or reject the ones
beyond a rep's authority (never one they wrote). Staff see costs and margins; buyers never do.
Support staff have no quote pages.
"""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from shop.auth.models import User
from shop.auth.roles import Permission, Role, can
from shop.auth.session import permission_required
from shop.catalog.models import Product, Variant
from shop.catalog.stock import holds
from shop.errors import DomainError
from shop.extensions import db
from shop.quotes import services
from shop.quotes.models import Quote, QuoteMessage, QuoteVersion
from shop.quotes.pricing import KIND_LABELS
from shop.quotes.services import LABELS, LineInput
from shop.quotes.staff_forms import (
    AddLineForm,
    BuilderForm,
    DecisionForm,
    MessageForm,
    NewQuoteForm,
    ReasonForm,
)
from shop.quotes.states import OFFERED, OPEN, QuoteStatus, allowed_moves
from shop.timefmt import viewer_zone
from shop.unit_of_work import Refusal, refusals
from shop.web import page_arg, parse_id

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.quotes.<view>.
bp = Blueprint("quotes", __name__)


def _is_manager() -> bool:
    """Every rep's quotes, not only one's own (as services.scoped has it)."""
    return can(current_user.role, Permission.MANAGE_STAFF)


def _done(message: str, quote_id: int):
    """Say what was done; back to the quote, or to the managers' queue it was decided from."""
    flash(message, "success")
    if request.form.get("next") == "queue" and _is_manager():
        return redirect(url_for("staff.quotes.quote_approvals"), 303)
    return redirect(url_for("staff.quotes.quote", quote_id=quote_id), 303)


def _after(refused: Refusal, message: str, quote_id: int):
    """Back to the quote after a refusal (already flashed), or `_done` with `message`."""
    if refused:
        return redirect(url_for("staff.quotes.quote", quote_id=quote_id), 303)
    return _done(message, quote_id)


# --- lists ---------------------------------------------------------------------------------


@bp.route("/quotes")
@permission_required(Permission.BUILD_QUOTES)
def quotes():
    status = request.args.get("status", "")
    stmt = services.scoped(sa.select(Quote), current_user)
    if status in LABELS:
        stmt = stmt.where(Quote.status == status)
    page = db.paginate(
        stmt.order_by(Quote.updated_at.desc(), Quote.id.desc()),
        page=page_arg(request.args.get("page")),
        per_page=25,
        error_out=False,
    )
    totals = _current_totals([q.id for q in page.items])
    return render_template(
        "staff/quotes.html",
        page=page,
        totals=totals,
        labels=LABELS,
        status=status,
        reps=_staff_names(),
        is_manager=_is_manager(),
    )


def _current_totals(quote_ids: list[int], with_lines: bool = False) -> dict[int, QuoteVersion]:
    """The current version of each listed quote, in one query (two `with_lines`)."""
    if not quote_ids:
        return {}
    stmt = (
        sa.select(QuoteVersion)
        .join(Quote, Quote.id == QuoteVersion.quote_id)
        .where(Quote.id.in_(quote_ids), QuoteVersion.number == Quote.current_version)
    )
    if with_lines:
        stmt = stmt.options(selectinload(QuoteVersion.lines))
    rows = db.session.scalars(stmt)
    return {v.quote_id: v for v in rows}


def _priced(version: QuoteVersion):
    """A version's figures by kind of line (catalog goods, custom lines, trade-ins), or None
    when its lines can no longer be priced."""
    try:
        return services.reprice(version)
    except DomainError:
        return None


def _staff_names() -> dict[int, User]:
    return {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.role.in_((Role.REP.value, Role.MANAGER.value)))
        )
    }


@bp.route("/quotes/approvals")
@permission_required(Permission.APPROVE_QUOTES)
def quote_approvals():
    """The managers' queue: quotes waiting for approval, with why."""
    waiting = db.session.scalars(
        sa.select(Quote)
        .where(Quote.status == QuoteStatus.PENDING_APPROVAL)
        .order_by(Quote.updated_at)
    ).all()
    versions = _current_totals([q.id for q in waiting], with_lines=True)
    return render_template(
        "staff/quote_approvals.html",
        waiting=waiting,
        versions=versions,
        priced={qid: _priced(v) for qid, v in versions.items()},
        floor=services.margin_floor(),
        figures={qid: services.stored_figures(v) for qid, v in versions.items()},
        reps=_staff_names(),
        form=DecisionForm(),
        me=current_user,
    )


# --- creating ------------------------------------------------------------------------------


@bp.route("/quotes/new", methods=["GET", "POST"])
@permission_required(Permission.BUILD_QUOTES)
def quote_new():
    """A quote from scratch (name and email), from a buyer's cart, or from a consultation."""
    form = NewQuoteForm()
    booking_id = parse_id(request.form.get("booking_id"))
    buyer_id = parse_id(request.form.get("buyer_id"))
    if request.method == "POST" and (booking_id or buyer_id):
        if not form.validate_on_submit() and "csrf_token" in form.errors:
            abort(400)
        from shop.consultations.models import Booking

        if booking_id is not None and not _is_manager():
            booking = db.session.get(Booking, booking_id)
            if booking is None or booking.rep_id != current_user.id:
                abort(404)
        with refusals() as refused:
            quote = services.create_quote(
                current_user,
                buyer_id=buyer_id,
                booking_id=booking_id,
                from_cart=request.form.get("from_cart") == "1",
                rep_id=None if _is_manager() and booking_id else current_user.id,
            )
        if refused:
            if buyer_id:
                return redirect(url_for("staff.buyer", user_id=buyer_id), 303)
            return redirect(url_for("staff.consultations.consultation", booking_id=booking_id), 303)
        return _done(f"Quote {quote.number} started.", quote.id)
    if form.validate_on_submit():
        with refusals() as refused:
            quote = services.create_quote(current_user, name=form.name.data, email=form.email.data)
        if not refused:
            return _done(f"Quote {quote.number} started.", quote.id)
    return render_template("staff/quote_new.html", form=form)


# --- the builder ---------------------------------------------------------------------------


def _fill_form(form: BuilderForm, version: QuoteVersion, zone: str) -> None:
    while form.lines.entries:
        form.lines.pop_entry()
    for line in version.lines:
        entry = form.lines.append_entry()
        sub = entry.form
        sub.kind.data = line.kind
        sub.variant_id.data = str(line.variant_id or "")
        sub.description.data = line.description
        # A trade-in is shown as its appraised value; it is stored as a credit.
        sub.unit_price.data = _dollars(abs(line.unit_price_cents))
        sub.unit_cost.data = _dollars(line.unit_cost_cents)
        sub.quantity.data = line.quantity
        sub.discount_kind.data = line.discount_kind
        sub.discount_value.data = line.discount_value if line.discount_kind != "none" else None
    form.discount_kind.data = version.discount_kind
    form.discount_value.data = version.discount_value if version.discount_kind != "none" else None
    form.deposit_pct.data = version.deposit_pct
    form.valid_until.data = (
        version.valid_until.astimezone(ZoneInfo(zone)).date() if version.valid_until else None
    )
    form.delivery_terms.data = version.delivery_terms
    form.note_to_buyer.data = version.note_to_buyer


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _search(query: str) -> list[Variant]:
    """Catalog items by SKU or product name, for the builder (ten at most, one query)."""
    query = query.strip()[:60]
    if len(query) < 2:
        return []
    like = f"%{query.lower()}%"
    return list(
        db.session.scalars(
            sa.select(Variant)
            .join(Product)
            .where(
                Variant.is_active.is_(True),
                sa.or_(
                    sa.func.lower(Variant.sku).like(like), sa.func.lower(Product.name).like(like)
                ),
            )
            .options(selectinload(Variant.product))
            .order_by(Product.name, Variant.position)
            .limit(10)
        )
    )


@bp.route("/quotes/<id:quote_id>", methods=["GET", "POST"])
@permission_required(Permission.BUILD_QUOTES)
def quote(quote_id: int):
    full = services.get_quote(quote_id, current_user)
    form = BuilderForm()
    # The validity date is a day on the rep's own clock, the one the page shows times on.
    zone = viewer_zone()
    form.name_the_zone(zone)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                terms = form.to_terms(zone)
            except ValueError as exc:  # an amount that is not one (already shown by the form)
                flash(str(exc), "error")
            else:
                with refusals() as refused:
                    services.save_version(full.id, current_user, terms)
                if not refused:
                    return _done("Quote saved.", full.id)
        else:
            flash("Please correct the fields marked below.", "error")
        full = services.get_quote(quote_id, current_user)
    else:
        _fill_form(form, services.current(full), zone)
    return render_template("staff/quote.html", form=form, **_context(full))


def _context(full: Quote) -> dict:
    """Everything the builder shows, in a fixed number of queries."""
    shown = parse_id(request.args.get("v")) or full.current_version
    version = next((v for v in full.versions if v.number == shown), services.current(full))
    figures = _priced(version)
    messages = db.session.scalars(
        sa.select(QuoteMessage).where(QuoteMessage.quote_id == full.id).order_by(QuoteMessage.id)
    ).all()
    ids = (
        {full.rep_id, full.buyer_id}
        | {v.created_by_id for v in full.versions}
        | {v.approved_by_id for v in full.versions}
        | {m.author_id for m in messages}
    )
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids - {None})))}
    editable = full.status in services.EDITABLE and version.number == full.current_version
    # The moves the lifecycle table allows now: the page offers these and no others.
    moves = allowed_moves(full)
    author = current_user.id in (full.rep_id, services.current(full).created_by_id)
    return {
        "quote": full,
        "version": version,
        "current": services.current(full),
        "figures": figures,
        "lines": list(zip(version.lines, figures.lines if figures else [None] * 99, strict=False)),
        "events": services.events(full.id),
        "messages": messages,
        "people": people,
        "labels": LABELS,
        "limit": services.max_discount(full.rep_id),
        "floor": services.margin_floor(),
        "custom_limit": services.custom_limit(),
        "trade_in_limit": services.trade_in_limit(),
        "kind_labels": KIND_LABELS,
        "held": holds(services.holder(full)),
        "editable": editable,
        "moves": moves,
        "offered": full.status in OFFERED,
        "thread_open": full.status in OPEN,
        "is_manager": _is_manager(),
        "can_decide": can(current_user.role, Permission.APPROVE_QUOTES)
        and not author
        and QuoteStatus.APPROVED in moves,
        "search": request.args.get("q", ""),
        "found": _search(request.args.get("q", "")),
        "add_form": AddLineForm(),
        "decision_form": DecisionForm(),
        "reason_form": ReasonForm(),
        "message_form": MessageForm(),
    }


@bp.route("/quotes/<id:quote_id>/lines", methods=["POST"])
@permission_required(Permission.BUILD_QUOTES)
def quote_add_line(quote_id: int):
    form = AddLineForm()
    full = services.get_quote(quote_id, current_user)
    if not form.validate_on_submit():
        flash("Choose an item and a quantity.", "error")
        return redirect(url_for("staff.quotes.quote", quote_id=full.id), 303)
    with refusals() as refused:
        services.add_line(
            full.id,
            current_user,
            LineInput(
                kind="catalog",
                variant_id=parse_id(form.variant_id.data),
                quantity=form.quantity.data,
            ),
        )
    return _after(refused, "Line added.", full.id)


def _action(quote_id: int, run, message: str):
    full = services.get_quote(quote_id, current_user)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    with refusals() as refused:
        run(full.id, form)
    return _after(refused, message, full.id)


@bp.route("/quotes/<id:quote_id>/submit", methods=["POST"])
@permission_required(Permission.BUILD_QUOTES)
def quote_submit(quote_id: int):
    return _action(
        quote_id,
        lambda qid, f: services.submit(qid, current_user, f.comment.data or ""),
        "Sent to a manager for approval.",
    )


@bp.route("/quotes/<id:quote_id>/approve", methods=["POST"])
@permission_required(Permission.APPROVE_QUOTES)
def quote_approve(quote_id: int):
    return _action(
        quote_id,
        lambda qid, f: services.approve(qid, current_user, f.comment.data or ""),
        "Approved; the rep can send it now.",
    )


@bp.route("/quotes/<id:quote_id>/reject", methods=["POST"])
@permission_required(Permission.APPROVE_QUOTES)
def quote_reject(quote_id: int):
    return _action(
        quote_id,
        lambda qid, f: services.reject(qid, current_user, f.comment.data or ""),
        "Sent back to the rep with your comment.",
    )


@bp.route("/quotes/<id:quote_id>/send", methods=["POST"])
@permission_required(Permission.BUILD_QUOTES)
def quote_send(quote_id: int):
    return _action(
        quote_id,
        lambda qid, f: services.send(qid, current_user),
        "Quote sent; the buyer has the link by email.",
    )


@bp.route("/quotes/<id:quote_id>/units", methods=["POST"])
@permission_required(Permission.BUILD_QUOTES)
def quote_units(quote_id: int):
    release = request.form.get("action") == "release"
    return _action(
        quote_id,
        (lambda qid, f: services.release_units(qid, current_user, f.comment.data or ""))
        if release
        else (lambda qid, f: services.hold_units(qid, current_user)),
        "Units released." if release else "Units held until the quote expires.",
    )


@bp.route("/quotes/<id:quote_id>/withdraw", methods=["POST"])
@permission_required(Permission.BUILD_QUOTES)
def quote_withdraw(quote_id: int):
    return _action(
        quote_id,
        lambda qid, f: services.withdraw(qid, current_user, f.comment.data or ""),
        "Quote withdrawn.",
    )


@bp.route("/quotes/<id:quote_id>/message", methods=["POST"])
@permission_required(Permission.BUILD_QUOTES)
def quote_message(quote_id: int):
    full = services.get_quote(quote_id, current_user)
    form = MessageForm()
    if not form.validate_on_submit():
        abort(400)
    with refusals() as refused:
        services.message_buyer(full.id, current_user, form.body.data or "")
    return _after(refused, "Message sent to the buyer.", full.id)
