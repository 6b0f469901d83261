"""The audit trail: written with staff actions, readable by managers, impossible to change."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from shop.audit import services as audit
from shop.audit.models import AuditEntry
from shop.auth.roles import Role
from tests.conftest import post_form


@pytest.mark.both_dbs
def test_entries_cannot_be_changed_or_removed(db, make_user):
    manager = make_user(Role.MANAGER)
    entry = audit.record(
        manager,
        "order.refund",
        "order",
        "HH-ABC123",
        before={"refunded": 0},
        after={"refunded": 100_00},
        reason="Damaged",
    )
    db.session.commit()
    for statement in (
        sa.update(AuditEntry).values(reason="nothing happened"),
        sa.delete(AuditEntry),
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    kept = db.session.get(AuditEntry, entry.id)
    assert kept.reason == "Damaged" and kept.after == {"refunded": 10000}


@pytest.mark.both_dbs
def test_the_actor_is_kept_even_when_the_account_is_removed(db, make_user):
    from shop.auth.models import StaffProfile, User

    rep = make_user(Role.REP, name="Gone Soon", email="gone@example.com")
    audit.record(rep, "booking.outcome", "booking", "C-1")
    db.session.commit()
    db.session.execute(sa.delete(StaffProfile).where(StaffProfile.user_id == rep.id))
    db.session.execute(sa.delete(User).where(User.id == rep.id))
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.actor_label == "Gone Soon <gone@example.com>" and entry.actor_role == "rep"


def test_staff_actions_write_entries_that_managers_can_filter(app, client, db, make_user, login):
    rep = make_user(Role.REP, email="maya@example.com")
    login(rep)
    r = post_form(
        client,
        "/staff/schedule",
        {
            "section": "settings",
            "settings-timezone": "America/Los_Angeles",
        },
    )
    assert r.status_code in (303, 400)
    manager = make_user(Role.MANAGER)
    audit.record(
        manager,
        "booking.reassign",
        "booking",
        "C-XYZ",
        before={"rep_id": 1},
        after={"rep_id": 2},
        reason="Maya is ill",
    )
    db.session.commit()
    post_form(client, "/account/logout", {})
    assert client.get("/staff/audit").status_code == 302
    login(rep)
    assert client.get("/staff/audit").status_code == 403
    post_form(client, "/account/logout", {})
    login(manager)
    page = client.get("/staff/audit?action=booking.reassign").get_data(as_text=True)
    assert "Maya is ill" in page and "C-XYZ" in page
    none = client.get("/staff/audit?target_id=nothing").get_data(as_text=True)
    assert "No entries match" in none


def test_the_date_filter_reads_days_on_the_managers_clock(client, db, make_user, login):
    """The trail shows times on the manager's clock; its From and To are days on that clock
    too, named, never UTC."""
    import re
    from datetime import UTC, datetime, timedelta

    manager = make_user(Role.MANAGER)
    manager.timezone = "America/Los_Angeles"
    # 07:30 UTC on March 2 is still March 1 in Los Angeles.
    for number, at in (("C-EVE", datetime(2025, 3, 2, 7, 30)), ("C-MORN", datetime(2025, 3, 2, 9))):
        db.session.add(
            AuditEntry(
                created_at=at.replace(tzinfo=UTC),
                actor_label="Nobody",
                actor_role="system",
                action="booking.reassign",
                target_type="booking",
                target_id=number,
                # An instant among the values, as the audit service stores one.
                after={"starts_at": str(at.replace(tzinfo=UTC) + timedelta(days=7))},
            )
        )
    db.session.commit()
    login(manager)
    page = client.get("/staff/audit?from=2025-03-01&to=2025-03-01").get_data(as_text=True)
    assert "C-EVE" in page and "C-MORN" not in page
    assert "From (America/Los Angeles)" in page and "UTC" not in page
    # The value reads on her clock too, named: not "2025-03-09 07:30:00+00:00".
    assert re.search(r"Mar 8, 2025, 11:30:00\sPM PST", page) and "+00:00<" not in page
    page = client.get("/staff/audit?from=2025-03-02").get_data(as_text=True)
    assert "C-MORN" in page and "C-EVE" not in page
