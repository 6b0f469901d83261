# ruff: noqa: F811  (pytest fixtures imported from other test modules are redefined as arguments)
"""The seven causes of the 500s the hostile crawl found (issue 23, point 10), one test each,
plus the values quotes took that they should not have, and the cap on request bodies."""

import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from shop.delivery import services as delivery
from shop.delivery.models import DeliveryAppointment
from shop.payments.models import TransferReceipt
from shop.quotes import services as quotes
from shop.quotes.models import QuoteLine
from tests.checkout.conftest import checkout_to_review, piano, place  # noqa: F401
from tests.conftest import csrf_token, post_form
from tests.operations.conftest import staff, transfer_order  # noqa: F401
from tests.operations.test_delivery import crew, make_crew, make_order  # noqa: F401
from tests.quotes.conftest import make_quote  # noqa: F401
from tests.quotes.test_staff_pages import builder_data

HUGE = str(2**63)


@pytest.fixture
def app_config(app_config, stripe_peer):
    """The card steps talk to the local Stripe peer (never to Stripe itself)."""
    stripe_peer.reset()
    for key, value in stripe_peer.settings().items():
        setattr(app_config, key, value)
    return app_config


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- 1. a delivery window in year 9999, on the buyer's link (no login) ----------------------


@pytest.mark.parametrize(
    "window",
    ["9999-12-31T23:30:00-05:00", "9999-12-31T23:30:00+00:00", "0001-01-01T00:00:00+01:00"],
)
def test_a_delivery_window_in_year_9999_is_refused_calmly(client, db, crew, make_order, window):
    order = make_order()
    url = f"/delivery/{delivery.order_token(order)}"
    response = post_form(client, url, {"window": window}, csrf_page=url)
    assert response.status_code == 409
    assert "Choose a delivery window from the list." in response.get_data(as_text=True)
    assert count(db, DeliveryAppointment) == 0


# --- 2. a card step posted with a JSON body that is not an object --------------------------


@pytest.fixture
def pay_path(client, piano, checkout_to_review):
    checkout_to_review(piano.variants[0].id, quantity=1)
    return place(client).headers["Location"]


