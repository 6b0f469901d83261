"""Quotes a rep builds: create, edit (a new version once sent), authority, approval, sending,
units held while open, expiry and reminders.

Services flush and never commit (the view or the command commits). Every staff action writes a
QuoteEvent with who, when and what changed. A quote row is locked (lock_row) while it changes,
so two tabs or two managers act one after the other; the expiry job locks each quote too, and
the reminder job claims each with one conditional UPDATE, so two runs at once do each piece of
work once.

The statuses and the moves between them are one table, in quotes/states.py: every status
change goes through its `transition`, which writes the QuoteEvent (and the audit entry).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop.audit import services as audit
from shop.auth.models import StaffProfile, User
from shop.auth.roles import Permission, Role, can
from shop.catalog import stock
from shop.catalog.models import Product, Variant
from shop.db import lock_row, utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.money import Money
from shop.notifications.services import absolute_url, queue_email
from shop.quotes import pricing
from shop.quotes.common import (  # noqa: F401  (shared; callers still find them here)
    current,
    holder,
    insert,
    load_version,
    lock_quote,
    new_number,
    quote_for_token,
    quote_link_token,
)
from shop.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteVersion
from shop.quotes.states import (
    AUDITED,
    EDITABLE,
    LABELS,
    OFFERED,
    QuoteStatus,
    allowed,
    record,
    transition,
)
from shop.timefmt import when

MAX_LINES = 60
APPROVAL_REASON_MAX = 1000
BUYER_REMINDER = timedelta(hours=48)
REP_REMINDER = timedelta(hours=24)


# --- inputs --------------------------------------------------------------------------------


@dataclass
class LineInput:
    """One line as the rep entered it. `kind` is what the rep asked for; the server decides
    (see `_fill`): a line naming a variant is a catalog line whose price and cost are not
    theirs to type (copied from the catalog, or kept from the quote when already there), and a
    credit is a trade-in whatever it was posted as."""

    kind: str
    quantity: int = 1
    variant_id: int | None = None
    description: str = ""
    unit_price_cents: int = 0
    unit_cost_cents: int = 0
    discount_kind: str = "none"
    discount_value: Decimal = Decimal(0)


@dataclass
class Terms:
    discount_kind: str = "none"
    discount_value: Decimal = Decimal(0)
    deposit_pct: Decimal = Decimal(0)
    delivery_terms: str = ""
    note_to_buyer: str = ""
    valid_until: datetime | None = None
    lines: list[LineInput] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------------


def sees_every_quote(user) -> bool:
    """Reps see their own quotes; whoever may oversee the team (managers) sees every one."""
    return can(getattr(user, "role", None), Permission.MANAGE_STAFF)


def scoped(stmt, user):
    """Reps see their own quotes; managers see every quote."""
    if sees_every_quote(user):
        return stmt
    return stmt.where(Quote.rep_id == user.id)


def get_quote(quote_id: int, user) -> Quote:
    """The quote with every version and line (three queries), if this staff member may see it."""
    quote = db.session.scalar(
        scoped(sa.select(Quote).where(Quote.id == quote_id), user)
        .options(selectinload(Quote.versions).selectinload(QuoteVersion.lines))
        .execution_options(populate_existing=True)
    )
    if quote is None:
        raise NotFound("No such quote.")
    return quote


def events(quote_id: int) -> list[QuoteEvent]:
    return list(
        db.session.scalars(
            sa.select(QuoteEvent).where(QuoteEvent.quote_id == quote_id).order_by(QuoteEvent.id)
        )
    )


def reprice(version: QuoteVersion) -> pricing.Priced:
    """The figures of a stored version (lines must be loaded)."""
    return pricing.price(
        version.lines, version.discount_kind, version.discount_value, version.deposit_pct
    )


@dataclass(frozen=True)
class Figures:
    """A version's headline figures from its stored totals (no lines needed)."""

    list_cents: int
    discount_cents: int
    total_cents: int
    cost_cents: int
    margin_cents: int
    margin_pct: Decimal
    discount_pct: Decimal


