"""Store credit on returns is money: capped at what the goods were paid for, given only by the
ticket's assignee, support or a manager, above the refund limit only with a second person; the
returned unit is back in stock at receipt, so the buyer can spend the credit on another variant
and pay only the difference."""

import pytest
import sqlalchemy as sa

from shop.catalog.models import Variant
from shop.credit import services as credit
from shop.credit.models import StoreCredit
from shop.errors import DomainError
from shop.orders.models import Order
from shop.payments.models import Payment
from shop.support import returns
from shop.support.models import CreditGrant, ReturnRequest
from tests.checkout.conftest import app_config, checkout_to_review  # noqa: F401
from tests.conftest import post_form
from tests.support.helpers_s4 import audit_actions, event_kinds, make_ticket, outbox

PIANO = 43_700_00  # $42,500 and $1,200 white-glove delivery, as the delivered order was paid


@pytest.fixture
def people(support_staff):
    return support_staff


@pytest.fixture
def received_return(make_delivered_order, people, db):
    """A return of a delivered, paid piano, approved and received by support."""

    def _make(made=None, **kw):
        made = made or make_delivered_order(**kw)
        ticket = make_ticket(
            kind="return_request", order=made.order, lines=[made.line], buyer=made.buyer
        )
        returns.approve(ticket.id, people["support"])
        returns.mark_received(ticket.id, people["support"])
        db.session.commit()
        return made, ticket

    return _make


def staff_post(client, url, data=None, **kw):
    return post_form(client, url, data or {}, csrf_page="/staff/", **kw)


def settle(client, ticket, amount: str, key: str = "k1"):
    return staff_post(
        client,
        f"/staff/support/{ticket.number}/return/settle",
        {"outcome": "store_credit", "amount": amount, "request_key": key},
        follow_redirects=True,
    )


def return_of(db, ticket) -> ReturnRequest:
    db.session.expire_all()
    return db.session.scalar(sa.select(ReturnRequest).where(ReturnRequest.ticket_id == ticket.id))


def ledger(db) -> list[StoreCredit]:
    db.session.expire_all()
    return db.session.scalars(sa.select(StoreCredit).order_by(StoreCredit.id)).all()


def test_a_million_dollars_of_credit_for_a_piano_is_refused(
    client, db, login, people, received_return
):
    made, ticket = received_return()
    login(people["support"])
    page = settle(client, ticket, "999,999.99").get_data(as_text=True)
    assert "At most $43,700.00 of store credit" in page
    ret = return_of(db, ticket)
    assert ret.status == "received" and ret.outcome is None and ret.credit_cents == 0
    assert ledger(db) == [] and credit.balance(made.buyer.id) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreditGrant)) == 0
    # one cent above what the goods were paid for is refused too
    with pytest.raises(DomainError, match="At most"):
        returns.settle(ticket.id, "store_credit", people["manager"], amount_cents=PIANO + 1)


def test_credit_within_the_limit_is_given_at_once_and_the_buyer_sees_it(
    client, db, login, people, received_return
):
    made, ticket = received_return()
    done = returns.settle(ticket.id, "store_credit", people["support"], amount_cents=5_000_00)
    db.session.commit()
    assert "given" in done.message
    [row] = ledger(db)
    assert (
        row.kind == "grant" and row.amount_cents == 5_000_00 and row.balance_after_cents == 5_000_00
    )
    assert row.buyer_id == made.buyer.id and row.return_id == return_of(db, ticket).id
    assert credit.balance(made.buyer.id) == 5_000_00
    login(made.buyer)
    account = client.get("/account/").get_data(as_text=True)
    assert 'data-testid="credit-balance">$5,000.00' in account
    history = client.get("/account/credit").get_data(as_text=True)
    assert "Added" in history and ticket.number in history and "+$5,000.00" in history


