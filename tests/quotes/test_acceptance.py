"""A buyer accepts exactly the version they read: the accept form carries its number and total;
a newer version (or another total) accepts nothing, and the buyer is shown the new one. Staff
see what was accepted, by whom, how, wherever the acceptance evidence is shown."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from shop.quotes import closing, services
from shop.quotes.models import Quote, QuoteEvent, QuoteVersion
from shop.timefmt import when
from tests.conftest import post_form
from tests.quotes.conftest import terms


@pytest.fixture
def aura(sailboats, make_product):
    """An Aura 38 at $303,300."""
    return make_product(sailboats, name="Aura 38", price_cents=303_300_00, stock=2)


@pytest.fixture
def offered(db, team, aura):
    """Version 1 sent to the buyer: one Aura 38 with 5 % off, $288,135."""
    maya, variant = team["maya"], aura.variants[0]
    quote = services.create_quote(maya, buyer_id=team["buyer"].id)
    services.save_version(
        quote.id, maya, terms(variant.id, discount_kind="percent", discount_value=Decimal(5))
    )
    services.send(quote.id, maya)
    db.session.commit()
    return quote


def revise_and_send(db, team, quote, aura):
    """Maya takes the discount off and sends version 2: $303,300."""
    services.save_version(quote.id, team["maya"], terms(aura.variants[0].id))
    services.send(quote.id, team["maya"])
    db.session.commit()


def link(quote) -> str:
    return f"/quotes/v/{services.quote_link_token(quote)}"


def what_the_form_carries(html: str) -> dict:
    return dict(re.findall(r'name="(version|total_cents)" value="([^"]*)"', html))


def accept(client, quote, seen: dict, **kw):
    data = {"typed_name": "Ada Buyer", "accept_terms": "y", **seen}
    return post_form(client, link(quote) + "/accept", data, **kw)


def versions(db, quote) -> list[QuoteVersion]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(QuoteVersion)
            .where(QuoteVersion.quote_id == quote.id)
            .order_by(QuoteVersion.number)
        )
    )


def accepted_events(db) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(QuoteEvent).where(QuoteEvent.kind == "accepted")
    )


def test_a_tab_left_open_on_version_1_accepts_nothing_and_shows_version_2(
    client, db, team, aura, offered
):
    tab = client.get(link(offered)).get_data(as_text=True)  # the buyer reads version 1
    seen = what_the_form_carries(tab)
    assert seen == {"version": "1", "total_cents": "28813500"}
    revise_and_send(db, team, offered, aura)  # meanwhile the rep sends version 2

    r = accept(client, offered, seen)  # accept, from the tab still showing version 1

    assert r.status_code == 303 and r.headers["Location"].endswith(link(offered) + "?version=2")
    assert db.session.get(Quote, offered.id).status == "sent"
    assert [v.accepted_at for v in versions(db, offered)] == [None, None]
    assert accepted_events(db) == 0
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert (
        "Nothing was accepted: you were reading version 1 ($288,135.00), and version 2 has "
        "replaced it, at $303,300.00." in page
    )
    assert 'data-testid="quote-total">$303,300.00<' in page
    now_seen = what_the_form_carries(page)
    assert now_seen == {"version": "2", "total_cents": "30330000"}

    r = accept(client, offered, now_seen)  # having read version 2, the buyer accepts it
    assert r.headers["Location"].endswith(link(offered) + "/pay")
    first, second = versions(db, offered)
    assert first.accepted_at is None and second.accepted_at is not None
    assert second.accepted_name == "Ada Buyer"


def test_a_total_other_than_the_versions_accepts_nothing(client, db, offered):
    r = accept(client, offered, {"version": "1", "total_cents": "27238000"})
    assert r.headers["Location"].endswith(link(offered) + "?version=1")
    assert "Nothing was accepted: the total you saw ($272,380.00)" in client.get(
        r.headers["Location"]
    ).get_data(as_text=True)
    assert versions(db, offered)[0].accepted_at is None and accepted_events(db) == 0


@pytest.mark.parametrize(
    "seen",
    [
        {},
        {"version": "1"},
        {"total_cents": "28813500"},
        {"version": "0", "total_cents": "28813500"},
        {"version": "1e26", "total_cents": "28813500"},
        {"version": str(2**63), "total_cents": "28813500"},
        {"version": "1", "total_cents": "-5"},
        {"version": "1", "total_cents": "1e26"},
    ],
)
def test_a_form_without_a_plain_version_and_total_accepts_nothing(client, db, offered, seen):
    r = accept(client, offered, seen)
    assert r.status_code == 303 and r.headers["Location"].endswith(link(offered))
    assert "This page is out of date" in client.get(link(offered)).get_data(as_text=True)
    assert versions(db, offered)[0].accepted_at is None


def test_the_service_refuses_a_replaced_version(db, team, aura, offered):
    revise_and_send(db, team, offered, aura)
    evidence = closing.Evidence("Ada Buyer", True, "203.0.113.9", "Firefox")
    with pytest.raises(closing.VersionChanged) as caught:
        closing.accept(offered.id, 1, evidence, total_cents=288_135_00)
    assert caught.value.current == 2
    db.session.rollback()
    assert all(v.accepted_at is None for v in versions(db, offered))


def test_staff_see_the_name_version_total_terms_time_address_and_browser(
    app, client, db, team, offered, login
):
    seen = what_the_form_carries(client.get(link(offered)).get_data(as_text=True))
    accept(
        client,
        offered,
        seen,
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
        headers={"User-Agent": "Firefox/128 on the buyer's laptop"},
    )
    order = closing.place_order(
        offered.id,
        delivery=closing.Delivery("1 Harbor Way", "", "Seattle", "WA", "98101", "555"),
        payment_method="bank_transfer",
        pay="full",
        ip_address="198.51.100.7",  # paying happens later, maybe from elsewhere
        user_agent="A phone",
    )
    db.session.commit()
    version = versions(db, offered)[0]
    login(team["boss"])

    def acceptance_of(html: str) -> str:
        start = html.index('data-testid="acceptance-facts"')
        return html[start : html.index("</dl>", start)]

    page = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    facts = acceptance_of(page)
    for shown in (
        f"{offered.number}, version 1",
        "$288,135.00 before tax",
        "Ada Buyer",
        app.config["TERMS_VERSION"],
        # On the reader's clock, to the second, its zone named (a boss who chose none: the store's).
        when(version.accepted_at, team["boss"].timezone, seconds=True),
        "203.0.113.9",
        "Firefox/128 on the buyer&#39;s laptop",
    ):
        assert shown in facts, shown
    assert "198.51.100.7" not in facts and "A phone" not in facts

    order.dispute_status = "open"  # the dispute evidence shows the same record
    db.session.commit()
    page = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    evidence = page[page.index('data-testid="evidence-acceptance"') :]
    assert acceptance_of(evidence) == facts
