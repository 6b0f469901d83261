"""Quote arithmetic, pure: lines and discounts in, totals, margin, deposit and authority out.

Exact Decimal math on integer cents, rounded half up to the cent once per amount. A line's
discount applies to its gross (unit price x quantity); the quote's discount applies to what is
sold after line discounts (the catalog and custom lines), never to a trade-in credit. Amount
discounts are in major units (dollars), like the form.

Three kinds of line, each judged on its own so that one cannot hide a discount on another:
- catalog: a variant at the catalog's price and cost. The rep's discount authority and the
  store's margin floor are measured on these lines alone (with their share of the quote's
  discount), so a custom line typed with no cost cannot lift the margin and a custom line at
  list price cannot dilute the discount.
- custom: what the catalog does not sell (commissioning, freight). Never negative. Its discount
  is held to the same authority; beyond a set amount, or sold below its typed cost, a manager
  approves.
- trade_in: goods coming in, entered as a credit (a negative price, the appraised value). It
  lowers the total, it is not a discount and does not touch the goods' margin; beyond its own
  set amount a manager approves. (A negative custom line from before trade-ins had a kind of
  their own is read as a trade-in.)
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from shop.errors import DomainError
from shop.money import Money

DISCOUNT_KINDS = ("none", "percent", "amount")
LINE_KINDS = ("catalog", "custom", "trade_in")
KIND_LABELS = {"catalog": "Catalog item", "custom": "Custom line", "trade_in": "Trade-in"}
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
    kind: str = "catalog"  # as judged: a negative custom line is a trade-in
    description: str = ""


@dataclass(frozen=True)
class Priced:
    lines: list[PricedLine] = field(default_factory=list)
    list_cents: int = 0  # catalog and custom lines at list price
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
    # The catalog lines alone, after their line discounts and their share of the quote's
    # discount: what discount authority and the margin floor are measured on.
    goods_list_cents: int = 0
    goods_discount_cents: int = 0
    goods_net_cents: int = 0
    goods_cost_cents: int = 0
    goods_margin_cents: int = 0
    goods_margin_pct: Decimal = Decimal(0)  # of the goods' net
    goods_discount_pct: Decimal = Decimal(0)  # of the goods' list price
    # The custom lines alone, likewise.
    custom_list_cents: int = 0
    custom_discount_cents: int = 0
    custom_net_cents: int = 0
    custom_cost_cents: int = 0
    custom_discount_pct: Decimal = Decimal(0)


def check_deposit(deposit_pct) -> Decimal:
    number = _decimal(deposit_pct, "The deposit")
    if number < 0 or number > HUNDRED:
        raise PricingError("The deposit must be between 0 and 100 percent.")
    return number


def _margin_pct(margin: int, net: int) -> Decimal:
    """Margin as a percentage of what is charged; anything lost on nothing charged is -100 %."""
    if net > 0:
        return _pct(margin, net)
    return Decimal(0) if margin == 0 else -HUNDRED


def _price_line(line, where: str) -> PricedLine:
    kind = _get(line, "kind")
    if kind not in LINE_KINDS:
        raise PricingError(f"{where}: a line is a catalog item, a custom line or a trade-in.")
    quantity = _get(line, "quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise PricingError(f"{where}: the quantity must be a whole number, at least 1.")
    unit = _get(line, "unit_price_cents")
    cost = _get(line, "unit_cost_cents", 0) or 0
    if not isinstance(unit, int) or not isinstance(cost, int):
        raise PricingError(f"{where}: prices are whole cents.")
    if kind == "catalog" and unit <= 0:
        raise PricingError(f"{where}: a catalog item must have a price above zero.")
    if kind == "trade_in" and unit >= 0:
        raise PricingError(f"{where}: a trade-in is a credit: enter its appraised value.")
    if cost < 0:
        raise PricingError(f"{where}: a cost cannot be negative.")
    gross = unit * quantity
    if gross < 0:
        kind = "trade_in"
    line_kind = _get(line, "discount_kind", "none") or "none"
    if kind == "trade_in" and line_kind != "none":
        raise PricingError(f"{where}: a trade-in credit takes no discount.")
    off = discount_of(max(gross, 0), line_kind, _get(line, "discount_value", 0), where)
    net = gross - off
    line_cost = cost * quantity
    margin = net - line_cost
    return PricedLine(
        gross_cents=gross,
        discount_cents=off,
        net_cents=net,
        cost_cents=line_cost,
        margin_cents=margin,
        margin_pct=_pct(margin, net) if net > 0 else Decimal(0),
        kind=kind,
        description=str(_get(line, "description", "") or ""),
    )


def price(lines, discount_kind: str = "none", discount_value=0, deposit_pct=0) -> Priced:
    """Totals of a quote; raises PricingError (with the line number) on any bad figure."""
    deposit = check_deposit(deposit_pct)
    priced = [_price_line(line, f"Line {n}") for n, line in enumerate(lines, start=1)]
    goods = [p for p in priced if p.kind == "catalog"]
    custom = [p for p in priced if p.kind == "custom"]
    sold = goods + custom
    list_cents = sum(p.gross_cents for p in sold)
    sold_net = sum(p.net_cents for p in sold)
    credit = -sum(p.net_cents for p in priced if p.kind == "trade_in")
    line_discounts = sum(p.discount_cents for p in priced)
    quote_discount = discount_of(sold_net, discount_kind or "none", discount_value, "The quote")
    total = sold_net - quote_discount - credit
    if total < 0:
        raise PricingError("The trade-in credit is larger than the rest of the quote.")
    cost_cents = sum(p.cost_cents for p in priced)
    margin = total - cost_cents
    discount = line_discounts + quote_discount
    # The quote's discount falls on the goods and the custom lines in proportion to their net.
    goods_net_before = sum(p.net_cents for p in goods)
    goods_share = (
        _round(Decimal(quote_discount) * goods_net_before / sold_net) if sold_net > 0 else 0
    )
    goods_list = sum(p.gross_cents for p in goods)
    goods_discount = sum(p.discount_cents for p in goods) + goods_share
    goods_net = goods_list - goods_discount
    goods_cost = sum(p.cost_cents for p in goods)
    custom_list = sum(p.gross_cents for p in custom)
    custom_discount = sum(p.discount_cents for p in custom) + quote_discount - goods_share
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
        margin_pct=_margin_pct(margin, total),
        discount_pct=_pct(discount, list_cents),
        deposit_pct=deposit,
        deposit_cents=_round(Decimal(total) * deposit / HUNDRED),
        goods_list_cents=goods_list,
        goods_discount_cents=goods_discount,
        goods_net_cents=goods_net,
        goods_cost_cents=goods_cost,
        goods_margin_cents=goods_net - goods_cost,
        goods_margin_pct=_margin_pct(goods_net - goods_cost, goods_net),
        goods_discount_pct=_pct(goods_discount, goods_list),
        custom_list_cents=custom_list,
        custom_discount_cents=custom_discount,
        custom_net_cents=custom_list - custom_discount,
        custom_cost_cents=sum(p.cost_cents for p in custom),
        custom_discount_pct=_pct(custom_discount, custom_list),
    )


def _quoted(text: str) -> str:
    """A line's description, short, in quotes after a space (nothing when there is none)."""
    text = " ".join(text.split())
    if not text:
        return ""
    return f" “{text[:40]}…”" if len(text) > 40 else f" “{text}”"


