"""Booking a specialist: routing, the emails and invites, links, reschedule, cancel, reminders."""

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from shop.auth.roles import Role
from shop.consultations import jobs, services
from shop.consultations.models import Booking, BookingEvent
from shop.notifications.models import OutboxMessage
from tests.conftest import post_form

# A Monday well ahead, so every test sees the same week whatever today is.
MONDAY = datetime(2030, 3, 4, tzinfo=UTC)
NOW = MONDAY - timedelta(days=2)


def request(sailboats, **overrides):
    fields = {
        "channel": "video",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "555",
        "buyer_timezone": "Europe/London",
        "budget": "$150,000-$400,000",
        "timeline": "In 1-3 months",
        "known": "Compared the Aura 38 and the Vesper 40",
        "category_id": sailboats.id,
    }
    return services.Request(**{**fields, **overrides})


NINE_LA = MONDAY.replace(hour=17)  # 9:00 in Los Angeles (PST) on that Monday


def test_slots_are_offered_only_by_specialists(db, reps, sailboats):
    offer = services.offer(sailboats.id, None, NOW, days=7)
    assert offer.slots[NINE_LA] == sorted([reps["maya"].id, reps["ravi"].id])
    assert all(reps["jonas"].id not in free for free in offer.slots.values())


def test_routing_balances_the_load_between_free_specialists(db, reps, sailboats):
    first = services.book(request(sailboats, email="a@example.com"), NINE_LA, None, now=NOW)
    second = services.book(request(sailboats, email="b@example.com"), NINE_LA, None, now=NOW)
    assert {first.rep_id, second.rep_id} == {reps["maya"].id, reps["ravi"].id}
    with pytest.raises(services.SlotTaken):
        services.book(request(sailboats, email="c@example.com"), NINE_LA, None, now=NOW)


def test_a_returning_buyer_is_offered_their_rep_first(db, reps, sailboats):
    earlier = services.book(request(sailboats), NINE_LA, reps["ravi"].id, now=NOW)
    db.session.commit()
    assert services.previous_rep(None, "ADA@example.com") == earlier.rep_id
    later = services.book(request(sailboats), NINE_LA + timedelta(days=1), None, now=NOW)
    assert later.rep_id == reps["ravi"].id


def test_the_same_slot_cannot_be_booked_twice_for_one_rep(db, reps, sailboats):
    services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    with pytest.raises(services.SlotTaken):
        services.book(request(sailboats, email="x@example.com"), NINE_LA, reps["maya"].id, now=NOW)
    # the buffer keeps the next half hour free as well
    with pytest.raises(services.SlotTaken):
        services.book(
            request(sailboats, email="x@example.com"),
            NINE_LA + timedelta(minutes=30),
            reps["maya"].id,
            now=NOW,
        )


@pytest.mark.parametrize(
    ("when", "overrides", "message"),
    [
        (NINE_LA - timedelta(days=7), {}, "already passed"),
        (MONDAY.replace(hour=3), {}, "just taken"),  # 7 pm in Los Angeles: outside hours
        (NINE_LA + timedelta(days=600), {}, "just taken"),  # beyond the booking window
        (NINE_LA, {"buyer_timezone": "Mars/Olympus"}, "time zone"),
        (NINE_LA, {"email": ""}, "email address"),
        (NINE_LA, {"channel": "telepathy"}, "how you would like"),
    ],
)
def test_bad_requests_get_a_clear_message_and_book_nothing(
    db, reps, sailboats, when, overrides, message
):
    with pytest.raises(services.DomainError, match=message):
        services.book(request(sailboats, **overrides), when, reps["maya"].id, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_booking_sends_both_invites_with_the_right_time_zones(db, reps, sailboats):
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.to_address for r in rows] == ["ada@example.com", "maya@example.com"]
    buyer_ics = Calendar.from_ical(rows[0].attachments[0]["content"])
    event = next(iter(buyer_ics.walk("VEVENT")))
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/London" and start.hour == 17  # 9 am LA = 5 pm London
    assert start.astimezone(UTC) == booking.starts_at
    assert any(c.name == "VTIMEZONE" for c in buyer_ics.walk())
    rep_event = next(iter(Calendar.from_ical(rows[1].attachments[0]["content"]).walk("VEVENT")))
    assert str(rep_event.decoded("dtstart").tzinfo) == "America/Los_Angeles"
    assert rep_event.decoded("dtstart").hour == 9
    assert "Monday, March 4 at 5:00 PM GMT" in rows[0].body_text
    assert "Compared the Aura 38" in rows[1].body_text


def test_links_are_signed_expire_after_the_meeting_and_die_at_reschedule(db, reps, sailboats):
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    token = services.link_token(booking)
    assert services.booking_for_token(token, now=NOW) == booking
    with pytest.raises(services.NotFound):
        services.booking_for_token(token[:-2] + "xx", now=NOW)
    with pytest.raises(services.NotFound):
        services.booking_for_token(token, now=booking.ends_at + timedelta(minutes=1))
    services.reschedule(booking.id, NINE_LA + timedelta(hours=2), now=NOW, reason="Dentist")
    with pytest.raises(services.NotFound):
        services.booking_for_token(token, now=NOW)
    fresh = services.link_token(booking)
    moved = services.booking_for_token(fresh, now=NOW)
    assert moved.starts_at == NINE_LA + timedelta(hours=2) and moved.rep_id == reps["maya"].id
    note = db.session.scalar(sa.select(BookingEvent.note).where(BookingEvent.kind == "rescheduled"))
    assert "Dentist" in note


