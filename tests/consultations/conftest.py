"""Shared fixtures for consultation tests."""

from datetime import time

import pytest
import sqlalchemy as sa

from shop.auth.roles import Role
from shop.consultations.models import RepSchedule, WorkingHours


@pytest.fixture
def reps(app, db, make_user, sailboats, make_category):
    """Two sailboat reps in Los Angeles (9-5 weekdays) and a piano rep in New York."""
    from shop.auth.models import StaffProfile

    pianos = make_category(slug="pianos", name="Grand pianos")
    made = {}
    for key, name, tz, category in (
        ("maya", "Maya Okafor", "America/Los_Angeles", sailboats),
        ("ravi", "Ravi Shah", "America/Los_Angeles", sailboats),
        ("jonas", "Jonas Lindqvist", "America/New_York", pianos),
    ):
        rep = make_user(Role.REP, email=f"{key}@example.com", name=name)
        rep.timezone = tz
        profile = db.session.scalar(sa.select(StaffProfile).where(StaffProfile.user_id == rep.id))
        profile.specialties = [category]
        db.session.add(RepSchedule(rep_id=rep.id, min_notice_minutes=60, window_days=60))
        for day in range(5):
            db.session.add(
                WorkingHours(rep_id=rep.id, weekday=day, starts_at=time(9), ends_at=time(17))
            )
        made[key] = rep
    db.session.commit()
    return made
