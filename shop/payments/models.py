"""Payment rows and received webhook events. No card data is ever stored here."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import TimestampMixin, UTCDateTime, money_column, utcnow
from shop.extensions import db


class Payment(TimestampMixin, db.Model):
    """One way of paying for one thing (`reference`, e.g. "order:42"), by card or transfer.

    For a card, one PaymentIntent per logical attempt: a retry after a timeout continues the
    attempt under the same idempotency key, a new attempt cancels the last one's intent first.
    """

    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("reference", "purpose"),
        sa.Index("ix_payments_status_authorized", "status", "authorized_at"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("amount_capturable_cents >= 0", name="capturable_not_negative"),
        sa.CheckConstraint("amount_received_cents >= 0", name="received_not_negative"),
        sa.CheckConstraint("amount_refunded_cents >= 0", name="refunded_not_negative"),
        sa.CheckConstraint(
            "amount_refunded_cents <= amount_received_cents", name="refund_within_received"
        ),
        sa.CheckConstraint("method IN ('card', 'bank_transfer')", name="method_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="full")
    method: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="USD")
    amount_cents: Mapped[int] = money_column()
    amount_capturable_cents: Mapped[int] = money_column(default=0)
    amount_received_cents: Mapped[int] = money_column(default=0)
    amount_refunded_cents: Mapped[int] = money_column(default=0)
    capture_method: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="manual")
    stripe_customer_id: Mapped[str | None] = mapped_column(sa.String(64))
    stripe_setup_intent_id: Mapped[str | None] = mapped_column(sa.String(64))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    bank_reference: Mapped[str | None] = mapped_column(sa.String(24), unique=True)
    # PaymentIntents made so far (one per logical attempt; a retry of the same attempt is not one).
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    # The idempotency key of a PaymentIntent create whose answer we have not had yet (a timeout):
    # its retry, or the payment's cancellation, sends it again to learn the intent Stripe made.
    intent_key: Mapped[str | None] = mapped_column(sa.String(100))
    last_error: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capture_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When staff were last told that this authorization is about to lapse (sent once).
    deadline_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.reference} {self.method} {self.status}>"


class Refund(TimestampMixin, db.Model):
    """Money given back on a captured card payment, asked for by one staff member.

    Above the configured amount a second staff member must approve it; the database refuses an
    approval by the person who asked. A pending request already counts against what can still be
    refunded, so two requests can never add up to more than was captured.
    """

    __tablename__ = "refunds"
    __table_args__ = (
        sa.Index("ix_refunds_payment", "payment_id"),
        sa.Index("ix_refunds_status_created", "status", "created_at"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(
            "status IN ('pending_approval', 'processing', 'succeeded', 'failed', 'rejected')",
            name="status_known",
        ),
        sa.CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> requested_by_id",
            name="four_eyes",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), nullable=False)
    amount_cents: Mapped[int] = money_column()
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="USD")
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # The form's one-time key: a double click or a resubmitted form makes one row, not two.
    request_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    last_error: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    requested_by_label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    approved_by_label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Refund {self.id} payment={self.payment_id} {self.amount_cents} {self.status}>"


class TransferReceipt(TimestampMixin, db.Model):
    """A bank transfer staff saw arrive, matched to a payment by its reference.

    Applied at once up to the configured amount; above it a second staff member approves
    (never the one who recorded it, enforced by the database too).
    """

    __tablename__ = "transfer_receipts"
    __table_args__ = (
        sa.Index("ix_transfer_receipts_payment", "payment_id"),
        sa.Index("ix_transfer_receipts_status_created", "status", "created_at"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(
            "status IN ('pending_approval', 'applied', 'rejected')", name="status_known"
        ),
        sa.CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> recorded_by_id", name="four_eyes"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), nullable=False)
    amount_cents: Mapped[int] = money_column()
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="USD")
    received_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    payer: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    reference_text: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    # The form's one-time key: a double click or a resubmitted form makes one row, not two.
    request_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    recorded_by_label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    approved_by_label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<TransferReceipt {self.id} payment={self.payment_id} {self.amount_cents}>"


class WebhookEvent(db.Model):
    """A Stripe event, kept by its id so that a redelivery is recognised and done once."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    object_id: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="", index=True)
    stripe_created: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    outcome: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    def __repr__(self) -> str:
        return f"<WebhookEvent {self.id} {self.type}>"
