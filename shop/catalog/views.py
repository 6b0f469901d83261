"""Category pages, search and product pages."""

from dataclasses import dataclass
from functools import partial

from flask import Blueprint, current_app, g, get_template_attribute, request, session
from markupsafe import Markup

from shop.cart.forms import refused_quantity
from shop.catalog.cache import cached, cached_many
from shop.catalog.filters import SORTS, parse_filters
from shop.catalog.http_cache import not_modified, render_page, shared, shared_page
from shop.catalog.services import (
    ProductInfo,
    card_stock,
    category_facets,
    get_category,
    get_product,
    list_products,
    load_products,
    product_info,
    product_stock,
    spec_rows,
    variant_availability,
)
from shop.errors import NotFound
from shop.research.models import ResearchKind
from shop.research.services import recently_viewed_ids
from shop.research.trail import note
from shop.unit_of_work import writes
from shop.web import is_new_visitor, owner, parse_id

bp = Blueprint("catalog", __name__)


def product_cards(ids: list[int], show_category: bool = False) -> list[Markup]:
    """Rendered cards for these products, in order; inactive or unknown ids are left out.

    A card is rendered once per product, catalog generation and stock state, then kept in the
    catalog cache: a page of cards costs one query (the stock) when they are all cached.
    """
    stock = cards_stock(ids)
    keys = [("card", i, show_category, stock[i]) for i in ids]

    def build(missing: list) -> dict:
        card = get_template_attribute("macros/catalog.html", "product_card")
        products = {p.id: p for p in load_products([key[1] for key in missing])}
        return {
            key: card(products[key[1]], show_category=show_category, stock=key[3])
            for key in missing
            if key[1] in products
        }

    found = cached_many(keys, build)
    return [found[key] for key in keys if found[key] is not None]


def cards_stock(ids) -> dict:
    """The cards' stock states, read once per request for a given list of ids: a shared page's
    validator covers the stock its cards show."""
    ids = tuple(ids)
    memo = g.setdefault("cards_stock", {})
    if ids not in memo:
        memo[ids] = card_stock(list(ids))
    return memo[ids]


def _stock_key(ids) -> tuple:
    stock = cards_stock(ids)
    return tuple(stock[i] for i in ids)


@bp.app_context_processor
def _card_helpers():
    return {"product_cards": product_cards}


@bp.route("/c/<slug>")
@shared_page
def category(slug: str):
    category = get_category(slug)
    filters = parse_filters(request.args, category.attributes)
    page = list_products(filters, current_app.config["PRODUCTS_PER_PAGE"], category=category)
    unchanged = not_modified(page, _stock_key(page.items))
    if unchanged:
        return unchanged
    return render_page(
        "catalog/category.html",
        category=category,
        filters=filters,
        page=page,
        facets=category_facets(category, filters),
        sorts=SORTS,
    )


@bp.route("/search")
@writes  # the query goes on the visitor's research trail
@shared_page
def search():
    filters = parse_filters(request.args)
    page = list_products(filters, current_app.config["PRODUCTS_PER_PAGE"])
    unchanged = not_modified(page, _stock_key(page.items))
    if unchanged:
        return unchanged
    if filters.query and filters.page == 1:
        note(ResearchKind.SEARCHED, query=filters.query)
    return render_page("catalog/search.html", filters=filters, page=page, sorts=SORTS)


@dataclass(frozen=True)
class ProductPage:
    """A product page's visitor-independent part: the product's data and rendered fragments."""

    product: ProductInfo
    gallery: Markup
    details: Markup
    about: Markup


def product_page(slug: str) -> ProductPage:
    """From the catalog cache: the ORM load, the spec formatting and most of the rendering
    happen once per product and catalog generation, not on every view."""

    def build() -> ProductPage | None:
        try:
            product = get_product(slug)
        except NotFound:
            return None
        macro = partial(get_template_attribute, "catalog/_product_static.html")
        return ProductPage(
            product=product_info(product),
            gallery=macro("gallery")(product),
            details=macro("details")(product),
            about=macro("about")(product, spec_rows(product)),
        )

    page = cached(("product_page", slug), build)
    if page is None:
        raise NotFound("No such product.")
    return page


@bp.route("/p/<slug>")
@writes  # the view goes on the visitor's research trail
@shared_page
def product(slug: str):
    stock = product_stock(slug)  # first: it reads the catalog generation too
    page = product_page(slug)
    product = page.product
    active = [v for v in product.variants if v.is_active]
    availability = variant_availability(active, stock)
    shown = tuple(sorted(availability.items()))
    unchanged = not_modified(shown)
    if unchanged:
        return unchanged
    note(ResearchKind.VIEWED, product_id=product.id)
    # A refused add to cart comes back to the variant it was for, with what was typed.
    refused = refused_quantity(session, {v.id for v in active})
    chosen = refused[0] if refused else parse_id(request.args.get("variant"))
    orderable = [v for v in active if availability[v.id][1] > 0]
    selected = next((v for v in orderable if v.id == chosen), None) or next(iter(orderable), None)
    return render_page(
        "catalog/product.html",
        page=page,
        product=product,
        variants=active,
        availability=availability,
        selected=selected,
        typed_quantity=refused[1] if refused else None,
        recently_viewed=[]
        if shared() or is_new_visitor()
        else recently_viewed_ids(limit=4, exclude=product.id, **owner()),
    )
