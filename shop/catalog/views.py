"""Category pages, search and product pages."""

from flask import Blueprint, current_app, render_template, request

from shop.cart.forms import AddToCartForm
from shop.catalog.filters import SORTS, parse_filters
from shop.catalog.services import (
    category_facets,
    get_category,
    get_product,
    list_products,
    spec_rows,
    variant_availability,
)
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


@bp.route("/p/<slug>")
def product(slug: str):
    product = get_product(slug)
    who = owner()
    record(ResearchKind.VIEWED, product_id=product.id, **who)
    db.session.commit()
    availability = variant_availability(product.variants)
    active = [v for v in product.variants if v.is_active]
    chosen = parse_id(request.args.get("variant"))
    orderable = [v for v in active if availability[v.id][1] > 0]
    selected = next((v for v in orderable if v.id == chosen), None) or next(iter(orderable), None)
    form = AddToCartForm(variant_id=selected.id if selected else "")
    return render_template(
        "catalog/product.html",
        product=product,
        specs=spec_rows(product),
        variants=active,
        availability=availability,
        selected=selected,
        form=form,
        recently_viewed=recently_viewed(limit=4, exclude=product.id, **who),
    )
