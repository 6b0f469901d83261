"""Delivery windows: offered from the crews' calendars by the consultations slot engine, booked,
moved, cancelled and marked delivered.

Crews are staff accounts whose profile's team is "delivery"; their RepSchedule, working hours,
exceptions and time off are the same rows a rep's are, and `meeting_minutes` is the length of a
delivery window (240 for four hours). The engine is not copied or changed: the crews' calendars
come from `load_calendars`, and their booked deliveries are added to `busy` with one more query.
Windows are stepped by their own length from the start of each working stretch (8-12, 12-16...).

No window before the goods can exist: each order line keeps the lead time the catalog promised
at sale (`OrderLine.lead_weeks`), and the earliest window of an order is the day its longest
lead time runs out (`earliest_delivery`). The crew's notice is the engine's own rule
(`min_notice_minutes`), and only an order paid in full (status "paid", which only a payment
reaches) gets a window. The offer starts there, and booking or moving re-checks it, so a crafted
post earlier than allowed is refused.

No double booking, as for consultations: the crew's schedule row is locked while a window is
checked and written, and on PostgreSQL the exclusion constraint ex_delivery_crew_no_overlap
refuses two booked windows of one crew that overlap, even if a code path forgot the lock.

Lock order, everywhere: the order row, then the appointment, then the crew's schedule.
"""

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from shop import links
from shop.audit import services as audit
from shop.auth.models import StaffProfile, User
from shop.consultations import slots as engine
from shop.consultations.models import RepSchedule
from shop.db import lock_row, utcnow
from shop.delivery import signals, states
from shop.delivery.models import DeliveryAppointment
from shop.delivery.states import BUSY, DeliveryStatus
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.inputs import parse_id, parse_instant
from shop.orders.models import Order, OrderLine
from shop.orders.services import lock_order
from shop.orders.states import EMPLOYEES, OrderStatus, actor_kind_of, moves_for, record, transition
from shop.timefmt import CLOCK, WINDOW_START, fmt, when, zone_name

TEAM = "delivery"
# Lines delivered by a crew at an agreed time; other methods (ship, pickup) need no window.
NEEDS_WINDOW = frozenset({"white_glove", "as_agreed"})
DAYS_SHOWN = 21
# The lifecycle's words for the pages (delivery/states.py; BUSY is imported above from there).
STATUS_LABELS = states.LABELS

TAKEN = "Sorry, that window was just taken. Here are the windows still free."


class WindowTaken(DomainError):
    """Someone else just booked that crew at that time."""


# --- crews and windows ----------------------------------------------------------------------


def crews() -> dict[int, User]:
    """Active staff accounts on the delivery team, by id (one query)."""
    rows = db.session.scalars(
        sa.select(User)
        .join(StaffProfile, StaffProfile.user_id == User.id)
        .where(StaffProfile.team == TEAM, User.is_active_account.is_(True))
        .order_by(User.name, User.id)
    )
    return {user.id: user for user in rows}


def is_crew(user) -> bool:
    return bool(
        getattr(user, "id", None)
        and db.session.scalar(
            sa.select(StaffProfile.id).where(
                StaffProfile.user_id == user.id, StaffProfile.team == TEAM
            )
        )
    )


def needs_window(order: Order) -> bool:
    """True when a line of the order goes by white-glove delivery (or as agreed)."""
    return bool(
        db.session.scalar(
            sa.select(OrderLine.id)
            .where(OrderLine.order_id == order.id, OrderLine.delivery_method.in_(NEEDS_WINDOW))
            .limit(1)
        )
    )


def earliest_delivery(order: Order) -> datetime | None:
    """The start (midnight UTC) of the first day the goods of the order's crew-delivered lines
    can be with the buyer: the day of sale plus the longest lead time promised at sale. None
    when no such line waits for anything. One query."""
    weeks = db.session.scalar(
        sa.select(sa.func.max(OrderLine.lead_weeks)).where(
            OrderLine.order_id == order.id, OrderLine.delivery_method.in_(NEEDS_WINDOW)
        )
    )
    if not weeks:
        return None
    # "About 14 weeks" names a day, not an instant: any window on that day is fair.
    ready = (order.created_at.astimezone(UTC) + timedelta(weeks=weeks)).date()
    return datetime.combine(ready, datetime.min.time(), UTC)


