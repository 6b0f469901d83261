"""The quote helpers every part of quotes shares (the rep's desk in services, the buyer's side in
buyer, closing a deal in closing): numbers, the signed link, the stock holder, locking, loading a
version. One copy here; each of those modules had written its own."""

import secrets

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from shop import links
from shop.db import lock_row
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.quotes.models import Quote, QuoteVersion

# --- numbers -------------------------------------------------------------------------------

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_number() -> str:
    """ "Q-7K2M9P": short enough to read on the phone, no 0/O or 1/I/L to confuse."""
    return "Q-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def insert(quote: Quote, version: QuoteVersion | None = None) -> None:
    """Write the quote (and a version not yet attached to it) under a fresh number; the rare
    clash of random numbers just draws again."""
    for _ in range(5):
        quote.number = new_number()
        try:
            with db.session.begin_nested():
                db.session.add(quote)
                db.session.flush()
                if version is not None:
                    version.quote_id = quote.id
                    db.session.add(version)
                    db.session.flush()
        except IntegrityError:
            continue
        return
    raise DomainError("Could not number the quote; please try again.")


# --- the buyer's link ----------------------------------------------------------------------

PURPOSE = "quote-link"  # shop.links


def quote_link_token(quote: Quote) -> str:
    """The secret part of the buyer's link to their quote (signed, unguessable)."""
    return links.sign(PURPOSE, quote.number)


def quote_for_token(token: str) -> Quote:
    """The quote a link names, or NotFound for a forged or damaged link."""
    try:
        number = links.unsign(PURPOSE, token)
    except links.BadLink:
        raise NotFound("No such quote.") from None
    quote = db.session.scalar(sa.select(Quote).where(Quote.number == number))
    if quote is None:
        raise NotFound("No such quote.")
    return quote


def holder(quote: Quote) -> str:
    """Whose the held stock is (shop.catalog.stock)."""
    return f"quote:{quote.id}"


# --- rows ----------------------------------------------------------------------------------


def lock_quote(quote_id: int) -> Quote:
    quote = lock_row(Quote, quote_id)
    if quote is None:
        raise NotFound("No such quote.")
    return quote


def current(quote: Quote) -> QuoteVersion:
    """The current version, out of the quote's loaded versions."""
    return next(v for v in quote.versions if v.number == quote.current_version)


def load_version(quote: Quote, number: int | None = None) -> QuoteVersion:
    """A version (the current one unless `number`) with its lines, fresh from the database."""
    version = db.session.scalar(
        sa.select(QuoteVersion)
        .where(
            QuoteVersion.quote_id == quote.id,
            QuoteVersion.number == (number or quote.current_version),
        )
        .options(selectinload(QuoteVersion.lines))
        .execution_options(populate_existing=True)
    )
    if version is None:
        raise DomainError("That version of the quote does not exist.")
    return version
