"""The ticket and return lifecycle tables, move by move: every move in them works and writes one
TicketEvent, every other move is refused and writes nothing, and the staff ticket page offers
the moves the tables have and no others."""

from itertools import product

import pytest
import sqlalchemy as sa

from shop.errors import DomainError, InvalidTransition
from shop.support import returns, services
from shop.support.models import RETURN_STATUSES, TICKET_STATUSES, ReturnRequest, Ticket, TicketEvent
from shop.support.states import (
    RETURN_MOVES,
    TICKET_MOVES,
    ReturnStatus,
    TicketStatus,
    allowed_moves,
    allowed_return_move,
    allowed_ticket_move,
    transition,
)
from tests.support.helpers_s4 import make_ticket
from tests.support.test_tickets import open_for

T, R = TicketStatus, ReturnStatus

# The rules as the business wrote them, kept apart from the code's tables on purpose: a change
# to one without the other fails here.
WORKING = {T.OPEN, T.WAITING_ON_BUYER, T.WAITING_ON_SUPPLIER, T.ON_HOLD}
TICKET_EXPECTED = (
    # From any status still to do: to any other working status, solved or closed. Never back to
    # "new" (where a ticket starts), never out of "closed" (a new ticket instead).
    {(a, b) for a in WORKING | {T.NEW} for b in WORKING | {T.SOLVED, T.CLOSED} if a != b}
    # A solved ticket is taken up again (the buyer wrote, or staff reopen it), or closed.
    | {(T.SOLVED, b) for b in WORKING | {T.CLOSED}}
)
RETURN_EXPECTED = {
    (R.REQUESTED, R.APPROVED),
    (R.REQUESTED, R.DECLINED),
    (R.APPROVED, R.RECEIVED),
    (R.RECEIVED, R.CLOSED),  # settled: refund, store credit or exchange
    (R.CLOSED, R.RECEIVED),  # its store credit rejected by the second person: settle again
}
TICKET_PAIRS = list(product(TicketStatus, TicketStatus))
RETURN_PAIRS = list(product(ReturnStatus, ReturnStatus))


@pytest.fixture
def return_ticket(make_delivered_order):
    """A return request about a piano delivered 3 days ago."""

    def _make():
        made = make_delivered_order(delivered_days_ago=3)
        ticket = make_ticket(
            kind="return_request", order=made.order, lines=[made.line], buyer=made.buyer
        )
        return made, ticket

    return _make


def test_the_enums_are_what_the_database_accepts():
    assert {s.value for s in TicketStatus} == set(TICKET_STATUSES)
    assert {s.value for s in ReturnStatus} == set(RETURN_STATUSES)


@pytest.mark.parametrize(("current", "target"), TICKET_PAIRS)
def test_the_ticket_table(current, target):
    assert allowed_ticket_move(current, target) is ((current, target) in TICKET_EXPECTED)
    assert (target in TICKET_MOVES[current]) is ((current, target) in TICKET_EXPECTED)


@pytest.mark.parametrize(("current", "target"), RETURN_PAIRS)
def test_the_return_table(current, target):
    assert allowed_return_move(current, target) is ((current, target) in RETURN_EXPECTED)
    assert (target in RETURN_MOVES[current]) is ((current, target) in RETURN_EXPECTED)


def _events(db, ticket_id):
    return db.session.scalar(
        sa.select(sa.func.count(TicketEvent.id)).where(TicketEvent.ticket_id == ticket_id)
    )


@pytest.mark.both_dbs
def test_every_ticket_move_in_the_table_moves_and_records_one_event(
    db, buyer_with_delivered_order, support_staff
):
    ticket = open_for(buyer_with_delivered_order)
    db.session.commit()
    actor = support_staff["support"]
    for current, target in sorted(TICKET_EXPECTED):
        ticket.status = current.value
        db.session.flush()
        events = _events(db, ticket.id)
        event = transition(ticket, target, actor=actor, note=f"{current} to {target}")
        db.session.commit()
        fresh = db.session.get(Ticket, ticket.id)
        assert fresh.status == target.value
        assert _events(db, ticket.id) == events + 1
        assert (event.kind, event.note, event.actor_id) == (
            "status",
            f"{current} to {target}",
            actor.id,
        )
        # The clocks follow the status: solving stops the resolution clock, work restarts it.
        assert (fresh.solved_at is not None) is (target in (T.SOLVED, T.CLOSED))
        assert (fresh.closed_at is not None) is (target == T.CLOSED)


@pytest.mark.both_dbs
def test_every_ticket_move_not_in_the_table_is_refused_and_writes_nothing(
    db, buyer_with_delivered_order, support_staff
):
    ticket = open_for(buyer_with_delivered_order)
    db.session.commit()
    for current, target in TICKET_PAIRS:
        if (current, target) in TICKET_EXPECTED:
            continue
        ticket.status = current.value
        db.session.commit()
        events = _events(db, ticket.id)
        with pytest.raises(InvalidTransition, match=r"A ticket that is .* cannot become"):
            transition(ticket, target, actor=support_staff["support"])
        db.session.rollback()
        assert db.session.get(Ticket, ticket.id).status == current.value
        assert _events(db, ticket.id) == events


