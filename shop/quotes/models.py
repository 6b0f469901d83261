"""Quotes and their versions. A version is never edited once sent: a change makes a new one.

Lines copy the catalog's name, SKU, price and cost when they are added, so a quote says what was
offered whatever the catalog does later. Amounts are integer cents, rates exact Decimals.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import TimestampMixin, UTCDateTime, money_column, utcnow
from shop.extensions import db

QUOTE_STATUSES = (
    "draft",
    "pending_approval",
    "approved",
    "sent",
    "changes_requested",
    "accepted",
    "declined",
    "expired",
    "withdrawn",
    "ordered",
)


class Quote(TimestampMixin, db.Model):
    __tablename__ = "quotes"
    __table_args__ = (
        sa.Index("ix_quotes_rep_status", "rep_id", "status"),
        sa.Index("ix_quotes_buyer", "buyer_id", "created_at"),
        sa.Index("ix_quotes_status_valid", "status", "valid_until"),
        sa.CheckConstraint(sa.text(f"status IN {QUOTE_STATUSES!r}"), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    rep_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    buyer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="scratch")
    request_comment: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="draft")
    current_version: Mapped[int] = mapped_column(nullable=False, default=1)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    reminded_buyer_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_rep_for: Mapped[datetime | None] = mapped_column(UTCDateTime)

    versions: Mapped[list["QuoteVersion"]] = relationship(
        back_populates="quote", order_by="QuoteVersion.number", lazy="raise"
    )

    def __repr__(self) -> str:
        return f"<Quote {self.number} {self.status}>"


class QuoteVersion(db.Model):
    """One version of a quote's terms, frozen once sent."""

    __tablename__ = "quote_versions"
    __table_args__ = (
        sa.UniqueConstraint("quote_id", "number"),
        sa.CheckConstraint(
            "discount_kind IN ('none', 'percent', 'amount')", name="discount_kind_known"
        ),
        sa.CheckConstraint("deposit_pct >= 0 AND deposit_pct <= 100", name="deposit_in_range"),
        sa.CheckConstraint("total_cents >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[int] = mapped_column(nullable=False)
    discount_kind: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="none")
    discount_value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False, default=0)
    deposit_pct: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False, default=0)
    delivery_terms: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    note_to_buyer: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Totals as computed by quotes.pricing when the version was saved (kept as evidence).
    list_cents: Mapped[int] = money_column(default=0)
    discount_cents: Mapped[int] = money_column(default=0)
    total_cents: Mapped[int] = money_column(default=0)
    cost_cents: Mapped[int] = money_column(default=0)
    deposit_cents: Mapped[int] = money_column(default=0)
    needs_approval: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    approval_reason: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_comment: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Evidence of acceptance: what was accepted (this version, its totals) by whom and how.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_name: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    accepted_ip: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    accepted_user_agent: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    accepted_terms_version: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")

    quote: Mapped[Quote] = relationship(back_populates="versions", lazy="raise")
    lines: Mapped[list["QuoteLine"]] = relationship(
        back_populates="version",
        order_by="QuoteLine.position",
        lazy="raise",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<QuoteVersion quote={self.quote_id} v{self.number}>"


class QuoteLine(db.Model):
    """A catalog item (price and cost copied from the catalog), a custom line for what the
    catalog does not sell (installation, transport), or a trade-in (a credit: the appraised
    value as a negative price). quotes.services decides the kind, never the rep's browser."""

    __tablename__ = "quote_lines"
    __table_args__ = (
        sa.Index("ix_quote_lines_version", "version_id", "position"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("kind IN ('catalog', 'custom', 'trade_in')", name="kind_known"),
        sa.CheckConstraint(
            "discount_kind IN ('none', 'percent', 'amount')", name="discount_kind_known"
        ),
        sa.CheckConstraint(
            "kind <> 'catalog' OR unit_price_cents > 0", name="catalog_price_positive"
        ),
        # A trade-in is a credit with no cost and no discount of its own.
        sa.CheckConstraint(
            "kind <> 'trade_in' OR (unit_price_cents < 0 AND unit_cost_cents = 0"
            " AND discount_kind = 'none')",
            name="trade_in_is_credit",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quote_versions.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    variant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("variants.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    sku: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    unit_price_cents: Mapped[int] = money_column()
    unit_cost_cents: Mapped[int] = money_column(default=0)
    quantity: Mapped[int] = mapped_column(nullable=False, default=1)
    discount_kind: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="none")
    discount_value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False, default=0)
    net_cents: Mapped[int] = money_column(default=0)

    version: Mapped[QuoteVersion] = relationship(back_populates="lines", lazy="raise")

    def __repr__(self) -> str:
        return f"<QuoteLine {self.description} x{self.quantity}>"


class QuoteEvent(db.Model):
    """Every step on a quote: who, when, what changed (append-only)."""

    __tablename__ = "quote_events"
    __table_args__ = (
        sa.Index("ix_quote_events_quote", "quote_id", "id"),
        sa.Index("ix_quote_events_actor", "actor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(160), nullable=False, default="")
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    version: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    def __repr__(self) -> str:
        return f"<QuoteEvent {self.kind} quote={self.quote_id}>"


class QuoteMessage(db.Model):
    """The thread on a quote between the buyer and the rep."""

    __tablename__ = "quote_messages"
    __table_args__ = (
        sa.Index("ix_quote_messages_quote", "quote_id", "id"),
        sa.Index("ix_quote_messages_author", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_buyer: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"<QuoteMessage quote={self.quote_id}>"
