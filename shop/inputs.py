"""Where browser input enters: the one place per kind (ids, amounts, quantities, dates, text
for email headers, JSON bodies) that bounds what the rest of the store is asked to handle.

A value out of range is refused here with a message a person can act on, before it reaches a
database column (64-bit integers), `Decimal` arithmetic (precision 28) or `datetime` (years up
to 9999, which overflow as soon as a day or a time zone is added). Forms use the WTForms fields
and validators below; query-string and JSON readers use the plain functions.
"""

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app, jsonify, request
from werkzeug.exceptions import BadRequest
from wtforms import DateField, DecimalField, IntegerField
from wtforms.validators import ValidationError

from shop.money import Money, MoneyError
from shop.timefmt import DAY, fmt

# --- ids and whole numbers ----------------------------------------------------------------

MAX_ID = 2**63 - 1  # the largest value a BIGINT key can hold; larger numbers match nothing


def parse_id(value) -> int | None:
    """A database id from browser input, or None for anything that cannot be one."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


# --- quantities ---------------------------------------------------------------------------

# A line of more units than this is a typo for goods of this kind (a marina's fleet of dinghies
# or a hotel's pianos still fits); the cart has its own, smaller MAX_LINE_QUANTITY.
MAX_QUANTITY = 999


class QuantityField(IntegerField):
    """A whole number of units up to `high` ("1e25", "10000000000000" and 2**63 are form
    errors, never an exception further in). `low` None leaves the lower bound to the
    services, whose messages say why (a quote line's quantity, say)."""

    def __init__(self, label=None, validators=None, low=1, high=MAX_QUANTITY, **kw):
        super().__init__(label, validators, **kw)
        self.low, self.high = low, high
        if low is None:
            self.message = f"Enter a quantity of at most {high}."
        else:
            self.message = f"Enter a whole number of units from {low} to {high}."

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        text = str(valuelist[0]).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            self.data = None
            raise ValueError("Enter a whole number.")
        if len(text.lstrip("+-")) > 12:
            self.data = None
            raise ValueError(self.message)
        self.data = int(text)

    def pre_validate(self, form):
        if self.data is None:
            return
        if self.data > self.high or (self.low is not None and self.data < self.low):
            raise ValidationError(self.message)


# --- amounts ------------------------------------------------------------------------------


def max_amount_cents() -> int:
    """The largest amount typed anywhere: the largest single payment we take."""
    return int(current_app.config["MAX_PAYMENT_CENTS"])


def amount_cents(text, *, negative: bool = False, zero: bool = False) -> int:
    """Dollars as typed ("12,500.00", "$9000") to cents, within +-MAX_PAYMENT_CENTS.

    ValueError with a message for a person otherwise. `negative`: credits (a trade-in) may be
    below zero; `zero`: nothing is a valid amount.
    """
    raw = str(text or "").strip()
    if len(raw) > 20:
        raise ValueError("Enter an amount such as 1,500.00.")
    try:
        cents = Money.parse(raw or "0").cents
    except MoneyError:
        raise ValueError("Enter an amount such as 1,500.00.") from None
    limit = max_amount_cents()
    if abs(cents) > limit:
        raise ValueError(f"Enter an amount of at most {Money(limit).format()}.")
    if cents < 0 and not negative:
        raise ValueError("Enter an amount above zero.")
    if cents == 0 and not zero:
        raise ValueError("Enter an amount above zero.")
    return cents


def bounded_decimal(text, *, low: Decimal, high: Decimal) -> Decimal | None:
    """A decimal number from a query string within [low, high], or None."""
    try:
        value = Decimal(str(text).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or not low <= value <= high:
        return None
    return value


class BoundedDecimalField(DecimalField):
    """A DecimalField that refuses what lies outside [low, high] as a form error (`message`);
    a value such as 1e26 would otherwise raise InvalidOperation when rounded to `places`."""

    def __init__(
        self, label=None, validators=None, low=0, high=100, message: str | None = None, **kw
    ):
        super().__init__(label, validators, **kw)
        self.low, self.high = Decimal(low), Decimal(high)
        self.message = message or f"Enter a number from {self.low} to {self.high}."

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        value = bounded_decimal(valuelist[0], low=self.low, high=self.high)
        if value is None:
            self.data = None
            raise ValueError(self.message)
        self.data = value


# --- dates and instants -------------------------------------------------------------------

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # outside these, a date is a typo (or an attack)


def parse_instant(text) -> datetime | None:
    """An ISO instant with its offset (as our own pages post them), in UTC, or None."""
    raw = str(text or "").strip()
    if len(raw) > 40:
        return None
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if instant.tzinfo is None or not EARLIEST_YEAR <= instant.year <= LATEST_YEAR:
        return None
    return instant.astimezone(UTC)


def parse_date(text) -> date | None:
    """A YYYY-MM-DD date from a query string within the years above, or None."""
    try:
        day = date.fromisoformat(str(text or "").strip()[:10])
    except ValueError:
        return None
    return day if EARLIEST_YEAR <= day.year <= LATEST_YEAR else None


class BoundedDateField(DateField):
    """A date no earlier than `past` days before today and no later than `future` days after
    (None: no bound that side, still within the years above)."""

    def __init__(self, label=None, validators=None, past=None, future=None, **kw):
        super().__init__(label, validators, **kw)
        self.past, self.future = past, future

    def pre_validate(self, form):
        if self.data is None:
            return
        today = date.today()
        latest = date(LATEST_YEAR, 12, 31)
        earliest = date(EARLIEST_YEAR, 1, 1)
        if self.future is not None:
            latest = min(latest, today + timedelta(days=self.future))
        if self.past is not None:
            earliest = max(earliest, today - timedelta(days=self.past))
        if self.data > latest:
            raise ValidationError(f"Enter a date no later than {fmt(latest, DAY)}.")
        if self.data < earliest:
            raise ValidationError(f"Enter a date no earlier than {fmt(earliest, DAY)}.")


# --- names and other text -----------------------------------------------------------------


# Characters that end a line or control a terminal: C0 and C1 controls (newlines, NUL, tabs,
# U+0085) and the Unicode line and paragraph separators. Format characters (the zero-width
# joiner of an emoji, a right-to-left mark in a name) are text and stay.
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def single_line(value):
    """Text for one line (a name, a subject): control characters and line breaks become
    spaces, runs of spaces one, no space at either end. A name with a newline would break
    every email header it is put in. A WTForms filter; anything not a string is left alone."""
    if not isinstance(value, str):
        return value
    cleaned = "".join(" " if unicodedata.category(c) in _LINE_BREAKING else c for c in value)
    return " ".join(cleaned.split())


# --- request bodies -----------------------------------------------------------------------

# Views that read their body themselves, as raw bytes: Stripe's webhook checks its signature
# over them and answers a malformed event on its own terms.
RAW_BODY_ENDPOINTS = frozenset({"payments.webhook"})


def register_inputs(app) -> None:
    """A JSON body must be an object. Flask-WTF reads a JSON request's body as the form's
    data, and the card steps read theirs with `.get`: a string, a list or a number would end
    in an exception in either; it is a 400 with a JSON answer here, before any view runs."""

    @app.before_request
    def json_bodies_are_objects():
        if not request.is_json or request.endpoint in RAW_BODY_ENDPOINTS:
            return None
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return None
        try:
            body = request.get_json()
        except BadRequest:
            return jsonify(error="The request body is not valid JSON."), 400
        if not isinstance(body, dict):
            return jsonify(error="The request body must be a JSON object."), 400
        return None
