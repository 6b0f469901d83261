"""The buyer's side of a quote: asking for one from the cart, the message thread, declining.

A request becomes a draft quote on the reps' desk (source 'request'): the cart's lines are copied
at today's catalog prices and costs into version 1, so the rep starts from what the buyer looked
at. It goes to a specialist of the cart's main category: the rep the buyer dealt with before if
they cover it, else the least loaded one who does (see route_request). Every step writes a
QuoteEvent and queues its email in the same transaction.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from shop.auth.models import StaffProfile, User, staff_specialties
from shop.auth.roles import Role
from shop.catalog import stock
from shop.consultations.services import choose_rep, previous_rep, reps_for
from shop.db import utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.notifications.services import absolute_url, queue_email
from shop.quotes import common, pricing
from shop.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteMessage, QuoteVersion
from shop.quotes.states import OFFERED, OPEN, QuoteStatus, allowed_moves, record, transition

# Quotes still being worked on or talked over: they count towards a rep's load, and a buyer can
# still write in their thread.
OPEN_STATUSES = OPEN
# The buyer can answer (accept, decline) only a quote that was sent and is not closed.
ANSWERABLE_STATUSES = OFFERED
# A second click within this window returns the request just made instead of a second quote.
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)
MAX_COMMENT = 4000
MAX_MESSAGE = 4000
MAX_REASON = 2000


@dataclass
class Contact:
    """Who asks: the account's name and email, or what a visitor typed."""

    name: str
    email: str


# --- reading ---------------------------------------------------------------------------------


def visible_versions(quote: Quote) -> list[QuoteVersion]:
    """The versions a buyer may read: those that were sent (a draft is the rep's work)."""
    return [v for v in quote.versions if v.sent_at is not None]


# The buyer's own moves on a quote sent to them.
ANSWERS = frozenset({QuoteStatus.ACCEPTED, QuoteStatus.DECLINED})


def answers(
    quote: Quote, version: QuoteVersion, now: datetime | None = None
) -> frozenset[QuoteStatus]:
    """The answers (accept, decline) the buyer may give to this version now: those the
    lifecycle table allows from the quote's status, for the current version once sent and
    while it is valid. Their page offers these and no others."""
    now = now or utcnow()
    valid_until = version.valid_until or quote.valid_until
    if (
        version.number != quote.current_version
        or version.sent_at is None
        or (valid_until is not None and now >= valid_until)
    ):
        return frozenset()
    return allowed_moves(quote) & ANSWERS


def is_answerable(quote: Quote, version: QuoteVersion, now: datetime | None = None) -> bool:
    """Only the current version, once sent, while the quote is open and valid, can be answered."""
    return bool(answers(quote, version, now))


@dataclass
class BuyerPage:
    """What the buyer's quote page shows: the quote, its thread, its rep, the staff who wrote."""

    quote: Quote
    messages: list[QuoteMessage]
    rep: User | None
    authors: dict[int, User]


def load_for_buyer(quote_id: int) -> BuyerPage:
    """A quote with every version and line, its thread and its people: a fixed number of queries."""
    quote = db.session.scalar(
        sa.select(Quote)
        .where(Quote.id == quote_id)
        .options(selectinload(Quote.versions).selectinload(QuoteVersion.lines))
        .execution_options(populate_existing=True)
    )
    if quote is None:
        raise NotFound("No such quote.")
    messages = list(
        db.session.scalars(
            sa.select(QuoteMessage)
            .where(QuoteMessage.quote_id == quote.id)
            .order_by(QuoteMessage.id)
        )
    )
    wanted = {m.author_id for m in messages if not m.from_buyer and m.author_id is not None}
    if quote.rep_id is not None:
        wanted.add(quote.rep_id)
    people = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_(wanted)).options(joinedload(User.staff_profile))
        )
    }
    return BuyerPage(
        quote=quote,
        messages=messages,
        rep=people.get(quote.rep_id) if quote.rep_id is not None else None,
        authors=people,
    )


def buyer_quotes(buyer_id: int, limit: int = 100) -> list[Quote]:
    """A buyer's own quotes, newest first, with their versions (for the totals shown)."""
    return list(
        db.session.scalars(
            sa.select(Quote)
            .where(Quote.buyer_id == buyer_id)
            .options(selectinload(Quote.versions))
            .order_by(Quote.created_at.desc(), Quote.id.desc())
            .limit(limit)
        )
    )


