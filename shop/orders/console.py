"""What the staff order console and order page read: filtered lists and one order's whole file.

Every function here runs a fixed number of SQL statements, whatever the number of orders, lines,
events or payments: lists are paginated and what a page shows about its rows is loaded in one
query per kind of thing, never one per row.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shop.auth.models import User
from shop.auth.roles import Role
from shop.catalog.models import DELIVERY_LABELS
from shop.consultations.models import Booking
from shop.errors import NotFound
from shop.extensions import db
from shop.inputs import parse_date
from shop.orders.models import Order, OrderEvent, OrderLine
from shop.orders.services import PAYMENT_STATE_LABELS, reference
from shop.orders.states import OrderStatus
from shop.payments.models import Payment, Refund, TransferReceipt

PER_PAGE = 25
MAX_SEARCH = 100
DISPUTE_FILTERS = {"open": "Open dispute", "any": "Any dispute"}


@dataclass
class Filters:
    """The console's filters, read from the query string; bad values are dropped with a note."""

    status: str = ""
    payment_state: str = ""
    rep: str = ""  # a rep's id, "none" for orders without a rep, or "" for all
    created_from: date | None = None
    created_to: date | None = None
    delivery: str = ""
    needs_review: bool = False
    dispute: str = ""
    q: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(
            (
                self.status,
                self.payment_state,
                self.rep,
                self.created_from,
                self.created_to,
                self.delivery,
                self.needs_review,
                self.dispute,
                self.q,
            )
        )


def _date(text: str, label: str, problems: list[str]) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    day = parse_date(text)  # years 2000-2100: year 1 east of UTC is before datetime.min
    if day is None:
        problems.append(f"“{text[:20]}” is not a date for “{label}” (use YYYY-MM-DD): ignored.")
    return day


def parse_filters(args) -> Filters:
    """Filters from request.args (a MultiDict or a dict); unknown values are dropped, and said."""
    problems: list[str] = []
    f = Filters(problems=problems)

    status = (args.get("status") or "").strip()
    if status in {s.value for s in OrderStatus}:
        f.status = status
    elif status:
        problems.append(f"Unknown status “{status[:30]}”: ignored.")

    state = (args.get("payment") or "").strip()
    if state in PAYMENT_STATE_LABELS:
        f.payment_state = state
    elif state:
        problems.append(f"Unknown payment state “{state[:30]}”: ignored.")

    rep = (args.get("rep") or "").strip()
    if rep == "none" or (rep.isdigit() and 0 < len(rep) <= 18 and int(rep) > 0):
        f.rep = rep
    elif rep:
        problems.append(f"Unknown rep “{rep[:30]}”: ignored.")

    f.created_from = _date(args.get("from"), "from", problems)
    f.created_to = _date(args.get("to"), "to", problems)
    if f.created_from and f.created_to and f.created_from > f.created_to:
        problems.append("The “from” date is after the “to” date: the dates were swapped.")
        f.created_from, f.created_to = f.created_to, f.created_from

    delivery = (args.get("delivery") or "").strip()
    if delivery in DELIVERY_LABELS:
        f.delivery = delivery
    elif delivery:
        problems.append(f"Unknown delivery method “{delivery[:30]}”: ignored.")

    f.needs_review = (args.get("review") or "") in ("1", "y", "on", "true")
    dispute = (args.get("dispute") or "").strip()
    if dispute in DISPUTE_FILTERS:
        f.dispute = dispute
    elif dispute:
        problems.append(f"Unknown dispute filter “{dispute[:30]}”: ignored.")

    q = " ".join((args.get("q") or "").replace("\x00", " ").split())
    if len(q) > MAX_SEARCH:
        problems.append(f"The search was cut to its first {MAX_SEARCH} characters.")
        q = q[:MAX_SEARCH]
    f.q = q
    return f


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, LookupError, OSError, TypeError):
        return ZoneInfo("UTC")


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min).replace(tzinfo=zone, fold=0).astimezone(UTC)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def order_query(f: Filters, timezone: str | None = "UTC") -> sa.Select:
    """The orders matching the filters, newest first. Each filter has an index to use."""
    stmt = sa.select(Order)
    if f.status:
        stmt = stmt.where(Order.status == f.status)
    if f.payment_state:
        stmt = stmt.where(Order.payment_state == f.payment_state)
    if f.rep == "none":
        stmt = stmt.where(Order.rep_id.is_(None))
    elif f.rep:
        stmt = stmt.where(Order.rep_id == int(f.rep))
    zone = _zone(timezone)
    if f.created_from:
        stmt = stmt.where(Order.created_at >= _local_midnight(f.created_from, zone))
    if f.created_to:
        end = f.created_to + timedelta(days=1) if f.created_to < date.max else f.created_to
        stmt = stmt.where(Order.created_at < _local_midnight(end, zone))
    if f.delivery:
        line = sa.exists().where(
            OrderLine.order_id == Order.id, OrderLine.delivery_method == f.delivery
        )
        stmt = stmt.where(line)
    if f.needs_review:
        stmt = stmt.where(Order.needs_review.is_(True))
    if f.dispute == "open":
        stmt = stmt.where(Order.dispute_status == "open")
    elif f.dispute == "any":
        stmt = stmt.where(Order.dispute_status.is_not(None))
    if f.q:
        pattern = _like(f.q.lower())
        stmt = stmt.where(
            sa.or_(
                Order.number.like(_like(f.q.upper()) + "%", escape="\\"),
                sa.func.lower(Order.name).like(f"%{pattern}%", escape="\\"),
                sa.func.lower(Order.email).like(f"%{pattern}%", escape="\\"),
            )
        )
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())


