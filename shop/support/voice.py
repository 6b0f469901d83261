"""The voice of the buyer: compliments and suggestions tied to products, counted per product and
per category, with the latest texts. Five queries whatever the number of tickets."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from shop.catalog.models import Category, Product
from shop.extensions import db
from shop.support.models import Ticket, TicketMessage

VOICE_KINDS = ("compliment", "suggestion")
LATEST = 3


@dataclass
class Said:
    ticket: Ticket
    text: str


@dataclass
class ProductVoice:
    product_id: int
    name: str
    slug: str
    category_id: int | None
    counts: dict[str, int] = field(default_factory=dict)
    latest: list[Said] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class CategoryVoice:
    category: Category
    counts: dict[str, int] = field(default_factory=dict)
    products: list[ProductVoice] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Voice:
    categories: list[CategoryVoice]
    all_categories: list[Category]
    category_id: int | None
    kind: str | None
    latest_at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(c.total for c in self.categories)


def summary(category_id: int | None = None, kind: str | None = None, latest: int = LATEST) -> Voice:
    kinds = (kind,) if kind in VOICE_KINDS else VOICE_KINDS
    conditions = [Ticket.kind.in_(kinds), Ticket.product_id.is_not(None)]
    if category_id is not None:
        conditions.append(Product.category_id == category_id)

    # 1. counts per product and kind
    counts = db.session.execute(
        sa.select(Ticket.product_id, Ticket.kind, sa.func.count())
        .join(Product, Product.id == Ticket.product_id)
        .where(*conditions)
        .group_by(Ticket.product_id, Ticket.kind)
    ).all()
    # 2. the products
    ids = sorted({pid for pid, _, _ in counts})
    products = {
        pid: ProductVoice(product_id=pid, name=name, slug=slug, category_id=cid)
        for pid, name, slug, cid in db.session.execute(
            sa.select(Product.id, Product.name, Product.slug, Product.category_id).where(
                Product.id.in_(ids)
            )
        )
    }
    for pid, k, n in counts:
        if pid in products:
            products[pid].counts[k] = int(n)
    # 3. the latest tickets per product
    ranked = (
        sa.select(
            Ticket.id.label("id"),
            sa.func.row_number()
            .over(
                partition_by=Ticket.product_id,
                order_by=(Ticket.created_at.desc(), Ticket.id.desc()),
            )
            .label("position"),
        )
        .join(Product, Product.id == Ticket.product_id)
        .where(*conditions)
        .subquery()
    )
    tickets = list(
        db.session.scalars(
            sa.select(Ticket)
            .join(ranked, ranked.c.id == Ticket.id)
            .where(ranked.c.position <= latest)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        )
    )
    # 4. their first buyer messages (the texts)
    first = (
        sa.select(sa.func.min(TicketMessage.id))
        .where(
            TicketMessage.ticket_id.in_([t.id for t in tickets]),
            TicketMessage.author_kind == "buyer",
            TicketMessage.internal.is_(False),
        )
        .group_by(TicketMessage.ticket_id)
    )
    texts = dict(
        db.session.execute(
            sa.select(TicketMessage.ticket_id, TicketMessage.body).where(
                TicketMessage.id.in_(first)
            )
        ).all()
    )
    for t in tickets:
        if t.product_id in products:
            products[t.product_id].latest.append(Said(t, texts.get(t.id, "")))
    # 5. the categories (for the filter, and to group by)
    all_categories = list(
        db.session.scalars(sa.select(Category).order_by(Category.position, Category.name))
    )
    groups = {c.id: CategoryVoice(category=c) for c in all_categories}
    for p in sorted(products.values(), key=lambda p: (-p.total, p.name)):
        group = groups.get(p.category_id)
        if group is None:
            continue
        group.products.append(p)
        for k, n in p.counts.items():
            group.counts[k] = group.counts.get(k, 0) + n
    return Voice(
        categories=[g for g in groups.values() if g.products],
        all_categories=all_categories,
        category_id=category_id,
        kind=kind if kind in VOICE_KINDS else None,
        latest_at=tickets[0].created_at if tickets else None,
    )