def stored_figures(version: QuoteVersion) -> Figures:
    margin = version.total_cents - version.cost_cents
    return Figures(
        list_cents=version.list_cents,
        discount_cents=version.discount_cents,
        total_cents=version.total_cents,
        cost_cents=version.cost_cents,
        margin_cents=margin,
        margin_pct=pricing.percent_of(margin, version.total_cents),
        discount_pct=pricing.percent_of(version.discount_cents, version.list_cents),
    )


def margin_floor() -> Decimal:
    return Decimal(str(current_app.config["QUOTE_MARGIN_FLOOR_PCT"]))


def custom_limit() -> int:
    """Custom lines above this sum (cents, at list price) need a manager."""
    return int(current_app.config["QUOTE_CUSTOM_APPROVAL_ABOVE_CENTS"])


def trade_in_limit() -> int:
    """Trade-in credits above this sum (cents) need a manager."""
    return int(current_app.config["QUOTE_TRADE_IN_APPROVAL_ABOVE_CENTS"])


def max_discount(rep_id: int | None) -> Decimal:
    if rep_id is None:
        return Decimal(0)
    value = db.session.scalar(
        sa.select(StaffProfile.max_discount_pct).where(StaffProfile.user_id == rep_id)
    )
    return Decimal(value if value is not None else 0)


# --- links ---------------------------------------------------------------------------------


# --- events --------------------------------------------------------------------------------


def _state(quote: Quote, version: QuoteVersion | None = None) -> dict:
    """The fields of a quote an audit entry compares before and after."""
    values = {"status": quote.status, "version": quote.current_version}
    if version is not None:
        values["total_cents"] = version.total_cents
        values["discount_cents"] = version.discount_cents
        values["deposit_pct"] = version.deposit_pct
        values["valid_until"] = version.valid_until
    return values


# --- creating ------------------------------------------------------------------------------


def _catalog(variant_ids: list[int]) -> dict[int, Variant]:
    if not variant_ids:
        return {}
    rows = db.session.scalars(
        sa.select(Variant)
        .where(Variant.id.in_(set(variant_ids)))
        .options(selectinload(Variant.product))
    )
    return {v.id: v for v in rows}


def _cart_inputs(buyer_id: int | None, visitor_key: str | None) -> list[LineInput]:
    from shop.cart.services import view_cart

    if buyer_id is None and visitor_key is None:
        return []
    cart = view_cart(user_id=buyer_id) if buyer_id else view_cart(visitor_key=visitor_key)
    return [
        LineInput(kind="catalog", variant_id=line.variant_id, quantity=line.quantity)
        for line in cart.lines
    ]


def _product_input(product_id: int | None) -> list[LineInput]:
    if product_id is None:
        return []
    variant_id = db.session.scalar(
        sa.select(Variant.id)
        .join(Product)
        .where(Variant.product_id == product_id, Variant.is_active.is_(True))
        .order_by(Variant.position, Variant.id)
        .limit(1)
    )
    return [LineInput(kind="catalog", variant_id=variant_id)] if variant_id else []


