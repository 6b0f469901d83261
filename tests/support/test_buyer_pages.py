"""The buyer's ticket pages: opening from an order (signed in or through the guest link) or
from the account, the thread, replies, attachments; scoping, inert text, internal notes, closed
tickets, CSRF and a fixed query count."""

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from shop.auth.roles import Role
from shop.notifications.models import OutboxMessage
from shop.orders.services import access_token
from shop.support import services
from shop.support.models import Attachment, Ticket, TicketMessage
from tests.conftest import post_form

XSS = '<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>'
NOTE = "INTERNAL-ONLY-7f3a9c"


def png_bytes() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def ticket_form(d, **kw) -> dict:
    data = {
        "kind": "delivery_problem",
        "lines": str(d.line.id),
        "subject": "Damaged in delivery",
        "message": "The left leg is cracked.\n\nPhoto attached.",
    }
    data.update(kw)
    return data


def only_ticket(db) -> Ticket:
    [ticket] = db.session.scalars(sa.select(Ticket)).all()
    return ticket


def open_ticket(d, **kw) -> Ticket:
    values = {
        "kind": "question",
        "subject": "About the bench",
        "body": "Which wood is the bench?",
        "email": d.order.email,
        "name": d.order.name,
        "buyer": d.buyer,
        "order": d.order,
    }
    values.update(kw)
    return services.open_ticket(**values)


# --- opening --------------------------------------------------------------------------------


def test_the_order_page_and_the_account_lead_to_help(client, login, buyer_with_delivered_order):
    d = buyer_with_delivered_order
    login(d.buyer)
    html = client.get(f"/orders/{d.order.number}").get_data(as_text=True)
    assert f'href="/support/new?order={d.order.number}"' in html
    guest_html = client.get(f"/orders/view/{access_token(d.order)}").get_data(as_text=True)
    assert f'href="/support/new/{access_token(d.order)}"' in guest_html
    account = client.get("/account/").get_data(as_text=True)
    assert 'href="/support/"' in account and 'href="/support/new"' in account


def test_a_buyer_opens_a_ticket_from_an_order_with_a_photo(
    app, client, db, login, buyer_with_rep_order
):
    d = buyer_with_rep_order
    login(d.buyer)
    page = client.get(f"/support/new?order={d.order.number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert f'value="{d.line.id}"' in html and 'type="checkbox"' in html
    assert "Return request" in html and "Warranty claim" in html

    r = post_form(
        client,
        f"/support/new?order={d.order.number}",
        ticket_form(d, attachments=[(io.BytesIO(png_bytes()), "leg.png")]),
    )
    assert r.status_code == 303
    ticket = only_ticket(db)
    assert r.headers["Location"].endswith(f"/support/{ticket.number}")
    assert (ticket.queue, ticket.assignee_id, ticket.order_id) == ("rep", d.rep.id, d.order.id)
    [attachment] = db.session.scalars(sa.select(Attachment)).all()
    assert attachment.original_name == "leg.png" and attachment.content_type == "image/png"
    assert attachment.ticket_id == ticket.id
    assert Path(app.config["UPLOAD_FOLDER"]).exists()

    thread = client.get(f"/support/{ticket.number}").get_data(as_text=True)
    assert "<p>The left leg is cracked.</p><p>Photo attached.</p>" in thread
    assert "leg.png" in thread
    if "support_files.download" in app.view_functions:
        assert f'href="/support/files/{attachment.id}"' in thread
        download = client.get(f"/support/files/{attachment.id}")
        assert download.status_code == 200 and download.data == png_bytes()
        download.close()
    listing = client.get("/support/").get_data(as_text=True)
    assert f'data-number="{ticket.number}"' in listing


def test_a_refused_file_stores_nothing(app, client, db, login, buyer_with_delivered_order):
    d = buyer_with_delivered_order
    login(d.buyer)
    r = post_form(
        client,
        f"/support/new?order={d.order.number}",
        ticket_form(d, attachments=[(io.BytesIO(b"MZ\x90\x00 not a photo"), "leg.png")]),
    )
    assert r.status_code == 400
    assert "not a file we accept" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_a_general_question_from_the_account(client, db, login, make_user):
    buyer = make_user(Role.BUYER)
    login(buyer)
    html = client.get("/support/new").get_data(as_text=True)
    assert "Return request" not in html and "Warranty claim" not in html
    refused = post_form(
        client,
        "/support/new",
        {"kind": "return_request", "subject": "Return", "message": "Please take it back."},
    )
    assert refused.status_code == 400
    r = post_form(
        client,
        "/support/new",
        {"kind": "suggestion", "subject": "Sunday hours", "message": "Open on Sundays?"},
    )
    assert r.status_code == 303
    ticket = only_ticket(db)
    assert (ticket.order_id, ticket.buyer_id, ticket.kind) == (None, buyer.id, "suggestion")


def test_the_account_pages_need_a_login(client):
    for url in ("/support/", "/support/new", "/support/T-AAAAAA"):
        r = client.get(url)
        assert r.status_code == 302 and "/account/login" in r.headers["Location"]


def test_a_guest_opens_and_follows_a_ticket_through_links(client, db, make_delivered_order):
    guest = make_delivered_order(buyer=False)
    token = access_token(guest.order)
    assert client.get(f"/support/new/{token}").status_code == 200
    r = post_form(
        client,
        f"/support/new/{token}",
        ticket_form(
            guest, kind="return_request", attachments=[(io.BytesIO(png_bytes()), "box.png")]
        ),
    )
    assert r.status_code == 303
    ticket = only_ticket(db)
    assert (ticket.buyer_id, ticket.email, ticket.kind) == (
        None,
        "guest@example.com",
        "return_request",
    )
    location = r.headers["Location"]
    assert "/support/t/" in location
    html = client.get(location).get_data(as_text=True)
    assert "The left leg is cracked." in html and "box.png" in html
    if "support_files.download" in client.application.view_functions:
        [attachment] = db.session.scalars(sa.select(Attachment)).all()
        link = re.search(rf'href="(/support/files/{attachment.id}\?t=[^"]+)"', html)
        assert link, "the guest's file link carries the ticket's token"
        download = client.get(link.group(1).replace("&amp;", "&"))
        assert download.status_code == 200
        download.close()
    reply = post_form(client, location + "/reply", {"message": "Any news?"})
    assert reply.status_code == 303
    messages = db.session.scalars(sa.select(TicketMessage).order_by(TicketMessage.id)).all()
    assert [(m.author_kind, m.author_label) for m in messages] == [
        ("buyer", "Gus Guest"),
        ("buyer", "Gus Guest"),
    ]
    # A forged or superseded link finds nothing.
    assert client.get("/support/t/forged").status_code == 404
    assert client.get(f"/support/new/{token}x").status_code == 404
    ticket.link_version += 1
    db.session.commit()
    assert client.get(location).status_code == 404


# --- scoping --------------------------------------------------------------------------------


def test_another_buyer_gets_404_everywhere(client, db, login, make_delivered_order, make_user):
    mine = make_delivered_order()
    ticket = open_ticket(mine)
    db.session.commit()
    stranger = make_user(Role.BUYER)
    login(stranger)
    assert client.get(f"/support/{ticket.number}").status_code == 404
    assert (
        post_form(client, f"/support/{ticket.number}/reply", {"message": "hi"}).status_code == 404
    )
    assert client.get(f"/support/new?order={mine.order.number}").status_code == 404
    r = post_form(client, f"/support/new?order={mine.order.number}", ticket_form(mine))
    assert r.status_code == 404
    assert client.get("/support/new?order=" + "9" * 40).status_code == 404
    assert client.get("/support/" + "T" * 40).status_code == 404
    assert f'data-number="{ticket.number}"' not in client.get("/support/").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketMessage)) == 1


