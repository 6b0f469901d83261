"""The day-before delivery reminder: run every few minutes by `flask send-delivery-reminders`.

Due rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED (a second run at the same moment
skips them, and once the first commits they no longer match), and the claim records the window
it is for (`reminded_24h_for = starts_at`): a moved window gets a reminder for its new time and
none for the old one, a cancelled or delivered one gets none, and no window gets two.
"""

from datetime import timedelta

import sqlalchemy as sa

from shop.auth.models import User
from shop.db import utcnow
from shop.delivery import emails
from shop.delivery.models import DeliveryAppointment
from shop.delivery.states import DeliveryStatus
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.states import OrderStatus
from shop.unit_of_work import unit_of_work

LEAD = timedelta(hours=24)
BATCH = 100


def _claim(now) -> list[DeliveryAppointment]:
    return list(
        db.session.scalars(
            sa.select(DeliveryAppointment)
            .join(Order, Order.id == DeliveryAppointment.order_id)
            .where(
                DeliveryAppointment.status == DeliveryStatus.BOOKED,
                Order.status == OrderStatus.DELIVERY_SCHEDULED.value,
                DeliveryAppointment.starts_at > now,
                DeliveryAppointment.starts_at <= now + LEAD,
                sa.or_(
                    DeliveryAppointment.reminded_24h_for.is_(None),
                    DeliveryAppointment.reminded_24h_for != DeliveryAppointment.starts_at,
                ),
            )
            .order_by(DeliveryAppointment.starts_at, DeliveryAppointment.id)
            .limit(BATCH)
            .with_for_update(of=DeliveryAppointment, skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )


def send_reminders(now=None) -> int:
    """Queue the reminders that are due; returns how many appointments were reminded.

    Each batch is one unit of work: its rows stay locked from the claim to the commit."""
    now = now or utcnow()
    sent = 0
    while True:
        with unit_of_work():
            due = _claim(now)
            for appointment in due:
                appointment.reminded_24h_for = appointment.starts_at
                if appointment.created_at > appointment.starts_at - LEAD:
                    continue  # booked less than a day ahead: the confirmation is reminder enough
                emails.reminder(
                    appointment,
                    db.session.get(Order, appointment.order_id),
                    db.session.get(User, appointment.crew_id),
                )
                sent += 1
        if len(due) < BATCH:
            return sent
