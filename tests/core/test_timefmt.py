"""Dates and times go through one Babel helper (shop/timefmt.py), never a scattered strftime."""

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from shop.config import ROOT
from shop.timefmt import fmt, stamp, when

# strftime itself, or a format spec such as f"{moment:%H:%M}" (the same thing, unnamed).
STRFTIME = re.compile(r"strftime\(|\{[^{}]*:%[-a-zA-Z]")


def test_no_module_or_template_formats_a_date_by_itself():
    offenders = []
    for path in [*ROOT.joinpath("shop").rglob("*.py"), *ROOT.joinpath("templates").rglob("*")]:
        if path.is_dir() or path.name == "timefmt.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if STRFTIME.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "format dates with shop.timefmt:\n" + "\n".join(offenders)


def test_fmt_writes_a_value_on_the_clock_it_is_already_on(app):
    berlin = datetime(2027, 1, 12, 9, 5, tzinfo=ZoneInfo("Europe/Berlin"))
    with app.app_context():
        assert fmt(berlin, "EEE, MMM d, h:mm a z") == "Tue, Jan 12, 9:05 AM CET"
        assert fmt(date(2027, 3, 1), "EEEE, MMMM d") == "Monday, March 1"
        assert fmt(time(13, 30), "h:mm a") == "1:30 PM"
        assert fmt(None, "h:mm a") == ""


def test_when_names_the_zone_by_its_abbreviation_not_an_offset(app):
    instant = datetime(2027, 7, 1, 12, 0, tzinfo=UTC)
    with app.app_context():
        assert when(instant, "Europe/London") == "Jul 1, 2027, 1:00 PM BST"
        assert when(instant, "America/Los_Angeles") == "Jul 1, 2027, 5:00 AM PDT"


def test_a_stamp_is_the_same_whatever_zone_the_instant_carries():
    instant = datetime(2027, 1, 12, 2, 30, tzinfo=UTC)
    assert stamp(instant) == "20270112T0230"
    assert stamp(instant.astimezone(ZoneInfo("Asia/Tokyo"))) == "20270112T0230"