@dataclass
class ConsolePage:
    page: object  # flask_sqlalchemy Pagination of Order
    reps: dict[int, User]  # every rep and manager, for names and the rep filter
    methods: dict[int, list[str]]  # order id -> its delivery methods


def console_page(f: Filters, page: int, timezone: str | None = "UTC") -> ConsolePage:
    """One page of the console: a count, the page's orders, their delivery methods, the reps."""
    pagination = db.paginate(
        order_query(f, timezone), page=page, per_page=PER_PAGE, error_out=False
    )
    ids = [o.id for o in pagination.items]
    methods: dict[int, list[str]] = {i: [] for i in ids}
    rows = db.session.execute(
        sa.select(OrderLine.order_id, OrderLine.delivery_method)
        .where(OrderLine.order_id.in_(ids))
        .distinct()
        .order_by(OrderLine.order_id, OrderLine.delivery_method)
    )
    for order_id, method in rows:
        methods[order_id].append(method)
    return ConsolePage(page=pagination, reps=sales_staff(), methods=methods)


def sales_staff() -> dict[int, User]:
    return {
        u.id: u
        for u in db.session.scalars(
            sa.select(User)
            .where(User.role.in_((Role.REP.value, Role.MANAGER.value)))
            .order_by(User.name, User.id)
        )
    }


# --- one order ------------------------------------------------------------------------------


@dataclass
class Thread:
    """The buyer's story with us around this order (quotes are added by the staff layer)."""

    account: User | None
    rep: User | None
    bookings: list[Booking]
    quotes: list = field(default_factory=list)


@dataclass
class OrderFile:
    order: Order
    payments: list[Payment]
    refunds: list[Refund]
    receipts: list[TransferReceipt]
    thread: Thread
    notes: list[OrderEvent]


def plausible_number(number: str) -> bool:
    """Whether this could be an order number at all (letters, digits, dashes; 20 at most)."""
    return bool(number) and len(number) <= 20 and all(c.isalnum() or c == "-" for c in number)


def load_order(number: str) -> Order:
    """The order with its lines and every event (internal ones too), or NotFound."""
    if not plausible_number(number):
        raise NotFound("No such order.")
    order = db.session.scalar(
        sa.select(Order)
        .where(Order.number == number)
        .options(selectinload(Order.lines), selectinload(Order.events))
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound("No such order.")
    return order


def order_file(number: str) -> OrderFile:
    """Everything the staff order page shows, in a fixed number of queries."""
    order = load_order(number)
    payments = list(
        db.session.scalars(
            sa.select(Payment).where(Payment.reference == reference(order)).order_by(Payment.id)
        )
    )
    payment_ids = [p.id for p in payments]
    refunds = list(
        db.session.scalars(
            sa.select(Refund).where(Refund.payment_id.in_(payment_ids)).order_by(Refund.id)
        )
    )
    receipts = list(
        db.session.scalars(
            sa.select(TransferReceipt)
            .where(TransferReceipt.payment_id.in_(payment_ids))
            .order_by(TransferReceipt.id)
        )
    )
    notes = [e for e in order.events if e.kind == "note" and not e.visible_to_buyer]
    return OrderFile(
        order=order,
        payments=payments,
        refunds=refunds,
        receipts=receipts,
        thread=thread_of(order),
        notes=notes,
    )


def thread_of(order: Order) -> Thread:
    """The buyer's account and rep, and their consultations (two queries)."""
    people = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_([i for i in (order.user_id, order.rep_id) if i]))
        )
    }
    email = (order.email or "").strip().lower()
    booking_match = [sa.func.lower(Booking.email) == email]
    if order.user_id:
        booking_match.append(Booking.buyer_id == order.user_id)
    bookings = list(
        db.session.scalars(
            sa.select(Booking)
            .where(sa.or_(*booking_match))
            .order_by(Booking.starts_at.desc(), Booking.id.desc())
            .limit(50)
        )
    )
    return Thread(
        account=people.get(order.user_id) if order.user_id else None,
        rep=people.get(order.rep_id) if order.rep_id else None,
        bookings=bookings,
    )
