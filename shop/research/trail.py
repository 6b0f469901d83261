"""Putting a request's research on the trail, with a first-time visitor's first event held back.

A visitor who arrives without a session gets a visitor key in this response's cookie, but most
such requests come from clients that never send the cookie back (crawlers, link previews, load
generators), and a trail row under a key nobody returns with is never read: it cannot reach a
login or a booking. So a first-time visitor's event waits in their signed session and is written,
with its original time, on the first request that brings the session back, before anything
(a login, a booking) could read the trail. A page for a first-time visitor then writes nothing.
"""

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import g, session

from shop.catalog.http_cache import shared
from shop.db import utcnow
from shop.extensions import db
from shop.research.models import ResearchEvent, ResearchKind
from shop.research.services import record
from shop.web import (
    VISITOR_SESSION_KEY,
    hash_token,
    is_new_visitor,
    is_signed_in,
    owner,
    parse_id,
    visitor_token,
)

PENDING_KEY = "trail_pending"
MAX_PENDING = 5  # one request notes at most one event; this only bounds the cookie
log = logging.getLogger(__name__)


def note(kind: ResearchKind, *, product_id: int | None = None, query: str | None = None) -> None:
    """One event on the trail of whoever is asking, committed (or held for a first-time visitor).

    A page shared by visitors without a session (shop.catalog.http_cache) writes nothing for
    anyone: the event goes into the page's `data-visit` URL, which app.js asks for
    (`research.visit`), noting it for the visitor who actually reads the page."""
    if shared():
        g.visit_note = {"kind": kind.value, "product": product_id, "q": query and query[:200]}
        return
    if not is_signed_in():
        visitor_token(create=True)  # not yet its hash (owner): a held event has no use for it
        if is_new_visitor():
            held = list(session.get(PENDING_KEY, []))
            held.append(
                [kind.value, product_id, (query or None) and query[:200], utcnow().isoformat()]
            )
            session[PENDING_KEY] = held[-MAX_PENDING:]
            return
    record(kind, product_id=product_id, query=query, **owner())
    db.session.commit()


def write_held_events() -> None:
    """Before a request that brought a session back: write the events it holds."""
    held = session.get(PENDING_KEY)
    if held is None:
        return
    session.pop(PENDING_KEY)
    token = session.get(VISITOR_SESSION_KEY)
    if not token or not isinstance(held, list):
        return
    rows = [r for r in (_row(item, hash_token(token)) for item in held) if r is not None]
    if not rows:
        return
    try:
        db.session.execute(sa.insert(ResearchEvent.__table__), rows)
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        # The trail is a courtesy to the rep; losing a held event must not fail the request.
        db.session.rollback()
        log.warning("held research events could not be written", exc_info=True)


def _row(item, visitor_key: str) -> dict | None:
    try:
        kind, product_id, query, at = item
        kind = ResearchKind(kind).value
        created_at = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None
    if product_id is not None and parse_id(product_id) is None:
        return None
    return {
        "kind": kind,
        "user_id": None,
        "visitor_key": visitor_key,
        "product_id": parse_id(product_id),
        "query": query if isinstance(query, str) else None,
        "created_at": created_at,
    }