# --- asking for a quote ----------------------------------------------------------------------


def _active_rep(rep_id: int | None) -> int | None:
    if rep_id is None:
        return None
    rep = db.session.get(User, rep_id)
    if rep is None or rep.role != Role.REP.value or not rep.is_active_account:
        return None
    return rep.id


def _earlier_rep(buyer_id: int | None, email: str) -> int | None:
    """The rep of the buyer's latest quote, else of their latest consultation, if still a rep."""
    who = (
        Quote.buyer_id == buyer_id
        if buyer_id is not None
        else sa.func.lower(Quote.email) == email.lower()
    )
    from_quote = db.session.scalar(
        sa.select(Quote.rep_id)
        .where(who, Quote.rep_id.is_not(None))
        .order_by(Quote.created_at.desc(), Quote.id.desc())
        .limit(1)
    )
    return _active_rep(from_quote) or _active_rep(previous_rep(buyer_id, email))


def _specialists(category_id: int | None) -> list[int]:
    """Active reps whose profile lists the category, whether or not they take bookings today:
    pricing a quote needs the knowledge, not a free calendar slot."""
    if category_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(User.id)
            .join(StaffProfile, StaffProfile.user_id == User.id)
            .join(staff_specialties, staff_specialties.c.staff_profile_id == StaffProfile.id)
            .where(
                staff_specialties.c.category_id == category_id,
                User.role == Role.REP.value,
                User.is_active_account.is_(True),
            )
            .order_by(User.id)
        )
    )


def _least_loaded(candidates: list[int]) -> int:
    """The rep with the fewest open quotes; then the fewest upcoming consultations; then the
    lowest id, so the same state always gives the same rep."""
    open_quotes = dict(
        db.session.execute(
            sa.select(Quote.rep_id, sa.func.count())
            .where(Quote.rep_id.in_(candidates), Quote.status.in_(OPEN_STATUSES))
            .group_by(Quote.rep_id)
        ).all()
    )
    fewest = min(open_quotes.get(rid, 0) for rid in candidates)
    return choose_rep([rid for rid in candidates if open_quotes.get(rid, 0) == fewest], None)


def route_request(category_id: int | None, buyer_id: int | None, email: str) -> int | None:
    """The rep a request goes to: a specialist of the cart's main category.

    1. The buyer's earlier rep, if they cover the category (they know the buyer and the goods);
    2. else the least loaded active rep who covers it (a sailboat cart never goes to the piano
       specialist only because they sold the buyer a piano);
    3. else, when nobody covers it, the earlier rep, else any rep as before: those taking
       bookings, else any active rep.
    None when the store has no rep taking work: the request then waits on the managers' list.
    """
    earlier = _earlier_rep(buyer_id, email)
    specialists = _specialists(category_id)
    if specialists:
        if earlier in specialists:
            return earlier
        return _least_loaded(specialists)
    if earlier is not None:
        return earlier
    candidates = [r.id for r in reps_for(None)]
    if not candidates:  # no rep takes bookings: any active rep can still price a quote
        candidates = list(
            db.session.scalars(
                sa.select(User.id).where(
                    User.role == Role.REP.value, User.is_active_account.is_(True)
                )
            )
        )
    if not candidates:
        return None
    return _least_loaded(candidates)


def main_category(cart_lines) -> int | None:
    """The category most of the cart's value is in (the first line's on a tie)."""
    value: dict[int | None, int] = {}
    for line in cart_lines:
        product = line.variant.product
        value[product.category_id] = value.get(product.category_id, 0) + (
            line.variant.price_cents * line.quantity
        )
    if not value:
        return None
    return max(value, key=lambda cid: value[cid])  # max keeps the first of equals


def _recent_request(buyer_id: int, now: datetime) -> Quote | None:
    return db.session.scalar(
        sa.select(Quote)
        .where(
            Quote.buyer_id == buyer_id,
            Quote.source == "request",
            Quote.status == QuoteStatus.DRAFT,
            Quote.created_at >= now - DOUBLE_SUBMIT_WINDOW,
        )
        .order_by(Quote.id.desc())
        .limit(1)
    )


