"""A thread keeps its read connection between requests (shop/held_reads.py), and lets it go
when it must: a transaction left open, a disposed engine, the end of the thread, a fork."""

import gc
import os
import threading
import time

import psycopg
import pytest
import sqlalchemy as sa

from shop import held_reads
from shop.db import _read_engine


@pytest.fixture
def kayak(make_category, make_product):
    return make_product(make_category("Sea kayaks"), name="Greenland kayak", stock=4)


def held_backend() -> int | None:
    """The server process behind this thread's held read connection, if one is held."""
    connection = held_reads.held()
    if connection is None:
        return None
    return connection.connection.driver_connection.info.backend_pid


def server_has(postgres_url: str, backend: int) -> bool:
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend])
        return found.fetchone() is not None


def leaves_server(postgres_url: str, backend: int, within: float = 5.0) -> bool:
    """Whether the server process ends within `within` seconds. It ends once it has read the
    client's goodbye, a moment after the client closed: asked at once, the server still listed
    it in 2 of 5 runs."""
    deadline = time.monotonic() + within
    while server_has(postgres_url, backend):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.postgres
def test_a_threads_next_page_reads_on_the_connection_its_last_page_used(app, kayak):
    visitor = app.test_client(use_cookies=False)
    assert visitor.get(f"/p/{kayak.slug}").status_code == 200
    first = held_backend()
    assert first is not None
    pool = _read_engine().pool
    assert pool.checkedout() == 1  # held, not back in the pool
    for _ in range(3):
        assert visitor.get(f"/p/{kayak.slug}").status_code == 200
        assert held_backend() == first
    assert pool.checkedout() == 1


@pytest.mark.postgres
def test_another_thread_holds_its_own_and_gives_it_back_when_it_ends(app, kayak):
    visitor = app.test_client(use_cookies=False)
    visitor.get(f"/p/{kayak.slug}")
    mine = held_backend()
    seen = {}

    def other_thread():
        assert visitor.get(f"/p/{kayak.slug}").status_code == 200
        seen["backend"] = held_backend()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    gc.collect()
    assert seen["backend"] not in (None, mine)
    assert held_backend() == mine
    assert _read_engine().pool.checkedout() == 1  # the ended thread's went back


@pytest.mark.postgres
def test_a_connection_left_in_a_transaction_is_closed_not_held(app):
    connection = _read_engine().connect()
    connection.exec_driver_sql("BEGIN")  # on the server: the autocommit engine would not
    held_reads.keep(connection)
    assert held_reads.held() is None
    assert connection.closed


@pytest.mark.postgres
def test_a_connection_of_a_request_that_failed_is_closed_not_held(app):
    connection = _read_engine().connect()
    held_reads.keep(connection, RuntimeError("the request failed"))
    assert held_reads.held() is None and connection.closed


@pytest.mark.postgres
def test_disposing_the_engine_closes_the_held_connection_on_the_server(
    app, db, kayak, postgres_url
):
    app.test_client(use_cookies=False).get(f"/p/{kayak.slug}")
    backend = held_backend()
    assert backend is not None and server_has(postgres_url, backend)
    db.engine.dispose()  # the read engine with it, and this thread's held connection
    assert held_reads.held() is None
    assert leaves_server(postgres_url, backend)
    # The next page reads on a new connection.
    assert app.test_client(use_cookies=False).get(f"/p/{kayak.slug}").status_code == 200
    assert held_backend() not in (None, backend)


@pytest.mark.postgres
def test_a_forked_child_neither_uses_nor_closes_its_parents_connection(app, kayak, postgres_url):
    visitor = app.test_client(use_cookies=False)
    visitor.get(f"/p/{kayak.slug}")
    backend = held_backend()
    child = os.fork()
    if child == 0:  # the child: its slot is empty, and it exits without closing anything
        os._exit(0 if held_reads.held() is None else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    gc.collect()
    assert server_has(postgres_url, backend)
    assert visitor.get(f"/p/{kayak.slug}").status_code == 200
    assert held_backend() == backend  # the parent's connection, still sound


def test_a_connection_of_an_in_memory_sqlite_database_is_never_held(app):
    # Its pool has one connection per thread, which the thread's session uses too.
    engine = sa.create_engine("sqlite://")
    connection = engine.connect()
    held_reads.keep(connection)
    assert held_reads.held() is None and connection.closed
    engine.dispose()


def test_on_a_sqlite_file_the_read_connection_is_held_too(app, kayak):
    visitor = app.test_client(use_cookies=False)
    assert visitor.get(f"/p/{kayak.slug}").status_code == 200
    first = held_reads.held().connection.driver_connection
    assert not first.in_transaction  # idle: no lock, no snapshot
    assert visitor.get(f"/p/{kayak.slug}").status_code == 200
    assert held_reads.held().connection.driver_connection is first
