"""The slot engine: wall-clock working hours, UTC instants, and every rule that removes a slot."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from shop.consultations.models import (
    Booking,
    RepSchedule,
    ScheduleException,
    TimeOff,
    WorkingHours,
)
from shop.consultations.slots import (
    RepCalendar,
    free_slots,
    is_bookable,
    load_calendars,
    local_times,
)

LA = "America/Los_Angeles"
NEW_YORK = "America/New_York"
NOW = datetime(2027, 1, 1, tzinfo=UTC)
NINE_TO_FIVE = [(time(9), time(17))]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def calendar(**changes) -> RepCalendar:
    """A rep in Los Angeles, 9 to 5 Monday to Friday, hour-long meetings, no other rule."""
    base = RepCalendar(
        rep_id=1,
        timezone=LA,
        meeting_minutes=60,
        min_notice_minutes=0,
        buffer_minutes=0,
        window_days=365,
        daily_cap=24,
        weekly={weekday: list(NINE_TO_FIVE) for weekday in range(5)},
        exceptions={},
        time_off=[],
        busy=[],
    )
    return replace(base, **changes)


def local_day(day: date, tz: str) -> tuple[datetime, datetime]:
    """The instants bounding one day on a clock in `tz`."""
    zone = ZoneInfo(tz)
    return (
        datetime.combine(day, time(), tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time(), tzinfo=zone),
    )


def slots_on(cal: RepCalendar, day: date, now: datetime = NOW, **kw) -> list[datetime]:
    """The slots of one of the rep's local days."""
    return free_slots(cal, now, *local_day(day, cal.timezone), **kw)


def walls(slots, tz: str) -> list[str]:
    return [s.strftime("%H:%M") for s in local_times(slots, tz)]


# --- zones ----------------------------------------------------------------------------------

MONDAY = date(2027, 3, 15)  # the day after the US change, before the EU one


@pytest.mark.parametrize(
    ("buyer_zone", "first_seen", "last_seen"),
    [
        ("Europe/Paris", "2027-03-15 17:00 CET", "2027-03-16 00:00 CET"),
        ("Asia/Tokyo", "2027-03-16 01:00 JST", "2027-03-16 08:00 JST"),
        ("America/New_York", "2027-03-15 12:00 EDT", "2027-03-15 19:00 EDT"),
    ],
)
def test_the_buyer_zone_changes_the_display_never_the_instants(buyer_zone, first_seen, last_seen):
    cal = calendar()
    in_utc = slots_on(cal, MONDAY)
    # The same window asked for in the buyer's own zone gives the very same instants.
    start, end = (moment.astimezone(ZoneInfo(buyer_zone)) for moment in local_day(MONDAY, LA))
    assert free_slots(cal, NOW, start, end) == in_utc
    assert in_utc[0] == utc(2027, 3, 15, 16) and in_utc[-1] == utc(2027, 3, 15, 23)
    assert all(s.tzinfo is UTC for s in in_utc)
    seen = local_times(in_utc, buyer_zone)
    assert seen[0].strftime("%Y-%m-%d %H:%M %Z") == first_seen
    assert seen[-1].strftime("%Y-%m-%d %H:%M %Z") == last_seen
    assert seen == in_utc  # aware datetimes: the same instants, only shown differently


@pytest.mark.parametrize(
    ("tz", "day", "first_slot"),
    [
        # Los Angeles: PST is UTC-8, PDT is UTC-7 (spring forward 2027-03-14, back 2027-11-07).
        (LA, date(2027, 3, 12), utc(2027, 3, 12, 17)),
        (LA, date(2027, 3, 15), utc(2027, 3, 15, 16)),
        (LA, date(2027, 11, 5), utc(2027, 11, 5, 16)),
        (LA, date(2027, 11, 8), utc(2027, 11, 8, 17)),
        # London: GMT, then BST (UTC+1) from 2027-03-28.
        ("Europe/London", date(2027, 3, 26), utc(2027, 3, 26, 9)),
        ("Europe/London", date(2027, 3, 29), utc(2027, 3, 29, 8)),
    ],
)
def test_nine_oclock_stays_nine_oclock_across_daylight_saving(tz, day, first_slot):
    slots = slots_on(calendar(timezone=tz), day)
    assert slots[0] == first_slot
    assert len(slots) == 15  # 9:00 to 16:00 every half hour, the last ending at 17:00
    assert walls(slots, tz)[0] == "09:00" and walls(slots, tz)[-1] == "16:00"