def _check_contact(contact: Contact) -> Contact:
    name, email = contact.name.strip(), contact.email.strip().lower()
    if not name:
        raise DomainError("Tell us your name.", field="name")
    if len(name) > 120:
        raise DomainError("Use at most 120 characters for your name.", field="name")
    if not email or "@" not in email or len(email) > 254:
        raise DomainError("We need an email address to send the quote to.", field="email")
    return Contact(name=name, email=email)


def _copy_lines(cart_lines) -> list[QuoteLine]:
    """Quote lines copied from cart lines: name, SKU, today's price and cost (saleor's habit)."""
    lines = []
    for line in cart_lines:
        variant = line.variant
        product = variant.product
        if not (variant.is_active and product.is_active) or variant.price_cents <= 0:
            continue  # withdrawn from sale since it went in the cart
        lines.append(
            QuoteLine(
                position=len(lines) + 1,
                kind="catalog",
                variant_id=variant.id,
                description=f"{product.name} ({variant.name})"[:200],
                sku=variant.sku,
                unit_price_cents=variant.price_cents,
                unit_cost_cents=variant.cost_cents,
                quantity=line.quantity,
                discount_kind="none",
                discount_value=Decimal(0),
            )
        )
    return lines


def _actor_label(name: str, email: str, role: str) -> str:
    return f"{name} <{email}> ({role})"[:160]


