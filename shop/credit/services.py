"""Store credit rules: the balance, grants, spends at checkout and restores, exactly once.

Every movement locks the buyer's balance row first (PostgreSQL: FOR NO KEY UPDATE; SQLite:
the write lock every transaction takes), then writes one ledger row with the balance after it.
Two checkouts spending the same credit at once take turns, and the second sees what the first
left. A spend and a restore are each unique per order, so a retried request finds its row
instead of writing another. Functions take plain values and flush; the caller commits.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop.credit.models import CreditAccount, StoreCredit
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db


def balance(user_id: int | None) -> int:
    """The buyer's store credit now, in cents (0 without an account or a balance row)."""
    if user_id is None:
        return 0
    value = db.session.scalar(
        sa.select(CreditAccount.balance_cents).where(CreditAccount.user_id == user_id)
    )
    return int(value or 0)


def history(user_id: int, limit: int = 200) -> list[StoreCredit]:
    """The buyer's ledger, newest first."""
    return list(
        db.session.scalars(
            sa.select(StoreCredit)
            .where(StoreCredit.buyer_id == user_id)
            .order_by(StoreCredit.id.desc())
            .limit(limit)
        )
    )


def _locked(user_id: int) -> CreditAccount | None:
    return db.session.scalar(
        sa.select(CreditAccount)
        .where(CreditAccount.user_id == user_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def lock_account(user_id: int, create: bool = False) -> CreditAccount | None:
    """The buyer's balance row, locked for the transaction; made on first use when `create`.

    Two first grants at once cannot both make it: the loser's insert fails inside a savepoint
    and it locks the winner's row instead.
    """
    account = _locked(user_id)
    if account is not None or not create:
        return account
    try:
        with db.session.begin_nested():
            db.session.add(CreditAccount(user_id=user_id, balance_cents=0, currency="USD"))
    except IntegrityError:
        pass
    return _locked(user_id)


def _move(account: CreditAccount, amount_cents: int, **row) -> StoreCredit:
    """Change the locked balance by `amount_cents` and write the ledger row that says why."""
    after = account.balance_cents + amount_cents
    if after < 0:
        raise DomainError("There is not enough store credit for this.")
    account.balance_cents = after
    account.updated_at = utcnow()
    entry = StoreCredit(
        buyer_id=account.user_id,
        amount_cents=amount_cents,
        balance_after_cents=after,
        currency=account.currency,
        created_at=utcnow(),
        **row,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def grant(
    user_id: int,
    email: str,
    amount_cents: int,
    reason: str,
    *,
    currency: str = "USD",
    return_id: int | None = None,
    actor_id: int | None = None,
) -> StoreCredit:
    """Add credit to the buyer's balance (the caller checked who may give it and how much)."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise DomainError("Enter an amount of store credit above zero.", field="amount")
    account = lock_account(user_id, create=True)
    if account.currency != currency:
        raise DomainError(f"Store credit is kept in {account.currency}.")
    return _move(
        account,
        amount_cents,
        kind="grant",
        email=email[:254],
        reason=reason[:300],
        return_id=return_id,
        created_by_id=actor_id,
    )


def spent_on(order_id: int) -> StoreCredit | None:
    return db.session.scalar(
        sa.select(StoreCredit).where(StoreCredit.order_id == order_id, StoreCredit.kind == "spend")
    )


def spend(
    user_id: int, order_id: int, amount_cents: int, email: str, reason: str, currency: str = "USD"
) -> StoreCredit:
    """Take `amount_cents` of the buyer's credit for an order, once (a retry gets the first
    row back). The caller locked the balance with `lock_account` and chose the amount from it."""
    done = spent_on(order_id)
    if done is not None:
        return done
    account = lock_account(user_id)
    if account is None or amount_cents <= 0 or amount_cents > account.balance_cents:
        raise DomainError("There is not enough store credit for this.")
    if account.currency != currency:
        raise DomainError(f"Store credit is kept in {account.currency}.")
    return _move(
        account, -amount_cents, kind="spend", order_id=order_id, email=email, reason=reason[:300]
    )


def restore(order_id: int, reason: str) -> StoreCredit | None:
    """Give back what an order took from the buyer's credit, once (None when it took none or
    it was already given back)."""
    spent = spent_on(order_id)
    if spent is None or spent.buyer_id is None:
        return None
    account = lock_account(spent.buyer_id, create=True)
    done = db.session.scalar(
        sa.select(StoreCredit).where(
            StoreCredit.order_id == order_id, StoreCredit.kind == "restore"
        )
    )
    if done is not None:
        return None
    return _move(
        account,
        -spent.amount_cents,
        kind="restore",
        order_id=order_id,
        email=spent.email,
        reason=reason[:300],
    )
