"""Service levels in business hours: nights, weekends, time zones and daylight-saving changes.

Holidays are not modelled (every weekday in SUPPORT_HOURS is a working day), and the clocks do
not pause while a ticket waits on the buyer: both are stated in shop/support/sla.py.
"""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from shop.support import sla

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
WEEKDAYS = dict.fromkeys(range(5), ("09:00", "17:00"))
CONFIG = {
    "SUPPORT_TIMEZONE": "America/New_York",
    "SUPPORT_HOURS": WEEKDAYS,
    "SLA_TARGETS": {"urgent": (1, 8), "high": (4, 16), "normal": (8, 40), "low": (16, 80)},
}


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        pytest.param(ny(2025, 6, 6, 16, 30), 1, ny(2025, 6, 9, 9, 30), id="friday-1630-plus-1h"),
        pytest.param(ny(2025, 6, 7, 12, 0), 4, ny(2025, 6, 9, 13, 0), id="saturday"),
        pytest.param(ny(2025, 6, 8, 23, 59), 0.5, ny(2025, 6, 9, 9, 30), id="sunday-night"),
        pytest.param(ny(2025, 6, 10, 16, 0), 3, ny(2025, 6, 11, 11, 0), id="overnight"),
        pytest.param(ny(2025, 6, 10, 7, 0), 2, ny(2025, 6, 10, 11, 0), id="before-opening"),
        pytest.param(ny(2025, 6, 10, 18, 0), 1, ny(2025, 6, 11, 10, 0), id="after-closing"),
        pytest.param(ny(2025, 6, 10, 10, 0), 2, ny(2025, 6, 10, 12, 0), id="within-a-day"),
        pytest.param(ny(2025, 6, 9, 9, 0), 40, ny(2025, 6, 13, 17, 0), id="whole-week-ends-friday"),
        pytest.param(ny(2025, 6, 9, 9, 0), 80, ny(2025, 6, 20, 17, 0), id="two-weeks"),
        pytest.param(ny(2025, 6, 13, 17, 0), 1, ny(2025, 6, 16, 10, 0), id="at-closing"),
        pytest.param(ny(2025, 6, 7, 10, 0), 0, ny(2025, 6, 9, 9, 0), id="zero-hours-saturday"),
        # US daylight saving starts Sunday 9 March 2025 and ends Sunday 2 November 2025.
        pytest.param(ny(2025, 3, 7, 16, 0), 2, ny(2025, 3, 10, 10, 0), id="us-spring-forward"),
        pytest.param(ny(2025, 10, 31, 16, 0), 2, ny(2025, 11, 3, 10, 0), id="us-fall-back"),
        pytest.param(
            ny(2025, 3, 7, 9, 0), 16, ny(2025, 3, 10, 17, 0), id="us-spring-forward-full-days"
        ),
        # The instant may be given on any clock.
        pytest.param(
            datetime(2025, 6, 6, 20, 30, tzinfo=UTC), 1, ny(2025, 6, 9, 9, 30), id="given-in-utc"
        ),
        pytest.param(
            datetime(2025, 6, 9, 2, 0, tzinfo=UTC), 1, ny(2025, 6, 9, 10, 0), id="utc-monday-ny-sun"
        ),
        pytest.param(datetime(2025, 6, 6, 20, 30), 1, ny(2025, 6, 9, 9, 30), id="naive-is-utc"),
    ],
)
def test_add_business_hours_new_york(start, hours, expected):
    due = sla.add_business_hours(start, hours, "America/New_York", WEEKDAYS)
    assert due == expected
    assert due.tzinfo == UTC


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Europe changes on Sunday 30 March 2025 (CET -> CEST) and Sunday 26 October 2025.
        pytest.param(
            datetime(2025, 3, 28, 16, 30, tzinfo=BERLIN),
            1,
            datetime(2025, 3, 31, 9, 30, tzinfo=BERLIN),
            id="berlin-spring-forward",
        ),
        pytest.param(
            datetime(2025, 10, 24, 16, 30, tzinfo=BERLIN),
            1,
            datetime(2025, 10, 27, 9, 30, tzinfo=BERLIN),
            id="berlin-fall-back",
        ),
        pytest.param(
            # Saturday 00:30 in Tokyo is Friday 16:30 in Berlin.
            datetime(2025, 3, 29, 0, 30, tzinfo=TOKYO),
            1,
            datetime(2025, 3, 31, 9, 30, tzinfo=BERLIN),
            id="created-in-tokyo",
        ),
        pytest.param(
            # Monday 06:00 in Berlin is still Sunday in New York: the Berlin clock decides.
            datetime(2025, 6, 9, 0, 0, tzinfo=NY),
            2,
            datetime(2025, 6, 9, 11, 0, tzinfo=BERLIN),
            id="created-in-new-york",
        ),
    ],
)
def test_add_business_hours_berlin(start, hours, expected):
    assert sla.add_business_hours(start, hours, "Europe/Berlin", WEEKDAYS) == expected


