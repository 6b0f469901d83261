"""Payment rules: one PaymentIntent per payment, amounts checked, states only moving forward.

Every function takes plain values and flushes; the request (or the job) commits. A Stripe call
made while a Payment row is locked means two tabs or a double click wait for each other and the
second finds the first one's work done: one PaymentIntent, one charge.
"""

import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop.db import lock_row, utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.money import Money
from shop.payments import gateway
from shop.payments.models import Payment
from shop.payments.signals import payment_changed
from shop.payments.states import FINAL, FROM_STRIPE, HELD, RETRYABLE, PaymentStatus, may_move

# Without ambiguous characters (0/O, 1/I/L), so a reference survives being read over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class PaymentDeclined(DomainError):
    """The card was declined: the bank's message, for the buyer."""

    keeps_changes = True  # the decline is on the payment and the order's timeline


class PaymentUnavailable(DomainError):
    """The payment provider could not be reached or answered oddly: nothing was charged twice."""

    keeps_changes = True  # the attempt and why it stopped are kept, to be tried again


def max_payment_cents() -> int:
    return int(current_app.config["MAX_PAYMENT_CENTS"])


def check_amount(amount_cents: int) -> None:
    """Refuse an amount the store does not take in one payment, before any provider call."""
    if amount_cents <= 0:
        raise DomainError("There is nothing to pay.")
    if amount_cents > max_payment_cents():
        limit = Money(max_payment_cents()).format()
        raise DomainError(
            f"A single payment can be at most {limit}. Please talk to a specialist: we can split "
            "the payment or arrange a bank transfer schedule."
        )


def _bank_reference() -> str:
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"HH-{body[:4]}-{body[4:]}"


def create_payment(
    reference: str,
    method: str,
    amount_cents: int,
    currency: str,
    purpose: str = "full",
    expires_at: datetime | None = None,
) -> Payment:
    """The payment for `reference`, made once: a second call returns the first one's row."""
    check_amount(amount_cents)
    existing = find_payment(reference, purpose)
    if existing is not None:
        return existing
    payment = Payment(
        reference=reference,
        purpose=purpose,
        method=method,
        currency=currency,
        amount_cents=amount_cents,
        expires_at=expires_at,
        capture_method=current_app.config["STRIPE_CAPTURE_METHOD"],
        status=PaymentStatus.CREATED if method == "card" else PaymentStatus.AWAITING_FUNDS,
    )
    if method == "bank_transfer":
        payment.bank_reference = _unused_bank_reference()
    db.session.add(payment)
    db.session.flush()
    return payment


def _unused_bank_reference() -> str:
    for _ in range(10):
        candidate = _bank_reference()
        taken = db.session.scalar(sa.select(Payment.id).where(Payment.bank_reference == candidate))
        if taken is None:
            return candidate
    raise RuntimeError("could not find a free bank reference")  # 31^8: effectively never


def find_payment(reference: str, purpose: str = "full") -> Payment | None:
    return db.session.scalar(
        sa.select(Payment).where(Payment.reference == reference, Payment.purpose == purpose)
    )


def lock_payment(payment_id: int) -> Payment:
    """The payment row, locked for this transaction and read fresh."""
    payment = lock_row(Payment, payment_id)
    if payment is None:
        raise NotFound("No such payment.")
    return payment


def _set_status(payment: Payment, new: PaymentStatus, mismatch: str = "") -> bool:
    """Move the payment forward and announce it; a backwards move is ignored."""
    previous = payment.status
    if not may_move(previous, new):
        return False
    payment.status = new.value
    if new == PaymentStatus.AUTHORIZED and payment.authorized_at is None:
        payment.authorized_at = utcnow()
    db.session.flush()
    payment_changed.send(payment, previous=previous, mismatch=mismatch)
    return True


