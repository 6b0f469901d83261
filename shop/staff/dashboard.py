"""What needs me now: the data of the staff home page, per role, in a fixed number of queries.

Managers: approvals waiting (refunds, transfer receipts, quotes), the web orders waiting to be
confirmed or captured (with their totals), card holds about to lapse, open disputes, overdue
transfers, orders needing review. Reps: today's consultations, their open
quotes, their orders needing action. Support: the queue (orders needing review, transfers to
record or waiting for approval, the refunds they asked for).

Every list is capped; each is one query, and the orders and people they point at are fetched
together at the end (one query each), whatever the number of rows.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from shop.auth.models import User
from shop.auth.roles import Permission, Role, can
from shop.consultations.models import Booking
from shop.consultations.slots import zone_of
from shop.consultations.states import BookingStatus
from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.states import OrderStatus
from shop.payments import holds
from shop.payments.models import Payment, Refund, TransferReceipt
from shop.quotes.models import Quote
from shop.quotes.states import OPEN as QUOTES_OPEN
from shop.quotes.states import QuoteStatus
from shop.support import satisfaction
from shop.support.models import CreditGrant, ReturnRequest, Ticket
from shop.timefmt import zone_name

LIMIT = 25
# A rep's quotes still to work on: open ones, and accepted ones waiting for their order.
OPEN_QUOTES = (*QUOTES_OPEN, QuoteStatus.ACCEPTED)
DASHBOARD_HOLD_HOURS = 48


def order_id_of(reference: str) -> int | None:
    kind, _, value = (reference or "").partition(":")
    return int(value) if kind == "order" and value.isdigit() else None


@dataclass
class HoldRow:
    payment: Payment
    order: Order | None
    rep: User | None
    deadline: datetime | None
    left: timedelta

    @property
    def lapsed(self) -> bool:
        return self.left <= timedelta(0)

    @property
    def left_text(self) -> str:
        if self.lapsed:
            return "lapsed"
        hours = int(self.left.total_seconds() // 3600)
        minutes = int(self.left.total_seconds() % 3600 // 60)
        if hours >= 24:
            return f"{hours // 24} d {hours % 24} h"
        return f"{hours} h {minutes} min" if hours else f"{minutes} min"  # never "0 h"


@dataclass
class MoneyRow:
    """A refund or transfer receipt, with the order it is for."""

    item: Refund | TransferReceipt
    payment: Payment
    order: Order | None = None


@dataclass
class Board:
    role: str
    now: datetime
    refunds: list[MoneyRow] = field(default_factory=list)
    receipts: list[MoneyRow] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    credits: list[tuple[CreditGrant, str]] = field(default_factory=list)  # (grant, ticket no.)
    holds: list[HoldRow] = field(default_factory=list)
    disputes: list[Order] = field(default_factory=list)
    overdue: list[Order] = field(default_factory=list)
    review: list[Order] = field(default_factory=list)
    consultations: list[Booking] = field(default_factory=list)
    my_orders: list[Order] = field(default_factory=list)
    expected: list[Order] = field(default_factory=list)
    bank_references: dict[int, str] = field(default_factory=dict)
    people: dict[int, User] = field(default_factory=dict)
    low_ratings: list = field(default_factory=list)  # tickets rated low (managers)
    waiting: list[Order] = field(default_factory=list)  # web orders to confirm or capture
    waiting_totals: "WaitingTotals | None" = None  # over all of them, not only the rows shown
    tickets: object = None  # support's queue, a rep's own tickets (staff/support.py)

    def why_waiting(self, order: Order) -> str:
        """What a waiting web order needs (a transfer receipt on the board needs approval)."""
        return waiting_for(order, {r.order.id for r in self.receipts if r.order is not None})

    @property
    def approvals(self) -> int:
        return len(self.refunds) + len(self.receipts) + len(self.quotes) + len(self.credits)


@dataclass
class WaitingTotals:
    """The web orders waiting for staff, summed over all of them (the list shows LIMIT)."""

    count: int = 0
    total_cents: int = 0
    authorized_cents: int = 0  # held on cards, not yet captured
    received_cents: int = 0


# --- the pieces -------------------------------------------------------------------------------


def _orders(ids) -> dict[int, Order]:
    ids = sorted({i for i in ids if i is not None})  # queried even when empty: a fixed count
    return {o.id: o for o in db.session.scalars(sa.select(Order).where(Order.id.in_(ids)))}


def _people(ids) -> dict[int, User]:
    ids = sorted({i for i in ids if i is not None})
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def _money_rows(model, *conditions) -> list[MoneyRow]:
    rows = db.session.execute(
        sa.select(model, Payment)
        .join(Payment, Payment.id == model.payment_id)
        .where(*conditions)
        .order_by(model.created_at, model.id)
        .limit(LIMIT)
    ).all()
    return [MoneyRow(item, payment) for item, payment in rows]


def _order_list(*conditions, order_by=None) -> list[Order]:
    return list(
        db.session.scalars(
            sa.select(Order)
            .where(*conditions)
            .order_by(*(order_by or (Order.created_at.desc(),)), Order.id.desc())
            .limit(LIMIT)
        )
    )


def _needs_review() -> list[Order]:
    return _order_list(
        Order.needs_review.is_(True),
        Order.status != OrderStatus.CANCELLED.value,
        order_by=(Order.updated_at.desc(),),
    )


def _overdue(now) -> list[Order]:
    return _order_list(
        Order.status == OrderStatus.AWAITING_FUNDS.value,
        Order.funds_due_at <= now,
        order_by=(Order.funds_due_at,),
    )


# A web order (self-checkout, no quote behind it) waits for staff while it is placed but not yet
# confirmed (a card authorized, or a transfer's deposit in), confirmed with a card hold still to
# capture, or placed for bank transfer with the money expected or received and not yet approved.
# Quote orders are on the desk's "Orders from quotes" table; these had no place but "Orders".
def _waiting_web_orders():
    return sa.and_(
        Order.quote_id.is_(None),
        sa.or_(
            Order.status.in_((OrderStatus.PLACED.value, OrderStatus.AWAITING_FUNDS.value)),
            sa.and_(Order.status == OrderStatus.CONFIRMED.value, Order.authorized_cents > 0),
        ),
    )


def waiting_web_orders() -> tuple[list[Order], WaitingTotals]:
    """The web orders waiting to be confirmed or captured, oldest first, and their totals over
    every one of them, not only the rows shown (one query: the sums ride along as windows)."""
    rows = db.session.execute(
        sa.select(
            Order,
            sa.func.count(Order.id).over(),
            sa.func.sum(Order.total_cents).over(),
            sa.func.sum(Order.authorized_cents).over(),
            sa.func.sum(Order.received_cents).over(),
        )
        .where(_waiting_web_orders())
        .order_by(Order.created_at, Order.id)
        .limit(LIMIT)
    ).all()
    if not rows:
        return [], WaitingTotals()
    _, count, total, authorized, received = rows[0]
    totals = WaitingTotals(int(count), int(total), int(authorized), int(received))
    return [row[0] for row in rows], totals


def waiting_for(order: Order, receipt_order_ids) -> str:
    """What a waiting web order needs from staff, in the desk's words."""
    if order.status == OrderStatus.AWAITING_FUNDS:
        if order.id in receipt_order_ids:
            return "Transfer received: approve it"
        return "Bank transfer expected"
    if order.status == OrderStatus.CONFIRMED:
        return "Card authorized: capture it"
    if order.authorized_cents > 0:
        return "Card authorized: confirm the order"
    return "Deposit received: confirm the order"


