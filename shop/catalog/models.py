"""The catalog: categories with typed spec attributes, products, variants, media."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.db import TimestampMixin, UTCDateTime, money_column, utcnow
from shop.extensions import db
from shop.money import Money


class SpecKind(StrEnum):
    NUMBER = "number"  # filtered by a range; stored in value_num
    CHOICE = "choice"  # filtered by picking values; stored in value_text
    DATE = "date"  # ISO date in value_text; filtered by a range of dates
    TEXT = "text"  # shown and searched, not filtered


class Category(TimestampMixin, db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    tagline: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    image_path: Mapped[str | None] = mapped_column(sa.String(255))
    position: Mapped[int] = mapped_column(nullable=False, default=0, index=True)

    attributes: Mapped[list["SpecAttribute"]] = relationship(
        back_populates="category", order_by="SpecAttribute.position", lazy="raise"
    )

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class SpecAttribute(db.Model):
    """A typed spec of a category, e.g. sailboats: length overall (number, ft)."""

    __tablename__ = "spec_attributes"
    __table_args__ = (
        sa.UniqueConstraint("category_id", "code"),
        sa.CheckConstraint(
            sa.text("kind IN ('number', 'choice', 'date', 'text')"), name="kind_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    label: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    decimals: Mapped[int] = mapped_column(nullable=False, default=0)
    filterable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    category: Mapped[Category] = relationship(back_populates="attributes")

    def __repr__(self) -> str:
        return f"<SpecAttribute {self.code} {self.kind}>"


class Product(TimestampMixin, db.Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.Index("ix_products_category_price", "category_id", "price_from_cents"),
        # is_active inside it: a category's matches are counted from the index alone.
        sa.Index("ix_products_category_active_created", "category_id", "is_active", "created_at"),
        sa.Index("ix_products_category_name", "category_id", "name"),
        sa.Index("ix_products_created_at", "created_at"),
        # Search is LIKE '%word%' on search_text: PostgreSQL answers it from a trigram index
        # (migration 0008 creates the pg_trgm extension). SQLite reads the column.
        sa.Index(
            "ix_products_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            info={"only_on": "postgresql"},  # for shop.db.include_object: ddl_if keeps it private
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint("price_from_cents >= 0", name="price_from_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        sa.ForeignKey("categories.id"), nullable=False, index=True
    )
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    brand: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    summary: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # No index of its own: nearly every product is active, and SQLite, without statistics,
    # took such an index over the sort order's and sorted every match (migration 0008).
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # Kept by catalog.services.refresh_product: the lowest active variant price (for the list,
    # the price filter and the price sort) and the lowercased text the search box looks in.
    price_from_cents: Mapped[int] = money_column(default=0, index=True)
    search_text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    warranty_months: Mapped[int] = mapped_column(nullable=False, default=24)
    has_serial_numbers: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    category: Mapped[Category] = relationship(lazy="raise")
    variants: Mapped[list["Variant"]] = relationship(
        back_populates="product", order_by="Variant.position", lazy="raise"
    )
    specs: Mapped[list["ProductSpec"]] = relationship(back_populates="product", lazy="raise")
    images: Mapped[list["ProductImage"]] = relationship(
        back_populates="product", order_by="ProductImage.position", lazy="raise"
    )
    documents: Mapped[list["ProductDocument"]] = relationship(
        back_populates="product", order_by="ProductDocument.position", lazy="raise"
    )
    delivery_options: Mapped[list["DeliveryOption"]] = relationship(
        order_by="DeliveryOption.price_cents", lazy="raise"
    )

    @property
    def price_from(self) -> Money:
        return Money(self.price_from_cents)

    def __repr__(self) -> str:
        return f"<Product {self.slug}>"


class Variant(TimestampMixin, db.Model):
    """A buyable version of a product, with its own SKU, price, stock and delivery promise."""

    __tablename__ = "variants"
    __table_args__ = (
        sa.CheckConstraint("price_cents > 0", name="price_positive"),
        sa.CheckConstraint("cost_cents >= 0", name="cost_not_negative"),
        sa.CheckConstraint("stock_on_hand >= 0", name="stock_not_negative"),
        sa.CheckConstraint(
            "delivery_weeks_min >= 0 AND delivery_weeks_max >= delivery_weeks_min",
            name="delivery_weeks_ordered",
        ),
        sa.CheckConstraint("build_weeks >= 0", name="build_weeks_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    price_cents: Mapped[int] = money_column()
    cost_cents: Mapped[int] = money_column(default=0)  # staff-only; margins for quotes
    stock_on_hand: Mapped[int] = mapped_column(nullable=False, default=0)
    stock_location: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    delivery_weeks_min: Mapped[int] = mapped_column(nullable=False, default=1)
    delivery_weeks_max: Mapped[int] = mapped_column(nullable=False, default=2)
    made_to_order: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    build_weeks: Mapped[int] = mapped_column(nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    product: Mapped[Product] = relationship(back_populates="variants", lazy="raise")

    @property
    def price(self) -> Money:
        return Money(self.price_cents)

    def __repr__(self) -> str:
        return f"<Variant {self.sku}>"


class ProductSpec(db.Model):
    """One typed value of one attribute for one product."""

    __tablename__ = "product_specs"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "attribute_id"),
        # The filters look values up by attribute first, then by value.
        sa.Index("ix_product_specs_attr_num", "attribute_id", "value_num"),
        sa.Index("ix_product_specs_attr_text", "attribute_id", "value_text"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    attribute_id: Mapped[int] = mapped_column(
        sa.ForeignKey("spec_attributes.id", ondelete="CASCADE"), nullable=False
    )
    value_num: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 3))
    value_text: Mapped[str | None] = mapped_column(sa.String(200))

    product: Mapped[Product] = relationship(back_populates="specs", lazy="raise")
    attribute: Mapped[SpecAttribute] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<ProductSpec p={self.product_id} a={self.attribute_id}>"


class ProductImage(db.Model):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    path: Mapped[str] = mapped_column(sa.String(255), nullable=False)  # under static/
    alt: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    product: Mapped[Product] = relationship(back_populates="images", lazy="raise")

    def __repr__(self) -> str:
        return f"<ProductImage {self.path}>"


class ProductDocument(db.Model):
    """A downloadable document such as a spec sheet or an owner's manual."""

    __tablename__ = "product_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    path: Mapped[str] = mapped_column(sa.String(255), nullable=False)  # under static/
    size_bytes: Mapped[int] = mapped_column(nullable=False, default=0)
    position: Mapped[int] = mapped_column(nullable=False, default=0)

    product: Mapped[Product] = relationship(back_populates="documents", lazy="raise")

    def __repr__(self) -> str:
        return f"<ProductDocument {self.path}>"


