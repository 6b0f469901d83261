"""Booking rules: who can be booked when, routing to a rep, booking, rescheduling, cancelling.

No double booking, by construction: the rep's schedule row is locked while a booking is checked
and written (so two buyers for the same slot queue up and the second sees it taken), and on
PostgreSQL an exclusion constraint refuses overlapping live bookings of one rep even if a code
path forgot the lock. Every change writes a BookingEvent and queues its emails in the outbox.
"""

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from shop import links
from shop.auth.models import StaffProfile, User
from shop.auth.roles import Role
from shop.consultations import signals
from shop.consultations import slots as engine
from shop.consultations.models import Booking, RepSchedule
from shop.consultations.states import KEPT, BookingStatus, allowed, record, transition
from shop.db import lock_row, utcnow
from shop.errors import DomainError, InvalidTransition, NotFound
from shop.extensions import db
from shop.timefmt import fmt, when

CHANNELS = {"video": "Video call", "phone": "Phone call", "showroom": "Showroom visit"}
BUDGETS = [
    "Under $10,000",
    "$10,000-$50,000",
    "$50,000-$150,000",
    "$150,000-$400,000",
    "Over $400,000",
    "I'd rather not say",
]
TIMELINES = ["This month", "In 1-3 months", "In 3-12 months", "Just researching"]
OUTCOMES = {
    "quote_to_follow": "Quote to follow",
    "will_buy_online": "Buyer will buy online",
    "needs_time": "Needs more time",
    "not_a_fit": "Not a fit",
}
BOOKING_DAYS_SHOWN = 14


class SlotTaken(DomainError):
    """Someone else just booked that time."""


def check_timezone(name: str) -> ZoneInfo:
    """A known IANA time zone, or a DomainError the buyer can act on."""
    if not name or name not in _zones():
        raise DomainError("Choose your time zone from the list.", field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError("Choose your time zone from the list.", field="timezone") from exc


def _zones() -> frozenset[str]:
    return _ZONES


_ZONES = frozenset(available_timezones())


# --- reps ----------------------------------------------------------------------------------


def reps_for(category_id: int | None) -> list[User]:
    """Reps who take bookings, specialists of the category first (all reps when none is)."""
    stmt = (
        sa.select(User)
        .join(RepSchedule, RepSchedule.rep_id == User.id)
        .where(
            User.role == Role.REP.value,
            User.is_active_account.is_(True),
            RepSchedule.accepts_bookings.is_(True),
        )
        .options(selectinload(User.staff_profile).selectinload(StaffProfile.specialties))
        .order_by(User.name)
    )
    reps = list(db.session.scalars(stmt))
    if category_id is None:
        return reps
    specialists = [
        r
        for r in reps
        if r.staff_profile and any(c.id == category_id for c in r.staff_profile.specialties)
    ]
    return specialists or reps


def previous_rep(buyer_id: int | None, email: str | None) -> int | None:
    """The rep this buyer met before (their latest consultation), to be offered first."""
    if buyer_id is None and not email:
        return None
    who = (
        Booking.buyer_id == buyer_id
        if buyer_id is not None
        else (sa.func.lower(Booking.email) == (email or "").lower())
    )
    return db.session.scalar(
        sa.select(Booking.rep_id)
        .where(who, Booking.status.in_(KEPT))
        .order_by(Booking.starts_at.desc())
        .limit(1)
    )


def _upcoming_load(rep_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Booking.rep_id, sa.func.count())
        .where(
            Booking.rep_id.in_(rep_ids),
            Booking.status == BookingStatus.BOOKED,
            Booking.starts_at >= utcnow(),
        )
        .group_by(Booking.rep_id)
    )
    return dict(rows.all())


@dataclass
class Offer:
    """The slots a buyer is shown: instant -> reps free then (preferred rep first)."""

    slots: dict[datetime, list[int]]
    reps: dict[int, User]

    def days(self, tz: ZoneInfo) -> list[tuple[str, list[datetime]]]:
        """Slots grouped by the buyer's local day, for display."""
        grouped: dict[str, list[datetime]] = {}
        for instant in sorted(self.slots):
            label = fmt(instant.astimezone(tz), "EEEE, MMMM d")
            grouped.setdefault(label, []).append(instant)
        return list(grouped.items())