def record_intent(payment: Payment, intent: dict) -> bool:
    """Take in what Stripe says about the payment's PaymentIntent (a call's answer or a webhook).

    An amount, currency or reference that does not match never marks anything paid: the
    payment keeps its state and staff are told through the signal. A state the lifecycle does
    not allow from where the payment stands (a late or replayed event: `canceled` after a
    capture, say) changes nothing at all, amounts included.
    """
    status = FROM_STRIPE.get(str(intent.get("status") or ""))
    if status is None:
        return False
    if status == PaymentStatus.CANCELED and intent.get("cancellation_reason") == "automatic":
        # Stripe let an uncaptured hold lapse: "payment expired", never paid.
        status = PaymentStatus.EXPIRED
    metadata = intent.get("metadata") or {}
    mismatch = ""
    if intent.get("amount") != payment.amount_cents:
        mismatch = f"amount {intent.get('amount')} != {payment.amount_cents}"
    elif str(intent.get("currency") or "").upper() != payment.currency:
        mismatch = f"currency {intent.get('currency')} != {payment.currency}"
    elif metadata.get("reference") not in (None, payment.reference):
        mismatch = f"reference {metadata.get('reference')} != {payment.reference}"
    if mismatch and status in HELD:
        payment.last_error = f"Mismatch: {mismatch}"[:300]
        db.session.flush()
        payment_changed.send(payment, previous=payment.status, mismatch=mismatch)
        return False
    if not (may_move(payment.status, status) or status == PaymentStatus(payment.status)):
        return False
    amount = int(intent.get("amount") or 0)
    capturable = int(intent.get("amount_capturable") or 0)
    received = int(intent.get("amount_received") or 0)
    # Some peers leave these out; the status says what they must be.
    if status == PaymentStatus.AUTHORIZED and not capturable:
        capturable = amount
    if status == PaymentStatus.SUCCEEDED and not received:
        received = amount
    if status in (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED, PaymentStatus.EXPIRED):
        capturable = 0
    payment.amount_capturable_cents = capturable
    payment.amount_received_cents = max(payment.amount_received_cents, received)
    error = intent.get("last_payment_error")
    if status == PaymentStatus.REQUIRES_PAYMENT_METHOD and isinstance(error, dict):
        payment.last_error = str(error.get("message") or "Declined")[:300]
    deadline = _capture_deadline(intent)
    if deadline is not None:
        payment.capture_before = deadline
    return _set_status(payment, status)


def _capture_deadline(intent: dict) -> datetime | None:
    """Stripe's capture_before for this authorization, when it gives one."""
    charge = intent.get("latest_charge")
    details = charge.get("payment_method_details") if isinstance(charge, dict) else None
    card = details.get("card") if isinstance(details, dict) else None
    before = card.get("capture_before") if isinstance(card, dict) else None
    if isinstance(before, int) and not isinstance(before, bool) and 0 < before < 2**40:
        return datetime.fromtimestamp(before, UTC)
    return None


def prepare_card(payment_id: int, email: str, name: str) -> str:
    """Make sure the payment has a Stripe customer and an open SetupIntent; its client secret.

    The card is entered into Stripe.js, never into our pages: the browser gets a client secret,
    Stripe keeps the card, and we only ever see a payment method id.
    """
    payment = lock_payment(payment_id)
    _require_retryable(payment)
    _ensure_customer(payment, email, name)
    if payment.stripe_setup_intent_id is not None:
        setup = _gateway(gateway.retrieve_setup_intent, payment.stripe_setup_intent_id)
        if setup.get("status") in ("requires_payment_method", "requires_confirmation"):
            return setup["client_secret"]
    # Named after the SetupIntent it replaces, not after a counter: a retry after a timeout
    # sends the same key, and Stripe answers with the SetupIntent it made the first time.
    previous = payment.stripe_setup_intent_id or "none"
    setup = _gateway(
        gateway.create_setup_intent,
        payment.stripe_customer_id,
        f"payment-{payment.id}-setup-after-{previous}",
    )
    payment.stripe_setup_intent_id = setup["id"]
    db.session.flush()
    return setup["client_secret"]


def _ensure_customer(payment: Payment, email: str, name: str) -> None:
    if payment.stripe_customer_id is None:
        customer = _gateway(gateway.create_customer, email, name, f"payment-{payment.id}-customer")
        payment.stripe_customer_id = customer["id"]
        db.session.flush()


def save_card(payment_id: int, token: str, email: str, name: str) -> str:
    """Keep the card the buyer typed into Stripe.js (a one-use token) on the payment's Stripe
    customer; the saved card's id, for `pay_with_card`.

    Paying now, the card is saved without a SetupIntent: confirming one makes the bank ask for
    3-D Secure, and the PaymentIntent then asks again (one payment, two authentications). A
    tokenized card is only checked here; the PaymentIntent's confirmation is the one place
    the buyer authenticates. The key names the token, itself used once: a retry after a
    timeout gets the same card back.
    """
    payment = lock_payment(payment_id)
    if PaymentStatus(payment.status) in HELD:
        return ""
    _require_retryable(payment)
    if not token.startswith("tok_") or len(token) > 64:
        raise DomainError("That card could not be read. Please enter it again.")
    _ensure_customer(payment, email, name)
    try:
        card = _gateway(
            gateway.add_card,
            payment.stripe_customer_id,
            token,
            f"payment-{payment.id}-card-{token}",
        )
    except PaymentDeclined as exc:
        _record_decline(payment, exc)
        raise
    return card["id"]


def _record_decline(payment: Payment, exc: PaymentDeclined) -> None:
    """The bank's no, kept on the payment and told (the order's timeline shows it)."""
    payment.last_error = exc.message[:300]
    if not _set_status(payment, PaymentStatus.REQUIRES_PAYMENT_METHOD):
        payment_changed.send(payment, previous=payment.status, mismatch="")
    db.session.flush()


