"""Dispute evidence for the staff order page: the acceptance record, the delivery record and
the communication with the buyer, gathered when an order has a card dispute."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from shop.delivery.models import DeliveryAppointment
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order, OrderEvent


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


def evidence(order: Order, appointments: list[DeliveryAppointment] | None = None) -> Evidence:
    """The acceptance record, the delivery record and the communication, in two queries at most.

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
        acceptance={
            "terms_version": order.terms_version,
            "accepted_at": order.terms_accepted_at,
            "ip_address": order.terms_accepted_ip,
            "user_agent": order.terms_user_agent,
        },
        delivered_at=order.delivered_at,
        deliveries=[a for a in appointments if a.status != "cancelled"],
        emails=emails_to_buyer(order),
        dispute_events=events,
    )
