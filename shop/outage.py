"""The database unavailable for a moment: a calm 503, never a stack trace.

A dropped connection, a server restarting or refusing connections, a lock held too long:
SQLAlchemy raises OperationalError (or InterfaceError). The request's transaction is rolled
back, the failure is logged once (no stack trace), and the answer is a 503 with Retry-After:
a small page that needs no database (the usual layout counts the cart and loads the user:
`render_bare`), or JSON for the
Stripe webhook and the JSON endpoints, so Stripe delivers the event again and the pay page
shows its message. The pool then replaces the broken connections (and `pool_pre_ping` on
PostgreSQL checks each one before a request uses it).
"""

import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError

from shop.errors import render_bare
from shop.extensions import db

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = "The store is briefly unavailable. Nothing was lost; please try again in a moment."


def _wants_json() -> bool:
    if request.path.startswith("/stripe/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > 0


def unavailable():
    """The 503 answer for the current request."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if _wants_json():
        return jsonify(error=MESSAGE), 503, headers
    return render_bare("errors/503.html", message=MESSAGE), 503, headers


def register_outage(app: Flask) -> None:
    def database_unavailable(error):
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the pool throws it away on its own
            log.debug("rollback after a database outage failed", exc_info=True)
        reason = str(getattr(error, "orig", None) or type(error).__name__).strip()
        log.error(
            "database unavailable on %s %s: %s",
            request.method,
            request.path,
            (reason.splitlines() or [type(error).__name__])[0][:200],
        )
        return unavailable()

    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
