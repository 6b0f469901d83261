"""Card disputes on an order: what a dispute from Stripe does (the evidence page is in staff).

A dispute opened at Stripe flags the order (dispute_status "open", needs review), stops
fulfilment (orders.states refuses FULFILMENT moves while it is open), puts an internal event on
the timeline and emails every manager. When Stripe closes it, the order says "won" or "lost".
A redelivered webhook changes nothing twice.
"""

from werkzeug.routing import BuildError

from shop.db import utcnow
from shop.money import Money
from shop.notifications.services import absolute_url, queue_email
from shop.orders.models import Order
from shop.orders.states import record
from shop.timefmt import day, store_zone

# Stripe's dispute statuses that close it, and what they mean for us.
CLOSED = {"won": "won", "warning_closed": "won", "lost": "lost"}


def _link(order: Order) -> str:
    try:
        return absolute_url("staff.orders.order_detail", number=order.number)
    except BuildError:
        return absolute_url("staff.home")


def _amount(dispute: dict, currency: str) -> Money | None:
    amount = dispute.get("amount")
    return Money(int(amount), currency) if isinstance(amount, int) and amount > 0 else None


def _tell_managers(order: Order, kind: str, subject: str, dispute: dict, **context) -> int:
    from shop.orders.holds import managers

    sent = 0
    for person in managers():
        message = queue_email(
            f"dispute-{kind}:{order.number}:{str(dispute.get('id') or '')[:40]}:{person.id}",
            person.email,
            subject,
            f"dispute_{kind}",
            person=person,
            order=order,
            link=_link(order),
            **context,
        )
        sent += message is not None
    return sent


def on_dispute(order: Order, payment, dispute: dict) -> None:
    """Take in a dispute event from Stripe for this (locked) order."""
    outcome = CLOSED.get(str(dispute.get("status") or ""))
    if outcome is not None:
        _closed(order, dispute, outcome)
    else:
        _opened(order, payment, dispute)


def _opened(order: Order, payment, dispute: dict) -> None:
    if order.dispute_status == "open":
        return  # told already
    reason = str(dispute.get("reason") or "unspecified")[:60]
    amount = _amount(dispute, payment.currency)
    order.dispute_status = "open"
    order.needs_review = True
    order.review_reason = f"Card dispute opened ({reason}) on {day(utcnow(), store_zone())}."
    note = order.review_reason + " Fulfilment is stopped until it is closed."
    if amount is not None:
        note += f" Amount disputed: {amount}."
    record(order, "dispute_opened", note, visible_to_buyer=False)
    _tell_managers(
        order,
        "opened",
        f"Card dispute on order {order.number}",
        dispute,
        reason=reason.replace("_", " "),
        amount=amount,
    )


def _closed(order: Order, dispute: dict, outcome: str) -> None:
    if order.dispute_status == outcome:
        return
    order.dispute_status = outcome
    if outcome == "won":
        note = "Card dispute closed: won. Fulfilment may go on."
        if order.review_reason.startswith("Card dispute"):
            order.needs_review = False
            order.review_reason = ""
    else:
        note = (
            "Card dispute closed: lost. The disputed amount went back to the buyer's bank; "
            "decide with the buyer whether the order goes on."
        )
        order.needs_review = True
        order.review_reason = "Card dispute lost: decide whether the order goes on."
    record(order, f"dispute_{outcome}", note, visible_to_buyer=False)
    _tell_managers(
        order,
        "closed",
        f"Card dispute on order {order.number}: {outcome}",
        dispute,
        outcome=outcome,
    )
