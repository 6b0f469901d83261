"""Tickets on the staff desk: the queue with its service-level clocks, and the whole story of
one ticket with the forms that move it along.

Who may do what:
- VIEW_TICKETS (reps, support, managers) reads the queue and any ticket: the people who help
  a buyer need the whole story. Everyone else is refused by the blueprint's guard (403).
- ACT_ON_ANY_TICKET (support, managers) acts on every ticket. Others act (reply, note,
  status, priority, reassign, merge) only on tickets assigned to them, or on "rep" queue
  tickets of orders they sold; anything else is a 403, and the page offers no forms for it.
- Reassigning to a rep puts the ticket in the "rep" queue, to anyone else in "support";
  "queue:rep" / "queue:support" leaves it unassigned in that queue.

Both pages run a fixed number of queries whatever the number of tickets, messages or events.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop.auth.models import User
from shop.auth.roles import Permission, Role, can, roles_with
from shop.auth.session import permission_required
from shop.db import UTCDateTime, utcnow
from shop.errors import NotFound
from shop.extensions import db
from shop.orders.models import Order
from shop.staff.support_forms import (
    AssignForm,
    MergeForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
)
from shop.support import services, sla
from shop.support.models import PRIORITIES, TICKET_KINDS, TICKET_STATUSES, Ticket, TicketEvent
from shop.support.states import ACTIVE, TicketStatus, allowed_moves
from shop.unit_of_work import Refusal, flash_form_errors, refusals, writes
from shop.web import page_arg

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.support.<view>.
bp = Blueprint("support", __name__)

PER_PAGE = 25
VIEWS = {"": "Every ticket", "mine": "Assigned to me", "unassigned": "Unassigned"}
QUEUE_LABELS = {"rep": "Rep", "support": "Support"}


# --- the queue --------------------------------------------------------------------------------


@dataclass
class QueueFilters:
    view: str = ""
    queue: str = ""
    status: str = ""  # "" = still to do (not solved or closed); "any"; or one status
    priority: str = ""
    kind: str = ""
    breached: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.view or self.queue or self.status or self.priority or self.kind or self.breached
        )


def parse_filters(args) -> QueueFilters:
    """Known values only; anything else is ignored (the filter is simply off)."""

    def pick(name, allowed):
        value = (args.get(name) or "").strip()
        return value if value in allowed else ""

    return QueueFilters(
        view=pick("view", VIEWS),
        queue=pick("queue", QUEUE_LABELS),
        status=pick("status", (*TICKET_STATUSES, "any")),
        priority=pick("priority", PRIORITIES),
        kind=pick("kind", TICKET_KINDS),
        breached=args.get("breached") == "1",
    )


def breach_condition(now: datetime):
    """SQL for "a clock is overdue or was missed", the same rule as sla.Clock.breached."""
    at_now = sa.literal(now, UTCDateTime)
    return sa.or_(
        Ticket.first_response_due_at < sa.func.coalesce(Ticket.first_responded_at, at_now),
        Ticket.resolution_due_at < sa.func.coalesce(Ticket.solved_at, Ticket.closed_at, at_now),
    )


def queue_statement(filters: QueueFilters, me: User, now: datetime):
    stmt = sa.select(Ticket)
    if filters.view == "mine":
        stmt = stmt.where(Ticket.assignee_id == me.id)
    elif filters.view == "unassigned":
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    if filters.queue:
        stmt = stmt.where(Ticket.queue == filters.queue)
    if filters.status == "":
        stmt = stmt.where(Ticket.status.in_(ACTIVE))
    elif filters.status != "any":
        stmt = stmt.where(Ticket.status == filters.status)
    if filters.priority:
        stmt = stmt.where(Ticket.priority == filters.priority)
    if filters.kind:
        stmt = stmt.where(Ticket.kind == filters.kind)
    if filters.breached:
        stmt = stmt.where(breach_condition(now))
    return stmt.order_by(Ticket.resolution_due_at.is_(None), Ticket.resolution_due_at, Ticket.id)


def people(ids) -> dict[int, User]:
    ids = sorted({i for i in ids if i is not None})  # queried even when empty: a fixed count
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


@dataclass
class QueueRow:
    ticket: Ticket
    clocks: sla.Clocks


@bp.route("/support")
@permission_required(Permission.VIEW_TICKETS)
def support_queue():
    """Tickets by resolution due date, with their clocks; three queries a page."""
    now = utcnow()
    filters = parse_filters(request.args)
    page = db.paginate(
        queue_statement(filters, current_user, now),
        page=page_arg(request.args.get("page")),
        per_page=PER_PAGE,
        error_out=False,
    )
    config = current_app.config
    rows = [QueueRow(t, sla.time_left(t, now, config)) for t in page.items]
    return render_template(
        "staff/support_queue.html",
        page=page,
        rows=rows,
        filters=filters,
        assignees=people(t.assignee_id for t in page.items),
        views=VIEWS,
        queues=QUEUE_LABELS,
        statuses=services.STAFF_STATUS_LABELS,
        priorities=services.PRIORITY_LABELS,
        kinds=services.KIND_LABELS,
        me=current_user,
        now=now,
    )


# --- one ticket -------------------------------------------------------------------------------


def ticket_or_404(number: str) -> Ticket:
    text = (number or "").strip().upper()
    if not text or len(text) > 16:
        raise NotFound("No such ticket.")
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == text))
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def may_act(user: User, ticket: Ticket, order: Order | None = None) -> bool:
    """Support and managers on every ticket; a rep on their own, or on the "rep" queue tickets
    of orders they sold."""
    if can(user.role, Permission.ACT_ON_ANY_TICKET):
        return True
    if not can(user.role, Permission.VIEW_TICKETS):
        return False
    if ticket.assignee_id == user.id:
        return True
    if ticket.queue != "rep" or ticket.order_id is None:
        return False
    if order is None or order.id != ticket.order_id:
        order = db.session.get(Order, ticket.order_id)
    return order is not None and order.rep_id == user.id


def _order_of(ticket: Ticket) -> Order | None:
    return db.session.get(Order, ticket.order_id) if ticket.order_id else None


def _staff_members() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.role.in_([r.value for r in roles_with(Permission.VIEW_TICKETS)]),
                User.is_active_account.is_(True),
            )
            .order_by(User.role, User.name, User.id)
        )
    )


def _merge_candidates(ticket: Ticket) -> list[Ticket]:
    """The same buyer's other tickets still open (one query): the likely duplicates."""
    same = [sa.func.lower(Ticket.email) == ticket.email.lower()]
    if ticket.buyer_id is not None:
        same.append(Ticket.buyer_id == ticket.buyer_id)
    return list(
        db.session.scalars(
            sa.select(Ticket)
            .where(sa.or_(*same), Ticket.id != ticket.id, Ticket.status != TicketStatus.CLOSED)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(20)
        )
    )


