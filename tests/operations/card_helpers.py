"""Helpers for the card payment operation tests: signed-in staff clients, Stripe's own view."""

import sqlalchemy as sa
import stripe

from shop.audit.models import AuditEntry
from shop.orders.models import Order, OrderEvent
from shop.payments.models import Payment, Refund
from tests.conftest import PASSWORD, csrf_token, free_port
from tests.stripe_peer import SECRET_KEY


def signed_in(app, user):
    """A separate browser signed in as `user`."""
    c = app.test_client()
    r = c.post(
        "/account/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(c)},
    )
    assert r.status_code == 302, r.status_code
    return c


def post(c, url: str, data: dict | None = None):
    """POST a form with the session's CSRF token (read once, so no page eats the flashes)."""
    token = getattr(c, "csrf", None) or csrf_token(c)
    c.csrf = token
    return c.post(url, data={**(data or {}), "csrf_token": token})


def fresh(db, model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def events(db, order: Order, kind: str | None = None) -> list[OrderEvent]:
    stmt = sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    if kind:
        stmt = stmt.where(OrderEvent.kind == kind)
    return list(db.session.scalars(stmt))


def audit_rows(db, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def refund_rows(db, payment: Payment) -> list[Refund]:
    return list(
        db.session.scalars(
            sa.select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id)
        )
    )


def stripe_client(stripe_peer) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_peer.url})


def stripe_refunds(stripe_peer, payment: Payment, excluding_release: int = 0) -> list:
    """The refunds Stripe holds for the payment's PaymentIntent.

    localstripe records the released rest of a partial capture as a refund too; pass its amount
    as `excluding_release` to leave it out.
    """
    found = (
        stripe_client(stripe_peer)
        .v1.refunds.list({"payment_intent": payment.stripe_payment_intent_id, "limit": 100})
        .data
    )
    if excluding_release:
        released = [r for r in found if r.amount == excluding_release]
        if released:
            found = [r for r in found if r.id != released[-1].id]
    return found


def stripe_intent(stripe_peer, payment: Payment):
    return stripe_client(stripe_peer).v1.payment_intents.retrieve(payment.stripe_payment_intent_id)


def stripe_down(app) -> str:
    """Point the app at a loopback port nothing listens on; returns the old API base."""
    old = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"
    return old
