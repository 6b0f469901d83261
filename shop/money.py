"""Money as integer minor units with a currency; formatting through Babel.

One representation everywhere: an `int` of cents in the database and in the services, a `Money`
where an amount travels with its currency. A float never touches an amount.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

DEFAULT_CURRENCY = "USD"
DEFAULT_LOCALE = "en_US"


class MoneyError(ValueError):
    """An amount that cannot be read or does not fit."""


@dataclass(frozen=True, order=True)
class Money:
    cents: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self):
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise MoneyError(f"amounts are integer minor units, got {self.cents!r}")

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> "Money":
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str | int | Decimal, currency: str = DEFAULT_CURRENCY) -> "Money":
        """Read a major-unit amount such as "2,499.00" or Decimal("2499") exactly."""
        if isinstance(text, float):
            raise MoneyError("floats are not accepted for money")
        try:
            value = Decimal(str(text).replace(",", "").replace("$", "").strip())
        except InvalidOperation as exc:
            raise MoneyError(f"not an amount: {text!r}") from exc
        if not value.is_finite():
            raise MoneyError(f"not an amount: {text!r}")
        exponent = get_currency_precision(currency)
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"too many decimal places: {text!r}")
        return cls(int(scaled), currency)

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exact."""
        return Decimal(self.cents).scaleb(-get_currency_precision(self.currency))

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise MoneyError("cannot combine amounts in different currencies")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.cents - other.cents, self.currency)

    def __mul__(self, quantity: int) -> "Money":
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise MoneyError("money is multiplied by whole quantities only")
        return Money(self.cents * quantity, self.currency)

    __rmul__ = __mul__

    def percent(self, rate: Decimal) -> "Money":
        """This amount times `rate` percent, rounded half up to the cent."""
        cents = (Decimal(self.cents) * Decimal(rate) / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return Money(int(cents), self.currency)

    def format(self, locale: str = DEFAULT_LOCALE, whole: bool = False) -> str:
        """Locale-aware text, e.g. "$42,500.00"; `whole` drops the cents when they are zero."""
        return _format(self.cents, self.currency, locale, whole and self.cents % 100 == 0)

    def __str__(self) -> str:
        return self.format()


# Babel takes tens of microseconds per amount, and a page shows dozens (a cart, an order, a
# quote), mostly the same few prices again and again. The text depends only on these four
# values, so a bounded cache is exact.
@lru_cache(maxsize=8192)
def _format(cents: int, currency: str, locale: str, whole: bool) -> str:
    fmt = "¤#,##0" if whole else None
    amount = Decimal(cents).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, format=fmt, locale=locale, currency_digits=not whole)