def test_no_slots_on_the_weekend_of_the_change():
    assert slots_on(calendar(), date(2027, 3, 14)) == []


SPRING_FORWARD = date(2027, 3, 14)  # New York: 02:00 EST becomes 03:00 EDT (07:00Z)


@pytest.mark.parametrize(
    ("opens", "closes", "meeting", "expected"),
    [
        # 01:00-03:00 lasts one real hour: 06:00Z to 07:00Z.
        (time(1), time(3), 30, [utc(2027, 3, 14, 6), utc(2027, 3, 14, 6, 30)]),
        (time(1), time(3), 45, [utc(2027, 3, 14, 6)]),
        (time(1), time(3), 90, []),
        # A stretch opening inside the gap opens when the clock jumps (03:00 EDT).
        (time(2, 30), time(4), 45, [utc(2027, 3, 14, 7)]),
        # A stretch closing inside the gap closes when the clock jumps.
        (time(0), time(2, 30), 60, [utc(2027, 3, 14, h, m) for h, m in ((5, 0), (5, 30), (6, 0))]),
    ],
)
def test_spring_forward_gap(opens, closes, meeting, expected):
    cal = calendar(timezone=NEW_YORK, meeting_minutes=meeting, weekly={6: [(opens, closes)]})
    slots = slots_on(cal, SPRING_FORWARD)
    assert slots == expected
    assert not [w for w in walls(slots, NEW_YORK) if w.startswith("02:")]  # 02:xx never existed


FALL_BACK = date(2027, 11, 7)  # New York: 01:00-02:00 happens twice (EDT, then EST)


def test_fall_back_takes_the_ambiguous_hour_once():
    cal = calendar(timezone=NEW_YORK, weekly={6: [(time(0), time(3))]})
    slots = slots_on(cal, FALL_BACK)
    # 00:00-03:00 lasts four real hours (04:00Z-08:00Z); 01:00 and 01:30 are taken once, in EDT.
    assert slots == [utc(2027, 11, 7, h, m) for h, m in ((4, 0), (4, 30), (5, 0), (5, 30), (7, 0))]
    assert walls(slots, NEW_YORK) == ["00:00", "00:30", "01:00", "01:30", "02:00"]
    assert [s.strftime("%Z") for s in local_times(slots, NEW_YORK)] == ["EDT"] * 4 + ["EST"]


def test_a_stretch_over_the_fall_back_lasts_an_hour_longer():
    cal = calendar(timezone=NEW_YORK, meeting_minutes=120, weekly={6: [(time(1), time(2))]})
    assert slots_on(cal, FALL_BACK) == [utc(2027, 11, 7, 5)]  # 01:00 EDT to 02:00 EST


def test_unknown_zone_raises():
    for name in ("Mars/Olympus_Mons", "", "../etc/passwd", "America"):
        cal = calendar(timezone=name)
        with pytest.raises(ValueError, match="unknown time zone"):
            free_slots(cal, NOW, NOW, NOW + timedelta(days=7))
        with pytest.raises(ValueError, match="unknown time zone"):
            is_bookable(cal, NOW, utc(2027, 3, 15, 16))
    with pytest.raises(ValueError, match="unknown time zone"):
        local_times([NOW], "Nowhere/Special")


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        free_slots(calendar(), datetime(2027, 1, 1), NOW, NOW + timedelta(days=1))
    with pytest.raises(ValueError, match="aware"):
        is_bookable(calendar(), NOW, datetime(2027, 3, 15, 16))


