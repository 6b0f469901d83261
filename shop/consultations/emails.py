"""The emails a booking sends, each with its calendar invitation, queued in the outbox."""

from flask import current_app

from shop import timefmt
from shop.auth.models import User
from shop.consultations.invites import invite
from shop.consultations.models import Booking
from shop.consultations.services import CHANNELS, link_token
from shop.extensions import db
from shop.notifications.services import absolute_url, queue_email
from shop.timefmt import LONG_WHEN, when


def local(instant, tz: str) -> str:
    """ "Tuesday, March 16 at 10:30 AM PDT" in the reader's zone."""
    return when(instant, tz, pattern=LONG_WHEN)


def _context(booking: Booking) -> dict:
    rep = db.session.get(User, booking.rep_id)
    return {
        "booking": booking,
        "rep": rep,
        "channel": CHANNELS[booking.channel],
        "manage_url": absolute_url("consultations.manage", token=link_token(booking)),
        "buyer_when": local(booking.starts_at, booking.buyer_timezone),
        "rep_when": local(booking.starts_at, rep.timezone or "UTC"),
        "desk_url": absolute_url("staff.consultations.consultation", booking_id=booking.id),
    }


def _invites(booking: Booking, rep: User, cancelled: bool = False) -> tuple[dict, dict]:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    address = sender.split("<")[-1].rstrip(">") if "<" in sender else sender
    description = f"{CHANNELS[booking.channel]} with {rep.name}, Harbor & Hall."
    made = {}
    for who, tz, title in (
        (
            "buyer",
            booking.buyer_timezone,
            f"Harbor & Hall: {CHANNELS[booking.channel]} with {rep.name}",
        ),
        ("rep", rep.timezone or "UTC", f"Consultation with {booking.name}"),
    ):
        made[who] = {
            "filename": "invite.ics",
            "content_type": "text/calendar; method=" + ("CANCEL" if cancelled else "REQUEST"),
            "content": invite(
                booking,
                tz=tz,
                rep_name=rep.name,
                rep_email=rep.email,
                organizer_email=address,
                title=title,
                description=description,
                cancelled=cancelled,
            ),
        }
    return made["buyer"], made["rep"]


def _send(
    booking: Booking, kind: str, buyer_subject: str, rep_subject: str, cancelled: bool = False
) -> None:
    context = _context(booking)
    buyer_ics, rep_ics = _invites(booking, context["rep"], cancelled)
    version = booking.link_version
    queue_email(
        f"booking-{kind}:{booking.reference}:{version}:buyer",
        booking.email,
        buyer_subject,
        f"booking_{kind}",
        attachments=[buyer_ics],
        audience="buyer",
        **context,
    )
    queue_email(
        f"booking-{kind}:{booking.reference}:{version}:rep",
        context["rep"].email,
        rep_subject,
        f"booking_{kind}",
        attachments=[rep_ics],
        audience="rep",
        **context,
    )


def confirmation(booking: Booking) -> None:
    _send(
        booking,
        "confirmed",
        "Your consultation with Harbor & Hall is booked",
        f"New consultation: {booking.name}",
    )


def rescheduled(booking: Booking) -> None:
    _send(
        booking, "rescheduled", "Your consultation has moved", f"Consultation moved: {booking.name}"
    )


def cancelled(booking: Booking) -> None:
    _send(
        booking,
        "cancelled",
        "Your consultation is cancelled",
        f"Consultation cancelled: {booking.name}",
        cancelled=True,
    )


def reminder(booking: Booking, which: str) -> None:
    """A reminder for this booking at its current time ("24h" or "1h"); sent once per time."""
    context = _context(booking)
    stamp = timefmt.stamp(booking.starts_at)
    for audience, to in (("buyer", booking.email), ("rep", context["rep"].email)):
        queue_email(
            f"booking-reminder-{which}:{booking.reference}:{stamp}:{audience}",
            to,
            f"Reminder: consultation {'tomorrow' if which == '24h' else 'in an hour'}",
            "booking_reminder",
            audience=audience,
            which=which,
            **context,
        )


def connect() -> None:
    """Send these when a booking changes (shop.consultations.signals); called at app start.
    Connecting twice (a second app in the same process) keeps one receiver each."""
    from shop.consultations import signals

    signals.confirmed.connect(confirmation)
    signals.rescheduled.connect(rescheduled)
    signals.cancelled.connect(cancelled)
