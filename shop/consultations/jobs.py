"""Reminders, 24 hours and 1 hour before: run every few minutes by `flask send-reminders`.

Each reminder is claimed with one conditional UPDATE that records the meeting time it is for,
so two runs at once never both send it, a rescheduled booking gets reminders for its new time
and none for the old one, and a cancelled one gets none.
"""

from datetime import timedelta

import sqlalchemy as sa

from shop.consultations import emails
from shop.consultations.models import Booking
from shop.consultations.states import BookingStatus
from shop.db import utcnow
from shop.extensions import db
from shop.unit_of_work import unit_of_work

# Each reminder has its window: the day-before one is not sent once the hour-before one is due.
REMINDERS = (
    ("24h", timedelta(hours=24), timedelta(hours=1)),
    ("1h", timedelta(hours=1), timedelta(0)),
)


def _column(which: str):
    return Booking.reminded_24h_for if which == "24h" else Booking.reminded_1h_for


def _due(which: str, lead: timedelta, until: timedelta, now) -> list[int]:
    column = _column(which)
    rows = db.session.execute(
        sa.select(Booking.id, Booking.created_at, Booking.starts_at).where(
            Booking.status == BookingStatus.BOOKED,
            Booking.starts_at > now + until,
            Booking.starts_at <= now + lead,
            sa.or_(column.is_(None), column != Booking.starts_at),
        )
    )
    # Booked later than the reminder would have gone out: the confirmation is enough.
    return [booking_id for booking_id, created, starts in rows if created <= starts - lead]


def _claim(booking_id: int, which: str) -> bool:
    column = _column(which)
    result = db.session.execute(
        sa.update(Booking)
        .where(
            Booking.id == booking_id,
            Booking.status == BookingStatus.BOOKED,
            sa.or_(column.is_(None), column != Booking.starts_at),
        )
        .values({column.key: Booking.starts_at})
    )
    return result.rowcount == 1


def send_reminders(now=None) -> int:
    """Queue the reminders that are due; returns how many bookings were reminded.

    Each reminder is its own unit of work: one that fails leaves the others sent."""
    now = now or utcnow()
    sent = 0
    for which, lead, until in REMINDERS:
        for booking_id in _due(which, lead, until, now):
            with unit_of_work():
                if _claim(booking_id, which):
                    emails.reminder(db.session.get(Booking, booking_id), which)
                    sent += 1
    return sent
