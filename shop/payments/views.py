"""The Stripe webhook endpoint."""

import logging

from flask import Blueprint, jsonify, request

from shop.extensions import csrf, db
from shop.payments import gateway
from shop.payments.webhooks import handle_event, problem, record_malformed

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)


@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt  # Stripe signs the body instead; the signature is checked before anything else
def webhook():
    payload = request.get_data()
    try:
        event = gateway.construct_event(payload, request.headers.get("Stripe-Signature"))
        why = problem(event)
    except gateway.BadSignature:
        return jsonify(error="bad signature"), 400
    except gateway.MalformedEvent as exc:
        event, why = None, str(exc)
    try:
        # The event's row and its handling are one savepoint, so they are kept together (the
        # request commits when this view returns) or undone together. A row kept without its
        # handling would lose the event: Stripe's retry would be taken for a duplicate.
        with db.session.begin_nested():
            # Signed, so it came from Stripe, but when no handler can read it, it is kept for
            # staff and refused with a 400 (sending it again would not make it readable).
            outcome = record_malformed(payload, event, why) if why else handle_event(event)
    except Exception:
        # Nothing of it is kept (the savepoint is rolled back; if even that fails, the error
        # escapes and nothing is committed); Stripe will deliver the event again.
        event_id = event.get("id") if isinstance(event, dict) else None
        log.exception("stripe event %s failed; Stripe will retry", event_id)
        return jsonify(error="temporary failure"), 500
    if why:
        return jsonify(error="malformed event", outcome=outcome), 400
    return jsonify(received=True, outcome=outcome), 200
