"""Payment states and the moves allowed between them.

Stripe's events can arrive late, twice, or out of order, and anyone holding the signing secret
can replay one. The lifecycle only moves forward: a late `payment_failed` can never undo an
authorization, a late `amount_capturable_updated` can never undo a capture, and nothing moves a
payment out of an end state (captured money is given back by a refund, never by a state change).
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


# Before money is held, the buyer may go round again (a decline, then 3-D Secure, then a
# decline...). From AUTHORIZED on, only forward.
RETRYABLE = {
    PaymentStatus.CREATED,
    PaymentStatus.REQUIRES_PAYMENT_METHOD,
    PaymentStatus.REQUIRES_ACTION,
    PaymentStatus.PROCESSING,
}

# Money was taken (captured, or the transfer arrived), or the payment is over: nothing follows.
FINAL = {
    PaymentStatus.SUCCEEDED,
    PaymentStatus.RECEIVED,
    PaymentStatus.CANCELED,
    PaymentStatus.EXPIRED,
}

_CLOSE = {PaymentStatus.CANCELED, PaymentStatus.EXPIRED}

# The lifecycle as one table: state -> the states it may move to.
MOVES: dict[PaymentStatus, set[PaymentStatus]] = {
    **{
        state: (RETRYABLE - {state}) | {PaymentStatus.AUTHORIZED, PaymentStatus.SUCCEEDED} | _CLOSE
        for state in RETRYABLE
    },
    PaymentStatus.AUTHORIZED: {PaymentStatus.SUCCEEDED} | _CLOSE,
    PaymentStatus.AWAITING_FUNDS: {PaymentStatus.RECEIVED} | _CLOSE,
    **{state: set() for state in FINAL},
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
    """True if a payment in `current` may take `new` (never backwards, never out of an end)."""
    return PaymentStatus(new) in MOVES[PaymentStatus(current)]