def create_quote(
    actor: User,
    *,
    name: str = "",
    email: str = "",
    buyer_id: int | None = None,
    booking_id: int | None = None,
    from_cart: bool = False,
    rep_id: int | None = None,
    now: datetime | None = None,
) -> Quote:
    """A draft quote from scratch, from a buyer's cart (`from_cart`), or from a consultation.

    From a consultation, the buyer's details come from the booking, the lines from their cart
    (or the product they asked about), and the quote goes to the booking's rep.
    """
    from shop.consultations.models import Booking

    now = now or utcnow()
    source, lines = "scratch", []
    visitor_key = None
    if booking_id is not None:
        booking = db.session.get(Booking, booking_id)
        if booking is None:
            raise NotFound("No such consultation.")
        name, email = booking.name, booking.email
        buyer_id, visitor_key = booking.buyer_id, booking.visitor_key
        rep_id = rep_id or booking.rep_id
        source = "consultation"
        lines = _cart_inputs(buyer_id, visitor_key) or _product_input(booking.product_id)
    if buyer_id is not None:
        buyer = db.session.get(User, buyer_id)
        if buyer is None or buyer.role != Role.BUYER.value:
            raise NotFound("No such buyer.")
        name, email = name or buyer.name, email or buyer.email
        if from_cart:
            source = "cart"
            lines = _cart_inputs(buyer_id, None)
            if not lines:
                raise DomainError("This buyer's cart is empty.")
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name:
        raise DomainError("Whom is the quote for? Enter the buyer's name.", field="name")
    if "@" not in email or len(email) > 254:
        raise DomainError("Enter the buyer's email address.", field="email")
    valid_until = now + timedelta(days=int(current_app.config["QUOTE_VALID_DAYS"]))
    quote = Quote(
        rep_id=rep_id or actor.id,
        buyer_id=buyer_id,
        email=email,
        name=name[:120],
        booking_id=booking_id,
        source=source,
        status=QuoteStatus.DRAFT.value,
        current_version=1,
        valid_until=valid_until,
    )
    insert(quote)
    version = QuoteVersion(
        quote_id=quote.id, number=1, valid_until=valid_until, created_by_id=actor.id
    )
    db.session.add(version)
    db.session.flush()
    _fill(quote, version, Terms(valid_until=valid_until, lines=lines), {}, now)
    record(
        quote,
        "created",
        f"From {source}; {len(lines)} line(s).",
        actor,
        1,
        after={**_state(quote, version), "source": source, "buyer": quote.email},
    )
    return quote


# --- editing -------------------------------------------------------------------------------


def _fill(
    quote: Quote,
    version: QuoteVersion,
    terms: Terms,
    kept: dict[int, QuoteLine],
    now: datetime,
) -> pricing.Priced:
    """Write `terms` and its lines into `version` (which has no lines yet), priced and judged.

    Catalog lines keep the price and cost already on the quote for that variant (`kept`), so a
    quote's prices hold while it is open; a variant new to the quote is copied from the catalog.
    """
    if len(terms.lines) > MAX_LINES:
        raise DomainError(f"A quote has at most {MAX_LINES} lines.")
    catalog = _catalog([i.variant_id for i in terms.lines if i.variant_id])
    rows = []
    for n, item in enumerate(terms.lines, start=1):
        kind = line_kind(item)
        if kind == "catalog":
            old = kept.get(item.variant_id)
            variant = catalog.get(item.variant_id)
            if old is not None:
                description, sku = old.description, old.sku
                unit, cost = old.unit_price_cents, old.unit_cost_cents
            elif variant is not None and variant.is_active:
                description = f"{variant.product.name} ({variant.name})"[:200]
                sku, unit, cost = variant.sku, variant.price_cents, variant.cost_cents
            else:
                raise DomainError(f"Line {n}: that catalog item is not for sale.")
        elif kind in ("custom", "trade_in"):
            description, sku = (item.description or "").strip()[:200], ""
            unit, cost = item.unit_price_cents, item.unit_cost_cents
            if kind == "trade_in":
                # The appraised value, typed with or without a minus, is a credit; what the
                # store later makes of the goods coming in is not this quote's cost.
                unit, cost = -abs(unit), 0
            if not description:
                raise DomainError(f"Line {n}: describe the {pricing.KIND_LABELS[kind].lower()}.")
        else:
            raise DomainError(f"Line {n}: a line is a catalog item, a custom line or a trade-in.")
        rows.append(
            QuoteLine(
                version_id=version.id,
                position=n,
                kind=kind,
                variant_id=item.variant_id if kind == "catalog" else None,
                description=description,
                sku=sku,
                unit_price_cents=unit,
                unit_cost_cents=cost,
                quantity=item.quantity,
                discount_kind=item.discount_kind or "none",
                discount_value=Decimal(str(item.discount_value or 0))
                if (item.discount_kind or "none") != "none"
                else Decimal(0),
            )
        )
    priced = pricing.price(rows, terms.discount_kind, terms.discount_value, terms.deposit_pct)
    if terms.valid_until is None or terms.valid_until <= now:
        raise DomainError("Choose a validity date in the future.", field="valid_until")
    for row, figures in zip(rows, priced.lines, strict=True):
        row.net_cents = figures.net_cents
        db.session.add(row)
    rep = db.session.get(User, quote.rep_id) if quote.rep_id else None
    needs, reason = pricing.authority(
        priced,
        max_discount(quote.rep_id),
        margin_floor(),
        rep.name if rep else "the rep",
        custom_above_cents=custom_limit(),
        trade_in_above_cents=trade_in_limit(),
        more=_named_in_custom_lines(rows),
    )
    version.discount_kind = terms.discount_kind or "none"
    version.discount_value = (
        Decimal(str(terms.discount_value or 0)) if version.discount_kind != "none" else Decimal(0)
    )
    version.deposit_pct = priced.deposit_pct
    version.delivery_terms = (terms.delivery_terms or "").strip()[:4000]
    version.note_to_buyer = (terms.note_to_buyer or "").strip()[:4000]
    version.valid_until = terms.valid_until
    version.list_cents = priced.list_cents
    version.discount_cents = priced.discount_cents
    version.total_cents = priced.total_cents
    version.cost_cents = priced.cost_cents
    version.deposit_cents = priced.deposit_cents
    version.needs_approval = needs
    version.approval_reason = reason[:APPROVAL_REASON_MAX]
    version.approved_by_id = None
    version.approved_at = None
    version.approval_comment = ""
    db.session.flush()
    return priced


