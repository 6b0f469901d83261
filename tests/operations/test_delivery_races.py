"""No double-booked crew, no doubled window for one order, no reminder sent twice: concurrent
requests on PostgreSQL, and the database's own rule when the service's lock is bypassed."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop.delivery import jobs, services
from shop.delivery.models import DeliveryAppointment
from shop.extensions import db as _db
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from tests.operations import test_delivery as base
from tests.operations.test_delivery import NOW, WED_8, WED_12
from tests.races import run_together

# The delivery tests' fixtures, used here too.
crew, make_crew, make_order = base.crew, base.make_crew, base.make_order

pytestmark = pytest.mark.postgres


def count(db) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(DeliveryAppointment)
        .where(DeliveryAppointment.status == "booked")
    )


def test_two_orders_for_the_same_crew_window_exactly_one_books_it(app, db, crew, make_order):
    orders = [make_order(email=f"b{n}@example.com").id for n in range(6)]
    results = run_together(
        app, [lambda o=o: services.book(o, WED_8, crew.id, now=NOW).id for o in orders]
    )
    booked = [r for r in results if isinstance(r, int)]
    taken = [r for r in results if isinstance(r, services.WindowTaken)]
    assert len(booked) == 1 and len(taken) == 5
    assert "that window was just taken" in taken[0].message
    assert count(db) == 1
    # The losers' orders are still waiting for a window; fresh windows no longer offer it.
    statuses = db.session.scalars(sa.select(Order.status).order_by(Order.id))
    assert sorted(statuses) == ["delivery_scheduled"] + ["paid"] * 5
    assert WED_8 not in services.offer(NOW, days=7).slots


def test_without_the_lock_the_exclusion_constraint_still_refuses(
    app, db, crew, make_order, monkeypatch
):
    """A code path that forgot the schedule lock: the database has the last word."""
    from shop.consultations.models import RepSchedule

    def unlocked(crew_id):
        return _db.session.scalar(sa.select(RepSchedule).where(RepSchedule.rep_id == crew_id))

    monkeypatch.setattr(services, "_lock_crew_schedule", unlocked)
    first, second = make_order(email="a@example.com").id, make_order(email="b@example.com").id
    results = run_together(
        app,
        [
            lambda: services.book(first, WED_8, crew.id, now=NOW).id,
            lambda: services.book(second, WED_8, crew.id, now=NOW).id,
        ],
    )
    assert sum(isinstance(r, int) for r in results) == 1
    (loser,) = [r for r in results if isinstance(r, services.WindowTaken)]
    assert "just taken" in loser.message
    assert count(db) == 1


def test_two_windows_for_one_order_at_once_only_one_is_booked(app, db, make_crew, make_order):
    first, second = make_crew(), make_crew(email="crew2@example.com", name="Second Crew")
    order = make_order().id
    results = run_together(
        app,
        [
            lambda: services.book(order, WED_8, first.id, now=NOW).id,
            lambda: services.book(order, WED_12, second.id, now=NOW).id,
        ],
    )
    assert sum(isinstance(r, int) for r in results) == 1
    assert count(db) == 1


def test_the_database_refuses_overlapping_windows_of_one_crew(db, crew, make_order):
    order = make_order()

    def appointment(ref, start):
        return DeliveryAppointment(
            reference=ref,
            order_id=order.id,
            crew_id=crew.id,
            starts_at=start,
            ends_at=start + timedelta(hours=4),
            buyer_timezone="UTC",
        )

    db.session.add(appointment("D-AAAAAA", WED_8))
    db.session.commit()
    db.session.add(appointment("D-BBBBBB", WED_8 + timedelta(hours=2)))
    with pytest.raises(IntegrityError, match="ex_delivery_crew_no_overlap"):
        db.session.commit()
    db.session.rollback()
    db.session.execute(sa.update(DeliveryAppointment).values(status="cancelled"))
    db.session.add(appointment("D-CCCCCC", WED_8 + timedelta(hours=2)))
    db.session.commit()  # a cancelled window frees the crew


def test_two_reminder_runs_at_once_send_each_reminder_once(app, db, make_crew, make_order):
    crews = [make_crew(email=f"c{n}@example.com", name=f"Crew {n}") for n in range(4)]
    for n, crew_ in enumerate(crews):
        services.book(make_order(email=f"r{n}@example.com").id, WED_8, crew_.id, now=NOW)
    db.session.commit()
    when = WED_8 - timedelta(hours=20)
    results = run_together(app, [lambda: jobs.send_reminders(when) for _ in range(3)])
    assert sum(results) == 4
    keys = db.session.scalars(
        sa.select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.startswith("delivery-reminder-24h:")
        )
    ).all()
    assert len(keys) == len(set(keys)) == 4
