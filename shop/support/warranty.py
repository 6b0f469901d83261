"""Warranty: every delivered unit is registered against its order line, with the term the line
was sold with (copied from the product at the sale) and (where the product has one) a serial
number entered by staff; a claim shows whether the unit is covered and until when.

Registrations are written when an order becomes delivered (the orders' `order_delivered`
signal, inside the transaction that moved the order), once per unit: registering again changes
nothing.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from shop.audit import services as audit
from shop.catalog.models import Product
from shop.db import utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.orders.models import Order, OrderLine
from shop.orders.signals import order_delivered
from shop.support.models import Ticket, TicketEvent, TicketLine, WarrantyRegistration
from shop.timefmt import fmt

SERIAL_MAX = 80


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it is shorter."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def local_date(moment) -> date:
    """The calendar date of a moment on the support team's clock."""
    zone = ZoneInfo(current_app.config.get("SUPPORT_TIMEZONE") or "UTC")
    return moment.astimezone(zone).date()


def today() -> date:
    return local_date(utcnow())


# --- registering ------------------------------------------------------------------------------


def register_order(order: Order) -> int:
    """Register each unit of each line of a delivered order; returns how many were added."""
    if order.delivered_at is None:
        return 0
    starts = local_date(order.delivered_at)
    lines = list(
        db.session.scalars(
            sa.select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
        )
    )
    have = set(
        db.session.execute(
            sa.select(WarrantyRegistration.order_line_id, WarrantyRegistration.unit).where(
                WarrantyRegistration.order_id == order.id
            )
        ).all()
    )
    added = 0
    for line in lines:
        term = line.warranty_months  # as sold: a later catalog edit changes no promise made
        for unit in range(1, line.quantity + 1):
            if (line.id, unit) in have:
                continue
            db.session.add(
                WarrantyRegistration(
                    order_id=order.id,
                    order_line_id=line.id,
                    product_id=line.product_id,
                    unit=unit,
                    starts_on=starts,
                    ends_on=add_months(starts, term),
                )
            )
            added += 1
    db.session.flush()
    return added


def on_order_delivered(order: Order) -> None:
    register_order(order)


def connect() -> None:
    order_delivered.connect(on_order_delivered)


# --- coverage ---------------------------------------------------------------------------------


@dataclass
class UnitCoverage:
    line: OrderLine
    unit: int
    registration: WarrantyRegistration | None
    needs_serial: bool
    on_date: date

    @property
    def state(self) -> str:
        if self.registration is None:
            return "not_registered"
        return "covered" if self.on_date <= self.registration.ends_on else "expired"

    @property
    def covered(self) -> bool:
        return self.state == "covered"

    @property
    def text(self) -> str:
        r = self.registration
        if r is None:
            return "Not registered (the order is not delivered yet)."
        if self.covered:
            return f"Covered until {fmt(r.ends_on, 'MMMM d, y')}."
        return f"Expired on {fmt(r.ends_on, 'MMMM d, y')}."


def _coverage_of_lines(lines: list[OrderLine], on_date: date) -> list[UnitCoverage]:
    """Every unit of these lines with its registration: two queries whatever the count."""
    ids = sorted(line.id for line in lines)
    regs = {
        (r.order_line_id, r.unit): r
        for r in db.session.scalars(
            sa.select(WarrantyRegistration).where(WarrantyRegistration.order_line_id.in_(ids))
        )
    }
    product_ids = sorted({line.product_id for line in lines if line.product_id is not None})
    serials = dict(
        db.session.execute(
            sa.select(Product.id, Product.has_serial_numbers).where(Product.id.in_(product_ids))
        ).all()
    )
    out = []
    for line in lines:
        for unit in range(1, line.quantity + 1):
            out.append(
                UnitCoverage(
                    line=line,
                    unit=unit,
                    registration=regs.get((line.id, unit)),
                    needs_serial=bool(serials.get(line.product_id, False)),
                    on_date=on_date,
                )
            )
    return out


def ticket_lines(ticket: Ticket) -> list[OrderLine]:
    """The order lines a ticket is about; all of its order's lines when it names none."""
    if ticket.order_id is None:
        return []
    chosen = sa.select(TicketLine.order_line_id).where(TicketLine.ticket_id == ticket.id)
    lines = list(
        db.session.scalars(
            sa.select(OrderLine)
            .where(OrderLine.order_id == ticket.order_id, OrderLine.id.in_(chosen))
            .order_by(OrderLine.id)
        )
    )
    if lines:
        return lines
    return list(
        db.session.scalars(
            sa.select(OrderLine).where(OrderLine.order_id == ticket.order_id).order_by(OrderLine.id)
        )
    )


def coverage(subject: Ticket | OrderLine, on_date: date | None = None) -> list[UnitCoverage]:
    """Each unit of the ticket's lines (or of one order line): covered until / expired on /
    not registered, on `on_date` (today on the support clock by default)."""
    on_date = on_date or today()
    lines = [subject] if isinstance(subject, OrderLine) else ticket_lines(subject)
    return _coverage_of_lines(lines, on_date)


# --- serial numbers ---------------------------------------------------------------------------


def set_serial(ticket_id: int, registration_id: int, serial: str, actor) -> WarrantyRegistration:
    """Staff enter (or correct) a unit's serial number, from a ticket about its order."""
    ticket = db.session.get(Ticket, ticket_id)
    registration = db.session.get(WarrantyRegistration, registration_id)
    if ticket is None or registration is None or registration.order_id != ticket.order_id:
        raise NotFound("No such unit on this ticket's order.")
    serial = " ".join((serial or "").split())
    if not serial:
        raise DomainError("Enter the serial number.", field="serial_number")
    if len(serial) > SERIAL_MAX:
        raise DomainError(f"A serial number has at most {SERIAL_MAX} characters.", "serial_number")
    product = db.session.get(Product, registration.product_id) if registration.product_id else None
    if product is not None and not product.has_serial_numbers:
        raise DomainError("This product has no serial numbers.", field="serial_number")
    before = registration.serial_number
    if before == serial:
        return registration
    registration.serial_number = serial
    line = db.session.get(OrderLine, registration.order_line_id)
    what = f"{line.product_name} unit {registration.unit}" if line else "a unit"
    db.session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="warranty_serial",
            note=f"Serial number of {what}: {serial}" + (f" (was {before})" if before else ""),
            actor_id=getattr(actor, "id", None),
            actor_label=_label(actor),
            internal=True,
            created_at=utcnow(),
        )
    )
    db.session.flush()
    audit.record(
        actor,
        "warranty.serial",
        "ticket",
        ticket.number,
        before={"registration_id": registration.id, "serial_number": before or ""},
        after={"registration_id": registration.id, "serial_number": serial},
    )
    return registration


def _label(actor) -> str:
    if actor is None:
        return "system"
    return f"{actor.name} <{actor.email}> ({actor.role})"[:200]