def line_kind(item: LineInput) -> str:
    """The kind of a line as the server sees it, whatever the rep posted: a line that names a
    catalog variant is a catalog line (its price and cost are the catalog's), a credit is a
    trade-in, and a custom line is what is left."""
    if item.variant_id:
        return "catalog"
    if item.kind == "custom" and item.unit_price_cents < 0:
        return "trade_in"
    return item.kind


def _named_in_custom_lines(rows: list[QuoteLine]) -> list[str]:
    """Reasons for a manager: custom lines whose description names a catalog item (its SKU or
    its product's name), the way a catalog item would be passed off as a custom line at a price
    and cost of the rep's choosing. One query, whatever the number of lines."""
    custom = [(n, row.description.lower()) for n, row in enumerate(rows, 1) if row.kind == "custom"]
    if not custom:
        return []
    sku, name = sa.func.lower(Variant.sku), sa.func.lower(Product.name)
    matches = sa.or_(
        *(
            sa.or_(
                sa.and_(sa.func.length(Variant.sku) >= 4, sa.literal(text).contains(sku)),
                sa.and_(sa.func.length(Product.name) >= 4, sa.literal(text).contains(name)),
            )
            for _, text in custom
        )
    )
    found = db.session.execute(
        sa.select(Variant.sku, Variant.price_cents, Product.name)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.is_active.is_(True), Product.is_active.is_(True), matches)
        .order_by(Variant.id)
        .limit(200)  # a manager needs one match per line, not every one
    ).all()
    reasons = []
    for n, text in custom:
        hit = next(
            (
                row
                for row in found
                if (len(row.sku) >= 4 and row.sku.lower() in text)
                or (len(row.name) >= 4 and row.name.lower() in text)
            ),
            None,
        )
        if hit is not None:
            reasons.append(
                f"custom line {n} names the catalog item {hit.sku} ({hit.name}, list "
                f"{Money(hit.price_cents)}): add it from the catalog"
            )
    return reasons


def _check_actor(quote: Quote, actor) -> None:
    if not sees_every_quote(actor) and quote.rep_id != actor.id:
        raise NotFound("No such quote.")


