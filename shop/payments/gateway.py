"""The one module that imports `stripe`. Everything Stripe-shaped stops here.

Calls go through a StripeClient built from settings: the secret key, an optional API base (a
local Stripe peer in tests and development), an explicit timeout well below the web worker's,
and no automatic retries (the caller decides; idempotency keys make a retry safe at Stripe).
Stripe's errors become two of ours: CardDeclined (the buyer can act on it) and
GatewayUnavailable (anything else: logged in detail, shown calmly).
"""

import json
import logging
import time
from functools import cache

import stripe
from flask import current_app

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """A payment provider call did not do what was asked."""


class CardDeclined(GatewayError):
    """The bank said no; the message is the bank's and is safe to show to the buyer."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


class GatewayUnavailable(GatewayError):
    """A timeout, a connection error, a 5xx or an unexpected answer: try again later."""


class BadSignature(GatewayError):
    """A webhook that Stripe did not sign, or signed too long ago or too far ahead."""


class MalformedEvent(GatewayError):
    """A webhook signed with our secret whose body is not an event we can read."""


@cache
def _client(key: str, api_base: str | None, timeout: float) -> stripe.StripeClient:
    http = stripe.RequestsClient(timeout=timeout)
    bases = {"api": api_base} if api_base else None
    return stripe.StripeClient(key, base_addresses=bases, max_network_retries=0, http_client=http)


def client() -> stripe.StripeClient:
    config = current_app.config
    return _client(
        config["STRIPE_SECRET_KEY"],
        config.get("STRIPE_API_BASE") or None,
        float(config["STRIPE_TIMEOUT_SECONDS"]),
    )


def _call(what: str, fn, *args, **kwargs) -> dict:
    """Run one Stripe call and return its object as a plain dict."""
    try:
        result = fn(*args, **kwargs)
    except stripe.CardError as exc:
        log.info("stripe %s declined: %s (%s)", what, exc.user_message, exc.code)
        raise CardDeclined(exc.user_message or "Your card was declined.", exc.code or "") from exc
    except stripe.StripeError as exc:
        log.warning("stripe %s failed: %s %r", what, type(exc).__name__, str(exc)[:300])
        raise GatewayUnavailable(f"{what}: {type(exc).__name__}") from exc
    except Exception as exc:  # a broken response from a peer is still only "unavailable"
        log.exception("stripe %s failed unexpectedly", what)
        raise GatewayUnavailable(f"{what}: {type(exc).__name__}") from exc
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def _options(idempotency_key: str | None) -> dict:
    return {"idempotency_key": idempotency_key} if idempotency_key else {}


def to_minor_units(cents: int) -> int:
    """Stripe takes amounts in minor units, which is what we keep: checked, never converted."""
    if not isinstance(cents, int) or isinstance(cents, bool) or cents <= 0:
        raise ValueError("amounts sent to Stripe are positive integer minor units")
    return cents


def create_customer(email: str, name: str, idempotency_key: str) -> dict:
    return _call(
        "create customer",
        client().v1.customers.create,
        {"email": email, "name": name},
        _options(idempotency_key),
    )


def create_setup_intent(customer_id: str, idempotency_key: str) -> dict:
    return _call(
        "create setup intent",
        client().v1.setup_intents.create,
        {"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"]},
        _options(idempotency_key),
    )


def add_card(customer_id: str, token: str, idempotency_key: str) -> dict:
    """Keep the card Stripe.js tokenized on the customer; the card's id can pay a PaymentIntent.

    Stripe checks the card here (a card refused outright is declined now), without asking
    the buyer to authenticate: the one 3-D Secure step is the PaymentIntent's own.
    """
    return _call(
        "add card",
        client().v1.customers.payment_sources.create,
        customer_id,
        {"source": token},
        _options(idempotency_key),
    )


def retrieve_setup_intent(setup_intent_id: str) -> dict:
    return _call("retrieve setup intent", client().v1.setup_intents.retrieve, setup_intent_id)


def create_payment_intent(
    *,
    amount_cents: int,
    currency: str,
    customer_id: str,
    capture_method: str,
    reference: str,
    idempotency_key: str,
) -> dict:
    """Create a PaymentIntent for one attempt, without its card (see `set_payment_method`).

    Everything sent here is fixed for the attempt, so a retry after a timeout sends the very
    same request under the same idempotency key and Stripe answers with the intent it made
    the first time (a key reused with other parameters would be refused).
    """
    params = {
        "amount": to_minor_units(amount_cents),
        "currency": currency.lower(),
        "customer": customer_id,
        "payment_method_types": ["card"],
        "capture_method": capture_method,
        "metadata": {"reference": reference},
    }
    return _call(
        "create payment intent",
        client().v1.payment_intents.create,
        params,
        _options(idempotency_key),
    )


def set_payment_method(intent_id: str, payment_method_id: str, idempotency_key: str) -> dict:
    """Put the card the buyer just saved on an unconfirmed PaymentIntent."""
    return _call(
        "update payment intent",
        client().v1.payment_intents.update,
        intent_id,
        {"payment_method": payment_method_id},
        _options(idempotency_key),
    )


def confirm_payment_intent(intent_id: str, idempotency_key: str) -> dict:
    """Ask the bank: this authorizes (or charges) the card, or asks for 3-D Secure."""
    return _call(
        "confirm payment intent",
        client().v1.payment_intents.confirm,
        intent_id,
        {},
        _options(idempotency_key),
    )


def retrieve_payment_intent(intent_id: str) -> dict:
    return _call("retrieve payment intent", client().v1.payment_intents.retrieve, intent_id)


def capture_payment_intent(intent_id: str, amount_cents: int, idempotency_key: str) -> dict:
    """Capture (part of) an authorization; the rest of the hold is released by Stripe."""
    return _call(
        "capture payment intent",
        client().v1.payment_intents.capture,
        intent_id,
        {"amount_to_capture": to_minor_units(amount_cents)},
        _options(idempotency_key),
    )


def cancel_payment_intent(intent_id: str, idempotency_key: str) -> dict:
    return _call(
        "cancel payment intent",
        client().v1.payment_intents.cancel,
        intent_id,
        {},
        _options(idempotency_key),
    )


def create_refund(
    payment_intent_id: str, amount_cents: int, idempotency_key: str, metadata: dict | None = None
) -> dict:
    """Give back (part of) what a PaymentIntent captured. Stripe may answer "pending" first."""
    params = {"payment_intent": payment_intent_id, "amount": to_minor_units(amount_cents)}
    if metadata:
        params["metadata"] = metadata
    return _call("create refund", client().v1.refunds.create, params, _options(idempotency_key))


def retrieve_refund(refund_id: str) -> dict:
    return _call("retrieve refund", client().v1.refunds.retrieve, refund_id)


def list_refunds(payment_intent_id: str) -> list[dict]:
    """The refunds Stripe holds for a PaymentIntent (newest first; at most 100)."""
    page = _call(
        "list refunds",
        client().v1.refunds.list,
        {"payment_intent": payment_intent_id, "limit": 100},
    )
    return list(page.get("data") or [])


WEBHOOK_TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE  # 300 s, either way


def _signed_at(header: str) -> int:
    """The `t=` of a Stripe-Signature header (the first one, as the SDK reads it)."""
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            return int(value)
    raise ValueError("no timestamp")


def construct_event(payload: bytes, signature: str | None) -> object:
    """Verify a webhook on its raw body and return the body parsed, whatever its shape.

    Refused as BadSignature: no or a wrong signature, or one made more than the tolerance
    before or after now (the SDK only checks the past; a stamp from the future would stay
    replayable for as long as it lies ahead). Signed but not JSON: MalformedEvent. The caller
    checks the shape: a signed body is Stripe's word, not yet a well-formed event.
    """
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    tolerance = WEBHOOK_TOLERANCE_SECONDS
    try:
        stripe.WebhookSignature.verify_header(payload, signature or "", secret, tolerance)
        if _signed_at(signature or "") > time.time() + tolerance:
            raise BadSignature("Timestamp in the future, outside the tolerance zone")
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise BadSignature(str(exc)[:200]) from exc
    try:
        return json.loads(payload)
    except ValueError as exc:  # not UTF-8 or not JSON
        raise MalformedEvent("the body is not JSON") from exc