def _on_rep_clock(instant: datetime, rep_id: int | None) -> str:
    """A time in a booking's history, as its rep (who reads that history) keeps their day."""
    rep = db.session.get(User, rep_id) if rep_id else None
    return when(instant, rep.timezone if rep else None)


def offer(
    category_id: int | None,
    rep_id: int | None,
    now: datetime | None = None,
    days: int = BOOKING_DAYS_SHOWN,
    moving: Booking | None = None,
) -> Offer:
    """Free slots for one rep, or for every suitable rep; a fixed number of queries."""
    now = now or utcnow()
    reps = {r.id: r for r in reps_for(category_id)}
    if rep_id is not None:
        reps = {k: v for k, v in reps.items() if k == rep_id}
    calendars = engine.load_calendars(list(reps), now, now + timedelta(days=days))
    slots: dict[datetime, list[int]] = {}
    for rid, calendar in calendars.items():
        if moving is not None and rid == moving.rep_id:
            # The booking being moved does not block the times around itself.
            own = (moving.starts_at, moving.ends_at)
            calendar = dataclasses.replace(calendar, busy=[b for b in calendar.busy if b != own])
        for instant in engine.free_slots(calendar, now, now, now + timedelta(days=days)):
            slots.setdefault(instant, []).append(rid)
    return Offer(slots=slots, reps=reps)


def choose_rep(free: list[int], preferred: int | None) -> int:
    """The preferred rep when free, else the least loaded (fewest upcoming bookings)."""
    if preferred in free:
        return preferred
    load = _upcoming_load(free)
    return min(free, key=lambda rid: (load.get(rid, 0), rid))


# --- booking -------------------------------------------------------------------------------


@dataclass
class Request:
    """What the buyer asked for and told us."""

    channel: str
    name: str
    email: str
    phone: str
    buyer_timezone: str
    budget: str = ""
    timeline: str = ""
    known: str = ""
    message: str = ""
    product_id: int | None = None
    category_id: int | None = None
    buyer_id: int | None = None
    visitor_key: str | None = None