@pytest.mark.both_dbs
def test_every_return_move_in_the_table_moves_and_records_one_event_on_its_ticket(
    db,
    return_ticket,
    support_staff,
):
    _, ticket = return_ticket()
    ret = returns.ensure_return(ticket.id)
    db.session.commit()
    for current, target in sorted(RETURN_EXPECTED):
        ret.status = current.value
        db.session.flush()
        events = _events(db, ticket.id)
        event = transition(ret, target, actor=support_staff["support"], note="why")
        db.session.commit()
        assert db.session.get(ReturnRequest, ret.id).status == target.value
        assert _events(db, ticket.id) == events + 1
        assert (event.ticket_id, event.kind, event.note) == (
            ticket.id,
            f"return_{target.value}",
            "why",
        )


@pytest.mark.both_dbs
def test_every_return_move_not_in_the_table_is_refused_and_writes_nothing(
    db,
    return_ticket,
    support_staff,
):
    _, ticket = return_ticket()
    ret = returns.ensure_return(ticket.id)
    db.session.commit()
    for current, target in RETURN_PAIRS:
        if (current, target) in RETURN_EXPECTED:
            continue
        ret.status = current.value
        db.session.commit()
        events = _events(db, ticket.id)
        with pytest.raises(InvalidTransition, match=r"A return that is .* cannot become"):
            transition(ret, target, actor=support_staff["support"])
        db.session.rollback()
        assert db.session.get(ReturnRequest, ret.id).status == current.value
        assert _events(db, ticket.id) == events


def test_a_settled_return_is_not_received_twice(db, return_ticket, support_staff):
    """Settled -> received is in the table for a rejected store credit only: marking the goods
    received again (restocking them again, emailing the buyer again) is refused."""
    _, ticket = return_ticket()
    ret = returns.ensure_return(ticket.id)
    ret.status = R.CLOSED.value
    db.session.commit()
    with pytest.raises(DomainError, match="Only an approved return"):
        returns.mark_received(ticket.id, support_staff["support"])
    db.session.rollback()
    assert db.session.get(ReturnRequest, ret.id).status == R.CLOSED.value


def test_a_closed_ticket_is_not_merged_again(db, buyer_with_delivered_order, support_staff):
    ticket = open_for(buyer_with_delivered_order)
    other = open_for(buyer_with_delivered_order, subject="Another")
    services.set_status(ticket.id, "closed", support_staff["support"])
    db.session.commit()
    with pytest.raises(DomainError, match="closed"):
        services.merge(ticket.id, other.id, support_staff["support"])
    db.session.rollback()


def test_a_staff_reply_takes_a_new_ticket_up_on_its_history(
    db, buyer_with_delivered_order, support_staff
):
    ticket = open_for(buyer_with_delivered_order)
    services.post_message(ticket.id, author=support_staff["support"], body="On it.")
    db.session.commit()
    assert db.session.get(Ticket, ticket.id).status == T.OPEN.value
    notes = db.session.scalars(
        sa.select(TicketEvent.note).where(TicketEvent.kind == "status").order_by(TicketEvent.id)
    ).all()
    assert notes == ["New → Open (first reply)"]


# --- the pages offer the moves of the tables ---------------------------------------------------


def _options(html: str) -> set[str]:
    form = html.split('data-testid="status-form"', 1)
    if len(form) == 1:
        return set()
    select = form[1].split("</select>", 1)[0]
    return {part.split('"', 1)[0] for part in select.split('<option value="')[1:]}


@pytest.mark.parametrize("status", list(TicketStatus))
def test_the_ticket_page_offers_only_the_statuses_the_table_allows(
    client, db, login, buyer_with_delivered_order, support_staff, status
):
    ticket = open_for(buyer_with_delivered_order)
    ticket.status = status.value
    db.session.commit()
    login(support_staff["support"])
    html = client.get(f"/staff/support/{ticket.number}").get_data(as_text=True)
    assert _options(html) == {s.value for s in TICKET_MOVES[status]}
    assert ('data-testid="status-form"' in html) is bool(TICKET_MOVES[status])
    if TICKET_MOVES[status]:  # the list holds only moves: the status it has now is said apart
        now = services.STAFF_STATUS_LABELS[status].lower()
        assert f'id="t-status-now">Now {now}; it can move to:</p>' in html
    assert ('data-testid="merge-form"' in html) is (T.CLOSED in TICKET_MOVES[status])


@pytest.mark.parametrize("status", list(ReturnStatus))
def test_the_return_panel_offers_only_the_moves_the_table_allows(
    client,
    db,
    login,
    return_ticket,
    support_staff,
    status,
):
    _, ticket = return_ticket()
    ret = returns.ensure_return(ticket.id)
    ret.status = status.value
    db.session.commit()
    login(support_staff["support"])
    html = client.get(f"/staff/support/{ticket.number}").get_data(as_text=True)
    moves = allowed_moves(ret)
    assert ('data-testid="return-approve"' in html) is (R.APPROVED in moves)
    assert ('data-testid="return-decline"' in html) is (R.DECLINED in moves)
    assert ('data-testid="return-received"' in html) is (status == R.APPROVED)
    assert ('data-testid="return-settle"' in html) is (R.CLOSED in moves)
