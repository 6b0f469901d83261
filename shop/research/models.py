"""Research events, one row per view or compare, readable by staff pages later."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.catalog.models import Product
from shop.db import UTCDateTime, utcnow
from shop.extensions import db


class ResearchKind(StrEnum):
    VIEWED = "viewed"
    COMPARED = "compared"
    SEARCHED = "searched"


class ResearchEvent(db.Model):
    __tablename__ = "research_events"
    __table_args__ = (
        sa.Index("ix_research_events_user_time", "user_id", "created_at"),
        sa.Index("ix_research_events_visitor_time", "visitor_key", "created_at"),
        sa.CheckConstraint("kind IN ('viewed', 'compared', 'searched')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    visitor_key: Mapped[str | None] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    query: Mapped[str | None] = mapped_column(sa.String(200))  # for searches
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    product: Mapped[Product | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<ResearchEvent {self.kind} p={self.product_id}>"
