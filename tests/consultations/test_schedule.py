"""Reps manage their own time on the staff desk; managers see the team's week."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from shop.auth.roles import Role
from shop.consultations import schedule_services as rules
from shop.consultations.models import (
    Booking,
    RepSchedule,
    ScheduleException,
    TimeOff,
    WorkingHours,
)
from shop.consultations.slots import free_slots, load_calendars
from shop.errors import DomainError
from tests.conftest import post_form

# A Monday well ahead, so every test sees the same week whatever today is.
MONDAY = datetime(2030, 3, 4, tzinfo=UTC)
NOW = MONDAY - timedelta(days=2)
SCHEDULE = "/staff/schedule"


@pytest.fixture
def make_rep(db, make_user):
    """A rep working 9 to 5 on weekdays in their zone (no schedule row when `schedule` is off)."""

    def _make(name="Maya Okafor", tz="America/Los_Angeles", schedule=True, email=None):
        rep = make_user(Role.REP, name=name, email=email)
        rep.timezone = tz
        if schedule:
            db.session.add(RepSchedule(rep_id=rep.id, min_notice_minutes=60, window_days=60))
            for day in range(5):
                db.session.add(
                    WorkingHours(rep_id=rep.id, weekday=day, starts_at=time(9), ends_at=time(17))
                )
        db.session.commit()
        return rep

    return _make


def settings(**overrides) -> dict:
    return {
        "section": "settings",
        "timezone": "Europe/London",
        "meeting_minutes": "60",
        "min_notice_hours": "24",
        "buffer_minutes": "10",
        "window_days": "90",
        "daily_cap": "4",
        "accepts_bookings": "y",
        **overrides,
    }


def hours(**fields) -> dict:
    """A weekly-hours post: `d0_1_start="09:00"` is Monday's first stretch."""
    return {"section": "hours", **fields}


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def page(response) -> str:
    return response.get_data(as_text=True)


# --- settings -------------------------------------------------------------------------------


def test_a_rep_saves_settings_and_gets_a_schedule_row(db, client, login, make_rep):
    rep = make_rep(schedule=False)
    login(rep)
    assert "No booking settings yet" in page(client.get(SCHEDULE))

    done = post_form(client, SCHEDULE, settings(), csrf_page=SCHEDULE)

    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/schedule#settings")
    saved = db.session.scalar(sa.select(RepSchedule).where(RepSchedule.rep_id == rep.id))
    assert (saved.meeting_minutes, saved.min_notice_minutes, saved.buffer_minutes) == (60, 1440, 10)
    assert (saved.window_days, saved.daily_cap, saved.accepts_bookings) == (90, 4, True)
    db.session.refresh(rep)
    assert rep.timezone == "Europe/London"
    assert "Schedule settings created." in page(client.get(SCHEDULE))


def test_unticking_the_box_pauses_bookings(db, client, login, make_rep):
    rep = make_rep()
    login(rep)
    fields = settings()
    del fields["accepts_bookings"]
    post_form(client, SCHEDULE, fields, csrf_page=SCHEDULE)
    saved = db.session.scalar(sa.select(RepSchedule).where(RepSchedule.rep_id == rep.id))
    assert saved.accepts_bookings is False
    assert "Not taking bookings" in page(client.get(SCHEDULE))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "Choose a time zone from the list."),
        ({"timezone": ""}, "Choose a time zone from the list."),
        ({"daily_cap": "0"}, "The daily cap is between 1 and 24 meetings."),
        ({"window_days": "400"}, "Buyers may book between 1 and 365 days ahead."),
        ({"meeting_minutes": "5"}, "A meeting lasts between 15 and 240 minutes."),
        ({"buffer_minutes": "lots"}, "Not a valid integer value."),
    ],
)
def test_bad_settings_are_refused_next_to_the_field_and_nothing_is_written(
    db, client, login, make_rep, overrides, message
):
    rep = make_rep()
    login(rep)
    response = post_form(client, SCHEDULE, settings(**overrides), csrf_page=SCHEDULE)
    assert response.status_code == 400
    assert f'class="field-error" id="{next(iter(overrides))}-error">{message}' in page(response)
    saved = db.session.scalar(sa.select(RepSchedule).where(RepSchedule.rep_id == rep.id))
    db.session.refresh(saved)
    db.session.refresh(rep)
    assert (saved.daily_cap, saved.window_days, saved.meeting_minutes) == (6, 60, 45)
    assert rep.timezone == "America/Los_Angeles"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"daily_cap": 0}, "daily_cap"),
        ({"window_days": 400}, "window_days"),
        ({"min_notice_hours": -1}, "min_notice_hours"),
    ],
)
def test_the_service_holds_the_same_rules(db, make_rep, make_user, overrides, field):
    rep = make_rep()
    values = {
        "timezone": "UTC",
        "meeting_minutes": 30,
        "min_notice_hours": 2,
        "buffer_minutes": 0,
        "window_days": 30,
        "daily_cap": 5,
        "accepts_bookings": True,
        **overrides,
    }
    with pytest.raises(DomainError) as refused:
        rules.save_settings(rep, rep, rules.Settings(**values))
    assert refused.value.field == field


