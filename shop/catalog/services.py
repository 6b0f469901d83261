"""Catalog rules: listing with filters and search, product pages, compare, upkeep of products."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from math import ceil
from typing import NamedTuple

import sqlalchemy as sa
from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy.orm import aliased, joinedload, selectinload

from shop.catalog.cache import cached, cached_many, note_generation
from shop.catalog.filters import ProductFilter
from shop.catalog.models import (
    CatalogGeneration,
    Category,
    DeliveryMethod,
    DeliveryOption,
    Product,
    ProductImage,
    ProductSpec,
    SpecAttribute,
    SpecKind,
    Variant,
)
from shop.catalog.stock import (
    Availability,
    availability,
    availability_from,
    held_units,
    listed_ids,
)
from shop.db import utcnow
from shop.errors import NotFound
from shop.extensions import db

LOCALE = "en_US"


@dataclass(frozen=True)
class AttributeInfo:
    """A spec attribute as pages and filters read it (a copy, safe to keep between requests)."""

    id: int
    code: str
    label: str
    kind: str
    unit: str
    decimals: int
    filterable: bool
    position: int


@dataclass(frozen=True)
class CategoryInfo:
    """A category as pages read it (a copy, safe to keep between requests)."""

    id: int
    slug: str
    name: str
    tagline: str
    description: str
    image_path: str | None
    attributes: tuple[AttributeInfo, ...] = ()


def _category_info(category: Category, attributes=()) -> CategoryInfo:
    return CategoryInfo(
        category.id,
        category.slug,
        category.name,
        category.tagline,
        category.description,
        category.image_path,
        tuple(
            AttributeInfo(
                a.id, a.code, a.label, a.kind, a.unit, a.decimals, a.filterable, a.position
            )
            for a in attributes
        ),
    )


def nav_categories() -> list[CategoryInfo]:
    """The categories in menu order; from the catalog cache."""

    def build() -> list[CategoryInfo]:
        stmt = sa.select(Category).order_by(Category.position, Category.name)
        return [_category_info(c) for c in db.session.scalars(stmt)]

    return cached("nav_categories", build)


def get_category(slug: str) -> CategoryInfo:
    """A category with its spec attributes in order; from the catalog cache."""

    def build() -> CategoryInfo | None:
        category = db.session.scalar(
            sa.select(Category)
            .where(Category.slug == slug)
            .options(selectinload(Category.attributes))
        )
        return None if category is None else _category_info(category, category.attributes)

    info = cached(("category", slug), build)
    if info is None:
        raise NotFound("No such category.")
    return info


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(stmt, filters: ProductFilter):
    return stmt.where(*_conditions(filters))


def _conditions(filters: ProductFilter, choices: bool = True) -> list:
    """What a product must meet to match the filters (its own choices left out if asked)."""
    conditions = []
    for term in filters.terms:
        conditions.append(Product.search_text.like(_like(term), escape="\\"))
    if filters.price_min_cents is not None:
        conditions.append(Product.price_from_cents >= filters.price_min_cents)
    if filters.price_max_cents is not None:
        conditions.append(Product.price_from_cents <= filters.price_max_cents)
    for rng in filters.ranges:
        column = ProductSpec.value_num if rng.numeric else ProductSpec.value_text
        spec = [
            ProductSpec.product_id == Product.id,
            ProductSpec.attribute_id == rng.attribute_id,
        ]
        if rng.low is not None:
            spec.append(column >= rng.low)
        if rng.high is not None:
            spec.append(column <= rng.high)
        conditions.append(sa.exists().where(*spec))
    for attribute_id, values in filters.choices.items() if choices else ():
        conditions.append(_has_choice(attribute_id, values))
    return conditions


def _has_choice(attribute_id: int, values: list[str]):
    return sa.exists().where(
        ProductSpec.product_id == Product.id,
        ProductSpec.attribute_id == attribute_id,
        ProductSpec.value_text.in_(values),
    )


def _sorted(stmt, sort: str):
    order = {
        "price_asc": (Product.price_from_cents.asc(), Product.id.asc()),
        "price_desc": (Product.price_from_cents.desc(), Product.id.desc()),
        "name": (Product.name.asc(), Product.id.asc()),
    }.get(sort, (Product.created_at.desc(), Product.id.desc()))
    return stmt.order_by(*order)


@dataclass(frozen=True)
class ProductPage:
    """One page of products, with a total counted only up to `COUNT_CAP`.

    Counting every match of a broad filter over a large catalog costs as much as reading them
    all, on every page view; past the cap the page says "240+ products", offers the pages up to
    the cap, and "Next" for as long as pages come back full.
    """

    items: tuple[int, ...]  # product ids, in order
    page: int
    per_page: int
    total: int
    capped: bool

    def __iter__(self):
        return iter(self.items)

    @property
    def pages(self) -> int:
        counted = ceil(self.total / self.per_page)
        return max(counted, self.page) if self.items else counted

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        more = self.capped and len(self.items) == self.per_page
        return self.page < self.pages or more

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def total_label(self) -> str:
        if self.capped:
            return f"{self.total:,}+ products"
        return f"{self.total:,} {'product' if self.total == 1 else 'products'}"

    def iter_pages(self, left_edge=1, left_current=2, right_current=3, right_edge=1):
        """Page numbers for the pagination bar, None where some are skipped."""
        last = self.pages
        shown = [
            n
            for n in range(1, last + 1)
            if n <= left_edge
            or self.page - left_current <= n <= self.page + right_current
            or n > last - right_edge
        ]
        previous = 0
        for n in shown:
            if n != previous + 1:
                yield None
            yield n
            previous = n


COUNT_CAP = 240  # twenty pages of twelve


def list_products(
    filters: ProductFilter, per_page: int, category: CategoryInfo | None = None
) -> ProductPage:
    """One page of active product ids matching the filters, and their count up to a cap.

    From the catalog cache: what a list holds depends only on catalog data (never on stock),
    so a page already asked for under this catalog generation costs no query.
    """
    per_page = max(1, min(per_page, 60))
    key = (
        "list",
        category.id if category is not None else None,
        tuple(filters.terms),
        filters.price_min_cents,
        filters.price_max_cents,
        tuple((r.attribute_id, r.numeric, r.low, r.high) for r in filters.ranges),
        tuple(sorted((k, tuple(v)) for k, v in filters.choices.items())),
        filters.sort,
        filters.page,
        per_page,
    )
    return cached(key, lambda: _list_products(filters, per_page, category))


def _list_products(filters: ProductFilter, per_page: int, category: CategoryInfo | None):
    stmt = sa.select(Product.id).where(Product.is_active.is_(True))
    if category is not None:
        stmt = stmt.where(Product.category_id == category.id)
    stmt = _filtered(stmt, filters)
    items = list(
        db.session.scalars(
            _sorted(stmt, filters.sort).limit(per_page).offset((filters.page - 1) * per_page)
        )
    )
    matches = stmt.limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(matches))
    capped = total > COUNT_CAP
    return ProductPage(tuple(items), filters.page, per_page, min(total, COUNT_CAP), capped)


@dataclass
class Facets:
    """What a category's filter panel offers: value counts for choices, bounds for ranges."""

    choices: dict[int, list[tuple[str, int]]]
    bounds: dict[int, tuple[object, object]]
    price_bounds: tuple[int, int] | None


