# ruff: noqa: F811  (make_crew and make_order are fixtures imported from test_delivery)
"""Least privilege for the delivery crew (issue 23, point 3): its deliveries and their sheets,
handing over; nothing about money, and nothing of orders it does not serve.

Before, the demo crew was a support account: it opened /staff/transfers and /staff/holds and
recorded a transfer that marked an order paid. Each refusal below is checked where it matters,
with a real order, a real payment and a real booked window.
"""

import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.auth.roles import Role
from shop.delivery import services
from shop.delivery.models import DeliveryAppointment
from shop.orders.models import Order
from shop.payments.models import TransferReceipt
from tests.conftest import post_form
from tests.operations.conftest import payment_of
from tests.operations.test_delivery import NOW, WED_8, make_crew, make_order  # noqa: F401
from tests.operations.test_transfers import TODAY


def booked(db, crew, order) -> DeliveryAppointment:
    appointment = services.book(order.id, WED_8, crew.id, now=NOW)
    db.session.commit()
    return appointment


def test_the_crew_lands_on_its_deliveries_and_sees_only_them_on_the_desk(
    client, db, login, make_crew
):
    crew = make_crew()
    r = login(crew)
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/deliveries")
    page = client.get("/staff/deliveries").get_data(as_text=True)
    assert "My deliveries" in page
    # Its menu leads to its deliveries, never to the desk it may not open.
    assert "/staff/deliveries" in page and 'href="/staff/"' not in page
    assert client.get("/staff/").status_code == 403


def test_the_crew_is_refused_transfers_holds_and_every_money_page(
    client, db, login, make_crew, transfer_order, card_order, staff
):
    crew = make_crew()
    payment = payment_of(db, transfer_order)
    card = payment_of(db, card_order)
    login(crew)
    for url in (
        "/staff/transfers",
        "/staff/holds",
        "/staff/orders",
        f"/staff/orders/{transfer_order.number}",
        f"/staff/orders/{card_order.number}",
        f"/staff/buyers/{staff['buyer'].id}",
        "/staff/support",
        "/staff/quotes",
        "/staff/audit",
    ):
        assert client.get(url).status_code == 403, url
    # The attack that worked: a transfer recorded for the whole order, which marked it paid.
    r = post_form(
        client,
        "/staff/transfers",
        {
            "reference": payment.bank_reference,
            "amount": f"{transfer_order.total_cents / 100:.2f}",
            "received_on": TODAY,
            "payer": "Ada Lovelace",
            "request_key": "crew-attack-1",
        },
    )
    assert r.status_code == 403
    for url, data in (
        (f"/staff/orders/{card_order.number}/payments/{card.id}/capture", {"amount": "1.00"}),
        (f"/staff/orders/{card_order.number}/payments/{card.id}/void", {"reason": "x"}),
        (
            f"/staff/orders/{card_order.number}/payments/{card.id}/refund",
            {"amount": "1.00", "reason": "x", "request_key": "crew-attack-2"},
        ),
        (f"/staff/orders/{card_order.number}/new-payment", {"method": "card"}),
        (f"/staff/orders/{transfer_order.number}/status", {"to": "cancelled", "note": "x"}),
        (f"/staff/orders/{transfer_order.number}/notes", {"body": "x"}),
    ):
        assert post_form(client, url, data).status_code == 403, url
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TransferReceipt)) == 0
    assert db.session.get(Order, transfer_order.id).status == "awaiting_funds"
    assert payment_of(db, card_order).status == card.status
    assert not db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.actor_id == crew.id)
    ).all()


def test_the_crew_sees_the_delivery_details_of_its_own_delivery_and_no_money(
    client, db, login, make_crew, make_order
):
    crew = make_crew()
    order = make_order()
    appointment = booked(db, crew, order)
    login(crew)
    listing = client.get("/staff/deliveries").get_data(as_text=True)
    assert f"/staff/deliveries/{appointment.reference}" in listing
    assert f"/staff/orders/{order.number}" not in listing  # no order page to link to
    r = client.get(f"/staff/deliveries/{appointment.reference}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    for fact in (
        "8:00 AM - 12:00 PM EDT",  # the window, on the crew's clock
        "1 Harbor Street",
        "Boston, MA 02110",
        "Ada Lovelace",
        "555 0100",
        "Concert grand",
        "GP-1",
        order.number,
    ):
        assert fact in page, fact
    # Nothing about money, and not the buyer's email (the thread is not the crew's).
    assert "$" not in page and "42,500" not in page and "ada@example.com" not in page


def test_another_crews_delivery_and_a_cancelled_one_are_404_to_the_crew(
    client, db, login, make_crew, make_order
):
    mine, theirs = make_crew(), make_crew(email="crew2@example.com", name="Second Crew")
    other = booked(db, theirs, make_order(email="b@example.com"))
    dropped = booked(db, mine, make_order(email="c@example.com"))
    services.cancel(dropped.id, reason="Buyer away")
    db.session.commit()
    login(mine)
    for ref in (other.reference, dropped.reference, "D-NOPE00"):
        assert client.get(f"/staff/deliveries/{ref}").status_code == 404, ref
    r = post_form(client, f"/staff/delivery/{other.reference}/delivered", {"note": "Left it"})
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(DeliveryAppointment, other.id).status == "booked"


def test_the_crew_hands_over_from_its_sheet_and_the_move_is_audited_as_crew(
    client, db, login, make_crew, make_order
):
    crew = make_crew()
    order = make_order()
    appointment = booked(db, crew, order)
    login(crew)
    url = f"/staff/delivery/{appointment.reference}/delivered"
    r = post_form(client, url, {"note": "Signed for by Ada.", "back": "sheet"})
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/staff/deliveries/{appointment.reference}")
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "delivered"
    roles = set(
        db.session.scalars(
            sa.select(AuditEntry.actor_role).where(AuditEntry.actor_id == crew.id)
        ).all()
    )
    assert roles == {"crew"}
    page = client.get(f"/staff/deliveries/{appointment.reference}").get_data(as_text=True)
    assert "Signed for by Ada." in page


def test_dispatchers_open_any_crews_sheet(client, db, login, make_crew, make_order, staff):
    appointment = booked(db, make_crew(), make_order())
    login(staff["support"])
    assert client.get(f"/staff/deliveries/{appointment.reference}").status_code == 200


def test_create_staff_makes_a_crew_on_the_delivery_team(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "--email",
            "van@example.com",
            "--name",
            "Van Crew",
            "--role",
            "crew",
            "--password",
            "a long staff pass",
        ]
    )
    assert result.exit_code == 0, result.output
    from shop.auth.models import StaffProfile
    from shop.auth.services import find_user_by_email

    user = find_user_by_email("van@example.com")
    assert user.role == Role.CREW.value
    profile = db.session.scalar(sa.select(StaffProfile).where(StaffProfile.user_id == user.id))
    assert profile.team == "delivery"