def test_lines_of_another_order_are_refused(client, db, login, make_delivered_order):
    mine = make_delivered_order()
    other = make_delivered_order()
    login(mine.buyer)
    r = post_form(
        client,
        f"/support/new?order={mine.order.number}",
        ticket_form(mine, lines=str(other.line.id)),
    )
    assert r.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


# --- inert text and internal notes ----------------------------------------------------------


def test_messages_are_shown_inert(client, db, login, buyer_with_rep_order):
    d = buyer_with_rep_order
    login(d.buyer)
    r = post_form(
        client,
        f"/support/new?order={d.order.number}",
        ticket_form(d, subject=XSS, message=XSS + "\nsecond line"),
    )
    assert r.status_code == 303
    ticket = only_ticket(db)
    services.post_message(ticket.id, author=d.rep, body=XSS)
    db.session.commit()
    token = services.ticket_link_token(ticket)
    for url in (f"/support/{ticket.number}", "/support/", f"/support/t/{token}"):
        html = client.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html and "onerror=alert" not in html.replace(
            "onerror=alert(1)&gt;", ""
        ), url
        assert not re.search(r"<[^>]*\sonerror=", html), url
        assert 'href="javascript:' not in html, url
    assert "<br>second line" in client.get(f"/support/{ticket.number}").get_data(as_text=True)


def test_internal_notes_never_reach_the_buyer(client, db, login, buyer_with_rep_order):
    d = buyer_with_rep_order
    ticket = open_ticket(d, subject="Bench question")
    services.post_message(
        ticket.id, author=d.rep, body=f"{NOTE}: buyer sounds upset", internal=True
    )
    services.post_message(ticket.id, author=d.rep, body="It is walnut.")
    services.set_status(ticket.id, "solved", d.rep, note="answered")
    services.post_message(ticket.id, author=d.buyer, body="Thanks, one more thing")
    services.post_message(ticket.id, author=d.rep, body=f"{NOTE} second note", internal=True)
    services.post_message(ticket.id, author=d.rep, body="Happy to help.")
    db.session.commit()
    login(d.buyer)
    token = services.ticket_link_token(ticket)
    for url in ("/support/", f"/support/{ticket.number}", f"/support/t/{token}"):
        html = client.get(url).get_data(as_text=True)
        assert NOTE not in html, url
    thread = client.get(f"/support/{ticket.number}").get_data(as_text=True)
    assert "It is walnut." in thread and "Happy to help." in thread
    buyer_mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == d.buyer.email)
    ).all()
    assert len(buyer_mail) >= 3
    for message in buyer_mail:
        assert NOTE not in message.body_text and NOTE not in message.body_html
        assert NOTE not in message.subject


