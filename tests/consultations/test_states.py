"""The booking lifecycle table, move by move: every move in it works and writes an event, every
other move is refused and writes nothing, and the rep's page offers the moves the table has."""

import re
from itertools import product

import pytest
import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.consultations import services
from shop.consultations.models import Booking, BookingEvent
from shop.consultations.states import MOVES, BookingStatus, allowed, transition
from shop.errors import InvalidTransition
from tests.consultations.test_booking import NINE_LA, NOW, request

S = BookingStatus

# The rules as the business wrote them, kept apart from the code's table on purpose.
EXPECTED = {
    (S.BOOKED, S.CANCELLED),
    (S.BOOKED, S.COMPLETED),
    (S.BOOKED, S.NO_SHOW),
    (S.COMPLETED, S.NO_SHOW),  # the rep corrects the record of the call
    (S.NO_SHOW, S.COMPLETED),
}
PAIRS = list(product(BookingStatus, BookingStatus))


def test_the_enum_is_what_the_database_accepts():
    constraint = next(
        c for c in Booking.__table__.constraints if "status IN" in str(getattr(c, "sqltext", ""))
    )
    assert {s.value for s in BookingStatus} == set(re.findall(r"'(\w+)'", str(constraint.sqltext)))


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_allowed_is_the_table(current, target):
    assert allowed(current.value, target.value) is ((current, target) in EXPECTED)
    assert (target in MOVES[current]) is ((current, target) in EXPECTED)


def _counts(db, booking):
    events = db.session.scalar(
        sa.select(sa.func.count(BookingEvent.id)).where(BookingEvent.booking_id == booking.id)
    )
    return events, db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))


@pytest.mark.both_dbs
def test_every_move_in_the_table_moves_and_records_one_event(db, reps, sailboats):
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    db.session.commit()
    for current, target in sorted(EXPECTED):
        booking.status = current.value
        db.session.flush()
        events, audits = _counts(db, booking)
        event = transition(booking, target, actor=reps["maya"], note="why")
        db.session.commit()
        assert db.session.get(Booking, booking.id).status == target.value
        assert _counts(db, booking) == (events + 1, audits + 1)
        assert (event.kind, event.note, event.actor_id) == (target.value, "why", reps["maya"].id)


@pytest.mark.both_dbs
def test_every_move_not_in_the_table_is_refused_and_writes_nothing(db, reps, sailboats):
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    db.session.commit()
    for current, target in PAIRS:
        if (current, target) in EXPECTED:
            continue
        booking.status = current.value
        db.session.commit()
        before = _counts(db, booking)
        with pytest.raises(InvalidTransition, match=r"A consultation that is .* cannot become"):
            transition(booking, target, actor=reps["maya"])
        db.session.rollback()
        assert db.session.get(Booking, booking.id).status == current.value
        assert _counts(db, booking) == before


def test_a_cancelled_consultation_takes_no_outcome(client, db, reps, sailboats, login):
    """The rep's page used to offer the outcome form on a cancelled consultation, and saving it
    made the cancelled booking "completed"."""
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    services.cancel(booking.id, reason="Changed plans")
    db.session.commit()
    with pytest.raises(InvalidTransition, match="was cancelled"):
        services.record_outcome(booking.id, reps["maya"], "quote_to_follow", "notes")
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == S.CANCELLED.value

    login(reps["maya"])
    page = client.get(f"/staff/consultations/{booking.id}").get_data(as_text=True)
    assert "there is no outcome to record" in page and "Quote to follow" not in page


def test_the_outcome_can_be_corrected_and_notes_edited_without_a_move(db, reps, sailboats):
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    services.record_outcome(booking.id, reps["maya"], "no_show", "")
    services.record_outcome(booking.id, reps["maya"], "needs_time", "Came late after all")
    services.record_outcome(booking.id, reps["maya"], "quote_to_follow", "Wants a quote")
    db.session.commit()
    booking = db.session.get(Booking, booking.id)
    assert (booking.status, booking.outcome) == (S.COMPLETED.value, "quote_to_follow")
    kinds = db.session.scalars(
        sa.select(BookingEvent.kind)
        .where(BookingEvent.booking_id == booking.id)
        .order_by(BookingEvent.id)
    ).all()
    assert kinds == ["booked", "outcome", "outcome", "outcome"]


@pytest.mark.parametrize("status", list(BookingStatus))
def test_the_reps_page_offers_the_outcome_form_where_the_table_allows_it(
    client, db, reps, sailboats, login, status
):
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    booking.status = status.value
    db.session.commit()
    login(reps["maya"])
    page = client.get(f"/staff/consultations/{booking.id}").get_data(as_text=True)
    offered = bool(MOVES[status] & {S.COMPLETED, S.NO_SHOW}) or status in (S.COMPLETED, S.NO_SHOW)
    assert ("Quote to follow" in page) is offered
