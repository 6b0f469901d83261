"""Every model, imported in one place so that Alembic and the app see the whole schema."""

from shop.auth.models import LoginSession, StaffProfile, User, staff_specialties
from shop.cart.models import Cart, CartLine
from shop.catalog.models import (
    Category,
    Product,
    ProductDocument,
    ProductImage,
    ProductSpec,
    SpecAttribute,
    Variant,
)
from shop.research.models import ResearchEvent

__all__ = [
    "Cart",
    "CartLine",
    "Category",
    "LoginSession",
    "Product",
    "ProductDocument",
    "ProductImage",
    "ProductSpec",
    "ResearchEvent",
    "SpecAttribute",
    "StaffProfile",
    "User",
    "Variant",
    "staff_specialties",
]