@pytest.mark.parametrize("who", ["rep", "rep2"])
def test_a_rep_not_assigned_to_the_ticket_cannot_give_credit(
    client, db, login, people, received_return, who
):
    made, ticket = received_return()
    with pytest.raises(DomainError, match="assignee, support or a manager"):
        returns.settle(ticket.id, "store_credit", people[who], amount_cents=100_00)
    db.session.rollback()
    login(people[who])
    page = settle(client, ticket, "100.00").get_data(as_text=True)
    assert "assignee, support or a manager" in page
    assert ledger(db) == [] and return_of(db, ticket).outcome is None
    # the rep the ticket is assigned to may
    ticket.assignee_id = people[who].id
    db.session.commit()
    settle(client, ticket, "100.00", key="k2")
    assert credit.balance(made.buyer.id) == 100_00


def test_credit_above_the_limit_waits_for_a_second_person(
    client, db, login, people, received_return
):
    made, ticket = received_return()
    login(people["support"])
    settle(client, ticket, "")  # the default: what the goods were paid for
    ret = return_of(db, ticket)
    [grant] = db.session.scalars(sa.select(CreditGrant)).all()
    assert grant.amount_cents == PIANO and grant.status == "pending_approval"
    assert ret.outcome == "store_credit" and ret.credit_cents == PIANO
    assert ledger(db) == [] and credit.balance(made.buyer.id) == 0  # nothing given yet
    assert "second member of our team approves" in outbox("return-settled")[0].body_text
    # support may not approve, nor may the one who asked
    r = staff_post(client, f"/staff/credits/{grant.id}/approve")
    assert r.status_code == 403
    with pytest.raises(DomainError):
        returns.approve_credit(grant.id, people["support"])
    db.session.rollback()
    staff_post(client, "/account/logout")
    login(people["manager"])
    home = client.get("/staff/").get_data(as_text=True)  # the managers' approvals
    assert 'data-testid="dash-credits-row"' in home and ticket.number in home
    panel = client.get(f"/staff/support/{ticket.number}").get_data(as_text=True)
    assert 'data-testid="credit-approve-form"' in panel
    r = staff_post(client, f"/staff/credits/{grant.id}/approve")
    assert r.status_code == 303
    db.session.expire_all()
    grant = db.session.get(CreditGrant, grant.id)
    assert grant.status == "granted" and grant.approved_by_id == people["manager"].id
    [row] = ledger(db)
    assert row.amount_cents == PIANO and credit.balance(made.buyer.id) == PIANO
    assert "return.credit_approve" in audit_actions(ticket.number)
    assert "return_credit_approved" in event_kinds(ticket.id)
    assert "$43,700.00 is now in your account" in outbox("return-credit")[0].body_text
    # approving twice gives nothing more
    with pytest.raises(DomainError, match="already decided"):
        returns.approve_credit(grant.id, people["manager2"])
    db.session.rollback()
    assert credit.balance(made.buyer.id) == PIANO


def test_a_manager_cannot_approve_their_own_credit_and_a_rejection_reopens_the_return(
    db, people, received_return
):
    made, ticket = received_return()
    returns.settle(ticket.id, "store_credit", people["manager"], amount_cents=20_000_00)
    db.session.commit()
    grant = db.session.scalar(sa.select(CreditGrant))
    with pytest.raises(DomainError, match="You asked for this store credit"):
        returns.approve_credit(grant.id, people["manager"])
    db.session.rollback()
    # the database agrees
    grant.approved_by_id, grant.status = people["manager"].id, "granted"
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DomainError, match="Say why"):
        returns.reject_credit(grant.id, people["manager2"], " ")
    db.session.rollback()
    returns.reject_credit(grant.id, people["manager2"], "Offer a refund instead.")
    db.session.commit()
    ret = return_of(db, ticket)
    assert ret.status == "received" and ret.outcome is None and ledger(db) == []
    assert "return.credit_reject" in audit_actions(ticket.number)
    # settled again, within the limit this time
    returns.settle(ticket.id, "store_credit", people["support"], amount_cents=9_000_00)
    db.session.commit()
    assert credit.balance(made.buyer.id) == 9_000_00


def test_credit_counts_what_the_order_already_gave_back(
    db, people, received_return, make_delivered_order
):
    made = make_delivered_order(quantity=2)  # two pianos: $85,000 and $1,200 delivery
    made, first = received_return(made=made)
    returns.settle(first.id, "store_credit", people["support"], amount_cents=80_000_00)
    db.session.commit()  # waiting for approval, and already counted
    _made, second = received_return(made=made)
    with pytest.raises(DomainError, match=r"At most \$6,200.00"):
        returns.settle(second.id, "store_credit", people["support"], amount_cents=6_200_01)
    db.session.rollback()
    returns.settle(second.id, "store_credit", people["support"], amount_cents=6_200_00)
    db.session.commit()
    assert credit.balance(made.buyer.id) == 6_200_00