class DeliveryMethod(StrEnum):
    WHITE_GLOVE = "white_glove"
    PICKUP = "pickup"
    FREIGHT = "freight"
    NONE = "none"  # nothing to ship: an expedition's travel documents come by email
    AS_AGREED = "as_agreed"  # an order from a quote: delivered as its delivery terms say


DELIVERY_LABELS = {
    DeliveryMethod.WHITE_GLOVE: "White-glove delivery and installation",
    DeliveryMethod.PICKUP: "Collect it yourself",
    DeliveryMethod.FREIGHT: "Freight to your door",
    DeliveryMethod.NONE: "Nothing to ship: documents by email",
    DeliveryMethod.AS_AGREED: "As agreed in your quote",
}


class DeliveryOption(db.Model):
    """How a product can reach the buyer, at what price and with what extra lead time."""

    __tablename__ = "delivery_options"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "method"),
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint(
            "method IN ('white_glove', 'pickup', 'freight', 'none')", name="method_known"
        ),
        sa.CheckConstraint("extra_weeks >= 0", name="extra_weeks_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    method: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    price_cents: Mapped[int] = money_column(default=0)
    extra_weeks: Mapped[int] = mapped_column(nullable=False, default=0)
    note: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    @property
    def label(self) -> str:
        return DELIVERY_LABELS[DeliveryMethod(self.method)]

    def __repr__(self) -> str:
        return f"<DeliveryOption p={self.product_id} {self.method}>"


class StockReservation(db.Model):
    """Units held for a checkout, an unpaid order or a quote; counted only until expires_at.

    `holder` names what holds them ("order:42", later "quote:7"); the catalog does not need to
    know more. A reservation ends as `converted` (the units were sold and stock went down) or
    `released` (given back); an active one past its expiry already counts for nothing.
    """

    __tablename__ = "stock_reservations"
    __table_args__ = (
        sa.Index("ix_stock_reservations_variant_active", "variant_id", "status", "expires_at"),
        sa.Index("ix_stock_reservations_holder", "holder"),
        sa.Index("ix_stock_reservations_status_expires", "status", "expires_at"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("status IN ('active', 'converted', 'released')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("variants.id", ondelete="CASCADE"), nullable=False
    )
    holder: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    quantity: Mapped[int] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="active")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self) -> str:
        return f"<StockReservation {self.holder} v={self.variant_id} x{self.quantity}>"


class CatalogGeneration(db.Model):
    """One row whose value rises with every committed change to the catalog (see catalog.cache).

    Stock is not part of it: stock moves with every order and pages always read it fresh.
    """

    __tablename__ = "catalog_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=1)
