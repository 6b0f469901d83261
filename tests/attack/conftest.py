"""Fixtures for the attack suite, borrowed from the feature suites that build each object."""

import json
import re
import time

import pytest
import stripe

from tests.checkout.conftest import piano  # noqa: F401
from tests.consultations.conftest import reps  # noqa: F401
from tests.quotes.conftest import boat, team, variant  # noqa: F401
from tests.stripe_peer import WEBHOOK_SECRET
from tests.support.conftest import (  # noqa: F401
    make_delivered_order,
    support_product,
    support_staff,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
PAYLOAD = f"{SCRIPT}{IMG}"


def assert_inert(html: str, where: str = "") -> None:
    """No payload came through as markup: only its escaped text may appear."""
    assert "<script>alert(1)" not in html, f"raw <script> on {where}"
    assert "<img src=x onerror" not in html, f"raw onerror attribute on {where}"
    assert 'href="javascript:' not in html.lower(), f"javascript: link on {where}"
    # Inside a quoted attribute value escaped text is harmless; a breakout leaves a raw quote.
    tags_only = re.sub(r'"[^"]*"', '""', html)
    assert not re.search(r"<[a-z][^<>]*\sonerror\s*=", tags_only, re.I), f"onerror= on {where}"


def capturable_intent(order, intent_id: str) -> dict:
    """A PaymentIntent as Stripe sends it once the order's whole amount is authorized."""
    return {
        "id": intent_id,
        "object": "payment_intent",
        "status": "requires_capture",
        "amount": order.total_cents,
        "amount_capturable": order.total_cents,
        "currency": "usd",
        "metadata": {"reference": f"order:{order.id}"},
    }


def signed_event(obj: dict, event_id: str, kind: str = "payment_intent.amount_capturable_updated"):
    """An event's body and headers, signed as Stripe signs them for our endpoint."""
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    return payload, {"Stripe-Signature": header}


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config.UPLOAD_FOLDER = str(tmp_path / "uploads")
    return app_config
