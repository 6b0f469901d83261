"""Running several transactions at the same moment, for the PostgreSQL race tests."""

import threading

from shop.errors import DomainError
from shop.extensions import db


def run_together(app, functions, expected=(DomainError,)):
    """Start every function at once, each in its own thread, app context and session.

    What succeeds is committed; an `expected` refusal is rolled back and returned in place of a
    result, so a test can count winners and losers. Anything else fails the thread loudly.
    """
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(i, fn):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = fn()
                db.session.commit()
            except expected as exc:
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
