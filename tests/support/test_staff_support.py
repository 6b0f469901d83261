"""The staff side of tickets: the queue with its clocks, the thread page and its forms, who may
act on what, and a fixed number of queries."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.auth.roles import Role
from shop.db import utcnow
from shop.notifications.models import OutboxMessage
from shop.support import services
from shop.support.models import Ticket, TicketEvent, TicketMessage
from tests.conftest import post_form

STAFF_PAGE = "/staff/"


def open_ticket(db, delivered=None, *, buyer=None, subject="The lid squeaks", **kw):
    """A ticket written through the service, committed; `delivered` is a conftest Delivered."""
    if delivered is not None:
        buyer = delivered.buyer
        kw.setdefault("order", delivered.order)
        kw.setdefault("order_line_ids", [delivered.line.id])
    ticket = services.open_ticket(
        kind=kw.pop("kind", "complaint"),
        subject=subject,
        body=kw.pop("body", "The lid squeaks when I open it."),
        email=buyer.email if buyer else "guest@example.com",
        name=buyer.name if buyer else "Gus Guest",
        buyer=buyer,
        **kw,
    )
    db.session.commit()
    return ticket


def overdue(db, ticket, hours=200):
    """Move a ticket's creation and due dates back so both clocks are long overdue."""
    ticket.created_at -= timedelta(hours=hours)
    ticket.first_response_due_at -= timedelta(hours=hours)
    ticket.resolution_due_at -= timedelta(hours=hours)
    db.session.commit()


def rows(html: str) -> list[str]:
    return re.findall(r'data-testid="ticket-row" data-number="([^"]+)"', html)


def staff_post(client, url, data, **kw):
    return post_form(client, url, data, csrf_page=STAFF_PAGE, **kw)


def events(db, ticket, kind):
    return list(
        db.session.scalars(
            sa.select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind
            )
        )
    )


def audits(db, action, number):
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action, AuditEntry.target_id == number)
        )
    )


# --- the queue --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["rep", "support", "manager"])
def test_every_staff_role_reads_the_queue(
    client, db, login, support_staff, make_delivered_order, role
):
    ticket = open_ticket(db, make_delivered_order())
    login(support_staff[role])
    response = client.get("/staff/support")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert rows(html) == [ticket.number]
    assert "The lid squeaks" in html and "Ada Buyer" in html


def test_queue_filters(client, db, login, support_staff, make_delivered_order):
    rep = support_staff["rep"]
    rep_ticket = open_ticket(db, make_delivered_order(rep=rep), subject="Rep's ticket")
    support_ticket = open_ticket(
        db, make_delivered_order(), subject="Support's", kind="question", priority="urgent"
    )
    solved = open_ticket(db, make_delivered_order(), subject="Done")
    services.set_status(solved.id, "solved", support_staff["support"])
    db.session.commit()
    assert rep_ticket.queue == "rep" and rep_ticket.assignee_id == rep.id
    assert support_ticket.queue == "support" and support_ticket.assignee_id is None

    login(rep)

    def shown(query=""):
        return set(rows(client.get("/staff/support" + query).get_data(as_text=True)))

    assert shown() == {rep_ticket.number, support_ticket.number}  # solved ones are done
    assert shown("?view=mine") == {rep_ticket.number}
    assert shown("?view=unassigned") == {support_ticket.number}
    assert shown("?queue=rep") == {rep_ticket.number}
    assert shown("?queue=support") == {support_ticket.number}
    assert shown("?status=solved") == {solved.number}
    assert shown("?status=any") == {rep_ticket.number, support_ticket.number, solved.number}
    assert shown("?priority=urgent") == {support_ticket.number}
    assert shown("?kind=question") == {support_ticket.number}
    assert shown("?kind=complaint&queue=support") == set()
    # Unknown values switch the filter off rather than fail.
    assert shown("?status=bogus&priority=%3Cx%3E&view=everyone") == {
        rep_ticket.number,
        support_ticket.number,
    }