def test_a_stretch_lasts_its_real_length_on_change_days():
    """A Sunday night shift 01:00-05:00 wall clock lasts 3 real hours when the clocks go forward
    and 5 when they go back."""
    nights = {6: ("01:00", "05:00")}
    spring = ny(2025, 3, 9, 1, 0)
    assert sla.business_hours_between(
        spring, spring + timedelta(days=1), "America/New_York", nights
    ) == pytest.approx(3)
    assert sla.add_business_hours(spring, 3, "America/New_York", nights) == ny(2025, 3, 9, 5, 0)
    assert sla.add_business_hours(spring, 3.5, "America/New_York", nights) == ny(2025, 3, 16, 1, 30)
    autumn = ny(2025, 11, 2, 1, 0)  # the first 01:00 (still daylight time)
    assert sla.business_hours_between(
        autumn, autumn + timedelta(days=1), "America/New_York", nights
    ) == pytest.approx(5)
    assert sla.add_business_hours(autumn, 5, "America/New_York", nights) == ny(2025, 11, 2, 5, 0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(ny(2025, 6, 6, 16, 0), ny(2025, 6, 9, 10, 0), 2, id="over-a-weekend"),
        pytest.param(ny(2025, 6, 9, 10, 0), ny(2025, 6, 6, 16, 0), -2, id="backwards"),
        pytest.param(ny(2025, 6, 7, 8, 0), ny(2025, 6, 8, 20, 0), 0, id="all-weekend"),
        pytest.param(ny(2025, 6, 10, 6, 0), ny(2025, 6, 10, 20, 0), 8, id="a-whole-day"),
        pytest.param(ny(2025, 3, 7, 9, 0), ny(2025, 3, 11, 9, 0), 16, id="us-spring-forward"),
        pytest.param(ny(2025, 10, 31, 9, 0), ny(2025, 11, 4, 9, 0), 16, id="us-fall-back"),
        pytest.param(
            datetime(2025, 6, 10, 14, 0, tzinfo=UTC), ny(2025, 6, 10, 11, 30), 1.5, id="mixed-zones"
        ),
    ],
)
def test_business_hours_between(start, end, expected):
    assert sla.business_hours_between(start, end, "America/New_York", WEEKDAYS) == pytest.approx(
        expected
    )


@pytest.mark.parametrize("hours", [0.25, 1, 7.5, 8, 9, 23, 41, 80])
@pytest.mark.parametrize(
    "start",
    [ny(2025, 3, 6, 15, 10), ny(2025, 11, 1, 3, 0), ny(2025, 6, 11, 12, 0)],
    ids=["thu-before-spring", "sat-fall-back", "midweek"],
)
def test_adding_then_measuring_gives_the_hours_back(start, hours):
    due = sla.add_business_hours(start, hours, "America/New_York", WEEKDAYS)
    assert sla.business_hours_between(start, due, "America/New_York", WEEKDAYS) == pytest.approx(
        hours
    )


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        sla.add_business_hours(ny(2025, 6, 9, 9, 0), -1, "America/New_York", WEEKDAYS)
    with pytest.raises(ValueError):
        sla.add_business_hours(ny(2025, 6, 9, 9, 0), 1, "America/New_York", {})
    with pytest.raises(ValueError):
        sla.due_dates(ny(2025, 6, 9, 9, 0), "whenever", CONFIG)


