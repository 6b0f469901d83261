"""Audit entries. The database refuses to change or delete one (triggers in the migration)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shop.db import UTCDateTime, utcnow
from shop.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_created", "created_at"),
        sa.Index("ix_audit_entries_target", "target_type", "target_id", "created_at"),
        sa.Index("ix_audit_entries_actor", "actor_id", "created_at"),
        sa.Index("ix_audit_entries_action", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # No foreign key: an entry must never change, not even when the account is removed; the
    # label keeps saying who it was.
    actor_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor_label: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    actor_role: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    target_type: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    target_id: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    before: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    after: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    ip_address: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.target_type}:{self.target_id}>"