def test_queue_is_sorted_by_resolution_due(client, db, login, support_staff, make_delivered_order):
    low = open_ticket(db, make_delivered_order(), subject="Low", priority="low")
    urgent = open_ticket(db, make_delivered_order(), subject="Urgent", priority="urgent")
    normal = open_ticket(db, make_delivered_order(), subject="Normal")
    login(support_staff["support"])
    html = client.get("/staff/support").get_data(as_text=True)
    assert rows(html) == [urgent.number, normal.number, low.number]


@pytest.mark.both_dbs
def test_an_overdue_ticket_is_flagged(client, db, login, support_staff, make_delivered_order):
    late = open_ticket(db, make_delivered_order(), subject="Late")
    fresh = open_ticket(db, make_delivered_order(), subject="Fresh")
    overdue(db, late)
    login(support_staff["support"])
    html = client.get("/staff/support").get_data(as_text=True)
    late_row = html[html.index(f'data-number="{late.number}"') :]
    late_row = late_row[: late_row.index("</tr>")]
    fresh_row = html[html.index(f'data-number="{fresh.number}"') :]
    fresh_row = fresh_row[: fresh_row.index("</tr>")]
    assert 'data-testid="breach"' in late_row and "overdue" in late_row
    assert 'data-testid="breach"' not in fresh_row and " left" in fresh_row
    assert html.count('data-testid="breach"') == 1
    breached = client.get("/staff/support?breached=1").get_data(as_text=True)
    assert rows(breached) == [late.number]
    # Answering stops the first-response clock, but it was missed: still flagged.
    services.post_message(late.id, author=support_staff["support"], body="Sorry for the wait.")
    db.session.commit()
    page = client.get(f"/staff/support/{late.number}").get_data(as_text=True)
    assert 'data-testid="breach"' in page and "missed" in page


@pytest.mark.both_dbs
def test_queue_runs_a_fixed_number_of_queries(
    client, db, login, support_staff, make_delivered_order, query_counter
):
    def count():
        with query_counter() as statements:
            response = client.get("/staff/support?status=any")
        assert response.status_code == 200
        return len(statements)

    delivered = make_delivered_order(rep=support_staff["rep"])
    for _ in range(3):
        open_ticket(db, delivered)
    login(support_staff["manager"])
    few = count()
    others = [make_delivered_order(rep=support_staff["rep2"]) for _ in range(3)]
    for n in range(27):
        open_ticket(db, others[n % 3] if n % 2 else make_delivered_order())
    many = count()
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 30
    assert few == many <= 12
    html = client.get("/staff/support?status=any").get_data(as_text=True)
    assert len(rows(html)) == 25 and "Next" in html


# --- the thread page --------------------------------------------------------------------------


def test_the_thread_shows_the_whole_story(client, db, login, support_staff, make_delivered_order):
    delivered = make_delivered_order(rep=support_staff["rep"])
    ticket = open_ticket(db, delivered)
    services.post_message(
        ticket.id, author=support_staff["rep"], body="Checked the invoice.", internal=True
    )
    db.session.commit()
    login(support_staff["support"])
    html = client.get(f"/staff/support/{ticket.number}").get_data(as_text=True)
    assert f"/staff/buyers/{delivered.buyer.id}" in html
    assert f"/staff/orders/{delivered.order.number}" in html
    assert delivered.line.product_name in html
    assert "The lid squeaks when I open it." in html
    assert "Checked the invoice." in html and 'data-internal="yes"' in html
    assert 'data-testid="internal-flag"' in html
    assert 'data-testid="sla-first-response"' in html and " left" in html
    assert 'data-kind="opened"' in html
    # The number is found whatever its case; an unknown one is a 404.
    assert client.get(f"/staff/support/{ticket.number.lower()}").status_code == 200
    assert client.get("/staff/support/T-NOPE00").status_code == 404
    assert client.get("/staff/support/" + "X" * 40).status_code == 404


