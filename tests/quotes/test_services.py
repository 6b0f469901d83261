"""Quote rules: building, authority and approval, versions, units held, expiry and reminders."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.catalog import stock
from shop.catalog.models import StockReservation
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db as _db
from shop.notifications.models import OutboxMessage
from shop.quotes import services
from shop.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteVersion
from shop.quotes.services import LineInput
from shop.unit_of_work import unit_of_work
from tests.quotes.conftest import terms
from tests.races import run_together


def kinds(quote_id):
    return [e.kind for e in services.events(quote_id)]


def outbox(prefix):
    return _db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix))
    ).all()


# --- building ------------------------------------------------------------------------------


def test_a_quote_from_scratch_copies_catalog_prices_and_costs(db, team, variant):
    quote = services.create_quote(team["maya"], name="Jo Sailor", email="Jo@Example.com")
    services.save_version(
        quote.id,
        team["maya"],
        terms(
            variant.id,
            2,
            lines=[
                LineInput(
                    kind="custom",
                    description="Installation",
                    unit_price_cents=1_500_00,
                    unit_cost_cents=900_00,
                ),
                LineInput(
                    kind="custom", description="Trade-in: old boat", unit_price_cents=-20_000_00
                ),
            ],
            deposit_pct=Decimal("25"),
        ),
    )
    db.session.commit()
    assert quote.number.startswith("Q-") and len(quote.number) == 8
    assert quote.email == "jo@example.com" and quote.rep_id == team["maya"].id
    version = services.current(services.get_quote(quote.id, team["maya"]))
    boat = version.lines[0]
    assert (boat.sku, boat.unit_price_cents, boat.unit_cost_cents) == (
        variant.sku,
        variant.price_cents,
        variant.cost_cents,
    )
    assert version.list_cents == 2 * variant.price_cents + 1_500_00
    assert version.total_cents == version.list_cents - 20_000_00
    assert version.discount_cents == 0  # a trade-in is a credit, not a discount
    assert version.deposit_cents == version.total_cents // 4
    # later catalog changes do not touch the quote
    variant.price_cents = 1_00
    db.session.commit()
    services.save_version(quote.id, team["maya"], terms(variant.id, 1))
    db.session.commit()
    version = services.current(services.get_quote(quote.id, team["maya"]))
    assert version.lines[0].unit_price_cents == boat.unit_price_cents
    assert kinds(quote.id) == ["created", "edited", "edited"]


def test_a_quote_from_the_buyers_cart(db, team, variant):
    from shop.cart.services import add_item, get_or_create_cart

    add_item(get_or_create_cart(user_id=team["buyer"].id), variant.id, 2)
    db.session.commit()
    quote = services.create_quote(team["maya"], buyer_id=team["buyer"].id, from_cart=True)
    version = services.current(services.get_quote(quote.id, team["maya"]))
    assert quote.source == "cart" and quote.name == "Ada Buyer"
    assert [(line.variant_id, line.quantity) for line in version.lines] == [(variant.id, 2)]


def test_an_empty_cart_is_refused(db, team):
    with pytest.raises(DomainError, match="cart is empty"):
        services.create_quote(team["maya"], buyer_id=team["buyer"].id, from_cart=True)


def test_a_quote_from_a_consultation_goes_to_its_rep(db, team, boat):
    from shop.consultations.models import Booking

    booking = Booking(
        reference="C-TEST01",
        rep_id=team["ravi"].id,
        name="Lee Visitor",
        email="lee@example.com",
        channel="video",
        starts_at=utcnow(),
        ends_at=utcnow() + timedelta(minutes=45),
        buyer_timezone="UTC",
        product_id=boat.id,
    )
    db.session.add(booking)
    db.session.commit()
    quote = services.create_quote(team["boss"], booking_id=booking.id)
    version = services.current(services.get_quote(quote.id, team["boss"]))
    assert (quote.source, quote.rep_id, quote.email) == (
        "consultation",
        team["ravi"].id,
        "lee@example.com",
    )
    assert version.lines[0].variant_id == boat.variants[0].id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"discount_kind": "percent", "discount_value": Decimal("-5")}, "between 0 and 100"),
        ({"discount_kind": "percent", "discount_value": Decimal("101")}, "between 0 and 100"),
        ({"deposit_pct": Decimal("120")}, "deposit must be between 0 and 100"),
        ({"deposit_pct": Decimal("-1")}, "deposit must be between 0 and 100"),
        ({"quantity": -1}, "quantity"),
        ({"days": -1}, "validity date in the future"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    db, team, make_quote, variant, change, message
):
    quote = make_quote()
    before = (
        db.session.scalar(sa.select(sa.func.count()).select_from(QuoteLine)),
        db.session.scalar(sa.select(sa.func.count()).select_from(QuoteEvent)),
        services.current(services.get_quote(quote.id, team["maya"])).total_cents,
    )
    quantity = change.pop("quantity", 1)
    with pytest.raises(DomainError) as caught:
        services.save_version(quote.id, team["maya"], terms(variant.id, quantity, **change))
    db.session.rollback()
    assert message in caught.value.message
    after = (
        db.session.scalar(sa.select(sa.func.count()).select_from(QuoteLine)),
        db.session.scalar(sa.select(sa.func.count()).select_from(QuoteEvent)),
        services.current(services.get_quote(quote.id, team["maya"])).total_cents,
    )
    assert after == before


# --- authority and approval ----------------------------------------------------------------


def test_within_authority_a_quote_is_sent_at_once(db, team, make_quote, app):
    quote = make_quote(discount_kind="percent", discount_value=Decimal("10"))
    services.send(quote.id, team["maya"])
    db.session.commit()
    assert quote.status == "sent"
    [email] = outbox(f"quote-sent:{quote.id}:1")
    token = services.quote_link_token(quote)
    assert f"http://shop.test/quotes/v/{token}" in email.body_text
    assert "50,000" not in email.body_text  # never the cost
    assert services.quote_for_token(token).id == quote.id


def test_beyond_authority_needs_a_manager_who_is_not_the_author(db, team, make_quote):
    quote = make_quote(discount_kind="percent", discount_value=Decimal("15"))
    version = services.current(services.get_quote(quote.id, team["maya"]))
    assert version.needs_approval
    assert "Discount 15.00% is above Maya Okafor's limit of 10%" in version.approval_reason
    with pytest.raises(DomainError, match="must approve"):
        services.send(quote.id, team["maya"])
    db.session.rollback()
    with pytest.raises(DomainError, match="Only a manager"):
        services.approve(quote.id, team["maya"])
    db.session.rollback()
    services.submit(quote.id, team["maya"])
    db.session.commit()
    with pytest.raises(DomainError, match="Say why"):
        services.reject(quote.id, team["boss"], "")
    db.session.rollback()
    services.reject(quote.id, team["boss"], "Too deep; try 12 %.")
    db.session.commit()
    assert quote.status == "draft"
    services.save_version(
        quote.id,
        team["maya"],
        terms(quote_variant(quote), discount_kind="percent", discount_value=Decimal("12")),
    )
    services.submit(quote.id, team["maya"])
    services.approve(quote.id, team["boss"], "OK for a returning buyer.")
    db.session.commit()
    services.send(quote.id, team["maya"])
    db.session.commit()
    version = services.current(services.get_quote(quote.id, team["maya"]))
    assert (quote.status, version.approved_by_id) == ("sent", team["boss"].id)
    assert kinds(quote.id) == [
        "created",
        "edited",
        "submitted",
        "rejected",
        "edited",
        "submitted",
        "approved",
        "sent",
    ]
    assert len(outbox(f"quote-rejected:{quote.id}")) == 1


def quote_variant(quote):
    return _db.session.scalar(
        sa.select(QuoteLine.variant_id).join(QuoteVersion).where(QuoteVersion.quote_id == quote.id)
    )


def test_a_manager_cannot_approve_their_own_quote(db, team, make_quote):
    quote = make_quote(author=team["boss"], discount_kind="percent", discount_value=Decimal("30"))
    services.submit(quote.id, team["boss"])
    db.session.commit()
    with pytest.raises(DomainError, match="you wrote"):
        services.approve(quote.id, team["boss"])
    db.session.rollback()
    services.approve(quote.id, team["chief"])
    db.session.commit()
    assert quote.status == "approved"


def test_below_the_margin_floor_needs_approval(db, team, make_quote, variant):
    # cost is half the price: 45 % off leaves a 9.09 % margin
    quote = make_quote(discount_kind="percent", discount_value=Decimal("45"))
    version = services.current(services.get_quote(quote.id, team["maya"]))
    assert "below the store's floor of 12%" in version.approval_reason


def test_an_edit_after_approval_withdraws_it(db, team, make_quote, variant):
    quote = make_quote(discount_kind="percent", discount_value=Decimal("15"))
    services.submit(quote.id, team["maya"])
    services.approve(quote.id, team["boss"])
    db.session.commit()
    services.save_version(
        quote.id,
        team["maya"],
        terms(variant.id, discount_kind="percent", discount_value=Decimal("20")),
    )
    db.session.commit()
    assert quote.status == "draft"
    version = services.current(services.get_quote(quote.id, team["maya"]))
    assert version.needs_approval and version.approved_at is None
    with pytest.raises(DomainError, match="must approve"):
        services.send(quote.id, team["maya"])


# --- versions ------------------------------------------------------------------------------


def test_a_change_after_sending_makes_a_new_version(db, team, make_quote, variant):
    from shop.quotes.closing import acceptable

    quote = make_quote()
    services.send(quote.id, team["maya"])
    db.session.commit()
    services.save_version(quote.id, team["maya"], terms(variant.id, 2, note_to_buyer="Two!"))
    db.session.commit()
    full = services.get_quote(quote.id, team["maya"])
    first, second = full.versions
    assert (first.number, second.number, full.current_version) == (1, 2, 2)
    assert first.sent_at is not None and second.sent_at is None
    assert [line.quantity for line in first.lines] == [1]  # earlier version unchanged
    assert [line.quantity for line in second.lines] == [2]
    assert acceptable(full, first, utcnow()) is not None  # never acceptable again
    services.send(quote.id, team["maya"])
    db.session.commit()
    assert acceptable(full, first, utcnow()) == "This version has been replaced by a newer one."
    assert acceptable(full, second, utcnow()) is None
    assert "new_version" in kinds(quote.id)
    assert len(outbox(f"quote-sent:{quote.id}:")) == 2


def test_settled_quotes_cannot_change(db, team, make_quote, variant):
    quote = make_quote()
    services.withdraw(quote.id, team["maya"], "Buyer went elsewhere.")
    db.session.commit()
    with pytest.raises(DomainError, match="cannot be changed"):
        services.save_version(quote.id, team["maya"], terms(variant.id))


def test_another_rep_cannot_touch_the_quote(db, team, make_quote, variant):
    quote = make_quote()
    with pytest.raises(DomainError):
        services.save_version(quote.id, team["ravi"], terms(variant.id))
    with pytest.raises(DomainError):
        services.get_quote(quote.id, team["ravi"])
    assert services.get_quote(quote.id, team["boss"]).id == quote.id


# --- units ---------------------------------------------------------------------------------


def test_units_are_held_while_open_and_the_rep_can_release_them(db, team, make_quote, variant):
    quote = make_quote(quantity=2)
    services.send(quote.id, team["maya"])
    db.session.commit()
    [hold] = stock.holds(services.holder(quote))
    assert (hold.quantity, hold.expires_at) == (2, quote.valid_until)
    assert stock.available_units([variant.id])[variant.id] == 1
    services.release_units(quote.id, team["maya"])
    db.session.commit()
    assert stock.available_units([variant.id])[variant.id] == 3
    assert "units_released" in kinds(quote.id)
    services.hold_units(quote.id, team["maya"])
    db.session.commit()
    assert stock.available_units([variant.id])[variant.id] == 1


def test_holding_is_configurable(app, db, team, make_quote, variant):
    app.config["QUOTE_HOLD_UNITS"] = False
    quote = make_quote()
    services.send(quote.id, team["maya"])
    db.session.commit()
    assert stock.holds(services.holder(quote)) == []


def test_a_quote_for_units_not_in_stock_is_sent_without_a_hold(db, team, make_quote, variant):
    quote = make_quote(quantity=5)
    services.send(quote.id, team["maya"])
    db.session.commit()
    assert quote.status == "sent"
    assert stock.holds(services.holder(quote)) == []
    assert "Units not held" in services.events(quote.id)[-1].note


# --- the clock -----------------------------------------------------------------------------


def test_expiry_releases_units_once(db, team, make_quote, variant):
    quote = make_quote(days=3)
    services.send(quote.id, team["maya"])
    db.session.commit()
    later = utcnow() + timedelta(days=3, minutes=1)
    assert services.expire_quotes(utcnow()) == 0
    assert services.expire_quotes(later) == 1
    assert services.expire_quotes(later) == 0
    db.session.refresh(quote)
    assert quote.status == "expired"
    assert (
        db.session.scalar(
            sa.select(StockReservation.status).where(StockReservation.holder == f"quote:{quote.id}")
        )
        == "released"
    )
    assert kinds(quote.id).count("expired") == 1


def test_reminders_48h_to_the_buyer_and_24h_to_the_rep_once(db, team, make_quote):
    quote = make_quote(days=5)
    services.send(quote.id, team["maya"])
    db.session.commit()
    until = quote.valid_until
    assert services.remind_quotes(until - timedelta(hours=49)) == 0
    assert services.remind_quotes(until - timedelta(hours=47)) == 1
    assert services.remind_quotes(until - timedelta(hours=46)) == 0
    assert services.remind_quotes(until - timedelta(hours=23)) == 1
    assert services.remind_quotes(until - timedelta(hours=1)) == 0
    assert [m.to_address for m in outbox(f"quote-remind-buyer:{quote.id}")] == [quote.email]
    assert [m.to_address for m in outbox(f"quote-remind-rep:{quote.id}")] == [team["maya"].email]


def test_no_buyer_reminder_for_a_quote_sent_inside_the_window(db, team, make_quote):
    quote = make_quote(days=1)
    services.send(quote.id, team["maya"])
    db.session.commit()
    assert services.remind_quotes(utcnow() + timedelta(minutes=1)) == 0


def _run(job, now) -> int:
    """A job as its command runs it: the whole run one unit of work."""
    with unit_of_work():
        return job(now)


@pytest.mark.both_dbs
def test_two_job_runs_at_once_do_each_thing_once(app, db, team, make_quote):
    quotes = [make_quote(days=2) for _ in range(3)]
    for quote in quotes:
        services.send(quote.id, team["maya"])
    db.session.commit()
    until = quotes[0].valid_until
    remind_at = until - timedelta(hours=23)
    results = run_together(app, [lambda: _run(services.remind_quotes, remind_at)] * 2, (Exception,))
    # sent less than 48 h before expiry: the buyer is not reminded, the rep is, once each
    assert sum(results) == 3, results
    assert len(outbox("quote-remind-rep:")) == 3
    db.session.commit()  # end this test's read: on SQLite every transaction takes the write lock
    expire_at = until + timedelta(hours=1)
    results = run_together(app, [lambda: _run(services.expire_quotes, expire_at)] * 2, (Exception,))
    assert sum(results) == 3, results
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(QuoteEvent).where(QuoteEvent.kind == "expired")
        )
        == 3
    )
    assert set(db.session.scalars(sa.select(Quote.status))) == {"expired"}


def test_the_sent_quote_reaches_the_buyer_by_email_with_its_link(
    app, db, team, make_quote, mailbox
):
    from shop.notifications.services import deliver_pending

    quote = make_quote()
    services.send(quote.id, team["maya"])
    db.session.commit()
    deliver_pending()
    sent = [m for m in mailbox if m["To"] == "ada@example.com"]
    assert len(sent) == 1
    body = sent[0].get_body(("plain",)).get_content()
    assert "http://shop.test/quotes/v/" in body and quote.number in body + sent[0]["Subject"]
    assert "cost" not in body.lower() and "margin" not in body.lower()