@bp.route("/support/<number>")
# A return request's ReturnRequest row is made on first use, and its panel on this page is
# one (shop.support.returns.panel → ensure_return): the first look at such a ticket writes.
@writes
@permission_required(Permission.VIEW_TICKETS)
def support_ticket(number: str):
    ticket = ticket_or_404(number)
    order = _order_of(ticket)
    now = utcnow()
    events = list(
        db.session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        )
    )
    named = people([ticket.buyer_id, ticket.assignee_id])
    merged_into = db.session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
    can_act = may_act(current_user, ticket, order)
    moves = allowed_moves(ticket) if ticket.merged_into_id is None else frozenset()
    return render_template(
        "staff/support_ticket.html",
        ticket=ticket,
        order=order,
        lines=services.ticket_lines(ticket),
        messages=services.visible_messages(ticket, for_staff=True),
        files=services.attachments_by_message(ticket, for_staff=True),
        events=events,
        buyer=named.get(ticket.buyer_id),
        assignee=named.get(ticket.assignee_id),
        merged_into=merged_into,
        clocks=sla.time_left(ticket, now, current_app.config),
        can_act=can_act,
        staff_members=_staff_members() if can_act else [],
        candidates=_merge_candidates(ticket) if can_act else [],
        downloads="support_files.download" in current_app.view_functions,
        forms={
            "reply": ReplyForm(),
            "note": NoteForm(),
            "status": StatusForm(status=ticket.status),
            "priority": PriorityForm(priority=ticket.priority),
            "assign": AssignForm(),
            "merge": MergeForm(),
        },
        statuses=services.STAFF_STATUS_LABELS,
        # The statuses the lifecycle table lets this ticket move to: the only ones offered.
        status_moves={s: services.STAFF_STATUS_LABELS[s] for s in TicketStatus if s in moves},
        can_merge=TicketStatus.CLOSED in moves,
        priorities=services.PRIORITY_LABELS,
        kinds=services.KIND_LABELS,
        queues=QUEUE_LABELS,
        me=current_user,
        now=now,
    )


# --- actions ----------------------------------------------------------------------------------


def _back(ticket: Ticket):
    return redirect(url_for("staff.support.support_ticket", number=ticket.number), 303)


def _acting_on(number: str) -> Ticket:
    ticket = ticket_or_404(number)
    if not may_act(current_user, ticket):
        abort(403)
    return ticket


def _done(refused: Refusal, success: str, ticket: Ticket):
    """Back to the ticket, saying what was done (a refusal was flashed by `refusals`)."""
    if not refused:
        flash(success, "success")
    return _back(ticket)


def _message(number: str, form_class, internal: bool):
    ticket = _acting_on(number)
    form = form_class()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket)
    files = request.files.getlist("files")
    success = "Internal note added." if internal else f"Reply sent to {ticket.email}."
    with refusals() as refused:
        services.post_message(
            ticket.id,
            author=current_user,
            body=form.body.data,
            internal=internal,
            author_kind="staff",
            files=files,
        )
    return _done(refused, success, ticket)


@bp.route("/support/<number>/reply", methods=["POST"])
@permission_required(Permission.VIEW_TICKETS)
def support_reply(number: str):
    return _message(number, ReplyForm, internal=False)