# --- weekly hours ---------------------------------------------------------------------------


def stored_week(db, rep) -> dict[int, list[tuple[time, time]]]:
    db.session.expire_all()
    return rules.weekly_hours(rep.id)


def test_saving_weekly_hours_replaces_the_whole_week(db, client, login, make_rep):
    rep = make_rep()
    login(rep)
    done = post_form(
        client,
        SCHEDULE,
        hours(
            d0_1_start="08:00",
            d0_1_end="12:00",
            d0_2_start="13:00",
            d0_2_end="17:30",
            d1_1_start="10:00",
            d1_1_end="14:00",
            d5_1_start="10:00:00",  # some browsers send seconds
            d5_1_end="13:00",
        ),
        csrf_page=SCHEDULE,
    )
    assert done.status_code == 303
    assert stored_week(db, rep) == {
        0: [(time(8), time(12)), (time(13), time(17, 30))],
        1: [(time(10), time(14))],
        5: [(time(10), time(13))],
    }
    shown = page(client.get(SCHEDULE))
    assert 'value="17:30"' in shown
    week = "Mon 8:00 AM to 12:00 PM, 1:00 PM to 5:30 PM; Tue 10:00 AM to 2:00 PM; Sat 10:00 AM"
    assert f"{week} to 1:00 PM" in shown


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {
                "d0_1_start": "09:00",
                "d0_1_end": "13:00",
                "d0_2_start": "12:00",
                "d0_2_end": "17:00",
            },
            "d0_2_start",
            "Overlaps Monday&#39;s other stretch (9:00 AM to 1:00 PM).",
        ),
        (
            # entered in the wrong order: still an overlap, reported on the later stretch
            {
                "d2_1_start": "12:00",
                "d2_1_end": "17:00",
                "d2_2_start": "09:00",
                "d2_2_end": "13:00",
            },
            "d2_1_start",
            "Overlaps Wednesday&#39;s other stretch (9:00 AM to 1:00 PM).",
        ),
        ({"d1_1_start": "17:00", "d1_1_end": "09:00"}, "d1_1_end", "Must end after it starts."),
        ({"d1_1_start": "09:00", "d1_1_end": "09:00"}, "d1_1_end", "Must end after it starts."),
        ({"d3_1_start": "9am", "d3_1_end": "17:00"}, "d3_1_start", "Use a time like 09:00."),
        ({"d4_1_start": "25:00", "d4_1_end": "26:00"}, "d4_1_start", "Use a time like 09:00."),
        ({"d6_1_start": "09:00"}, "d6_1_end", "Give both a start and an end, or neither."),
    ],
)
def test_bad_weekly_hours_are_refused_and_nothing_is_written(
    db, client, login, make_rep, fields, field, message
):
    rep = make_rep()
    login(rep)
    before = stored_week(db, rep)
    response = post_form(
        client, SCHEDULE, hours(d5_1_start="07:00", d5_1_end="08:00", **fields), csrf_page=SCHEDULE
    )
    assert response.status_code == 400
    assert f'id="{field}-error">{message}</p>' in page(response)
    assert stored_week(db, rep) == before


def test_the_service_refuses_overlapping_or_backwards_stretches(db, make_rep):
    rep = make_rep()
    with pytest.raises(DomainError, match="overlap"):
        rules.replace_weekly_hours(rep, rep, {0: [(time(9), time(13)), (time(12), time(17))]})
    with pytest.raises(DomainError, match="end after"):
        rules.replace_weekly_hours(rep, rep, {0: [(time(17), time(9))]})
    assert count(db, WorkingHours) == 5


