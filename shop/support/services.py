"""Tickets: opening, routing, the thread, statuses, priority, assignment and merging.

Services take plain values, lock what they change, flush and never commit: the caller's commit
writes the change, its events, its audit entries and its emails (outbox) at once.
"""

import secrets
import string
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from shop.audit.services import record
from shop.auth.models import User
from shop.auth.roles import STAFF_ROLES, Permission, Role, can
from shop.db import lock_row, utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.support import signals, states
from shop.support.links import ticket_for_token, ticket_link_token  # noqa: F401  (their old home)
from shop.support.models import (
    PRIORITIES,
    TICKET_KINDS,
    Attachment,
    Ticket,
    TicketEvent,
    TicketLine,
    TicketMessage,
)
from shop.support.states import TicketStatus, transition

KIND_LABELS = {
    "question": "Question",
    "complaint": "Complaint",
    "compliment": "Compliment",
    "suggestion": "Suggestion",
    "delivery_problem": "Delivery problem",
    "return_request": "Return request",
    "warranty_claim": "Warranty claim",
}
# The lifecycle's words (support/states.py): the buyer's, and staff's.
STATUS_LABELS = states.TICKET_LABELS
STAFF_STATUS_LABELS = states.TICKET_STAFF_LABELS
PRIORITY_LABELS = {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
QUEUES = ("rep", "support")
# These kinds are about something bought: they need an order.
ORDER_KINDS = ("return_request", "warranty_claim")
MAX_BODY = 20_000
MAX_SUBJECT = 200
CLOSED_MESSAGE = "This ticket is closed and cannot take new messages. Please open a new ticket."

_NUMBER_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


# --- helpers --------------------------------------------------------------------------------


def _new_number() -> str:
    while True:
        number = "T-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(6))
        if db.session.scalar(sa.select(Ticket.id).where(Ticket.number == number)) is None:
            return number


def _label(user) -> str:
    return user.name if user is not None else "system"


def _event(ticket: Ticket, kind: str, actor=None, note: str = "", internal: bool = True):
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        note=note,
        actor_id=getattr(actor, "id", None),
        actor_label=_label(actor),
        internal=internal,
        created_at=utcnow(),
    )
    db.session.add(event)
    return event