@bp.route("/support/<number>/note", methods=["POST"])
@permission_required(Permission.VIEW_TICKETS)
def support_note(number: str):
    return _message(number, NoteForm, internal=True)


@bp.route("/support/<number>/status", methods=["POST"])
@permission_required(Permission.VIEW_TICKETS)
def support_status(number: str):
    ticket = _acting_on(number)
    form = StatusForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket)
    status = form.status.data
    success = f"Ticket {ticket.number}: {services.STAFF_STATUS_LABELS[status].lower()}."
    with refusals() as refused:
        services.set_status(ticket.id, status, current_user, note=form.note.data or "")
    return _done(refused, success, ticket)


@bp.route("/support/<number>/priority", methods=["POST"])
@permission_required(Permission.VIEW_TICKETS)
def support_priority(number: str):
    ticket = _acting_on(number)
    form = PriorityForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket)
    priority = form.priority.data
    success = (
        f"Priority {services.PRIORITY_LABELS[priority].lower()}; the due dates are counted again."
    )
    with refusals() as refused:
        services.set_priority(ticket.id, priority, current_user)
    return _done(refused, success, ticket)


@bp.route("/support/<number>/assign", methods=["POST"])
@permission_required(Permission.VIEW_TICKETS)
def support_assign(number: str):
    ticket = _acting_on(number)
    form = AssignForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket)
    kind, _, value = form.to.data.partition(":")
    if kind == "queue" and value in QUEUE_LABELS:
        assignee_id, queue, who = None, value, f"the {value} queue, unassigned"
    elif kind == "user" and value.isdigit():
        person = db.session.get(User, int(value))
        if (
            person is None
            or not can(person.role, Permission.VIEW_TICKETS)
            or not person.is_active_account
        ):
            flash("Tickets can only be assigned to active staff.", "error")
            return _back(ticket)
        assignee_id, who = person.id, person.name
        queue = "rep" if person.role == Role.REP.value else "support"
    else:
        flash("Choose who takes the ticket.", "error")
        return _back(ticket)
    success = f"Ticket {ticket.number} assigned to {who}."
    with refusals() as refused:
        services.reassign(ticket.id, actor=current_user, assignee_id=assignee_id, queue=queue)
    return _done(refused, success, ticket)


@bp.route("/support/<number>/merge", methods=["POST"])
@permission_required(Permission.VIEW_TICKETS)
def support_merge(number: str):
    ticket = _acting_on(number)
    form = MergeForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(ticket)
    target = db.session.scalar(sa.select(Ticket).where(Ticket.number == form.into.data))
    if target is None:
        flash(f"There is no ticket {form.into.data}.", "error")
        return _back(ticket)
    if not may_act(current_user, target):
        abort(403)
    success = f"{ticket.number} merged into {target.number}."
    with refusals() as refused:
        services.merge(ticket.id, target.id, current_user)
    return _done(refused, success, ticket if refused else target)


# --- elsewhere on the desk --------------------------------------------------------------------


@dataclass
class TicketSummary:
    """The support desk's ticket queue at a glance (the support queue and my own tickets)."""

    new: int
    open: int
    breached: int
    rows: list[QueueRow]


def desk_scope(user: User):
    """Whose tickets a person's desk counts: everyone's for those who act on any ticket (a
    buyer's question assigned to the order's rep is still support's to watch), else their own
    and the support queue's."""
    if can(user.role, Permission.ACT_ON_ANY_TICKET):
        return sa.true()
    return sa.or_(Ticket.queue == "support", Ticket.assignee_id == user.id)


def desk_summary(
    user: User, now: datetime, limit: int = 10, mine_only: bool = False
) -> TicketSummary:
    """Counts and the soonest-due tickets still to do: two queries whatever the numbers.

    `mine_only` keeps to the tickets assigned to `user` (a rep's desk).
    """

    def count(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    scope = (
        Ticket.assignee_id == user.id if mine_only else desk_scope(user),
        Ticket.status.in_(ACTIVE),
    )
    new, open_, breached = db.session.execute(
        sa.select(
            count(Ticket.status == TicketStatus.NEW),
            count(Ticket.status != TicketStatus.NEW),
            count(breach_condition(now)),
        ).where(*scope)
    ).one()
    tickets = db.session.scalars(
        sa.select(Ticket)
        .where(*scope)
        .order_by(Ticket.resolution_due_at.is_(None), Ticket.resolution_due_at, Ticket.id)
        .limit(limit)
    )
    config = current_app.config
    rows = [QueueRow(t, sla.time_left(t, now, config)) for t in tickets]
    return TicketSummary(new=int(new), open=int(open_), breached=int(breached), rows=rows)


@bp.app_template_global()
def support_tickets_for_order(order_id: int) -> list[Ticket]:
    """The order's tickets for the staff order page (one query), newest first."""
    return list(
        db.session.scalars(
            sa.select(Ticket)
            .where(Ticket.order_id == order_id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(50)
        )
    )
