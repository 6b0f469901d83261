"""The lifecycle table, move by move and actor by actor, and the staff route that makes the moves:
forbidden moves are refused whoever asks, allowed ones move, write an event and an audit entry,
and tell the buyer where the buyer should know."""

from datetime import timedelta
from itertools import product

import pytest
import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.auth.roles import Role
from shop.db import utcnow
from shop.delivery.models import DeliveryAppointment
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order, OrderEvent, OrderLine
from shop.orders.states import OrderStatus, allowed, moves_for
from tests.conftest import post_form
from tests.operations.test_console import new_order

S = OrderStatus
ACTORS = ("system", "buyer", "rep", "support", "manager", "crew")
STAFF = ("rep", "support", "manager")

# The rules as the business wrote them, kept apart from the code's table on purpose: a change to
# one without the other fails here.
EXPECTED: dict[tuple[OrderStatus, OrderStatus], set[str]] = {
    (S.PENDING_PAYMENT, S.PLACED): {"system"},
    (S.PENDING_PAYMENT, S.PAID): {"system"},
    (S.PENDING_PAYMENT, S.CANCELLED): {"system", "rep", "manager"},
    (S.PENDING_PAYMENT, S.AWAITING_FUNDS): {"buyer"},  # a card order paid by transfer instead
    (S.AWAITING_FUNDS, S.PLACED): {"system"},
    (S.AWAITING_FUNDS, S.PAID): {"system"},
    (S.AWAITING_FUNDS, S.CANCELLED): {"system", "rep", "manager"},
    (S.PLACED, S.CONFIRMED): {"rep", "manager"},
    (S.PLACED, S.PAID): {"system"},
    (S.PLACED, S.CANCELLED): {"manager"},
    (S.CONFIRMED, S.PAID): {"system"},
    (S.CONFIRMED, S.CANCELLED): {"manager"},
    (S.PAID, S.DELIVERY_SCHEDULED): {"system", "buyer", "rep", "support", "manager"},
    (S.PAID, S.DELIVERED): {"rep", "support", "manager"},
    (S.PAID, S.CANCELLED): {"manager"},
    (S.DELIVERY_SCHEDULED, S.PAID): {"system", "buyer", "rep", "support", "manager"},
    # The crew's one move: handing the goods over at its booked window.
    (S.DELIVERY_SCHEDULED, S.DELIVERED): {"rep", "support", "manager", "crew"},
    (S.DELIVERY_SCHEDULED, S.CANCELLED): {"manager"},
    (S.DELIVERED, S.COMPLETED): {"system", "rep", "support", "manager"},
}
EMAILS = {
    S.CONFIRMED: "order-confirmed",
    S.DELIVERED: "order-delivered",
    S.COMPLETED: "order-completed",
}


def expected(current: OrderStatus, target: OrderStatus, actor: str) -> bool:
    return actor in EXPECTED.get((current, target), set())


def may_ever(target: OrderStatus, actor: str) -> bool:
    return any(actor in who for (_, to), who in EXPECTED.items() if to == target)


@pytest.mark.parametrize(
    ("current", "target", "actor"), list(product(OrderStatus, OrderStatus, ACTORS))
)
def test_allowed_is_the_table(current, target, actor):
    assert allowed(current.value, target.value, actor) is expected(current, target, actor)


def test_unknown_statuses_and_actors_are_refused():
    assert not allowed("placed", "shipped", "manager")
    assert not allowed("lost", "placed", "system")
    assert not allowed("placed", "confirmed", "crew")
    assert not allowed("placed", "confirmed", "")


# --- through the staff route -----------------------------------------------------------------


def count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def move(client, order: Order, target: str, note: str = "Checked with the buyer by phone"):
    return post_form(client, f"/staff/orders/{order.number}/status", {"to": target, "note": note})


def refused(
    client, db, order: Order, before: str, response, events: int, audits: int = 0, page=True
):
    """Assert the move was refused and nothing changed; returns the error shown after it."""
    assert response.status_code in (303, 403), response.status_code
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == before
    assert count(db, OrderEvent, OrderEvent.order_id == order.id) == events
    assert count(db, AuditEntry) == audits
    if response.status_code != 303:
        return ""
    if not page:  # read the flashed message without rendering the page
        with client.session_transaction() as session:
            errors = [m for kind, m in session.pop("_flashes", []) if kind == "error"]
        assert errors
        return " ".join(errors)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-error" in html
    return html


# One app and one signed-in staff member per (status, role); every target is tried on a fresh
# order in that status, so all 9 x 9 x 3 moves go through the route.
@pytest.mark.parametrize(("current", "role"), list(product(OrderStatus, STAFF)))
def test_the_staff_route_makes_exactly_the_allowed_moves(
    client, db, make_user, login, current, role
):
    user = make_user(Role(role))
    login(user)
    for target in OrderStatus:
        check_one_move(client, db, user, current, target, role)


