"""Time the benchmarked pages in one process, without gunicorn or wrk: where does a request go?

    .venv/bin/python bench/make_catalog.py --products 1000 --database-url sqlite:////tmp/k1.db \
        --out /tmp/k1.json
    .venv/bin/python bench/inprocess.py --database-url sqlite:////tmp/k1.db --info /tmp/k1.json
    .venv/bin/python bench/inprocess.py ... --profile product      # pyinstrument, if installed

For each page: milliseconds per request (median of --repeat runs), SQL statements per request and
the milliseconds spent in them. Uses the Flask test client, so it measures the application alone:
what wrk measures on top of it is gunicorn, HTTP parsing and the other worker.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import CATEGORY_PATH, SEARCH_PATH, SECRET_KEY  # noqa: E402

CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def time_sql(app, each=None) -> dict:
    """Count the app's SQL statements and their time into the dict returned (keys "count",
    "seconds"); `each(statement, seconds)` is called for every one, if given."""
    import sqlalchemy as sa

    sql = {"count": 0, "seconds": 0.0}
    engine = sa.engine.Engine  # every engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["t0"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info.pop("t0")
        sql["count"] += 1
        sql["seconds"] += took
        if each is not None:
            each(" ".join(statement.split()), took)

    return sql


class CookielessClient:
    """A test client that forgets its cookies after each request, like wrk's requests."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path, headers=None):
        response = self.client.get(path, headers=headers)
        self.client._cookies.clear()
        return response


def login(app, email: str, password: str):
    client = app.test_client()
    token = CSRF_RE.search(client.get("/account/login").text).group(1)
    r = client.post(
        "/account/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert r.status_code in (302, 303), r.status_code
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--info", required=True, help="the JSON make_catalog.py printed")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", help="profile this page with pyinstrument")
    parser.add_argument("--only", help="comma-separated page names")
    parser.add_argument("--sql", action="store_true", help="print each statement's time")
    parser.add_argument("--all", action="store_true", help="profile: show library frames too")
    parser.add_argument(
        "--cold", action="store_true", help="empty the catalog cache before every request"
    )
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=args.database_url,
        SECRET_KEY=SECRET_KEY,
        MAIL_BACKEND="locmem",
        OUTBOX_SEND_INLINE="false",
        RATELIMIT_STORAGE_URI="memory://",
    )

    from shop import create_app

    info = json.loads(Path(args.info).read_text())
    app = create_app()

    def show(statement: str, took: float) -> None:
        print(f"    {1000 * took:7.2f} ms  {statement[:150]}")

    sql = time_sql(app, show if args.sql else None)

    anonymous = CookielessClient(app)  # as wrk: every request from a new visitor
    pages = [
        ("home", "/", anonymous),
        ("category", CATEGORY_PATH, anonymous),
        ("search", SEARCH_PATH, anonymous),
        ("product", info["product_path"], anonymous),
        ("product304", info["product_path"], anonymous),
        ("cart1", "/cart/", login(app, *info["buyer1"])),
        ("cart30", "/cart/", login(app, *info["buyer30"])),
        ("quote", info["quote_path"], login(app, *info["buyer1"])),
        ("staff_orders", "/staff/orders", login(app, *info["staff"])),
    ]
    only = set(args.only.split(",")) if args.only else None
    pages = [page for page in pages if not only or page[0] in only]
    headers = {name: None for name, _, _ in pages}
    if "product304" in headers:  # the visitor's browser asks again with the page's validator
        etag = anonymous.get(info["product_path"]).headers["ETag"]
        headers["product304"] = {"If-None-Match": etag}
    for name, path, client in pages:
        for _ in range(5):  # warm the caches a real worker would have warm
            status = client.get(path, headers=headers[name]).status_code
            assert status == (304 if headers[name] else 200), (name, path, status)
        if args.profile == name:
            from pyinstrument import Profiler

            with Profiler(interval=0.0002) as profiler:
                for _ in range(args.repeat):
                    client.get(path, headers=headers[name])
            print(profiler.output_text(unicode=True, color=False, show_all=args.all))
    if args.profile:
        return
    # Pages take turns, ten requests at a time: a shared machine's slow spells fall on every
    # page alike, so the ratios between pages (the cart with 30 lines against 1) hold.
    times = {name: [] for name, _, _ in pages}
    queries = {name: [0, 0.0] for name, _, _ in pages}
    for _ in range(max(1, args.repeat // 10)):
        for name, path, client in pages:
            sql.update(count=0, seconds=0.0)
            for _ in range(10):
                if args.cold:
                    app.extensions.pop("catalog_cache", None)
                t0 = time.perf_counter()
                client.get(path, headers=headers[name])
                times[name].append(time.perf_counter() - t0)
            queries[name][0] += sql["count"]
            queries[name][1] += sql["seconds"]
    for name, taken in times.items():
        count, seconds = queries[name]
        print(
            f"{name:14} {1000 * statistics.median(taken):7.2f} ms/request  "
            f"{count / len(taken):5.1f} queries  "
            f"{1000 * seconds / len(taken):7.2f} ms SQL"
        )


if __name__ == "__main__":
    main()