# --- rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "notice", "first_slot"),
    [
        (utc(2027, 3, 15, 16, 10), 60, utc(2027, 3, 15, 17, 30)),
        (utc(2027, 3, 15, 16, 30), 60, utc(2027, 3, 15, 17, 30)),  # exactly the notice is fine
        (utc(2027, 3, 15, 16, 0), 0, utc(2027, 3, 15, 16, 0)),
        (utc(2027, 3, 15, 16, 0), 12 * 60, utc(2027, 3, 16, 16, 0)),  # tomorrow 09:00 PDT
    ],
)
def test_minimum_notice(now, notice, first_slot):
    cal = calendar(min_notice_minutes=notice)
    slots = free_slots(cal, now, now - timedelta(days=1), now + timedelta(days=3))
    assert slots[0] == first_slot
    assert is_bookable(cal, now, first_slot)
    assert not is_bookable(cal, now, first_slot - timedelta(minutes=30))


def test_booking_window():
    now = utc(2027, 3, 15, 20)
    cal = calendar(window_days=2)
    slots = free_slots(cal, now, now, now + timedelta(days=30))
    assert slots[0] == now
    assert slots[-1] == utc(2027, 3, 17, 19, 30)  # before now + 2 days, never at it
    assert is_bookable(cal, now, utc(2027, 3, 17, 19, 30))
    assert not is_bookable(cal, now, utc(2027, 3, 17, 20))


@pytest.mark.parametrize(
    ("buffer", "free", "taken"),
    [
        (0, ["16:30", "17:00", "19:00", "19:30"], ["17:30", "18:00", "18:30"]),
        (15, ["16:30", "19:30"], ["17:00", "17:30", "18:00", "18:30", "19:00"]),
        (30, ["16:30", "19:30"], ["17:00", "19:00"]),  # a buffer that exactly fits
        (31, ["16:00", "20:00"], ["16:30", "19:30"]),
    ],
)
def test_buffers_before_and_after_a_booking(buffer, free, taken):
    busy = [(utc(2027, 3, 15, 18), utc(2027, 3, 15, 19))]  # 11:00-12:00 PDT
    cal = calendar(buffer_minutes=buffer, busy=busy)
    offered = {s.strftime("%H:%M") for s in slots_on(cal, MONDAY)}
    assert set(free) <= offered
    assert not set(taken) & offered
    for hhmm in free + taken:
        starts = datetime.combine(MONDAY, time.fromisoformat(hhmm), tzinfo=UTC)
        assert is_bookable(cal, NOW, starts) is (hhmm in free)


def test_daily_cap_counts_bookings_by_the_reps_local_day():
    # 19:00 PDT on Monday is already Tuesday in UTC: it still counts towards Monday.
    late_monday = (utc(2027, 3, 16, 2), utc(2027, 3, 16, 3))
    cal = calendar(daily_cap=1, busy=[late_monday])
    assert slots_on(cal, MONDAY) == []
    assert len(slots_on(cal, date(2027, 3, 16))) == 15
    assert len(slots_on(replace(cal, daily_cap=2), MONDAY)) == 15


def test_daily_cap_reached_by_several_bookings():
    busy = [
        (utc(2027, 3, 15, 16), utc(2027, 3, 15, 17)),
        (utc(2027, 3, 15, 20), utc(2027, 3, 15, 21)),
    ]
    assert slots_on(calendar(daily_cap=2, busy=busy), MONDAY) == []
    # Under the cap the bookings only take their own times: 09:00, 09:30 and 12:30 to 13:30.
    assert len(slots_on(calendar(daily_cap=3, busy=busy), MONDAY)) == 15 - 2 - 3


