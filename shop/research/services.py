"""Recording and reading the research trail."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from shop.catalog.models import Product
from shop.db import utcnow
from shop.extensions import db
from shop.research.models import ResearchEvent, ResearchKind


def record(
    kind: ResearchKind,
    *,
    user_id: int | None,
    visitor_key: str | None,
    product_id: int | None = None,
    query: str | None = None,
) -> None:
    """Add one event to the trail of a buyer or a visitor."""
    if user_id is None and visitor_key is None:
        return
    # A plain INSERT, not an ORM object: this runs on every product view and search, and the
    # page never reads the row back.
    db.session.execute(
        _INSERT_EVENT,
        {
            "kind": kind.value,
            "user_id": user_id,
            "visitor_key": None if user_id else visitor_key,
            "product_id": product_id,
            "query": (query or None) and query[:200],
            "created_at": utcnow(),
        },
    )


_INSERT_EVENT = sa.insert(ResearchEvent.__table__)


def attach_visitor_trail(visitor_key: str | None, user_id: int) -> int:
    """At login, the visitor's trail becomes the buyer's; returns the events moved."""
    if not visitor_key:
        return 0
    result = db.session.execute(
        sa.update(ResearchEvent)
        .where(ResearchEvent.visitor_key == visitor_key, ResearchEvent.user_id.is_(None))
        .values(user_id=user_id, visitor_key=None)
    )
    return result.rowcount or 0


def recently_viewed_ids(
    user_id: int | None, visitor_key: str | None, limit: int, exclude: int | None = None
) -> list[int]:
    """Ids of the products viewed or compared, latest first; one query, none for a visitor
    without a trail yet."""
    if user_id is not None:
        stmt, owner = _RECENT_FOR_USER, user_id
    elif visitor_key is not None:
        stmt, owner = _RECENT_FOR_VISITOR, visitor_key
    else:
        return []
    params = {"owner": owner, "exclude": exclude or 0, "limit": limit}  # ids start at 1
    return list(db.session.scalars(stmt, params))


def _recent(owner_column):
    return (
        sa.select(ResearchEvent.product_id)
        .where(
            owner_column == sa.bindparam("owner"),
            ResearchEvent.product_id.is_not(None),
            ResearchEvent.product_id != sa.bindparam("exclude"),
            ResearchEvent.kind.in_([ResearchKind.VIEWED.value, ResearchKind.COMPARED.value]),
        )
        .group_by(ResearchEvent.product_id)
        .order_by(sa.func.max(ResearchEvent.created_at).desc())
        .limit(sa.bindparam("limit"))
    )


# Built once: product pages and the home page run one of these on every view.
_RECENT_FOR_USER = _recent(ResearchEvent.user_id)
_RECENT_FOR_VISITOR = _recent(ResearchEvent.visitor_key)


@dataclass
class TrailEntry:
    """One line of a buyer's research, as a staff page shows it."""

    kind: str
    at: datetime
    product_id: int | None
    product_name: str | None
    product_slug: str | None
    query: str | None


def trail(user_id: int, limit: int = 50) -> list[TrailEntry]:
    """A buyer's research, newest first, for the rep who will meet them; one query."""
    return _trail(ResearchEvent.user_id == user_id, limit)


def trail_for_visitor(visitor_key: str | None, limit: int = 50) -> list[TrailEntry]:
    """A visitor's research (someone who booked without an account)."""
    if not visitor_key:
        return []
    return _trail(ResearchEvent.visitor_key == visitor_key, limit)


def _trail(condition, limit: int) -> list[TrailEntry]:
    rows = db.session.execute(
        sa.select(ResearchEvent, Product.name, Product.slug)
        .outerjoin(Product, Product.id == ResearchEvent.product_id)
        .where(condition)
        .order_by(ResearchEvent.created_at.desc(), ResearchEvent.id.desc())
        .limit(limit)
    )
    return [
        TrailEntry(e.kind, e.created_at, e.product_id, name, slug, e.query)
        for e, name, slug in rows
    ]