def day_label(instant: datetime) -> str:
    """ "Monday, September 9, 2030": a day named by `earliest_delivery` (a UTC date)."""
    return fmt(instant.astimezone(UTC), "EEEE, MMMM d, y")


def check_lead_time(order: Order, starts_at: datetime) -> None:
    """A window may not start before the goods can be there (a crafted post included)."""
    earliest = earliest_delivery(order)
    if earliest is not None and starts_at < earliest:
        raise DomainError(
            f"This order can be delivered from {day_label(earliest)}, when its goods are ready "
            "(the lead time promised at sale). Please choose a window from that day on.",
            field="window",
        )


def calendars(
    crew_ids: list[int], start: datetime, end: datetime, ignore: int | None = None
) -> dict[int, engine.RepCalendar]:
    """The crews' calendars from the shared engine, their booked deliveries added to `busy`.

    `load_calendars` plus exactly one query; `ignore` is an appointment being moved, which does
    not block its own window.
    """
    loaded = engine.load_calendars(crew_ids, start, end)
    if not loaded:
        return {}
    since, until = start - engine.LOAD_MARGIN, end + engine.LOAD_MARGIN
    stmt = sa.select(
        DeliveryAppointment.crew_id, DeliveryAppointment.starts_at, DeliveryAppointment.ends_at
    ).where(
        DeliveryAppointment.crew_id.in_(list(loaded)),
        DeliveryAppointment.status.in_(BUSY),
        DeliveryAppointment.starts_at < until,
        DeliveryAppointment.ends_at > since,
    )
    if ignore is not None:
        stmt = stmt.where(DeliveryAppointment.id != ignore)
    deliveries: dict[int, list[engine.Interval]] = {crew_id: [] for crew_id in loaded}
    for row in db.session.execute(stmt):
        deliveries[row.crew_id].append((row.starts_at, row.ends_at))
    return {
        crew_id: dataclasses.replace(cal, busy=sorted(cal.busy + deliveries[crew_id]))
        for crew_id, cal in loaded.items()
    }


def windows_of(cal: engine.RepCalendar, now: datetime, start: datetime, end: datetime):
    """The free windows of one crew in [start, end): the engine, stepped by the window length."""
    return engine.free_slots(cal, now, start, end, step_minutes=cal.meeting_minutes)


@dataclass
class Window:
    starts_at: datetime  # aware UTC
    ends_at: datetime
    crew: User

    @property
    def value(self) -> str:
        """What a staff form posts: the crew and the instant."""
        return f"{self.crew.id}@{self.starts_at.isoformat()}"


@dataclass
class Offer:
    """The free windows: instant -> crews free then (the preferred crew first)."""

    slots: dict[datetime, list[int]]
    crews: dict[int, User]
    minutes: dict[int, int]  # crew id -> window length

    def windows(self) -> list[Window]:
        return [
            Window(
                instant,
                instant + timedelta(minutes=self.minutes[crew_id]),
                self.crews[crew_id],
            )
            for instant in sorted(self.slots)
            for crew_id in self.slots[instant]
        ]

    def by_day(self, tz: str | None = None, one_per_time: bool = False):
        """[(day label, [Window])] in `tz` (else each crew's own zone), for a grouped select."""
        grouped: dict[str, list[Window]] = {}
        seen: set[datetime] = set()
        for window in self.windows():
            if one_per_time and window.starts_at in seen:
                continue
            seen.add(window.starts_at)
            zone = ZoneInfo(zone_name(tz or window.crew.timezone))
            label = fmt(window.starts_at.astimezone(zone), "EEEE, MMMM d")
            grouped.setdefault(label, []).append(window)
        return list(grouped.items())


