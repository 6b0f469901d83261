"""Satisfaction: once a ticket is solved its buyer may rate it, once, 1 to 5 with a comment.
Ratings at or below LOW_RATING_AT_MOST are flagged to every manager by email and listed on the
managers' dashboard.

Who may rate is checked by the caller (the ticket's owner, or a guest holding its signed link).
"""

import sqlalchemy as sa
from flask import current_app

from shop.auth.models import User
from shop.auth.roles import Role
from shop.db import lock_row, utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.notifications.services import queue_email
from shop.support import emails
from shop.support.models import Ticket, TicketEvent
from shop.support.states import DONE

COMMENT_MAX = 2000
RATABLE = DONE  # solved or closed (support/states.py)
LOW_LIST = 25


def low_at_most() -> int:
    return int(current_app.config.get("LOW_RATING_AT_MOST", 2))


def may_rate(ticket: Ticket) -> bool:
    """The rating form is offered: solved (or closed after solving), not merged, not rated."""
    return (
        ticket.status in RATABLE
        and ticket.merged_into_id is None
        and ticket.solved_at is not None
        and ticket.rating is None
    )


def parse_rating(value) -> int:
    try:
        rating = int(str(value).strip())
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise DomainError("Choose a rating from 1 to 5.", field="rating")
    return rating


def rate(ticket_id: int, rating, comment: str = "") -> Ticket:
    """Record the buyer's rating (once). Low ratings are emailed to the managers."""
    rating = parse_rating(rating)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError(f"Keep the comment under {COMMENT_MAX} characters.", field="comment")
    ticket = lock_row(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    if ticket.rating is not None:
        raise DomainError("You already rated this ticket. Thank you!")
    if ticket.status not in RATABLE or ticket.merged_into_id is not None:
        raise DomainError("A ticket can be rated once it is solved.")
    ticket.rating = rating
    ticket.rating_comment = comment
    ticket.rated_at = utcnow()
    low = rating <= low_at_most()
    db.session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="rated",
            note=f"Rated {rating} of 5" + (" (low: flagged to managers)" if low else ""),
            actor_id=ticket.buyer_id,
            actor_label=f"{ticket.name} <{ticket.email}> (buyer)"[:200],
            internal=True,
            created_at=utcnow(),
        )
    )
    db.session.flush()
    if low:
        _flag(ticket)
    return ticket


def _flag(ticket: Ticket) -> None:
    managers = db.session.scalars(
        sa.select(User)
        .where(User.role == Role.MANAGER.value, User.is_active_account.is_(True))
        .order_by(User.id)
    )
    link = emails.staff_url(ticket)
    for manager in managers:
        queue_email(
            f"rating-low:{ticket.id}:{manager.id}",
            manager.email,
            f"Low rating ({ticket.rating}/5) on {ticket.number}",
            "rating_low",
            manager=manager,
            ticket=ticket,
            link=link,
        )


def low_ratings(limit: int = LOW_LIST) -> list[Ticket]:
    """The latest low ratings, newest first: one query."""
    return list(
        db.session.scalars(
            sa.select(Ticket)
            .where(Ticket.rating.is_not(None), Ticket.rating <= low_at_most())
            .order_by(Ticket.rated_at.desc(), Ticket.id.desc())
            .limit(limit)
        )
    )
