"""A rep's own time: booking settings, weekly hours, exceptions and time off; the team's week.

The rules live here; the staff desk only parses, checks who may act, and renders. Every function
takes plain arguments, flushes and never commits, so a view's work is one transaction.

Changes take the rep's schedule row lock (the one booking takes), so a booking being written at
the same moment sees either the old rules or the new ones, never half of each.

Audit: each change writes an audit entry (`schedule.<kind>`, on `rep_schedule` <rep id>) in the
same transaction, is logged (logger `shop.consultations.schedule_services`), and is returned as
a `Change` the view shows to the person acting.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa

from shop.audit import services as audit
from shop.auth.models import User
from shop.auth.roles import Role
from shop.consultations import slots as engine
from shop.consultations.models import Booking, RepSchedule, ScheduleException, TimeOff, WorkingHours
from shop.consultations.states import BookingStatus
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.timefmt import fmt, span

log = logging.getLogger(__name__)

Stretch = tuple[time, time]

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
STRETCHES_PER_DAY = 2
PREVIEW_DAYS = 7

# The bounds of each setting: (lowest, highest, what the person is told otherwise). The
# database has the same checks; these give the message first.
LIMITS = {
    "meeting_minutes": (15, 240, "A meeting lasts between 15 and 240 minutes."),
    "min_notice_hours": (0, 720, "Minimum notice is between 0 and 720 hours (30 days)."),
    "buffer_minutes": (0, 240, "The buffer is between 0 and 240 minutes."),
    "window_days": (1, 365, "Buyers may book between 1 and 365 days ahead."),
    "daily_cap": (1, 24, "The daily cap is between 1 and 24 meetings."),
}


@dataclass(frozen=True)
class Change:
    """What a schedule change did, for the person who made it (and the log)."""

    rep_id: int
    actor_id: int
    kind: str
    summary: str


@dataclass(frozen=True)
class Settings:
    """A rep's booking settings as a person enters them (notice in hours)."""

    timezone: str
    meeting_minutes: int
    min_notice_hours: int
    buffer_minutes: int
    window_days: int
    daily_cap: int
    accepts_bookings: bool


# --- time zones -----------------------------------------------------------------------------


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_zone(name: str | None, field_name: str = "timezone") -> ZoneInfo:
    """A known IANA zone, or a DomainError naming the field."""
    if not name or name not in _known_zones():
        raise DomainError("Choose a time zone from the list.", field=field_name)
    try:
        return engine.zone_of(name)
    except ValueError as exc:
        raise DomainError("Choose a time zone from the list.", field=field_name) from exc