def category_facets(category: CategoryInfo, filters: ProductFilter | None = None) -> Facets:
    """Filter options for a category under the chosen filters; from the catalog cache.

    Each choice's counts follow every other chosen filter but not its own: "Wood (1)" is what
    ticking Wood would show, with the other ticks and ranges kept. The bounds are the
    category's own (they only suggest what to type). Two grouped queries for the bounds, once
    per category, and one for the counts, once per set of filters.
    """
    filters = filters or ProductFilter()
    bounds, price_bounds = cached(("facet_bounds", category.id), lambda: _facet_bounds(category))
    key = ("facet_counts", category.id, _narrowing_key(filters))
    choices = cached(key, lambda: _count_choices(category, filters))
    return Facets(choices=choices, bounds=bounds, price_bounds=price_bounds)


def _narrowing_key(filters: ProductFilter) -> tuple:
    """What in the filters narrows the results (not the sort, not the page)."""
    return (
        tuple(filters.terms),
        filters.price_min_cents,
        filters.price_max_cents,
        tuple((r.attribute_id, r.numeric, r.low, r.high) for r in filters.ranges),
        tuple(sorted((k, tuple(v)) for k, v in filters.choices.items())),
    )


def _count_choices(category: CategoryInfo, filters: ProductFilter) -> dict:
    """Every value of each choice attribute, with the number of products it would give.

    One query: a spec row counts when its product matches the search, price and ranges, and
    each chosen choice filter of another attribute (a row of the chosen attribute itself is
    not held to its own choice). Values that would give nothing come back with 0.
    """
    choice_ids = [a.id for a in category.attributes if a.kind == SpecKind.CHOICE]
    if not choice_ids:
        return {}
    # The spec row being counted is an alias: the filters' EXISTS over product_specs then
    # correlate to the product only, never to that row.
    own = aliased(ProductSpec)
    conditions = _conditions(filters, choices=False)
    for attribute_id, values in filters.choices.items():
        conditions.append(
            sa.or_(own.attribute_id == attribute_id, _has_choice(attribute_id, values))
        )
    matches = sa.and_(*conditions) if conditions else sa.true()
    rows = db.session.execute(
        sa.select(own.attribute_id, own.value_text, sa.func.sum(sa.case((matches, 1), else_=0)))
        .join(
            Product,
            sa.and_(
                Product.id == own.product_id,
                Product.is_active.is_(True),
                Product.category_id == category.id,
            ),
        )
        .where(own.attribute_id.in_(choice_ids))
        .group_by(own.attribute_id, own.value_text)
        .order_by(own.value_text)
    )
    choices: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for attribute_id, value, count in rows:
        choices[attribute_id].append((value, int(count or 0)))
    return dict(choices)


