"""What tickets announce. shop.support.emails listens and queues its emails in the outbox, inside
the same transaction (blinker calls receivers at once), so services never import emails.

Each signal's sender is the ticket; its keyword arguments are the other parameters of the email of
the same name."""

from blinker import Namespace

_signals = Namespace()

# kwargs: message, recipients, attachments (a count)
ticket_opened = _signals.signal("ticket-opened")
buyer_wrote = _signals.signal("ticket-buyer-wrote")
# kwargs: message, attachments
staff_replied = _signals.signal("ticket-staff-replied")
status_changed = _signals.signal("ticket-status-changed")
# kwargs: assignee, actor
assigned = _signals.signal("ticket-assigned")
