"""Time the place-order POST in one process: where does it go?

    .venv/bin/python bench/place_order.py --database-url sqlite:////tmp/k1.db --info /tmp/k1.json
    .venv/bin/python bench/place_order.py ... --profile       # pyinstrument, over the POSTs only

Each guest takes bench/run.py's checkout_bench steps with the Flask test client (cart/add,
checkout/contact, address, delivery, each after a GET for its CSRF token), then the timed
`POST /checkout/review` (card, terms accepted), which must redirect to the pay page. Prints
milliseconds per place-order (median of --orders), SQL statements in it and the milliseconds
spent in them; --steps also prints the median of each step before it (with 2 sync workers and
8 buyers, a place-order waits behind the other buyers' steps, so they count too). A SQLite
database is copied first (unless --in-place), so the benchmark's own copy keeps its stock.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inprocess import time_sql  # noqa: E402
from bench.run import ADDRESS, CONTACT, SECRET_KEY  # noqa: E402

CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def _copy_sqlite(url: str, workdir: str) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    source = Path(url.removeprefix(prefix))
    target = Path(workdir) / source.name
    shutil.copyfile(source, target)
    return prefix + str(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--info", required=True, help="the JSON make_catalog.py printed")
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--profile", action="store_true", help="pyinstrument over the POSTs")
    parser.add_argument("--sql", action="store_true", help="print the statements of one POST")
    parser.add_argument("--steps", action="store_true", help="also time the steps before it")
    parser.add_argument("--in-place", action="store_true", help="do not copy a SQLite file")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="place-order-")
    try:
        url = args.database_url if args.in_place else _copy_sqlite(args.database_url, workdir)
        bench(args, url)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def bench(args, url: str) -> None:
    os.environ.update(
        DATABASE_URL=url,
        SECRET_KEY=SECRET_KEY,
        MAIL_BACKEND="locmem",
        OUTBOX_SEND_INLINE="false",
        RATELIMIT_STORAGE_URI="memory://",
    )

    from shop import create_app

    info = json.loads(Path(args.info).read_text())
    variants = info["checkout_variants"]
    app = create_app()
    log: dict[str, list | None] = {"lines": None}

    def keep(statement: str, took: float) -> None:
        if log["lines"] is not None:
            log["lines"].append(statement[:160])

    sql = time_sql(app, keep)

    steps: dict[str, list[float]] = {}

    def timed(name: str, call):
        t0 = time.perf_counter()
        response = call()
        steps.setdefault(name, []).append(time.perf_counter() - t0)
        return response

    def post(client, path: str, data: dict, page: str = "/cart/"):
        html = timed(f"GET {page} (token for {path})", lambda: client.get(page).text)
        token = CSRF_RE.search(html).group(1)
        return timed(f"POST {path}", lambda: client.post(path, data={**data, "csrf_token": token}))

    def ready_buyer(n: int):
        client = app.test_client()
        steps = [
            ("/cart/add", {"variant_id": variants[n % len(variants)], "quantity": 1}),
            ("/checkout/contact", {**CONTACT, "email": f"bench{n}@example.com"}),
            ("/checkout/address", ADDRESS),
            ("/checkout/delivery", {}),
        ]
        for path, data in steps:
            r = post(client, path, data)
            assert r.status_code in (302, 303), (path, r.status_code)
        html = timed("GET /checkout/review", lambda: client.get("/checkout/review").text)
        token = CSRF_RE.search(html).group(1)
        return client, {"payment_method": "card", "accept_terms": "y", "csrf_token": token}

    def place(client, data) -> None:
        r = client.post("/checkout/review", data=data)
        assert r.status_code == 303 and "/checkout/pay/" in r.location, (r.status_code, r.location)

    for n in range(3):  # warm the caches a real worker would have warm
        place(*ready_buyer(1000 + n))
    if args.sql:
        client, data = ready_buyer(2000)
        log["lines"] = []
        place(client, data)
        print("\n".join(log["lines"]))
        log["lines"] = None

    steps.clear()
    buyers = [ready_buyer(n) for n in range(args.orders)]
    times = []
    sql.update(count=0, seconds=0.0)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
    for client, data in buyers:
        t0 = time.perf_counter()
        place(client, data)
        times.append(time.perf_counter() - t0)
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.steps:
        for name, values in steps.items():
            print(f"  {name:50} {1000 * statistics.median(values):7.2f} ms")
    print(
        f"place-order    {1000 * statistics.median(times):7.2f} ms/request  "
        f"{sql['count'] / len(buyers):5.1f} queries  "
        f"{1000 * sql['seconds'] / len(buyers):7.2f} ms SQL"
    )


if __name__ == "__main__":
    main()
