"""When a buyer verifies their email, consultations they booked as a visitor join their account."""

import sqlalchemy as sa

from shop.auth.signals import email_verified
from shop.consultations.models import Booking
from shop.extensions import db


def on_email_verified(user) -> None:
    db.session.execute(
        sa.update(Booking)
        .where(Booking.buyer_id.is_(None), sa.func.lower(Booking.email) == user.email.lower())
        .values(buyer_id=user.id)
    )


def connect() -> None:
    email_verified.connect(on_email_verified)