def test_reschedule_to_another_rep_when_asked(db, reps, sailboats):
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    moved = services.reschedule(booking.id, NINE_LA + timedelta(hours=1), another_rep=True, now=NOW)
    assert moved.rep_id == reps["ravi"].id


def test_reminders_are_sent_once_and_never_stale(app, db, reps, sailboats):
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    booking.created_at = NOW
    db.session.commit()
    day_before = NINE_LA - timedelta(hours=23)
    assert jobs.send_reminders(day_before) == 1
    assert jobs.send_reminders(day_before) == 0  # twice: nothing more
    keys = db.session.scalars(
        sa.select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.like("booking-reminder%")
        )
    ).all()
    assert len(keys) == 2  # buyer and rep
    # Moved to the next day: the new time gets its own reminder, the old one none.
    services.reschedule(booking.id, NINE_LA + timedelta(days=1), now=NOW)
    db.session.commit()
    assert jobs.send_reminders(day_before) == 0
    assert jobs.send_reminders(NINE_LA + timedelta(days=1) - timedelta(minutes=50)) == 1
    services.cancel(booking.id, reason="changed my mind")
    db.session.commit()
    assert jobs.send_reminders(NINE_LA + timedelta(days=1) - timedelta(minutes=30)) == 0


def test_the_visitor_journey_through_the_pages(
    app, client, db, reps, sailboats, make_product, monkeypatch
):
    boat = make_product(sailboats, name="Aura 38")
    client.get(f"/p/{boat.slug}")
    page = client.get(f"/consultations/new?product={boat.slug}")
    assert page.status_code == 200 and "Maya Okafor" in page.get_data(as_text=True)
    assert "Jonas" not in page.get_data(as_text=True)  # not a sailboat specialist
    r = post_form(
        client,
        f"/consultations/new?product={boat.slug}",
        {
            "channel": "showroom",
            "budget": "",
            "timeline": "",
            "known": "Sailed one in Maine",
            "message": "",
            "rep": "any",
            "timezone": "America/Chicago",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": "",
        },
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("/consultations/new/time")
    times = client.get("/consultations/new/time").get_data(as_text=True)
    assert "America/Chicago" in times and 'data-testid="slot"' in times
    import re

    slot = re.search(r'name="slot" value="([^"]+)"', times).group(1)
    done = post_form(client, "/consultations/new/time", {"slot": slot})
    assert done.status_code == 303 and "/consultations/b/" in done.headers["Location"]
    booking = db.session.scalar(sa.select(Booking))
    assert booking.product_id == boat.id and booking.channel == "showroom"
    assert booking.visitor_key  # the visitor's research trail comes with them
    manage = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "You're booked, Ada." in manage
    # Someone else asking for that very slot is told it was just taken, and sees fresh slots.
    other = app.test_client()
    post_form(
        other,
        f"/consultations/new?product={boat.slug}",
        {
            "channel": "video",
            "rep": str(booking.rep_id),
            "timezone": "UTC",
            "name": "Bo",
            "email": "bo@example.com",
        },
    )
    taken = post_form(other, "/consultations/new/time", {"slot": slot})
    assert taken.status_code == 409 and "just taken" in taken.get_data(as_text=True)
    assert slot not in taken.get_data(as_text=True)


def test_buyers_reps_and_managers_see_what_is_theirs(
    app, client, db, reps, sailboats, make_user, login
):
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    db.session.commit()
    login(reps["ravi"])
    assert client.get(f"/staff/consultations/{booking.id}").status_code == 404
    post_form(client, "/account/logout", {})
    login(reps["maya"])
    page = client.get(f"/staff/consultations/{booking.id}").get_data(as_text=True)
    assert "Compared the Aura 38" in page and "Research trail" in page
    post_form(client, "/account/logout", {})
    login(make_user(Role.MANAGER))
    assert client.get(f"/staff/consultations/{booking.id}").status_code == 200
    post_form(client, "/account/logout", {})
    login(make_user(Role.BUYER))
    assert client.get(f"/staff/consultations/{booking.id}").status_code == 403


def test_the_invitation_arrives_by_email_and_parses(app, db, reps, sailboats, mailbox):
    from shop.notifications.services import deliver_pending

    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    db.session.commit()
    deliver_pending()
    to = sorted(m["To"] for m in mailbox)
    assert to == ["ada@example.com", "maya@example.com"]
    buyer = next(m for m in mailbox if m["To"] == "ada@example.com")
    attachment = next(p for p in buyer.walk() if p.get_content_type() == "text/calendar")
    event = next(iter(Calendar.from_ical(attachment.get_payload(decode=True)).walk("VEVENT")))
    assert event.decoded("dtstart").astimezone(UTC) == booking.starts_at
    assert str(event.get("uid")).startswith(booking.reference)
    text = buyer.get_body(("plain",)).get_content()
    assert "http://shop.test/consultations/b/" in text


def test_a_week_of_slots_for_a_specialty_is_a_fixed_number_of_queries(
    db, reps, sailboats, make_user, query_counter
):
    from shop.auth.models import StaffProfile
    from shop.consultations.models import RepSchedule, WorkingHours

    def measure():
        with query_counter() as statements:
            offer = services.offer(sailboats.id, None, NOW, days=7)
        return len(offer.reps), len(statements)

    two = measure()
    for n in range(6):
        rep = make_user(Role.REP, email=f"extra{n}@example.com")
        profile = db.session.scalar(sa.select(StaffProfile).where(StaffProfile.user_id == rep.id))
        profile.specialties = [sailboats]
        db.session.add(RepSchedule(rep_id=rep.id))
        db.session.add(WorkingHours(rep_id=rep.id, weekday=0, starts_at=time(9), ends_at=time(17)))
    db.session.commit()
    eight = measure()
    assert (two[0], eight[0]) == (2, 8)
    assert two[1] == eight[1] <= 8


def test_a_visitors_consultation_joins_their_account_once_verified(
    app, db, reps, sailboats, make_user
):
    from shop.auth.signals import email_verified

    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    db.session.commit()
    buyer = make_user(email="ada@example.com")
    email_verified.send(buyer)
    db.session.commit()
    db.session.refresh(booking)
    assert booking.buyer_id == buyer.id


def test_the_reschedule_page_offers_the_times_around_the_booking(
    app, client, db, reps, sailboats, monkeypatch
):
    import shop.consultations.services as svc

    monkeypatch.setattr(svc, "utcnow", lambda: NOW)
    booking = services.book(request(sailboats), NINE_LA, reps["maya"].id, now=NOW)
    db.session.commit()
    token = services.link_token(booking)
    page = client.get(f"/consultations/b/{token}/reschedule")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{NINE_LA.isoformat()}"' not in html  # its own time
    half_past = (NINE_LA + timedelta(minutes=30)).isoformat()
    assert f'value="{half_past}"' in html  # overlaps only the booking being moved
    moved = post_form(client, f"/consultations/b/{token}/reschedule", {"slot": half_past})
    assert moved.status_code == 303
    db.session.refresh(booking)
    assert booking.starts_at == NINE_LA + timedelta(minutes=30)
    assert client.get(f"/consultations/b/{token}").status_code == 404  # the old link is dead


def test_a_manager_reassigns_and_the_audit_trail_says_so(
    app, client, db, reps, sailboats, make_user, login
):
    from shop.audit.models import AuditEntry
    from shop.db import utcnow

    # A Monday at 9:00 in Los Angeles, at least two days from now (the page uses the real clock).
    start = utcnow().replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=2)
    start += timedelta(days=(7 - start.weekday()) % 7)
    booking = services.book(request(sailboats), start, reps["maya"].id)
    db.session.commit()
    login(make_user(Role.MANAGER))
    r = post_form(
        client,
        f"/staff/consultations/{booking.id}/reassign",
        {"rep_id": reps["ravi"].id, "reason": "Maya is away"},
    )
    assert r.status_code == 303
    db.session.refresh(booking)
    assert booking.rep_id == reps["ravi"].id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "booking.reassign"))
    assert entry.before == {"rep_id": reps["maya"].id} and entry.reason == "Maya is away"