def test_time_off():
    cal = calendar(time_off=[(utc(2027, 3, 15, 17), utc(2027, 3, 15, 20))])
    offered = walls(slots_on(cal, MONDAY), LA)
    assert offered == ["09:00", "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00"]


def test_a_holiday_spanning_days():
    cal = calendar(time_off=[(utc(2027, 3, 15, 7), utc(2027, 3, 18, 7))])  # Mon-Wed, whole days
    monday_starts, _ = local_day(MONDAY, LA)
    _, friday_ends = local_day(date(2027, 3, 19), LA)
    week = free_slots(cal, NOW, monday_starts, friday_ends)
    days = {s.astimezone(ZoneInfo(LA)).date() for s in week}
    assert days == {date(2027, 3, 18), date(2027, 3, 19)}


def test_an_exception_closes_a_day():
    cal = calendar(exceptions={MONDAY: []})
    assert slots_on(cal, MONDAY) == []
    assert len(slots_on(cal, date(2027, 3, 16))) == 15


def test_an_exception_changes_the_hours():
    tuesday, saturday = date(2027, 3, 16), date(2027, 3, 20)
    cal = calendar(
        exceptions={tuesday: [(time(13), time(15))], saturday: [(time(10), time(11, 30))]}
    )
    assert slots_on(cal, tuesday) == [
        utc(2027, 3, 16, 20),
        utc(2027, 3, 16, 20, 30),
        utc(2027, 3, 16, 21),
    ]
    assert walls(slots_on(cal, saturday), LA) == ["10:00", "10:30"]


def test_step_and_overlapping_stretches():
    cal = calendar(weekly={0: [(time(9), time(11)), (time(10), time(12))]})
    assert walls(slots_on(cal, MONDAY), LA) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert walls(slots_on(cal, MONDAY, step_minutes=45), LA) == ["09:00", "09:45", "10:00", "10:45"]
    with pytest.raises(ValueError, match="step"):
        slots_on(cal, MONDAY, step_minutes=0)


def test_slots_are_within_start_and_end():
    start, end = utc(2027, 3, 15, 17), utc(2027, 3, 15, 18)
    assert free_slots(calendar(), NOW, start, end) == [
        utc(2027, 3, 15, 17),
        utc(2027, 3, 15, 17, 30),
    ]
    assert free_slots(calendar(), NOW, end, start) == []


# --- loading from the database --------------------------------------------------------------


_references = count(1)


def add_rep(db, make_user, tz: str = LA, accepts: bool = True, schedule: bool = True):
    rep = make_user("rep")
    rep.timezone = tz
    if schedule:
        db.session.add(
            RepSchedule(
                rep_id=rep.id,
                meeting_minutes=45,
                min_notice_minutes=120,
                buffer_minutes=10,
                window_days=14,
                daily_cap=4,
                accepts_bookings=accepts,
            )
        )
    db.session.commit()
    return rep


def add_booking(db, rep, starts: datetime, status: str = "booked", minutes: int = 45) -> None:
    db.session.add(
        Booking(
            reference=f"B{next(_references)}",
            rep_id=rep.id,
            name="Ada Buyer",
            email="ada@example.com",
            channel="video",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            buyer_timezone="Europe/Paris",
            status=status,
        )
    )