def _facet_bounds(category: CategoryInfo) -> tuple[dict, tuple[int, int] | None]:
    # Read the specs by attribute (ix_product_specs_attr_*), never the whole spec table.
    range_ids = [a.id for a in category.attributes if a.kind in (SpecKind.NUMBER, SpecKind.DATE)]
    active = sa.and_(
        Product.id == ProductSpec.product_id,
        Product.is_active.is_(True),
        Product.category_id == category.id,
    )
    bounds = {}
    if range_ids:
        rows = db.session.execute(
            sa.select(
                ProductSpec.attribute_id,
                sa.func.min(ProductSpec.value_num),
                sa.func.max(ProductSpec.value_num),
                sa.func.min(ProductSpec.value_text),
                sa.func.max(ProductSpec.value_text),
            )
            .join(Product, active)
            .where(ProductSpec.attribute_id.in_(range_ids))
            .group_by(ProductSpec.attribute_id)
        )
        for attribute_id, nmin, nmax, tmin, tmax in rows:
            bounds[attribute_id] = (nmin, nmax) if nmin is not None else (tmin, tmax)

    low, high = db.session.execute(
        sa.select(
            sa.func.min(Product.price_from_cents), sa.func.max(Product.price_from_cents)
        ).where(Product.category_id == category.id, Product.is_active.is_(True))
    ).one()
    return bounds, ((low, high) if low is not None else None)


def get_product(slug: str) -> Product:
    """An active product with everything its page shows, in a fixed number of queries."""
    product = db.session.scalar(
        sa.select(Product)
        .where(Product.slug == slug, Product.is_active.is_(True))
        .options(
            joinedload(Product.category),
            selectinload(Product.variants),
            selectinload(Product.specs).joinedload(ProductSpec.attribute),
            selectinload(Product.images),
            selectinload(Product.documents),
            selectinload(Product.delivery_options),
        )
    )
    if product is None:
        raise NotFound("No such product.")
    return product


