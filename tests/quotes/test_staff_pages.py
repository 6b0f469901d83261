"""The staff quote pages: scoping, the builder, the approval queue, a fixed query count."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.auth.roles import Role
from shop.db import utcnow
from shop.quotes import services
from shop.quotes.models import Quote, QuoteLine, QuoteVersion
from shop.quotes.services import LineInput
from tests.conftest import PASSWORD, post_form
from tests.quotes.conftest import terms


def builder_data(quote_id, **overrides):
    """The builder form as the page fills it for the current version."""
    version = services.current(services.get_quote(quote_id, _Manager()))
    data = {
        "discount_kind": version.discount_kind,
        "discount_value": str(version.discount_value),
        "deposit_pct": str(version.deposit_pct),
        "valid_until": (utcnow() + timedelta(days=10)).date().isoformat(),
        "delivery_terms": "",
        "note_to_buyer": "",
        "new_description": "",
        "new_price": "",
        "new_cost": "",
        "new_quantity": "1",
    }
    for i, line in enumerate(version.lines):
        data.update(
            {
                f"lines-{i}-kind": line.kind,
                f"lines-{i}-variant_id": str(line.variant_id or ""),
                f"lines-{i}-description": line.description,
                f"lines-{i}-unit_price": "0",
                f"lines-{i}-unit_cost": "0",
                f"lines-{i}-quantity": str(line.quantity),
                f"lines-{i}-discount_kind": line.discount_kind,
                f"lines-{i}-discount_value": str(line.discount_value),
            }
        )
    data.update(overrides)
    return data


class _Manager:
    role = Role.MANAGER.value
    id = 0


def client_for(app, user):
    """A browser of its own, logged in as `user`."""
    browser = app.test_client()
    response = post_form(browser, "/account/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def test_reps_see_their_own_managers_all_buyers_and_support_nothing(
    app, db, team, make_quote, make_user
):
    quote = make_quote()
    ravi = client_for(app, team["ravi"])
    assert ravi.get(f"/staff/quotes/{quote.id}").status_code == 404
    assert quote.number not in ravi.get("/staff/quotes").get_data(as_text=True)
    maya = client_for(app, team["maya"])
    page = maya.get(f"/staff/quotes/{quote.id}").get_data(as_text=True)
    assert quote.number in page and "Margin" in page
    assert quote.number in maya.get("/staff/quotes").get_data(as_text=True)
    assert maya.get("/staff/quotes/approvals").status_code == 403
    boss = client_for(app, team["boss"])
    assert boss.get(f"/staff/quotes/{quote.id}").status_code == 200
    assert quote.number in boss.get("/staff/quotes?status=draft").get_data(as_text=True)
    assert quote.number not in boss.get("/staff/quotes?status=sent").get_data(as_text=True)
    buyer = client_for(app, team["buyer"])
    assert buyer.get(f"/staff/quotes/{quote.id}").status_code == 403
    assert buyer.get("/staff/quotes").status_code == 403
    support = client_for(app, make_user(Role.SUPPORT))
    assert support.get("/staff/quotes").status_code == 403


def test_the_builder_saves_lines_discounts_and_a_trade_in(client, login, db, team, make_quote):
    quote = make_quote()
    login(team["maya"])
    url = f"/staff/quotes/{quote.id}"
    data = builder_data(
        quote.id,
        **{
            "lines-0-quantity": "2",
            "lines-0-discount_kind": "percent",
            "lines-0-discount_value": "5",
            "lines-0-unit_price": "1.00",  # a catalog price cannot be typed over
            "new_description": "Trade-in: Catalina 30",
            "new_price": "-20,000.00",
            "deposit_pct": "30",
            "note_to_buyer": "As discussed.",
        },
    )
    response = post_form(client, url, data, csrf_page=url)
    assert response.status_code == 303
    version = services.current(services.get_quote(quote.id, team["maya"]))
    assert [(li.kind, li.unit_price_cents, li.quantity) for li in version.lines] == [
        ("catalog", 100_000_00, 2),
        ("trade_in", -20_000_00, 1),  # a credit is a trade-in, whatever it was posted as
    ]
    assert version.total_cents == 190_000_00 - 20_000_00
    assert version.deposit_cents == 51_000_00
    page = client.get(url).get_data(as_text=True)
    assert "$170,000.00" in page and "Trade-in credit" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lines-0-discount_value", "150", "between 0 and 100 percent"),
        ("lines-0-quantity", "-1", "the quantity must be a whole number"),
        ("deposit_pct", "120", "deposit must be between 0 and 100"),
        ("discount_value", "-3", "between 0 and 100 percent"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    client, login, db, team, make_quote, field, value, message
):
    quote = make_quote()
    login(team["maya"])
    url = f"/staff/quotes/{quote.id}"
    data = builder_data(quote.id, **{field: value})
    data.update({"lines-0-discount_kind": "percent", "discount_kind": "percent"})
    if field != "lines-0-discount_value":
        data["lines-0-discount_value"] = "1"
    if field != "discount_value":
        data["discount_value"] = "1"
    before = db.session.scalar(sa.select(sa.func.count()).select_from(QuoteLine))
    response = post_form(client, url, data, csrf_page=url)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuoteLine)) == before
    version = services.current(services.get_quote(quote.id, team["maya"]))
    assert version.discount_kind == "none"


def test_new_quotes_from_scratch_a_buyer_and_a_consultation(client, login, db, team, variant):
    from shop.cart.services import add_item, get_or_create_cart

    add_item(get_or_create_cart(user_id=team["buyer"].id), variant.id, 1)
    db.session.commit()
    login(team["maya"])
    buyer_page = client.get(f"/staff/buyers/{team['buyer'].id}").get_data(as_text=True)
    assert "New quote from their cart" in buyer_page
    response = post_form(
        client,
        "/staff/quotes/new",
        {"buyer_id": team["buyer"].id, "from_cart": "1"},
        csrf_page="/staff/quotes",
    )
    assert response.status_code == 303
    response = post_form(
        client,
        "/staff/quotes/new",
        {"name": "Jo", "email": "jo@example.com"},
        csrf_page="/staff/quotes",
    )
    assert response.status_code == 303
    sources = db.session.scalars(sa.select(Quote.source).order_by(Quote.id)).all()
    assert sources == ["cart", "scratch"]


def test_the_approval_queue_shows_why_and_hides_the_authors_buttons(
    client, login, db, team, make_quote
):
    mine = make_quote(author=team["boss"], discount_kind="percent", discount_value=Decimal("20"))
    theirs = make_quote(discount_kind="percent", discount_value=Decimal("15"))
    for quote, author in ((mine, team["boss"]), (theirs, team["maya"])):
        services.submit(quote.id, author)
    db.session.commit()
    login(team["boss"])
    page = client.get("/staff/quotes/approvals").get_data(as_text=True)
    assert "Discount 15.00% is above Maya Okafor&#39;s limit of 10%" in page
    assert page.count('data-testid="approval-row"') == 2
    assert "Yours: another manager decides." in page
    response = post_form(
        client,
        f"/staff/quotes/{mine.id}/approve",
        {"comment": "", "next": "queue"},
        csrf_page="/staff/quotes/approvals",
    )
    assert response.status_code == 303
    db.session.refresh(mine)
    assert mine.status == "pending_approval"
    response = post_form(
        client,
        f"/staff/quotes/{theirs.id}/approve",
        {"comment": "Fine.", "next": "queue"},
        csrf_page="/staff/quotes/approvals",
    )
    assert response.headers["Location"].endswith("/staff/quotes/approvals")
    db.session.refresh(theirs)
    assert theirs.status == "approved"
    login(team["maya"])
    assert client.post(f"/staff/quotes/{theirs.id}/approve").status_code in (400, 403)


def test_the_validity_date_ends_on_the_reps_own_clock_named(client, login, db, team, make_quote):
    """A rep in Los Angeles picks a day: the quote is valid until 23:59 that day on her clock,
    the field says so, and the page shows her the day she chose, never UTC."""
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    pacific = ZoneInfo("America/Los_Angeles")
    maya = team["maya"]
    maya.timezone = "America/Los_Angeles"
    db.session.commit()
    quote = make_quote()
    login(maya)
    url = f"/staff/quotes/{quote.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Valid until (end of day, America/Los Angeles)" in page and "UTC" not in page
    day = (utcnow() + timedelta(days=10)).astimezone(pacific).date()
    data = builder_data(quote.id, valid_until=day.isoformat())
    assert post_form(client, url, data, csrf_page=url).status_code == 303
    version = services.current(services.get_quote(quote.id, maya))
    ends = datetime.combine(day, time(23, 59), pacific)
    assert version.valid_until == ends.astimezone(UTC)  # already the next day in UTC
    page = client.get(url).get_data(as_text=True)
    assert f'value="{day.isoformat()}"' in page and "UTC" not in page


def test_the_builder_keeps_a_fixed_query_count(
    client, login, db, team, make_quote, variant, query_counter
):
    quote = make_quote()
    login(team["maya"])
    url = f"/staff/quotes/{quote.id}"
    client.get(url)
    with query_counter() as small:
        assert client.get(url).status_code == 200
    many = [
        LineInput(kind="custom", description=f"Extra {i}", unit_price_cents=100_00)
        for i in range(12)
    ]
    for _ in range(3):
        services.save_version(quote.id, team["maya"], terms(variant.id, lines=many))
        services.send(quote.id, team["maya"])
        db.session.commit()
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(QuoteVersion.quote_id == quote.id)) == 3
    )
    with query_counter() as big:
        assert client.get(url).status_code == 200
    assert len(big) == len(small)
    with query_counter() as listing:
        assert client.get("/staff/quotes").status_code == 200
    assert len(listing) < 12
