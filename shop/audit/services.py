"""Writing and reading the audit trail. There is deliberately no update or delete here."""

from contextvars import ContextVar

import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.extensions import db

# The address of the request being served, bound by the web edge (see `bind_address`), so that
# services can write entries without knowing about requests.
_address: ContextVar[str] = ContextVar("audit_address", default="")


def bind_address(address: str | None) -> None:
    _address.set((address or "")[:64])


def _plain(values: dict | None) -> dict:
    """JSON-safe copies of before/after values (dates and amounts become text)."""
    return {
        str(k): v if isinstance(v, (str, int, bool, type(None))) else str(v)
        for k, v in (values or {}).items()
    }


def record(
    actor,
    action: str,
    target_type: str,
    target_id,
    *,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    ip_address: str = "",
) -> AuditEntry:
    """Add one entry in the current transaction, so it stands or falls with the action."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=f"{actor.name} <{actor.email}>" if actor is not None else "system",
        actor_role=getattr(actor, "role", "system"),
        action=action[:60],
        target_type=target_type[:30],
        target_id=str(target_id)[:40],
        before=_plain(before),
        after=_plain(after),
        reason=(reason or "")[:4000],
        ip_address=(ip_address or _address.get())[:64],
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def search(
    *,
    actor_id: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    page: int = 1,
    per_page: int = 50,
):
    """Entries, newest first, filtered; one count and one page query."""
    stmt = sa.select(AuditEntry)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    stmt = stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def actions() -> list[str]:
    return list(
        db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )
