"""Service levels counted in business hours: pure functions, no database, no request.

Business hours are wall-clock opening hours per weekday (SUPPORT_HOURS, Monday = 0) on the
support team's clock (SUPPORT_TIMEZONE). Each day's stretch is placed on the calendar with
zoneinfo and measured in real (UTC) time, so on a daylight-saving change day a 09:00-17:00
stretch still lasts eight real hours, and the clocks step correctly across nights, weekends and
changes of offset. Instants may be given in any zone (naive ones are taken as UTC); results are
in UTC.

Deliberately simple:
- Public holidays are not modelled: every weekday in SUPPORT_HOURS is a working day.
- The clocks do not pause while a ticket is "waiting on buyer", "waiting on supplier" or "on
  hold": the targets are the team's promise whatever the status. The first-response clock stops
  at `first_responded_at`; the resolution clock stops at `solved_at` (or `closed_at` for a ticket
  closed without being solved, e.g. merged).
- A day's stretch must lie within the day (opening before closing); "24:00" is not supported.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3660  # never search further than ten years for business hours


def _clock(text: str) -> time:
    hours, _, minutes = str(text).partition(":")
    return time(int(hours), int(minutes or 0))


def _aware(moment: datetime) -> datetime:
    """The instant in UTC; a naive datetime is taken as UTC (the database's clock)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _stretch(day: date, zone: ZoneInfo, hours_by_weekday: Mapping) -> tuple[datetime, datetime]:
    """The day's business hours as UTC instants; (x, x) when closed that day."""
    hours = hours_by_weekday.get(day.weekday()) or hours_by_weekday.get(str(day.weekday()))
    if not hours:
        start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        return start, start
    opens, closes = (_clock(h) for h in hours)
    start = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
    return start, max(start, end)


def _check_calendar(hours_by_weekday: Mapping) -> None:
    for hours in hours_by_weekday.values():
        if hours:
            opens, closes = (_clock(h) for h in hours)
            if closes > opens:
                return
    raise ValueError("SUPPORT_HOURS has no business hours on any day.")


def add_business_hours(
    start: datetime, hours: float, tz: str, hours_by_weekday: Mapping
) -> datetime:
    """The instant `hours` business hours after `start` (UTC).

    Outside business hours the clock starts at the next opening: Friday 16:30 + 1 h is Monday
    09:30; Saturday + 2 h is Monday 11:00. Zero hours gives the next business instant.
    """
    if hours < 0:
        raise ValueError("hours must not be negative")
    _check_calendar(hours_by_weekday)
    zone = ZoneInfo(tz)
    moment = _aware(start)
    remaining = timedelta(hours=hours)
    day = moment.astimezone(zone).date() - timedelta(days=1)  # a stretch may begin the day before
    for _ in range(MAX_DAYS):
        opens, closes = _stretch(day, zone, hours_by_weekday)
        begin = max(moment, opens)
        if begin < closes:
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("too many business hours to count")


def business_hours_between(
    start: datetime, end: datetime, tz: str, hours_by_weekday: Mapping
) -> float:
    """Business hours from `start` to `end`, negative when `end` is earlier."""
    a, b = _aware(start), _aware(end)
    if b < a:
        return -business_hours_between(b, a, tz, hours_by_weekday)
    zone = ZoneInfo(tz)
    total = timedelta(0)
    day = a.astimezone(zone).date() - timedelta(days=1)
    last = b.astimezone(zone).date()
    while day <= last:
        opens, closes = _stretch(day, zone, hours_by_weekday)
        lo, hi = max(a, opens), min(b, closes)
        if hi > lo:
            total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def targets(priority: str, config: Mapping) -> tuple[float, float]:
    """(first-response hours, resolution hours) of a priority."""
    try:
        return tuple(config["SLA_TARGETS"][priority])
    except KeyError:
        raise ValueError(f"No service level for priority {priority!r}.") from None


def due_dates(created_at: datetime, priority: str, config: Mapping) -> tuple[datetime, datetime]:
    """(first_response_due, resolution_due), both counted in business hours from `created_at`."""
    first, resolution = targets(priority, config)
    tz, hours = config["SUPPORT_TIMEZONE"], config["SUPPORT_HOURS"]
    return (
        add_business_hours(created_at, first, tz, hours),
        add_business_hours(created_at, resolution, tz, hours),
    )


# --- clocks on a ticket -------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One service-level clock: when it is due, when (if) it stopped, and how it stands.

    `left_hours` are business hours to the due date (negative once overdue) while the clock
    runs; None once it stopped or when there is no due date.
    """

    due: datetime | None
    stopped_at: datetime | None
    left_hours: float | None

    @property
    def running(self) -> bool:
        return self.due is not None and self.stopped_at is None

    @property
    def breached(self) -> bool:
        if self.due is None:
            return False
        if self.stopped_at is not None:
            return _aware(self.stopped_at) > _aware(self.due)
        return self.left_hours is not None and self.left_hours <= 0

    @property
    def text(self) -> str:
        if self.due is None:
            return "no target"
        if self.stopped_at is not None:
            return "missed" if self.breached else "met"
        left = self.left_hours or 0.0
        if left <= 0:
            return f"overdue {hours_text(-left)}"
        return f"{hours_text(left)} left"


@dataclass(frozen=True)
class Clocks:
    first_response: Clock
    resolution: Clock

    @property
    def breached(self) -> bool:
        return self.first_response.breached or self.resolution.breached


def hours_text(hours: float) -> str:
    """Business hours for people: "45 min", "3 h 20 min", "12 h"."""
    minutes = round(abs(hours) * 60)
    h, m = divmod(minutes, 60)
    if h == 0:
        return f"{m} min"
    return f"{h} h {m} min" if m else f"{h} h"


def _clock_of(due, stopped, now, config) -> Clock:
    if due is None or stopped is not None:
        return Clock(due=due, stopped_at=stopped, left_hours=None)
    tz, hours = config["SUPPORT_TIMEZONE"], config["SUPPORT_HOURS"]
    left = business_hours_between(now, due, tz, hours)
    if left == 0 and _aware(now) < _aware(due):
        left = 1 / 3600  # due at the next opening: still in time, by a hair
    return Clock(due=due, stopped_at=None, left_hours=left)


def time_left(ticket, now: datetime, config: Mapping) -> Clocks:
    """The ticket's two clocks at `now`: first response (stops at the first staff reply) and
    resolution (stops when solved, or closed without being solved)."""
    return Clocks(
        first_response=_clock_of(
            ticket.first_response_due_at, ticket.first_responded_at, now, config
        ),
        resolution=_clock_of(
            ticket.resolution_due_at, ticket.solved_at or ticket.closed_at, now, config
        ),
    )


def breached(ticket, now: datetime, config: Mapping) -> bool:
    """True when either clock is overdue or was missed."""
    return time_left(ticket, now, config).breached
