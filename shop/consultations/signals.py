"""What bookings announce. shop.consultations.emails listens and queues its emails in the outbox,
inside the same transaction (blinker calls receivers at once), so services never import emails."""

from blinker import Namespace

_signals = Namespace()

# sender: the Booking, each
confirmed = _signals.signal("booking-confirmed")
rescheduled = _signals.signal("booking-rescheduled")
cancelled = _signals.signal("booking-cancelled")
