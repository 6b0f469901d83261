"""The quote lifecycle table, move by move: every move in it works and writes an event, every
other move is refused and writes nothing, and the pages offer the moves the table has."""

from itertools import product

import pytest
import sqlalchemy as sa

from shop.audit.models import AuditEntry
from shop.errors import InvalidTransition
from shop.quotes import services
from shop.quotes.models import QUOTE_STATUSES, Quote, QuoteEvent
from shop.quotes.states import MOVES, QuoteStatus, allowed, allowed_moves, transition

S = QuoteStatus

# The rules as the business wrote them, kept apart from the code's table on purpose: a change to
# one without the other fails here.
EXPECTED = {
    (S.DRAFT, S.PENDING_APPROVAL),  # beyond the rep's authority: a manager decides
    (S.DRAFT, S.SENT),
    (S.DRAFT, S.WITHDRAWN),
    (S.PENDING_APPROVAL, S.APPROVED),
    (S.PENDING_APPROVAL, S.DRAFT),  # rejected, or edited while waiting
    (S.PENDING_APPROVAL, S.WITHDRAWN),
    (S.APPROVED, S.SENT),
    (S.APPROVED, S.DRAFT),  # edited after approval: the figures changed
    (S.APPROVED, S.WITHDRAWN),
    (S.SENT, S.CHANGES_REQUESTED),  # the buyer wrote back
    (S.SENT, S.DRAFT),  # a new version
    (S.SENT, S.ACCEPTED),
    (S.SENT, S.DECLINED),
    (S.SENT, S.EXPIRED),
    (S.SENT, S.WITHDRAWN),
    (S.CHANGES_REQUESTED, S.DRAFT),
    (S.CHANGES_REQUESTED, S.DECLINED),
    (S.CHANGES_REQUESTED, S.EXPIRED),
    (S.CHANGES_REQUESTED, S.WITHDRAWN),
    (S.ACCEPTED, S.ORDERED),
}
PAIRS = list(product(QuoteStatus, QuoteStatus))


def test_the_enum_is_what_the_database_accepts():
    assert {s.value for s in QuoteStatus} == set(QUOTE_STATUSES)


@pytest.mark.parametrize(("current", "target"), PAIRS)
def test_allowed_is_the_table(current, target):
    assert allowed(current.value, target.value) is ((current, target) in EXPECTED)
    assert (target in MOVES[current]) is ((current, target) in EXPECTED)


def test_unknown_statuses_have_no_moves():
    assert not allowed("draft", "lost") and not allowed("lost", "draft")


def _events(db, quote):
    return db.session.scalar(
        sa.select(sa.func.count(QuoteEvent.id)).where(QuoteEvent.quote_id == quote.id)
    )


def _audits(db):
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))


@pytest.mark.both_dbs
def test_every_move_in_the_table_moves_and_records_one_event(db, team, make_quote):
    quote = make_quote()
    rep = team["maya"]
    for current, target in sorted(EXPECTED):
        quote.status = current.value
        db.session.flush()
        events, audits = _events(db, quote), _audits(db)
        event = transition(quote, target, actor=rep, note=f"{current} to {target}")
        db.session.commit()
        assert db.session.get(Quote, quote.id).status == target.value
        assert _events(db, quote) == events + 1
        assert (event.kind, event.note) == (target.value, f"{current} to {target}")
        assert event.actor_id == rep.id and "Maya Okafor" in event.actor_label
        entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert _audits(db) == audits + 1  # a staff member's move is audited too
        assert entry.before == {"status": current.value}
        assert entry.after == {"status": target.value}


@pytest.mark.both_dbs
def test_every_move_not_in_the_table_is_refused_and_writes_nothing(db, team, make_quote):
    quote = make_quote()
    refused = [(c, t) for c, t in PAIRS if (c, t) not in EXPECTED]
    assert refused
    for current, target in refused:
        quote.status = current.value
        db.session.commit()
        events, audits = _events(db, quote), _audits(db)
        with pytest.raises(InvalidTransition, match=r"A quote that is .* cannot become"):
            transition(quote, target, actor=team["maya"])
        db.session.rollback()
        assert db.session.get(Quote, quote.id).status == current.value
        assert (_events(db, quote), _audits(db)) == (events, audits)


def test_a_job_move_is_on_the_history_as_the_system(db, make_quote):
    quote = make_quote()
    quote.status = S.SENT.value
    event = transition(quote, S.EXPIRED, note="Validity ended.")
    db.session.commit()
    assert (event.kind, event.actor_id, event.actor_label) == ("expired", None, "system")


# --- the pages offer the moves of the table ----------------------------------------------------


@pytest.mark.parametrize("status", list(QuoteStatus))
def test_the_staff_page_offers_only_the_moves_the_table_has(
    client, db, login, team, make_quote, status
):
    quote = make_quote()
    quote.status = status.value
    db.session.commit()
    login(team["maya"])
    html = client.get(f"/staff/quotes/{quote.id}").get_data(as_text=True)
    moves = allowed_moves(quote)
    assert ("Withdraw the quote" in html) is (S.WITHDRAWN in moves)
    assert ("Send to ada@example.com" in html) is (S.SENT in moves)
    assert ("Send message" in html) is (status in services.EDITABLE)


@pytest.mark.parametrize("status", [S.SENT, S.CHANGES_REQUESTED])
def test_the_buyer_is_offered_accept_only_where_the_table_allows_it(
    client, db, team, make_quote, status
):
    quote = make_quote()
    services.send(quote.id, team["maya"])
    db.session.get(Quote, quote.id).status = status.value
    db.session.commit()
    token = services.quote_link_token(quote)
    html = client.get(f"/quotes/v/{token}").get_data(as_text=True)
    assert ("Accept and pay" in html) is (S.ACCEPTED in MOVES[status])
    assert ("Decline the quote" in html) is (S.DECLINED in MOVES[status])
    if status == S.CHANGES_REQUESTED:
        assert "You asked for changes" in html