def offer(
    now: datetime | None = None,
    days: int = DAYS_SHOWN,
    moving: DeliveryAppointment | None = None,
    earliest: datetime | None = None,
) -> Offer:
    """Every crew's free windows for `days` from now, or from `earliest` (the order's
    `earliest_delivery`) when that is later, in a fixed number of queries."""
    now = now or utcnow()
    team = crews()
    start = max(now, earliest) if earliest is not None else now
    end = start + timedelta(days=days)
    cals = calendars(list(team), start, end, ignore=moving.id if moving is not None else None)
    slots: dict[datetime, list[int]] = {}
    for crew_id, cal in cals.items():
        for instant in windows_of(cal, now, start, end):
            slots.setdefault(instant, []).append(crew_id)
    if moving is not None:
        for free in slots.values():
            if moving.crew_id in free:  # the same crew first, when it is free
                free.remove(moving.crew_id)
                free.insert(0, moving.crew_id)
        # Its own window (same crew, same time) is not offered back to it.
        own = slots.get(moving.starts_at, [])
        if moving.crew_id in own:
            own.remove(moving.crew_id)
            if not own:
                slots.pop(moving.starts_at)
    return Offer(
        slots=slots,
        crews={k: v for k, v in team.items() if k in cals},
        minutes={k: cal.meeting_minutes for k, cal in cals.items()},
    )


def window_label(starts_at: datetime, ends_at: datetime, tz: str | None) -> str:
    """ "Tuesday, March 16, 8:00 AM - 12:00 PM EDT" on a clock in `tz`.

    A crew who never chose a zone (the column's "UTC") reads as the store's, so a buyer is
    never sent a window in UTC; and the zone is the one given, never the current viewer's.
    """
    zone = zone_name(tz)
    return f"{when(starts_at, zone, pattern=WINDOW_START)} - {when(ends_at, zone, pattern=CLOCK)}"


def parse_window(value: str | None) -> tuple[int | None, datetime]:
    """A posted window: "<crew id>@<ISO instant>" (staff) or "<ISO instant>" (buyer link)."""
    raw = (value or "").strip()
    crew_id = None
    if "@" in raw:
        head, raw = raw.split("@", 1)
        crew_id = parse_id(head)
        if crew_id is None:
            raise DomainError("Choose a delivery window from the list.", field="window")
    instant = parse_instant(raw)  # None for year 9999 and the like, which overflow in UTC
    if instant is None:
        raise DomainError("Choose a delivery window from the list.", field="window")
    return crew_id, instant


# --- rules ----------------------------------------------------------------------------------


def check_order(order: Order, *, moving: bool = False) -> None:
    """The order may have its window booked (or moved) now, or a DomainError says why not."""
    if order.dispute_status == "open":
        raise DomainError("Fulfilment is stopped while a card dispute is open.")
    if not needs_window(order):
        raise DomainError("This order has no white-glove delivery to schedule.")
    wanted = OrderStatus.DELIVERY_SCHEDULED if moving else OrderStatus.PAID
    if order.status != wanted:
        raise DomainError(
            "A delivery window can be booked once the order is paid in full."
            if not moving
            else "This delivery can no longer be moved."
        )


def live_appointment(order_id: int) -> DeliveryAppointment | None:
    """The order's booked appointment, if any (at most one is booked at a time)."""
    return db.session.scalar(
        sa.select(DeliveryAppointment)
        .where(
            DeliveryAppointment.order_id == order_id,
            DeliveryAppointment.status == DeliveryStatus.BOOKED,
        )
        .order_by(DeliveryAppointment.id.desc())
        .limit(1)
    )


def appointments_of(order_id: int) -> list[DeliveryAppointment]:
    return list(
        db.session.scalars(
            sa.select(DeliveryAppointment)
            .where(DeliveryAppointment.order_id == order_id)
            .order_by(DeliveryAppointment.id.desc())
        )
    )