def _require_retryable(payment: Payment) -> None:
    if payment.method != "card":
        raise DomainError("This order is paid by bank transfer.")
    if PaymentStatus(payment.status) not in RETRYABLE:
        raise DomainError("This payment is already complete.")


def _gateway(fn, *args, **kwargs) -> dict:
    try:
        return fn(*args, **kwargs)
    except gateway.CardDeclined as exc:
        raise PaymentDeclined(exc.message) from exc
    except gateway.GatewayUnavailable as exc:
        raise PaymentUnavailable(
            "We could not reach the card network just now. Nothing was charged; please try "
            "again in a moment."
        ) from exc


# PaymentIntent statuses Stripe lets us cancel (a captured one never is; processing rarely).
CANCELABLE = {
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "requires_capture",
}


def _create_intent(payment: Payment) -> dict:
    """Make the PaymentIntent of the payment's next attempt, under a key fixed before the call.

    The key names the attempt (one more than the intents made so far) and is kept on the row
    until Stripe's answer is: after a timeout or a dropped connection the retry sends the same
    key, so Stripe returns the intent it made the first time instead of making a second one.
    The counter only moves once an intent is known, never because a call was tried.
    """
    key = payment.intent_key or f"payment-{payment.id}-attempt-{payment.attempts + 1}"
    payment.intent_key = key
    db.session.flush()
    intent = _gateway(
        gateway.create_payment_intent,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        customer_id=payment.stripe_customer_id or "",
        capture_method=payment.capture_method,
        reference=payment.reference,
        idempotency_key=key,
    )
    payment.attempts += 1
    payment.stripe_payment_intent_id = intent["id"]
    payment.intent_key = None
    db.session.flush()
    return intent


def _reusable(payment: Payment, intent: dict) -> bool:
    """The attempt's intent was never put to the bank (a confirm that timed out before
    reaching it, say): the same intent takes the new card. A declined, failed or abandoned one
    is over, and so is one for another amount."""
    return (
        intent.get("status") in ("requires_payment_method", "requires_confirmation")
        and not intent.get("last_payment_error")
        and intent.get("amount") == payment.amount_cents
        and str(intent.get("currency") or "").upper() == payment.currency
    )


def _cancel_intent(payment: Payment, intent: dict) -> dict:
    """Cancel an intent at Stripe unless it is past that (captured, canceled, processing)."""
    if intent.get("status") not in CANCELABLE:
        return intent
    return _gateway(
        gateway.cancel_payment_intent, intent["id"], f"payment-{payment.id}-{intent['id']}-cancel"
    )


def pay_with_card(payment_id: int, payment_method_id: str) -> Payment:
    """Authorize (or charge) the payment with the card the buyer just entered in Stripe.js.

    One live PaymentIntent per payment at any time, one per logical attempt. A retry after a
    failure or timeout continues the same attempt (same idempotency key, same intent); only a
    new attempt (after a decline, a failed 3-D Secure, or for another amount) first cancels
    the old intent, which can then never charge, and makes a fresh one. The payment row stays
    locked throughout, so a double click or a second tab waits and then finds the money held.
    A payment that already holds money is returned untouched.
    """
    payment = lock_payment(payment_id)
    if PaymentStatus(payment.status) in HELD:
        return payment
    _require_retryable(payment)
    # A PaymentMethod (pm_) or a card saved on the customer by `save_card` (card_).
    if not payment_method_id.startswith(("pm_", "card_")) or len(payment_method_id) > 64:
        raise DomainError("That card could not be read. Please enter it again.")
    check_amount(payment.amount_cents)
    intent = None
    if payment.stripe_payment_intent_id is not None:
        current = _gateway(gateway.retrieve_payment_intent, payment.stripe_payment_intent_id)
        status = FROM_STRIPE.get(current.get("status", ""))
        if status in HELD or status == PaymentStatus.PROCESSING:
            record_intent(payment, current)  # the last attempt did go through after all
            db.session.flush()
            return payment
        if _reusable(payment, current):
            intent = current
        else:
            _cancel_intent(payment, current)
            # Forgotten at once: Stripe's `canceled` event for it must not find this payment
            # (it would cancel the order while the new attempt's answer is still awaited).
            payment.stripe_payment_intent_id = None
    if intent is None:
        intent = _create_intent(payment)
    key = f"payment-{payment.id}-{intent['id']}"
    card_key = f"{key}-card-{payment_method_id}"
    _gateway(gateway.set_payment_method, intent["id"], payment_method_id, card_key)
    try:
        intent = _gateway(
            gateway.confirm_payment_intent, intent["id"], f"{key}-confirm-{payment_method_id}"
        )
    except PaymentDeclined as exc:
        _record_decline(payment, exc)
        raise
    record_intent(payment, intent)
    db.session.flush()
    return payment


