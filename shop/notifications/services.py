"""Queue emails as outbox rows inside the caller's transaction; deliver them after commit.

`queue_email` only writes a row (flush, never commit), so an email exists only if the change it
announces was committed. `deliver_pending` sends rows through Flask-Mailman: each row is claimed
first by a conditional UPDATE committed before any SMTP traffic, so two senders at once (two
threads, two processes, two hosts) never send one message twice. Rows left in "sending" by a
crashed sender are claimed again after CLAIM_TIMEOUT, which makes delivery at-least-once: a crash
between the SMTP hand-off and the "sent" commit can send that one message twice, never lose it.

Per message, two units of work (shop.unit_of_work) with the SMTP call between them, in no
transaction: the claim, then the outcome (sent, or the failure and when to try again). One
transaction around the call would hold its row's lock (on SQLite, the whole database's write
lock) for as long as the mail server takes, and a sender that died in it would leave no trace of
the attempt, so a message that kills its sender would be tried forever.
"""

import contextlib
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives
from jinja2 import TemplateNotFound
from sqlalchemy.exc import IntegrityError

from shop.db import utcnow
from shop.extensions import db, mail
from shop.inputs import single_line
from shop.notifications.models import OutboxMessage
from shop.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A claim older than this belongs to a sender that died; the message may be claimed again.
CLAIM_TIMEOUT = timedelta(minutes=10)
# Wait after the n-th failed attempt before the next one, so a short SMTP outage does not use up
# every attempt at once (and `send-outbox` does not retry a failing message in a tight loop).
RETRY_DELAYS = {
    1: timedelta(minutes=1),
    2: timedelta(minutes=5),
    3: timedelta(minutes=15),
    4: timedelta(hours=1),
}

# Keys in Session.info: ids queued in the open transaction, then ids whose transaction committed.
_QUEUED = "outbox_queued_ids"
_COMMITTED = "outbox_committed_ids"


