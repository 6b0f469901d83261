"""After-sale service: tickets and their threads, attachments, returns, warranty, store credit,
and the public questions and answers on product pages."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import TimestampMixin, UTCDateTime, money_column, utcnow
from shop.extensions import db

TICKET_KINDS = (
    "question",
    "complaint",
    "compliment",
    "suggestion",
    "delivery_problem",
    "return_request",
    "warranty_claim",
)
TICKET_STATUSES = (
    "new",
    "open",
    "waiting_on_buyer",
    "waiting_on_supplier",
    "on_hold",
    "solved",
    "closed",
)
PRIORITIES = ("low", "normal", "high", "urgent")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Ticket(TimestampMixin, db.Model):
    """One conversation with a buyer after (or outside) a sale."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.Index("ix_tickets_buyer_created", "buyer_id", "created_at"),
        sa.Index("ix_tickets_email", "email"),
        sa.Index("ix_tickets_status_priority", "status", "priority", "created_at"),
        sa.Index("ix_tickets_assignee_status", "assignee_id", "status"),
        sa.Index("ix_tickets_queue_status", "queue", "status"),
        sa.Index("ix_tickets_order", "order_id"),
        sa.Index("ix_tickets_product_kind", "product_id", "kind", "created_at"),
        sa.Index("ix_tickets_rating", "rating"),
        sa.CheckConstraint(_in("kind", TICKET_KINDS), name="kind_known"),
        sa.CheckConstraint(_in("status", TICKET_STATUSES), name="status_known"),
        sa.CheckConstraint(_in("priority", PRIORITIES), name="priority_known"),
        sa.CheckConstraint("queue IN ('rep', 'support')", name="queue_known"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    buyer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))
    # Compliments, suggestions and product questions are tied to a product.
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="new")
    priority: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="normal")
    # "rep": with the rep who sold the order (assignee); "support": the support team's queue.
    queue: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="support")
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    # Service levels, counted in business hours from `created_at` (see support/sla.py).
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_buyer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Satisfaction, asked for once the ticket is solved.
    rating: Mapped[int | None] = mapped_column()
    rating_comment: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Links in emails carry this (guests reach their ticket through a signed link).
    link_version: Mapped[int] = mapped_column(nullable=False, default=1)

    lines: Mapped[list["TicketLine"]] = relationship(
        order_by="TicketLine.id", lazy="raise", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.kind} {self.status}>"


class TicketLine(db.Model):
    """An order line the ticket is about."""

    __tablename__ = "ticket_lines"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "order_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
    )
    order_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False, index=True
    )


class TicketMessage(db.Model):
    """A message in the thread; `internal` ones are staff notes the buyer never sees."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        sa.Index("ix_ticket_messages_ticket", "ticket_id", "id"),
        sa.CheckConstraint("author_kind IN ('buyer', 'staff', 'system')", name="author_known"),
        sa.CheckConstraint("NOT internal OR author_kind <> 'buyer'", name="buyers_never_internal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    author_label: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    author_kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    internal: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class TicketEvent(db.Model):
    """What happened to a ticket besides messages: status, priority, assignment, merge."""

    __tablename__ = "ticket_events"
    __table_args__ = (sa.Index("ix_ticket_events_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="system")
    internal: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Attachment(db.Model):
    """A photo or document on a ticket message, stored outside the web root under a random name."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.Index("ix_attachments_ticket", "ticket_id", "id"),
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
    )
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_messages.id", ondelete="CASCADE"), index=True
    )
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    original_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    size_bytes: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


RETURN_STATUSES = ("requested", "approved", "declined", "received", "closed")
RETURN_OUTCOMES = ("refund", "exchange", "store_credit")


class ReturnRequest(TimestampMixin, db.Model):
    """A return asked for through a ticket: decided, received, and settled one way."""

    __tablename__ = "return_requests"
    __table_args__ = (
        sa.Index("ix_return_requests_order", "order_id"),
        sa.Index("ix_return_requests_status", "status", "created_at"),
        sa.CheckConstraint(_in("status", RETURN_STATUSES), name="status_known"),
        sa.CheckConstraint(
            "outcome IS NULL OR " + _in("outcome", RETURN_OUTCOMES), name="outcome_known"
        ),
        sa.CheckConstraint("credit_cents >= 0", name="credit_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="requested")
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    decision_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    instructions: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(sa.String(12))
    refund_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("refunds.id", ondelete="SET NULL"), index=True
    )
    exchange_order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    credit_cents: Mapped[int] = money_column(default=0)
    # Units put back on the shelf when the goods came back (once, at "received").
    restocked_units: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    # What of the returned goods' paid value an exchange put towards its replacement (the rest,
    # if any, went as store credit): money of the order that nothing else may give back again.
    exchange_value_cents: Mapped[int] = money_column(default=0, server_default="0")


CREDIT_GRANT_STATUSES = ("pending_approval", "granted", "rejected")


class CreditGrant(TimestampMixin, db.Model):
    """Store credit asked for on a return, like a refund: written to the buyer's ledger at once
    within the refund limit; above it only when a second staff member approves (never the one
    who asked: the database refuses that too). A rejected one leaves the return to settle again.
    """

    __tablename__ = "credit_grants"
    __table_args__ = (
        sa.Index("ix_credit_grants_status_created", "status", "created_at"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(_in("status", CREDIT_GRANT_STATUSES), name="status_known"),
        sa.CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> requested_by_id", name="four_eyes"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        sa.ForeignKey("return_requests.id", ondelete="CASCADE"), nullable=False, index=True
    )
    buyer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    amount_cents: Mapped[int] = money_column()
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="USD")
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    requested_by_label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    approved_by_label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")

    def __repr__(self) -> str:
        return f"<CreditGrant {self.id} return={self.return_id} {self.amount_cents} {self.status}>"


class WarrantyRegistration(db.Model):
    """One delivered unit of an order line, with its serial number and warranty term."""

    __tablename__ = "warranty_registrations"
    __table_args__ = (
        sa.UniqueConstraint("order_line_id", "unit"),
        sa.Index("ix_warranty_registrations_order", "order_id"),
        sa.Index("ix_warranty_registrations_serial", "serial_number"),
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        sa.CheckConstraint("unit >= 1", name="unit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    )
    order_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False
    )
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    unit: Mapped[int] = mapped_column(nullable=False, default=1)  # 1..quantity
    serial_number: Mapped[str | None] = mapped_column(sa.String(80))
    starts_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ProductQuestion(db.Model):
    """A question anyone can read on a product page; asked by a signed-in buyer."""

    __tablename__ = "product_questions"
    __table_args__ = (
        sa.Index("ix_product_questions_product", "product_id", "status", "created_at"),
        sa.CheckConstraint("status IN ('published', 'hidden')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="published")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ProductAnswer(db.Model):
    """An answer by staff or by a buyer; `verified_owner` when that buyer bought the product."""

    __tablename__ = "product_answers"
    __table_args__ = (
        sa.Index("ix_product_answers_question", "question_id", "status", "id"),
        sa.CheckConstraint("status IN ('published', 'hidden')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("product_questions.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    by_staff: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    verified_owner: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="published")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