def _lock_crew_schedule(crew_id: int) -> RepSchedule:
    """The crew's schedule row, locked: bookings of one crew queue up here."""
    schedule = db.session.scalar(
        sa.select(RepSchedule)
        .join(StaffProfile, StaffProfile.user_id == RepSchedule.rep_id)
        .where(RepSchedule.rep_id == crew_id, StaffProfile.team == TEAM)
        .with_for_update(of=RepSchedule, key_share=True)
        .execution_options(populate_existing=True)
    )
    if schedule is None or not schedule.accepts_bookings:
        raise WindowTaken("That crew is not taking deliveries at the moment.")
    return schedule


def _check_window(crew_id: int, starts_at: datetime, now: datetime, ignore: int | None = None):
    """Re-read the crew's calendar under the lock: the window must still be offered."""
    cals = calendars(
        [crew_id], starts_at - timedelta(days=1), starts_at + timedelta(days=1), ignore
    )
    cal = cals.get(crew_id)
    if cal is None:
        raise WindowTaken("That crew is not taking deliveries at the moment.")
    if starts_at not in windows_of(cal, now, starts_at, starts_at + timedelta(microseconds=1)):
        raise WindowTaken(TAKEN)
    return cal


def _choose_crew(starts_at: datetime, now: datetime, preferred: int | None = None) -> int:
    """A crew free at that time: the preferred one, else the least busy."""
    current = offer(now, days=max((starts_at - now).days + 2, 1))
    free = current.slots.get(starts_at, [])
    if not free:
        raise WindowTaken(TAKEN)
    if preferred in free:
        return preferred
    load = dict(
        db.session.execute(
            sa.select(DeliveryAppointment.crew_id, sa.func.count())
            .where(
                DeliveryAppointment.crew_id.in_(free),
                DeliveryAppointment.status == DeliveryStatus.BOOKED,
                DeliveryAppointment.starts_at >= now,
            )
            .group_by(DeliveryAppointment.crew_id)
        ).all()
    )
    return min(free, key=lambda cid: (load.get(cid, 0), cid))


def _new_reference() -> str:
    return "D-" + "".join(secrets.choice("ABCDEFGHJKMNPQRSTUVWXYZ23456789") for _ in range(6))


def _kind(actor, actor_kind: str | None) -> str:
    """Who is acting: as given, else the actor's own kind (staff role or buyer), else system."""
    if actor_kind:
        return actor_kind
    return actor_kind_of(actor) if actor is not None else "system"


def _audit(actor, actor_kind: str, action: str, appointment, **values) -> None:
    if actor is not None and actor_kind in EMPLOYEES:
        audit.record(actor, action, "delivery", appointment.reference, **values)


def _facts(appointment: DeliveryAppointment) -> dict:
    return {
        "order_id": appointment.order_id,
        "crew_id": appointment.crew_id,
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
        "status": appointment.status,
    }


def _crew(crew_id: int) -> User:
    return db.session.get(User, crew_id)


def _when(appointment: DeliveryAppointment) -> str:
    return window_label(appointment.starts_at, appointment.ends_at, appointment.buyer_timezone)


# --- booking, moving, cancelling, delivering ------------------------------------------------