def hold_rows(now: datetime, within_hours: int, rep_id: int | None = None) -> list[HoldRow]:
    """Authorized card holds lapsing within `within_hours` (or past), with their orders and reps.

    Three queries: the payments, their orders, the reps.
    """
    payments = holds.lapsing(within_hours, now)
    orders = _orders(order_id_of(p.reference) for p in payments)
    reps = _people(o.rep_id for o in orders.values())
    rows = []
    for p in payments:
        order = orders.get(order_id_of(p.reference))
        if rep_id is not None and (order is None or order.rep_id != rep_id):
            continue
        due = holds.deadline(p)
        rows.append(
            HoldRow(
                payment=p,
                order=order,
                rep=reps.get(order.rep_id) if order and order.rep_id else None,
                deadline=due,
                left=(due - now) if due else timedelta(0),
            )
        )
    return rows


def _attach_orders(board: Board) -> None:
    """The orders of the money rows, and every person named on the board: two queries."""
    money = board.refunds + board.receipts
    orders = _orders(order_id_of(r.payment.reference) for r in money)
    for row in money:
        row.order = orders.get(order_id_of(row.payment.reference))
    ids = [q.rep_id for q in board.quotes]
    for row in money:
        item = row.item
        ids.append(getattr(item, "requested_by_id", None) or getattr(item, "recorded_by_id", None))
    groups = (board.disputes, board.overdue, board.review, board.my_orders, board.expected)
    for group in (*groups, board.waiting):
        ids.extend(o.rep_id for o in group)
    board.people = _people(ids)