def test_a_refusal_naming_no_field_stands_above_the_form_and_undoes_what_it_wrote(
    db, client, login, make_rep, monkeypatch
):
    rep = make_rep()

    def refuse_after_writing(rep, actor, week):
        db.session.add(WorkingHours(rep_id=rep.id, weekday=5, starts_at=time(9), ends_at=time(12)))
        db.session.flush()
        raise DomainError("Those hours clash with a booked meeting.", field="hours")

    monkeypatch.setattr(rules, "replace_weekly_hours", refuse_after_writing)
    login(rep)
    response = post_form(client, SCHEDULE, hours(d5_1_start="09:00", d5_1_end="12:00"))
    assert response.status_code == 400
    assert "Nothing was saved: Those hours clash with a booked meeting." in page(response)
    assert count(db, WorkingHours) == 5


# --- exceptions and time off ----------------------------------------------------------------


def local_days_with_slots(rep_id: int) -> dict[date, list[datetime]]:
    end = NOW + timedelta(days=7)
    calendar = load_calendars([rep_id], NOW, end)[rep_id]
    zone = rules.check_zone(calendar.timezone)
    found: dict[date, list[datetime]] = {}
    for instant in free_slots(calendar, NOW, NOW, end):
        local = instant.astimezone(zone)
        found.setdefault(local.date(), []).append(local)
    return found


def test_a_day_off_removes_that_days_slots(db, client, login, make_rep):
    rep = make_rep()
    login(rep)
    assert date(2030, 3, 5) in local_days_with_slots(rep.id)

    done = post_form(
        client,
        SCHEDULE,
        {"section": "exception", "exc_day": "2030-03-05", "exc_kind": "off", "exc_note": "Moving"},
        csrf_page=SCHEDULE,
    )

    assert done.status_code == 303
    days = local_days_with_slots(rep.id)
    assert date(2030, 3, 5) not in days
    assert {date(2030, 3, 4), date(2030, 3, 6)} <= set(days)
    assert "Moving" in page(client.get(SCHEDULE))


def test_other_hours_on_one_day_replace_the_weekly_hours(db, client, login, make_rep):
    rep = make_rep()
    login(rep)
    post_form(
        client,
        SCHEDULE,
        {"section": "exception", "exc_day": "2030-03-06", "exc_kind": "hours"}
        | {"exc_start": "10:00", "exc_end": "12:00"},
        csrf_page=SCHEDULE,
    )
    wednesday = local_days_with_slots(rep.id)[date(2030, 3, 6)]
    assert [f"{t:%H:%M}" for t in wednesday] == ["10:00", "10:30", "11:00"]  # 45-minute meetings


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"exc_day": "2030-03-06", "exc_kind": "hours"}, "exc_start", "Give the hours"),
        (
            {"exc_day": "2030-03-06", "exc_kind": "hours", "exc_start": "12:00"}
            | {"exc_end": "10:00"},
            "exc_end",
            "Must end after it starts.",
        ),
        ({"exc_day": "", "exc_kind": "off"}, "exc_day", "Choose a date."),
        ({"exc_day": "2001-01-01", "exc_kind": "off"}, "exc_day", "That day has already passed."),
    ],
)
def test_bad_exceptions_are_refused(db, client, login, make_rep, fields, field, message):
    rep = make_rep()
    login(rep)
    response = post_form(client, SCHEDULE, {"section": "exception", **fields}, csrf_page=SCHEDULE)
    assert response.status_code == 400
    assert f'id="{field}-error">{message}' in page(response)
    assert "Nothing was saved" in page(response)
    assert count(db, ScheduleException) == 0


def test_hours_on_a_day_off_are_refused(db, make_rep):
    rep = make_rep()
    rules.add_exception(rep, rep, date(2030, 3, 5), None, NOW)
    with pytest.raises(DomainError, match="marked off"):
        rules.add_exception(rep, rep, date(2030, 3, 5), (time(10), time(12)), NOW)


def test_time_off_is_stored_in_utc_from_the_reps_own_clock(db, client, login, make_rep):
    rep = make_rep(tz="America/New_York")
    login(rep)
    done = post_form(
        client,
        SCHEDULE,
        {"section": "time_off", "off_starts": "2030-03-04T09:00", "off_ends": "2030-03-04T12:00"},
        csrf_page=SCHEDULE,
    )
    assert done.status_code == 303
    stored = db.session.scalars(sa.select(TimeOff)).one()
    assert stored.starts_at == datetime(2030, 3, 4, 14, tzinfo=UTC)
    assert stored.ends_at == datetime(2030, 3, 4, 17, tzinfo=UTC)
    monday = [f"{t:%H:%M}" for t in local_days_with_slots(rep.id)[date(2030, 3, 4)]]
    assert monday[0] == "12:00" and "11:00" not in monday
    assert "Mon, Mar 4, 9:00 AM" in page(client.get(SCHEDULE))  # shown back on the rep's clock


