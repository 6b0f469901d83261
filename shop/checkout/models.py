"""What a buyer typed during checkout, kept so the steps can be gone back through."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import TimestampMixin, UTCDateTime
from shop.extensions import db


class Checkout(TimestampMixin, db.Model):
    """One attempt to check out a cart. Placing it makes at most one order (orders.checkout_id)."""

    __tablename__ = "checkouts"
    __table_args__ = (sa.Index("ix_checkouts_cart_open", "cart_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(
        sa.ForeignKey("carts.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    phone: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    address_line1: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    address_line2: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    city: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    region: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="")
    postal_code: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="US")
    # variant id (as text) -> delivery method chosen for that line
    delivery_choices: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    payment_method: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="card")
    order_id: Mapped[int | None] = mapped_column(sa.Integer)  # set once placed
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Checkout {self.id} cart={self.cart_id}>"
