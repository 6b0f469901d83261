"""Model helpers shared by every domain: UTC timestamps, money columns, SQLite safety."""

import os
import weakref
from contextlib import contextmanager
from contextvars import ContextVar
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
        # Reading only: a deferred BEGIN, which takes no write lock (readers of a WAL database
        # do not wait for anyone, nor anyone for them).
        conn.exec_driver_sql("BEGIN" if _reading_only.get() else "BEGIN IMMEDIATE")


class WriteWhileReadingOnly(RuntimeError):
    """A statement that writes, run while `reading_only` is in force: a bug in the caller."""


_reading_only: ContextVar[bool] = ContextVar("reading_only", default=False)


@contextmanager
def reading_only():
    """Run a block that only reads (a page that shows data and changes none).

    Its transactions begin deferred on SQLite, so that it does not queue for the write lock
    behind every other request, nor make them queue behind it. What it reads is then not
    locked against writers, so it must decide no write: any statement that writes, on either
    database, raises `WriteWhileReadingOnly`.
    """
    token = _reading_only.set(True)
    try:
        yield
    finally:
        _reading_only.reset(token)


# Statement openings that write nothing: a read, or the BEGIN above (IMMEDIATE or deferred).
_READS = ("SELECT", "BEGIN ", "BEGIN")


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_writes(conn, cursor, statement, parameters, context, executemany):
    """While `reading_only` is in force, anything but a plain SELECT (or the BEGIN above)."""
    if _reading_only.get() and statement.lstrip()[:6].upper() not in _READS:
        raise WriteWhileReadingOnly(statement.split(None, 1)[0])


# The engines of this process's apps. A child forked with an app already loaded (a prefork
# server's `--preload`, a job runner) must neither use nor close its parent's connections:
# SQLAlchemy's documented way is `engine.dispose(close=False)` in the child, which gives it
# pools of its own and leaves the parent's connections to the parent.
_engines: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def fresh_pools_after_fork(engine: Engine) -> None:
    """Give `engine` a new, empty pool in any child this process forks."""
    _engines.add(engine)


def _dispose_inherited_pools() -> None:
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_inherited_pools)


def include_object(obj, name, type_, reflected, compare_to, dialect: str | None = None) -> bool:
    """For schema comparison (Alembic autogenerate, the migration test): leave out an object
    declared for another database only, like PostgreSQL's trigram index on SQLite. Such an
    object says so in its `info` (`{"only_on": "postgresql"}`), beside its `ddl_if`."""
    only_on = _only_on(obj) or _only_on(compare_to)
    return only_on is None or dialect is None or only_on == dialect


def _only_on(obj) -> str | None:
    info = getattr(obj, "info", None) if obj is not None else None
    return info.get("only_on") if info else None
