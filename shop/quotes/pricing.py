"""Quote arithmetic, pure: lines and discounts in, totals, margin and deposit out.

Exact Decimal math on integer cents, rounded half up to the cent once per amount. A line's
discount applies to its gross (unit price x quantity); the quote's discount applies to the goods
after line discounts (the positive lines), never to a trade-in credit. A trade-in credit is a
negative custom line: it lowers the total as a credit, it is not a discount, so it never counts
against a rep's discount authority. Amount discounts are in major units (dollars), like the form.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from shop.errors import DomainError

DISCOUNT_KINDS = ("none", "percent", "amount")
LINE_KINDS = ("catalog", "custom")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class PricingError(DomainError):
    """The figures of a quote break a rule; the message says which and where."""


def _get(line, name: str, default=None):
    if isinstance(line, dict):
        return line.get(name, default)
    return getattr(line, name, default)


def _decimal(value, what: str) -> Decimal:
    if isinstance(value, float):
        raise PricingError(f"{what} must be an exact number.")
    try:
        number = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        raise PricingError(f"{what} is not a number.") from None
    if not number.is_finite():
        raise PricingError(f"{what} is not a number.")
    return number


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pct(part: int, whole: int) -> Decimal:
    if whole == 0:
        return Decimal(0)
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(part: int, whole: int) -> Decimal:
    """`part` as a percentage of `whole`, to the hundredth (0 when `whole` is 0)."""
    return _pct(part, whole)


def discount_of(gross_cents: int, kind: str, value, where: str) -> int:
    """The discount in cents that `kind`/`value` takes off `gross_cents` (validated)."""
    if kind not in DISCOUNT_KINDS:
        raise PricingError(f"{where}: choose no discount, a percentage or an amount.")
    if kind == "none":
        return 0
    number = _decimal(value, f"{where}: the discount")
    if kind == "percent":
        if number < 0 or number > HUNDRED:
            raise PricingError(f"{where}: a discount must be between 0 and 100 percent.")
        return _round(Decimal(gross_cents) * number / HUNDRED)
    cents = number * HUNDRED
    if number < 0:
        raise PricingError(f"{where}: a discount cannot be negative.")
    if cents != cents.to_integral_value():
        raise PricingError(f"{where}: an amount has at most two decimal places.")
    if cents > gross_cents:
        raise PricingError(f"{where}: the discount is larger than the amount it applies to.")
    return int(cents)


@dataclass(frozen=True)
class PricedLine:
    gross_cents: int  # unit price x quantity
    discount_cents: int
    net_cents: int
    cost_cents: int
    margin_cents: int
    margin_pct: Decimal  # of the line's net; 0 for a credit or a free line


@dataclass(frozen=True)
class Priced:
    lines: list[PricedLine] = field(default_factory=list)
    list_cents: int = 0  # positive lines at list price
    line_discount_cents: int = 0
    quote_discount_cents: int = 0
    discount_cents: int = 0  # line and quote discounts
    credit_cents: int = 0  # trade-in credits (positive number)
    total_cents: int = 0
    cost_cents: int = 0
    margin_cents: int = 0
    margin_pct: Decimal = Decimal(0)  # of the total
    discount_pct: Decimal = Decimal(0)  # of the list price
    deposit_pct: Decimal = Decimal(0)
    deposit_cents: int = 0


def check_deposit(deposit_pct) -> Decimal:
    number = _decimal(deposit_pct, "The deposit")
    if number < 0 or number > HUNDRED:
        raise PricingError("The deposit must be between 0 and 100 percent.")
    return number


def price(lines, discount_kind: str = "none", discount_value=0, deposit_pct=0) -> Priced:
    """Totals of a quote; raises PricingError (with the line number) on any bad figure."""
    deposit = check_deposit(deposit_pct)
    priced: list[PricedLine] = []
    for n, line in enumerate(lines, start=1):
        where = f"Line {n}"
        kind = _get(line, "kind")
        if kind not in LINE_KINDS:
            raise PricingError(f"{where}: a line is a catalog item or a custom line.")
        quantity = _get(line, "quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise PricingError(f"{where}: the quantity must be a whole number, at least 1.")
        unit = _get(line, "unit_price_cents")
        cost = _get(line, "unit_cost_cents", 0) or 0
        if not isinstance(unit, int) or not isinstance(cost, int):
            raise PricingError(f"{where}: prices are whole cents.")
        if kind == "catalog" and unit <= 0:
            raise PricingError(f"{where}: a catalog item must have a price above zero.")
        if cost < 0:
            raise PricingError(f"{where}: a cost cannot be negative.")
        gross = unit * quantity
        line_kind = _get(line, "discount_kind", "none") or "none"
        if gross < 0 and line_kind != "none":
            raise PricingError(f"{where}: a credit line takes no discount.")
        off = discount_of(max(gross, 0), line_kind, _get(line, "discount_value", 0), where)
        net = gross - off
        line_cost = cost * quantity
        margin = net - line_cost
        priced.append(
            PricedLine(
                gross_cents=gross,
                discount_cents=off,
                net_cents=net,
                cost_cents=line_cost,
                margin_cents=margin,
                margin_pct=_pct(margin, net) if net > 0 else Decimal(0),
            )
        )
    list_cents = sum(p.gross_cents for p in priced if p.gross_cents > 0)
    goods = sum(p.net_cents for p in priced if p.gross_cents > 0)
    credit = -sum(p.net_cents for p in priced if p.gross_cents < 0)
    line_discounts = sum(p.discount_cents for p in priced)
    quote_discount = discount_of(goods, discount_kind or "none", discount_value, "The quote")
    total = goods - quote_discount - credit
    if total < 0:
        raise PricingError("The trade-in credit is larger than the rest of the quote.")
    cost_cents = sum(p.cost_cents for p in priced)
    margin = total - cost_cents
    discount = line_discounts + quote_discount
    return Priced(
        lines=priced,
        list_cents=list_cents,
        line_discount_cents=line_discounts,
        quote_discount_cents=quote_discount,
        discount_cents=discount,
        credit_cents=credit,
        total_cents=total,
        cost_cents=cost_cents,
        margin_cents=margin,
        margin_pct=_pct(margin, total) if total > 0 else (Decimal(0) if margin == 0 else -HUNDRED),
        discount_pct=_pct(discount, list_cents),
        deposit_pct=deposit,
        deposit_cents=_round(Decimal(total) * deposit / HUNDRED),
    )


def authority(
    priced: Priced, max_discount_pct, margin_floor_pct, rep_name: str = "the rep"
) -> tuple[bool, str]:
    """Whether a manager must approve before sending, and why (empty when not)."""
    reasons = []
    limit = Decimal(str(max_discount_pct or 0))
    floor = Decimal(str(margin_floor_pct or 0))
    if priced.discount_pct > limit:
        reasons.append(
            f"discount {priced.discount_pct}% is above {rep_name}'s limit of {limit.normalize():f}%"
        )
    if priced.list_cents > 0 and priced.margin_pct < floor:
        reasons.append(
            f"margin {priced.margin_pct}% is below the store's floor of {floor.normalize():f}%"
        )
    reason = "; ".join(reasons)
    return bool(reasons), (reason[:1].upper() + reason[1:] + ".") if reason else ""
