"""What needs me now: the staff home page per role, in a fixed number of queries."""

from datetime import timedelta
from itertools import count

import pytest
import sqlalchemy as sa

from shop.consultations.models import Booking
from shop.db import utcnow
from shop.payments.models import Payment, Refund, TransferReceipt
from shop.quotes.models import Quote
from shop.staff.dashboard import _today
from tests.operations.test_console import new_order

_n = count(1)


def card_payment(db, order, *, authorized_days_ago: float, status: str = "authorized") -> Payment:
    payment = Payment(
        reference=f"order:{order.id}",
        purpose="full",
        method="card",
        status=status,
        amount_cents=order.total_cents,
        amount_capturable_cents=order.total_cents if status == "authorized" else 0,
        amount_received_cents=order.total_cents if status == "succeeded" else 0,
        stripe_payment_intent_id=f"pi_dash_{next(_n)}",
        authorized_at=utcnow() - timedelta(days=authorized_days_ago),
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def transfer_payment(db, order, reference: str | None = None) -> Payment:
    payment = Payment(
        reference=f"order:{order.id}",
        purpose="full",
        method="bank_transfer",
        status="awaiting_funds",
        amount_cents=order.total_cents,
        bank_reference=reference or f"HH-DASH-{next(_n):04d}",
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def manager_world(db, staff, n: int = 1) -> dict:
    """n of everything a manager must see, and things they must not."""
    made = {"holds": [], "late": [], "disputes": [], "overdue": [], "review": [], "quotes": []}
    for _ in range(n):
        soon = new_order(db, commit=False, status="placed", name="Hold Soon")
        card_payment(db, soon, authorized_days_ago=6)  # lapses within 24 h
        made["holds"].append(soon)
        late = new_order(db, commit=False, status="placed", name="Hold Later")
        card_payment(db, late, authorized_days_ago=1)  # lapses in 6 days: not listed
        made["late"].append(late)
        captured = new_order(db, commit=False, status="paid", name="Captured Card")
        pay = card_payment(db, captured, authorized_days_ago=2, status="succeeded")
        db.session.add(
            Refund(
                payment_id=pay.id,
                amount_cents=20_000_00,
                reason="Scratched lid",
                status="pending_approval",
                requested_by_id=staff["support"].id,
                requested_by_label="Sam Support",
            )
        )
        transfer = new_order(db, commit=False, status="awaiting_funds", name="Big Transfer")
        tpay = transfer_payment(db, transfer)
        db.session.add(
            TransferReceipt(
                payment_id=tpay.id,
                amount_cents=60_000_00,
                received_on=utcnow().date(),
                payer="Big Payer",
                reference_text=tpay.bank_reference,
                status="pending_approval",
                recorded_by_id=staff["support"].id,
                recorded_by_label="Sam Support",
            )
        )
        made["disputes"].append(
            new_order(db, commit=False, status="paid", dispute_status="open", name="Disputed")
        )
        made["overdue"].append(
            new_order(
                db,
                commit=False,
                status="awaiting_funds",
                funds_due_at=utcnow() - timedelta(days=1),
                name="Overdue Transfer",
            )
        )
        made["review"].append(
            new_order(
                db,
                commit=False,
                status="placed",
                needs_review=True,
                review_reason="Amounts do not add up",
                name="Needs Look",
            )
        )
        made["quotes"].append(
            Quote(
                number=f"Q-D{next(_n)}",
                email="q@example.com",
                name="Quote Buyer",
                status="pending_approval",
                rep_id=staff["rep"].id,
            )
        )
        db.session.add(made["quotes"][-1])
    db.session.commit()
    return made


def count_home(client, query_counter) -> int:
    with query_counter() as statements:
        response = client.get("/staff/")
    assert response.status_code == 200
    return len(statements)


def section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</section>", start)]


def test_the_manager_sees_approvals_holds_disputes_overdue_transfers_and_reviews(
    client, db, staff, login
):
    made = manager_world(db, staff)
    login(staff["manager"])
    html = client.get("/staff/").get_data(as_text=True)
    approvals = section(html, "dash-approvals")
    assert "Approvals waiting (3)" in approvals
    assert approvals.count('data-testid="dash-refunds-row"') == 1 and "$20,000.00" in approvals
    assert approvals.count('data-testid="dash-receipts-row"') == 1 and "$60,000.00" in approvals
    assert approvals.count('data-testid="dash-quotes-row"') == 1
    assert made["quotes"][0].number in approvals and "Sam Support" in approvals
    holds = section(html, "dash-holds-panel")
    assert made["holds"][0].number in holds and made["late"][0].number not in holds
    assert f'href="/staff/orders/{made["holds"][0].number}"' in holds
    assert made["disputes"][0].number in section(html, "dash-disputes-panel")
    assert made["overdue"][0].number in section(html, "dash-overdue-panel")
    review = section(html, "dash-review-panel")
    assert made["review"][0].number in review and "Amounts do not add up" in review
    # A transfer recorded as received but not yet approved: the web order says what it needs.
    waiting = section(html, "dash-waiting-panel")
    received = waiting[waiting.index("Big Transfer") :]
    assert "Transfer received: approve it" in received[: received.index("</tr>")]
    # The desk's own tables are still there.
    assert 'data-testid="desk-orders"' not in html or "Request balance" in html
    assert "Buyers" in html and "/staff/quotes/approvals" in html


@pytest.mark.both_dbs
def test_the_managers_home_runs_a_fixed_number_of_queries(client, db, staff, login, query_counter):
    manager_world(db, staff, 1)
    login(staff["manager"])
    few = count_home(client, query_counter)
    manager_world(db, staff, 4)
    many = count_home(client, query_counter)
    assert few == many <= 20


def rep_world(db, staff, n: int = 1) -> dict:
    rep = staff["rep"]
    now = utcnow()
    start, end = _today(rep, now)
    made = {"today": [], "tomorrow": [], "quotes": [], "closed": [], "action": [], "fine": []}
    already = db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
    for i in range(n):
        step = timedelta(minutes=40 * (already + i))  # never overlapping (PostgreSQL refuses)
        for key, at in (
            ("today", start + (end - start) / 4 + step),
            ("tomorrow", end + timedelta(hours=1) + step),
        ):
            booking = Booking(
                reference=f"BK-D{next(_n)}",
                rep_id=rep.id,
                name=f"Buyer {key}",
                email="b@example.com",
                channel="video",
                starts_at=at,
                ends_at=at + timedelta(minutes=30),
                buyer_timezone="UTC",
            )
            db.session.add(booking)
            made[key].append(booking)
        for key, status in (("quotes", "sent"), ("closed", "declined")):
            quote = Quote(
                number=f"Q-R{next(_n)}",
                email="q@example.com",
                name="Q",
                status=status,
                rep_id=rep.id,
            )
            db.session.add(quote)
            made[key].append(quote)
        made["action"].append(new_order(db, commit=False, status="placed", rep_id=rep.id))
        made["action"].append(
            new_order(
                db, commit=False, status="placed", rep_id=rep.id, payment_state="payment_expired"
            )
        )
        paid = new_order(db, commit=False, status="paid", rep_id=rep.id)
        paid.received_cents = paid.paid_cents = paid.total_cents
        made["fine"].append(paid)
        made["fine"].append(
            new_order(db, commit=False, status="placed", rep_id=staff["manager"].id)
        )
    db.session.commit()
    return made


def test_the_rep_sees_todays_consultations_open_quotes_and_orders_needing_action(
    client, db, staff, login
):
    made = rep_world(db, staff)
    login(staff["rep"])
    html = client.get("/staff/").get_data(as_text=True)
    today = section(html, "dash-consultations-panel")
    assert today.count('data-testid="dash-consultations-row"') == 1
    assert "Buyer today" in today and "Buyer tomorrow" not in today
    quotes = section(html, "dash-quotes-panel")
    assert made["quotes"][0].number in quotes and made["closed"][0].number not in quotes
    mine = section(html, "dash-my-orders-panel")
    for order in made["action"]:
        assert order.number in mine
    for order in made["fine"]:
        assert order.number not in mine
    assert "Payment expired" in mine
    # A manager's board is not shown to a rep.
    assert 'data-testid="dash-approvals"' not in html


@pytest.mark.both_dbs
def test_the_reps_home_runs_a_fixed_number_of_queries(client, db, staff, login, query_counter):
    rep_world(db, staff, 1)
    login(staff["rep"])
    few = count_home(client, query_counter)
    rep_world(db, staff, 4)
    many = count_home(client, query_counter)
    assert few == many <= 20


def test_the_reps_orders_link_to_their_pages_and_show_what_was_refunded(client, db, staff, login):
    """Paid is net of refunds: beside it the rep sees what went back, or paid < total with
    nothing outstanding reads as a mistake."""
    refunded = new_order(db, commit=False, status="delivered", rep_id=staff["rep"].id)
    refunded.received_cents = refunded.total_cents
    refunded.refunded_cents = 1_234_00
    refunded.paid_cents = refunded.total_cents - 1_234_00
    whole = new_order(db, commit=False, status="paid", rep_id=staff["rep"].id)
    whole.received_cents = whole.paid_cents = whole.total_cents
    db.session.commit()
    login(staff["rep"])
    desk = section(client.get("/staff/").get_data(as_text=True), "desk-orders")
    for order in (refunded, whole):
        assert f'href="/staff/orders/{order.number}"' in desk
    assert desk.count('data-testid="desk-refunded"') == 1
    assert "$1,234.00 refunded" in desk
    assert client.get(f"/staff/orders/{refunded.number}").status_code == 200


def support_world(db, staff, n: int = 1) -> dict:
    made = {"review": [], "expected": [], "refunds": [], "others": []}
    for _ in range(n):
        made["review"].append(
            new_order(db, commit=False, status="paid", needs_review=True, review_reason="Overpaid")
        )
        expected = new_order(
            db,
            commit=False,
            status="awaiting_funds",
            funds_due_at=utcnow() + timedelta(days=2),
        )
        payment = transfer_payment(db, expected)
        made["expected"].append((expected, payment.bank_reference))
        db.session.add(
            TransferReceipt(
                payment_id=payment.id,
                amount_cents=70_000_00,
                received_on=utcnow().date(),
                payer="Payer",
                reference_text=payment.bank_reference,
                status="pending_approval",
                recorded_by_id=staff["support"].id,
                recorded_by_label="Sam Support",
            )
        )
        captured = new_order(db, commit=False, status="paid")
        pay = card_payment(db, captured, authorized_days_ago=1, status="succeeded")
        for who, amount in ((staff["support"], 12_345_00), (staff["manager"], 54_321_00)):
            db.session.add(
                Refund(
                    payment_id=pay.id,
                    amount_cents=amount,
                    reason="Goodwill",
                    status="pending_approval",
                    requested_by_id=who.id,
                    requested_by_label=who.name,
                )
            )
    db.session.commit()
    return made


def test_support_sees_the_queue(client, db, staff, login):
    made = support_world(db, staff)
    login(staff["support"])
    html = client.get("/staff/").get_data(as_text=True)
    queue = section(html, "dash-queue-panel")
    assert made["review"][0].number in queue and "Overpaid" in queue
    assert queue.count('data-testid="dash-receipts-row"') == 1 and "$70,000.00" in queue
    assert "$12,345.00" in queue and "$54,321.00" not in queue  # only the refunds they asked
    expected = section(html, "dash-expected-panel")
    order, reference = made["expected"][0]
    assert order.number in expected and reference in expected
    assert "/staff/transfers" in expected
    assert 'data-testid="dash-approvals"' not in html


@pytest.mark.both_dbs
def test_supports_home_runs_a_fixed_number_of_queries(client, db, staff, login, query_counter):
    support_world(db, staff, 1)
    login(staff["support"])
    few = count_home(client, query_counter)
    support_world(db, staff, 4)
    many = count_home(client, query_counter)
    assert few == many <= 20


@pytest.mark.parametrize("role", ["rep", "support", "manager"])
def test_an_empty_board_says_so(client, db, staff, login, role):
    login(staff[role])
    html = client.get("/staff/").get_data(as_text=True)
    assert 'data-testid="dashboard"' in html
    assert "No " in section(html, "dashboard")


def test_buyers_and_reps_are_refused_where_they_do_not_belong(client, staff, login):
    login(staff["buyer"])
    for url in ("/staff/", "/staff/holds", "/staff/transfers"):
        assert client.get(url).status_code == 403, url


def test_the_managers_desk_lists_web_orders_waiting_to_be_confirmed_or_captured(
    client, db, staff, login, card_order, transfer_order
):
    """A web order authorized by card (not captured) and one waiting for its bank transfer are
    on the manager's desk, with their amounts as money and links; a quote's order and a paid
    one are not (the quote's is on the desk's own table; the paid one needs nothing)."""
    from_quote = new_order(db, status="placed", name="From Quote", quote_id=7, rep_id=None)
    paid = new_order(db, status="paid", name="All Paid")
    login(staff["manager"])
    html = client.get("/staff/").get_data(as_text=True)
    waiting = section(html, "dash-waiting-panel")
    assert "Web orders to confirm or capture (2)" in waiting
    assert waiting.count('data-testid="dash-waiting-row"') == 2
    card_row = waiting[waiting.index(card_order.number) :]
    card_row = card_row[: card_row.index("</tr>")]
    assert "Card authorized: confirm the order" in card_row
    assert card_row.count("$46,540.50") == 2  # its total, all of it authorized
    assert f'href="/staff/orders/{card_order.number}"' in waiting
    transfer_row = waiting[waiting.index(transfer_order.number) :]
    assert "Bank transfer expected" in transfer_row[: transfer_row.index("</tr>")]
    assert f'href="/staff/orders/{transfer_order.number}"' in waiting
    totals = waiting[waiting.index('data-testid="dash-waiting-totals"') :]
    totals = totals[: totals.index("</p>")]
    assert "$93,081.00" in totals and "in 2 orders" in totals
    assert "$46,540.50 authorized on cards, not captured" in totals
    assert from_quote.number not in waiting and paid.number not in waiting
    assert "4654050" not in waiting  # never cents
