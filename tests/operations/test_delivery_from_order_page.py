"""The buyer picks or moves their delivery window from their order page (logged in, or through the
guest link), reaching the same picker as the emailed link, under the same rules."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from shop.auth.roles import Role
from shop.db import utcnow
from shop.delivery import services
from shop.delivery.models import DeliveryAppointment
from shop.orders.models import Order
from shop.orders.services import access_token
from tests.conftest import post_form
from tests.operations.test_delivery import crew, make_crew, make_order  # noqa: F401

CHOOSE = re.compile(r'<a [^>]*href="([^"]+)"[^>]*>Choose a delivery window</a>')
CHANGE = re.compile(r'<a [^>]*href="([^"]+)"[^>]*>Change</a>')


def link_labelled(pattern: re.Pattern, page: str) -> str:
    match = pattern.search(page)
    assert match, page
    return match.group(1)


def pick(client, picker: str, index: int = 0) -> tuple[str, str]:
    """Choose the index-th offered window on the picker page; returns (value, redirect)."""
    page = client.get(picker).get_data(as_text=True)
    values = re.findall(r'<option value="([^"]+)"', page)
    assert len(values) > index, page
    r = post_form(client, picker, {"window": values[index]}, csrf_page=picker)
    assert r.status_code == 303, r.get_data(as_text=True)
    return values[index], r.headers["Location"]


def booked(db) -> DeliveryAppointment:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(DeliveryAppointment).where(DeliveryAppointment.status == "booked")
    )


@pytest.fixture
def buyer(make_user):
    return make_user(Role.BUYER, email="ada@example.com", name="Ada Lovelace")


@pytest.fixture
def owned_order(db, buyer, make_order):  # noqa: F811
    def _make(**kw) -> Order:
        order = make_order(**kw)
        order.user_id = buyer.id
        db.session.commit()
        return order

    return _make


def test_the_buyer_picks_and_changes_the_window_from_the_order_page(
    client,
    db,
    login,
    buyer,
    crew,  # noqa: F811
    owned_order,
):
    order = owned_order()
    login(buyer)
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    picker = link_labelled(CHOOSE, page)
    assert "Change</a>" not in page
    # The picker leads back to the order page.
    assert f'href="/orders/{order.number}">Order {order.number}</a>' in client.get(picker).get_data(
        as_text=True
    )
    first, _ = pick(client, picker)
    appointment = booked(db)
    assert appointment.starts_at == datetime.fromisoformat(first)
    assert db.session.get(Order, order.id).status == "delivery_scheduled"

    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    when = services.window_label(
        appointment.starts_at, appointment.ends_at, appointment.buyer_timezone
    )
    assert f"Delivery window: <strong>{when}</strong>" in page
    assert "Choose a delivery window" not in page
    second, _ = pick(client, link_labelled(CHANGE, page), index=1)
    moved = booked(db)
    assert moved.id == appointment.id and moved.starts_at == datetime.fromisoformat(second)
    assert moved.starts_at != appointment.starts_at or first != second
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    when = services.window_label(moved.starts_at, moved.ends_at, moved.buyer_timezone)
    assert f"Delivery window: <strong>{when}</strong>" in page


def test_the_guest_link_page_offers_the_same_picker(client, db, crew, make_order):  # noqa: F811
    order = make_order()  # a guest order: no account
    guest_page = f"/orders/view/{access_token(order)}"
    picker = link_labelled(CHOOSE, client.get(guest_page).get_data(as_text=True))
    assert f'href="{guest_page}">Order {order.number}</a>' in client.get(picker).get_data(
        as_text=True
    )
    pick(client, picker)
    appointment = booked(db)
    assert appointment.order_id == order.id
    page = client.get(guest_page).get_data(as_text=True)
    assert "Delivery window: <strong>" in page
    assert services.link_token(appointment) in link_labelled(CHANGE, page)


def test_another_buyer_gets_404(client, db, login, make_user, crew, owned_order):  # noqa: F811
    order = owned_order()
    picker = f"/delivery/{services.order_token(order)}"
    login(make_user(Role.BUYER, email="eve@example.com", name="Eve Other"))
    assert client.get(f"/orders/{order.number}").status_code == 404
    assert client.get(f"/orders/view/{access_token(order)}").status_code == 404
    assert client.get(picker).status_code == 404
    r = post_form(client, picker, {"window": utcnow().isoformat()}, csrf_page="/cart/")
    assert r.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeliveryAppointment)) == 0


def test_the_lead_time_holds_from_the_order_page(
    client,
    db,
    login,
    buyer,
    crew,  # noqa: F811
    owned_order,
):
    order = owned_order(lead_weeks=2, sold_at=utcnow())
    earliest = services.earliest_delivery(order)
    login(buyer)
    picker = link_labelled(CHOOSE, client.get(f"/orders/{order.number}").get_data(as_text=True))
    page = client.get(picker).get_data(as_text=True)
    assert f"can be delivered from <strong>{services.day_label(earliest)}</strong>" in page
    values = re.findall(r'<option value="([^"]+)"', page)
    assert values and all(datetime.fromisoformat(v) >= earliest for v in values)
    early = min(services.offer().slots)
    assert early < earliest
    r = post_form(client, picker, {"window": early.isoformat()}, csrf_page=picker)
    assert r.status_code == 409 and "can be delivered from" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "status, delivery, disputed",
    [
        ("placed", "white_glove", False),  # authorized, not paid in full
        ("paid", "pickup", False),  # no crew delivery
        ("paid", "white_glove", True),  # fulfilment stopped by a dispute
    ],
)
def test_no_window_is_offered_when_none_can_be_booked(
    client,
    db,
    login,
    buyer,
    crew,  # noqa: F811
    owned_order,
    status,
    delivery,
    disputed,
):
    order = owned_order(status=status, delivery=delivery)
    if disputed:
        order.dispute_status = "open"
        db.session.commit()
    login(buyer)
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "Choose a delivery window" not in page and "Delivery window:" not in page