def cart_badge(response) -> str:
    import re

    return re.search(r'data-testid="cart-count">(\d+)<', response.get_data(as_text=True)).group(1)


def test_a_logged_in_buyer_sees_their_cart_count_through_the_booking_pages(
    client, db, reps, sailboats, make_product, make_user, login
):
    import re

    from shop.cart.models import Cart

    boat = make_product(sailboats, name="Aura 38")
    buyer = make_user(email="ada@example.com", name="Ada Lovelace")
    login(buyer)
    post_form(client, "/cart/add", {"variant_id": boat.variants[0].id, "quantity": 2})
    form = {"channel": "video", "rep": "any", "timezone": "America/Chicago"}
    form |= {"name": "Ada Lovelace", "email": "ada@example.com"}
    new = client.get(f"/consultations/new?product={boat.slug}")
    assert cart_badge(new) == "2"
    post_form(client, f"/consultations/new?product={boat.slug}", form)
    times = client.get("/consultations/new/time")
    assert "Choose a time" in times.get_data(as_text=True) and cart_badge(times) == "2"
    slot = re.search(r'name="slot" value="([^"]+)"', times.get_data(as_text=True)).group(1)
    done = post_form(client, "/consultations/new/time", {"slot": slot})
    assert cart_badge(client.get(done.headers["Location"])) == "2"
    booking = db.session.scalar(sa.select(Booking))
    assert booking.buyer_id == buyer.id and booking.visitor_key is None
    # No visitor cart was made beside the buyer's own.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cart)) == 1
