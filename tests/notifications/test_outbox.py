"""The outbox: emails are rows written with their cause, sent once after commit."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader

from shop.db import utcnow
from shop.notifications import services
from shop.notifications.models import OutboxMessage
from shop.notifications.services import absolute_url, deliver_pending, queue_email
from tests.conftest import email_text, free_port

TEMPLATES = {
    "emails/hello.txt": "Hello {{ name }}, from {{ store_name }}.",
    "emails/hello.html": "<p>Hello <b>{{ name }}</b>, from {{ store_name }}.</p>",
    "emails/plain.txt": "Only text for {{ name }}.",
}


@pytest.fixture(autouse=True)
def email_templates(app):
    """Small templates of our own, so these tests do not depend on the store's wording."""
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])


def rows(db):
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def fresh(db, message):
    return db.session.get(OutboxMessage, message.id, populate_existing=True)


def test_a_committed_email_arrives_with_text_html_and_attachment(db, mailbox):
    invite = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    message = queue_email(
        "test:hello:1",
        "ada@example.com",
        "Your visit",
        "hello",
        attachments=[{"filename": "visit.ics", "content_type": "text/calendar", "content": invite}],
        name="Ada",
    )
    assert message.status == "pending"
    db.session.commit()

    assert deliver_pending() == 1

    [received] = mailbox
    assert received["Subject"] == "Your visit"
    assert received["To"] == "ada@example.com"
    assert "hello@harborandhall.example" in received["From"]
    assert email_text(received).strip() == "Hello Ada, from Harbor & Hall."
    assert "<b>Ada</b>" in received.get_body(("html",)).get_content()
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == "visit.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert "BEGIN:VCALENDAR" in attachment.get_content()
    sent = fresh(db, message)
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert sent.sent_at is not None
    assert deliver_pending() == 0  # nothing twice


def test_the_html_part_is_optional(db, mailbox):
    queue_email("test:plain", "ada@example.com", "Plain", "plain", name="Ada")
    db.session.commit()
    deliver_pending()
    [received] = mailbox
    assert not received.is_multipart()
    assert email_text(received).strip() == "Only text for Ada."


def test_a_rolled_back_transaction_sends_nothing(db, mailbox):
    queue_email("test:rolled-back", "ada@example.com", "Never", "hello", name="Ada")
    db.session.rollback()
    assert deliver_pending() == 0
    assert mailbox == []
    assert rows(db) == []


def test_the_same_dedupe_key_gives_one_email(db, mailbox):
    assert queue_email("test:once", "ada@example.com", "Once", "hello", name="Ada")
    assert queue_email("test:once", "ada@example.com", "Once", "hello", name="Ada") is None
    db.session.commit()
    assert queue_email("test:once", "ada@example.com", "Once", "hello", name="Ada") is None
    db.session.commit()
    assert deliver_pending() == 1
    assert [m["Subject"] for m in mailbox] == ["Once"]


@pytest.mark.postgres
def test_a_concurrent_insert_of_the_same_key_is_refused_without_breaking_the_transaction(
    app, db, monkeypatch
):
    render = services._render_bodies

    def render_while_another_process_queues_the_same_key(template, context):
        with db.engine.begin() as other:  # another connection: commits between check and insert
            other.execute(
                sa.insert(OutboxMessage).values(
                    dedupe_key="test:race",
                    to_address="ada@example.com",
                    subject="First",
                    body_text="First",
                    body_html="",
                    attachments=[],
                    status="pending",
                    attempts=0,
                    last_error="",
                    created_at=utcnow(),
                )
            )
        return render(template, context)

    monkeypatch.setattr(
        services, "_render_bodies", render_while_another_process_queues_the_same_key
    )
    assert queue_email("test:race", "ada@example.com", "Second", "hello", name="Ada") is None
    monkeypatch.undo()

    # The caller's transaction is still usable.
    assert queue_email("test:after", "ada@example.com", "After", "hello", name="Ada")
    db.session.commit()
    assert [(m.dedupe_key, m.subject) for m in rows(db)] == [
        ("test:race", "First"),
        ("test:after", "After"),
    ]


@pytest.mark.both_dbs
def test_two_senders_at_once_send_each_message_exactly_once(app, db, mailbox):
    for n in range(12):
        queue_email(f"test:race:{n}", f"buyer{n}@example.com", f"Message {n}", "hello", name=n)
    db.session.commit()

    start = threading.Barrier(2)
    results, errors = [], []

    def sender():
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(deliver_pending())
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sum(results) == 12
    assert len(mailbox) == 12
    assert sorted(m["Subject"] for m in mailbox) == sorted(f"Message {n}" for n in range(12))
    assert {m.status for m in rows(db)} == {"sent"}