def request_quote(
    cart_lines,
    contact: Contact,
    buyer_id: int | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> Quote:
    """Turn the cart into a quote request on the reps' desk; the cart itself is left as it was.

    `cart_lines` are CartLine rows with their variant and product loaded (cart.services.view_cart).
    A logged-in buyer's double click (their draft request from the last few minutes) returns that
    request. Not a visitor's: anyone can type an email address, and the request found would
    hand them someone else's quote link.
    """
    now = now or utcnow()
    contact = _check_contact(contact)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(f"Keep your note under {MAX_COMMENT} characters.", field="comment")
    cart_lines = list(cart_lines)
    lines = _copy_lines(cart_lines)
    if not lines:
        raise DomainError("Your cart is empty: add what you would like a quote for.")
    if buyer_id is not None:
        recent = _recent_request(buyer_id, now)
        if recent is not None:
            return recent
    rep_id = route_request(main_category(cart_lines), buyer_id, contact.email)
    priced = pricing.price(lines, "none", Decimal(0), Decimal(0))
    # A default validity, as for a quote a rep starts; the rep sets the real one when sending.
    valid_until = now + timedelta(days=int(current_app.config["QUOTE_VALID_DAYS"]))
    for line, net in zip(lines, priced.lines, strict=True):
        line.net_cents = net.net_cents
    quote = Quote(
        rep_id=rep_id,
        buyer_id=buyer_id,
        email=contact.email,
        name=contact.name,
        source="request",
        request_comment=comment,
        status=QuoteStatus.DRAFT.value,
        current_version=1,
        valid_until=valid_until,
    )
    version = QuoteVersion(
        number=1,
        discount_kind="none",
        discount_value=Decimal(0),
        deposit_pct=Decimal(0),
        list_cents=priced.list_cents,
        discount_cents=priced.discount_cents,
        total_cents=priced.total_cents,
        cost_cents=priced.cost_cents,
        deposit_cents=priced.deposit_cents,
        valid_until=valid_until,
        created_at=now,
    )
    version.lines = lines
    common.insert(quote, version)
    who = "visitor" if buyer_id is None else "buyer"
    db.session.add(
        QuoteEvent(
            quote_id=quote.id,
            created_at=now,
            actor_id=buyer_id,
            actor_label=_actor_label(contact.name, contact.email, who),
            kind="requested",
            version=1,
            note=(
                f"Asked for a quote from the cart ({len(lines)} "
                f"line{'s' if len(lines) != 1 else ''}). {comment[:500]}"
            ).strip(),
        )
    )
    db.session.flush()
    _email_rep(quote, "requested", f"Quote request {quote.number} from {quote.name}", comment)
    queue_email(
        f"quote-requested:{quote.number}:buyer",
        quote.email,
        f"We have your quote request {quote.number}",
        "quote_request_received",
        quote=quote,
        rep=db.session.get(User, rep_id) if rep_id else None,
        quote_url=absolute_url("quotes.view", token=common.quote_link_token(quote)),
    )
    return quote


# --- the thread ------------------------------------------------------------------------------


def post_message(
    quote: Quote,
    body: str,
    from_buyer: bool,
    author: User | None = None,
    now: datetime | None = None,
) -> QuoteMessage:
    """Add a message to the quote's thread and tell the other side.

    From the buyer on a sent quote it asks for changes: the quote moves to 'changes_requested'
    so the rep sees it waiting on them. A closed quote (accepted, declined, expired...) takes
    no more messages.
    """
    now = now or utcnow()
    body = (body or "").strip()
    if not body:
        raise DomainError("Write your message first.", field="body")
    if len(body) > MAX_MESSAGE:
        raise DomainError(f"Keep your message under {MAX_MESSAGE} characters.", field="body")
    if not from_buyer and author is None:
        raise DomainError("A staff message needs its author.")
    quote = common.lock_quote(quote.id)
    if quote.status not in OPEN_STATUSES:
        raise DomainError("This quote is closed; it takes no more messages.")
    message = QuoteMessage(
        quote_id=quote.id,
        author_id=getattr(author, "id", None),
        from_buyer=from_buyer,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    if from_buyer:
        label = _actor_label(quote.name, quote.email, "buyer")
        # On a sent quote the buyer's message asks for changes: the quote waits on the rep.
        asks = quote.status == QuoteStatus.SENT
        if asks:
            transition(
                quote,
                QuoteStatus.CHANGES_REQUESTED,
                note=body[:500],
                actor_label=label,
                actor_id=getattr(author, "id", None),
                at=now,
            )
        else:
            _event(quote, "message", body[:500], label, getattr(author, "id", None), now)
        subject = (
            f"{quote.name} asks for changes to {quote.number}"
            if asks
            else f"New message from {quote.name} on {quote.number}"
        )
        db.session.flush()
        _email_rep(quote, f"message-{message.id}", subject, body)
    else:
        label = _actor_label(author.name, author.email, author.role)
        _event(quote, "message", body[:500], label, author.id, now)
        db.session.flush()
        _email_buyer_message(quote, message, author)
    return message


def decline(quote: Quote, reason: str, now: datetime | None = None) -> Quote:
    """The buyer turns the quote down, saying why; the rep is told."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Tell us in a few words why the quote does not suit.", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    quote = common.lock_quote(quote.id)
    if quote.status == QuoteStatus.DECLINED:
        return quote  # a second click, or a replayed form
    if quote.status not in ANSWERABLE_STATUSES:
        raise DomainError("This quote can no longer be declined.")
    released = stock.release(common.holder(quote))  # the units go back on sale
    transition(
        quote,
        QuoteStatus.DECLINED,
        note=reason[:1000] + (f" ({released} hold(s) released.)" if released else ""),
        actor_label=_actor_label(quote.name, quote.email, "buyer"),
        actor_id=quote.buyer_id,
        at=now,
    )
    _email_rep(quote, "declined", f"{quote.name} declined {quote.number}", reason)
    return quote


def _event(quote: Quote, kind: str, note: str, label: str, actor_id, now: datetime) -> None:
    """A step on the quote's history that moves nothing (a message)."""
    record(quote, kind, note, actor_label=label, actor_id=actor_id, at=now)


# --- emails ----------------------------------------------------------------------------------


def _email_rep(quote: Quote, kind: str, subject: str, text: str) -> None:
    """Tell the quote's rep (nobody yet when no rep takes work: it waits on the managers' list)."""
    if quote.rep_id is None:
        return
    rep = db.session.get(User, quote.rep_id)
    if rep is None:
        return
    queue_email(
        f"quote-{kind}:{quote.number}:rep",
        rep.email,
        subject,
        "quote_buyer_to_rep",
        kind=kind.split("-")[0],
        quote=quote,
        rep=rep,
        text=text,
        desk_url=absolute_url("staff.quotes.quote", quote_id=quote.id),
    )


def _email_buyer_message(quote: Quote, message: QuoteMessage, author: User) -> None:
    queue_email(
        f"quote-message-{message.id}:{quote.number}:buyer",
        quote.email,
        f"{author.name} wrote about your quote {quote.number}",
        "quote_rep_to_buyer",
        quote=quote,
        author=author,
        text=message.body,
        quote_url=absolute_url("quotes.view", token=common.quote_link_token(quote)),
    )