def book(
    order_id: int,
    starts_at: datetime,
    crew_id: int | None = None,
    *,
    actor=None,
    actor_kind: str | None = None,
    instructions: str = "",
    now: datetime | None = None,
) -> DeliveryAppointment:
    """Book a window for a paid order; the order becomes "delivery scheduled"."""
    actor_kind = _kind(actor, actor_kind)
    now = now or utcnow()
    starts_at = starts_at.astimezone(UTC)
    order = lock_order(order_id)
    check_order(order)
    if live_appointment(order.id) is not None:
        raise DomainError("This order already has a delivery window. Move it instead.")
    if starts_at <= now:
        raise DomainError("That window has already started. Please choose another.")
    check_lead_time(order, starts_at)
    if crew_id is None:
        crew_id = _choose_crew(starts_at, now)
    schedule = _lock_crew_schedule(crew_id)
    _check_window(crew_id, starts_at, now)
    crew = _crew(crew_id)
    appointment = DeliveryAppointment(
        reference=_new_reference(),
        order_id=order.id,
        crew_id=crew_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=schedule.meeting_minutes),
        status=DeliveryStatus.BOOKED.value,
        buyer_timezone=crew.timezone or "UTC",
        instructions=instructions.strip()[:4000],
        booked_by_label=states.actor_label(actor, actor_kind)[:200],
    )
    try:
        with db.session.begin_nested():
            db.session.add(appointment)
    except (IntegrityError, OperationalError) as exc:
        # The database's own no-overlap rule has the last word. Two inserts racing for one
        # window can also meet as a deadlock inside the exclusion check: the same answer.
        if not _lost_the_window(exc):
            raise
        raise WindowTaken(TAKEN) from exc
    note = f"Delivery {_when(appointment)} with {crew.name} ({appointment.reference})."
    transition(order, OrderStatus.DELIVERY_SCHEDULED, actor_kind=actor_kind, actor=actor, note=note)
    # The first status: an event on the window's history, no move.
    states.record(
        appointment,
        DeliveryStatus.BOOKED.value,
        note,
        actor=actor,
        actor_kind=actor_kind,
        to_status=DeliveryStatus.BOOKED.value,
    )
    _audit(actor, actor_kind, "delivery.book", appointment, after=_facts(appointment))
    signals.confirmed.send(appointment, order=order, crew=crew)
    return appointment


