"""Running one staff action that may move money: commit and say what happened, or roll back and
say why not. A failure at Stripe is still written down (timeline and audit) after the rollback."""

from flask import flash
from flask_login import current_user

from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.orders import operations


def run_action(action, success=lambda outcome: outcome.message) -> bool:
    """Run `action()`; True when it was committed. NotFound propagates (a 404 page)."""
    try:
        outcome = action()
    except NotFound:
        db.session.rollback()
        raise
    except operations.StripeFailure as exc:
        db.session.rollback()
        operations.record_failure(exc, current_user)
        db.session.commit()
        flash(exc.message, "error")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(success(outcome), "success")
        return True
    return False
