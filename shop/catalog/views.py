"""Category pages, search and product pages."""

from dataclasses import dataclass
from functools import partial

from flask import Blueprint, current_app, get_template_attribute, render_template, request
from markupsafe import Markup

from shop.catalog.cache import cached
from shop.catalog.filters import SORTS, parse_filters
from shop.catalog.services import (
    ProductInfo,
    category_facets,
    get_category,
    get_product,
    list_products,
    product_info,
    spec_rows,
    variant_availability,
)
from shop.errors import NotFound
from shop.extensions import db
from shop.research.models import ResearchKind
from shop.research.services import recently_viewed, record
from shop.web import owner, parse_id

bp = Blueprint("catalog", __name__)


@bp.route("/c/<slug>")
def category(slug: str):
    category = get_category(slug)
    filters = parse_filters(request.args, category.attributes)
    page = list_products(filters, current_app.config["PRODUCTS_PER_PAGE"], category=category)
    return render_template(
        "catalog/category.html",
        category=category,
        filters=filters,
        page=page,
        facets=category_facets(category),
        sorts=SORTS,
    )


@bp.route("/search")
def search():
    filters = parse_filters(request.args)
    page = list_products(filters, current_app.config["PRODUCTS_PER_PAGE"])
    if filters.query and filters.page == 1:
        record(ResearchKind.SEARCHED, query=filters.query, **owner())
        db.session.commit()
    return render_template("catalog/search.html", filters=filters, page=page, sorts=SORTS)


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
def product(slug: str):
    page = product_page(slug)
    product = page.product
    who = owner()
    record(ResearchKind.VIEWED, product_id=product.id, **who)
    db.session.commit()
    active = [v for v in product.variants if v.is_active]
    availability = variant_availability(active)
    chosen = parse_id(request.args.get("variant"))
    orderable = [v for v in active if availability[v.id][1] > 0]
    selected = next((v for v in orderable if v.id == chosen), None) or next(iter(orderable), None)
    return render_template(
        "catalog/product.html",
        page=page,
        product=product,
        variants=active,
        availability=availability,
        selected=selected,
        recently_viewed=recently_viewed(limit=4, exclude=product.id, **who),
    )
