"""`shop.db.read`'s connection, kept checked out between one thread's requests.

A visitor's product page makes one read. Checking its connection out of SQLAlchemy's pool and
back (a `Connection` made and closed, the pool's queue, its events) cost 75 µs of the page
in a worker, some 8% of it. So the connection a request read on stays with its thread for
the next request, like a persistent connection in Django (`CONN_MAX_AGE`). It is held only
while it is idle and sound: autocommit (`shop.db._read_engine`), no transaction open on the
server, not closed or invalidated, and of the pool it came from. What can end it:

- the server drops it while it is idle: `read` notices on its next use and reads again on a
  new one (as it did with the pool, which had no pre-ping for these reads either);
- its engine is disposed: this thread's connection is closed now (the tests dispose each
  app's engine), another thread's when it next asks;
- its thread ends: the holder returns it to the pool;
- the process forks: the child never uses or closes its parent's connection (closing would
  end the parent's session on the server).

On SQLite (a database file) `read`'s connections come from the app's own pool: a held one is
one fewer for the app's sessions, of the pool's 5 (and 10 more on demand), and a sync worker's
request uses at most one of those besides. Idle, in autocommit mode, it holds no lock and no
snapshot, so writers and checkpoints do not wait for it.
"""

import contextlib
import os
import threading

from psycopg import pq
from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import QueuePool


class _Holder:
    """One thread's holder, made once and refilled after each request."""

    __slots__ = ("connection", "pid", "pool")

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.pool = None
        self.pid = os.getpid()

    def hold(self, connection: Connection) -> None:
        self.connection = connection
        self.pool = connection.engine.pool

    def __del__(self) -> None:
        # Its thread ended (or the holder was replaced): back to the pool, in this process.
        if self.connection is not None and self.pid == os.getpid():
            with contextlib.suppress(Exception):  # shutting down: nothing left to tell
                self.connection.close()

    def take(self) -> Connection:
        connection, self.connection = self.connection, None
        return connection

    def discard(self) -> None:
        """Close the connection for good (not back into a pool that may be gone)."""
        connection = self.take()
        try:
            connection.invalidate()
        finally:
            connection.close()


class _Slot(threading.local):
    holder: _Holder | None = None


_slot = _Slot()
_inherited: list[_Holder] = []  # a forked child's copies of its parent's: never closed here


def take(engine: Engine) -> Connection:
    """This thread's held connection to `engine`, or a new one from its pool."""
    holder = _slot.holder
    if holder is not None and holder.connection is not None:
        if holder.pool is engine.pool and _is_idle(holder.connection):
            return holder.take()
        holder.discard()
    return engine.connect()


def keep(connection: Connection, error: BaseException | None = None) -> None:
    """At the end of a request: hold `connection` for this thread's next one, or close it."""
    holder = _slot.holder
    if holder is None:
        holder = _slot.holder = _Holder()
    if error is None and holder.connection is None and _is_idle(connection):
        if connection.in_transaction():  # SQLAlchemy's own, begun by an execute: nothing
            connection.rollback()  # on the server in autocommit mode, so nothing sent
        holder.hold(connection)
        return
    connection.close()


def _is_idle(connection: Connection) -> bool:
    if connection.closed or connection.invalidated:
        return False
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        return not driver.closed and driver.info.transaction_status == pq.TransactionStatus.IDLE
    if connection.dialect.name == "sqlite":
        # A database file's connections are each their own (QueuePool); an in-memory
        # database has one per thread, which the thread's session uses too.
        return isinstance(connection.engine.pool, QueuePool) and not driver.in_transaction
    return False


def watch(engine: Engine) -> None:
    """Close this thread's held connection when `engine` is disposed (then a new pool
    replaces the one it came from)."""

    @event.listens_for(engine, "engine_disposed")
    def _disposed(_engine) -> None:
        connection = held()
        if connection is not None and _slot.holder.pool is not connection.engine.pool:
            _slot.holder.discard()


def held() -> Connection | None:
    """This thread's held connection, if any (for tests and diagnostics)."""
    holder = _slot.holder
    return None if holder is None else holder.connection


def _forget_in_child() -> None:
    holder, _slot.holder = _slot.holder, None
    if holder is not None and holder.connection is not None:
        _inherited.append(holder)  # its connection is the parent's: not to be touched


os.register_at_fork(after_in_child=_forget_in_child)
