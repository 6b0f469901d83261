"""The delivery window lifecycle table, move by move: every move in it works and writes a
DeliveryEvent, every other move is refused and writes nothing, the services leave the window's
whole history, and the pages offer "Mark delivered" and "Cancel" only where the tables allow."""

import re
from itertools import product

import pytest
import sqlalchemy as sa

from shop.delivery import services
from shop.delivery.models import DeliveryAppointment, DeliveryEvent
from shop.delivery.states import MOVES, DeliveryStatus, allowed, transition
from shop.errors import DomainError, InvalidTransition
from tests.operations.test_delivery import (  # noqa: F401  (fixtures)
    NOW,
    WED_8,
    WED_12,
    crew,
    make_crew,
    make_order,
)

S = DeliveryStatus

# The rules as the business wrote them, kept apart from the code's table on purpose.
EXPECTED = {(S.BOOKED, S.CANCELLED), (S.BOOKED, S.DELIVERED)}
PAIRS = list(product(DeliveryStatus, DeliveryStatus))


def test_the_enum_is_what_the_database_accepts():
    constraint = next(
        c
        for c in DeliveryAppointment.__table__.constraints
        if "status IN" in str(getattr(c, "sqltext", ""))
    )
    assert {s.value for s in S} == set(re.findall(r"'(\w+)'", str(constraint.sqltext)))


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_allowed_is_the_table(current, target):
    assert allowed(current.value, target.value) is ((current, target) in EXPECTED)
    assert (target in MOVES[current]) is ((current, target) in EXPECTED)


def _events(db, appointment):
    return db.session.scalar(
        sa.select(sa.func.count(DeliveryEvent.id)).where(
            DeliveryEvent.appointment_id == appointment.id
        )
    )


@pytest.mark.both_dbs
def test_every_move_in_the_table_moves_and_records_one_event(db, crew, make_order, staff):  # noqa: F811
    appointment = services.book(make_order().id, WED_8, crew.id, now=NOW)
    db.session.commit()
    for current, target in sorted(EXPECTED):
        appointment.status = current.value
        db.session.flush()
        events = _events(db, appointment)
        event = transition(
            appointment, target, actor=staff["support"], actor_kind="support", note="why"
        )
        db.session.commit()
        assert db.session.get(DeliveryAppointment, appointment.id).status == target.value
        assert _events(db, appointment) == events + 1
        assert (event.kind, event.from_status, event.to_status, event.note) == (
            target.value,
            current.value,
            target.value,
            "why",
        )
        assert event.actor_id == staff["support"].id


@pytest.mark.both_dbs
def test_every_move_not_in_the_table_is_refused_and_writes_nothing(db, crew, make_order):  # noqa: F811
    appointment = services.book(make_order().id, WED_8, crew.id, now=NOW)
    db.session.commit()
    for current, target in PAIRS:
        if (current, target) in EXPECTED:
            continue
        appointment.status = current.value
        db.session.commit()
        events = _events(db, appointment)
        with pytest.raises(InvalidTransition, match=r"A delivery window that is .* cannot"):
            transition(appointment, target)
        db.session.rollback()
        assert db.session.get(DeliveryAppointment, appointment.id).status == current.value
        assert _events(db, appointment) == events


def test_the_services_leave_the_windows_whole_history(db, crew, make_order, staff):  # noqa: F811
    order = make_order()
    first = services.book(order.id, WED_8, crew.id, actor=staff["manager"], now=NOW)
    services.reschedule(first.id, WED_12, crew.id, actor=staff["manager"], now=NOW)
    services.cancel(first.id, actor=staff["manager"], reason="The buyer is away")
    second = services.book(order.id, WED_8, crew.id, now=NOW)
    services.mark_delivered(second.id, crew, "Signed for by Ada.")
    db.session.commit()

    def history(appointment):
        return [
            (e.kind, e.from_status, e.to_status)
            for e in db.session.scalars(
                sa.select(DeliveryEvent)
                .where(DeliveryEvent.appointment_id == appointment.id)
                .order_by(DeliveryEvent.id)
            )
        ]

    assert history(first) == [
        ("booked", None, "booked"),
        ("rescheduled", None, None),
        ("cancelled", "booked", "cancelled"),
    ]
    assert history(second) == [("booked", None, "booked"), ("delivered", "booked", "delivered")]
    cancelled = db.session.scalars(
        sa.select(DeliveryEvent).where(DeliveryEvent.kind == "cancelled")
    ).one()
    assert cancelled.note == "The buyer is away" and "(manager)" in cancelled.actor_label


@pytest.mark.parametrize("status", [S.CANCELLED, S.DELIVERED])
def test_a_finished_window_is_not_moved_again(db, crew, make_order, staff, status):  # noqa: F811
    appointment = services.book(make_order().id, WED_8, crew.id, now=NOW)
    appointment.status = status.value
    db.session.commit()
    with pytest.raises(DomainError, match="no longer booked"):
        services.cancel(appointment.id, actor=staff["manager"])
    db.session.rollback()
    with pytest.raises(DomainError, match="no longer booked"):
        services.mark_delivered(appointment.id, crew, "note")
    db.session.rollback()


def test_the_sheet_offers_mark_delivered_only_while_the_tables_allow_it(
    client,
    db,
    login,
    crew,  # noqa: F811
    make_order,  # noqa: F811
):
    order = make_order()
    appointment = services.book(order.id, WED_8, crew.id, now=NOW)
    db.session.commit()
    login(crew)
    url = f"/staff/deliveries/{appointment.reference}"
    assert "Mark delivered" in client.get(url).get_data(as_text=True)
    # A dispute stops fulfilment: the order's table refuses the hand-over, so no button.
    db.session.get(type(order), order.id).dispute_status = "open"
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Mark delivered" not in page and "Do not deliver" in page
    assert "Mark delivered" not in client.get("/staff/deliveries").get_data(as_text=True)
