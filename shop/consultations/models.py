"""Reps' working time and the bookings buyers make with them.

Working hours are kept in the rep's own time zone (wall-clock times), because "Tuesdays 9 to 5"
means 9 to 5 in Portland before and after a daylight-saving change. Bookings are instants in UTC.
"""

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import TimestampMixin, UTCDateTime, utcnow
from shop.extensions import db


class RepSchedule(TimestampMixin, db.Model):
    """A rep's booking rules. One row per rep; the rep's time zone is on the user."""

    __tablename__ = "rep_schedules"
    __table_args__ = (
        sa.CheckConstraint("meeting_minutes BETWEEN 15 AND 240", name="meeting_length_sane"),
        sa.CheckConstraint("min_notice_minutes >= 0", name="notice_not_negative"),
        sa.CheckConstraint("buffer_minutes >= 0", name="buffer_not_negative"),
        sa.CheckConstraint("window_days BETWEEN 1 AND 365", name="window_sane"),
        sa.CheckConstraint("daily_cap BETWEEN 1 AND 24", name="daily_cap_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    meeting_minutes: Mapped[int] = mapped_column(nullable=False, default=45)
    min_notice_minutes: Mapped[int] = mapped_column(nullable=False, default=12 * 60)
    buffer_minutes: Mapped[int] = mapped_column(nullable=False, default=15)
    window_days: Mapped[int] = mapped_column(nullable=False, default=30)
    daily_cap: Mapped[int] = mapped_column(nullable=False, default=6)
    accepts_bookings: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return f"<RepSchedule rep={self.rep_id}>"


class WorkingHours(db.Model):
    """One stretch of a weekday, in the rep's wall-clock time (weekday 0 is Monday)."""

    __tablename__ = "working_hours"
    __table_args__ = (
        sa.Index("ix_working_hours_rep_weekday", "rep_id", "weekday"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_known"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    weekday: Mapped[int] = mapped_column(nullable=False)
    starts_at: Mapped[time] = mapped_column(sa.Time, nullable=False)
    ends_at: Mapped[time] = mapped_column(sa.Time, nullable=False)

    def __repr__(self) -> str:
        return f"<WorkingHours rep={self.rep_id} {self.weekday} {self.starts_at}-{self.ends_at}>"


class ScheduleException(db.Model):
    """A day that differs from the week: off altogether, or other hours (rep's wall clock)."""

    __tablename__ = "schedule_exceptions"
    __table_args__ = (
        sa.Index("ix_schedule_exceptions_rep_day", "rep_id", "day"),
        sa.CheckConstraint(
            "(starts_at IS NULL AND ends_at IS NULL) OR (ends_at > starts_at)",
            name="hours_or_day_off",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    starts_at: Mapped[time | None] = mapped_column(sa.Time)  # both empty: the day is off
    ends_at: Mapped[time | None] = mapped_column(sa.Time)
    note: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    def __repr__(self) -> str:
        return f"<ScheduleException rep={self.rep_id} {self.day}>"


class TimeOff(db.Model):
    """A stretch of time off, as instants (a holiday, a conference, a dentist)."""

    __tablename__ = "time_off"
    __table_args__ = (
        sa.Index("ix_time_off_rep_range", "rep_id", "starts_at", "ends_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    note: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    def __repr__(self) -> str:
        return f"<TimeOff rep={self.rep_id} {self.starts_at}>"


class Booking(TimestampMixin, db.Model):
    """A consultation booked by a buyer (or a visitor) with one rep.

    On PostgreSQL an exclusion constraint (added in the migration) makes two live bookings of
    one rep at overlapping times impossible, whatever the code above it does.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        sa.Index("ix_bookings_rep_starts", "rep_id", "starts_at"),
        sa.Index("ix_bookings_buyer", "buyer_id", "starts_at"),
        sa.Index("ix_bookings_status_starts", "status", "starts_at"),
        sa.Index("ix_bookings_email", "email"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'completed', 'no_show')", name="status_known"
        ),
        sa.CheckConstraint("channel IN ('video', 'phone', 'showroom')", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    rep_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    buyer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    visitor_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    channel: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    buyer_timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="booked")
    # What the buyer told us before the call.
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    budget: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    timeline: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")
    known: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    message: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # What the rep recorded after.
    outcome: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    rep_notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # Links in emails carry this; it changes at every reschedule, so old links stop working.
    link_version: Mapped[int] = mapped_column(nullable=False, default=1)
    reminded_24h_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_1h_for: Mapped[datetime | None] = mapped_column(UTCDateTime)

    events: Mapped[list["BookingEvent"]] = relationship(
        order_by="BookingEvent.id", lazy="raise", back_populates="booking"
    )

    def __repr__(self) -> str:
        return f"<Booking {self.reference} rep={self.rep_id} {self.starts_at.isoformat()}>"


class BookingEvent(db.Model):
    """Who did what to a booking, when and why (append-only)."""

    __tablename__ = "booking_events"
    __table_args__ = (
        sa.Index("ix_booking_events_booking", "booking_id", "id"),
        sa.Index("ix_booking_events_actor", "actor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(160), nullable=False, default="")
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    booking: Mapped[Booking] = relationship(back_populates="events", lazy="raise")

    def __repr__(self) -> str:
        return f"<BookingEvent {self.kind} booking={self.booking_id}>"