def test_a_guest_without_an_account_gets_no_credit(db, people, received_return):
    _made, ticket = received_return(buyer=False)
    with pytest.raises(DomainError, match="no account"):
        returns.settle(ticket.id, "store_credit", people["support"], amount_cents=100_00)


def test_the_returned_unit_is_back_in_stock_once_received(
    db, people, make_delivered_order, support_product
):
    made = make_delivered_order()
    variant_id = made.line.variant_id
    before = db.session.get(Variant, variant_id).stock_on_hand
    ticket = make_ticket(
        kind="return_request", order=made.order, lines=[made.line], buyer=made.buyer
    )
    returns.approve(ticket.id, people["support"])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Variant, variant_id).stock_on_hand == before  # approved, not back yet
    returns.mark_received(ticket.id, people["support"])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Variant, variant_id).stock_on_hand == before + 1
    assert return_of(db, ticket).restocked_units == 1
    assert "return_restocked" in event_kinds(ticket.id)
    with pytest.raises(DomainError, match="already marked received"):
        returns.mark_received(ticket.id, people["support"])
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Variant, variant_id).stock_on_hand == before + 1


def test_an_exchange_for_another_variant_through_credit_pays_only_the_difference(
    client,
    db,
    login,
    people,
    received_return,
    make_delivered_order,
    make_category,
    make_product,
    checkout_to_review,  # noqa: F811
):
    pianos = make_category(slug="uprights", name="Uprights")
    product = make_product(pianos, name="Studio Upright", price_cents=42_500_00, variants=2)
    made = make_delivered_order(product=product)  # Version 1 at $42,500 (+ $1,200 delivery)
    made, ticket = received_return(made=made)
    returns.settle(ticket.id, "store_credit", people["support"])
    db.session.commit()
    grant = db.session.scalar(sa.select(CreditGrant))
    returns.approve_credit(grant.id, people["manager"])
    db.session.commit()
    assert credit.balance(made.buyer.id) == PIANO
    # The buyer orders Version 2 ($43,500, nothing to ship, 6.5% tax) with the credit.
    login(made.buyer)
    other = next(v for v in product.variants if v.name == "Version 2")
    checkout_to_review(other.id)
    r = post_form(
        client,
        "/checkout/review",
        {"payment_method": "card", "accept_terms": "y", "use_credit": "y"},
    )
    assert "/checkout/pay/" in r.headers["Location"]
    order = db.session.scalar(sa.select(Order).where(Order.id != made.order.id))
    payment = db.session.scalar(sa.select(Payment))
    assert order.total_cents == 46_327_50 and order.credit_cents == PIANO
    assert payment.amount_cents == 46_327_50 - PIANO  # the difference, by card
    assert credit.balance(made.buyer.id) == 0


def test_the_migration_keeps_orders_and_turns_credit_given_before_into_balances(
    app, db, make_delivered_order
):
    """Down to 0008 and up again with data in place: order lines survive (SQLite must not copy
    the orders table), and credit given before the ledger had balances becomes a balance."""
    from flask_migrate import downgrade, upgrade

    from shop.orders.models import OrderLine

    made = make_delivered_order()
    credit.grant(made.buyer.id, made.buyer.email, 300_00, "Goodwill")
    credit.grant(made.buyer.id, made.buyer.email, 200_00, "Goodwill again")
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    downgrade(revision="0008_catalog_speed")
    upgrade()
    db.engine.dispose()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderLine)) == 1
    assert credit.balance(made.buyer.id) == 500_00
    rows = db.session.scalars(sa.select(StoreCredit).order_by(StoreCredit.id)).all()
    assert [(r.kind, r.balance_after_cents) for r in rows] == [("grant", 300_00), ("grant", 500_00)]
    assert db.session.get(Order, made.order.id).credit_cents == 0
