"""Payment rows and received webhook events. No card data is ever stored here."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import TimestampMixin, UTCDateTime, money_column, utcnow
from shop.extensions import db


class Payment(TimestampMixin, db.Model):
    """One way of paying for one thing (`reference`, e.g. "order:42"), by card or transfer.

    For a card, one PaymentIntent serves every attempt: a decline leaves it waiting for another
    card, so a retry never makes a second charge.
    """

    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("reference", "purpose"),
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
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    last_error: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capture_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.reference} {self.method} {self.status}>"


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
