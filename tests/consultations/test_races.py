"""No double booking, by construction: concurrent requests on PostgreSQL, and the database's own
rule when the service is bypassed."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop.consultations import services
from shop.consultations.models import Booking
from shop.extensions import db as _db
from tests.consultations.test_booking import NINE_LA, NOW, request
from tests.races import run_together

pytestmark = pytest.mark.postgres


def test_the_same_slot_for_one_rep_exactly_one_succeeds(app, db, reps, sailboats):
    rep = reps["maya"].id
    attempts = [
        (
            lambda n=n: (
                services.book(
                    request(sailboats, email=f"b{n}@example.com"), NINE_LA, rep, now=NOW
                ).id
            )
        )
        for n in range(8)
    ]
    results = run_together(app, attempts)
    booked = [r for r in results if isinstance(r, int)]
    taken = [r for r in results if isinstance(r, services.SlotTaken)]
    assert len(booked) == 1 and len(taken) == 7
    assert "just taken" in taken[0].message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
    # The ones told "taken" are shown fresh slots, without that one.
    assert NINE_LA not in services.offer(sailboats.id, rep, NOW, days=7).slots


def test_two_reschedules_onto_one_slot_exactly_one_succeeds(app, db, reps, sailboats):
    rep = reps["maya"].id
    first = services.book(request(sailboats, email="a@example.com"), NINE_LA, rep, now=NOW)
    second = services.book(
        request(sailboats, email="b@example.com"), NINE_LA + timedelta(hours=2), rep, now=NOW
    )
    db.session.commit()
    target = NINE_LA + timedelta(hours=5)
    results = run_together(
        app,
        [
            lambda: services.reschedule(first.id, target, now=NOW).id,
            lambda: services.reschedule(second.id, target, now=NOW).id,
        ],
    )
    assert sum(isinstance(r, int) for r in results) == 1
    starts = db.session.scalars(sa.select(Booking.starts_at).order_by(Booking.id)).all()
    assert starts.count(target) == 1


def test_the_database_refuses_overlapping_bookings_even_without_the_service(db, reps):
    def booking(ref, start):
        return Booking(
            reference=ref,
            rep_id=reps["maya"].id,
            name="X",
            email="x@example.com",
            channel="video",
            starts_at=start,
            ends_at=start + timedelta(minutes=45),
            buyer_timezone="UTC",
        )

    db.session.add(booking("C-AAAAAA", NINE_LA))
    db.session.commit()
    db.session.add(booking("C-BBBBBB", NINE_LA + timedelta(minutes=30)))
    with pytest.raises(IntegrityError, match="ex_bookings_rep_no_overlap"):
        db.session.commit()
    db.session.rollback()
    # A cancelled booking frees its time.
    db.session.execute(sa.update(Booking).values(status="cancelled"))
    db.session.add(booking("C-CCCCCC", NINE_LA + timedelta(minutes=30)))
    db.session.commit()


def test_two_reminder_runs_at_once_send_each_reminder_once(app, db, reps, sailboats):
    from shop.consultations import jobs
    from shop.notifications.models import OutboxMessage

    for n in range(5):
        booking = services.book(
            request(sailboats, email=f"r{n}@example.com"),
            NINE_LA + timedelta(days=n % 2, hours=n),
            reps["maya"].id,
            now=NOW,
        )
        booking.created_at = NOW
    db.session.commit()
    moment = NINE_LA + timedelta(hours=6) - timedelta(hours=23)

    def run():
        with app.app_context():
            barrier.wait()
            counts.append(jobs.send_reminders(moment))
            _db.session.remove()

    counts: list[int] = []
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    keys = db.session.scalars(
        sa.select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("booking-rem%"))
    ).all()
    assert sum(counts) == len(keys) // 2 > 0
    assert len(keys) == len(set(keys))