def _lock_schedule(rep_id: int) -> RepSchedule:
    schedule = db.session.scalar(
        sa.select(RepSchedule)
        .where(RepSchedule.rep_id == rep_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if schedule is None or not schedule.accepts_bookings:
        raise SlotTaken("That specialist is not taking bookings at the moment.")
    return schedule


def _check_slot(rep_id: int, starts_at: datetime, now: datetime, ignore: int | None = None):
    """Re-read the rep's calendar under the lock and make sure the slot is still free."""
    calendars = engine.load_calendars(
        [rep_id], starts_at - timedelta(days=1), starts_at + timedelta(days=1)
    )
    calendar = calendars.get(rep_id)
    if calendar is None:
        raise SlotTaken("That specialist is not taking bookings at the moment.")
    if ignore is not None:  # a reschedule: the booking being moved does not block itself
        own = db.session.get(Booking, ignore)
        busy = [b for b in calendar.busy if own is None or b != (own.starts_at, own.ends_at)]
        calendar = dataclasses.replace(calendar, busy=busy)
    if not engine.is_bookable(calendar, now, starts_at):
        raise SlotTaken("Sorry, that time was just taken. Here are the times still free.")
    return calendar


def _validate(request: Request, starts_at: datetime, now: datetime) -> None:
    if request.channel not in CHANNELS:
        raise DomainError("Choose how you would like to meet.", field="channel")
    check_timezone(request.buyer_timezone)
    if not request.email or "@" not in request.email:
        raise DomainError("We need an email address to send the invitation.", field="email")
    if starts_at.tzinfo is None:
        raise DomainError("That time could not be read.")
    if starts_at <= now:
        raise DomainError("That time has already passed. Please choose another.")


def _new_reference() -> str:
    return "C-" + "".join(secrets.choice("ABCDEFGHJKMNPQRSTUVWXYZ23456789") for _ in range(6))


def book(
    request: Request,
    starts_at: datetime,
    rep_id: int | None,
    actor=None,
    now: datetime | None = None,
) -> Booking:
    """Book the slot with the chosen rep, or route it to a suitable free one."""
    now = now or utcnow()
    starts_at = starts_at.astimezone(UTC)
    _validate(request, starts_at, now)
    if rep_id is None:
        current = offer(request.category_id, None, now)
        free = current.slots.get(starts_at, [])
        if not free:
            raise SlotTaken("Sorry, that time was just taken. Here are the times still free.")
        rep_id = choose_rep(free, previous_rep(request.buyer_id, request.email))
    schedule = _lock_schedule(rep_id)
    _check_slot(rep_id, starts_at, now)
    booking = Booking(
        reference=_new_reference(),
        rep_id=rep_id,
        buyer_id=request.buyer_id,
        visitor_key=None if request.buyer_id else request.visitor_key,
        name=request.name.strip(),
        email=request.email.strip().lower(),
        phone=request.phone.strip(),
        channel=request.channel,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=schedule.meeting_minutes),
        buyer_timezone=request.buyer_timezone,
        budget=request.budget[:40],
        timeline=request.timeline[:40],
        known=request.known[:4000],
        message=request.message[:4000],
        product_id=request.product_id,
        category_id=request.category_id,
    )
    _insert(booking)
    record(
        booking,
        BookingStatus.BOOKED.value,  # the first status: an event, no move
        f"Booked for {_on_rep_clock(starts_at, rep_id)}.",
        actor,
        after={"status": booking.status, "rep_id": rep_id, "starts_at": starts_at},
        reason="",
    )
    signals.confirmed.send(booking)
    return booking


def _insert(booking: Booking) -> None:
    """Write the booking; the database's own no-overlap rule has the last word."""
    try:
        with db.session.begin_nested():
            db.session.add(booking)
    except IntegrityError as exc:
        raise SlotTaken("Sorry, that time was just taken. Here are the times still free.") from exc


def lock_booking(booking_id: int) -> Booking:
    booking = lock_row(Booking, booking_id)
    if booking is None:
        raise NotFound("No such consultation.")
    return booking


def reschedule(
    booking_id: int,
    starts_at: datetime,
    *,
    actor=None,
    reason: str = "",
    another_rep: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Move a booking; it stays with the same rep unless the buyer asks for another one."""
    now = now or utcnow()
    booking = lock_booking(booking_id)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError("This consultation is no longer booked.")
    starts_at = starts_at.astimezone(UTC)
    if starts_at <= now:
        raise DomainError("That time has already passed. Please choose another.")
    rep_id = booking.rep_id
    if another_rep:
        current = offer(booking.category_id, None, now)
        free = [r for r in current.slots.get(starts_at, []) if r != booking.rep_id]
        if not free:
            raise SlotTaken("Sorry, that time was just taken. Here are the times still free.")
        rep_id = choose_rep(free, None)
    schedule = _lock_schedule(rep_id)
    _check_slot(rep_id, starts_at, now, ignore=booking.id if rep_id == booking.rep_id else None)
    old, old_rep = booking.starts_at, booking.rep_id
    try:
        with db.session.begin_nested():
            booking.rep_id = rep_id
            booking.starts_at = starts_at
            booking.ends_at = starts_at + timedelta(minutes=schedule.meeting_minutes)
            booking.link_version += 1
            db.session.flush()
    except IntegrityError as exc:
        raise SlotTaken("Sorry, that time was just taken. Here are the times still free.") from exc
    record(
        booking,
        "rescheduled",
        f"From {_on_rep_clock(old, old_rep)} to {_on_rep_clock(starts_at, rep_id)}. "
        f"{reason}".strip(),
        actor,
        before={"starts_at": old, **({"rep_id": old_rep} if old_rep != rep_id else {})},
        after={"starts_at": starts_at, **({"rep_id": rep_id} if old_rep != rep_id else {})},
        reason=reason.strip(),
    )
    signals.rescheduled.send(booking)
    return booking


def cancel(booking_id: int, *, actor=None, reason: str = "") -> Booking:
    booking = lock_booking(booking_id)
    if booking.status != BookingStatus.BOOKED:
        return booking  # cancelled already, or past and recorded: nothing to cancel
    booking.link_version += 1
    transition(
        booking,
        BookingStatus.CANCELLED,
        note=reason.strip()[:500] or "No reason given.",
        actor=actor,
        before={"status": booking.status, "starts_at": booking.starts_at},
        reason=reason.strip(),
    )
    signals.cancelled.send(booking)
    return booking


def record_outcome(booking_id: int, rep, outcome: str, notes: str) -> Booking:
    """The rep's notes and outcome after the call (or a no-show); again to correct them."""
    booking = lock_booking(booking_id)
    no_show = outcome == BookingStatus.NO_SHOW
    if not no_show and outcome not in OUTCOMES:
        raise DomainError("Choose an outcome.", field="outcome")
    target = BookingStatus.NO_SHOW if no_show else BookingStatus.COMPLETED
    if booking.status != target and not allowed(booking.status, target):
        raise InvalidTransition("This consultation was cancelled: it has no outcome to record.")
    was = {"status": booking.status, "outcome": booking.outcome, "notes": booking.rep_notes[:1000]}
    booking.rep_notes = notes.strip()[:8000]
    booking.outcome = "" if no_show else outcome
    now = {"status": target.value, "outcome": booking.outcome, "notes": booking.rep_notes[:1000]}
    changed = [k for k in now if now[k] != was[k]] or ["status"]
    step = {
        "kind": "outcome",
        "note": OUTCOMES.get(outcome, "No-show"),
        "actor": rep,
        "before": {k: was[k] for k in changed},
        "after": {k: now[k] for k in changed},
        "reason": "",
    }
    if booking.status == target:
        # The same status, other notes or outcome: a step on the history, no move.
        record(booking, step.pop("kind"), **step)
    else:
        transition(booking, target, **step)
    return booking


def reassign(booking_id: int, rep_id: int, manager, reason: str = "") -> Booking:
    """A manager hands a booking to another rep, who must be free at that time."""
    booking = lock_booking(booking_id)
    if booking.status != BookingStatus.BOOKED:
        raise DomainError("Only a booked consultation can be reassigned.")
    if rep_id == booking.rep_id:
        return booking
    rep = db.session.get(User, rep_id)
    if rep is None or rep.role != Role.REP.value:
        raise DomainError("Choose a rep.", field="rep_id")
    _lock_schedule(rep_id)
    _check_slot(rep_id, booking.starts_at, utcnow())
    previous = booking.rep_id
    try:
        with db.session.begin_nested():
            booking.rep_id = rep_id
            booking.link_version += 1
            db.session.flush()
    except IntegrityError as exc:
        raise SlotTaken("That rep was just booked at that time.") from exc
    record(
        booking,
        "reassigned",
        f"From rep {previous} to rep {rep_id}. {reason}".strip(),
        manager,
        before={"rep_id": previous},
        after={"rep_id": rep_id},
        reason=reason.strip(),
    )
    signals.rescheduled.send(booking)
    return booking


# --- links in emails -----------------------------------------------------------------------


PURPOSE = "booking-link"  # shop.links


def link_token(booking: Booking) -> str:
    """The secret of the reschedule and cancel links: the booking and its current version."""
    return links.sign(PURPOSE, [booking.id, booking.link_version])


def booking_for_token(token: str, now: datetime | None = None, for_change: bool = True) -> Booking:
    """The booking a link points to; 404 if forged, superseded, or past the meeting."""
    try:
        booking_id, version = links.unsign(PURPOSE, token)
    except (links.BadLink, ValueError, TypeError):
        raise NotFound("No such consultation.") from None
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.link_version != version:
        raise NotFound("No such consultation.")
    if for_change and (now or utcnow()) >= booking.ends_at:
        raise NotFound("This link has expired: the consultation has passed.")
    return booking