@dataclass(frozen=True)
class VariantInfo:
    """A variant as the product page reads it (a copy, safe to keep between requests)."""

    id: int
    sku: str
    name: str
    price_cents: int
    is_active: bool
    made_to_order: bool
    build_weeks: int
    delivery_weeks_min: int
    delivery_weeks_max: int
    stock_location: str


@dataclass(frozen=True)
class ProductInfo:
    """What a product page shows of a product, besides its cached fragments."""

    id: int
    slug: str
    name: str
    brand: str
    summary: str
    category: CategoryInfo
    variants: tuple[VariantInfo, ...]


def product_info(product: Product) -> ProductInfo:
    return ProductInfo(
        product.id,
        product.slug,
        product.name,
        product.brand,
        product.summary,
        _category_info(product.category),
        tuple(
            VariantInfo(
                v.id,
                v.sku,
                v.name,
                v.price_cents,
                v.is_active,
                v.made_to_order,
                v.build_weeks,
                v.delivery_weeks_min,
                v.delivery_weeks_max,
                v.stock_location,
            )
            for v in product.variants
        ),
    )


class CardStock:
    """What a product card says about stock; the only part of a card that moves with orders."""

    IN_STOCK = "in_stock"
    MADE_TO_ORDER = "made_to_order"
    SOLD_OUT = "sold_out"


def card_stock(ids: list[int]) -> dict[int, str]:
    """For each product id: in stock (an active variant has units), made to order, or sold out;
    one query."""
    if not ids:
        return {}
    rows = db.session.execute(_CARD_STOCK, {"ids": list(ids)})
    out = dict.fromkeys(ids, CardStock.SOLD_OUT)
    for product_id, has_stock, made_to_order in rows:
        if has_stock:
            out[product_id] = CardStock.IN_STOCK
        elif made_to_order:
            out[product_id] = CardStock.MADE_TO_ORDER
    return out


_IN_STOCK = sa.and_(Variant.is_active.is_(True), Variant.stock_on_hand > 0)
# Built once, with a bound list of ids: every list page runs it.
_CARD_STOCK = (
    sa.select(
        Variant.product_id,
        sa.func.max(sa.case((_IN_STOCK, 1), else_=0)),
        sa.func.max(sa.case((Variant.made_to_order.is_(True), 1), else_=0)),
    )
    .where(listed_ids(Variant.product_id))
    .group_by(Variant.product_id)
)


class VariantLabel(NamedTuple):
    """What a cart line shows of its variant: catalog data, the same for every buyer."""

    sku: str
    variant_name: str
    price_cents: int
    product_name: str
    product_slug: str
    image_path: str | None


def variant_labels(variant_ids: list[int]) -> dict[int, VariantLabel]:
    """Each variant's label, kept per catalog generation (a new price is a new generation, so a
    cart never shows an old one); the missing ones are read in one query.

    The labels of the same list of variants (a cart seen again) are kept together too, in a
    store of their own: one look-up, where a look-up per variant cost a 30-line cart page 30 µs.
    """
    return cached(
        ("variant-labels", tuple(variant_ids)),
        lambda: _labels_each(variant_ids),
        store="variant_labels",
    )


def _labels_each(variant_ids: list[int]) -> dict[int, VariantLabel]:
    def build(keys: list) -> dict:
        rows = db.session.execute(_VARIANT_LABELS, {"ids": [key[1] for key in keys]})
        return {("variant-label", row[0]): VariantLabel(*row[1:]) for row in rows}

    found = cached_many([("variant-label", vid) for vid in variant_ids], build)
    return {key[1]: label for key, label in found.items() if label is not None}


_FIRST_IMAGE = (
    sa.select(ProductImage.path)
    .where(ProductImage.product_id == Product.id)
    .order_by(ProductImage.position, ProductImage.id)
    .limit(1)
    .correlate(Product)
    .scalar_subquery()
)
_VARIANT_LABELS = (
    sa.select(
        Variant.id,
        Variant.sku,
        Variant.name,
        Variant.price_cents,
        Product.name,
        Product.slug,
        _FIRST_IMAGE,
    )
    .join(Product, Product.id == Variant.product_id)
    .where(listed_ids(Variant.id))
)


