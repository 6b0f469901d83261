"""What orders announce."""

from blinker import Namespace

_signals = Namespace()

# sender: the Order, once it is placed (paid, authorized, or awaiting a transfer)
order_placed = _signals.signal("order-placed")