def _summary(before: tuple, after: QuoteVersion) -> str:
    """What changed, in words, for the history."""

    parts = [
        f"{len(after.lines)} line(s), total {Money(after.total_cents)}",
        f"discount {Money(after.discount_cents)}",
        f"deposit {after.deposit_pct}%",
    ]
    total_before, valid_before = before
    if total_before != after.total_cents:
        parts.append(f"total was {Money(total_before)}")
    if valid_before != after.valid_until and after.valid_until:
        # On the clock of whoever saves it (the day they chose ends at 23:59 on it), named.
        parts.append(f"valid until {when(after.valid_until)}")
    if after.needs_approval:
        parts.append(f"needs approval: {after.approval_reason}")
    return "; ".join(parts).rstrip(".") + "."


def save_version(quote_id: int, actor, terms: Terms, now: datetime | None = None) -> QuoteVersion:
    """Save the rep's changes: in place while the current version was never sent, else as a new
    version (the earlier one stays readable and can no longer be accepted)."""
    now = now or utcnow()
    quote = lock_quote(quote_id)
    _check_actor(quote, actor)
    if quote.status not in EDITABLE:
        raise DomainError(
            f"A quote that is {LABELS[QuoteStatus(quote.status)].lower()} cannot be changed."
        )
    version = load_version(quote)
    kept = {line.variant_id: line for line in version.lines if line.kind == "catalog"}
    before = (version.total_cents, version.valid_until)
    state_before = {**_state(quote, version), "lines": len(version.lines)}
    if version.sent_at is None:
        version.lines.clear()  # delete-orphan: the old lines go
        db.session.flush()
        target, kind = version, "edited"
    else:
        target = QuoteVersion(quote_id=quote.id, number=version.number + 1, created_by_id=actor.id)
        db.session.add(target)
        db.session.flush()
        quote.current_version = target.number
        kind = "new_version"
    _fill(quote, target, terms, kept, now)
    target = load_version(quote, target.number)
    was = QuoteStatus(quote.status)
    quote.valid_until = target.valid_until
    note = _summary(before, target)
    if kind == "new_version":
        note = f"Version {target.number} replaces version {version.number}. {note}"
    if was in (QuoteStatus.PENDING_APPROVAL, QuoteStatus.APPROVED):
        note += " Approval withdrawn: the figures changed."
    # Saved terms are a draft again (until sent, or approved where they need it).
    state_after = {
        **_state(quote, target),
        "status": QuoteStatus.DRAFT.value,
        "lines": len(target.lines),
    }
    changes = {
        "before": {k: v for k, v in state_before.items() if state_after.get(k) != v},
        "after": {k: v for k, v in state_after.items() if state_before.get(k) != v},
    }
    if was == QuoteStatus.DRAFT:
        record(quote, kind, note, actor, target.number, **changes)
    else:
        transition(
            quote,
            QuoteStatus.DRAFT,
            kind=kind,
            note=note,
            actor=actor,
            version=target.number,
            **changes,
        )
    return target


def terms_of(version: QuoteVersion) -> Terms:
    """A stored version as editable terms (lines must be loaded)."""
    return Terms(
        discount_kind=version.discount_kind,
        discount_value=version.discount_value,
        deposit_pct=version.deposit_pct,
        delivery_terms=version.delivery_terms,
        note_to_buyer=version.note_to_buyer,
        valid_until=version.valid_until,
        lines=[
            LineInput(
                kind=line.kind,
                quantity=line.quantity,
                variant_id=line.variant_id,
                description=line.description,
                unit_price_cents=line.unit_price_cents,
                unit_cost_cents=line.unit_cost_cents,
                discount_kind=line.discount_kind,
                discount_value=line.discount_value,
            )
            for line in version.lines
        ],
    )


