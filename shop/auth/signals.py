"""What accounts announce. Receivers act inside the same transaction; the view commits."""

from blinker import Namespace

_signals = Namespace()

# sender: the User whose email address was just verified (sent once, on the first verification).
# Later, orders connects to it to attach the guest orders placed with that address.
email_verified = _signals.signal("email-verified")
