"""Payment states and the order in which they may follow each other.

Stripe's events can arrive late, twice, or out of order. A state only ever moves forward in this
ranking, so a late `payment_failed` can never undo an authorization, and a late
`amount_capturable_updated` can never undo a capture.
"""

from enum import StrEnum


class PaymentStatus(StrEnum):
    CREATED = "created"  # no PaymentIntent yet
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"  # waiting for a (new) card
    REQUIRES_ACTION = "requires_action"  # 3-D Secure in progress
    PROCESSING = "processing"
    AUTHORIZED = "authorized"  # Stripe: requires_capture
    SUCCEEDED = "succeeded"  # captured, money received
    CANCELED = "canceled"  # authorization voided or intent abandoned
    AWAITING_FUNDS = "awaiting_funds"  # bank transfer expected
    RECEIVED = "received"  # bank transfer arrived in full
    EXPIRED = "expired"  # bank transfer never came, or a card hold lapsed uncaptured


RANK = {
    PaymentStatus.CREATED: 0,
    PaymentStatus.REQUIRES_PAYMENT_METHOD: 1,
    PaymentStatus.REQUIRES_ACTION: 2,
    PaymentStatus.PROCESSING: 3,
    PaymentStatus.AUTHORIZED: 4,
    PaymentStatus.SUCCEEDED: 5,
    PaymentStatus.CANCELED: 6,
    PaymentStatus.AWAITING_FUNDS: 1,
    PaymentStatus.RECEIVED: 5,
    PaymentStatus.EXPIRED: 6,
}

# Before money is held, the buyer may go round again (a decline, then 3-D Secure, then a
# decline...). From AUTHORIZED on, only forward.
RETRYABLE = {
    PaymentStatus.CREATED,
    PaymentStatus.REQUIRES_PAYMENT_METHOD,
    PaymentStatus.REQUIRES_ACTION,
    PaymentStatus.PROCESSING,
}

FROM_STRIPE = {
    "requires_payment_method": PaymentStatus.REQUIRES_PAYMENT_METHOD,
    "requires_confirmation": PaymentStatus.REQUIRES_PAYMENT_METHOD,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.AUTHORIZED,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}

HELD = {PaymentStatus.AUTHORIZED, PaymentStatus.SUCCEEDED, PaymentStatus.RECEIVED}


def may_move(current: str, new: str) -> bool:
    """True if a payment in `current` may take `new` (never backwards, never out of a terminal)."""
    current, new = PaymentStatus(current), PaymentStatus(new)
    if current == new:
        return False
    if current in RETRYABLE and new in RETRYABLE:
        return True
    return RANK[new] > RANK[current]