def add_line(quote_id: int, actor, item: LineInput, now: datetime | None = None) -> QuoteVersion:
    """Add one line (a catalog item found by SKU, say) to the current terms and save them."""
    quote = lock_quote(quote_id)
    _check_actor(quote, actor)
    terms = terms_of(load_version(quote))
    same = next(
        (
            i
            for i in terms.lines
            if item.kind == "catalog" and i.kind == "catalog" and i.variant_id == item.variant_id
        ),
        None,
    )
    if same is not None:
        same.quantity += item.quantity
    else:
        terms.lines.append(item)
    return save_version(quote_id, actor, terms, now)


# --- approval ------------------------------------------------------------------------------


def submit(quote_id: int, actor, note: str = "") -> Quote:
    """Ask a manager to approve the current version (only when it needs approval)."""
    quote = lock_quote(quote_id)
    _check_actor(quote, actor)
    version = load_version(quote)
    if quote.status == QuoteStatus.PENDING_APPROVAL:
        return quote
    if not allowed(quote.status, QuoteStatus.PENDING_APPROVAL) or version.sent_at is not None:
        raise DomainError("Only a draft can be sent for approval.")
    if not version.needs_approval:
        raise DomainError("This quote is within your authority: send it to the buyer.")
    transition(
        quote,
        QuoteStatus.PENDING_APPROVAL,
        kind="submitted",
        note=f"{version.approval_reason} {note.strip()}".strip(),
        actor=actor,
        before={"status": quote.status},
        after={
            "status": QuoteStatus.PENDING_APPROVAL.value,
            "approval_reason": version.approval_reason,
        },
        reason=note.strip(),
    )
    return quote


def _decide(quote_id: int, manager, comment: str, approve: bool) -> Quote:
    if not can(getattr(manager, "role", None), Permission.APPROVE_QUOTES):
        raise DomainError("Only a manager can approve or reject a quote.")
    quote = lock_quote(quote_id)
    version = load_version(quote)
    if manager.id in (quote.rep_id, version.created_by_id):
        raise DomainError("You cannot approve or reject a quote you wrote; ask another manager.")
    if quote.status != QuoteStatus.PENDING_APPROVAL:
        raise DomainError("This quote is not waiting for approval.")
    comment = (comment or "").strip()[:4000]
    if not approve and not comment:
        raise DomainError("Say why, so the rep can fix it.", field="comment")
    version.approval_comment = comment
    if approve:
        version.approved_by_id = manager.id
        version.approved_at = utcnow()
    target = QuoteStatus.APPROVED if approve else QuoteStatus.DRAFT
    kind = "approved" if approve else "rejected"
    transition(
        quote,
        target,
        kind=kind,
        note=f"{version.approval_reason} {comment}".strip(),
        actor=manager,
        before={"status": quote.status},
        after={
            "status": target.value,
            "version": version.number,
            "total_cents": version.total_cents,
        },
        reason=comment,
    )
    _tell_rep(quote, version, kind, comment, manager)
    return quote


def approve(quote_id: int, manager, comment: str = "") -> Quote:
    """A manager (never the quote's author) approves the current version."""
    return _decide(quote_id, manager, comment, approve=True)


def reject(quote_id: int, manager, comment: str) -> Quote:
    """A manager turns the quote back to the rep as a draft, saying why."""
    return _decide(quote_id, manager, comment, approve=False)


def _tell_rep(quote, version, kind, comment, manager) -> None:
    rep = db.session.get(User, quote.rep_id) if quote.rep_id else None
    if rep is None:
        return
    queue_email(
        f"quote-{kind}:{quote.id}:{version.number}:{utcnow().isoformat()}",
        rep.email,
        f"Quote {quote.number} {kind} by {manager.name}",
        "quote_decision",
        quote=quote,
        version=version,
        decision=kind,
        comment=comment,
        manager=manager,
        desk_url=absolute_url("staff.quotes.quote", quote_id=quote.id),
    )


# --- sending -------------------------------------------------------------------------------