# --- statuses through the pages ------------------------------------------------------------


def test_a_reply_on_the_page_reopens_a_solved_ticket(client, db, login, buyer_with_rep_order):
    d = buyer_with_rep_order
    ticket = open_ticket(d)
    services.set_status(ticket.id, "solved", d.rep)
    db.session.commit()
    login(d.buyer)
    assert "opens again" in client.get(f"/support/{ticket.number}").get_data(as_text=True)
    r = post_form(client, f"/support/{ticket.number}/reply", {"message": "Still wobbly."})
    assert r.status_code == 303
    db.session.refresh(ticket)
    assert ticket.status == "open"
    assert "Still wobbly." in client.get(f"/support/{ticket.number}").get_data(as_text=True)


def test_a_closed_ticket_refuses_replies_clearly(client, db, login, buyer_with_rep_order):
    d = buyer_with_rep_order
    ticket = open_ticket(d)
    services.set_status(ticket.id, "closed", d.rep)
    db.session.commit()
    login(d.buyer)
    html = client.get(f"/support/{ticket.number}").get_data(as_text=True)
    assert 'data-testid="closed-note"' in html and 'data-testid="reply-form"' not in html
    assert f'href="/support/new?order={d.order.number}"' in html
    r = post_form(client, f"/support/{ticket.number}/reply", {"message": "Hello?"})
    assert r.status_code == 400
    assert "open a new ticket" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketMessage)) == 1


def test_posts_need_the_csrf_token(client, db, login, buyer_with_delivered_order):
    d = buyer_with_delivered_order
    ticket = open_ticket(d)
    db.session.commit()
    login(d.buyer)
    r = client.post(f"/support/{ticket.number}/reply", data={"message": "no token"})
    assert r.status_code == 400
    r = client.post(f"/support/new?order={d.order.number}", data=ticket_form(d))
    assert r.status_code == 400
    token = services.ticket_link_token(ticket)
    assert client.post(f"/support/t/{token}/reply", data={"message": "x"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketMessage)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_an_empty_reply_is_a_form_error(client, db, login, buyer_with_delivered_order):
    d = buyer_with_delivered_order
    ticket = open_ticket(d)
    db.session.commit()
    login(d.buyer)
    r = post_form(client, f"/support/{ticket.number}/reply", {"message": "   "})
    assert r.status_code == 400 and "field-error" in r.get_data(as_text=True)


# --- lists and query counts -----------------------------------------------------------------


def test_the_list_is_paginated(client, db, login, buyer_with_delivered_order):
    d = buyer_with_delivered_order
    for n in range(12):
        open_ticket(d, subject=f"Question {n}")
    db.session.commit()
    login(d.buyer)
    first = client.get("/support/").get_data(as_text=True)
    second = client.get("/support/?page=2").get_data(as_text=True)
    assert first.count('data-testid="ticket-row"') == 10
    assert second.count('data-testid="ticket-row"') == 2


def _thread_queries(client, db, query_counter, d, messages: int) -> int:
    ticket = open_ticket(d)
    for n in range(messages - 1):
        services.post_message(ticket.id, author=d.rep, body=f"Answer {n}", internal=n % 3 == 0)
    db.session.commit()
    for message in db.session.scalars(
        sa.select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
    ):
        db.session.add(
            Attachment(
                ticket_id=ticket.id,
                message_id=message.id,
                stored_name=f"s-{message.id}",
                original_name="photo.png",
                content_type="image/png",
                size_bytes=10,
                sha256="0" * 64,
            )
        )
    db.session.commit()
    client.get(f"/support/{ticket.number}")  # warm up
    with query_counter() as statements:
        r = client.get(f"/support/{ticket.number}")
    assert r.status_code == 200
    assert r.get_data(as_text=True).count('data-testid="message"') == len(
        services.visible_messages(ticket, for_staff=False)
    )
    return len(statements)


@pytest.mark.parametrize("many", [30])
def test_the_thread_page_has_a_fixed_query_count(
    client, db, login, query_counter, make_delivered_order, support_staff, many
):
    buyer = support_staff["other_buyer"]
    a = make_delivered_order(buyer=buyer, rep=support_staff["rep"])
    b = make_delivered_order(buyer=buyer, rep=support_staff["rep"])
    login(buyer)
    few = _thread_queries(client, db, query_counter, a, 3)
    lots = _thread_queries(client, db, query_counter, b, many)
    assert few == lots <= 8