def test_an_smtp_failure_keeps_the_message_pending_for_a_later_run(app, db, mailbox, monkeypatch):
    message = queue_email("test:retry", "ada@example.com", "Retry", "hello", name="Ada")
    db.session.commit()
    with monkeypatch.context() as m:
        m.setattr(app.extensions["mailman"], "port", free_port())  # nothing listens there
        assert deliver_pending() == 0

    failed = fresh(db, message)
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "Connection" in failed.last_error
    assert mailbox == []

    assert deliver_pending() == 0  # too soon: the retry waits a minute
    failed.claimed_at = utcnow() - timedelta(minutes=2)
    db.session.commit()

    assert deliver_pending() == 1
    assert [m["Subject"] for m in mailbox] == ["Retry"]
    sent = fresh(db, message)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "")


@pytest.mark.both_dbs
def test_the_claim_is_committed_before_the_mail_server_is_called(app, db, mailbox, monkeypatch):
    """The SMTP call runs between two units of work, in no transaction: the claim is already
    committed (no other sender can take the message, and the attempt counts even if this sender
    dies), and no lock is held while the mail server takes its time."""
    message = queue_email("test:claimed", "ada@example.com", "Claimed", "hello", name="Ada")
    db.session.commit()
    seen = []
    build = services._build

    def build_and_look(claimed, connection):
        email = build(claimed, connection)
        send = email.send

        def look_then_send():
            with db.engine.connect() as other:  # what any other sender reads meanwhile
                seen.append(
                    other.execute(
                        sa.select(OutboxMessage.status, OutboxMessage.attempts).where(
                            OutboxMessage.id == claimed.id
                        )
                    ).one()
                )
            seen.append(db.session().in_transaction())
            return send()

        email.send = look_then_send
        return email

    monkeypatch.setattr(services, "_build", build_and_look)
    assert deliver_pending() == 1
    assert seen == [("sending", 1), False]
    assert [m["Subject"] for m in mailbox] == ["Claimed"]
    assert (fresh(db, message).status, fresh(db, message).attempts) == ("sent", 1)


def test_a_message_fails_for_good_after_five_attempts(app, db, mailbox, monkeypatch):
    message = queue_email("test:give-up", "ada@example.com", "Give up", "hello", name="Ada")
    db.session.flush()
    message.attempts = 4
    message.claimed_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    monkeypatch.setattr(app.extensions["mailman"], "port", free_port())

    assert deliver_pending() == 0
    gone = fresh(db, message)
    assert (gone.status, gone.attempts) == ("failed", 5)
    monkeypatch.undo()
    assert deliver_pending() == 0
    assert mailbox == []


def test_a_claim_abandoned_for_ten_minutes_is_taken_over(db, mailbox):
    stale = queue_email("test:stale", "ada@example.com", "Stale", "hello", name="Ada")
    busy = queue_email("test:busy", "ada@example.com", "Busy", "hello", name="Ada")
    db.session.flush()
    stale.status, stale.attempts, stale.claimed_at = "sending", 1, utcnow() - timedelta(minutes=11)
    busy.status, busy.attempts, busy.claimed_at = "sending", 1, utcnow() - timedelta(minutes=1)
    db.session.commit()

    assert deliver_pending() == 1
    assert [m["Subject"] for m in mailbox] == ["Stale"]
    assert fresh(db, busy).status == "sending"


def test_send_outbox_command_sends_everything_due_and_is_safe_to_repeat(app, db, mailbox):
    for n in range(3):
        queue_email(f"test:cli:{n}", "ada@example.com", f"CLI {n}", "hello", name="Ada")
    db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["send-outbox", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "Sent 3 emails." in result.output
    assert len(mailbox) == 3

    again = runner.invoke(args=["send-outbox"])
    assert "Sent 0 emails." in again.output
    assert len(mailbox) == 3


def test_absolute_url_always_uses_public_base_url(app):
    assert absolute_url("auth.account") == "http://shop.test/account/"
    app.config["PUBLIC_BASE_URL"] = "https://harborandhall.example/store"
    assert absolute_url("auth.verify_email", token="abc", _anchor="top") == (
        "https://harborandhall.example/store/account/verify/abc#top"
    )
    # A forged Host header never reaches a link we email.
    with app.test_request_context("/", base_url="https://evil.example"):
        assert absolute_url("auth.account", tab="orders") == (
            "https://harborandhall.example/store/account/?tab=orders"
        )


def test_the_test_config_keeps_mail_in_memory(app, db):
    """Tests without `mailbox` never open a network connection."""
    queue_email("test:memory", "ada@example.com", "Memory", "hello", name="Ada")
    db.session.commit()
    assert deliver_pending() == 1
    assert [m.subject for m in app.extensions["mailman"].outbox] == ["Memory"]
