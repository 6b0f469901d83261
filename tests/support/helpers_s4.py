"""Helpers for the returns, warranty, satisfaction and voice tests (helper S4)."""

import secrets

import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.extensions import db
from shop.notifications.models import OutboxMessage
from shop.support.models import Ticket, TicketEvent, TicketLine, TicketMessage


def make_ticket(
    *,
    kind: str = "return_request",
    order=None,
    lines=(),
    buyer=None,
    email: str | None = None,
    name: str = "Ada Buyer",
    subject: str = "It arrived scratched",
    body: str = "Please take it back.",
    status: str = "open",
    product_id: int | None = None,
    solved: bool = False,
) -> Ticket:
    """A ticket written straight into the database (the support services are tested apart)."""
    from shop.db import utcnow

    ticket = Ticket(
        number="T-" + secrets.token_hex(3).upper(),
        buyer_id=buyer.id if buyer else None,
        email=email or (buyer.email if buyer else (order.email if order else "guest@example.com")),
        name=name,
        order_id=order.id if order else None,
        product_id=product_id,
        kind=kind,
        subject=subject,
        status="solved" if solved else status,
        priority="normal",
        queue="support",
        solved_at=utcnow() if solved else None,
    )
    db.session.add(ticket)
    db.session.flush()
    for line in lines:
        db.session.add(TicketLine(ticket_id=ticket.id, order_line_id=line.id))
    db.session.add(
        TicketMessage(
            ticket_id=ticket.id,
            author_id=buyer.id if buyer else None,
            author_label=name,
            author_kind="buyer",
            body=body,
        )
    )
    db.session.commit()
    return ticket


def outbox(template_hint: str = "", to: str | None = None) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if to:
        stmt = stmt.where(OutboxMessage.to_address == to)
    rows = list(db.session.scalars(stmt))
    return [m for m in rows if template_hint in m.dedupe_key]


def audit_actions(target_id: str) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.target_id == target_id)
            .order_by(AuditEntry.id)
        )
    )


def event_kinds(ticket_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(TicketEvent.kind)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        )
    )
