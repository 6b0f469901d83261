"""Reading the filters, search and sort of a product list from a URL's query string.

Everything a list shows is in the URL, so a result can be bookmarked and shared. Values that
cannot be read are dropped and reported, never turned into an error page.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from shop.catalog.models import SpecAttribute, SpecKind
from shop.web import page_arg

SORTS = {
    "newest": "Newest first",
    "price_asc": "Price: low to high",
    "price_desc": "Price: high to low",
    "name": "Name A-Z",
}
DEFAULT_SORT = "newest"
MAX_QUERY_LENGTH = 100
MAX_TERMS = 8


@dataclass
class RangeFilter:
    attribute_id: int
    numeric: bool
    low: Decimal | str | None = None
    high: Decimal | str | None = None


@dataclass
class ProductFilter:
    """What a product list was asked to show."""

    query: str = ""
    price_min_cents: int | None = None
    price_max_cents: int | None = None
    ranges: list[RangeFilter] = field(default_factory=list)
    choices: dict[int, list[str]] = field(default_factory=dict)
    sort: str = DEFAULT_SORT
    page: int = 1
    ignored: list[str] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        return [t for t in self.query.lower().split() if t][:MAX_TERMS]

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.query
            or self.price_min_cents is not None
            or self.price_max_cents is not None
            or self.ranges
            or self.choices
        )


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "").strip())
    except (InvalidOperation, AttributeError):
        return None
    if not value.is_finite() or abs(value) > Decimal("1e12"):
        return None
    return value


def _iso_date(text: str) -> str | None:
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        return None


def _dollars_to_cents(text: str) -> int | None:
    value = _decimal(text)
    if value is None or value < 0:
        return None
    return int(value * 100)


def parse_filters(args, attributes: list[SpecAttribute] = ()) -> ProductFilter:
    """Build a ProductFilter from request args (a MultiDict); unreadable values are ignored."""
    result = ProductFilter()
    result.query = " ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH]

    for name, target in (("price_min", "price_min_cents"), ("price_max", "price_max_cents")):
        raw = (args.get(name) or "").strip()
        if raw:
            cents = _dollars_to_cents(raw)
            if cents is None:
                result.ignored.append(f"{name.replace('_', ' ')} “{raw[:20]}”")
            else:
                setattr(result, target, cents)

    for attribute in attributes:
        if not attribute.filterable:
            continue
        if attribute.kind == SpecKind.CHOICE:
            values = [v.strip()[:200] for v in args.getlist(attribute.code) if v.strip()]
            if values:
                result.choices[attribute.id] = sorted(set(values))[:50]
        elif attribute.kind in (SpecKind.NUMBER, SpecKind.DATE):
            read = _decimal if attribute.kind == SpecKind.NUMBER else _iso_date
            bounds = {}
            for end in ("min", "max"):
                raw = (args.get(f"{attribute.code}_{end}") or "").strip()
                if not raw:
                    continue
                value = read(raw)
                if value is None:
                    result.ignored.append(f"{attribute.label} {end} “{raw[:20]}”")
                else:
                    bounds[end] = value
            if bounds:
                result.ranges.append(
                    RangeFilter(
                        attribute.id,
                        attribute.kind == SpecKind.NUMBER,
                        bounds.get("min"),
                        bounds.get("max"),
                    )
                )

    sort = args.get("sort") or DEFAULT_SORT
    result.sort = sort if sort in SORTS else DEFAULT_SORT
    result.page = page_arg(args.get("page"))
    return result