def _lost_the_window(exc) -> bool:
    """An overlap refused by the exclusion constraint, or a deadlock met while checking it."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "40P01"


def _lock_for_change(appointment_id: int) -> tuple[Order, DeliveryAppointment]:
    found = db.session.get(DeliveryAppointment, appointment_id)
    if found is None:
        raise NotFound("No such delivery.")
    order = lock_order(found.order_id)
    appointment = lock_row(DeliveryAppointment, appointment_id)
    if appointment is None:
        raise NotFound("No such delivery.")
    return order, appointment


def reschedule(
    appointment_id: int,
    starts_at: datetime,
    crew_id: int | None = None,
    *,
    actor=None,
    actor_kind: str | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> DeliveryAppointment:
    """Move a booked window; links sent before stop working (link_version grows)."""
    actor_kind = _kind(actor, actor_kind)
    now = now or utcnow()
    starts_at = starts_at.astimezone(UTC)
    order, appointment = _lock_for_change(appointment_id)
    if appointment.status != DeliveryStatus.BOOKED:
        raise DomainError("This delivery is no longer booked.")
    check_order(order, moving=True)
    if starts_at <= now:
        raise DomainError("That window has already started. Please choose another.")
    check_lead_time(order, starts_at)
    if crew_id is None:
        crew_id = (
            appointment.crew_id
            if _free_for(appointment, appointment.crew_id, starts_at, now)
            else _choose_crew(starts_at, now, appointment.crew_id)
        )
    if crew_id == appointment.crew_id and starts_at == appointment.starts_at:
        raise DomainError("That is already the booked window.", field="window")
    schedule = _lock_crew_schedule(crew_id)
    _check_window(crew_id, starts_at, now, ignore=appointment.id)
    before = _facts(appointment)
    try:
        with db.session.begin_nested():
            appointment.crew_id = crew_id
            appointment.starts_at = starts_at
            appointment.ends_at = starts_at + timedelta(minutes=schedule.meeting_minutes)
            appointment.link_version += 1
            db.session.flush()
    except (IntegrityError, OperationalError) as exc:
        if not _lost_the_window(exc):
            raise
        raise WindowTaken(TAKEN) from exc
    crew = _crew(crew_id)
    note = f"Delivery moved to {_when(appointment)} with {crew.name}. {reason}".strip()
    record(
        order,
        "delivery_rescheduled",
        note,
        actor=actor,
        actor_kind=actor_kind,
        audit_after={"reference": appointment.reference, "starts_at": starts_at.isoformat()},
    )
    states.record(appointment, "rescheduled", note, actor=actor, actor_kind=actor_kind)
    _audit(
        actor,
        actor_kind,
        "delivery.reschedule",
        appointment,
        before=before,
        after=_facts(appointment),
        reason=reason,
    )
    signals.rescheduled.send(appointment, order=order, crew=crew)
    return appointment


def _free_for(appointment, crew_id: int, starts_at: datetime, now: datetime) -> bool:
    cal = calendars(
        [crew_id], starts_at - timedelta(days=1), starts_at + timedelta(days=1), appointment.id
    ).get(crew_id)
    return cal is not None and starts_at in windows_of(
        cal, now, starts_at, starts_at + timedelta(microseconds=1)
    )


def cancel(
    appointment_id: int, *, actor=None, actor_kind: str | None = None, reason: str = ""
) -> DeliveryAppointment:
    """Cancel a booked window; the order goes back to "paid" (waiting for a window)."""
    actor_kind = _kind(actor, actor_kind)
    order, appointment = _lock_for_change(appointment_id)
    if DeliveryStatus.CANCELLED not in states.allowed_moves(appointment):
        raise DomainError("This delivery is no longer booked.")
    before = _facts(appointment)
    note = reason.strip()[:500] or "No reason given."
    states.transition(
        appointment, DeliveryStatus.CANCELLED, actor=actor, actor_kind=actor_kind, note=note
    )
    appointment.link_version += 1
    db.session.flush()
    if order.status == OrderStatus.DELIVERY_SCHEDULED:
        transition(
            order,
            OrderStatus.PAID,
            actor_kind=actor_kind,
            actor=actor,
            note=f"Delivery {appointment.reference} cancelled: {note}",
            kind="delivery_cancelled",
        )
    _audit(
        actor,
        actor_kind,
        "delivery.cancel",
        appointment,
        before=before,
        after=_facts(appointment),
        reason=note,
    )
    signals.cancelled.send(appointment, order=order, crew=_crew(appointment.crew_id), reason=note)
    return appointment


def mark_delivered(
    appointment_id: int, actor, note: str, now: datetime | None = None
) -> DeliveryAppointment:
    """The crew handed the goods over: a note is required; the order becomes "delivered"."""
    note = (note or "").strip()
    if not note:
        raise DomainError(
            "Write a short delivery note (who received it, anything notable).", "note"
        )
    order, appointment = _lock_for_change(appointment_id)
    if (
        DeliveryStatus.DELIVERED not in states.allowed_moves(appointment)
        or order.status != OrderStatus.DELIVERY_SCHEDULED
    ):
        raise DomainError("This delivery is no longer booked.")
    before = _facts(appointment)
    actor_kind = actor_kind_of(actor)
    transition(
        order,
        OrderStatus.DELIVERED,
        actor_kind=actor_kind,
        actor=actor,
        note=f"Delivered ({appointment.reference}): {note}"[:4000],
    )
    states.transition(
        appointment, DeliveryStatus.DELIVERED, actor=actor, actor_kind=actor_kind, note=note
    )
    appointment.delivered_at = now or utcnow()
    appointment.delivered_by_id = actor.id
    appointment.delivery_note = note[:4000]
    appointment.link_version += 1
    db.session.flush()
    _audit(
        actor,
        actor_kind,
        "delivery.delivered",
        appointment,
        before=before,
        after={**_facts(appointment), "note": note[:500]},
    )
    # The order's own "delivered" email (one per order, whichever page marked it delivered).
    from shop.orders import emails as order_emails

    order_emails.delivered(order, f"The crew's note: {note}")
    return appointment


def may_mark_delivered(appointment: DeliveryAppointment, order: Order, actor_kind: str) -> bool:
    """True when both tables allow the hand-over now: the window's (booked -> delivered) and the
    order's for this actor (delivery scheduled -> delivered, never while a dispute is open).
    The pages offer "Mark delivered" only then."""
    return DeliveryStatus.DELIVERED in states.allowed_moves(appointment) and (
        OrderStatus.DELIVERED in moves_for(order, actor_kind)
    )


def send_pick_link(order_id: int, actor, now: datetime | None = None) -> Order:
    """Email the buyer a link where they pick their own window."""
    now = now or utcnow()
    order = lock_order(order_id)
    check_order(order)
    if live_appointment(order.id) is not None:
        raise DomainError("This order already has a delivery window.")
    actor_kind = actor_kind_of(actor)
    record(
        order,
        "delivery_link_sent",
        "Asked the buyer to pick a delivery window.",
        actor=actor,
        actor_kind=actor_kind,
    )
    if actor is not None and actor_kind in EMPLOYEES:
        audit.record(actor, "delivery.link", "order", order.number, after={"to": order.email})
    signals.pick.send(order, now=now)
    return order


# --- links in emails ------------------------------------------------------------------------


PURPOSE = "delivery-link"  # shop.links


def link_token(appointment: DeliveryAppointment) -> str:
    """The buyer's link to a booked window: it dies at the next change and after the window."""
    return links.sign(PURPOSE, ["a", appointment.id, appointment.link_version])


