"""Concurrent writers on the embedded SQLite database cannot both act on a stale read."""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shop.catalog.models import Variant


@pytest.mark.both_dbs
def test_read_then_write_races_cannot_oversell(app, db, sailboats, make_product, db_backend):
    """Eight buyers race for the last two units with a naive read-check-write.

    On SQLite, BEGIN IMMEDIATE serialises the transactions; on PostgreSQL the row lock does.
    """
    boat = make_product(sailboats, stock=2)
    variant_id = boat.variants[0].id
    engine = db.engine
    barrier = threading.Barrier(8)
    sold = []

    def buyer():
        with Session(engine) as session:
            barrier.wait()
            with session.begin():
                stmt = sa.select(Variant).where(Variant.id == variant_id)
                if db_backend == "postgresql":
                    stmt = stmt.with_for_update()
                variant = session.scalar(stmt)
                if variant.stock_on_hand > 0:
                    variant.stock_on_hand -= 1
                    sold.append(1)

    threads = [threading.Thread(target=buyer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(sold) == 2
    stock = db.session.scalar(sa.select(Variant.stock_on_hand).where(Variant.id == variant_id))
    assert stock == 0