def send(quote_id: int, actor, now: datetime | None = None) -> Quote:
    """Send the current version to the buyer: the clock starts, units are held, an email goes."""
    now = now or utcnow()
    quote = lock_quote(quote_id)
    _check_actor(quote, actor)
    version = load_version(quote)
    if quote.status in OFFERED and version.sent_at is not None:
        return quote  # a second click: already sent
    if not allowed(quote.status, QuoteStatus.SENT):
        raise DomainError(
            f"A quote that is {LABELS[QuoteStatus(quote.status)].lower()} cannot be sent."
        )
    if version.needs_approval and version.approved_at is None:
        raise DomainError(f"A manager must approve this quote first: {version.approval_reason}")
    if not version.lines:
        raise DomainError("Add at least one line before sending.")
    if version.valid_until is None or version.valid_until <= now:
        raise DomainError("The validity date has passed; choose a later one.")
    version.sent_at = now
    quote.valid_until = version.valid_until
    held = ""
    if current_app.config.get("QUOTE_HOLD_UNITS", True):
        held = _hold(quote, version)
    transition(
        quote,
        QuoteStatus.SENT,
        note=f"Version {version.number} sent to {quote.email}. {held}".strip(),
        actor=actor,
        before={"status": quote.status},
        after={
            "status": QuoteStatus.SENT.value,
            "version": version.number,
            "total_cents": version.total_cents,
            "valid_until": quote.valid_until,
        },
    )
    rep = db.session.get(User, quote.rep_id) if quote.rep_id else None
    queue_email(
        f"quote-sent:{quote.id}:{version.number}",
        quote.email,
        f"Your quote {quote.number} from Harbor & Hall",
        "quote_sent",
        quote=quote,
        version=version,
        rep=rep,
        link=absolute_url("quotes.view", token=quote_link_token(quote)),
    )
    return quote


def _items(version: QuoteVersion) -> dict[int, int]:
    items: dict[int, int] = {}
    for line in version.lines:
        if line.kind == "catalog" and line.variant_id:
            items[line.variant_id] = items.get(line.variant_id, 0) + line.quantity
    return items


def _hold(quote: Quote, version: QuoteVersion) -> str:
    """Reserve the version's units until the quote's validity ends; say what happened."""
    items = _items(version)
    if not items:
        return ""
    try:
        with db.session.begin_nested():
            stock.reserve(holder(quote), items, quote.valid_until)
    except stock.OutOfStock as exc:
        stock.release(holder(quote))
        return f"Units not held: {exc.message}"
    return "Units held until the quote expires."


def hold_units(quote_id: int, actor) -> str:
    """Hold (again) the units of an open quote until it expires."""
    quote = lock_quote(quote_id)
    _check_actor(quote, actor)
    if quote.status not in OFFERED:
        raise DomainError("Units are held only while a sent quote is open.")
    message = _hold(quote, load_version(quote)) or "Nothing to hold: no catalog lines."
    record(quote, "units_held", message, actor, after={"held": message})
    return message


def release_units(quote_id: int, actor, reason: str = "") -> int:
    """The rep gives back the units held for the quote (the quote itself stays open)."""
    quote = lock_quote(quote_id)
    _check_actor(quote, actor)
    released = stock.release(holder(quote))
    record(
        quote,
        "units_released",
        f"{released} hold(s) released. {reason.strip()}".strip(),
        actor,
        after={"released": released},
        reason=reason.strip(),
    )
    return released


def withdraw(quote_id: int, actor, reason: str = "") -> Quote:
    """The rep takes the quote back; it can no longer be accepted."""
    quote = lock_quote(quote_id)
    _check_actor(quote, actor)
    if quote.status == QuoteStatus.WITHDRAWN:
        return quote
    if not allowed(quote.status, QuoteStatus.WITHDRAWN):
        raise DomainError(
            f"A quote that is {LABELS[QuoteStatus(quote.status)].lower()} cannot be withdrawn."
        )
    released = stock.release(holder(quote))
    transition(
        quote,
        QuoteStatus.WITHDRAWN,
        note=reason.strip() or "No reason given.",
        actor=actor,
        before={"status": quote.status},
        after={"status": QuoteStatus.WITHDRAWN.value, "released": released},
        reason=reason.strip(),
    )
    return quote


