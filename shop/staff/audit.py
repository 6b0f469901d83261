"""The audit trail, for managers: read and filter, never edit.

There is deliberately no route here that writes: the page answers GET only, and the entries
themselves refuse UPDATE and DELETE in the database.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request, url_for

from shop.audit.models import AuditEntry
from shop.auth.roles import Permission, Role
from shop.auth.session import permission_required
from shop.extensions import db
from shop.money import Money
from shop.timefmt import store_zone, viewer_zone, when
from shop.web import page_arg

# Nested in the staff blueprint (shop/staff/views.py): endpoints are staff.audit.<view>.
bp = Blueprint("audit", __name__)

PER_PAGE = 50


@dataclass(frozen=True)
class Filters:
    actor: int | None = None
    role: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in self.__dict__.values())


def _date(value: str | None) -> date | None:
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if 1900 <= day.year <= 9000 else None


def _text(name: str, limit: int) -> str | None:
    return (request.args.get(name) or "").strip()[:limit] or None


def _filters() -> Filters:
    actor = (request.args.get("actor") or "").strip()
    role = _text("role", 16)
    return Filters(
        actor=int(actor) if actor.isdigit() and len(actor) < 10 else None,
        role=role if role in {r.value for r in Role} | {"system"} else None,
        action=_text("action", 60),
        target_type=_text("target_type", 30),
        target_id=_text("target_id", 40),
        date_from=_date(request.args.get("from")),
        date_to=_date(request.args.get("to")),
    )


def _reader_zone() -> str:
    """The zone the page's times are shown on (a stored name that no longer exists: the
    store's), so that a date in the filter means the same day as the times listed."""
    name = viewer_zone()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return store_zone()
    return name


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _query(f: Filters, zone: ZoneInfo):
    """Entries, newest first, filtered (each filter has an index: actor, action, target, date).

    A date is a day on the reader's clock, the one every time on the page is shown on."""
    stmt = sa.select(AuditEntry)
    if f.actor is not None:
        stmt = stmt.where(AuditEntry.actor_id == f.actor)
    if f.role:
        stmt = stmt.where(AuditEntry.actor_role == f.role)
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.target_type:
        stmt = stmt.where(AuditEntry.target_type == f.target_type)
    if f.target_id:
        stmt = stmt.where(AuditEntry.target_id == f.target_id)
    if f.date_from:
        stmt = stmt.where(AuditEntry.created_at >= _midnight(f.date_from, zone))
    if f.date_to:
        stmt = stmt.where(AuditEntry.created_at < _midnight(f.date_to + timedelta(days=1), zone))
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def _choices() -> dict:
    """What the filter lists offer: the actions, object types and people seen in the trail
    (people by the label kept on their entries, so removed accounts stay findable)."""
    actions = db.session.scalars(
        sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).all()
    types = db.session.scalars(
        sa.select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)
    ).all()
    actors = db.session.execute(
        sa.select(AuditEntry.actor_id, sa.func.max(AuditEntry.actor_label))
        .where(AuditEntry.actor_id.is_not(None))
        .group_by(AuditEntry.actor_id)
        .order_by(sa.func.max(AuditEntry.actor_label))
    ).all()
    return {"actions": actions, "types": types, "actors": actors}


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object
    changed: bool
    only_after: bool


# An instant as the audit service stores it (str() of an aware datetime, in UTC).
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?[+-]\d{2}:\d{2}$")


def _shown(key: str, value: object) -> object:
    """What a person reads for a stored value: an amount in cents reads as money, an instant
    as a time on the reader's clock, its zone named (never "+00:00")."""
    if key.endswith("_cents") and isinstance(value, int) and not isinstance(value, bool):
        return Money(value)
    if isinstance(value, str) and _INSTANT.match(value):
        return when(datetime.fromisoformat(value), seconds=True)
    return value


def diff(before: dict, after: dict) -> list[Change]:
    """Before and after side by side, field by field, in a stable order.

    Entries keep amounts as integer cents (exact, searchable); the page shows them as money
    under the field's plain name ("amount", not "amount_cents").
    """
    keys = list(before) + [k for k in after if k not in before]
    return [
        Change(
            field=k.removesuffix("_cents"),
            before=_shown(k, before.get(k)),
            after=_shown(k, after.get(k)),
            changed=k in before and (k not in after or before[k] != after[k]),
            only_after=k not in before,
        )
        for k in keys
    ]


def _links(entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """Where each entry's object lives on the desk, one query per kind of object on the page."""
    from shop.consultations.models import Booking
    from shop.quotes.models import Quote

    wanted: dict[str, set[str]] = {}
    for e in entries:
        wanted.setdefault(e.target_type, set()).add(e.target_id)
    endpoints = current_app.view_functions
    links: dict[tuple[str, str], str] = {}
    if wanted.get("quote") and "staff.quotes.quote" in endpoints:
        rows = db.session.execute(
            sa.select(Quote.number, Quote.id).where(Quote.number.in_(wanted["quote"]))
        )
        for number, quote_id in rows:
            links["quote", number] = url_for("staff.quotes.quote", quote_id=quote_id)
    if wanted.get("booking") and "staff.consultations.consultation" in endpoints:
        rows = db.session.execute(
            sa.select(Booking.reference, Booking.id).where(Booking.reference.in_(wanted["booking"]))
        )
        for reference, booking_id in rows:
            links["booking", reference] = url_for(
                "staff.consultations.consultation", booking_id=booking_id
            )
    if "staff.orders.order_detail" in endpoints:
        for number in wanted.get("order", ()):
            links["order", number] = url_for("staff.orders.order_detail", number=number)
    if "staff.schedule.schedule" in endpoints:
        for rep_id in wanted.get("rep_schedule", ()):
            if rep_id.isdigit():
                links["rep_schedule", rep_id] = url_for("staff.schedule.schedule", rep=rep_id)
    return links


@bp.route("/audit")
@permission_required(Permission.VIEW_AUDIT)
def audit_trail():
    filters = _filters()
    zone = _reader_zone()
    page = db.paginate(
        _query(filters, ZoneInfo(zone)),
        page=page_arg(request.args.get("page")),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "staff/audit.html",
        page=page,
        filters=filters,
        zone=zone,
        roles=[r.value for r in Role if r != Role.BUYER] + ["system"],
        links=_links(page.items),
        diff=diff,
        **_choices(),
    )