def load_products(ids: list[int], with_specs: bool = False) -> list[Product]:
    """Products by id, in the order given, with their variants and images (and specs)."""
    if not ids:
        return []
    options = [
        joinedload(Product.category),
        selectinload(Product.variants),
        selectinload(Product.images),
    ]
    if with_specs:
        options.append(selectinload(Product.specs).joinedload(ProductSpec.attribute))
    products = db.session.scalars(
        sa.select(Product).where(Product.id.in_(ids), Product.is_active.is_(True)).options(*options)
    ).all()
    by_id = {p.id: p for p in products}
    return [by_id[i] for i in ids if i in by_id]


def format_spec(spec: ProductSpec) -> str:
    """A spec value as a buyer reads it: "42.5 ft", "Polished ebony", "June 3, 2027"."""
    attribute = spec.attribute
    if attribute.kind == SpecKind.NUMBER and spec.value_num is not None:
        pattern = "#,##0" + ("." + "0" * attribute.decimals if attribute.decimals else "")
        number = format_decimal(spec.value_num, format=pattern, locale=LOCALE)
        return f"{number} {attribute.unit}".strip()
    if attribute.kind == SpecKind.DATE and spec.value_text:
        try:
            return format_date(date.fromisoformat(spec.value_text), "medium", locale=LOCALE)
        except ValueError:
            return spec.value_text
    return spec.value_text or ""


def spec_rows(product: Product) -> list[tuple[SpecAttribute, str]]:
    """The product's specs in the category's order, formatted."""
    specs = sorted(product.specs, key=lambda s: (s.attribute.position, s.attribute.id))
    return [(s.attribute, format_spec(s)) for s in specs]


@dataclass
class CompareRow:
    label: str
    values: list[str]
    differs: bool


def compare_rows(products: list[Product]) -> list[CompareRow]:
    """Side-by-side rows over the union of the products' spec attributes, differences marked."""
    by_product = [
        {s.attribute.label: (s.attribute, format_spec(s)) for s in p.specs} for p in products
    ]
    labels: dict[str, tuple[int, int]] = {}
    for specs in by_product:
        for label, (attribute, _) in specs.items():
            labels.setdefault(label, (attribute.position, attribute.id))
    rows = [
        CompareRow(
            "Price from",
            [p.price_from.format(whole=True) for p in products],
            len({p.price_from_cents for p in products}) > 1,
        ),
        CompareRow(
            "Category",
            [p.category.name for p in products],
            len({p.category_id for p in products}) > 1,
        ),
    ]
    for label in sorted(labels, key=lambda name: labels[name]):
        values = [specs.get(label, (None, "—"))[1] for specs in by_product]
        rows.append(CompareRow(label, values, len(set(values)) > 1))
    return rows


def delivery_promise(variant: Variant, in_stock: int) -> str:
    """An honest sentence about when this variant can reach the buyer."""
    if in_stock > 0:
        where = f" at the {variant.stock_location}" if variant.stock_location else ""
        low, high = variant.delivery_weeks_min, variant.delivery_weeks_max
        weeks = (
            f"{low} week"
            if low == high == 1
            else (f"{low} weeks" if low == high else f"{low}-{high} weeks")
        )
        return f"In stock{where}, delivery in {weeks}"
    if variant.made_to_order:
        return f"Made to order, {variant.build_weeks} weeks"
    return "Sold out: ask a specialist about the next availability"


