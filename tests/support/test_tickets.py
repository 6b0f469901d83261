"""Tickets through the services: routing, the thread and its statuses, priority, assignment,
merging, and the emails both ways (outbox rows, and one delivery through a real SMTP peer)."""

import pytest
import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.auth.roles import Role
from shop.errors import DomainError, InvalidTransition
from shop.notifications.models import OutboxMessage
from shop.notifications.services import deliver_pending
from shop.support import services
from shop.support.models import Ticket, TicketEvent, TicketLine, TicketMessage
from tests.conftest import email_text


def open_for(delivered, **kw) -> Ticket:
    values = {
        "kind": "delivery_problem",
        "subject": "Scratched lid",
        "body": "The lid arrived with a long scratch.",
        "email": delivered.order.email,
        "name": delivered.order.name,
        "buyer": delivered.buyer,
        "order": delivered.order,
        "order_line_ids": [delivered.line.id],
    }
    values.update(kw)
    return services.open_ticket(**values)


def outbox(db, to: str | None = None) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        stmt = stmt.where(OutboxMessage.to_address == to)
    return list(db.session.scalars(stmt))


def test_the_fixtures_make_delivered_orders(buyer_with_delivered_order, buyer_with_rep_order):
    d = buyer_with_delivered_order
    assert d.order.status == "delivered" and d.order.user_id == d.buyer.id
    assert d.order.delivered_at is not None and d.line.product_id == d.product.id
    assert d.order.rep_id is None
    assert buyer_with_rep_order.order.rep_id == buyer_with_rep_order.rep.id


# --- routing --------------------------------------------------------------------------------


def test_a_ticket_on_a_rep_order_goes_to_the_rep(db, buyer_with_rep_order):
    d = buyer_with_rep_order
    ticket = open_for(d)
    db.session.commit()

    assert ticket.number.startswith("T-") and len(ticket.number) == 8
    assert (ticket.queue, ticket.assignee_id, ticket.status) == ("rep", d.rep.id, "new")
    assert ticket.buyer_id == d.buyer.id and ticket.order_id == d.order.id
    assert ticket.product_id == d.product.id  # from the line concerned
    assert ticket.first_response_due_at > ticket.created_at
    assert ticket.resolution_due_at > ticket.first_response_due_at
    lines = db.session.scalars(sa.select(TicketLine.order_line_id)).all()
    assert lines == [d.line.id]
    [message] = db.session.scalars(sa.select(TicketMessage)).all()
    assert (message.author_kind, message.author_id, message.internal) == (
        "buyer",
        d.buyer.id,
        False,
    )
    [to_rep] = outbox(db, d.rep.email)
    assert ticket.number in to_rep.subject
    assert f"/staff/support/{ticket.number}" in to_rep.body_text
    assert "long scratch" in to_rep.body_text
    [receipt] = outbox(db, d.buyer.email)
    assert f"http://shop.test/support/{ticket.number}" in receipt.body_text


def test_a_ticket_without_a_rep_goes_to_the_support_queue(
    db, buyer_with_delivered_order, support_staff
):
    ticket = open_for(buyer_with_delivered_order)
    db.session.commit()
    assert (ticket.queue, ticket.assignee_id) == ("support", None)
    # The support team hears about it; reps and managers do not.
    to = {m.to_address for m in outbox(db)}
    assert support_staff["support"].email in to
    assert support_staff["rep"].email not in to and support_staff["manager"].email not in to


def test_a_general_question_has_no_order(db, make_user, support_staff):
    buyer = make_user(Role.BUYER)
    ticket = services.open_ticket(
        kind="question",
        subject="Do you ship to Alaska?",
        body="And how long does it take?",
        email=buyer.email,
        name=buyer.name,
        buyer=buyer,
    )
    db.session.commit()
    assert ticket.order_id is None and ticket.queue == "support"


@pytest.mark.parametrize("kind", ["return_request", "warranty_claim"])
def test_returns_and_warranty_claims_need_an_order(db, make_user, kind):
    buyer = make_user(Role.BUYER)
    with pytest.raises(DomainError, match="order"):
        services.open_ticket(
            kind=kind, subject="x", body="y", email=buyer.email, name=buyer.name, buyer=buyer
        )


def test_lines_must_belong_to_the_order(db, make_delivered_order):
    mine, other = make_delivered_order(), make_delivered_order()
    with pytest.raises(DomainError, match="items from this order"):
        open_for(mine, order_line_ids=[other.line.id])
    with pytest.raises(DomainError):
        open_for(mine, kind="gossip")
    with pytest.raises(DomainError):
        open_for(mine, body="   ")


# --- the thread and its statuses ------------------------------------------------------------