def local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` as a UTC instant.

    A time the clock shows twice (fall back) is taken at its first occurrence; a time it skips
    (spring forward) is read with the offset before the jump, so 02:30 becomes 03:30.
    """
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def local_today(rep: User, now: datetime) -> date:
    """The date on the rep's own clock at `now`."""
    return now.astimezone(engine.zone_of(rep.timezone)).date()


# --- reading --------------------------------------------------------------------------------


def schedule_of(rep_id: int) -> RepSchedule | None:
    """The rep's booking settings row, if they have one."""
    return db.session.scalar(sa.select(RepSchedule).where(RepSchedule.rep_id == rep_id))


def weekly_hours(rep_id: int) -> dict[int, list[Stretch]]:
    """Weekday (0 is Monday) -> the rep's stretches that day, in order."""
    week: dict[int, list[Stretch]] = {}
    for row in db.session.execute(
        sa.select(WorkingHours.weekday, WorkingHours.starts_at, WorkingHours.ends_at)
        .where(WorkingHours.rep_id == rep_id)
        .order_by(WorkingHours.weekday, WorkingHours.starts_at)
    ):
        week.setdefault(row.weekday, []).append((row.starts_at, row.ends_at))
    return week


def upcoming_exceptions(rep: User, now: datetime) -> list[ScheduleException]:
    """The rep's exceptions from today (on their clock) on, soonest first."""
    return list(
        db.session.scalars(
            sa.select(ScheduleException)
            .where(
                ScheduleException.rep_id == rep.id,
                ScheduleException.day >= local_today(rep, now),
            )
            .order_by(ScheduleException.day, ScheduleException.starts_at)
        )
    )


def upcoming_time_off(rep_id: int, now: datetime) -> list[TimeOff]:
    """The rep's time off that has not ended yet, soonest first."""
    return list(
        db.session.scalars(
            sa.select(TimeOff)
            .where(TimeOff.rep_id == rep_id, TimeOff.ends_at > now)
            .order_by(TimeOff.starts_at)
        )
    )


def preview(
    rep: User, now: datetime, days: int = PREVIEW_DAYS
) -> list[tuple[date, list[datetime]]]:
    """The slots buyers are offered over the next `days`, by local day, on the rep's clock.

    Empty when the rep is not taking bookings.
    """
    end = now + timedelta(days=days)
    calendar = engine.load_calendars([rep.id], now, end).get(rep.id)
    if calendar is None:
        return []
    grouped: dict[date, list[datetime]] = {}
    for instant in engine.local_times(engine.free_slots(calendar, now, now, end), rep.timezone):
        grouped.setdefault(instant.date(), []).append(instant)
    return sorted(grouped.items())


# --- changing -------------------------------------------------------------------------------


def _lock_schedule(rep_id: int) -> RepSchedule | None:
    """The rep's schedule row, locked as booking locks it (None when the rep has none yet)."""
    return db.session.scalar(
        sa.select(RepSchedule)
        .where(RepSchedule.rep_id == rep_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _require_rep(rep: User) -> None:
    if rep is None or rep.role != Role.REP.value:
        raise NotFound("No such rep.")


def _record(
    rep: User,
    actor: User,
    kind: str,
    summary: str,
    before: dict | None = None,
    after: dict | None = None,
) -> Change:
    db.session.flush()
    audit.record(
        actor,
        f"schedule.{kind}",
        "rep_schedule",
        rep.id,
        before=before,
        after={**(after or {}), "summary": summary},
    )
    log.info(
        "schedule %s: rep %s (%s) by %s (%s): %s",
        kind,
        rep.id,
        rep.email,
        actor.id,
        actor.role,
        summary,
    )
    return Change(rep_id=rep.id, actor_id=actor.id, kind=kind, summary=summary)


def save_settings(rep: User, actor: User, settings: Settings) -> Change:
    """Save a rep's time zone and booking rules; creates their schedule row when missing."""
    _require_rep(rep)
    check_zone(settings.timezone)
    for name, (low, high, message) in LIMITS.items():
        value = getattr(settings, name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise DomainError(message, field=name)

    schedule = _lock_schedule(rep.id)
    created = schedule is None
    if schedule is None:
        schedule = RepSchedule(rep_id=rep.id)
        db.session.add(schedule)
    wanted = {
        "meeting_minutes": settings.meeting_minutes,
        "min_notice_minutes": settings.min_notice_hours * 60,
        "buffer_minutes": settings.buffer_minutes,
        "window_days": settings.window_days,
        "daily_cap": settings.daily_cap,
        "accepts_bookings": bool(settings.accepts_bookings),
    }
    changed = [] if rep.timezone == settings.timezone else [f"time zone {settings.timezone}"]
    before, after = {}, {}
    if rep.timezone != settings.timezone:
        before["timezone"], after["timezone"] = rep.timezone, settings.timezone
    rep.timezone = settings.timezone
    for name, value in wanted.items():
        if created or getattr(schedule, name) != value:
            changed.append(f"{name.replace('_', ' ')} {value}")
            if not created:
                before[name] = getattr(schedule, name)
            after[name] = value
        setattr(schedule, name, value)
    if created:
        summary = "Schedule settings created."
    elif changed:
        summary = "Settings saved: " + ", ".join(changed) + "."
    else:
        summary = "Settings saved; nothing changed."
    return _record(rep, actor, "settings", summary, before, after)


def check_week(week: dict[int, list[Stretch]]) -> None:
    """Refuse a week whose stretches are out of order, overlap, or too many for a day."""
    for weekday, stretches in week.items():
        if weekday not in range(7):
            raise DomainError("Weekdays run from Monday (0) to Sunday (6).", field="hours")
        name = WEEKDAYS[weekday]
        if len(stretches) > STRETCHES_PER_DAY:
            raise DomainError(f"{name}: at most {STRETCHES_PER_DAY} stretches.", field="hours")
        for starts, ends in stretches:
            if ends <= starts:
                raise DomainError(f"{name}: each stretch must end after it starts.", field="hours")
        ordered = sorted(stretches)
        for (_, first_ends), (second_starts, _) in pairwise(ordered):
            if second_starts < first_ends:
                raise DomainError(f"{name}: the stretches overlap.", field="hours")


def replace_weekly_hours(rep: User, actor: User, week: dict[int, list[Stretch]]) -> Change:
    """Replace all of a rep's weekly hours with `week` (weekday -> stretches, wall clock)."""
    _require_rep(rep)
    check_week(week)
    _lock_schedule(rep.id)
    db.session.execute(sa.delete(WorkingHours).where(WorkingHours.rep_id == rep.id))
    for weekday, stretches in sorted(week.items()):
        for starts, ends in sorted(stretches):
            db.session.add(
                WorkingHours(rep_id=rep.id, weekday=weekday, starts_at=starts, ends_at=ends)
            )
    return _record(rep, actor, "weekly_hours", f"Weekly hours saved: {summarize_week(week)}.")


def add_exception(
    rep: User,
    actor: User,
    day: date,
    hours: Stretch | None,
    now: datetime,
    note: str = "",
) -> Change:
    """Mark one day off (`hours` None) or give it other hours, on the rep's clock.

    A day off replaces whatever that day already had. Other hours are added beside the day's
    other exceptional hours, and refused when the day is off or they overlap.
    """
    _require_rep(rep)
    if day < local_today(rep, now):
        raise DomainError("That day has already passed.", field="exc_day")
    if hours is not None and hours[1] <= hours[0]:
        raise DomainError("The hours must end after they start.", field="exc_end")
    _lock_schedule(rep.id)
    same_day = list(
        db.session.scalars(
            sa.select(ScheduleException).where(
                ScheduleException.rep_id == rep.id, ScheduleException.day == day
            )
        )
    )
    label = fmt(day, "EEEE, MMMM d, y")
    if hours is None:
        for row in same_day:
            db.session.delete(row)
        db.session.add(ScheduleException(rep_id=rep.id, day=day, note=note.strip()[:200]))
        return _record(rep, actor, "exception", f"{label} marked as a day off.")
    for row in same_day:
        if row.starts_at is None:
            raise DomainError("That day is marked off; remove the day off first.", field="exc_day")
        if row.starts_at < hours[1] and hours[0] < row.ends_at:
            raise DomainError(
                f"Overlaps the hours already given for that day "
                f"({span(row.starts_at, row.ends_at)}).",
                field="exc_start",
            )
    db.session.add(
        ScheduleException(
            rep_id=rep.id,
            day=day,
            starts_at=hours[0],
            ends_at=hours[1],
            note=note.strip()[:200],
        )
    )
    return _record(
        rep,
        actor,
        "exception",
        f"{label}: working {span(*hours)} instead of the usual hours.",
    )


def remove_exception(rep: User, actor: User, exception_id: int) -> Change:
    """Remove one of the rep's exceptions; the usual weekly hours apply again that day."""
    _require_rep(rep)
    row = db.session.get(ScheduleException, exception_id)
    if row is None or row.rep_id != rep.id:
        raise NotFound("No such exception.")
    _lock_schedule(rep.id)
    db.session.delete(row)
    return _record(
        rep, actor, "exception_removed", f"Exception on {fmt(row.day, 'EEEE, MMMM d, y')} removed."
    )


def add_time_off(
    rep: User,
    actor: User,
    starts_local: datetime,
    ends_local: datetime,
    now: datetime,
    note: str = "",
) -> Change:
    """Time off between two wall-clock times on the rep's clock, stored as UTC instants.

    Consultations already booked in that time stay booked: the summary says how many, so the
    rep can move them or ask a manager to reassign them.
    """
    _require_rep(rep)
    zone = engine.zone_of(rep.timezone)
    try:
        starts = local_to_utc(starts_local.replace(tzinfo=None), zone)
        ends = local_to_utc(ends_local.replace(tzinfo=None), zone)
    except OverflowError as exc:
        raise DomainError("Choose dates within the calendar.", field="off_starts") from exc
    if ends <= starts:
        raise DomainError("Time off must end after it starts.", field="off_ends")
    if ends <= now:
        raise DomainError("That time has already passed.", field="off_ends")
    _lock_schedule(rep.id)
    db.session.add(TimeOff(rep_id=rep.id, starts_at=starts, ends_at=ends, note=note.strip()[:200]))
    booked = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(
            Booking.rep_id == rep.id,
            Booking.status == BookingStatus.BOOKED,
            Booking.starts_at < ends,
            Booking.ends_at > starts,
        )
    )
    summary = (
        f"Time off added: {fmt(starts_local, 'EEE, MMM d, h:mm a z')} "
        f"to {fmt(ends_local, 'EEE, MMM d, h:mm a z')}."
    )
    if booked:
        summary += (
            f" {booked} booked consultation{'s' if booked != 1 else ''} in that time "
            "stay booked: reschedule them or ask a manager to reassign them."
        )
    return _record(rep, actor, "time_off", summary)


def remove_time_off(rep: User, actor: User, time_off_id: int) -> Change:
    """Remove one stretch of the rep's time off."""
    _require_rep(rep)
    row = db.session.get(TimeOff, time_off_id)
    if row is None or row.rep_id != rep.id:
        raise NotFound("No such time off.")
    _lock_schedule(rep.id)
    db.session.delete(row)
    return _record(rep, actor, "time_off_removed", "Time off removed.")


# --- the team's week ------------------------------------------------------------------------


def _span(stretches: Iterable[Stretch]) -> str:
    return ", ".join(span(a, b) for a, b in stretches)


def summarize_week(week: dict[int, list[Stretch]]) -> str:
    """Weekly hours in a line: 'Mon-Fri 09:00-17:00; Sat 10:00-13:00'."""
    parts: list[str] = []
    weekday = 0
    while weekday < 7:
        stretches = sorted(week.get(weekday, []))
        last = weekday
        while last + 1 < 7 and sorted(week.get(last + 1, [])) == stretches:
            last += 1
        if stretches:
            days = WEEKDAYS[weekday][:3]
            if last > weekday:
                days += f"-{WEEKDAYS[last][:3]}"
            parts.append(f"{days} {_span(stretches)}")
        weekday = last + 1
    return "; ".join(parts) or "no weekly hours"


@dataclass(frozen=True)
class Entry:
    """One consultation in the week grid, on the rep's clock."""

    booking_id: int
    starts: datetime
    ends: datetime
    name: str
    channel: str
    status: str


@dataclass
class DayCell:
    """One rep's day in the week grid."""

    day: date
    hours: list[Stretch]
    exceptional: bool = False  # the hours come from an exception (or the day is off)
    time_off: bool = False  # some time off touches the day
    entries: list[Entry] = field(default_factory=list)

    @property
    def hours_label(self) -> str:
        return _span(self.hours) if self.hours else "off"


@dataclass
class RepWeek:
    """One rep's row in the week grid."""

    rep: User
    schedule: RepSchedule | None
    summary: str
    days: list[DayCell]

    @property
    def booked(self) -> int:
        return sum(1 for d in self.days for e in d.entries if e.status == BookingStatus.BOOKED)


def monday_of(day: date) -> date:
    """The Monday starting the week `day` is in."""
    return day - timedelta(days=day.weekday())


def team_week(monday: date) -> list[RepWeek]:
    """Every rep's week from `monday`, each on their own clock, in five queries.

    Days are the same calendar dates for every rep; a consultation sits on the day it falls on
    the rep's own clock.
    """
    days = [monday + timedelta(days=i) for i in range(7)]
    # Any local date of that week lies within a day of these UTC bounds, in any time zone.
    since = datetime.combine(monday, time(), UTC) - timedelta(days=1)
    until = datetime.combine(monday + timedelta(days=7), time(), UTC) + timedelta(days=1)

    rows = db.session.execute(
        sa.select(User, RepSchedule)
        .outerjoin(RepSchedule, RepSchedule.rep_id == User.id)
        .where(User.role == Role.REP.value)
        .order_by(User.name, User.id)
    ).all()
    ids = [user.id for user, _ in rows]
    if not ids:
        return []

    weekly = engine.weekly_hours_of(ids)

    exceptions: dict[tuple[int, date], list[Stretch]] = {}
    days_off: set[tuple[int, date]] = set()
    for row in db.session.execute(
        sa.select(
            ScheduleException.rep_id,
            ScheduleException.day,
            ScheduleException.starts_at,
            ScheduleException.ends_at,
        )
        .where(ScheduleException.rep_id.in_(ids), ScheduleException.day.between(days[0], days[-1]))
        .order_by(ScheduleException.starts_at)
    ):
        stretches = exceptions.setdefault((row.rep_id, row.day), [])
        if row.starts_at is None or row.ends_at is None:
            days_off.add((row.rep_id, row.day))
        else:
            stretches.append((row.starts_at, row.ends_at))
    for key in days_off:  # a day off wins, as in the slot engine
        exceptions[key] = []

    time_off: dict[int, list[tuple[datetime, datetime]]] = {rep_id: [] for rep_id in ids}
    for row in db.session.execute(
        sa.select(TimeOff.rep_id, TimeOff.starts_at, TimeOff.ends_at).where(
            TimeOff.rep_id.in_(ids), TimeOff.starts_at < until, TimeOff.ends_at > since
        )
    ):
        time_off[row.rep_id].append((row.starts_at, row.ends_at))

    bookings: dict[int, list[Booking]] = {rep_id: [] for rep_id in ids}
    for booking in db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.rep_id.in_(ids),
            Booking.status != BookingStatus.CANCELLED,
            Booking.starts_at < until,
            Booking.ends_at > since,
        )
        .order_by(Booking.starts_at)
    ):
        bookings[booking.rep_id].append(booking)

    weeks = []
    for rep, schedule in rows:
        zone = engine.zone_of(rep.timezone)
        cells = {}
        for day in days:
            key = (rep.id, day)
            start = local_to_utc(datetime.combine(day, time()), zone)
            end = local_to_utc(datetime.combine(day + timedelta(days=1), time()), zone)
            cells[day] = DayCell(
                day=day,
                hours=exceptions.get(key, weekly[rep.id].get(day.weekday(), [])),
                exceptional=key in exceptions,
                time_off=any(a < end and start < b for a, b in time_off[rep.id]),
            )
        for booking in bookings[rep.id]:
            starts = booking.starts_at.astimezone(zone)
            cell = cells.get(starts.date())
            if cell is not None:
                cell.entries.append(
                    Entry(
                        booking_id=booking.id,
                        starts=starts,
                        ends=booking.ends_at.astimezone(zone),
                        name=booking.name,
                        channel=booking.channel,
                        status=booking.status,
                    )
                )
        weeks.append(
            RepWeek(
                rep=rep,
                schedule=schedule,
                summary=summarize_week(weekly[rep.id]),
                days=[cells[day] for day in days],
            )
        )
    return weeks
