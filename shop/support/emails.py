"""The emails a ticket sends, queued in the outbox in the caller's transaction.

Buyers hear about staff replies (never internal notes) with a link back to the thread; staff hear
about new tickets and buyer messages with a link to the ticket on the desk.
"""

from flask import current_app
from werkzeug.routing import BuildError

from shop.auth.models import User
from shop.notifications.services import absolute_url, queue_email
from shop.support.links import ticket_link_token
from shop.support.models import Ticket, TicketMessage


def buyer_url(ticket: Ticket) -> str:
    """Where the buyer reads the thread: their account's page, or the signed guest link."""
    if ticket.buyer_id is not None:
        return absolute_url("support.thread", number=ticket.number)
    return absolute_url("support.guest_thread", token=ticket_link_token(ticket))


def staff_url(ticket: Ticket) -> str:
    """The ticket on the staff desk (a plain path while the desk page does not exist yet)."""
    try:
        return absolute_url("staff.support.support_ticket", number=ticket.number)
    except BuildError:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        return f"{base}/staff/support/{ticket.number}"


def _labels() -> dict:
    from shop.support.services import KIND_LABELS, STATUS_LABELS

    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS}


def _to_staff(kind: str, ticket: Ticket, message, recipients: list[User], subject: str, **extra):
    for person in recipients:
        queue_email(
            f"ticket-{kind}:{ticket.number}:{message.id}:staff:{person.id}",
            person.email,
            subject,
            "ticket_to_staff",
            kind=kind,
            ticket=ticket,
            message=message,
            person=person,
            desk_url=staff_url(ticket),
            **_labels(),
            **extra,
        )


def ticket_opened(ticket: Ticket, message: TicketMessage, recipients, attachments: int = 0):
    """Staff hear about the new ticket; the buyer gets a receipt with the link to the thread."""
    _to_staff(
        "opened",
        ticket,
        message,
        recipients,
        f"New ticket {ticket.number}: {ticket.subject}",
        attachment_count=attachments,
    )
    queue_email(
        f"ticket-opened:{ticket.number}:buyer",
        ticket.email,
        f"We have your message ({ticket.number})",
        "ticket_received",
        ticket=ticket,
        thread_url=buyer_url(ticket),
        **_labels(),
    )


def buyer_wrote(ticket: Ticket, message: TicketMessage, recipients, attachments: int = 0):
    _to_staff(
        "buyer_message",
        ticket,
        message,
        recipients,
        f"{ticket.name} wrote on {ticket.number}: {ticket.subject}",
        attachment_count=attachments,
    )


def staff_replied(ticket: Ticket, message: TicketMessage, attachments: int = 0):
    """A public staff reply to the buyer. Never called for internal notes."""
    assert not message.internal, "internal notes are never emailed to buyers"
    queue_email(
        f"ticket-reply:{ticket.number}:{message.id}:buyer",
        ticket.email,
        f"Re: {ticket.subject} ({ticket.number})",
        "ticket_reply",
        ticket=ticket,
        message=message,
        attachments_count=attachments,
        thread_url=buyer_url(ticket),
        **_labels(),
    )


def status_changed(ticket: Ticket):
    """The buyer hears when we need their answer and when the ticket is solved."""
    from shop.support.services import STATUS_LABELS

    stamp = int((ticket.updated_at or ticket.created_at).timestamp())
    queue_email(
        f"ticket-status:{ticket.number}:{ticket.status}:{stamp}:buyer",
        ticket.email,
        f"{STATUS_LABELS[ticket.status]}: {ticket.subject} ({ticket.number})",
        "ticket_status",
        ticket=ticket,
        thread_url=buyer_url(ticket),
        **_labels(),
    )


def assigned(ticket: Ticket, assignee: User, actor):
    stamp = int((ticket.updated_at or ticket.created_at).timestamp())
    queue_email(
        f"ticket-assigned:{ticket.number}:{assignee.id}:{stamp}",
        assignee.email,
        f"Ticket {ticket.number} is yours: {ticket.subject}",
        "ticket_assigned",
        ticket=ticket,
        assignee=assignee,
        actor=actor,
        desk_url=staff_url(ticket),
        **_labels(),
    )


def connect() -> None:
    """Send these when a ticket changes (shop.support.signals); called at app start.
    Connecting twice (a second app in the same process) keeps one receiver each."""
    from shop.support import signals

    signals.ticket_opened.connect(ticket_opened)
    signals.buyer_wrote.connect(buyer_wrote)
    signals.staff_replied.connect(staff_replied)
    signals.status_changed.connect(status_changed)
    signals.assigned.connect(assigned)