def switch_to_transfer(payment_id: int, expires_at: datetime) -> Payment:
    """The buyer would rather pay this card payment by bank transfer (after a decline, say).

    Only a payment that never held money switches: its live PaymentIntent is cancelled at
    Stripe first and forgotten (its `canceled` event must not find the payment), then the row
    becomes a transfer awaiting funds with its own reference. No money moved, so nothing is
    announced: the order moves itself. A card that went through after all is recorded instead
    and the payment returned still a card payment.
    """
    payment = lock_payment(payment_id)
    _require_retryable(payment)
    if payment.intent_key is not None:
        _create_intent(payment)  # a create whose answer was lost: learn its intent to cancel it
    if payment.stripe_payment_intent_id is not None:
        current = _gateway(gateway.retrieve_payment_intent, payment.stripe_payment_intent_id)
        status = FROM_STRIPE.get(current.get("status", ""))
        if status in HELD or status == PaymentStatus.PROCESSING:
            record_intent(payment, current)
            db.session.flush()
            return payment
        _cancel_intent(payment, current)
        payment.stripe_payment_intent_id = None
    payment.method = "bank_transfer"
    payment.status = PaymentStatus.AWAITING_FUNDS.value
    payment.bank_reference = _unused_bank_reference()
    payment.expires_at = expires_at
    payment.last_error = ""
    db.session.flush()
    return payment


def refresh(payment_id: int) -> Payment:
    """Ask Stripe where the payment stands (after 3-D Secure, or when a webhook is late)."""
    payment = lock_payment(payment_id)
    if payment.stripe_payment_intent_id is None:
        return payment
    intent = _gateway(gateway.retrieve_payment_intent, payment.stripe_payment_intent_id)
    record_intent(payment, intent)
    db.session.flush()
    return payment


def capture(payment_id: int, amount_cents: int | None = None) -> Payment:
    """Capture an authorization, in full or in part, at most once and never above the hold.

    The row lock makes two clicks one capture: the second finds the payment already captured.
    The test Stripe peer does not enforce the limit, so we do, before calling it.
    """
    payment = lock_payment(payment_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        return payment
    if payment.status != PaymentStatus.AUTHORIZED or not payment.stripe_payment_intent_id:
        raise DomainError("Only an authorized card payment can be captured.")
    amount = payment.amount_capturable_cents if amount_cents is None else amount_cents
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError("Enter an amount to capture.")
    if amount > payment.amount_capturable_cents:
        limit = Money(payment.amount_capturable_cents, payment.currency)
        raise DomainError(f"At most {limit} can be captured on this authorization.")
    intent = _gateway(
        gateway.capture_payment_intent,
        payment.stripe_payment_intent_id,
        amount,
        f"payment-{payment.id}-capture",
    )
    if not intent.get("amount_received"):
        intent = {**intent, "amount_received": amount}
    record_intent(payment, intent)
    db.session.flush()
    return payment


def client_secret(payment: Payment) -> str | None:
    """The PaymentIntent's client secret, for the page to finish 3-D Secure."""
    if payment.stripe_payment_intent_id is None:
        return None
    intent = _gateway(gateway.retrieve_payment_intent, payment.stripe_payment_intent_id)
    return intent.get("client_secret")


def cancel(payment_id: int, reason: str) -> Payment:
    """Void the payment: cancel at Stripe every intent it made that holds or could still take
    money (an authorization, an unconfirmed attempt, one whose creation was never answered),
    or close an unpaid transfer. Money already captured is left alone (refunds give it back).
    """
    payment = lock_payment(payment_id)
    if PaymentStatus(payment.status) in FINAL:
        return payment
    if payment.method == "card":
        if payment.intent_key is not None:
            # A create whose answer never came: the same request and key make Stripe name
            # the intent it made (or make it now), so it can be cancelled with the rest.
            _create_intent(payment)
        intent = None
        if payment.stripe_payment_intent_id:
            intent = _gateway(gateway.retrieve_payment_intent, payment.stripe_payment_intent_id)
            intent = _cancel_intent(payment, intent)
            record_intent(payment, intent)
        if intent is None or intent.get("status") == "canceled":
            _set_status(payment, PaymentStatus.CANCELED)  # when Stripe's answer did not move it
    else:
        _set_status(payment, PaymentStatus.EXPIRED)
    payment.last_error = reason[:300]
    db.session.flush()
    return payment


def expires_in(days: int = 0, minutes: int = 0) -> datetime:
    return utcnow() + timedelta(days=days, minutes=minutes)
