"""Every staff action on a quote or a booking writes exactly one audit entry, through the routes
staff use; buyers' own steps are not audited; entries cannot be changed or removed; no route
edits them; only managers read them."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from shop.audit.models import AuditEntry
from shop.auth.models import StaffProfile, User
from shop.auth.roles import Role
from shop.consultations import services as bookings
from shop.consultations.models import Booking, RepSchedule, WorkingHours
from shop.db import utcnow
from shop.quotes.models import Quote
from shop.timefmt import zone_name
from tests.conftest import PASSWORD, post_form
from tests.consultations import conftest as booking_fixtures
from tests.consultations.test_booking import request as booking_request
from tests.quotes import conftest as quote_fixtures
from tests.quotes.test_staff_pages import builder_data

# Fixtures shared with the quote and consultation tests.
reps = booking_fixtures.reps
team, boat, variant = quote_fixtures.team, quote_fixtures.boat, quote_fixtures.variant


def browser_for(app, user):
    """A browser of its own, logged in as `user`."""
    browser = app.test_client()
    r = post_form(browser, "/account/login", {"email": user.email, "password": PASSWORD})
    assert r.status_code == 302
    return browser


class Trail:
    """Reads the entries written since the last look."""

    def __init__(self, db):
        self.db = db
        self.seen = 0

    def new(self) -> list[AuditEntry]:
        self.db.session.expire_all()
        rows = self.db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > self.seen).order_by(AuditEntry.id)
        ).all()
        if rows:
            self.seen = rows[-1].id
        return list(rows)

    def one(self, action: str, actor, target: str) -> AuditEntry:
        rows = self.new()
        assert [e.action for e in rows] == [action], [e.action for e in rows]
        entry = rows[0]
        assert entry.actor_id == actor.id and entry.actor_role == actor.role
        assert entry.actor_label == f"{actor.name} <{actor.email}>"
        assert (entry.target_type, entry.target_id) == (
            "quote" if target[:2] == "Q-" else "booking",
            target,
        )
        assert entry.ip_address == "127.0.0.1"  # bound from the request, not passed by the route
        assert entry.created_at is not None
        return entry


@pytest.fixture
def trail(db):
    return Trail(db)


# --- quotes ----------------------------------------------------------------------------------


def test_every_staff_step_on_a_quote_is_audited_once(app, db, team, variant, trail):
    maya, boss, chief = team["maya"], team["boss"], team["chief"]
    rep = browser_for(app, maya)

    r = post_form(rep, "/staff/quotes/new", {"name": "Ada Buyer", "email": "ada@example.com"})
    assert r.status_code == 303
    quote = db.session.scalar(sa.select(Quote).order_by(Quote.id.desc()))
    url = f"/staff/quotes/{quote.id}"
    entry = trail.one("quote.create", maya, quote.number)
    assert entry.after["status"] == "draft" and entry.after["buyer"] == "ada@example.com"

    # Lines: one catalog item found by SKU, then the builder with a discount beyond authority.
    r = post_form(rep, f"{url}/lines", {"variant_id": variant.id, "quantity": 1}, csrf_page=url)
    assert r.status_code == 303
    entry = trail.one("quote.edit", maya, quote.number)
    assert entry.before["total_cents"] == 0 and entry.after["total_cents"] == 100_000_00
    assert entry.before["lines"] == 0 and entry.after["lines"] == 1

    data = builder_data(quote.id, discount_kind="percent", discount_value="20")
    assert post_form(rep, url, data, csrf_page=url).status_code == 303
    entry = trail.one("quote.edit", maya, quote.number)
    assert entry.before["total_cents"] == 100_000_00 and entry.after["total_cents"] == 80_000_00
    assert entry.after["discount_cents"] == 20_000_00 and "lines" not in entry.after

    r = post_form(rep, f"{url}/submit", {"comment": "Long-standing client"}, csrf_page=url)
    assert r.status_code == 303
    entry = trail.one("quote.submit", maya, quote.number)
    assert entry.before == {"status": "draft"} and entry.after["status"] == "pending_approval"
    assert entry.reason == "Long-standing client"

    manager = browser_for(app, boss)
    r = post_form(manager, f"{url}/reject", {"comment": "Too deep; try 12 %"}, csrf_page=url)
    assert r.status_code == 303
    entry = trail.one("quote.reject", boss, quote.number)
    assert entry.before == {"status": "pending_approval"} and entry.after["status"] == "draft"
    assert entry.reason == "Too deep; try 12 %"

    assert post_form(rep, f"{url}/submit", {"comment": ""}, csrf_page=url).status_code == 303
    trail.one("quote.submit", maya, quote.number)
    other = browser_for(app, chief)
    assert post_form(other, f"{url}/approve", {"comment": "Fine"}, csrf_page=url).status_code == 303
    entry = trail.one("quote.approve", chief, quote.number)
    assert entry.after["status"] == "approved" and entry.after["total_cents"] == 80_000_00
    assert entry.reason == "Fine"

    assert post_form(rep, f"{url}/send", {}, csrf_page=url).status_code == 303
    entry = trail.one("quote.send", maya, quote.number)
    assert entry.before == {"status": "approved"} and entry.after["status"] == "sent"
    # A second click finds it sent: no second entry.
    assert post_form(rep, f"{url}/send", {}, csrf_page=url).status_code == 303
    assert trail.new() == []

    r = post_form(rep, f"{url}/units", {"action": "release", "comment": "Buyer away"}, url)
    assert r.status_code == 303
    entry = trail.one("quote.release_units", maya, quote.number)
    assert entry.after == {"released": 1} and entry.reason == "Buyer away"
    assert post_form(rep, f"{url}/units", {"action": "hold"}, csrf_page=url).status_code == 303
    entry = trail.one("quote.hold_units", maya, quote.number)
    assert "held" in entry.after["held"]

    r = post_form(rep, f"{url}/message", {"body": "Delivery in May works."}, csrf_page=url)
    assert r.status_code == 303
    entry = trail.one("quote.message", maya, quote.number)
    assert entry.after["excerpt"] == "Delivery in May works."

    r = post_form(rep, f"{url}/withdraw", {"comment": "Stock sold elsewhere"}, csrf_page=url)
    assert r.status_code == 303
    entry = trail.one("quote.withdraw", maya, quote.number)
    assert entry.before == {"status": "sent"} and entry.after["status"] == "withdrawn"
    assert entry.reason == "Stock sold elsewhere"

    # What the audit page makes of it: a link to the quote and the change, readable.
    page = manager.get(f"/staff/audit?target_id={quote.number}").get_data(as_text=True)
    assert f'href="/staff/quotes/{quote.id}"' in page
    assert page.count('data-testid="audit-row"') == 12
    assert "<del>pending_approval</del> → <ins>draft</ins>" in page


def test_a_refused_step_writes_no_entry(app, db, team, variant, trail):
    maya = team["maya"]
    rep = browser_for(app, maya)
    post_form(rep, "/staff/quotes/new", {"name": "Ada Buyer", "email": "ada@example.com"})
    quote = db.session.scalar(sa.select(Quote).order_by(Quote.id.desc()))
    trail.new()
    url = f"/staff/quotes/{quote.id}"
    # Nothing to send yet: refused with a message, rolled back, nothing audited.
    assert post_form(rep, f"{url}/send", {}, csrf_page=url).status_code == 303
    assert trail.new() == []
    # The author cannot approve their own quote, even as a manager.
    boss = team["boss"]
    manager = browser_for(app, boss)
    post_form(manager, "/staff/quotes/new", {"name": "Bo", "email": "bo@example.com"})
    own = db.session.scalar(sa.select(Quote).order_by(Quote.id.desc()))
    trail.new()
    own_url = f"/staff/quotes/{own.id}"
    assert post_form(manager, f"{own_url}/approve", {}, csrf_page=own_url).status_code == 303
    assert trail.new() == []


def test_buyer_steps_on_a_quote_are_not_audited(app, client, db, team, variant, trail):
    from shop.quotes import buyer, services
    from tests.quotes.conftest import terms

    quote = services.create_quote(team["maya"], buyer_id=team["buyer"].id)
    services.save_version(quote.id, team["maya"], terms(variant.id))
    services.send(quote.id, team["maya"])
    db.session.commit()
    assert [e.action for e in trail.new()] == ["quote.create", "quote.edit", "quote.send"]
    buyer.post_message(quote, "Could you include the sails?", True, author=team["buyer"])
    buyer.decline(quote, "Too dear")
    db.session.commit()
    assert trail.new() == []


# --- bookings --------------------------------------------------------------------------------


def _monday_nine_la():
    """A Monday at 9:00 in Los Angeles, at least two days ahead (the routes use the clock)."""
    start = utcnow().replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=2)
    return start + timedelta(days=(7 - start.weekday()) % 7)


def test_every_staff_step_on_a_booking_is_audited_once(app, db, reps, sailboats, make_user, trail):
    start = _monday_nine_la()
    booking = bookings.book(booking_request(sailboats), start, reps["maya"].id)
    db.session.commit()
    assert trail.new() == []  # booked by the buyer: on the booking's history only

    manager_user = make_user(Role.MANAGER, name="Mo Manager")
    manager = browser_for(app, manager_user)
    url = f"/staff/consultations/{booking.id}"
    r = post_form(
        manager, f"{url}/reassign", {"rep_id": reps["ravi"].id, "reason": "Maya is away"}, url
    )
    assert r.status_code == 303
    entry = trail.one("booking.reassign", manager_user, booking.reference)
    assert entry.before == {"rep_id": reps["maya"].id} and entry.after == {
        "rep_id": reps["ravi"].id
    }
    assert entry.reason == "Maya is away"

    ravi = browser_for(app, reps["ravi"])
    r = post_form(ravi, url, {"outcome": "quote_to_follow", "notes": "Wants teak decks"}, url)
    assert r.status_code == 303
    entry = trail.one("booking.outcome", reps["ravi"], booking.reference)
    assert entry.before == {"status": "booked", "outcome": "", "notes": ""}
    assert entry.after == {
        "status": "completed",
        "outcome": "quote_to_follow",
        "notes": "Wants teak decks",
    }
    # Notes changed again later: only what changed is recorded.
    r = post_form(ravi, url, {"outcome": "quote_to_follow", "notes": "Teak decks, navy hull"}, url)
    entry = trail.one("booking.outcome", reps["ravi"], booking.reference)
    assert entry.before == {"notes": "Wants teak decks"}
    assert entry.after == {"notes": "Teak decks, navy hull"}


def test_staff_reschedule_and_cancel_are_audited_and_the_buyers_are_not(
    app, db, reps, sailboats, make_user, trail
):
    """The desk has no reschedule or cancel page yet; the service audits any staff actor."""
    from shop.audit.services import bind_address

    start = _monday_nine_la()
    booking = bookings.book(booking_request(sailboats), start, reps["maya"].id)
    db.session.commit()
    manager = make_user(Role.MANAGER)
    bind_address("10.0.0.7")
    try:
        bookings.reschedule(booking.id, start + timedelta(hours=1), actor=manager, reason="Late")
        rows = trail.new()
        assert [e.action for e in rows] == ["booking.reschedule"]
        assert rows[0].before == {"starts_at": str(start)}
        assert rows[0].after == {"starts_at": str(start + timedelta(hours=1))}
        assert rows[0].reason == "Late" and rows[0].ip_address == "10.0.0.7"
        bookings.cancel(booking.id, actor=manager, reason="Buyer phoned")
        rows = trail.new()
        assert [e.action for e in rows] == ["booking.cancel"]
        assert rows[0].before["status"] == "booked" and rows[0].after == {"status": "cancelled"}
    finally:
        bind_address("")
    db.session.commit()

    second = bookings.book(booking_request(sailboats), start, reps["maya"].id)
    bookings.reschedule(second.id, start + timedelta(hours=2))  # the buyer, through the link
    bookings.cancel(second.id, reason="Changed my mind")
    db.session.commit()
    assert trail.new() == []


def test_schedule_changes_are_audited_with_before_and_after(app, db, make_user, trail):
    rep = make_user(Role.REP, name="Rae Rep")
    db.session.add(RepSchedule(rep_id=rep.id))
    db.session.add(WorkingHours(rep_id=rep.id, weekday=0, starts_at=_t(9), ends_at=_t(17)))
    db.session.commit()
    browser = browser_for(app, rep)
    r = post_form(
        browser,
        "/staff/schedule",
        {
            "section": "settings",
            "timezone": "UTC",
            "meeting_minutes": "60",
            "min_notice_hours": "24",
            "buffer_minutes": "15",
            "window_days": "60",
            "daily_cap": "4",
            "accepts_bookings": "y",
        },
        csrf_page="/staff/schedule",
    )
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    rows = trail.new()
    assert [e.action for e in rows] == ["schedule.settings"]
    assert rows[0].target_type == "rep_schedule" and rows[0].target_id == str(rep.id)
    assert rows[0].ip_address == "127.0.0.1" and rows[0].actor_id == rep.id
    assert "summary" in rows[0].after


def _t(hour):
    from datetime import time

    return time(hour)


# --- the trail itself ------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_the_actor_survives_the_removal_of_the_account_after_a_desk_action(
    app, db, reps, sailboats, make_user
):
    start = _monday_nine_la()
    booking = bookings.book(booking_request(sailboats), start, reps["maya"].id)
    db.session.commit()
    leaving = make_user(Role.MANAGER, name="Lee Leaving", email="lee@example.com")
    browser = browser_for(app, leaving)
    url = f"/staff/consultations/{booking.id}"
    r = post_form(browser, f"{url}/reassign", {"rep_id": reps["ravi"].id, "reason": "Cover"}, url)
    assert r.status_code == 303
    post_form(browser, "/account/logout", {})
    db.session.execute(sa.delete(StaffProfile).where(StaffProfile.user_id == leaving.id))
    db.session.execute(sa.delete(User).where(User.id == leaving.id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, leaving.id) is None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "booking.reassign"))
    assert entry.actor_label == "Lee Leaving <lee@example.com>" and entry.actor_role == "manager"
    assert entry.actor_id == leaving.id and entry.ip_address == "127.0.0.1"
    # The manager's page still shows who it was.
    boss = browser_for(app, make_user(Role.MANAGER))
    assert "Lee Leaving" in boss.get("/staff/audit").get_data(as_text=True)


@pytest.mark.both_dbs
def test_entries_written_by_a_desk_action_cannot_be_changed_or_removed(
    app, db, team, variant, trail
):
    rep = browser_for(app, team["maya"])
    post_form(rep, "/staff/quotes/new", {"name": "Ada Buyer", "email": "ada@example.com"})
    (entry,) = trail.new()
    for statement in (
        sa.update(AuditEntry).where(AuditEntry.id == entry.id).values(actor_label="someone"),
        sa.update(AuditEntry).values(after={}),
        sa.delete(AuditEntry).where(AuditEntry.id == entry.id),
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()
    # Nor through the ORM.
    kept = db.session.get(AuditEntry, entry.id)
    kept.reason = "edited"
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).actor_label.startswith("Maya Okafor")


def test_no_route_writes_to_the_audit_trail(app):
    audit_rules = [
        r for r in app.url_map.iter_rules() if "audit" in r.endpoint or "/audit" in r.rule
    ]
    assert audit_rules, "the audit page is gone"
    for rule in audit_rules:
        assert not rule.methods & {"POST", "PUT", "PATCH", "DELETE"}, (rule.rule, rule.methods)


def test_the_services_offer_no_way_to_change_an_entry():
    from shop.audit import services

    names = {n for n in dir(services) if not n.startswith("_")}
    assert not {n for n in names if n.startswith(("update", "delete", "remove", "edit"))}


def test_only_managers_read_the_trail_and_they_can_filter_it(
    app, client, db, make_user, team, variant, trail
):
    rep = browser_for(app, team["maya"])
    post_form(rep, "/staff/quotes/new", {"name": "Ada Buyer", "email": "ada@example.com"})
    post_form(rep, "/staff/quotes/new", {"name": "Bo Buyer", "email": "bo@example.com"})
    first, _second = db.session.scalars(sa.select(Quote).order_by(Quote.id)).all()

    assert client.get("/staff/audit").status_code == 302  # a visitor: to the login page
    for role in (Role.BUYER, Role.REP, Role.SUPPORT):
        assert browser_for(app, make_user(role)).get("/staff/audit").status_code == 403, role
    boss = browser_for(app, team["boss"])

    def rows(query=""):
        html = boss.get(f"/staff/audit{query}").get_data(as_text=True)
        return html, html.count('data-testid="audit-row"')

    html, count = rows()
    assert count == 2 and "Maya Okafor &lt;maya@example.com&gt;" in html and "127.0.0.1" in html
    assert rows(f"?target_id={first.number}")[1] == 1
    assert rows("?target_type=quote&action=quote.create")[1] == 2
    assert rows(f"?actor={team['maya'].id}")[1] == 2
    assert rows(f"?actor={team['boss'].id}")[1] == 0
    assert rows("?role=rep")[1] == 2 and rows("?role=manager")[1] == 0
    # A date in the filter is a day on the manager's clock (the store's, if she never chose one).
    today = utcnow().astimezone(ZoneInfo(zone_name(team["boss"].timezone))).date()
    assert rows(f"?from={today.isoformat()}&to={today.isoformat()}")[1] == 2
    assert rows(f"?to={(today - timedelta(days=1)).isoformat()}")[1] == 0
    assert rows(f"?from={(today + timedelta(days=1)).isoformat()}")[1] == 0
    # Nonsense in the query string narrows nothing and breaks nothing.
    for junk in ("?actor=abc", "?from=2024-13-45", "?role=admin", "?page=-3", "?to=99999-01-01"):
        r = boss.get(f"/staff/audit{junk}")
        assert (
            r.status_code == 200 and r.get_data(as_text=True).count('data-testid="audit-row"') == 2
        )
    assert "No entries match" in rows("?target_id=nothing")[0]


def test_the_trail_is_paginated_with_a_fixed_number_of_queries(app, db, make_user, query_counter):
    from shop.audit import services as audit

    manager = make_user(Role.MANAGER)
    browser = browser_for(app, manager)

    def count_queries():
        with query_counter() as statements:
            assert browser.get("/staff/audit").status_code == 200
        return len(statements)

    for n in range(3):
        audit.record(manager, "quote.approve", "quote", f"Q-NONE{n}")
    db.session.commit()
    few = count_queries()
    for n in range(120):
        audit.record(manager, "booking.outcome", "booking", f"C-{n:06d}", after={"n": n})
    db.session.commit()
    assert count_queries() == few
    page2 = browser.get("/staff/audit?page=2").get_data(as_text=True)
    assert page2.count('data-testid="audit-row"') == 50 and 'rel="prev"' in page2
    page3 = browser.get("/staff/audit?page=3&action=booking.outcome").get_data(as_text=True)
    assert page3.count('data-testid="audit-row"') == 20
    assert "action=booking.outcome" in page3  # the filter is kept across pages


def test_quote_discount_edits_record_the_totals(db, team, variant, trail):
    """The before/after of an edit names what changed in money, not just 'edited'."""
    from shop.quotes import services
    from tests.quotes.conftest import terms

    quote = services.create_quote(team["maya"], buyer_id=team["buyer"].id)
    services.save_version(quote.id, team["maya"], terms(variant.id))
    trail.new()
    services.save_version(
        quote.id,
        team["maya"],
        terms(variant.id, discount_kind="percent", discount_value=Decimal("5")),
    )
    (entry,) = trail.new()
    assert entry.action == "quote.edit"
    # Only what changed: the totals and the validity date (the terms carry a new one).
    assert set(entry.before) == set(entry.after) == {"total_cents", "discount_cents", "valid_until"}
    assert (entry.before["total_cents"], entry.before["discount_cents"]) == (100_000_00, 0)
    assert (entry.after["total_cents"], entry.after["discount_cents"]) == (95_000_00, 5_000_00)


def test_bookings_created_by_staff_are_audited(db, reps, sailboats, make_user, trail):
    manager = make_user(Role.MANAGER)
    booking = bookings.book(
        booking_request(sailboats), _monday_nine_la(), reps["maya"].id, actor=manager
    )
    (entry,) = trail.new()
    assert entry.action == "booking.create" and entry.target_id == booking.reference
    assert entry.after["rep_id"] == reps["maya"].id and entry.ip_address == ""
    assert db.session.get(Booking, booking.id).status == "booked"
