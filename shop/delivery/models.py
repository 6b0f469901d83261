"""A delivery window booked with a crew for an order, and its history.

Crews are staff accounts whose profile's team is "delivery"; their working hours, exceptions and
time off are the same rows a rep's are, so the consultations slot engine offers their windows.
On PostgreSQL an exclusion constraint (in the migration) makes two booked windows of one crew at
overlapping times impossible.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import TimestampMixin, UTCDateTime, utcnow
from shop.extensions import db


class DeliveryAppointment(TimestampMixin, db.Model):
    __tablename__ = "delivery_appointments"
    __table_args__ = (
        sa.Index("ix_delivery_appointments_crew_starts", "crew_id", "starts_at"),
        sa.Index("ix_delivery_appointments_order", "order_id", "id"),
        sa.Index("ix_delivery_appointments_status_starts", "status", "starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("status IN ('booked', 'cancelled', 'delivered')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    )
    crew_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="booked")
    # The zone the buyer reads times in (the delivery address's, or the crew's by default).
    buyer_timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    instructions: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    booked_by_label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    delivery_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # Links in emails carry this; it changes at every reschedule, so old links stop working.
    link_version: Mapped[int] = mapped_column(nullable=False, default=1)
    reminded_24h_for: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<DeliveryAppointment {self.reference} order={self.order_id} {self.status}>"


class DeliveryEvent(db.Model):
    """Who did what to a delivery window, when, from which status to which, and why
    (append-only). The order's own timeline says the same in the buyer's words."""

    __tablename__ = "delivery_events"
    __table_args__ = (
        sa.Index("ix_delivery_events_appointment", "appointment_id", "id"),
        sa.Index("ix_delivery_events_actor", "actor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("delivery_appointments.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    from_status: Mapped[str | None] = mapped_column(sa.String(12))
    to_status: Mapped[str | None] = mapped_column(sa.String(12))
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    def __repr__(self) -> str:
        return f"<DeliveryEvent {self.kind} appointment={self.appointment_id}>"
