"""The slot engine: which instants a buyer may book with a rep.

Working hours are wall-clock stretches in the rep's own zone ("Tuesdays 9 to 5 in Portland");
everything else (now, time off, bookings, the slots returned) is an aware instant in UTC. The
buyer's zone plays no part here: it only changes how the same instants are shown.

Daylight saving, decided once here:

- candidates are stepped in LOCAL wall-clock time from each stretch's start;
- a wall time that does not exist (the spring-forward gap) is skipped;
- a wall time that happens twice (the fall-back hour) is taken once, at its first occurrence
  (fold=0), so the repeated hour offers no second set of slots;
- a stretch runs from the first instant the rep's clock shows its start until the first instant
  it shows its end, so it really lasts an hour less or more on a change day. A boundary inside
  the gap means the instant the clock jumps.

`free_slots` and `is_bookable` are pure; `load_calendars` reads the database in a fixed number
of queries, whatever the number of reps.
"""

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from shop.auth.models import User
from shop.consultations.models import Booking, RepSchedule, ScheduleException, TimeOff, WorkingHours
from shop.consultations.states import BookingStatus
from shop.extensions import db

Stretch = tuple[time, time]
Interval = tuple[datetime, datetime]

# How far around [start, end) load_calendars reads: a local day can last 25 hours and start up
# to 14 hours away from the UTC date, so one day is not quite always enough.
LOAD_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class RepCalendar:
    """Everything `free_slots` needs to know about one rep, read in one go."""

    rep_id: int
    timezone: str  # IANA name, the rep's own zone
    meeting_minutes: int
    min_notice_minutes: int
    buffer_minutes: int
    window_days: int
    daily_cap: int
    weekly: dict[int, list[Stretch]] = field(default_factory=dict)  # 0 is Monday
    exceptions: dict[date, list[Stretch]] = field(default_factory=dict)  # [] is a day off
    time_off: list[Interval] = field(default_factory=list)  # aware UTC
    busy: list[Interval] = field(default_factory=list)  # live bookings, aware UTC


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or ValueError when there is none."""
    try:
        return ZoneInfo(name)
    except (ValueError, LookupError, OSError, TypeError) as exc:
        raise ValueError(f"unknown time zone: {name!r}") from exc


def local_times(slots: Iterable[datetime], tz: str) -> list[datetime]:
    """The same instants as seen on a clock in `tz` (for display only)."""
    zone = zone_of(tz)
    return [slot.astimezone(zone) for slot in slots]


def free_slots(
    cal: RepCalendar,
    now: datetime,
    start: datetime,
    end: datetime,
    step_minutes: int = 30,
) -> list[datetime]:
    """The instants in [start, end) a meeting with the rep may start at, sorted, in UTC."""
    zone = zone_of(cal.timezone)
    for name, value in (("now", now), ("start", start), ("end", end)):
        _require_aware(name, value)
    if step_minutes <= 0:
        raise ValueError("step_minutes must be positive")

    lower = max(start, now + timedelta(minutes=cal.min_notice_minutes)).astimezone(UTC)
    upper = min(end, now + timedelta(days=cal.window_days)).astimezone(UTC)
    if lower >= upper:
        return []

    rules = _Rules(
        zone=zone,
        lower=lower,
        upper=upper,
        step=timedelta(minutes=step_minutes),
        meeting=timedelta(minutes=cal.meeting_minutes),
        buffer=timedelta(minutes=cal.buffer_minutes),
        time_off=_Intervals(cal.time_off),
        busy=_Intervals(cal.busy),
    )
    booked_per_day = Counter(starts.astimezone(zone).date() for starts, _ in cal.busy)

    found: set[datetime] = set()
    day = lower.astimezone(zone).date()
    last_day = (upper - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last_day:
        if booked_per_day[day] < cal.daily_cap:
            stretches = cal.exceptions.get(day, cal.weekly.get(day.weekday(), []))
            for opens, closes in stretches:
                found.update(rules.slots(day, opens, closes))
        day += timedelta(days=1)
    return sorted(found)


def is_bookable(cal: RepCalendar, now: datetime, starts_at: datetime) -> bool:
    """True when a meeting may start at `starts_at` (computes only that local day's slots)."""
    _require_aware("starts_at", starts_at)
    # free_slots walks only the local days the window touches: here, the one day of starts_at.
    return starts_at in free_slots(cal, now, starts_at, starts_at + timedelta(microseconds=1))


def weekly_hours_of(rep_ids: list[int]) -> dict[int, dict[int, list[Stretch]]]:
    """Each rep's weekly stretches (weekday -> [(start, end)]), in one query."""
    weekly: dict[int, dict[int, list[Stretch]]] = {rep_id: {} for rep_id in rep_ids}
    for row in db.session.execute(
        sa.select(
            WorkingHours.rep_id, WorkingHours.weekday, WorkingHours.starts_at, WorkingHours.ends_at
        )
        .where(WorkingHours.rep_id.in_(rep_ids))
        .order_by(WorkingHours.rep_id, WorkingHours.weekday, WorkingHours.starts_at)
    ):
        weekly[row.rep_id].setdefault(row.weekday, []).append((row.starts_at, row.ends_at))
    return weekly


def load_calendars(rep_ids: list[int], start: datetime, end: datetime) -> dict[int, RepCalendar]:
    """The calendars of the reps taking bookings, for slots in [start, end), in five queries.

    Reps without a schedule, or whose schedule does not accept bookings, are left out.
    """
    _require_aware("start", start)
    _require_aware("end", end)
    if not rep_ids:
        return {}
    since, until = start - LOAD_MARGIN, end + LOAD_MARGIN

    schedules = db.session.execute(
        sa.select(RepSchedule, User.timezone)
        .join(User, User.id == RepSchedule.rep_id)
        .where(RepSchedule.rep_id.in_(rep_ids), RepSchedule.accepts_bookings.is_(True))
    ).all()
    if not schedules:
        return {}
    ids = [schedule.rep_id for schedule, _ in schedules]

    weekly = weekly_hours_of(ids)

    exceptions: dict[int, dict[date, list[Stretch]]] = {rep_id: {} for rep_id in ids}
    days_off: set[tuple[int, date]] = set()
    for row in db.session.execute(
        sa.select(
            ScheduleException.rep_id,
            ScheduleException.day,
            ScheduleException.starts_at,
            ScheduleException.ends_at,
        )
        .where(
            ScheduleException.rep_id.in_(ids),
            ScheduleException.day.between(since.date(), until.date()),
        )
        .order_by(ScheduleException.rep_id, ScheduleException.day, ScheduleException.starts_at)
    ):
        stretches = exceptions[row.rep_id].setdefault(row.day, [])
        if row.starts_at is None or row.ends_at is None:
            days_off.add((row.rep_id, row.day))
        else:
            stretches.append((row.starts_at, row.ends_at))
    # A "day off" row wins over other hours given for the same day: never offer a day the rep
    # said they are away.
    for rep_id, day in days_off:
        exceptions[rep_id][day] = []

    time_off: dict[int, list[Interval]] = {rep_id: [] for rep_id in ids}
    for row in db.session.execute(
        sa.select(TimeOff.rep_id, TimeOff.starts_at, TimeOff.ends_at)
        .where(TimeOff.rep_id.in_(ids), TimeOff.starts_at < until, TimeOff.ends_at > since)
        .order_by(TimeOff.rep_id, TimeOff.starts_at)
    ):
        time_off[row.rep_id].append((row.starts_at, row.ends_at))

    busy: dict[int, list[Interval]] = {rep_id: [] for rep_id in ids}
    for row in db.session.execute(
        sa.select(Booking.rep_id, Booking.starts_at, Booking.ends_at)
        .where(
            Booking.rep_id.in_(ids),
            Booking.status == BookingStatus.BOOKED,
            Booking.starts_at < until,
            Booking.ends_at > since,
        )
        .order_by(Booking.rep_id, Booking.starts_at)
    ):
        busy[row.rep_id].append((row.starts_at, row.ends_at))

    return {
        schedule.rep_id: RepCalendar(
            rep_id=schedule.rep_id,
            timezone=timezone,
            meeting_minutes=schedule.meeting_minutes,
            min_notice_minutes=schedule.min_notice_minutes,
            buffer_minutes=schedule.buffer_minutes,
            window_days=schedule.window_days,
            daily_cap=schedule.daily_cap,
            weekly=weekly[schedule.rep_id],
            exceptions=exceptions[schedule.rep_id],
            time_off=time_off[schedule.rep_id],
            busy=busy[schedule.rep_id],
        )
        for schedule, timezone in schedules
    }


# --- internals ------------------------------------------------------------------------------


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


class _Intervals:
    """Half-open intervals merged into a sorted, disjoint list: an overlap test costs a bisect."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        for begins, ends in sorted((b.astimezone(UTC), e.astimezone(UTC)) for b, e in intervals):
            if ends <= begins:
                continue
            if self.ends and begins <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], ends)
            else:
                self.starts.append(begins)
                self.ends.append(ends)

    def overlaps(self, begins: datetime, ends: datetime) -> bool:
        """True when [begins, ends) shares any instant with one of the intervals."""
        i = bisect_right(self.ends, begins)  # the first interval ending after `begins`
        return i < len(self.starts) and self.starts[i] < ends


@dataclass(frozen=True)
class _Rules:
    zone: ZoneInfo
    lower: datetime
    upper: datetime
    step: timedelta
    meeting: timedelta
    buffer: timedelta
    time_off: _Intervals
    busy: _Intervals

    def slots(self, day: date, opens: time, closes: time) -> Iterator[datetime]:
        """The free slots of one stretch of one local day, in increasing order."""
        wall = datetime.combine(day, opens)
        wall_end = datetime.combine(day, closes)
        first = _first_instant_at(self.zone, wall)
        last = _first_instant_at(self.zone, wall_end)
        while wall < wall_end:
            starts = _existing_instant(self.zone, wall)
            wall += self.step
            if starts is None or starts < first:
                continue
            ends = starts + self.meeting
            if ends > last or starts >= self.upper:
                return  # later wall times are later instants: nothing further can fit
            if starts < self.lower or self.time_off.overlaps(starts, ends):
                continue
            if self.busy.overlaps(starts - self.buffer, ends + self.buffer):
                continue
            yield starts


def _existing_instant(zone: ZoneInfo, wall: datetime) -> datetime | None:
    """The UTC instant of a local wall time: None in a gap, the first one when it is ambiguous."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None  # the clock jumped over this wall time
    return instant


def _first_instant_at(zone: ZoneInfo, wall: datetime) -> datetime:
    """The first instant the local clock shows `wall` or later (in a gap: the jump itself)."""
    instant = _existing_instant(zone, wall)
    if instant is not None:
        return instant
    # The two readings of a gap time bracket the jump; find it to the second.
    low, high = sorted(wall.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
    seconds = int((high - low).total_seconds())
    while seconds > 1:
        half = seconds // 2
        middle = low + timedelta(seconds=half)
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            seconds = half
        else:
            low, seconds = middle, seconds - half
    return low + timedelta(seconds=seconds)
