"""What payments announce. Receivers (orders) act inside the same transaction."""

from blinker import Namespace

_signals = Namespace()

# sender: the Payment; kwargs: previous (status before), mismatch (str, empty when all agrees)
payment_changed = _signals.signal("payment-changed")
# sender: the Payment; kwargs: dispute (dict from Stripe)
payment_disputed = _signals.signal("payment-disputed")
