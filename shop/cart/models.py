"""Carts live in the database so they survive restarts, new browsers and logins."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import Variant
from shop.db import TimestampMixin, UTCDateTime, utcnow
from shop.extensions import db


class Cart(TimestampMixin, db.Model):
    """A buyer's cart (user_id) or a visitor's (visitor_key: a hash of the cookie's token)."""

    __tablename__ = "carts"
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (visitor_key IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    visitor_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The stock holder of this cart's order waiting for payment ("order:42"): those units are
    # the buyer's own, so changing the cart meanwhile never counts them as taken.
    held_for: Mapped[str | None] = mapped_column(sa.String(40))

    lines: Mapped[list["CartLine"]] = relationship(
        back_populates="cart", order_by="CartLine.id", cascade="all, delete-orphan", lazy="raise"
    )

    def __repr__(self) -> str:
        return f"<Cart {self.id} user={self.user_id}>"


class CartLine(TimestampMixin, db.Model):
    """A variant and a quantity; the price is never stored here, it is read at display time."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        sa.UniqueConstraint("cart_id", "variant_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(
        sa.ForeignKey("carts.id", ondelete="CASCADE"), nullable=False
    )
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("variants.id", ondelete="CASCADE"), nullable=False, index=True
    )
    quantity: Mapped[int] = mapped_column(nullable=False)

    cart: Mapped[Cart] = relationship(back_populates="lines", lazy="raise")
    variant: Mapped[Variant] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<CartLine {self.variant_id} x{self.quantity}>"
