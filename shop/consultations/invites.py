"""Calendar invitations (.ics) made with the icalendar library, in the reader's own time zone."""

from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from shop.consultations.models import Booking

PRODID = "-//Harbor & Hall//Consultations//EN"


def invite(
    booking: Booking,
    *,
    tz: str,
    rep_name: str,
    rep_email: str,
    organizer_email: str,
    title: str,
    description: str,
    cancelled: bool = False,
) -> str:
    """An iCalendar invitation for the booking, its times written in `tz` (with VTIMEZONE).

    The UID stays the same for the life of the booking and SEQUENCE grows with each change, so
    a calendar updates the meeting (or removes it, for a cancellation) instead of adding one.
    """
    zone = ZoneInfo(tz)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{booking.reference}@harborandhall.example")
    event.add("sequence", booking.link_version)
    event.add("dtstamp", booking.updated_at)
    event.add("dtstart", booking.starts_at.astimezone(zone))
    event.add("dtend", booking.ends_at.astimezone(zone))
    event.add("summary", title)
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if booking.channel == "showroom":
        event.add("location", "Harbor & Hall showroom, Portland, Oregon")
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = vText("Harbor & Hall")
    event.add("organizer", organizer)
    for name, email in ((booking.name, booking.email), (rep_name, rep_email)):
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()
