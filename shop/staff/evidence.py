"""Dispute evidence for the staff order page: the acceptance record, the delivery record and
the communication with the buyer, gathered when an order has a card dispute."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from shop.delivery.models import DeliveryAppointment
from shop.delivery.states import DeliveryStatus
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order, OrderEvent
from shop.quotes.models import Quote, QuoteVersion


@dataclass
class Evidence:
    """What the order page shows when a dispute needs answering."""

    acceptance: dict
    delivered_at: datetime | None
    deliveries: list[DeliveryAppointment] = field(default_factory=list)
    emails: list[OutboxMessage] = field(default_factory=list)
    dispute_events: list[OrderEvent] = field(default_factory=list)


def emails_to_buyer(order: Order, limit: int = 100) -> list[OutboxMessage]:
    """Emails to the buyer's address about this order or since it was made, oldest first."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(
                sa.func.lower(OutboxMessage.to_address) == order.email.strip().lower(),
                sa.or_(
                    OutboxMessage.dedupe_key.contains(order.number, autoescape=True),
                    OutboxMessage.created_at >= order.created_at,
                ),
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def acceptance(order: Order) -> dict:
    """What the buyer accepted, when, from where and with which browser (one query at most).

    For an order made from a quote, the acceptance is the quote's: the name the buyer typed,
    the version and the total they accepted, with that acceptance's own time, address and
    browser.
    """
    record = {
        "terms_version": order.terms_version,
        "accepted_at": order.terms_accepted_at,
        "ip_address": order.terms_accepted_ip,
        "user_agent": order.terms_user_agent,
        "quote_number": None,
        "quote_version": None,
        "typed_name": None,
        "total_cents": None,
    }
    if order.quote_id is None:
        return record
    row = db.session.execute(
        sa.select(Quote.number, QuoteVersion)
        .join(QuoteVersion, QuoteVersion.quote_id == Quote.id)
        .where(Quote.id == order.quote_id, QuoteVersion.accepted_at.is_not(None))
        .order_by(QuoteVersion.number.desc())
        .limit(1)
    ).first()
    if row is None:
        return record
    number, version = row
    record |= {
        "terms_version": version.accepted_terms_version or order.terms_version,
        "accepted_at": version.accepted_at,
        "ip_address": version.accepted_ip or order.terms_accepted_ip,
        "user_agent": version.accepted_user_agent or order.terms_user_agent,
        "quote_number": number,
        "quote_version": version.number,
        "typed_name": version.accepted_name,
        "total_cents": version.total_cents,
    }
    return record


def evidence(order: Order, appointments: list[DeliveryAppointment] | None = None) -> Evidence:
    """The acceptance record, the delivery record and the communication, in three queries at most.

    `appointments` are the order's (the order page has them already); events come from the
    order's loaded timeline.
    """
    if appointments is None:
        appointments = list(
            db.session.scalars(
                sa.select(DeliveryAppointment)
                .where(DeliveryAppointment.order_id == order.id)
                .order_by(DeliveryAppointment.id.desc())
            )
        )
    try:
        events = [e for e in order.events if e.kind.startswith("dispute_")]
    except sa.exc.InvalidRequestError:  # events not loaded
        events = []
    return Evidence(
        acceptance=acceptance(order),
        delivered_at=order.delivered_at,
        deliveries=[a for a in appointments if a.status != DeliveryStatus.CANCELLED],
        emails=emails_to_buyer(order),
        dispute_events=events,
    )