def _pending_credit() -> list[tuple[CreditGrant, str]]:
    """Store credit waiting for a second person, with its ticket's number: one query."""
    rows = db.session.execute(
        sa.select(CreditGrant, Ticket.number)
        .join(ReturnRequest, ReturnRequest.id == CreditGrant.return_id)
        .join(Ticket, Ticket.id == ReturnRequest.ticket_id)
        .where(CreditGrant.status == "pending_approval")
        .order_by(CreditGrant.created_at, CreditGrant.id)
        .limit(LIMIT)
    ).all()
    return [(grant, number) for grant, number in rows]


# --- per role ---------------------------------------------------------------------------------


def for_manager(now: datetime) -> Board:
    board = Board(role=Role.MANAGER.value, now=now)
    board.refunds = _money_rows(Refund, Refund.status == "pending_approval")
    board.receipts = _money_rows(TransferReceipt, TransferReceipt.status == "pending_approval")
    board.quotes = list(
        db.session.scalars(
            sa.select(Quote)
            .where(Quote.status == QuoteStatus.PENDING_APPROVAL)
            .order_by(Quote.updated_at)
            .limit(LIMIT)
        )
    )
    board.credits = _pending_credit()
    board.waiting, board.waiting_totals = waiting_web_orders()
    board.holds = hold_rows(now, DASHBOARD_HOLD_HOURS)
    board.disputes = _order_list(Order.dispute_status == "open")
    board.overdue = _overdue(now)
    board.review = _needs_review()
    board.low_ratings = satisfaction.low_ratings()
    _attach_orders(board)
    return board


def _today(user: User, now: datetime) -> tuple[datetime, datetime]:
    try:
        zone = zone_of(zone_name(user.timezone))
    except ValueError:
        zone = zone_of("UTC")
    local = now.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(now.tzinfo), (start + timedelta(days=1)).astimezone(now.tzinfo)


def for_rep(user: User, now: datetime) -> Board:
    board = Board(role=Role.REP.value, now=now)
    start, end = _today(user, now)
    board.consultations = list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.rep_id == user.id,
                Booking.status == BookingStatus.BOOKED,
                Booking.starts_at >= start,
                Booking.starts_at < end,
            )
            .order_by(Booking.starts_at)
            .limit(LIMIT)
        )
    )
    board.quotes = list(
        db.session.scalars(
            sa.select(Quote)
            .where(Quote.rep_id == user.id, Quote.status.in_(OPEN_QUOTES))
            .order_by(Quote.updated_at.desc())
            .limit(LIMIT)
        )
    )
    board.my_orders = _order_list(
        Order.rep_id == user.id,
        sa.or_(
            sa.and_(
                Order.status.in_((OrderStatus.PLACED.value, OrderStatus.CONFIRMED.value)),
                Order.total_cents > Order.received_cents,
            ),
            Order.payment_state == "payment_expired",
            Order.needs_review.is_(True),
        ),
        Order.status != OrderStatus.CANCELLED.value,
    )
    board.holds = hold_rows(now, DASHBOARD_HOLD_HOURS, rep_id=user.id)
    if can(user.role, Permission.VIEW_TICKETS):
        from shop.staff.support import desk_summary  # the rep's tickets: two queries

        board.tickets = desk_summary(user, now, mine_only=True)
    _attach_orders(board)
    return board


def for_support(user: User, now: datetime) -> Board:
    from shop.staff.support import desk_summary  # the ticket queue: two queries

    board = Board(role=Role.SUPPORT.value, now=now)
    board.tickets = desk_summary(user, now)
    board.review = _needs_review()
    board.receipts = _money_rows(TransferReceipt, TransferReceipt.status == "pending_approval")
    board.refunds = _money_rows(
        Refund, Refund.status == "pending_approval", Refund.requested_by_id == user.id
    )
    board.expected = _order_list(
        Order.status == OrderStatus.AWAITING_FUNDS.value, order_by=(Order.funds_due_at,)
    )
    rows = db.session.execute(
        sa.select(Payment.reference, Payment.bank_reference).where(
            Payment.reference.in_([f"order:{o.id}" for o in board.expected]),
            Payment.method == "bank_transfer",
            Payment.bank_reference.is_not(None),
        )
    )
    for ref, bank_reference in rows:
        board.bank_references[order_id_of(ref)] = bank_reference
    _attach_orders(board)
    return board


def for_user(user: User, now: datetime | None = None) -> Board:
    """The board of the work this person may do: the whole team's, a seller's, or support's."""
    now = now or utcnow()
    if can(user.role, Permission.MANAGE_STAFF):
        return for_manager(now)
    if can(user.role, Permission.BUILD_QUOTES):
        return for_rep(user, now)
    return for_support(user, now)
