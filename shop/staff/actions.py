"""Running one staff action that may move money: say what happened, or undo it and say why not.
A failure at Stripe is still written down (timeline and audit) after the undo, and committed with
the request (shop.unit_of_work)."""

from flask import flash
from flask_login import current_user

from shop.orders import operations
from shop.unit_of_work import refusals


def run_action(action, success=lambda outcome: outcome.message) -> bool:
    """Run `action()`; True when it went through. A refusal is undone and flashed; NotFound
    propagates (a 404 page)."""
    with refusals() as refused:
        outcome = action()
    if isinstance(refused.error, operations.StripeFailure):
        # The order and the payment stay as they were, but staff and the audit trail must see
        # that Stripe failed (and an approved refund stays, as failed, to be sent again).
        operations.record_failure(refused.error, current_user)
    if refused:
        return False
    flash(success(outcome), "success")
    return True
