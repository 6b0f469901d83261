"""A first-time visitor's first event waits in their session and is written when they return.

A first-time visitor's catalog page is the one shared by every visitor without a session
(shop.catalog.http_cache): the browser's app.js then asks for its `data-visit` URL, which is
where their session starts and the event is held (`browse` does both)."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from shop.research.models import ResearchEvent
from shop.web import hash_token
from tests.conftest import PASSWORD, VISIT_RE, browse, csrf_token, post_form


def events(db) -> list[tuple]:
    return db.session.execute(
        sa.select(
            ResearchEvent.kind,
            ResearchEvent.product_id,
            ResearchEvent.query,
            ResearchEvent.visitor_key,
            ResearchEvent.created_at,
        ).order_by(ResearchEvent.id)
    ).all()


def test_visitors_who_never_come_back_leave_no_rows(app, db, boats):
    one_shot = app.test_client(use_cookies=False)  # a crawler, a link preview
    for boat in boats:
        assert browse(one_shot, f"/p/{boat.slug}").status_code == 200
    assert browse(one_shot, "/search?q=wood").status_code == 200
    assert events(db) == []


def test_a_shared_page_names_its_event_and_notes_nothing_itself(app, client, db, boats):
    page = client.get(f"/p/{boats[0].slug}").text
    assert client.get_cookie("session") is None  # no session started by the page itself
    visit = VISIT_RE.search(page).group(1)
    assert f"product={boats[0].id}" in visit and "kind=viewed" in visit
    assert client.get(f"/p/{boats[1].slug}").status_code == 200
    assert events(db) == []
    # Asked with a session already (a second tab's late visit), nothing more is noted.
    browse(client, f"/p/{boats[2].slug}")
    client.get(visit.replace("&amp;", "&"))
    client.get("/about")
    assert [event[:2] for event in events(db)] == [("viewed", boats[2].id)]


def test_the_first_view_is_written_with_its_own_time_when_the_visitor_returns(client, db, boats):
    before = datetime.now(UTC)
    browse(client, f"/p/{boats[0].slug}")
    after = datetime.now(UTC)
    assert events(db) == []
    client.get(f"/p/{boats[1].slug}")
    (first_kind, first_id, _, key, at), (second_kind, second_id, *_) = events(db)
    assert (first_kind, first_id, second_kind, second_id) == (
        "viewed",
        boats[0].id,
        "viewed",
        boats[1].id,
    )
    assert before <= at <= after
    with client.session_transaction() as session:
        assert key == hash_token(session["visitor"])
        assert "trail_pending" not in session


def test_a_first_search_is_held_the_same_way(client, db, boats):
    browse(client, "/search?q=Wooden+hull")
    assert events(db) == []
    client.get("/about")
    [(kind, product_id, query, key, _)] = events(db)
    assert (kind, product_id, query) == ("searched", None, "Wooden hull")
    assert key is not None


def test_held_events_that_make_no_sense_are_dropped(client, db, boats):
    client.get("/about")
    with client.session_transaction() as session:
        session["visitor"] = "a-visitor-token"
        session["trail_pending"] = [
            ["bought", boats[0].id, None, "2026-01-01T00:00:00+00:00"],  # no such kind
            ["viewed", "x", None, "2026-01-01T00:00:00+00:00"],  # no such product
            ["viewed", boats[1].id, None, "yesterday"],  # no time
            "junk",
            ["viewed", boats[2].id, None, "2026-01-02T00:00:00+00:00"],
        ]
    assert client.get("/").status_code == 200
    rows = events(db)
    assert [(k, p) for k, p, *_ in rows] == [("viewed", boats[2].id)]
    assert {key for *_, key, _ in rows} == {hash_token("a-visitor-token")}


def test_held_events_are_written_before_a_page_that_only_reads(client, db, boats):
    """The trail's hook writes before the request of a `reads_only` view starts reading only
    (shop.web.register_read_only_requests), so the cart page writes them as any page does."""
    browse(client, f"/p/{boats[0].slug}")
    assert events(db) == []
    assert client.get("/cart/").status_code == 200
    assert [event[:2] for event in events(db)] == [("viewed", boats[0].id)]


def test_held_events_wait_for_a_request_that_commits(client, db, boats, make_user):
    """Held events are written in the request's own transaction: a request that is refused or
    fails rolls them back with the rest, so they stay in the session for the next one."""
    make_user(email="ada@example.com")
    token = csrf_token(client, "/cart/")
    with client.session_transaction() as session:  # a first view, held (as the first test's)
        session["trail_pending"] = [["viewed", boats[0].id, None, "2026-01-01T00:00:00+00:00"]]
    refused = client.post(
        "/account/login",
        data={"email": "ada@example.com", "password": PASSWORD + "!", "csrf_token": token},
    )
    assert refused.status_code == 401
    assert client.get("/p/no-such-boat").status_code == 404
    assert events(db) == []
    with client.session_transaction() as session:
        assert len(session["trail_pending"]) == 1

    assert client.get("/about").status_code == 200
    assert [event[:2] for event in events(db)] == [("viewed", boats[0].id)]  # once
    with client.session_transaction() as session:
        assert "trail_pending" not in session


@pytest.mark.both_dbs
def test_held_events_that_cannot_be_written_do_not_break_the_request(client, db, boats):
    """A held event the database refuses (its product since deleted) is dropped alone: the
    request goes on, and what it writes itself is kept."""
    client.get("/about")
    with client.session_transaction() as session:
        session["visitor"] = "a-visitor-token"
        session["trail_pending"] = [["viewed", 999_999, None, "2026-01-01T00:00:00+00:00"]]
    added = post_form(client, "/compare/add", {"product_id": boats[1].id}, csrf_page="/compare")
    assert added.status_code == 303
    assert [event[:2] for event in events(db)] == [("compared", boats[1].id)]
    with client.session_transaction() as session:
        assert "trail_pending" not in session
