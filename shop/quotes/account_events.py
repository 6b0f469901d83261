"""When a buyer verifies their email, quotes asked for as a visitor join their account."""

import sqlalchemy as sa

from shop.auth.signals import email_verified
from shop.extensions import db
from shop.quotes.models import Quote


def on_email_verified(user) -> None:
    db.session.execute(
        sa.update(Quote)
        .where(Quote.buyer_id.is_(None), sa.func.lower(Quote.email) == user.email.lower())
        .values(buyer_id=user.id)
    )


def connect() -> None:
    email_verified.connect(on_email_verified)
