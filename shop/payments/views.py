"""The Stripe webhook endpoint."""

import logging

from flask import Blueprint, jsonify, request

from shop.extensions import csrf, db
from shop.payments import gateway
from shop.payments.webhooks import handle_event

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)


@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt  # Stripe signs the body instead; the signature is checked before anything else
def webhook():
    try:
        event = gateway.construct_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except gateway.BadSignature:
        return jsonify(error="bad signature"), 400
    try:
        outcome = handle_event(event)
        db.session.commit()
    except Exception:
        # Nothing of it is kept; Stripe will deliver the event again.
        db.session.rollback()
        log.exception("stripe event %s failed; Stripe will retry", event.get("id"))
        return jsonify(error="temporary failure"), 500
    return jsonify(received=True, outcome=outcome), 200
