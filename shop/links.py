"""Signed links: the one place that signs and reads the tokens in links we email or show.

Each purpose has its own salt, so a token made for one (an order's link) is refused by another (a
quote's). The salts are the ones each domain used before this module, so links already sent keep
working. A purpose is either plain (valid until the row's `link_version` changes; the domain checks
that) or timed (signed with its time, refused after `max_age` seconds).
"""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

# purpose -> timed
PURPOSES = {
    "order-link": False,
    "quote-link": False,
    "booking-link": False,
    "delivery-link": False,
    "ticket-link": False,
    "shop.auth.verify-email": True,
}

# A token longer than this is no token of ours: refused before any work on it.
MAX_TOKEN = 500


class BadLink(ValueError):
    """The token was not made by us for this purpose (or was changed)."""


class ExpiredLink(BadLink):
    """A timed token, made by us, older than allowed."""


def _serializer(purpose: str):
    timed = PURPOSES[purpose]  # an unknown purpose is a bug: KeyError, not a token
    kind = URLSafeTimedSerializer if timed else URLSafeSerializer
    return kind(current_app.config["SECRET_KEY"], salt=purpose)


def sign(purpose: str, payload) -> str:
    return _serializer(purpose).dumps(payload)


def unsign(purpose: str, token: str | None, max_age: int | None = None):
    """The payload signed for `purpose`, or BadLink (ExpiredLink when a timed one is too old)."""
    if not token or len(token) > MAX_TOKEN:
        raise BadLink(purpose)
    serializer = _serializer(purpose)
    try:
        if PURPOSES[purpose]:
            return serializer.loads(token, max_age=max_age)
        return serializer.loads(token)
    except SignatureExpired as exc:
        raise ExpiredLink(purpose) from exc
    except BadSignature as exc:
        raise BadLink(purpose) from exc