@pytest.mark.parametrize(
    ("priority", "first", "resolution"),
    [
        ("urgent", ny(2025, 6, 9, 10, 0), ny(2025, 6, 9, 17, 0)),
        ("high", ny(2025, 6, 9, 13, 0), ny(2025, 6, 10, 17, 0)),
        ("normal", ny(2025, 6, 9, 17, 0), ny(2025, 6, 13, 17, 0)),
        ("low", ny(2025, 6, 10, 17, 0), ny(2025, 6, 20, 17, 0)),
    ],
)
def test_due_dates_per_priority(priority, first, resolution):
    created = ny(2025, 6, 7, 11, 0)  # a Saturday: the clocks start on Monday 09:00
    assert sla.due_dates(created, priority, CONFIG) == (first, resolution)


def test_due_dates_use_the_app_settings(app):
    created = ny(2025, 6, 6, 16, 30)
    first, _ = sla.due_dates(created, "urgent", app.config)
    assert first == ny(2025, 6, 9, 9, 30)


def ticket(**kw):
    values = {
        "first_response_due_at": ny(2025, 6, 9, 10, 0),
        "resolution_due_at": ny(2025, 6, 10, 9, 0),
        "first_responded_at": None,
        "solved_at": None,
        "closed_at": None,
    }
    return SimpleNamespace(**{**values, **kw})


def test_time_left_counts_business_hours():
    clocks = sla.time_left(ticket(), ny(2025, 6, 6, 16, 0), CONFIG)  # Friday 16:00
    assert clocks.first_response.left_hours == pytest.approx(2)
    assert clocks.first_response.text == "2 h left"
    assert clocks.resolution.left_hours == pytest.approx(9)
    assert not clocks.breached


def test_overdue_clock_is_breached():
    clocks = sla.time_left(ticket(), ny(2025, 6, 9, 11, 30), CONFIG)
    assert clocks.first_response.breached and clocks.breached
    assert clocks.first_response.text == "overdue 1 h 30 min"
    assert not clocks.resolution.breached
    assert clocks.resolution.text == "5 h 30 min left"


def test_first_response_clock_stops_at_the_first_reply():
    on_time = ticket(first_responded_at=ny(2025, 6, 9, 9, 45))
    late = ticket(first_responded_at=ny(2025, 6, 9, 12, 0))
    now = ny(2025, 6, 12, 12, 0)
    assert sla.time_left(on_time, now, CONFIG).first_response.text == "met"
    assert not sla.time_left(on_time, now, CONFIG).first_response.breached
    assert sla.time_left(late, now, CONFIG).first_response.text == "missed"
    assert sla.breached(late, ny(2025, 6, 9, 12, 30), CONFIG)


def test_resolution_clock_stops_when_solved_or_closed():
    now = ny(2025, 6, 20, 12, 0)
    solved = ticket(first_responded_at=ny(2025, 6, 9, 9, 5), solved_at=ny(2025, 6, 9, 15, 0))
    closed = ticket(first_responded_at=ny(2025, 6, 9, 9, 5), closed_at=ny(2025, 6, 10, 10, 0))
    assert sla.time_left(solved, now, CONFIG).resolution.text == "met"
    assert not sla.breached(solved, now, CONFIG)
    assert sla.time_left(closed, now, CONFIG).resolution.text == "missed"


def test_a_ticket_without_due_dates_has_no_target():
    clocks = sla.time_left(
        ticket(first_response_due_at=None, resolution_due_at=None), ny(2025, 6, 9), CONFIG
    )
    assert clocks.first_response.text == "no target" and not clocks.breached


@pytest.mark.parametrize(
    ("hours", "text"), [(0.75, "45 min"), (3 + 1 / 3, "3 h 20 min"), (12, "12 h"), (0, "0 min")]
)
def test_hours_text(hours, text):
    assert sla.hours_text(hours) == text
