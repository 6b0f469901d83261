"""Times as people read them: on the reader's own clock, with the zone named, through Babel.

The reader is the signed-in user on a page (a guest: the store's zone) and the recipient of an
email (`queue_email` puts `reader_tz` in its context). A user whose zone is still the column's
default "UTC" never chose one, so they read the store's zone: nobody in this store lives on UTC.
"""

from datetime import UTC, date, datetime, time
from functools import cache
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_datetime, format_time
from flask import current_app, has_request_context
from jinja2 import pass_context

# "Dec 7, 2026, 3:04 PM EST": the zone is always named.
WHEN = "MMM d, y, h:mm a z"
WHEN_SECONDS = "MMM d, y, h:mm:ss a z"  # records that are evidence (acceptance, audit)
DAY = "MMM d, y"
CLOCK = "h:mm a z"  # the end of a window that began the same day
WINDOW_START = "EEEE, MMMM d, h:mm a"  # a delivery window's start; its end names the zone
LONG_WHEN = "EEEE, MMMM d 'at' h:mm a z"  # "Tuesday, March 16 at 10:30 AM PDT" (bookings)
LONG_WHEN_YEAR = "EEEE, MMMM d, y 'at' h:mm a z"
# Zones offered on the account page; any other valid IANA name is accepted too.
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def store_zone() -> str:
    return current_app.config.get("SUPPORT_TIMEZONE") or "America/New_York"


def zone_name(chosen: str | None) -> str:
    """The zone a person reads: theirs if they chose one, else the store's."""
    if not chosen or chosen == "UTC":
        return store_zone()
    return chosen


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(zone_name(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(store_zone())


def browser_zone() -> str | None:
    """The zone the visitor's browser reported (the `tz` cookie app.js sets), if it is real."""
    if not has_request_context():
        return None
    from flask import request

    # app.js writes the name through encodeURIComponent ("America%2FLos_Angeles") and cookies
    # are not percent-decoded on reading (RFC 6265 has no such encoding): decode it here.
    name = unquote((request.cookies.get("tz") or "")[:200])
    return name if name and name != "UTC" and name in _known_zones() else None


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def viewer_zone() -> str:
    """The zone of whoever reads the current page: the one they chose, else their browser's,
    else the store's."""
    if has_request_context():
        from flask_login import current_user

        chosen = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
        if chosen and chosen != "UTC":
            return chosen
        return browser_zone() or store_zone()
    return store_zone()


def recipient_zone(address: str | None) -> str:
    """The zone of an email's recipient: the user with that address, else the store's."""
    import sqlalchemy as sa

    from shop.auth.models import User
    from shop.extensions import db

    chosen = None
    if address:
        with db.session.no_autoflush:
            chosen = db.session.scalar(
                sa.select(User.timezone).where(sa.func.lower(User.email) == address.lower())
            )
    return zone_name(chosen)


def _locale() -> str:
    return current_app.config.get("STORE_LOCALE") or "en_US"


def when(
    instant: datetime | None,
    tz: str | None = None,
    seconds: bool = False,
    pattern: str | None = None,
) -> str:
    """ "Dec 7, 2026, 3:04 PM EST": an instant on `tz`'s clock (default: the viewer's)."""
    if instant is None:
        return ""
    zone = _zone(tz or viewer_zone())
    return fmt(instant.astimezone(zone), pattern or (WHEN_SECONDS if seconds else WHEN))


def day(instant: datetime | date | None, tz: str | None = None) -> str:
    """ "Dec 7, 2026": the day an instant falls on, on `tz`'s clock (default: the viewer's)."""
    if instant is None:
        return ""
    if isinstance(instant, datetime):
        instant = instant.astimezone(_zone(tz or viewer_zone())).date()
    return format_date(instant, DAY, locale=_locale())


def fmt(value: datetime | date | time | None, pattern: str) -> str:
    """A value already on the reader's clock (a rep's week, a buyer's chosen zone), a date or a
    wall-clock time, written with a CLDR `pattern` ("EEE MMM d", "h:mm a") through Babel.

    An aware datetime keeps its own zone: the caller chose the clock, this only writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        # The zone's own abbreviation (PST, CET, GMT) rather than Babel's "z", which writes
        # "+0100" for zones the locale has no short name for: the zone is named, not counted.
        text = format_datetime(
            value, pattern.removesuffix(" z"), tzinfo=value.tzinfo, locale=_locale()
        )
        return f"{text} {value.tzname()}" if pattern.endswith(" z") else text
    if isinstance(value, date):
        return format_date(value, pattern, locale=_locale())
    return format_time(value, pattern, locale=_locale())


def span(start: time, end: time) -> str:
    """ "9:00 AM to 1:00 PM": working hours, on a clock the page or message names."""
    return f"{fmt(start, 'h:mm a')} to {fmt(end, 'h:mm a')}"


def stamp(instant: datetime) -> str:
    """A compact, zone-free mark of an instant for idempotency keys ("20270112T0230"): it is
    never read by a person, and it must not change, or an email already sent is sent again."""
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M}"


@pass_context
def when_filter(ctx, instant, tz: str | None = None, seconds: bool = False) -> str:
    return when(instant, tz or ctx.get("reader_tz"), seconds)


def local_filter(instant, tz: str | None, pattern: str = "EEE MMM d, h:mm a z") -> str:
    """An instant on a named clock (a crew's, a rep's), in a window's own short words."""
    return when(instant, tz, pattern=pattern)


@pass_context
def long_when_filter(ctx, instant, tz: str | None = None, year: bool = False) -> str:
    """ "Tuesday, March 16 at 10:30 AM PDT": a booking's time, in words."""
    return when(instant, tz or ctx.get("reader_tz"), pattern=LONG_WHEN_YEAR if year else LONG_WHEN)


@pass_context
def clock_filter(ctx, instant, tz: str | None = None) -> str:
    return when(instant, tz or ctx.get("reader_tz"), pattern=CLOCK)


@pass_context
def day_filter(ctx, instant, tz: str | None = None) -> str:
    return day(instant, tz or ctx.get("reader_tz"))


def init_app(app) -> None:
    app.jinja_env.filters["when"] = when_filter
    app.jinja_env.filters["day"] = day_filter
    app.jinja_env.filters["clock"] = clock_filter
    app.jinja_env.filters["long_when"] = long_when_filter
    app.jinja_env.filters["local"] = local_filter
    app.jinja_env.filters["fmt"] = fmt