@pytest.mark.parametrize(
    ("step", "body"),
    [
        ("card", "a string"),
        ("card", [1, 2]),
        ("card", 5),
        ("card", None),
        ("setup", [1]),
        ("complete", "x"),
    ],
)
def test_a_card_step_with_a_json_body_that_is_not_an_object_is_a_400(client, pay_path, step, body):
    response = client.post(
        f"{pay_path}/{step}",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": "The request body must be a JSON object."}


def test_a_card_step_with_broken_json_is_a_400(client, pay_path):
    response = client.post(
        f"{pay_path}/card",
        data=b'{"payment_method": ',
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": "The request body is not valid JSON."}


def test_a_form_posted_as_a_json_list_is_a_400_not_a_crash(client):
    """Flask-WTF reads a JSON body as the form's data: a list used to end in an exception."""
    response = client.post(
        "/account/login",
        data="[1, 2]",
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 400


# --- 3. integers beyond 64 bits in a filter -------------------------------------------------


@pytest.mark.parametrize("value", [HUGE, "1" * 40])
def test_a_rep_filter_beyond_64_bits_matches_nothing(client, login, staff, value):
    login(staff["manager"])
    response = client.get(f"/staff/consultations?rep={value}")
    assert response.status_code == 200


@pytest.mark.parametrize("dates", ["from=0001-01-01", "to=9999-12-31&from=9999-12-30"])
def test_order_console_dates_at_the_ends_of_the_calendar_are_ignored(
    client, db, login, staff, dates
):
    """East of UTC, midnight of January 1st of year 1 is before the first instant Python has."""
    staff["manager"].timezone = "Asia/Tokyo"
    db.session.commit()
    login(staff["manager"])
    response = client.get(f"/staff/orders?{dates}")
    assert response.status_code == 200
    assert "is not a date" in response.get_data(as_text=True)


# --- 4. a transfer amount beyond 64 bits ----------------------------------------------------


@pytest.mark.parametrize("amount", ["1e26", HUGE, "1000000.00"])
def test_a_transfer_amount_above_the_largest_payment_is_a_form_error(
    client,
    db,
    login,
    staff,
    transfer_order,
    amount,
):
    payment_reference = db.session.scalar(
        sa.text("SELECT bank_reference FROM payments WHERE method = 'bank_transfer'")
    )
    login(staff["support"])
    data = {
        "reference": payment_reference,
        "amount": amount,
        "received_on": date.today().isoformat(),
        "payer": "Ada Lovelace",
        "request_key": f"key-{amount}",
    }
    response = post_form(client, "/staff/transfers", data)
    assert response.status_code == 400
    assert "Enter an amount of at most $999,999.99." in response.get_data(as_text=True)
    assert count(db, TransferReceipt) == 0


# --- 5 and 6. quote quantities and prices beyond 64 bits, or beyond Decimal's precision ------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lines-0-quantity", HUGE, "Enter a quantity of at most 999."),
        ("lines-0-quantity", "1e25", "Enter a whole number."),
        ("lines-0-quantity", "10000000000000", "Enter a quantity of at most 999."),
        ("lines-0-variant_id", HUGE, ""),  # matches no variant: the services say so
        ("new_quantity", HUGE, "Enter a quantity of at most 999."),
        ("new_quantity", "1e25", "Enter a whole number."),
        ("new_price", "1e26", "Enter an amount of at most $999,999.99."),
        ("new_cost", "1e26", "Enter an amount of at most $999,999.99."),
        ("new_price", "-1e26", "Enter an amount of at most $999,999.99."),
        ("discount_value", "1e25", "Enter a discount of at most 999,999.99."),
        ("lines-0-discount_value", "1e25", "Enter a discount of at most 999,999.99."),
        ("valid_until", "9999-12-31", "Enter a date no later than"),
    ],
)
def test_quote_figures_out_of_range_are_form_errors_and_nothing_is_written(
    client, login, db, team, make_quote, field, value, message
):
    quote = make_quote()
    login(team["maya"])
    url = f"/staff/quotes/{quote.id}"
    data = builder_data(quote.id, **{field: value})
    if field.startswith("new_"):
        data.setdefault("new_description", "Commissioning")
        data["new_description"] = "Commissioning"
    if "discount_value" in field:
        data[field.replace("discount_value", "discount_kind")] = "amount"
    before = count(db, QuoteLine)
    response = post_form(client, url, data, csrf_page=url)
    assert response.status_code < 500
    page = response.get_data(as_text=True)
    assert message in page, re.findall(r'class="field-error"[^>]*>([^<]*)', page)
    assert count(db, QuoteLine) == before
    version = quotes.current(quotes.get_quote(quote.id, team["maya"]))
    assert version.lines[0].quantity == 1 and version.valid_until.year < 9999


def test_adding_a_catalog_line_with_a_huge_quantity_is_refused(
    client, login, db, team, make_quote, variant
):
    quote = make_quote()
    login(team["maya"])
    url = f"/staff/quotes/{quote.id}"
    before = count(db, QuoteLine)
    data = {"variant_id": variant.id, "quantity": "10000000000000"}
    response = post_form(client, f"{url}/lines", data, csrf_page=url, follow_redirects=True)
    assert response.status_code == 200
    assert count(db, QuoteLine) == before


# --- the cap on request bodies --------------------------------------------------------------


def test_a_60_mb_post_is_refused_with_413_before_it_is_read(client):
    response = client.post(
        "/account/login",
        data=b"x" * (60 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "larger than we accept" in response.get_data(as_text=True)


def test_the_body_cap_leaves_room_for_every_attachment_allowed(app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit > app.config["UPLOAD_MAX_BYTES"] * app.config["UPLOAD_MAX_FILES"]
    assert limit < 60 * 1024 * 1024


def test_the_body_cap_can_be_set(monkeypatch):
    from shop.config import TestConfig

    monkeypatch.setenv("MAX_CONTENT_LENGTH", "1048576")
    assert TestConfig().MAX_CONTENT_LENGTH == 1_048_576