@pytest.mark.both_dbs
def test_load_calendars_reads_everything(db, make_user):
    rep = add_rep(db, make_user)
    no_schedule = add_rep(db, make_user, schedule=False)
    paused = add_rep(db, make_user, accepts=False)
    other = add_rep(db, make_user, tz="Europe/London")
    db.session.add_all(
        [
            WorkingHours(rep_id=rep.id, weekday=0, starts_at=time(13), ends_at=time(17)),
            WorkingHours(rep_id=rep.id, weekday=0, starts_at=time(9), ends_at=time(12)),
            WorkingHours(rep_id=rep.id, weekday=1, starts_at=time(9), ends_at=time(17)),
            WorkingHours(rep_id=other.id, weekday=2, starts_at=time(8), ends_at=time(16)),
            ScheduleException(rep_id=rep.id, day=date(2027, 3, 16)),  # a day off
            ScheduleException(
                rep_id=rep.id, day=date(2027, 3, 17), starts_at=time(10), ends_at=time(12)
            ),
            ScheduleException(rep_id=rep.id, day=date(2027, 6, 1)),  # far outside the range
            TimeOff(rep_id=rep.id, starts_at=utc(2027, 3, 18, 16), ends_at=utc(2027, 3, 18, 20)),
            TimeOff(rep_id=rep.id, starts_at=utc(2027, 5, 1), ends_at=utc(2027, 5, 2)),
        ]
    )
    add_booking(db, rep, utc(2027, 3, 15, 17))
    add_booking(db, rep, utc(2027, 3, 15, 19), status="cancelled")
    add_booking(db, rep, utc(2027, 4, 20, 17))  # outside the range
    add_booking(db, other, utc(2027, 3, 15, 17))
    db.session.commit()

    cals = load_calendars(
        [rep.id, no_schedule.id, paused.id, other.id], utc(2027, 3, 15), utc(2027, 3, 22)
    )

    assert set(cals) == {rep.id, other.id}
    cal = cals[rep.id]
    assert cal == RepCalendar(
        rep_id=rep.id,
        timezone=LA,
        meeting_minutes=45,
        min_notice_minutes=120,
        buffer_minutes=10,
        window_days=14,
        daily_cap=4,
        weekly={0: [(time(9), time(12)), (time(13), time(17))], 1: [(time(9), time(17))]},
        exceptions={date(2027, 3, 16): [], date(2027, 3, 17): [(time(10), time(12))]},
        time_off=[(utc(2027, 3, 18, 16), utc(2027, 3, 18, 20))],
        busy=[(utc(2027, 3, 15, 17), utc(2027, 3, 15, 17, 45))],
    )
    assert cals[other.id].timezone == "Europe/London"
    assert cals[other.id].busy == [(utc(2027, 3, 15, 17), utc(2027, 3, 15, 17, 45))]
    assert cals[other.id].weekly == {2: [(time(8), time(16))]}

    # And the loaded calendar works: Monday 9-12 and 13-17 PDT around the 10:00 booking.
    slots = free_slots(cal, utc(2027, 3, 10), *local_day(MONDAY, LA))
    assert walls(slots, LA)[:3] == ["09:00", "11:00", "13:00"]
    assert load_calendars([], utc(2027, 3, 15), utc(2027, 3, 22)) == {}


@pytest.mark.both_dbs
def test_load_calendars_runs_a_fixed_number_of_queries(db, make_user, query_counter):
    reps = []
    for n in range(8):
        rep = add_rep(db, make_user, tz=[LA, NEW_YORK, "Europe/London"][n % 3])
        db.session.add_all(
            [
                WorkingHours(rep_id=rep.id, weekday=d, starts_at=time(9), ends_at=time(17))
                for d in range(5)
            ]
            + [
                ScheduleException(rep_id=rep.id, day=date(2027, 3, 17)),
                TimeOff(rep_id=rep.id, starts_at=utc(2027, 3, 18), ends_at=utc(2027, 3, 19)),
            ]
        )
        add_booking(db, rep, utc(2027, 3, 15, 17 + n % 4))
        reps.append(rep)
    db.session.commit()
    start, end = utc(2027, 3, 15), utc(2027, 3, 22)

    with query_counter() as one:
        assert len(load_calendars([reps[0].id], start, end)) == 1
    with query_counter() as eight:
        cals = load_calendars([r.id for r in reps], start, end)
    assert len(cals) == 8
    assert len(one) == len(eight) <= 5
    assert all(len(c.weekly) == 5 and len(c.busy) == 1 and c.time_off for c in cals.values())