def check_one_move(client, db, user, current, target, role):
    order = new_order(db, status=current.value)
    events = count(db, OrderEvent, OrderEvent.order_id == order.id)
    audits = count(db, AuditEntry)
    response = move(client, order, target.value)

    if not expected(current, target, role):
        if may_ever(target, role):
            assert response.status_code == 303  # a move I may make, but not from here
        else:
            assert response.status_code == 403  # a move my role may never make
        refused(client, db, order, current.value, response, events, audits, page=False)
        return
    if target == S.DELIVERY_SCHEDULED:  # only by booking a window, in the delivery panel
        error = refused(client, db, order, current.value, response, events, audits, page=False)
        assert "pick a delivery window" in error
        return

    assert response.status_code == 303, (current, target, role)
    assert response.headers["Location"].endswith(f"/staff/orders/{order.number}")
    with client.session_transaction() as session:
        session.pop("_flashes", None)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == target.value
    event = db.session.scalar(
        sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id.desc())
    )
    assert (event.from_status, event.to_status) == (current.value, target.value)
    assert event.actor_id == user.id and event.kind == target.value
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == f"order.{target}", AuditEntry.target_id == order.number
        )
    )
    assert entry is not None and entry.actor_id == user.id and entry.actor_role == role
    assert entry.target_type == "order" and entry.target_id == order.number
    assert entry.before == {"status": current.value}
    assert entry.after == {"status": target.value}
    if target in EMAILS:
        message = db.session.scalar(
            sa.select(OutboxMessage).where(
                OutboxMessage.dedupe_key == f"{EMAILS[target]}:{order.number}"
            )
        )
        assert message is not None and message.to_address == order.email
        assert order.number in message.subject and order.number in message.body_text
    if target == S.CANCELLED:
        cancelled = OutboxMessage.dedupe_key == f"order-cancelled:{order.number}"
        assert count(db, OutboxMessage, cancelled) == 1


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.parametrize("current", list(OrderStatus))
def test_the_page_offers_exactly_the_allowed_moves(client, db, make_user, login, role, current):
    login(make_user(Role(role)))
    order = new_order(db, status=current.value)
    html = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    for target in OrderStatus:
        offered = f'data-testid="move-{target.value}"' in html
        assert offered is (expected(current, target, role) and target != S.DELIVERY_SCHEDULED)
    assert [m.value for m in moves_for(order, role)] == [
        t.value for t in OrderStatus if expected(current, t, role)
    ]


# --- refusals with a reason ------------------------------------------------------------------


@pytest.fixture
def manager(make_user, login):
    user = make_user(Role.MANAGER, email="boss@example.com", name="Mona Manager")
    login(user)
    return user


def test_cancelling_needs_a_reason(client, db, manager):
    order = new_order(db, status="placed")
    page = refused(client, db, order, "placed", move(client, order, "cancelled", note="  "), 1)
    assert "Say why the order is cancelled" in page


def test_an_open_dispute_stops_fulfilment(client, db, manager):
    order = new_order(db, status="paid", dispute_status="open")
    page = refused(client, db, order, "paid", move(client, order, "delivered"), 1)
    assert "dispute" in page


@pytest.mark.both_dbs
@pytest.mark.parametrize("target", ["paid", "delivered"])
def test_a_booked_window_is_changed_in_the_delivery_panel(client, db, manager, target):
    order = new_order(db, status="delivery_scheduled")
    starts = utcnow() + timedelta(days=3)
    db.session.add(
        DeliveryAppointment(
            reference="DA-TEST1",
            order_id=order.id,
            crew_id=manager.id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=4),
            buyer_timezone="America/Los_Angeles",
        )
    )
    db.session.commit()
    page = refused(client, db, order, "delivery_scheduled", move(client, order, target), 1)
    assert "delivery panel" in page


@pytest.mark.parametrize("target", ["", "shipped", "x" * 300])
def test_an_unknown_move_is_refused_calmly(client, db, manager, target):
    order = new_order(db, status="placed")
    refused(client, db, order, "placed", move(client, order, target), 1)


def test_a_move_without_csrf_is_refused(client, db, manager):
    order = new_order(db, status="placed")
    response = client.post(f"/staff/orders/{order.number}/status", data={"to": "confirmed"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "placed"


def test_a_move_note_over_4000_characters_is_refused(client, db, manager):
    order = new_order(db, status="placed")
    refused(client, db, order, "placed", move(client, order, "confirmed", note="x" * 4001), 1)


# --- what the buyer hears --------------------------------------------------------------------


@pytest.mark.both_dbs
def test_the_buyer_hears_of_confirmation_delivery_and_completion_once_each(
    client, db, manager, mailbox, app
):
    order = new_order(db, status="placed", email="ada@example.com")
    assert move(client, order, "confirmed").status_code == 303
    db.session.expire_all()
    db.session.get(Order, order.id).status = "paid"
    db.session.commit()
    for target in ("delivered", "completed"):
        assert move(client, order, target).status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "completed"
    keys = set(db.session.scalars(sa.select(OutboxMessage.dedupe_key)))
    assert {f"{k}:{order.number}" for k in EMAILS.values()} <= keys
    subjects = [m["Subject"] for m in mailbox]
    assert any("confirmed" in s for s in subjects)
    assert any("delivered" in s for s in subjects)
    assert any("complete" in s for s in subjects)
    for m in mailbox:
        assert m["To"] == "ada@example.com"
        body = m.get_body(("plain",)).get_content()
        assert order.number in body and "/orders/view/" in body


@pytest.mark.both_dbs
def test_a_rep_cancels_a_transfer_order_and_its_units_go_back(
    client, db, transfer_order, make_user, login
):
    from shop.catalog.stock import available_units

    variant_id = db.session.scalar(
        sa.select(OrderLine.variant_id).where(OrderLine.order_id == transfer_order.id)
    )
    held = available_units([variant_id])[variant_id]
    rep = make_user(Role.REP, email="rita@example.com", name="Rita Rep")
    login(rep)
    response = move(client, transfer_order, "cancelled", note="The buyer found another piano")
    assert response.status_code == 303
    db.session.expire_all()
    order = db.session.get(Order, transfer_order.id)
    assert order.status == "cancelled"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "order.cancelled"))
    assert entry.actor_id == rep.id and entry.reason == "The buyer found another piano"
    cancelled = db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"order-cancelled:{order.number}"
        )
    )
    assert cancelled is not None and "another piano" in cancelled.body_text
    assert available_units([variant_id])[variant_id] == held + 1
