"""What delivery announces. shop.delivery.emails listens and queues its emails in the outbox,
inside the same transaction (blinker calls receivers at once), so services never import emails.

Each signal's sender is the first argument of the email of the same name; its keyword arguments
are that email's other parameters."""

from blinker import Namespace

_signals = Namespace()

# sender: the DeliveryAppointment; kwargs: order, crew
confirmed = _signals.signal("delivery-confirmed")
rescheduled = _signals.signal("delivery-rescheduled")
# sender: the DeliveryAppointment; kwargs: order, crew, reason
cancelled = _signals.signal("delivery-cancelled")
# sender: the Order; kwargs: now (the buyer is asked to pick a window)
pick = _signals.signal("delivery-pick")
