"""Warranty: units registered when an order is delivered, coverage dates, serial numbers."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import render_template

from shop.auth.roles import Role
from shop.orders.states import OrderStatus, transition
from shop.support import warranty
from shop.support.models import WarrantyRegistration
from tests.conftest import post_form
from tests.support.helpers_s4 import audit_actions, event_kinds, make_ticket


@pytest.fixture
def boat(make_category, make_product):
    cat = make_category(slug="boats", name="Boats")
    return make_product(cat, name="Blue Sloop", price_cents=90_000_00, warranty_months=36)


def registrations(db, order_id):
    return list(
        db.session.scalars(
            sa.select(WarrantyRegistration)
            .where(WarrantyRegistration.order_id == order_id)
            .order_by(WarrantyRegistration.order_line_id, WarrantyRegistration.unit)
        )
    )


def deliver(db, made, who):
    transition(made.order, OrderStatus.DELIVERED, actor_kind=who.role, actor=who)
    db.session.commit()


def test_add_months_keeps_the_day_or_the_months_last():
    assert warranty.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert warranty.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert warranty.add_months(date(2025, 11, 15), 36) == date(2028, 11, 15)
    assert warranty.add_months(date(2025, 3, 1), 0) == date(2025, 3, 1)


def test_delivery_registers_each_unit_once_with_the_products_term(
    db, make_delivered_order, make_user, boat
):
    manager = make_user(Role.MANAGER, email="m@example.com", name="Mona Manager")
    made = make_delivered_order(product=boat, quantity=2, status=OrderStatus.PAID)
    assert registrations(db, made.order.id) == []
    deliver(db, made, manager)
    regs = registrations(db, made.order.id)
    assert [r.unit for r in regs] == [1, 2]
    starts = warranty.local_date(made.order.delivered_at)
    for r in regs:
        assert r.order_line_id == made.line.id and r.product_id == boat.id
        assert r.starts_on == starts
        assert r.ends_on == warranty.add_months(starts, 36)
        assert r.serial_number is None
    # idempotent: registering again adds nothing
    assert warranty.register_order(made.order) == 0
    db.session.commit()
    assert len(registrations(db, made.order.id)) == 2


def test_an_undelivered_order_registers_nothing(db, make_delivered_order, boat):
    made = make_delivered_order(product=boat, status=OrderStatus.PAID)
    made.order.delivered_at = None
    assert warranty.register_order(made.order) == 0
    [unit] = warranty.coverage(made.line)
    assert unit.state == "not_registered" and "Not registered" in unit.text


@pytest.mark.parametrize(
    "days_after_end, state, words",
    [
        (-400, "covered", "Covered until"),
        (0, "covered", "Covered until"),
        (1, "expired", "Expired on"),
    ],
)
def test_coverage_inside_and_outside_the_term(
    db, make_delivered_order, make_user, boat, days_after_end, state, words
):
    manager = make_user(Role.MANAGER, email="m@example.com", name="Mona Manager")
    made = make_delivered_order(product=boat, status=OrderStatus.PAID)
    deliver(db, made, manager)
    [reg] = registrations(db, made.order.id)
    on = reg.ends_on + timedelta(days=days_after_end)
    [unit] = warranty.coverage(made.line, on)
    assert unit.state == state and unit.covered is (state == "covered")
    assert unit.text.startswith(words) and f"{reg.ends_on.year}" in unit.text


def test_staff_set_serial_numbers_from_a_warranty_claim(
    client, db, login, make_delivered_order, make_user, boat, query_counter
):
    support = make_user(Role.SUPPORT, email="s@example.com", name="Sam Support")
    made = make_delivered_order(product=boat, quantity=2, status=OrderStatus.PAID)
    deliver(db, made, support)
    ticket = make_ticket(
        kind="warranty_claim", order=made.order, lines=[made.line], buyer=made.buyer
    )
    first, second = registrations(db, made.order.id)
    login(support)
    r = post_form(
        client,
        f"/staff/support/{ticket.number}/warranty/{first.id}/serial",
        {"serial_number": "  SN-0001 "},
        csrf_page="/staff/",
    )
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(WarrantyRegistration, first.id).serial_number == "SN-0001"
    assert db.session.get(WarrantyRegistration, second.id).serial_number is None
    assert "warranty.serial" in audit_actions(ticket.number)
    assert "warranty_serial" in event_kinds(ticket.id)
    # a unit of another order is not reachable through this ticket
    other = make_delivered_order(product=boat, status=OrderStatus.PAID)
    deliver(db, other, support)
    [foreign] = registrations(db, other.order.id)
    r = post_form(
        client,
        f"/staff/support/{ticket.number}/warranty/{foreign.id}/serial",
        {"serial_number": "X"},
        csrf_page="/staff/",
    )
    assert r.status_code == 404
    # the panel lists each unit with serial and coverage
    with client.application.test_request_context("/staff/"):
        html = render_template("staff/support/_warranty.html", ticket=ticket, me=support)
    assert html.count('data-testid="warranty-unit"') == 2
    assert "SN-0001" in html and html.count("Covered until") == 2


def test_a_product_without_serial_numbers_refuses_one(
    db, make_delivered_order, make_user, make_category, make_product
):
    cat = make_category(slug="sofas", name="Sofas")
    sofa = make_product(cat, name="Sofa", price_cents=5_000_00, has_serial_numbers=False)
    manager = make_user(Role.MANAGER, email="m@example.com", name="Mona Manager")
    made = make_delivered_order(product=sofa, status=OrderStatus.PAID)
    deliver(db, made, manager)
    ticket = make_ticket(kind="warranty_claim", order=made.order)
    [reg] = registrations(db, made.order.id)
    from shop.errors import DomainError

    with pytest.raises(DomainError, match="no serial numbers"):
        warranty.set_serial(ticket.id, reg.id, "SN-1", manager)
    [unit] = warranty.coverage(ticket)
    assert unit.needs_serial is False and unit.covered
