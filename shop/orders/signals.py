"""What orders announce."""

from blinker import Namespace

_signals = Namespace()

# sender: the Order, once it is placed (paid, authorized, or awaiting a transfer)
order_placed = _signals.signal("order-placed")

# sender: the Order, once it is delivered (the crew handed it over)
order_delivered = _signals.signal("order-delivered")

# sender: the Order, once it is cancelled (store credit it used goes back to the buyer)
order_cancelled = _signals.signal("order-cancelled")