@pytest.mark.parametrize(
    ("starts", "ends", "field", "message"),
    [
        ("2030-03-04T12:00", "2030-03-04T09:00", "off_ends", "Must end after it starts."),
        ("2030-03-04T12:00", "2030-03-04T12:00", "off_ends", "Must end after it starts."),
        ("2001-03-04T09:00", "2001-03-04T12:00", "off_ends", "That time has already passed."),
        ("2030-03-04", "2030-03-05T09:00", "off_starts", "Not a valid datetime value."),
        ("9999-12-31T23:00", "9999-12-31T23:30", "off_starts", "Choose dates within"),
    ],
)
def test_bad_time_off_is_refused(db, client, login, make_rep, starts, ends, field, message):
    rep = make_rep()  # Los Angeles: the last hour of year 9999 there is past the end of UTC
    login(rep)
    response = post_form(
        client,
        SCHEDULE,
        {"section": "time_off", "off_starts": starts, "off_ends": ends},
        csrf_page=SCHEDULE,
    )
    assert response.status_code == 400
    assert f'id="{field}-error">{message}' in page(response)
    assert count(db, TimeOff) == 0


def test_time_off_over_a_booking_says_it_stays_booked(db, make_rep):
    rep = make_rep()
    add_booking(db, rep, MONDAY.replace(hour=18))
    change = rules.add_time_off(rep, rep, datetime(2030, 3, 4, 9), datetime(2030, 3, 4, 17), NOW)
    assert "1 booked consultation in that time stay booked" in change.summary


def test_exceptions_and_time_off_can_be_removed_only_by_their_rep(db, client, login, make_rep):
    rep, other = make_rep(), make_rep(name="Ravi Shah")
    mine = ScheduleException(rep_id=rep.id, day=date(2030, 3, 5))
    theirs = TimeOff(
        rep_id=other.id, starts_at=MONDAY, ends_at=MONDAY + timedelta(hours=3), note=""
    )
    db.session.add_all([mine, theirs])
    db.session.commit()
    login(rep)

    gone = post_form(
        client, SCHEDULE, {"section": "remove_exception", "item_id": mine.id}, csrf_page=SCHEDULE
    )
    assert gone.status_code == 303
    assert count(db, ScheduleException) == 0
    refused = post_form(
        client, SCHEDULE, {"section": "remove_time_off", "item_id": theirs.id}, csrf_page=SCHEDULE
    )
    assert refused.status_code == 404
    assert count(db, TimeOff) == 1


# --- who may see what -----------------------------------------------------------------------


def test_a_rep_cannot_touch_another_reps_schedule(db, client, login, make_rep):
    rep, other = make_rep(), make_rep(name="Ravi Shah")
    login(rep)
    assert client.get(f"{SCHEDULE}?rep={other.id}").status_code == 404
    assert client.get(f"{SCHEDULE}?rep={rep.id}").status_code == 200
    response = post_form(
        client, f"{SCHEDULE}?rep={other.id}", settings(daily_cap="2"), csrf_page=SCHEDULE
    )
    assert response.status_code == 404
    schedule = db.session.scalar(sa.select(RepSchedule).where(RepSchedule.rep_id == other.id))
    assert schedule.daily_cap == 6


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.BUYER])
def test_support_and_buyers_have_no_schedule_page(db, client, login, make_user, make_rep, role):
    rep = make_rep()
    login(make_user(role))
    assert client.get(SCHEDULE).status_code == 403
    assert client.get(f"{SCHEDULE}?rep={rep.id}").status_code == 403
    assert client.get("/staff/calendar").status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    assert "/account/login" in client.get(SCHEDULE).headers["Location"]


def test_a_manager_edits_any_reps_schedule(db, client, login, make_user, make_rep):
    rep = make_rep(name="Ravi Shah")
    support = make_user(Role.SUPPORT)
    login(make_user(Role.MANAGER, name="Mina Manager"))
    chooser = page(client.get(SCHEDULE))
    assert f"/staff/schedule?rep={rep.id}" in chooser

    shown = client.get(f"{SCHEDULE}?rep={rep.id}")
    assert shown.status_code == 200 and "Ravi Shah's schedule" in page(shown)
    done = post_form(
        client, f"{SCHEDULE}?rep={rep.id}", settings(daily_cap="2"), csrf_page=SCHEDULE
    )
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/staff/schedule?rep={rep.id}#settings")
    schedule = db.session.scalar(sa.select(RepSchedule).where(RepSchedule.rep_id == rep.id))
    assert schedule.daily_cap == 2
    assert client.get(f"{SCHEDULE}?rep={support.id}").status_code == 404
    assert client.get(f"{SCHEDULE}?rep=nonsense").status_code == 404