def test_staff_text_and_buyer_text_are_inert(
    client, db, login, support_staff, make_delivered_order
):
    ticket = open_ticket(
        db,
        make_delivered_order(),
        subject='<img src=x onerror="alert(1)">',
        body='<script>alert("b")</script><a href="javascript:alert(2)">x</a>',
    )
    services.post_message(
        ticket.id, author=support_staff["support"], body="<b onmouseover=alert(3)>hi</b>"
    )
    db.session.commit()
    login(support_staff["support"])
    for url in (f"/staff/support/{ticket.number}", "/staff/support"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert '<a href="javascript:' not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;" in client.get(f"/staff/support/{ticket.number}").get_data(as_text=True)


def test_thread_runs_a_fixed_number_of_queries(
    client, db, login, support_staff, make_delivered_order, query_counter
):
    ticket = open_ticket(db, make_delivered_order())
    login(support_staff["support"])

    def count():
        with query_counter() as statements:
            response = client.get(f"/staff/support/{ticket.number}")
        assert response.status_code == 200
        return len(statements)

    few = count()
    for n in range(12):
        services.post_message(
            ticket.id, author=support_staff["support"], body=f"Note {n}", internal=n % 2 == 0
        )
        services.post_message(ticket.id, author=None, body=f"Buyer {n}", author_kind="buyer")
    services.set_priority(ticket.id, "high", support_staff["support"])
    db.session.commit()
    assert count() == few


# --- acting on a ticket -----------------------------------------------------------------------


def test_a_staff_reply_emails_the_buyer_and_starts_the_conversation(
    client, db, login, support_staff, make_delivered_order
):
    delivered = make_delivered_order()
    ticket = open_ticket(db, delivered)
    login(support_staff["support"])
    before = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    response = staff_post(
        client, f"/staff/support/{ticket.number}/reply", {"body": "We send a technician."}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/support/{ticket.number}")
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.first_responded_at is not None and ticket.status == "open"
    mails = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id > before)))
    to_buyer = [m for m in mails if delivered.buyer.email in str(m.to_address)]
    assert len(to_buyer) == 1
    assert "We send a technician." in to_buyer[0].body_text
    assert ticket.number in to_buyer[0].body_text