def _lock(ticket_id: int) -> Ticket:
    ticket = lock_row(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def _clean_body(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise DomainError("Please write a message.", field="message")
    if len(text) > MAX_BODY:
        raise DomainError(f"Please keep the message under {MAX_BODY:,} characters.", "message")
    return text


def _due_dates(created_at: datetime, priority: str):
    from shop.support import sla

    return sla.due_dates(created_at, priority, current_app.config)


def _store(ticket: Ticket, message: TicketMessage, files, uploader) -> list[Attachment]:
    files = [f for f in files or () if f and getattr(f, "filename", "")]
    if not files:
        return []
    from shop.support.uploads import store_files

    return store_files(ticket.id, message.id, files, uploader)


def staff_recipients(ticket: Ticket) -> list[User]:
    """Who hears about a buyer's message: the assignee, else the support team (else managers)."""
    if ticket.assignee_id is not None:
        assignee = db.session.get(User, ticket.assignee_id)
        if assignee is not None and assignee.is_active_account:
            return [assignee]
    for role in (Role.SUPPORT, Role.MANAGER):
        team = list(
            db.session.scalars(
                sa.select(User)
                .where(User.role == role.value, User.is_active_account.is_(True))
                .order_by(User.id)
            )
        )
        if team:
            return team
    return []


# --- opening --------------------------------------------------------------------------------


def _order_rep(order: Order | None) -> int | None:
    """The order's rep, who knows the buyer, if they still work tickets; else None (support).

    A rep who left keeps their orders' history, but a ticket assigned to them would wait on
    nobody: it goes to the support queue instead.
    """
    if order is None or order.rep_id is None:
        return None
    rep = db.session.get(User, order.rep_id)
    if rep is None or not rep.is_active_account or not can(rep.role, Permission.VIEW_TICKETS):
        return None
    return rep.id


def open_ticket(
    *,
    kind: str,
    subject: str,
    body: str,
    email: str,
    name: str,
    buyer: User | None = None,
    order: Order | None = None,
    order_line_ids=(),
    product_id: int | None = None,
    priority: str = "normal",
    files=(),
) -> Ticket:
    """Open a ticket with the buyer's first message, routed to the order's rep or to support.

    `files` (optional) are stored as attachments of the first message; an `UploadRefused`
    leaves the caller to roll back, so nothing at all is written.
    """
    if kind not in TICKET_KINDS:
        raise DomainError("Please choose what this is about.", field="kind")
    if priority not in PRIORITIES:
        raise DomainError("Unknown priority.", field="priority")
    if kind in ORDER_KINDS and order is None:
        raise DomainError(
            "A return request or a warranty claim is about an order: please open it from the "
            "order's page.",
            field="kind",
        )
    subject = " ".join((subject or "").split())
    if not subject:
        raise DomainError("Please give your message a subject.", field="subject")
    if len(subject) > MAX_SUBJECT:
        raise DomainError(f"Please keep the subject under {MAX_SUBJECT} characters.", "subject")
    body = _clean_body(body)
    line_ids = sorted({int(i) for i in order_line_ids or ()})
    lines: list[OrderLine] = []
    if line_ids:
        if order is None:
            raise DomainError("Items can only be chosen from an order.", field="lines")
        lines = list(
            db.session.scalars(
                sa.select(OrderLine)
                .where(OrderLine.order_id == order.id, OrderLine.id.in_(line_ids))
                .order_by(OrderLine.id)
            )
        )
        if len(lines) != len(line_ids):
            raise DomainError("Please choose items from this order.", field="lines")
    if product_id is None and lines:
        product_id = next((line.product_id for line in lines if line.product_id), None)

    now = utcnow()
    first_due, resolution_due = _due_dates(now, priority)
    rep_id = _order_rep(order)
    ticket = Ticket(
        number=_new_number(),
        buyer_id=buyer.id if buyer is not None else (order.user_id if order else None),
        email=(email or "").strip()[:254],
        name=(name or "").strip()[:120] or "Buyer",
        order_id=order.id if order is not None else None,
        product_id=product_id,
        kind=kind,
        subject=subject,
        status=TicketStatus.NEW.value,
        priority=priority,
        queue="rep" if rep_id else "support",
        assignee_id=rep_id,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        last_buyer_message_at=now,
        rating_comment="",
        link_version=1,
        created_at=now,
        updated_at=now,
    )
    db.session.add(ticket)
    db.session.flush()
    for line in lines:
        db.session.add(TicketLine(ticket_id=ticket.id, order_line_id=line.id))
    message = TicketMessage(
        ticket_id=ticket.id,
        author_id=buyer.id if buyer is not None else None,
        author_label=ticket.name,
        author_kind="buyer",
        body=body,
        internal=False,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    attachments = _store(ticket, message, files, buyer)
    routed = f"to {_label(db.session.get(User, rep_id))} (rep)" if rep_id else "to support"
    _event(ticket, "opened", buyer, note=f"{KIND_LABELS[kind]}, routed {routed}")
    db.session.flush()
    signals.ticket_opened.send(
        ticket, message=message, recipients=staff_recipients(ticket), attachments=len(attachments)
    )
    return ticket


# --- the thread -----------------------------------------------------------------------------


def post_message(
    ticket_id: int,
    *,
    author: User | None,
    body: str,
    internal: bool = False,
    author_kind: str | None = None,
    files=(),
) -> TicketMessage:
    """Add a message to the thread, move the ticket along and tell the other side.

    `author` None is the buyer of a guest ticket. A buyer's message reopens a solved ticket; a
    staff reply (not an internal note) counts as the first response and emails the buyer.
    """
    ticket = _lock(ticket_id)
    if author_kind is None:
        is_staff = author is not None and author.role in STAFF_ROLES
        author_kind = "staff" if is_staff and author.id != ticket.buyer_id else "buyer"
    if author_kind not in ("buyer", "staff", "system"):
        raise DomainError("Unknown author.")
    if internal and author_kind == "buyer":
        raise DomainError("Only staff can write internal notes.")
    if ticket.status == TicketStatus.CLOSED:
        raise DomainError(CLOSED_MESSAGE, field="message")
    text = _clean_body(body)
    now = utcnow()
    message = TicketMessage(
        ticket_id=ticket.id,
        author_id=getattr(author, "id", None),
        author_label=_label(author) if author is not None else ticket.name,
        author_kind=author_kind,
        body=text,
        internal=internal,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    attachments = _store(ticket, message, files, author)
    ticket.updated_at = now
    if author_kind == "buyer":
        ticket.last_buyer_message_at = now
        # The buyer's answer to a solved ticket, or to a question put to them: back to work.
        before = TicketStatus(ticket.status)
        if before in (TicketStatus.SOLVED, TicketStatus.WAITING_ON_BUYER):
            transition(
                ticket,
                TicketStatus.OPEN,
                actor=author,
                kind="reopened" if before == TicketStatus.SOLVED else "status",
                note=f"{STAFF_STATUS_LABELS[before]} → Open (the buyer wrote)",
            )
        db.session.flush()
        signals.buyer_wrote.send(
            ticket,
            message=message,
            recipients=staff_recipients(ticket),
            attachments=len(attachments),
        )
    elif not internal:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        if ticket.status == TicketStatus.NEW:
            # The first answer takes the ticket up.
            transition(
                ticket,
                TicketStatus.OPEN,
                actor=author,
                note=f"{STAFF_STATUS_LABELS[TicketStatus.NEW]} → Open (first reply)",
            )
        db.session.flush()
        signals.staff_replied.send(ticket, message=message, attachments=len(attachments))
    db.session.flush()
    return message


def _staff_action(actor, action: str, ticket: Ticket, before: dict, after: dict, reason=""):
    record(actor, action, "ticket", ticket.number, before=before, after=after, reason=reason)


def set_status(
    ticket_id: int, status: str, actor: User, note: str = "", *, notify: bool = True
) -> Ticket:
    """Move the ticket to `status`, with an event row and an audit entry. `notify=False` when the
    caller sends the buyer its own email about the same step (a settled return says its outcome),
    so one step never brings two emails."""
    try:
        status = TicketStatus(status)
    except ValueError:
        raise DomainError("Unknown status.", field="status") from None
    ticket = _lock(ticket_id)
    if ticket.merged_into_id is not None:
        raise DomainError("This ticket was merged into another; work on that one.")
    before = TicketStatus(ticket.status)
    if before == status:
        return ticket
    text = f"{STAFF_STATUS_LABELS[before]} → {STAFF_STATUS_LABELS[status]}"
    transition(ticket, status, actor=actor, note=f"{text}. {note}".strip() if note else text)
    _staff_action(
        actor, "ticket.status", ticket, {"status": before.value}, {"status": status.value}, note
    )
    db.session.flush()
    if notify and status in (TicketStatus.SOLVED, TicketStatus.WAITING_ON_BUYER):
        signals.status_changed.send(ticket)
    return ticket


def set_priority(ticket_id: int, priority: str, actor: User) -> Ticket:
    """Change the priority; the due dates are counted again from the ticket's creation."""
    if priority not in PRIORITIES:
        raise DomainError("Unknown priority.", field="priority")
    ticket = _lock(ticket_id)
    before = ticket.priority
    if before == priority:
        return ticket
    ticket.priority = priority
    ticket.first_response_due_at, ticket.resolution_due_at = _due_dates(ticket.created_at, priority)
    ticket.updated_at = utcnow()
    _event(
        ticket, "priority", actor, note=f"{PRIORITY_LABELS[before]} → {PRIORITY_LABELS[priority]}"
    )
    _staff_action(actor, "ticket.priority", ticket, {"priority": before}, {"priority": priority})
    db.session.flush()
    return ticket


def reassign(
    ticket_id: int, *, actor: User, assignee_id: int | None = None, queue: str | None = None
) -> Ticket:
    """Give the ticket to a staff member and/or move it to a queue (None keeps the queue)."""
    if queue is not None and queue not in QUEUES:
        raise DomainError("Unknown queue.", field="queue")
    assignee = None
    if assignee_id is not None:
        assignee = db.session.get(User, assignee_id)
        if (
            assignee is None
            or not can(assignee.role, Permission.VIEW_TICKETS)
            or not assignee.is_active_account
        ):
            raise DomainError("Tickets can only be assigned to active staff.", field="assignee")
    ticket = _lock(ticket_id)
    before = {"assignee_id": ticket.assignee_id, "queue": ticket.queue}
    new_queue = queue or ticket.queue
    if before == {"assignee_id": assignee_id, "queue": new_queue}:
        return ticket
    ticket.assignee_id = assignee_id
    ticket.queue = new_queue
    ticket.updated_at = utcnow()
    who = assignee.name if assignee else "nobody"
    _event(ticket, "assigned", actor, note=f"Assigned to {who}, {new_queue} queue")
    _staff_action(
        actor, "ticket.reassign", ticket, before, {"assignee_id": assignee_id, "queue": new_queue}
    )
    db.session.flush()
    if assignee is not None and assignee.id != getattr(actor, "id", None):
        signals.assigned.send(ticket, assignee=assignee, actor=actor)
    return ticket


def merge(ticket_id: int, into_id: int, actor: User) -> Ticket:
    """Move a duplicate's messages, attachments and lines to `into`; close the duplicate."""
    if ticket_id == into_id:
        raise DomainError("A ticket cannot be merged into itself.")
    first, second = sorted((ticket_id, into_id))  # always lock in the same order
    locked = {first: _lock(first), second: _lock(second)}
    source, target = locked[ticket_id], locked[into_id]
    if source.merged_into_id is not None:
        raise DomainError("This ticket was already merged.")
    if TicketStatus.CLOSED not in states.allowed_moves(source):
        raise DomainError("This ticket is closed: there is nothing left to merge.")
    if target.status == TicketStatus.CLOSED:
        raise DomainError("A ticket cannot be merged into a closed one.")
    same_account = source.buyer_id is not None and source.buyer_id == target.buyer_id
    if not same_account and source.email.lower() != target.email.lower():
        raise DomainError("Only tickets of the same buyer can be merged.")
    db.session.execute(
        sa.update(TicketMessage)
        .where(TicketMessage.ticket_id == source.id)
        .values(ticket_id=target.id)
    )
    db.session.execute(
        sa.update(Attachment).where(Attachment.ticket_id == source.id).values(ticket_id=target.id)
    )
    have = set(
        db.session.scalars(
            sa.select(TicketLine.order_line_id).where(TicketLine.ticket_id == target.id)
        )
    )
    for line in db.session.scalars(sa.select(TicketLine).where(TicketLine.ticket_id == source.id)):
        if line.order_line_id not in have:
            db.session.add(TicketLine(ticket_id=target.id, order_line_id=line.order_line_id))
    before = source.status
    # The duplicate is closed (its history says where it went); the other one carries on.
    transition(
        source, TicketStatus.CLOSED, actor=actor, kind="merged", note=f"Merged into {target.number}"
    )
    source.merged_into_id = target.id
    target.updated_at = source.updated_at
    if target.last_buyer_message_at is None or (
        source.last_buyer_message_at and source.last_buyer_message_at > target.last_buyer_message_at
    ):
        target.last_buyer_message_at = source.last_buyer_message_at
    _event(target, "merged", actor, note=f"{source.number} merged into this ticket")
    _staff_action(
        actor,
        "ticket.merge",
        source,
        {"status": before},
        {"status": source.status, "merged_into": target.number},
    )
    db.session.flush()
    return target


# --- reading --------------------------------------------------------------------------------


def ticket_for_buyer(number: str, user_id: int) -> Ticket:
    """The buyer's own ticket by number; 404 for anyone else's."""
    ticket = db.session.scalar(
        sa.select(Ticket).where(Ticket.number == (number or "")[:16], Ticket.buyer_id == user_id)
    )
    if ticket is None or user_id is None:
        raise NotFound("No such ticket.")
    return ticket


def buyer_tickets(user_id: int, page: int, per_page: int = 10):
    return db.paginate(
        sa.select(Ticket)
        .where(Ticket.buyer_id == user_id)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def visible_messages(ticket: Ticket, for_staff: bool) -> list[TicketMessage]:
    """The thread in order; internal notes only for staff."""
    stmt = sa.select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
    if not for_staff:
        stmt = stmt.where(TicketMessage.internal.is_(False))
    return list(db.session.scalars(stmt.order_by(TicketMessage.id)))


def attachments_by_message(ticket: Ticket, for_staff: bool) -> dict[int, list[Attachment]]:
    """The thread's attachments keyed by message id (one query); none of internal notes for
    buyers."""
    stmt = (
        sa.select(Attachment)
        .join(TicketMessage, TicketMessage.id == Attachment.message_id)
        .where(Attachment.ticket_id == ticket.id)
    )
    if not for_staff:
        stmt = stmt.where(TicketMessage.internal.is_(False))
    out: dict[int, list[Attachment]] = {}
    for a in db.session.scalars(stmt.order_by(Attachment.id)):
        out.setdefault(a.message_id, []).append(a)
    return out


def ticket_lines(ticket: Ticket) -> list[OrderLine]:
    """The order lines the ticket is about."""
    return list(
        db.session.scalars(
            sa.select(OrderLine)
            .join(TicketLine, TicketLine.order_line_id == OrderLine.id)
            .where(TicketLine.ticket_id == ticket.id)
            .order_by(OrderLine.id)
        )
    )