def order_token(order: Order) -> str:
    """The buyer's link to pick a first window for an order that has none."""
    return links.sign(PURPOSE, ["o", order.number])


@dataclass
class OrderPageWindow:
    """What the buyer's order page offers: the picker's link, and the booked window if any."""

    token: str
    when: str  # the booked window on the buyer's clock, "" when none is booked yet
    can_change: bool


def for_order_page(order: Order, now: datetime | None = None) -> OrderPageWindow | None:
    """The same link the emails carry, for an order its crew delivers: to pick a first window
    once it is paid in full, or to see and move the booked one. None when there is nothing to
    choose (not paid, no white-glove line, a dispute open, delivered or cancelled)."""
    if order.dispute_status == "open" or order.status not in (
        OrderStatus.PAID,
        OrderStatus.DELIVERY_SCHEDULED,
    ):
        return None
    if not needs_window(order):
        return None
    appointment = live_appointment(order.id)
    if appointment is None:
        if order.status != OrderStatus.PAID:
            return None
        return OrderPageWindow(order_token(order), "", True)
    now = now or utcnow()
    return OrderPageWindow(
        link_token(appointment),
        _when(appointment),
        # The link dies once the window has passed; then there is nothing left to move.
        order.status == OrderStatus.DELIVERY_SCHEDULED and now < appointment.ends_at,
    )


@dataclass
class Link:
    order: Order
    appointment: DeliveryAppointment | None


def resolve(token: str, now: datetime | None = None) -> Link:
    """What a link points to; NotFound when forged, superseded, used up or past the window."""
    now = now or utcnow()
    try:
        data = links.unsign(PURPOSE, token)
    except (links.BadLink, ValueError, TypeError):
        raise NotFound("No such delivery.") from None
    if not isinstance(data, list) or not data:
        raise NotFound("No such delivery.")
    if data[0] == "a" and len(data) == 3:
        appointment = db.session.get(DeliveryAppointment, data[1])
        if appointment is None or appointment.link_version != data[2]:
            raise NotFound("No such delivery.")
        if now >= appointment.ends_at:
            raise NotFound("This link has expired: the delivery window has passed.")
        order = db.session.get(Order, appointment.order_id)
        return Link(order, appointment)
    if data[0] == "o" and len(data) == 2:
        order = db.session.scalar(sa.select(Order).where(Order.number == str(data[1])))
        if order is None or order.status != OrderStatus.PAID or not needs_window(order):
            raise NotFound("No such delivery.")
        if live_appointment(order.id) is not None:
            raise NotFound("This link has been used: a window is booked.")
        return Link(order, None)
    raise NotFound("No such delivery.")