def test_the_page_previews_the_reps_free_times(db, client, login, make_rep):
    rep = make_rep(tz="Asia/Tokyo")
    for day in range(5, 7):  # every day, so the next seven always hold some
        db.session.add(
            WorkingHours(rep_id=rep.id, weekday=day, starts_at=time(9), ends_at=time(17))
        )
    db.session.commit()
    login(rep)
    shown = page(client.get(SCHEDULE))
    preview = shown.split('data-testid="preview"')[1].split("</section>")[0]
    assert "<time" in preview and ">4:00 PM JST</time>" in preview  # 4 PM on the rep's clock


# --- the team calendar ----------------------------------------------------------------------

_ref = iter(range(1, 10_000))


def add_booking(db, rep, starts_at: datetime, name: str = "Ada Lovelace", **fields) -> Booking:
    booking = Booking(
        reference=f"HH-T{next(_ref):05d}",
        rep_id=rep.id,
        name=name,
        email=f"{name.split()[0].lower()}@example.com",
        channel="video",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=45),
        buyer_timezone="Europe/London",
        **fields,
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def test_the_calendar_shows_every_reps_week_on_their_own_clock(
    db, client, login, make_user, make_rep
):
    maya = make_rep(name="Maya Okafor")
    jonas = make_rep(name="Jonas Lindqvist", tz="America/New_York")
    first = add_booking(db, maya, MONDAY.replace(hour=17), name="Ada Lovelace")  # 9:00 LA
    add_booking(db, jonas, MONDAY + timedelta(days=2, hours=15), name="Grace Hopper")
    add_booking(db, jonas, MONDAY.replace(hour=15), name="Cancelled Carl", status="cancelled")
    add_booking(db, maya, MONDAY + timedelta(days=8), name="Next Week Ned")
    db.session.add(ScheduleException(rep_id=jonas.id, day=date(2030, 3, 8)))
    db.session.commit()
    login(make_user(Role.MANAGER))

    shown = page(client.get("/staff/calendar?week=2030-03-06"))  # any day of the week

    assert "Week of March 4, 2030" in shown
    assert f'href="/staff/consultations/{first.id}"><time' in shown
    assert "9:00 AM PST</time> Ada Lovelace" in shown
    assert "10:00 AM EST</time> Grace Hopper" in shown  # 15:00 UTC is 10:00 in New York
    assert "Cancelled Carl" not in shown and "Next Week Ned" not in shown
    assert "Mon-Fri 9:00 AM to 5:00 PM" in shown
    assert "week=2030-02-25" in shown and "week=2030-03-11" in shown
    rows = shown.split('data-testid="rep-row"')[1:]
    assert "Jonas" in rows[0] and "off" in rows[0]


def test_the_calendar_costs_the_same_queries_for_one_rep_or_five(
    db, client, login, make_user, make_rep, query_counter
):
    login(make_user(Role.MANAGER))
    reps = [make_rep(name="Rep 0")]
    add_booking(db, reps[0], MONDAY.replace(hour=17))
    url = "/staff/calendar?week=2030-03-04"
    client.get(url)
    with query_counter() as one:
        assert client.get(url).status_code == 200

    for n in range(1, 5):
        rep = make_rep(name=f"Rep {n}", tz="Europe/Paris")
        reps.append(rep)
        for day in range(3):
            add_booking(db, rep, MONDAY + timedelta(days=day, hours=9 + n), name=f"Buyer {n}{day}")
        db.session.add(ScheduleException(rep_id=rep.id, day=date(2030, 3, 7)))
        db.session.add(
            TimeOff(rep_id=rep.id, starts_at=MONDAY, ends_at=MONDAY + timedelta(hours=2))
        )
    db.session.commit()
    with query_counter() as five:
        shown = page(client.get(url))

    assert shown.count('data-testid="rep-row"') == 5 and "Buyer 42" in shown
    assert len(five) == len(one)


def test_the_calendar_is_for_managers_only(db, client, login, make_rep):
    login(make_rep())
    assert client.get("/staff/calendar").status_code == 403


def test_a_bad_week_shows_this_week(db, client, login, make_user):
    login(make_user(Role.MANAGER))
    assert client.get("/staff/calendar?week=99999-01-01").status_code == 200
    assert client.get("/staff/calendar?week=0001-01-01").status_code == 200