def test_staff_reply_notes_and_status_moves(db, buyer_with_rep_order):
    d = buyer_with_rep_order
    ticket = open_for(d)
    db.session.commit()
    before = len(outbox(db, d.buyer.email))

    note = services.post_message(
        ticket.id, author=d.rep, body="Check the crew's photos.", internal=True
    )
    db.session.commit()
    assert note.author_kind == "staff" and note.internal
    assert ticket.status == "new" and ticket.first_responded_at is None
    assert len(outbox(db, d.buyer.email)) == before  # an internal note emails nobody outside

    reply = services.post_message(ticket.id, author=d.rep, body="Sorry! A new lid is on its way.")
    db.session.commit()
    assert ticket.status == "open" and ticket.first_responded_at == reply.created_at
    [email] = outbox(db, d.buyer.email)[before:]
    assert "A new lid is on its way." in email.body_text
    assert f"/support/{ticket.number}" in email.body_text
    assert "crew's photos" not in email.body_text

    first = ticket.first_responded_at
    services.post_message(ticket.id, author=d.rep, body="Tracking number: 123.")
    db.session.commit()
    assert ticket.first_responded_at == first  # set once

    assert [m.id for m in services.visible_messages(ticket, for_staff=False)] == [
        m.id
        for m in db.session.scalars(
            sa.select(TicketMessage)
            .where(TicketMessage.internal.is_(False))
            .order_by(TicketMessage.id)
        )
    ]
    assert note.id in [m.id for m in services.visible_messages(ticket, for_staff=True)]


def test_a_buyer_reply_reopens_a_solved_ticket_and_tells_the_rep(db, buyer_with_rep_order):
    d = buyer_with_rep_order
    ticket = open_for(d)
    services.set_status(ticket.id, "solved", d.rep, note="Lid replaced")
    db.session.commit()
    assert ticket.status == "solved" and ticket.solved_at is not None
    assert any("solved" in m.body_text for m in outbox(db, d.buyer.email))

    message = services.post_message(ticket.id, author=d.buyer, body="The new lid is scratched too.")
    db.session.commit()
    assert message.author_kind == "buyer"
    assert ticket.status == "open" and ticket.solved_at is None
    assert ticket.last_buyer_message_at == message.created_at
    kinds = db.session.scalars(sa.select(TicketEvent.kind).order_by(TicketEvent.id)).all()
    assert kinds == ["opened", "status", "reopened"]
    assert any("scratched too" in m.body_text for m in outbox(db, d.rep.email))


def test_a_closed_ticket_takes_no_more_messages(db, buyer_with_rep_order):
    d = buyer_with_rep_order
    ticket = open_for(d)
    services.set_status(ticket.id, "closed", d.rep)
    db.session.commit()
    assert ticket.closed_at is not None
    for author in (d.buyer, d.rep):
        with pytest.raises(DomainError, match="open a new ticket"):
            services.post_message(ticket.id, author=author, body="Hello?")
    db.session.rollback()


def test_buyers_never_write_internal_notes(db, buyer_with_delivered_order):
    d = buyer_with_delivered_order
    ticket = open_for(d)
    with pytest.raises(DomainError):
        services.post_message(ticket.id, author=d.buyer, body="secret", internal=True)


@pytest.mark.parametrize(
    "status", ["open", "waiting_on_buyer", "waiting_on_supplier", "on_hold", "solved", "closed"]
)
def test_every_status_can_be_set_with_an_event_and_an_audit_entry(
    db, buyer_with_delivered_order, support_staff, status
):
    ticket = open_for(buyer_with_delivered_order)
    services.set_status(ticket.id, "open", support_staff["support"])
    services.set_status(ticket.id, status, support_staff["support"], note="Because")
    db.session.commit()
    assert ticket.status == status
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "ticket.status")
    ).all()
    assert entries[-1].target_id == ticket.number if status != "open" else True
    with pytest.raises(DomainError):
        services.set_status(ticket.id, "lost", support_staff["support"])


def test_new_is_where_a_ticket_starts_never_where_it_goes_back(
    db, buyer_with_delivered_order, support_staff
):
    """The lifecycle table (support/states.py): once taken up, a ticket is never "new" again."""
    ticket = open_for(buyer_with_delivered_order)
    services.set_status(ticket.id, "open", support_staff["support"])
    db.session.commit()
    with pytest.raises(InvalidTransition, match="A ticket that is open cannot become new"):
        services.set_status(ticket.id, "new", support_staff["support"])
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).status == "open"


def test_priority_recomputes_the_due_dates(db, buyer_with_delivered_order, support_staff):
    ticket = open_for(buyer_with_delivered_order)
    db.session.commit()
    normal = (ticket.first_response_due_at, ticket.resolution_due_at)
    services.set_priority(ticket.id, "urgent", support_staff["manager"])
    db.session.commit()
    assert ticket.priority == "urgent"
    assert ticket.first_response_due_at < normal[0] and ticket.resolution_due_at < normal[1]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "ticket.priority"))
    assert entry.before == {"priority": "normal"} and entry.after == {"priority": "urgent"}
    with pytest.raises(DomainError):
        services.set_priority(ticket.id, "whenever", support_staff["manager"])