def message_buyer(quote_id: int, actor, body: str):
    """A staff member writes to the buyer on the quote's thread (audited; the buyer's own
    messages are on the quote's history only)."""
    from shop.quotes.buyer import post_message

    quote = lock_quote(quote_id)
    _check_actor(quote, actor)
    message = post_message(quote, body, False, author=actor)
    audit.record(
        actor,
        AUDITED["message"],
        "quote",
        quote.number,
        after={"message_id": message.id, "status": quote.status, "excerpt": message.body[:200]},
    )
    return message


# --- jobs ----------------------------------------------------------------------------------


def expire_quotes(now: datetime | None = None) -> int:
    """Expire open quotes past their validity and release their units; returns how many.

    Each quote is locked, checked again and committed on its own, so two runs at once expire
    each quote once (the second finds it expired already).
    """
    now = now or utcnow()
    ids = db.session.scalars(
        sa.select(Quote.id).where(Quote.status.in_(OFFERED), Quote.valid_until <= now)
    ).all()
    expired = 0
    for quote_id in ids:
        quote = lock_row(Quote, quote_id)
        if quote is not None and quote.status in OFFERED and quote.valid_until <= now:
            released = stock.release(holder(quote))
            transition(
                quote,
                QuoteStatus.EXPIRED,
                note=f"Validity ended; {released} hold(s) released.",
            )
            expired += 1
    return expired


def _remind(which: str, now: datetime) -> int:
    lead = BUYER_REMINDER if which == "buyer" else REP_REMINDER
    column = Quote.reminded_buyer_for if which == "buyer" else Quote.reminded_rep_for
    pending = sa.or_(column.is_(None), column != Quote.valid_until)
    rows = db.session.execute(
        sa.select(Quote.id, QuoteVersion.sent_at, Quote.valid_until)
        .join(
            QuoteVersion,
            sa.and_(
                QuoteVersion.quote_id == Quote.id, QuoteVersion.number == Quote.current_version
            ),
        )
        .where(
            Quote.status.in_(OFFERED),
            Quote.valid_until > now,
            Quote.valid_until <= now + lead,
            pending,
        )
    ).all()
    sent = 0
    for quote_id, sent_at, valid_until in rows:
        if sent_at is not None and sent_at > valid_until - lead:
            continue  # sent inside the window: the quote's own email is reminder enough
        claimed = db.session.execute(
            sa.update(Quote)
            .where(Quote.id == quote_id, Quote.status.in_(OFFERED), pending)
            .values({column.key: Quote.valid_until})
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            quote = db.session.get(Quote, quote_id, populate_existing=True)
            _reminder_email(quote, which)
            rep = db.session.get(User, quote.rep_id) if quote.rep_id else None
            expires = when(quote.valid_until, rep.timezone if rep else None)  # the rep's clock
            record(quote, f"reminded_{which}", f"Expires {expires}.")
            sent += 1
    return sent


def _reminder_email(quote: Quote, which: str) -> None:
    rep = db.session.get(User, quote.rep_id) if quote.rep_id else None
    key = f"quote-remind-{which}:{quote.id}:{quote.valid_until.isoformat()}"
    if which == "buyer":
        queue_email(
            key,
            quote.email,
            f"Your quote {quote.number} expires soon",
            "quote_reminder_buyer",
            quote=quote,
            rep=rep,
            link=absolute_url("quotes.view", token=quote_link_token(quote)),
        )
    elif rep is not None:
        queue_email(
            key,
            rep.email,
            f"Quote {quote.number} for {quote.name} expires in a day",
            "quote_reminder_rep",
            quote=quote,
            rep=rep,
            desk_url=absolute_url("staff.quotes.quote", quote_id=quote.id),
        )


def remind_quotes(now: datetime | None = None) -> int:
    """Remind buyers 48 hours and reps 24 hours before a quote expires; returns how many."""
    now = now or utcnow()
    return _remind("buyer", now) + _remind("rep", now)
