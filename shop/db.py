"""Model helpers shared by every domain: UTC timestamps, money columns, SQLite safety."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use shop.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def money_column(nullable: bool = False, **kw) -> Mapped[int]:
    """An amount in integer minor units (cents); never a float."""
    return mapped_column(sa.BigInteger, nullable=nullable, **kw)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


def lock_row(model, ident):
    """The row with this id, locked for the transaction and read fresh (None if absent).

    FOR NO KEY UPDATE: we change columns, never keys, so the lock does not clash with the KEY
    SHARE locks that inserting child rows (lines, events, reservations) take on the parent.
    """
    from shop.extensions import db

    return db.session.scalar(
        sa.select(model)
        .where(model.id == ident)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def is_sqlite(engine_or_url) -> bool:
    url = getattr(engine_or_url, "url", engine_or_url)
    return str(url).startswith("sqlite")


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    """Let SQLAlchemy, not pysqlite, open transactions, and wait for a lock instead of failing."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    """BEGIN IMMEDIATE takes the write lock up front, so two writers cannot both read stale stock.

    SQLite ignores SELECT ... FOR UPDATE; without this, two checkouts could read the same stock
    level and both decrement it (see shared/TESTING.md).
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def include_object(obj, name, type_, reflected, compare_to, dialect: str | None = None) -> bool:
    """For schema comparison (Alembic autogenerate, the migration test): leave out an object
    declared for another database only, like PostgreSQL's trigram index on SQLite."""
    condition = getattr(obj, "_ddl_if", None) or getattr(compare_to, "_ddl_if", None)
    if condition is None or condition.dialect is None or dialect is None:
        return True
    return condition.dialect == dialect
