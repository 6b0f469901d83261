"""Store credit as money: one balance row per buyer, and a ledger row for every movement.

The balance row is what is locked when credit moves, so two checkouts spending the same credit
at once take turns; the ledger row written with each move keeps the balance after it, so the
history adds up row by row. The database refuses a negative balance, a spend written as a gain,
and a second spend (or restore) for one order.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import UTCDateTime, money_column, utcnow
from shop.extensions import db

CREDIT_KINDS = ("grant", "spend", "restore")


class CreditAccount(db.Model):
    """A buyer's store credit balance: the sum of their ledger rows, never below zero."""

    __tablename__ = "credit_accounts"
    __table_args__ = (sa.CheckConstraint("balance_cents >= 0", name="balance_not_negative"),)

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    balance_cents: Mapped[int] = money_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="USD")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )

    def __repr__(self) -> str:
        return f"<CreditAccount user={self.user_id} {self.balance_cents}>"


class StoreCredit(db.Model):
    """One movement of a buyer's store credit: a grant (a settled return), a spend (part of an
    order paid with it, negative) or a restore (that order cancelled, the credit given back)."""

    __tablename__ = "store_credits"
    __table_args__ = (
        sa.Index("ix_store_credits_email", "email", "id"),
        # One spend and one restore per order, whatever the double clicks and retries.
        sa.UniqueConstraint("order_id", "kind"),
        sa.CheckConstraint("kind IN ('grant', 'spend', 'restore')", name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'spend' AND amount_cents < 0) OR (kind <> 'spend' AND amount_cents > 0)",
            name="amount_sign",
        ),
        sa.CheckConstraint("balance_after_cents >= 0", name="balance_after_not_negative"),
        sa.CheckConstraint("kind = 'grant' OR order_id IS NOT NULL", name="order_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    kind: Mapped[str] = mapped_column(
        sa.String(10), nullable=False, default="grant", server_default="grant"
    )
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    balance_after_cents: Mapped[int] = money_column(default=0, server_default="0")
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="USD")
    reason: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    return_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("return_requests.id", ondelete="SET NULL"), unique=True
    )
    # A spend or restore names its order (kept: money history is never orphaned).
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"<StoreCredit {self.kind} {self.amount_cents} buyer={self.buyer_id}>"
