"""Model helpers shared by every domain: UTC timestamps, money columns, SQLite safety."""

import functools
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from shop import held_reads


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
    level and both decrement it (see shared/TESTING.md). A `read` connection (autocommit) opens
    no transaction and takes no lock.
    """
    if conn.dialect.name == "sqlite" and not _autocommit(conn):
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


def session_rows(statement, params: dict | None = None) -> list:
    """Run a Core select (columns, no entities) in the session's transaction, as
    `db.session.execute` would (pending changes flushed first, unless autoflush is off), but
    without the ORM's result machinery, which cost more per row than the row itself: a
    30-line cart reads 60 rows. Its rows, as tuples, read on the driver as `read` reads."""
    from shop.extensions import db

    session = db.session()
    if session.autoflush:
        session.flush()
    return _run_read(session.connection(), statement, params)


def _autocommit(conn) -> bool:
    return conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


def read(statement, params: dict | None = None) -> list:
    """Run a read that needs no transaction of its own: a page's stock, the catalog generation.
    Its rows, as tuples.

    In a request that already has a transaction, on the session (the same snapshot). Otherwise
    on an autocommit connection kept for the rest of the request: a visitor's page that writes
    nothing then pays no BEGIN and no ROLLBACK round trip, and on SQLite takes no write lock.
    What it reads is committed data, so it must not decide a write: writes lock and re-read.
    """
    from flask import g, has_app_context

    from shop.extensions import db

    # A request that has not used the session yet has no transaction: no need to make one.
    if not has_app_context() or (db.session.registry.has() and db.session().in_transaction()):
        return db.session.execute(statement, params).all()
    connection = g.get("_read_connection")
    if connection is None:
        connection = g._read_connection = held_reads.take(_read_engine())
    try:
        return _run_read(connection, statement, params)
    except sa.exc.DBAPIError as exc:
        # A connection the server dropped while it was idle in the pool (a restart, a
        # failover, a killed backend): read once more on a new one. If the database is
        # really away, that fails too, and the buyer gets the calm 503 page.
        if not exc.connection_invalidated:
            raise
        connection.close()
        connection = g._read_connection = _read_engine().connect()
        return _run_read(connection, statement, params)


def _run_read(connection: sa.Connection, statement, params: dict | None) -> list:
    if connection.dialect.name not in ("postgresql", "sqlite"):
        return connection.execute(statement, params).all()
    driver = _DriverRead.of(statement, connection.dialect)
    if driver is None:
        return connection.execute(statement, params).all()
    return driver.run(connection, params or {})


class _DriverRead:
    """A read statement run on the driver's own cursor (psycopg's, sqlite3's), compiled once
    by SQLAlchemy.

    Measured under gunicorn (two workers, PostgreSQL on loopback), SQLAlchemy's execution of
    the product page's one read (its execution context, its result and its events) cost about
    0.2 ms on top of psycopg's: running it here made the page some 15% faster. These reads
    return plain columns, so they need none of it. What SQLAlchemy would do that matters is
    kept: the same SQL, each parameter's own bind processing, the statement events that query
    counters listen to, a dropped connection invalidated (so `read` retries it) and the
    driver's errors raised as SQLAlchemy's (so an outage is the calm 503). A statement this
    cannot run the same way is left to SQLAlchemy.

    On SQLite the same, for the same reason (a product page's read: 15% of the page in
    SQLAlchemy's execution, 10% in SQLite's). Its driver takes the parameters in order, and
    what SQLAlchemy converts on the way back (SQLite has no booleans) is converted here with
    SQLAlchemy's own processors, which on SQLite never depend on the driver's column types.
    """

    def __init__(self, statement, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positions = tuple(compiled.positiontup) if compiled.positional else None
        self.converters = tuple(
            (index, process)
            for index, column in enumerate(statement.selected_columns)
            if (process := column.type.result_processor(dialect, None)) is not None
        )
        # The values written into the statement itself (`id == 1`); the caller gives the rest.
        self.defaults = {
            name: bind.value for bind, name in compiled.bind_names.items() if not bind.required
        }
        self.processors = {
            name: process
            for bind, name in compiled.bind_names.items()
            if (process := bind.type.bind_processor(dialect)) is not None
        }

    @classmethod
    @functools.lru_cache(maxsize=64)  # the reads are statements built once, at import
    def of(cls, statement, dialect) -> "_DriverRead | None":
        return cls(statement, dialect) if cls.fits(statement, dialect) else None

    @staticmethod
    def fits(statement, dialect) -> bool:
        """Parameters that compile to one placeholder each, and on PostgreSQL plain columns
        (nothing for SQLAlchemy to convert on the way back: psycopg's column types could
        choose how)."""
        if not isinstance(statement, sa.Select):
            return False
        if dialect.name != "sqlite" and any(
            c.type.result_processor(dialect, None) is not None for c in statement.selected_columns
        ):
            return False
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.escaped_bind_names:
            return False
        return not any(bind.callable for bind in compiled.bind_names)

    def run(self, connection: sa.Connection, params: dict) -> list:
        values = {**self.defaults, **params}
        for name, process in self.processors.items():
            values[name] = process(values[name])
        if self.positions is not None:  # sqlite3: `?` placeholders, in the statement's order
            values = [values[name] for name in self.positions]
        events = connection.dispatch
        cursor = connection.connection.driver_connection.cursor()
        try:
            events.before_cursor_execute(connection, cursor, self.sql, values, None, False)
            cursor.execute(self.sql, values)
            rows = cursor.fetchall()
            events.after_cursor_execute(connection, cursor, self.sql, values, None, False)
        except connection.dialect.loaded_dbapi.Error as exc:
            lost = connection.dialect.is_disconnect(exc, connection.connection, cursor)
            if lost:
                connection.invalidate(exc)
            raise sa.exc.DBAPIError.instance(
                self.sql,
                values,
                exc,
                connection.dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=connection.dialect,
            ) from exc
        finally:
            cursor.close()
        if self.converters:
            return [self._convert(row) for row in rows]
        return rows

    def _convert(self, row: tuple) -> tuple:
        values = list(row)
        for index, process in self.converters:
            values[index] = process(values[index])
        return tuple(values)


def _read_engine() -> Engine:
    """The engine of `read`'s connections, one per app engine.

    On PostgreSQL a small pool of its own (a thread keeps its connection between requests:
    shop.held_reads), without the pre-ping: the ping is a round trip before each request's
    first read, as long as the read itself, and `read` retries instead.
    Elsewhere (SQLite: no network, and an in-memory database must share the app's pool) the
    app's engine in autocommit mode.
    """
    from flask import current_app

    from shop.extensions import db

    engines = current_app.extensions.setdefault("read_engines", {})
    base = db.engine
    engine = engines.get(base)
    if engine is None:
        if base.dialect.name == "postgresql":
            # The deployment's own engine options (SSL, timeouts in connect_args, pool size)
            # hold for this pool too; only the pre-ping is left out.
            # Its connections are made in autocommit mode, once: set per checkout (an engine's
            # execution option), the mode was set and reset on every request, which cost
            # twice what the checkout did. With no transaction to end, there is nothing to
            # reset when one goes back to the pool.
            options = dict(current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
            options.update(
                pool_pre_ping=False, isolation_level="AUTOCOMMIT", pool_reset_on_return=None
            )
            engine = sa.create_engine(base.url, **options)
            # The app's engine disposed (tests, a fork): so is this one, with its connections.
            event.listen(base, "engine_disposed", lambda _: engine.dispose())
        else:
            engine = base.execution_options(isolation_level="AUTOCOMMIT")
        held_reads.watch(base)
        engines[base] = engine
    return engine


class IdArray(TypeDecorator):
    """A list of ids bound as the text of one PostgreSQL array, `{1,2,3}` (cast to an array
    in the SQL), made in one join: psycopg's own list dumper runs a regular expression on
    each element."""

    impl = sa.Text
    cache_ok = True
    brackets = "{}"

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        opening, closing = self.brackets
        return opening + ",".join([str(int(v)) for v in value]) + closing


class IdJson(IdArray):
    """A list of ids bound as the text of one JSON array, `[1,2,3]`, for SQLite's `json_each`."""

    cache_ok = True
    brackets = "[]"


def ids_in(column, name: str = "ids", *, dialect: str):
    """`column IN (...)` for a list of ids bound at run time as `name`, as one parameter.

    On PostgreSQL `column = ANY(:name)`, the ids as one array; on SQLite `column IN (SELECT
    value FROM json_each(:name))`, the ids as one JSON array. Either way the text of the
    statement is the same for 1 id or 30: the driver prepares it once, and SQLAlchemy renders
    no placeholder per id, which cost more than the query on a 30-line cart (an expanding IN
    of 30 ids took 190 µs on SQLite, the JSON array 150 µs, and 110 against 97 for one id).
    """
    if dialect == "postgresql":
        # The array's text is made an array once per statement, in a sub-select (an InitPlan):
        # a cast in the condition itself is redone for every row it filters, which made the
        # stock read of a 30-line cart 0.33 ms instead of 0.16 (a seq scan of 108 reservations
        # parsing 30 ids each time).
        array = sa.select(sa.cast(sa.bindparam(name, type_=IdArray()), ARRAY(sa.Integer)))
        return column == sa.func.any(sa.cast(array.scalar_subquery(), ARRAY(sa.Integer)))
    if dialect == "sqlite":
        listed = sa.func.json_each(sa.bindparam(name, type_=IdJson()))
        return column.in_(sa.select(sa.column("value")).select_from(listed).scalar_subquery())
    return column.in_(sa.bindparam(name, expanding=True))


class ForDialect:
    """A statement built once per database dialect: `build(dialect)` gets the dialect's name,
    for `ids_in`."""

    def __init__(self, build):
        self._build = build
        self._built: dict[str, sa.Executable] = {}

    def __call__(self) -> sa.Executable:
        from shop.extensions import db

        name = db.engine.dialect.name
        statement = self._built.get(name)
        if statement is None:
            statement = self._built[name] = self._build(name)
        return statement


def close_read_connection(error=None) -> None:
    """At the end of a request: its read connection kept for the thread's next
    (shop.held_reads) or closed."""
    from flask import g

    connection = g.pop("_read_connection", None)
    if connection is not None:
        held_reads.keep(connection, error)


def include_object(obj, name, type_, reflected, compare_to, dialect: str | None = None) -> bool:
    """For schema comparison (Alembic autogenerate, the migration test): leave out an object
    declared for another database only, like PostgreSQL's trigram index on SQLite."""
    condition = getattr(obj, "_ddl_if", None) or getattr(compare_to, "_ddl_if", None)
    if condition is None or condition.dialect is None or dialect is None:
        return True
    return condition.dialect == dialect
