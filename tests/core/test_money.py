from decimal import Decimal

import pytest

from shop.money import Money, MoneyError


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("2,499.00", 249_900),
        ("399999.99", 39_999_999),
        (Decimal("0.1"), 10),
        (7, 700),
        ("$42,500", 4_250_000),
    ],
)
def test_parse_is_exact(text, cents):
    assert Money.parse(text).cents == cents


@pytest.mark.parametrize("bad", ["abc", "1.001", "NaN", "Infinity", ""])
def test_parse_refuses_what_is_not_an_amount(bad):
    with pytest.raises(MoneyError):
        Money.parse(bad)


def test_floats_are_refused_everywhere():
    with pytest.raises(MoneyError):
        Money.parse(0.1)
    with pytest.raises(MoneyError):
        Money(10.5)
    with pytest.raises(MoneyError):
        Money(100) * 1.5


def test_arithmetic_and_currency_guard():
    assert Money(1_000) + Money(250) == Money(1_250)
    assert Money(4_250_000) * 3 == Money(12_750_000)
    assert Money(10_001).percent(Decimal("8.25")) == Money(825)  # 825.08 rounds to 825
    with pytest.raises(MoneyError):
        Money(1, "USD") + Money(1, "EUR")


def test_formatting_through_babel():
    assert Money(4_250_000).format() == "$42,500.00"
    assert Money(4_250_000).format(whole=True) == "$42,500"
    assert Money(4_250_050).format(whole=True) == "$42,500.50"
    assert Money(39_999_999).format(locale="de_DE") == "399.999,99\xa0$"
