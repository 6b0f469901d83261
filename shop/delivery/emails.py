"""The emails a delivery sends the buyer, queued in the outbox with the change they announce.

The calendar invitation is made by the consultations' `invite` (icalendar, the reader's zone,
one UID for the life of the appointment and SEQUENCE = link_version), fed the appointment.
"""

from datetime import datetime
from types import SimpleNamespace

from flask import current_app

from shop.auth.models import User
from shop.consultations.invites import invite
from shop.delivery.models import DeliveryAppointment
from shop.notifications.services import absolute_url, queue_email
from shop.orders.models import Order
from shop.timefmt import stamp


def _when(appointment: DeliveryAppointment) -> str:
    from shop.delivery.services import window_label

    return window_label(appointment.starts_at, appointment.ends_at, appointment.buyer_timezone)


def _address(order: Order) -> str:
    parts = [order.address_line1, order.address_line2, order.city, order.region, order.postal_code]
    return ", ".join(p for p in parts if p)


def ics(appointment: DeliveryAppointment, order: Order, crew: User, cancelled: bool = False):
    """The buyer's calendar invitation for the window, as an outbox attachment."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    organizer = sender.split("<")[-1].rstrip(">") if "<" in sender else sender
    # `invite` reads a booking's fields; an appointment has them under these names.
    event = SimpleNamespace(
        reference=appointment.reference,
        link_version=appointment.link_version,
        updated_at=appointment.updated_at or appointment.created_at,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        channel="delivery",
        name=order.name,
        email=order.email,
    )
    address = _address(order)
    content = invite(
        event,
        tz=appointment.buyer_timezone,
        rep_name=crew.name,
        rep_email=crew.email,
        organizer_email=organizer,
        title=f"Harbor & Hall delivery window, order {order.number}",
        description=(
            f"White-glove delivery of order {order.number} by {crew.name}"
            + (f" to {address}" if address else "")
            + ". The crew arrives within the window."
        ),
        cancelled=cancelled,
    )
    return {
        "filename": "delivery.ics",
        "content_type": "text/calendar; method=" + ("CANCEL" if cancelled else "REQUEST"),
        "content": content,
    }


def _context(appointment: DeliveryAppointment, order: Order, crew: User) -> dict:
    from shop.delivery.services import link_token

    return {
        "appointment": appointment,
        "order": order,
        "crew": crew,
        "when": _when(appointment),
        "address": _address(order),
        "link": absolute_url("delivery.window", token=link_token(appointment)),
    }


def _send(appointment, order, crew, kind: str, subject: str, attach=True, cancelled=False, **kw):
    queue_email(
        f"delivery-{kind}:{appointment.reference}:{appointment.link_version}",
        order.email,
        subject,
        f"delivery_{kind}",
        attachments=[ics(appointment, order, crew, cancelled)] if attach else None,
        **_context(appointment, order, crew),
        **kw,
    )


def confirmed(appointment: DeliveryAppointment, order: Order, crew: User) -> None:
    _send(appointment, order, crew, "confirmed", f"Your delivery of order {order.number} is booked")


def rescheduled(appointment: DeliveryAppointment, order: Order, crew: User) -> None:
    _send(appointment, order, crew, "rescheduled", f"Your delivery of order {order.number} moved")


def cancelled(appointment: DeliveryAppointment, order: Order, crew: User, reason: str) -> None:
    _send(
        appointment,
        order,
        crew,
        "cancelled",
        f"Your delivery window for order {order.number} is cancelled",
        cancelled=True,
        reason=reason,
    )


def reminder(appointment: DeliveryAppointment, order: Order, crew: User) -> None:
    """The day-before reminder for the window as it is now (once per start time)."""
    at = stamp(appointment.starts_at)
    queue_email(
        f"delivery-reminder-24h:{appointment.reference}:{at}",
        order.email,
        f"Reminder: your delivery of order {order.number} is tomorrow",
        "delivery_reminder",
        **_context(appointment, order, crew),
    )


def pick(order: Order, now: datetime) -> None:
    """A link for the buyer to pick a window (one per minute, whatever the double clicks)."""
    from shop.delivery.services import day_label, earliest_delivery, order_token

    earliest = earliest_delivery(order)
    queue_email(
        f"delivery-pick:{order.number}:{stamp(now)}",
        order.email,
        f"Choose a delivery window for order {order.number}",
        "delivery_pick",
        order=order,
        address=_address(order),
        link=absolute_url("delivery.window", token=order_token(order)),
        ready_from=day_label(earliest) if earliest is not None and earliest > now else "",
    )


def connect() -> None:
    """Send these when delivery announces a change (shop.delivery.signals); called at app start.
    Connecting twice (a second app in the same process) keeps one receiver each."""
    from shop.delivery import signals

    signals.confirmed.connect(confirmed)
    signals.rescheduled.connect(rescheduled)
    signals.cancelled.connect(cancelled)
    signals.pick.connect(pick)
