"""A guest's signed link to their ticket. Apart from shop.support.services, so the uploads (which
open a ticket from a guest's link) and the emails (which carry it) need not import the services."""

from shop import links
from shop.errors import NotFound
from shop.extensions import db
from shop.support.models import Ticket

PURPOSE = "ticket-link"  # shop.links


def ticket_link_token(ticket: Ticket) -> str:
    """The secret of a guest's link to the thread: the ticket and its current link version."""
    return links.sign(PURPOSE, [ticket.id, ticket.link_version])


def ticket_for_token(token: str) -> Ticket:
    try:
        ticket_id, version = links.unsign(PURPOSE, token)
        ticket_id, version = int(ticket_id), int(version)
    except (links.BadLink, ValueError, TypeError):
        raise NotFound("No such ticket.") from None
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.link_version != version:
        raise NotFound("No such ticket.")
    return ticket
