"""The quote lifecycle: one table of allowed moves, one function that moves and records.

A rep drafts; a manager approves what is beyond the rep's authority; the quote is sent; the
buyer accepts, declines or asks for changes (a new version goes back to draft); an open quote
expires or the rep withdraws it; an accepted quote becomes an order. A move not in the table is
refused, whoever asks. Every move writes a QuoteEvent (who, when, which version, why), and a
staff member's move is also audited, here, so that no route can forget it.

Who may make a move (the rep, a manager, the buyer, the job) is checked by the service that
makes it; this table says only which moves exist.
"""

from datetime import datetime
from enum import StrEnum

from shop.audit import services as audit
from shop.auth.roles import STAFF_ROLES
from shop.errors import InvalidTransition
from shop.extensions import db
from shop.quotes.models import Quote, QuoteEvent


class QuoteStatus(StrEnum):
    DRAFT = "draft"  # the rep's work, not yet with the buyer
    PENDING_APPROVAL = "pending_approval"  # beyond the rep's authority: a manager decides
    APPROVED = "approved"  # a manager said yes; not sent yet
    SENT = "sent"  # with the buyer: the clock runs, units are held
    CHANGES_REQUESTED = "changes_requested"  # the buyer wrote back; the rep revises
    ACCEPTED = "accepted"  # the buyer signed; the order comes next
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    ORDERED = "ordered"  # the accepted quote became an order


S = QuoteStatus

# What staff read.
LABELS = {
    S.DRAFT: "Draft",
    S.PENDING_APPROVAL: "Waiting for approval",
    S.APPROVED: "Approved, not sent",
    S.SENT: "Sent",
    S.CHANGES_REQUESTED: "Changes requested",
    S.ACCEPTED: "Accepted",
    S.DECLINED: "Declined",
    S.EXPIRED: "Expired",
    S.WITHDRAWN: "Withdrawn",
    S.ORDERED: "Ordered",
}

# The lifecycle as one table: status -> the statuses it may move to.
MOVES: dict[QuoteStatus, frozenset[QuoteStatus]] = {
    S.DRAFT: frozenset({S.PENDING_APPROVAL, S.SENT, S.WITHDRAWN}),
    # Approved or rejected (back to draft) by a manager; an edit also withdraws the request.
    S.PENDING_APPROVAL: frozenset({S.APPROVED, S.DRAFT, S.WITHDRAWN}),
    # An edit after approval makes it a draft again: the figures changed.
    S.APPROVED: frozenset({S.SENT, S.DRAFT, S.WITHDRAWN}),
    # Editing a sent quote makes a new version, a draft until sent.
    S.SENT: frozenset(
        {S.CHANGES_REQUESTED, S.DRAFT, S.ACCEPTED, S.DECLINED, S.EXPIRED, S.WITHDRAWN}
    ),
    # The buyer asked for changes: the rep revises (a new version) or the buyer declines. The
    # version on offer is not accepted while changes are asked for.
    S.CHANGES_REQUESTED: frozenset({S.DRAFT, S.DECLINED, S.EXPIRED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.ORDERED}),
    S.DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.ORDERED: frozenset(),
}

# A rep may still change these (each can go back to draft, or is one); the others are settled.
EDITABLE = (S.DRAFT, S.PENDING_APPROVAL, S.APPROVED, S.SENT, S.CHANGES_REQUESTED)
# Still being worked on or talked over: they count towards a rep's load, and the thread is open.
OPEN = EDITABLE
# Offered to the buyer: the clock runs, units are held, reminders go out, the buyer may answer.
OFFERED = (S.SENT, S.CHANGES_REQUESTED)
# Not yet shown to the buyer as a version of their own: the desk's steps stay internal.
PREPARING = (S.DRAFT, S.PENDING_APPROVAL, S.APPROVED)


def allowed(current: str, target: str) -> bool:
    """True if the table has the move (unknown statuses have none)."""
    try:
        return QuoteStatus(target) in MOVES[QuoteStatus(current)]
    except ValueError:
        return False


def allowed_moves(quote: Quote) -> frozenset[QuoteStatus]:
    """The statuses this quote may move to now: what its pages may offer."""
    try:
        return MOVES[QuoteStatus(quote.status)]
    except ValueError:
        return frozenset()


def transition(
    quote: Quote,
    target: QuoteStatus,
    *,
    kind: str | None = None,
    note: str = "",
    actor=None,
    version: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
    actor_label: str | None = None,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> QuoteEvent:
    """Move the quote if the table allows it and record the step (see `record`).

    `kind` names the step on the history ("submitted", "rejected", "new_version"...; the
    target status by default); `before`/`after` are what the audit entry compares (the status
    alone by default).
    """
    target = QuoteStatus(target)
    current = QuoteStatus(quote.status)
    if target not in MOVES[current]:
        raise InvalidTransition(
            f"A quote that is {LABELS[current].lower()} cannot become {LABELS[target].lower()}."
        )
    quote.status = target.value
    return record(
        quote,
        kind or target.value,
        note,
        actor,
        version,
        before=before if before is not None else {"status": current.value},
        after=after if after is not None else {"status": target.value},
        reason=reason,
        actor_label=actor_label,
        actor_id=actor_id,
        at=at,
    )


# --- the history -----------------------------------------------------------------------------

# The audit action written for each step a staff member takes (buyers' steps and the jobs' are
# on the quote's history only).
AUDITED = {
    "created": "quote.create",
    "edited": "quote.edit",
    "new_version": "quote.new_version",
    "submitted": "quote.submit",
    "approved": "quote.approve",
    "rejected": "quote.reject",
    "sent": "quote.send",
    "units_held": "quote.hold_units",
    "units_released": "quote.release_units",
    "withdrawn": "quote.withdraw",
    "message": "quote.message",
    "expired": "quote.expire",
}


def _is_staff(actor) -> bool:
    return actor is not None and getattr(actor, "role", None) in STAFF_ROLES


def _label(actor) -> str:
    if actor is None:
        return "system"
    return f"{actor.name} <{actor.email}> ({actor.role})"


def record(
    quote: Quote,
    kind: str,
    note: str = "",
    actor=None,
    version: int | None = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
    actor_label: str | None = None,
    actor_id: int | None = None,
    at: datetime | None = None,
) -> QuoteEvent:
    """Write one step on the quote's history; a staff member's step is also audited, here, so
    that no route can forget it (`before`/`after`: the fields that changed).

    A buyer's step names them with `actor_label` (and `actor_id` when they have an account).
    """
    if _is_staff(actor):
        audit.record(
            actor,
            AUDITED.get(kind, f"quote.{kind}"),
            "quote",
            quote.number,
            before=before,
            after=after if after is not None else {"status": quote.status},
            reason=note if reason is None else reason,
        )
    event = QuoteEvent(
        quote_id=quote.id,
        kind=kind,
        note=note[:4000],
        version=version if version is not None else quote.current_version,
        actor_id=actor_id if actor_id is not None else getattr(actor, "id", None),
        actor_label=actor_label if actor_label is not None else _label(actor),
    )
    if at is not None:
        event.created_at = at
    db.session.add(event)
    db.session.flush()
    return event
