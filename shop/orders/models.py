"""Orders copy what was sold at the moment of sale; later catalog edits never rewrite them."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import DELIVERY_LABELS
from shop.db import TimestampMixin, UTCDateTime, money_column, utcnow
from shop.extensions import db
from shop.money import Money


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_user_created", "user_id", "created_at"),
        sa.Index("ix_orders_status_created", "status", "created_at"),
        sa.Index("ix_orders_email", "email"),
        sa.Index("ix_orders_created", "created_at"),
        sa.Index("ix_orders_payment_state_created", "payment_state", "created_at"),
        sa.Index("ix_orders_rep_created", "rep_id", "created_at"),
        sa.Index("ix_orders_dispute", "dispute_status"),
        sa.Index("ix_orders_needs_review", "needs_review", "created_at"),
        sa.CheckConstraint("subtotal_cents >= 0", name="subtotal_not_negative"),
        sa.CheckConstraint("delivery_cents >= 0", name="delivery_not_negative"),
        sa.CheckConstraint("tax_cents >= 0", name="tax_not_negative"),
        sa.CheckConstraint("discount_cents >= 0", name="discount_not_negative"),
        sa.CheckConstraint(
            "total_cents = subtotal_cents - discount_cents + delivery_cents + tax_cents",
            name="total_adds_up",
        ),
        sa.CheckConstraint("paid_cents >= 0", name="paid_not_negative"),
        sa.CheckConstraint(
            "credit_cents >= 0 AND credit_cents <= total_cents", name="credit_within_total"
        ),
        sa.CheckConstraint(
            "payment_method IN ('card', 'bank_transfer')", name="payment_method_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    # One checkout makes at most one order, whatever the double clicks and retries.
    checkout_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("checkouts.id", ondelete="SET NULL"), unique=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    address_line1: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    address_line2: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    city: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    region: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="")
    postal_code: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="US")

    status: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    quote_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)  # set for a quote's order
    rep_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    payment_method: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="USD")
    subtotal_cents: Mapped[int] = money_column()
    delivery_cents: Mapped[int] = money_column()
    # A negotiated reduction (a quote's discounts and trade-in credits), shown as one line.
    discount_cents: Mapped[int] = money_column(default=0, server_default="0")
    tax_cents: Mapped[int] = money_column()
    total_cents: Mapped[int] = money_column()
    tax_rate: Mapped[Decimal] = mapped_column(sa.Numeric(6, 3), nullable=False)
    # Paid with the buyer's store credit (the ledger's spend row for this order); the card or
    # transfer pays the rest. Counted as received; back to 0 when a cancelled order gives it back.
    credit_cents: Mapped[int] = money_column(default=0, server_default="0")
    # Across all the order's payments (deposit, balance...), kept by `refresh_amounts`.
    paid_cents: Mapped[int] = money_column(default=0)  # received less refunded
    authorized_cents: Mapped[int] = money_column(default=0)  # held on cards, not yet captured
    received_cents: Mapped[int] = money_column(default=0, server_default="0")
    refunded_cents: Mapped[int] = money_column(default=0, server_default="0")
    # unpaid, authorized, partially_paid, paid, partially_refunded, refunded, payment_expired
    payment_state: Mapped[str] = mapped_column(
        sa.String(24), nullable=False, default="unpaid", server_default="unpaid"
    )
    # None, or open / won / lost: an open card dispute stops fulfilment.
    dispute_status: Mapped[str | None] = mapped_column(sa.String(12))

    terms_version: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    terms_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    terms_accepted_ip: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    terms_user_agent: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")

    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    funds_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when something does not add up (an amount or currency mismatch): staff must look.
    needs_review: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    review_reason: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order",
        order_by="OrderLine.id",
        lazy="raise",
        cascade="all, delete-orphan",
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", order_by="OrderEvent.id", lazy="raise"
    )

    @property
    def total(self) -> Money:
        return Money(self.total_cents, self.currency)

    @property
    def due_cents(self) -> int:
        """What the card or transfer pays: the total less the store credit applied."""
        return self.total_cents - self.credit_cents

    @property
    def outstanding_cents(self) -> int:
        """What the buyer still owes; a refund gives money back, it does not create a debt."""
        return max(self.total_cents - max(self.received_cents, self.paid_cents), 0)

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status}>"


def line_label(product_name: str, variant_name: str | None) -> str:
    """A line's product with its variant in brackets, or the product alone: a quote's custom or
    service line has no variant, and must not read "Installation ()"."""
    variant = (variant_name or "").strip()
    return f"{product_name} ({variant})" if variant else product_name


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price_cents > 0", name="unit_price_positive"),
        sa.CheckConstraint(
            "line_total_cents = unit_price_cents * quantity", name="line_total_adds_up"
        ),
        sa.CheckConstraint("delivery_cents >= 0", name="delivery_not_negative"),
        sa.CheckConstraint("lead_weeks >= 0", name="lead_weeks_not_negative"),
        sa.CheckConstraint("warranty_months >= 0", name="warranty_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("variants.id", ondelete="SET NULL"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    product_name: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    variant_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    sku: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    unit_price_cents: Mapped[int] = money_column()
    quantity: Mapped[int] = mapped_column(nullable=False)
    line_total_cents: Mapped[int] = money_column()
    delivery_method: Mapped[str] = mapped_column(sa.String(20), nullable=False, index=True)
    delivery_cents: Mapped[int] = money_column(default=0)
    delivery_promise: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    # The promise above as a number, copied at sale: the fewest weeks from the order until the
    # goods can be with the buyer (the stock location's lead time, or the build time when made
    # to order, plus the delivery option's extra weeks). No delivery window before it.
    lead_weeks: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    # The product's warranty term as sold: copied at the sale, so a later catalog edit never
    # shortens (or lengthens) what this buyer was promised. 0 for a line that is no product.
    warranty_months: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    # Units of this line put back in stock by its returns, so far: a second return naming the
    # same line restocks at most what is left of `quantity` (never the same unit twice).
    restocked_quantity: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines", lazy="raise")

    @property
    def delivery_label(self) -> str:
        return DELIVERY_LABELS.get(self.delivery_method, self.delivery_method)

    @property
    def label(self) -> str:
        """What the line is, as people read it: "Aura 38 (Teak deck)", or "Installation"."""
        return line_label(self.product_name, self.variant_name)

    def __repr__(self) -> str:
        return f"<OrderLine {self.sku} x{self.quantity}>"


class OrderEvent(db.Model):
    """One thing that happened to an order: append-only, with who, when and why."""

    __tablename__ = "order_events"
    __table_args__ = (
        sa.Index("ix_order_events_order_id", "order_id", "id"),
        sa.Index("ix_order_events_actor_id", "actor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(160), nullable=False, default="system")
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    from_status: Mapped[str | None] = mapped_column(sa.String(24))
    to_status: Mapped[str | None] = mapped_column(sa.String(24))
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    visible_to_buyer: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    order: Mapped[Order] = relationship(back_populates="events", lazy="raise")

    def __repr__(self) -> str:
        return f"<OrderEvent {self.kind} order={self.order_id}>"