def test_a_staff_reply_can_carry_a_document(client, db, login, support_staff, make_delivered_order):
    ticket = open_ticket(db, make_delivered_order())
    login(support_staff["support"])
    url = f"/staff/support/{ticket.number}"
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    response = staff_post(
        client,
        url + "/reply",
        {"body": "The manual is attached.", "files": [(io.BytesIO(pdf), "manual.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert "manual.pdf" in html
    link = re.search(r'href="(/support/files/\d+)"', html)
    assert link
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.get_data() == pdf
    download.close()
    # A file that is not allowed is refused with a message, and the reply is not stored.
    response = staff_post(
        client,
        url + "/reply",
        {"body": "Run this.", "files": [(io.BytesIO(b"MZ\x90\x00binary"), "fix.exe")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "fix.exe" in response.get_data(as_text=True)
    assert (
        db.session.scalar(sa.select(TicketMessage).where(TicketMessage.body == "Run this.")) is None
    )


def test_an_internal_note_never_reaches_the_buyer(
    client, db, login, support_staff, make_delivered_order
):
    delivered = make_delivered_order()
    ticket = open_ticket(db, delivered)
    login(support_staff["support"])
    before = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    response = staff_post(
        client, f"/staff/support/{ticket.number}/note", {"body": "Buyer dropped it, I think."}
    )
    assert response.status_code == 303
    db.session.expire_all()
    note = db.session.scalar(sa.select(TicketMessage).where(TicketMessage.internal.is_(True)))
    assert note.body == "Buyer dropped it, I think." and note.author_kind == "staff"
    assert db.session.get(Ticket, ticket.id).first_responded_at is None
    mails = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id > before)))
    assert all("dropped it" not in m.body_text for m in mails)
    assert all(delivered.buyer.email not in str(m.to_address) for m in mails)

    staff_post(client, f"/staff/support/{ticket.number}/reply", {"body": "A public answer."})
    staff_post(client, "/account/logout", {})
    login(delivered.buyer)
    page = client.get(f"/support/{ticket.number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "A public answer." in html
    assert "dropped it" not in html


@pytest.mark.both_dbs
def test_status_priority_reassign_and_merge_leave_events_and_audit(
    client, db, login, support_staff, make_delivered_order
):
    delivered = make_delivered_order()
    ticket = open_ticket(db, delivered)
    duplicate = open_ticket(db, delivered, subject="Squeaky lid again", body="Same again.")
    login(support_staff["support"])
    url = f"/staff/support/{ticket.number}"
    old_due = ticket.resolution_due_at

    assert staff_post(client, url + "/status", {"status": "on_hold"}).status_code == 303
    assert staff_post(client, url + "/priority", {"priority": "urgent"}).status_code == 303
    rep = support_staff["rep2"]
    assert staff_post(client, url + "/assign", {"to": f"user:{rep.id}"}).status_code == 303
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == "on_hold" and ticket.priority == "urgent"
    assert ticket.resolution_due_at < old_due
    assert ticket.assignee_id == rep.id and ticket.queue == "rep"
    assert staff_post(client, url + "/assign", {"to": "queue:support"}).status_code == 303
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.assignee_id is None and ticket.queue == "support"

    response = staff_post(
        client, f"/staff/support/{duplicate.number}/merge", {"into": ticket.number.lower()}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    db.session.expire_all()
    duplicate = db.session.get(Ticket, duplicate.id)
    assert duplicate.status == "closed" and duplicate.merged_into_id == ticket.id
    assert "Same again." in client.get(url).get_data(as_text=True)
    assert 'data-testid="merged-into"' in client.get(f"/staff/support/{duplicate.number}").get_data(
        as_text=True
    )

    for kind, action, number in (
        ("status", "ticket.status", ticket.number),
        ("priority", "ticket.priority", ticket.number),
        ("assigned", "ticket.reassign", ticket.number),
        ("merged", "ticket.merge", duplicate.number),
    ):
        assert events(db, ticket if kind != "merged" else duplicate, kind), kind
        entries = audits(db, action, number)
        assert entries and entries[0].actor_id == support_staff["support"].id, action
    assert len(audits(db, "ticket.reassign", ticket.number)) == 2


def test_bad_input_is_refused_politely(client, db, login, support_staff, make_delivered_order):
    ticket = open_ticket(db, make_delivered_order())
    login(support_staff["support"])
    url = f"/staff/support/{ticket.number}"
    for path, data in (
        ("/reply", {"body": "   "}),
        ("/status", {"status": "vanished"}),
        ("/priority", {"priority": "whenever"}),
        ("/assign", {"to": "user:999999"}),
        ("/assign", {"to": f"user:{support_staff['other_buyer'].id}"}),
        ("/assign", {"to": "nonsense"}),
        ("/merge", {"into": "T-NOPE00"}),
        ("/merge", {"into": ticket.number}),
    ):
        response = staff_post(client, url + path, data)
        assert response.status_code == 303, path
    other = open_ticket(db, make_delivered_order(), subject="Someone else's")
    response = staff_post(client, url + "/merge", {"into": other.number}, follow_redirects=True)
    assert "same buyer" in response.get_data(as_text=True)
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == "new" and ticket.priority == "normal" and ticket.merged_into_id is None
    # Without the CSRF token: 400.
    assert client.post(url + "/status", data={"status": "solved"}).status_code == 400


# --- who may do what --------------------------------------------------------------------------


def test_reps_act_only_on_their_own_tickets(client, db, login, support_staff, make_delivered_order):
    rep, rep2 = support_staff["rep"], support_staff["rep2"]
    mine = open_ticket(db, make_delivered_order(rep=rep), subject="Mine")
    theirs = open_ticket(db, make_delivered_order(rep=rep2), subject="Theirs")
    queued = open_ticket(db, make_delivered_order(), subject="Support queue")
    # A rep-queue ticket of my order that nobody holds: still mine to answer.
    unheld = open_ticket(db, make_delivered_order(rep=rep), subject="Unheld")
    services.reassign(unheld.id, actor=support_staff["manager"], assignee_id=None)
    db.session.commit()
    login(rep)

    for ticket, allowed in ((mine, True), (unheld, True), (theirs, False), (queued, False)):
        url = f"/staff/support/{ticket.number}"
        page = client.get(url).get_data(as_text=True)
        assert ('data-testid="reply-form"' in page) is allowed, ticket.subject
        assert ('data-testid="read-only"' in page) is not allowed
        for path, data in (
            ("/reply", {"body": "Hello"}),
            ("/note", {"body": "Hm"}),
            ("/status", {"status": "on_hold"}),
            ("/priority", {"priority": "high"}),
            ("/assign", {"to": "queue:support"}),
        ):
            status = staff_post(client, url + path, data).status_code
            assert status == (303 if allowed else 403), (ticket.subject, path)
    # A merge needs both tickets to be mine.
    response = staff_post(client, f"/staff/support/{theirs.number}/merge", {"into": mine.number})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["support", "manager"])
def test_support_and_managers_act_on_every_ticket(
    client, db, login, support_staff, make_delivered_order, role
):
    ticket = open_ticket(db, make_delivered_order(rep=support_staff["rep"]))
    login(support_staff[role])
    url = f"/staff/support/{ticket.number}"
    assert 'data-testid="reply-form"' in client.get(url).get_data(as_text=True)
    assert staff_post(client, url + "/note", {"body": "Looking."}).status_code == 303


def test_buyers_are_refused_every_staff_support_route(
    client, db, login, support_staff, make_delivered_order
):
    delivered = make_delivered_order()
    ticket = open_ticket(db, delivered)
    login(delivered.buyer)
    base = f"/staff/support/{ticket.number}"
    assert client.get("/staff/support").status_code == 403
    assert client.get(base).status_code == 403
    for path in ("/reply", "/note", "/status", "/priority", "/assign", "/merge"):
        assert post_form(client, base + path, {"body": "x"}).status_code == 403, path


def test_anonymous_visitors_are_sent_to_log_in(client, db, make_delivered_order):
    ticket = open_ticket(db, make_delivered_order())
    response = client.get(f"/staff/support/{ticket.number}")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


# --- elsewhere on the desk --------------------------------------------------------------------


def test_the_order_page_lists_the_orders_tickets(
    client, db, login, support_staff, make_delivered_order
):
    delivered = make_delivered_order()
    ticket = open_ticket(db, delivered)
    login(support_staff["support"])
    html = client.get(f"/staff/orders/{delivered.order.number}").get_data(as_text=True)
    assert 'data-testid="thread-tickets"' in html
    assert f"/staff/support/{ticket.number}" in html


@pytest.mark.both_dbs
def test_supports_home_shows_the_ticket_queue(
    client, db, login, support_staff, make_delivered_order, query_counter
):
    late = open_ticket(db, make_delivered_order(), subject="Late one")
    overdue(db, late)
    open_ticket(db, make_delivered_order(), subject="Fresh one")
    login(support_staff["support"])

    def home():
        with query_counter() as statements:
            html = client.get(STAFF_PAGE).get_data(as_text=True)
        return html, len(statements)

    html, few = home()
    panel = html[html.index('data-testid="dash-tickets"') :]
    assert 'data-testid="dash-tickets-new">2<' in panel
    assert 'data-testid="dash-tickets-breached">1<' in panel
    assert "Late one" in panel and "/staff/support" in panel
    for _ in range(5):
        open_ticket(db, make_delivered_order())
    _, many = home()
    assert few == many


def test_ticket_service_dates_follow_the_settings(db, make_delivered_order):
    ticket = open_ticket(db, make_delivered_order())
    assert ticket.first_response_due_at > ticket.created_at
    assert ticket.resolution_due_at > ticket.first_response_due_at
    assert ticket.created_at <= utcnow()


@pytest.mark.parametrize("role", [Role.REP, Role.SUPPORT, Role.MANAGER])
def test_an_empty_queue_says_so(client, login, make_user, role):
    login(make_user(role))
    html = client.get("/staff/support").get_data(as_text=True)
    assert "No tickets" in html