def authority(
    priced: Priced,
    max_discount_pct,
    margin_floor_pct,
    rep_name: str = "the rep",
    *,
    custom_above_cents: int | None = None,
    trade_in_above_cents: int | None = None,
    more: tuple[str, ...] | list[str] = (),
) -> tuple[bool, str]:
    """Whether a manager must approve before sending, and why (empty when not).

    Each kind of line is judged on its own: the discount and the margin of the catalog goods,
    the discount, the amount and the costs of the custom lines, the amount of the trade-ins.
    `more` adds reasons found elsewhere (a custom line that names a catalog item).
    """
    reasons = []
    limit = Decimal(str(max_discount_pct or 0))
    floor = Decimal(str(margin_floor_pct or 0))
    shown_limit = f"{limit.normalize():f}%"
    if priced.goods_discount_pct > limit:
        where = " on the catalog items" if priced.custom_list_cents else ""
        reasons.append(
            f"discount {priced.goods_discount_pct}%{where} is above {rep_name}'s limit of "
            f"{shown_limit}"
        )
    if priced.custom_discount_pct > limit:
        reasons.append(
            f"discount {priced.custom_discount_pct}% on the custom lines is above {rep_name}'s "
            f"limit of {shown_limit}"
        )
    if priced.goods_list_cents > 0 and priced.goods_margin_pct < floor:
        where = " on the catalog items" if priced.custom_list_cents or priced.credit_cents else ""
        reasons.append(
            f"margin {priced.goods_margin_pct}%{where} is below the store's floor of "
            f"{floor.normalize():f}%"
        )
    for n, line in enumerate(priced.lines, start=1):
        if line.kind == "custom" and line.net_cents < line.cost_cents:
            reasons.append(f"custom line {n}{_quoted(line.description)} is priced below its cost")
    if custom_above_cents is not None and priced.custom_list_cents > custom_above_cents:
        reasons.append(
            f"custom lines come to {Money(priced.custom_list_cents)}, above the "
            f"{Money(custom_above_cents)} a rep may quote without a manager"
        )
    if trade_in_above_cents is not None and priced.credit_cents > trade_in_above_cents:
        reasons.append(
            f"trade-in credit of {Money(priced.credit_cents)} is above the "
            f"{Money(trade_in_above_cents)} a rep may allow without a manager"
        )
    reasons.extend(more)
    reason = "; ".join(reasons)
    return bool(reasons), (reason[:1].upper() + reason[1:] + ".") if reason else ""