def test_reassign_to_staff_only(db, buyer_with_rep_order, support_staff):
    d = buyer_with_rep_order
    ticket = open_for(d)
    db.session.commit()
    with pytest.raises(DomainError, match="staff"):
        services.reassign(ticket.id, actor=d.rep, assignee_id=support_staff["other_buyer"].id)
    with pytest.raises(DomainError):
        services.reassign(ticket.id, actor=d.rep, queue="nowhere")
    services.reassign(
        ticket.id, actor=d.rep, assignee_id=support_staff["support"].id, queue="support"
    )
    db.session.commit()
    assert (ticket.assignee_id, ticket.queue) == (support_staff["support"].id, "support")
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "ticket.reassign"))
    assert any(ticket.number in m.subject for m in outbox(db, support_staff["support"].email))
    # Now a buyer message goes to the new assignee, not to the rep who sold.
    rep_before = len(outbox(db, d.rep.email))
    services.post_message(ticket.id, author=d.buyer, body="Any news?")
    db.session.commit()
    assert len(outbox(db, d.rep.email)) == rep_before
    assert any("Any news?" in m.body_text for m in outbox(db, support_staff["support"].email))


def test_merge_moves_the_thread_and_closes_the_duplicate(
    db, buyer_with_rep_order, make_delivered_order
):
    d = buyer_with_rep_order
    first = open_for(d)
    duplicate = open_for(d, subject="Scratch again", body="Did you get my first message?")
    db.session.commit()
    target = services.merge(duplicate.id, first.id, d.rep)
    db.session.commit()
    duplicate = db.session.get(Ticket, duplicate.id)
    assert target.id == first.id
    assert (duplicate.status, duplicate.merged_into_id) == ("closed", first.id)
    bodies = [m.body for m in services.visible_messages(target, for_staff=True)]
    assert bodies == ["The lid arrived with a long scratch.", "Did you get my first message?"]
    assert services.visible_messages(duplicate, for_staff=True) == []
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "ticket.merge"))
    with pytest.raises(DomainError):
        services.merge(first.id, first.id, d.rep)
    stranger = open_for(make_delivered_order())
    with pytest.raises(DomainError, match="same buyer"):
        services.merge(stranger.id, first.id, d.rep)


def test_guest_links_carry_the_link_version(db, make_delivered_order):
    guest = make_delivered_order(buyer=False)
    ticket = open_for(guest)
    db.session.commit()
    token = services.ticket_link_token(ticket)
    assert services.ticket_for_token(token).id == ticket.id
    ticket.link_version += 1
    db.session.commit()
    for bad in (token, "forged", token[:-2] + "xx", ""):
        with pytest.raises(DomainError):
            services.ticket_for_token(bad)
    # The guest's emails carry the current signed link.
    [receipt] = outbox(db, "guest@example.com")
    assert "/support/t/" in receipt.body_text


def test_scoping_by_buyer(db, buyer_with_delivered_order, make_user):
    d = buyer_with_delivered_order
    ticket = open_for(d)
    db.session.commit()
    assert services.ticket_for_buyer(ticket.number, d.buyer.id).id == ticket.id
    other = make_user(Role.BUYER)
    with pytest.raises(DomainError):
        services.ticket_for_buyer(ticket.number, other.id)


# --- a real delivery ------------------------------------------------------------------------


def test_emails_both_ways_reach_an_smtp_peer(db, buyer_with_rep_order, mailbox):
    d = buyer_with_rep_order
    ticket = open_for(d)
    db.session.commit()
    services.post_message(ticket.id, author=d.rep, body="Internal: ask the crew", internal=True)
    services.post_message(ticket.id, author=d.rep, body="We will send a new lid.")
    db.session.commit()
    deliver_pending()
    by_to = {}
    for m in mailbox:
        by_to.setdefault(m["To"], []).append(m)
    assert {d.rep.email, d.buyer.email} <= set(by_to)
    rep_mail = email_text(by_to[d.rep.email][0])
    assert "long scratch" in rep_mail and f"/staff/support/{ticket.number}" in rep_mail
    buyer_text = "\n".join(email_text(m) for m in by_to[d.buyer.email])
    assert "We will send a new lid." in buyer_text
    assert f"http://shop.test/support/{ticket.number}" in buyer_text
    assert "ask the crew" not in buyer_text
    # Sending again sends nothing twice.
    count = len(mailbox)
    deliver_pending()
    assert len(mailbox) == count
