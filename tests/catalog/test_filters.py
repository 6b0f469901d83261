from decimal import Decimal

from werkzeug.datastructures import MultiDict

from shop.catalog.filters import parse_filters
from shop.catalog.models import SpecAttribute


def attrs():
    return [
        SpecAttribute(id=1, code="length", label="Length", kind="number", filterable=True),
        SpecAttribute(id=2, code="hull", label="Hull", kind="choice", filterable=True),
        SpecAttribute(id=3, code="launch", label="Launch", kind="date", filterable=True),
        SpecAttribute(id=4, code="notes", label="Notes", kind="text", filterable=True),
    ]


def test_reads_ranges_choices_price_sort_and_page():
    f = parse_filters(
        MultiDict(
            [
                ("length_min", "30"),
                ("length_max", "42.5"),
                ("hull", "Wood"),
                ("hull", "Fiberglass"),
                ("price_min", "2,000"),
                ("price_max", "400000"),
                ("launch_min", "2027-01-01"),
                ("sort", "price_desc"),
                ("page", "3"),
                ("q", "  blue   water "),
            ]
        ),
        attrs(),
    )
    assert f.query == "blue water" and f.terms == ["blue", "water"]
    assert f.price_min_cents == 200_000 and f.price_max_cents == 40_000_000
    length, launch = f.ranges
    assert (length.low, length.high, length.numeric) == (Decimal("30"), Decimal("42.5"), True)
    assert (launch.low, launch.high, launch.numeric) == ("2027-01-01", None, False)
    assert f.choices == {2: ["Fiberglass", "Wood"]}
    assert f.sort == "price_desc" and f.page == 3
    assert f.ignored == []


def test_unreadable_values_are_ignored_and_reported_never_an_error():
    f = parse_filters(
        MultiDict(
            [
                ("length_min", "long"),
                ("price_max", "-5"),
                ("launch_max", "2027-13-45"),
                ("sort", "DROP TABLE"),
                ("page", "x"),
                ("length_max", "1e999"),
            ]
        ),
        attrs(),
    )
    assert f.ranges == [] and f.price_max_cents is None
    assert f.sort == "newest" and f.page == 1
    assert len(f.ignored) == 4


def test_huge_page_numbers_and_long_queries_are_clamped():
    f = parse_filters(MultiDict([("page", "99999999999"), ("q", "x" * 500)]), attrs())
    assert f.page == 10_000
    assert len(f.query) == 100