def delivery_lead_weeks(variant: Variant, in_stock: int, option: DeliveryOption) -> tuple[int, int]:
    """The (min, max) weeks until the variant can be with the buyer by this delivery option.

    Follows the cases of `delivery_promise`; the option's `extra_weeks` is added to both bounds:
    - nothing to ship (method `none`, an expedition's documents by email): (0, 0), whatever
      the stock;
    - in stock (`in_stock > 0`): the variant's delivery_weeks_min and delivery_weeks_max;
    - made to order (and none in stock): build_weeks for both min and max, no range, the same
      figure as the promise "Made to order, N weeks";
    - sold out and not made to order: the in-stock figures, i.e. the lead time once it is back;
      such a variant cannot be ordered, so callers should not need this case.
    Pure: reads only its arguments, runs no query.
    """
    if option.method == DeliveryMethod.NONE:
        return 0, 0
    extra = option.extra_weeks
    if in_stock <= 0 and variant.made_to_order:
        return variant.build_weeks + extra, variant.build_weeks + extra
    return variant.delivery_weeks_min + extra, variant.delivery_weeks_max + extra


class _Agreed(NamedTuple):
    """A delivery "as agreed" (a quote's lines): no option of the catalog, no extra weeks."""

    method: str = DeliveryMethod.AS_AGREED.value
    extra_weeks: int = 0


def lead_weeks(items: dict[int, int], exclude_holder: str | None = None) -> dict[int, int]:
    """The fewest weeks until each variant (id -> units wanted) can be with the buyer, as the
    catalog promises it now (`delivery_lead_weeks`, no delivery option): in stock for all the
    units, its stock location's lead time; otherwise, when made to order, its build time.
    `exclude_holder`: units that holder already holds count as in stock (a quote's own hold).
    Two queries whatever the number of variants."""
    if not items:
        return {}
    found = availability(list(items), exclude_holder=exclude_holder)
    variants = db.session.execute(
        sa.select(
            Variant.id,
            Variant.made_to_order,
            Variant.build_weeks,
            Variant.delivery_weeks_min,
            Variant.delivery_weeks_max,
        ).where(Variant.id.in_(list(items)))
    )
    out = {}
    for row in variants:
        in_stock = found[row.id].in_stock if row.id in found else 0
        wanted = items[row.id]
        out[row.id] = delivery_lead_weeks(row, in_stock if in_stock >= wanted else 0, _Agreed())[0]
    return out


def variant_availability(
    variants: list[Variant] | list[VariantInfo], found: dict[int, Availability] | None = None
) -> dict[int, tuple[int, int, str]]:
    """For each variant: units in stock, units a buyer may order now, the delivery promise.
    `found`: their availability, when the caller has read it already."""
    if found is None:
        found = availability([v.id for v in variants])
    out = {}
    for v in variants:
        a = found.get(v.id)
        in_stock, orderable = (a.in_stock, a.orderable) if a else (0, 0)
        out[v.id] = (in_stock, orderable, delivery_promise(v, in_stock))
    return out


def product_stock(slug: str) -> dict[int, Availability] | None:
    """The availability of the variants of the product at `slug`, read together with the
    catalog generation the request then uses (one round trip where a product page took two).
    None when the generation row is missing (a test emptied it): the caller reads apart."""
    rows = db.session.execute(_PRODUCT_STOCK, {"slug": slug, "now": utcnow()}).all()
    if not rows:
        return None
    note_generation(rows[0][0])
    return availability_from(row[1:] for row in rows if row[1] is not None)


# Built once: the product page runs it on every view.
_PRODUCT_STOCK = (
    sa.select(
        CatalogGeneration.value,
        Variant.id,
        Variant.stock_on_hand,
        Variant.made_to_order,
        Variant.is_active,
        held_units(),
    )
    .select_from(CatalogGeneration)
    .outerjoin(Product, Product.slug == sa.bindparam("slug"))
    .outerjoin(Variant, Variant.product_id == Product.id)
    .where(CatalogGeneration.id == 1)
)


def refresh_product(product: Product) -> None:
    """Recompute the from-price and search text after the product, its specs or variants change."""
    variants = [v for v in product.variants if v.is_active]
    product.price_from_cents = min((v.price_cents for v in variants), default=0)
    parts = [
        product.name,
        product.brand,
        product.summary,
        product.description,
        product.category.name,
    ]
    parts += [v.name for v in variants] + [v.sku for v in variants]
    parts += [format_spec(s) for s in product.specs]
    product.search_text = " ".join(p for p in parts if p).lower()