# --- links ----------------------------------------------------------------------------------


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL for an email, always on PUBLIC_BASE_URL.

    Never the request's Host header: a forged Host would otherwise put an attacker's site in a
    link that we email to a buyer (password-reset style poisoning).
    """
    app = current_app
    base = urlsplit(app.config["PUBLIC_BASE_URL"])
    adapter = app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    anchor = values.pop("_anchor", None)
    app.inject_url_defaults(endpoint, values)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


# --- queueing -------------------------------------------------------------------------------


def _render_bodies(template: str, context: dict) -> tuple[str, str]:
    """The text body (required) and the HTML body (empty when there is no .html template)."""
    text = render_template(f"emails/{template}.txt", **context)
    html_name = f"emails/{template}.html"
    try:
        current_app.jinja_env.loader.get_source(current_app.jinja_env, html_name)
    except TemplateNotFound:
        return text, ""
    return text, render_template(html_name, **context)


def queue_email(
    dedupe_key: str,
    to: str,
    subject: str,
    template: str,
    attachments: list[dict] | None = None,
    **context,
) -> OutboxMessage | None:
    """Add one email to the outbox in the current transaction; None if its key was used before.

    `template` names templates/emails/<template>.txt (and .html when present), rendered with
    `context` plus `store_name`. Attachments are dicts {filename, content_type, content (str)}.
    """
    exists = db.session.scalar(
        sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    )
    if exists is not None:
        return None
    from shop.timefmt import recipient_zone

    # Times in an email are on its recipient's clock (the `when`/`day` filters read reader_tz).
    context = {
        "store_name": current_app.config["STORE_NAME"],
        "reader_tz": recipient_zone(to),
        **context,
    }
    body_text, body_html = _render_bodies(template, context)
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        to_address=to,
        subject=subject[:200],
        body_text=body_text,
        body_html=body_html,
        attachments=[
            {
                "filename": a["filename"],
                "content_type": a["content_type"],
                "content": a["content"],
            }
            for a in attachments or ()
        ],
        status="pending",
        attempts=0,
        last_error="",
    )
    # Another transaction may insert the same key between our check and our insert: the unique
    # index refuses one of them, and the savepoint keeps the caller's transaction usable.
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None
    db.session.info.setdefault(_QUEUED, []).append(message.id)
    return message


@sa.event.listens_for(db.session, "after_commit")
def _remember_committed(session) -> None:
    """Ids queued in a transaction that has now committed are ready for after-commit delivery."""
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    queued = session.info.pop(_QUEUED, None)
    if queued:
        session.info.setdefault(_COMMITTED, []).extend(queued)


@sa.event.listens_for(db.session, "after_rollback")
def _forget_rolled_back(session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_QUEUED, None)


# --- delivery -------------------------------------------------------------------------------


def _claimable(now):
    """Rows a sender may claim now: pending (past their retry delay) or abandoned in "sending"."""
    m = OutboxMessage
    ready = [m.attempts == 0] + [
        sa.and_(m.attempts == n, m.claimed_at <= now - delay) for n, delay in RETRY_DELAYS.items()
    ]
    return sa.and_(
        m.attempts < MAX_ATTEMPTS,
        sa.or_(
            sa.and_(m.status == "pending", sa.or_(*ready)),
            sa.and_(m.status == "sending", m.claimed_at < now - CLAIM_TIMEOUT),
        ),
    )


def _give_up_on_abandoned(now) -> None:
    """A message whose last allowed attempt died in "sending" is failed, not retried forever."""
    m = OutboxMessage
    db.session.execute(
        sa.update(m)
        .where(
            m.status == "sending",
            m.claimed_at < now - CLAIM_TIMEOUT,
            m.attempts >= MAX_ATTEMPTS,
        )
        .values(status="failed", last_error="The sender stopped while sending.")
        .execution_options(synchronize_session=False)
    )


def _claim(message_id: int) -> OutboxMessage | None:
    """Take one message for this sender, or None if another sender has it (or it is done).

    Its own unit of work, committed before any SMTP traffic: from then on no other sender can
    claim the row, and the attempt is counted even if this sender dies while sending."""
    now = utcnow()
    m = OutboxMessage
    with unit_of_work():
        result = db.session.execute(
            sa.update(m)
            .where(m.id == message_id, _claimable(now))
            .values(status="sending", claimed_at=now, attempts=m.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        return db.session.get(m, message_id, populate_existing=True)


def _finish(message: OutboxMessage, **values) -> None:
    """Record the outcome, only if the claim is still ours (not taken over after a timeout);
    its own unit of work."""
    m = OutboxMessage
    with unit_of_work():
        db.session.execute(
            sa.update(m)
            .where(m.id == message.id, m.status == "sending", m.claimed_at == message.claimed_at)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def header_safe(text: str | None) -> str:
    """Text fit for an email header: one line, no control characters.

    Subjects and addresses carry what people typed (a buyer's name in the rep's subject, say).
    A newline in a header is refused by the email library on every attempt (or, in a lesser
    library, starts a header of the attacker's choosing): every header of every email is made
    safe here, at the one place emails are built, whatever the row in the outbox holds.
    """
    return single_line(text or "")


def _build(message: OutboxMessage, connection) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=header_safe(message.subject),
        body=message.body_text,
        to=[header_safe(message.to_address)],
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments or ():
        email.attach(attachment["filename"], attachment["content"], attachment["content_type"])
    return email


def _close_quietly(connection) -> None:
    # A broken connection is simply dropped; the next message opens a new one.
    with contextlib.suppress(Exception):
        connection.close()


def deliver_pending(limit: int = 50, ids: list[int] | None = None) -> int:
    """Send up to `limit` claimable outbox messages (only `ids`, when given); return how many sent.

    Runs its own small units of work: call it outside a request's (a flask command, or after
    the request's commit). Safe to run in several threads or processes at once.
    """
    now = utcnow()
    query = (
        sa.select(OutboxMessage.id)
        .where(_claimable(now))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    with unit_of_work():
        _give_up_on_abandoned(now)
        candidates = db.session.scalars(query).all() if ids is None or ids else []

    sent = 0
    connection = mail.get_connection()
    try:
        for message_id in candidates:
            message = _claim(message_id)
            if message is None:
                continue
            try:
                connection.open()  # once per batch; again after a failure closed it
                if _build(message, connection).send() != 1:
                    raise RuntimeError("the mail backend accepted no recipient")
            except Exception as exc:
                _close_quietly(connection)  # the next message opens a fresh connection
                failed = message.attempts >= MAX_ATTEMPTS
                log.warning(
                    "Outbox message %s (%s) attempt %s failed: %r",
                    message.id,
                    message.dedupe_key,
                    message.attempts,
                    exc,
                )
                _finish(
                    message,
                    status="failed" if failed else "pending",
                    last_error=f"{type(exc).__name__}: {exc}"[:300],
                )
            else:
                _finish(message, status="sent", sent_at=utcnow(), last_error="")
                sent += 1
    finally:
        _close_quietly(connection)
    return sent


def deliver_all(batch: int = 50) -> int:
    """Deliver batches until a batch sends nothing; return the total sent (for `send-outbox`)."""
    total = 0
    while True:
        sent = deliver_pending(limit=batch)
        total += sent
        if sent == 0:
            return total


# --- after-commit delivery ------------------------------------------------------------------


def _deliver_after_request(error=None) -> None:
    """Send what this request queued and committed, right after it; a failure waits for the job."""
    if not db.session.registry.has():
        return
    session = db.session()
    ids = session.info.pop(_COMMITTED, None)
    session.info.pop(_QUEUED, None)
    if not ids or not current_app.config.get("OUTBOX_SEND_INLINE", True):
        return
    if session.in_transaction():
        # The request's unit of work did not end in its commit (it failed after something was
        # committed on its own): what it left is the teardown's to throw away, and must not ride
        # along with the outbox's commits. The job sends these.
        log.info("Outbox messages %s left for `flask send-outbox`.", ids)
        return
    try:
        deliver_pending(limit=len(ids), ids=ids)
    except Exception:
        # Each step rolled back its own unit of work.
        log.exception("Sending after the request failed; `flask send-outbox` will retry.")


def init_notifications(app) -> None:
    """Send a request's committed emails as the request ends (unless OUTBOX_SEND_INLINE=False)."""
    app.teardown_request(_deliver_after_request)
