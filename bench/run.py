"""Benchmark the store against a bare Flask "hello" under the same gunicorn settings.

Run through bench/run.sh. For each database (SQLite, PostgreSQL) and catalog size: build the
database (bench/make_catalog.py), start the store under gunicorn, run the checkout benchmark
against localstripe, then drive each page with wrk in short slices taken in turns with slices
of the hello ceiling, so each ratio compares figures taken seconds apart. Every process started
here is stopped on the way out (also on Ctrl-C or SIGTERM).
"""

import argparse
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.postgres import ThrowawayPostgres  # noqa: E402
from tests.stripe_peer import StripePeer  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
WORKERS = 2
WORKER_CLASS = "sync"
WORKER_THREADS = 1  # --worker-threads: above 1, gunicorn's gthread workers with that many threads
CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
CONTACT = {"name": "Bench Buyer", "phone": "+1 503 555 0100"}
ADDRESS = {
    "address_line1": "12 Harbor Way",
    "address_line2": "",
    "city": "Seattle",
    "region": "WA",
    "postal_code": "98101",
}
# A category page with two spec filters (a number range and a choice) and a search.
CATEGORY_PATH = "/c/sailboats?length_min=30&hull_material=Fiberglass"
SEARCH_PATH = "/search?q=sloop"
RESULTS = HERE / "RESULTS.md"
REVALIDATED = "product, revalidated (304)"
NOTES_MARK = "<!-- notes: kept by bench/run.py when it rewrites this file -->"

_started: list[subprocess.Popen] = []


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=30, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


class Gunicorn:
    def __init__(self, app: str, chdir: Path, env: dict, log_path: Path, access_log=False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            GUNICORN,
            "-w",
            str(WORKERS),
            "-k",
            WORKER_CLASS,
            "--threads",
            str(WORKER_THREADS),
            "-b",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(chdir),
            "--log-level",
            "warning",
        ]
        self.access_log = log_path.with_suffix(".access")
        if access_log:
            # Each request's time inside the worker (%(D)s, microseconds), without the time it
            # waited for a free worker: what the place-order target is about.
            self.command += [
                "--access-logfile",
                str(self.access_log),
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(D)s",
            ]
        self.command.append(app)
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process = None

    def __enter__(self) -> "Gunicorn":
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(  # noqa: S603  (our own command line)
            self.command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        _started.append(self.process)
        wait_http(self.url + "/")
        return self

    def __exit__(self, *exc) -> None:
        stop(self.process)
        self.log.close()


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop_all(*_args) -> None:
    for process in reversed(_started):
        stop(process)
    if _args:  # called as a signal handler
        raise SystemExit(1)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# --- wrk ------------------------------------------------------------------------------------


def wrk(url: str, args, headers: dict | None = None) -> dict:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}",
        "--latency",
        "--timeout",
        "10s",  # wrk's default (2 s) would count the slowest pages' answers as socket errors
        "-s",
        str(HERE / "report.lua"),
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["p50_ms"] = figures["p50_us"] / 1000
    figures["p99_ms"] = figures["p99_us"] / 1000
    return figures


def warm_up(args) -> argparse.Namespace:
    """wrk's settings for a second of untimed load before a measured run."""
    return argparse.Namespace(**{**vars(args), "duration": "1s"})


def seconds(duration: str) -> int:
    """wrk's duration ("6s", "2m", "1h") in seconds."""
    match = re.fullmatch(r"(\d+)([smh]?)", duration)
    if not match:
        raise SystemExit(f"--duration: {duration!r} is not like 6s, 2m or 1h")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def in_turns(targets: list[tuple[str, dict | None]], args) -> list[dict]:
    """Each (url, headers) measured in turns with the others: --slices short runs of each, after
    a second of untimed load on each (so both workers' caches are warm, hello's alike).

    This machine's speed drifts within seconds. A page and a hello measured in alternating
    seconds go through the same drift; one run of each, one after the other, did not: over
    four rounds, the product page's share of hello spread by 1.8 points as two 6-second runs
    and by 0.55 points as six 1-second slices of each. Two pages compared with each other (the
    carts of 1 and 30 lines) are measured in the same turns for the same reason.
    """
    for url, headers in targets:
        wrk(url, warm_up(args), headers)
    each = max(1, round(seconds(args.duration) / args.slices))
    slice_args = argparse.Namespace(**{**vars(args), "duration": f"{each}s"})
    runs: list[list[dict]] = [[] for _ in targets]
    for _ in range(args.slices):
        for (url, headers), kept in zip(targets, runs, strict=True):
            kept.append(wrk(url, slice_args, headers))
    return [combined(kept) for kept in runs]


def longer(args, times: int) -> argparse.Namespace:
    """The same load, measured `times` as long in as many more slices: for the two carts,
    whose target is a difference of a few percent. On a shared machine their one-second
    slices, taken in turns, spread by 10 to 25 points of their ratio (0.82 to 1.05 in one run
    of eight), and with six of them the same code's SQLite cart came out at 97%, 96% and 87%
    in three runs (session 10's notes in RESULTS.md)."""
    return argparse.Namespace(
        **{
            **vars(args),
            "duration": f"{seconds(args.duration) * times}s",
            "slices": args.slices * times,
        }
    )


def combined(runs: list[dict]) -> dict:
    """Slices as one run: all their requests over all their time; the p50 is the median of
    the slices' p50s and the p99 the highest of their p99s (wrk reports percentiles, not the
    samples, so the exact percentiles of the whole cannot be had)."""
    keys = ("requests", "duration_us", "non_2xx_3xx", "socket_errors")
    out = {key: sum(run[key] for run in runs) for key in keys}
    out["rps"] = out["requests"] / (out["duration_us"] / 1e6)
    out["p50_ms"] = statistics.median(run["p50_ms"] for run in runs)
    out["p99_ms"] = max(run["p99_ms"] for run in runs)
    return out


def served_ms(access_log: Path, method: str | None = None, path: str | None = None) -> list[float]:
    """Milliseconds each such request (a 303; every request, without a method) spent inside a
    worker, from gunicorn's access log. The start-up check's `GET /` is left out."""
    out = []
    for line in access_log.read_text().splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        if method is None:
            if parts[1] != "/":
                out.append(int(parts[3]) / 1000)
        elif parts[0] == method and parts[1] == path and parts[2] == "303":
            out.append(int(parts[3]) / 1000)
    return out


# --- sessions -------------------------------------------------------------------------------


def csrf(session: requests.Session, base: str, path: str = "/cart/") -> str:
    html = session.get(base + path, timeout=30).text
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError(f"no CSRF token on {path}")
    return match.group(1)


def post_form(session, base: str, path: str, data: dict, **kw) -> requests.Response:
    data = {**data, "csrf_token": csrf(session, base)}
    return session.post(base + path, data=data, allow_redirects=False, timeout=60, **kw)


def logged_in(base: str, email: str, password: str) -> tuple[requests.Session, dict]:
    session = requests.Session()
    r = post_form(session, base, "/account/login", {"email": email, "password": password})
    if r.status_code not in (302, 303):
        raise RuntimeError(f"login as {email} failed: {r.status_code}")
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return session, {"Cookie": cookie}


# --- checkout -------------------------------------------------------------------------------


def checkout_bench(
    base: str, stripe: StripePeer, variants: list[int], buyers: int, orders: int, card=True
) -> dict:
    """`buyers` guests buy `orders` times each, concurrently: cart, contact, address, delivery,
    then the timed place-order POST (it writes the order, its reservation and its payment row;
    it makes no Stripe call), then the card steps (SetupIntent, PaymentIntent at localstripe),
    timed apart. Without `card`, the orders are left unpaid: no step waits on the payment
    provider. Every request's time as the buyer saw it is kept too (`seen_ms`), to compare
    with its time inside the worker."""
    place_ms: list[float] = []
    pay_ms: list[float] = []
    order_ms: list[float] = []
    seen_ms: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def seen(response, *args, **kwargs) -> None:
        with lock:
            seen_ms.append(response.elapsed.total_seconds() * 1000)

    def buyer(n: int) -> None:
        session = requests.Session()
        session.hooks["response"].append(seen)
        variant = variants[n % len(variants)]
        for k in range(orders):
            t0 = time.perf_counter()
            try:
                steps = [
                    ("/cart/add", {"variant_id": variant, "quantity": 1}),
                    ("/checkout/contact", {**CONTACT, "email": f"bench{n}.{k}@example.com"}),
                    ("/checkout/address", ADDRESS),
                    ("/checkout/delivery", {}),
                ]
                for path, data in steps:
                    r = post_form(session, base, path, data)
                    if r.status_code not in (302, 303):
                        raise RuntimeError(f"{path}: {r.status_code}")
                token = csrf(session, base, "/checkout/review")
                t1 = time.perf_counter()
                r = session.post(
                    base + "/checkout/review",
                    data={"payment_method": "card", "accept_terms": "y", "csrf_token": token},
                    allow_redirects=False,
                    timeout=60,
                )
                t2 = time.perf_counter()
                pay = r.headers.get("Location", "")
                if r.status_code != 303 or "/checkout/pay/" not in pay:
                    raise RuntimeError(f"place order: {r.status_code} {pay}")
                if not card:
                    with lock:
                        place_ms.append((t2 - t1) * 1000)
                        order_ms.append((t2 - t0) * 1000)
                    continue
                pay = urllib.parse.urljoin(base, pay)
                headers = {"X-CSRFToken": csrf(session, base, urllib.parse.urlparse(pay).path)}
                method = stripe.card("4242424242424242")  # Stripe.js's part, not timed
                t3 = time.perf_counter()
                r = session.post(pay + "/setup", json={}, headers=headers, timeout=60)
                if r.status_code != 200:
                    raise RuntimeError(f"setup: {r.status_code} {r.text[:200]}")
                r = session.post(
                    pay + "/card", json={"payment_method": method}, headers=headers, timeout=60
                )
                t4 = time.perf_counter()
                if r.status_code != 200:
                    raise RuntimeError(f"card: {r.status_code} {r.text[:200]}")
            except (RuntimeError, requests.RequestException) as exc:
                with lock:
                    failures.append(str(exc))
                continue
            with lock:
                place_ms.append((t2 - t1) * 1000)
                pay_ms.append((t4 - t3) * 1000)
                order_ms.append((t4 - t0) * 1000)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(buyers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "buyers": buyers,
        "orders": len(place_ms),
        "failures": failures[:5],
        "failed": len(failures),
        "orders_per_s": len(place_ms) / wall,
        "place_p50_ms": percentile(place_ms, 50),
        "place_p99_ms": percentile(place_ms, 99),
        "card": card,
        "pay_p50_ms": percentile(pay_ms, 50) if card else float("nan"),
        "order_p50_ms": percentile(order_ms, 50),
        "place_mean_ms": statistics.fmean(place_ms) if place_ms else float("nan"),
        "seen_ms": seen_ms,
    }


# --- one database, one catalog size ---------------------------------------------------------


def run_group(db: str, size: int, url: str, stripe: StripePeer, work: Path, args) -> dict:
    log(f"{db} {size:,}: building the catalog")
    env = {"SECRET_KEY": SECRET_KEY, "MAIL_BACKEND": "locmem", "OUTBOX_SEND_INLINE": "false"}
    started = time.monotonic()
    out = subprocess.run(  # noqa: S603
        [PYTHON, str(HERE / "make_catalog.py"), "--products", str(size), "--database-url", url],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"make_catalog failed:\n{out.stderr[-3000:]}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info["build_seconds"] = round(time.monotonic() - started, 1)
    log(f"{db} {size:,}: catalog built in {info['build_seconds']} s {info['seconds']}")

    group = {"db": db, "size": size, "info": info, "pages": {}}

    store_env = {
        **env,
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": "memory://",
        **stripe.settings(),
    }
    # Three times: with more buyers than workers (throughput; a request then waits for a
    # worker busy with the other buyers' steps, the card steps that wait on localstripe among
    # them); as many buyers, who leave their orders unpaid (the same wait for a worker, less
    # the time workers spend waiting on the payment provider); and with one buyer per worker
    # (what one buyer's place-order costs when nobody is ahead of it). Each places the same
    # number of orders.
    total = args.checkout_buyers * args.checkout_orders
    runs = (
        ("checkout", args.checkout_buyers, True),
        ("checkout_no_card", args.checkout_buyers, False),
        ("checkout_unqueued", WORKERS, True),
    )
    for key, buyers, card in runs:
        checkout_log = work / f"checkout-{db}-{size}-{key}.log"
        with Gunicorn("wsgi:app", ROOT, store_env, checkout_log, access_log=True) as store:
            c = checkout_bench(
                store.url,
                stripe,
                info["checkout_variants"],
                buyers,
                math.ceil(total / buyers),
                card=card,
            )
        served = served_ms(store.access_log, "POST", "/checkout/review")
        c["place_served_p50_ms"] = percentile(served, 50)
        c["place_served_p99_ms"] = percentile(served, 99)
        # The mean wait for a worker: every request's time as its buyer saw it, less its time
        # inside the worker (the same requests, in the same number, from the access log).
        every = served_ms(store.access_log)
        seen = c.pop("seen_ms")
        c["wait_mean_ms"] = (
            statistics.fmean(seen) - statistics.fmean(every)
            if seen and len(seen) == len(every)
            else float("nan")
        )
        group[key] = c
        log(
            f"{db} {size:,}: checkout, {buyers} buyers{'' if card else ', no card steps'}: "
            f"{c['orders']} orders ({c['failed']} failed), {c['orders_per_s']:.1f}/s, place p50 "
            f"{c['place_p50_ms']:.1f} ms ({c['place_served_p50_ms']:.1f} ms in the worker; a "
            f"request waited {c['wait_mean_ms']:.1f} ms for a worker on average)"
        )
    # The pages are measured without an access log, like the hello ceiling. Hello is measured
    # again with each page, in turns with it (`in_turns`), and the page's share is of that one:
    # a shared machine's speed drifts, and a ceiling measured apart would move every ratio
    # with it. Only one of the two servers is under load at a time.
    hellos = []
    with (
        Gunicorn("hello:app", HERE, {}, work / "hello.log") as hello,
        Gunicorn("wsgi:app", ROOT, store_env, work / f"store-{db}-{size}.log") as store,
    ):
        base = store.url
        _, buyer1 = logged_in(base, *info["buyer1"])
        _, buyer30 = logged_in(base, *info["buyer30"])
        _, staff = logged_in(base, *info["staff"])
        # Each list is measured in turns with hello; the two carts in the same turns, since
        # the target compares them with each other.
        pages = [
            [("home", "/", None)],
            [("category, 2 spec filters", CATEGORY_PATH, None)],
            [("search", SEARCH_PATH, None)],
            [("product", info["product_path"], None)],
            [("cart, 1 line", "/cart/", buyer1), ("cart, 30 lines", "/cart/", buyer30)],
            [("quote", info["quote_path"], buyer1)],
            [("staff order list", "/staff/orders", staff)],
        ]
        # A visitor's browser (or a proxy) that holds the product page already asks again with
        # its validator and gets a 304. A tree without HTTP caching sends no ETag: no such row.
        etag = requests.get(base + info["product_path"], timeout=60).headers.get("ETag")
        if etag:
            pages.append([(REVALIDATED, info["product_path"], {"If-None-Match": etag})])
        else:
            log(f"{db} {size:,}: the product page sends no ETag: no revalidation measured")
        for together in pages:
            for name, path, headers in together:
                check_page(base, name, path, headers)
            # `in_turns` warms each first: the single request above warmed one worker's
            # caches, and the other would build its own inside the measured run (a cold
            # filtered category at 100k takes half a second).
            ceiling, *measured = in_turns(
                [(hello.url + "/", None)] + [(base + path, h) for _, path, h in together],
                args if len(together) == 1 else longer(args, args.pair_turns),
            )
            hellos.append(ceiling)
            for (name, path, _), figures in zip(together, measured, strict=True):
                figures["path"] = path
                figures["hello_rps"] = ceiling["rps"]
                group["pages"][name] = figures
                log(
                    f"{db} {size:,}: {name}: {figures['rps']:.0f} req/s, "
                    f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
                    + (f", {figures['non_2xx_3xx']} non-2xx" if figures["non_2xx_3xx"] else "")
                    + f" (hello in the same turns: {ceiling['rps']:.0f} req/s)"
                )
    # The hello row: the median of the ceilings measured beside the pages.
    group["hello"] = sorted(hellos, key=lambda h: h["rps"])[len(hellos) // 2]
    group["hello"]["range"] = (min(h["rps"] for h in hellos), max(h["rps"] for h in hellos))
    return group


def check_page(base: str, name: str, path: str, headers: dict | None) -> None:
    r = requests.get(base + path, headers=headers or {}, allow_redirects=False, timeout=60)
    if r.status_code != (304 if name == REVALIDATED else 200):
        raise RuntimeError(f"{name} {path}: {r.status_code}")
    if name == "cart, 30 lines" and r.text.count('data-testid="cart-line"') < 30:
        log("warning: the 30-line cart page shows fewer than 30 lines")


# --- report ---------------------------------------------------------------------------------


def table(groups: list[dict]) -> str:
    rows = [
        "| database | products | page | req/s | p50 ms | p99 ms | of hello |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for g in groups:
        h = g["hello"]
        low, high = h["range"]
        rows.append(
            f"| {g['db']} | {g['size']:,} | hello ceiling (median; {low:.0f} to {high:.0f}) | "
            f"{h['rps']:.0f} | {h['p50_ms']:.1f} | {h['p99_ms']:.1f} | 100% |"
        )
        for name, f in g["pages"].items():
            flag = ""
            if f["non_2xx_3xx"] or f["socket_errors"]:
                flag = f" ({f['non_2xx_3xx']} non-2xx, {f['socket_errors']} socket errors)"
            rows.append(
                f"| {g['db']} | {g['size']:,} | {name}{flag} | {f['rps']:.0f} | "
                f"{f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {100 * f['rps'] / f['hello_rps']:.1f}% |"
            )
    rows += [
        "",
        "| database | products | buyers | card steps | orders | failed | orders/s | "
        "place-order p50 ms | place-order p99 ms | place-order in the worker p50 / p99 ms | "
        "a request's mean wait for a worker ms | card steps p50 ms (with localstripe) | "
        "whole checkout p50 ms |",
        "| --- | ---: | ---: | --- |" + " ---: |" * 9,
    ]
    for g in groups:
        for c in (g["checkout"], g["checkout_no_card"], g["checkout_unqueued"]):
            pay = f"{c['pay_p50_ms']:.1f}" if c["card"] else "none"
            rows.append(
                f"| {g['db']} | {g['size']:,} | {c['buyers']} | {'yes' if c['card'] else 'no'} | "
                f"{c['orders']} | {c['failed']} | {c['orders_per_s']:.2f} | "
                f"{c['place_p50_ms']:.1f} | {c['place_p99_ms']:.1f} | "
                f"{c['place_served_p50_ms']:.1f} / {c['place_served_p99_ms']:.1f} | "
                f"{c['wait_mean_ms']:.1f} | {pay} | {c['order_p50_ms']:.1f} |"
            )
    return "\n".join(rows)


def targets(groups: list[dict]) -> list[str]:
    lines = []

    def mark(ok: bool) -> str:
        return "met" if ok else "**missed**"

    for g in groups:
        p = g["pages"]
        label = f"{g['db']}, {g['size']:,} products"
        share = {name: p[name]["rps"] / p[name]["hello_rps"] for name in p}
        category = share["category, 2 spec filters"]
        lines.append(
            f"- {label}: product page {share['product']:.1%} of hello (target 15%): "
            f"{mark(share['product'] >= 0.15)}; filtered category {category:.1%}"
            f" (15%): {mark(category >= 0.15)}; search "
            f"{share['search']:.1%} (15%): {mark(share['search'] >= 0.15)}"
        )
        if REVALIDATED in share:
            lines.append(
                f"- {label}: the anonymous product page revalidated (`If-None-Match`, 304) "
                f"{share[REVALIDATED]:.1%} of hello (target 50%): "
                f"{mark(share[REVALIDATED] >= 0.5)}"
            )
        else:
            lines.append(f"- {label}: no 304 to measure (the product page sends no ETag)")
        # The two carts are measured in the same turns (with one hello), so they compare
        # directly.
        one, thirty = p["cart, 1 line"], p["cart, 30 lines"]
        ratio = thirty["p50_ms"] / one["p50_ms"]
        lines.append(
            f"- {label}: cart with 30 lines p50 {thirty['p50_ms']:.1f} ms, {ratio:.2f} times "
            f"the 1-line cart's {one['p50_ms']:.1f} ms, the two measured in the same turns "
            f"(req/s {thirty['rps'] / one['rps']:.1%} of it) (target 1.5 times): "
            f"{mark(ratio <= 1.5)}"
        )
        c, free, alone = g["checkout"], g["checkout_no_card"], g["checkout_unqueued"]
        lines.append(
            f"- {label}: place-order p50 (target under 50 ms excluding the payment provider's "
            f"time; the POST makes no Stripe call) {c['place_served_p50_ms']:.1f} ms inside "
            f"the worker: {mark(c['place_served_p50_ms'] < 50)}; as one buyer per worker saw "
            f"it {alone['place_p50_ms']:.1f} ms: {mark(alone['place_p50_ms'] < 50)}. "
            f"{c['buyers']} buyers at once, with no pause between their steps, keep both "
            f"workers busy: every request waited for a worker {c['wait_mean_ms']:.1f} ms on "
            f"average with the card steps ({free['wait_mean_ms']:.1f} ms without them), so "
            f"they saw place-order take {c['place_p50_ms']:.1f} ms "
            f"({free['place_p50_ms']:.1f} ms)"
        )
    by = {(g["db"], g["size"]): g for g in groups}
    sizes = sorted({g["size"] for g in groups})
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        for db in sorted({g["db"] for g in groups}):
            if (db, small) not in by or (db, big) not in by:
                continue
            worst = []
            for name, f in by[(db, big)]["pages"].items():
                base = by[(db, small)]["pages"].get(name)
                if base is None:
                    continue
                # Each page's cost in units of the hello measured beside it, so the two sizes,
                # measured minutes apart, compare on the same footing.
                cost = (f["hello_rps"] / f["rps"]) / (base["hello_rps"] / base["rps"])
                worst.append((cost, f["p50_ms"] / base["p50_ms"], name))
            cost, raw, name = max(worst)
            slow = [n for c, _, n in worst if c > 1.5]
            lines.append(
                f"- {db}: {big:,} vs {small:,} products, each page's cost (its hello's req/s "
                f"over its own) at most {cost:.2f} times ({name}; raw p50 {raw:.2f} times) "
                f"(target 1.5 times on every page): {mark(not slow)}"
                + (f"; over: {', '.join(slow)}" if slow else "")
            )
    else:
        lines.append("- 100k vs 1k: not measured in this run (only one catalog size).")
    return lines


def machine() -> str:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def write_results(groups: list[dict], args, command: str) -> str:
    notes = ""
    if RESULTS.exists() and NOTES_MARK in RESULTS.read_text():
        notes = RESULTS.read_text().split(NOTES_MARK, 1)[1]
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- Machine: {machine()}",
            f"- Command: `{command}`",
            f"- Server: gunicorn, {WORKERS} `{WORKER_CLASS}` workers"
            + (f" of {WORKER_THREADS} threads" if WORKER_THREADS > 1 else "")
            + ", 127.0.0.1; the hello "
            "ceiling (bench/hello.py) under the same settings, measured again with each page, "
            "in turns with it: a page's share is of the hello measured beside it.",
            f"- Load: `wrk -t{args.threads} -c{args.connections}` for {args.duration} per page "
            f"and as long on hello, in {args.slices} slices of each taken in turns (hello, "
            "page, hello, page...; the two carts in the same turns: hello, 1 line, 30 lines..., "
            f"{args.pair_turns} times as long and in {args.pair_turns} times as many slices), "
            "after one second of the same load on each, untimed, so "
            "that both workers' caches are warm. Logged-in pages carry the session cookie of "
            "a login made once. req/s: all the slices' requests over their time; p50: the "
            "median of the slices' p50s; p99: the highest of their p99s.",
            f"- Checkout: {args.checkout_buyers} guest buyers at once, {args.checkout_orders} "
            "orders each, paying by card at localstripe; then as many buyers and orders "
            "without the card steps (the orders left unpaid), so that no worker waits on the "
            f"payment provider; then the same number of orders by {WORKERS} buyers, one per "
            "worker, so that none waits for a worker busy with another's step. The "
            "place-order figure times only the POST that places the order (it writes the "
            "order, the stock reservation and the payment row, and calls no payment "
            "provider); the card steps that talk to localstripe (SetupIntent, PaymentIntent) "
            "are separate requests, timed apart. A request's wait for a worker: the mean of "
            "every request's time as its buyer saw it, less the mean of their times inside "
            "the worker (gunicorn's access log).",
            "",
            table(groups),
            "",
            "## Targets",
            "",
            *targets(groups),
            "",
            NOTES_MARK + (notes if notes else "\n"),
        ]
    )
    RESULTS.write_text(text.rstrip() + "\n")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--dbs", default="sqlite,postgresql")
    parser.add_argument("--duration", default="10s")
    parser.add_argument(
        "--slices",
        type=int,
        default=6,
        help="each page's --duration is measured in this many slices, in turns with hello",
    )
    parser.add_argument(
        "--pair-turns",
        type=int,
        default=3,
        help="the two carts, compared with each other, are measured this many times as long",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--checkout-buyers", type=int, default=8)
    parser.add_argument("--checkout-orders", type=int, default=5)
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (gthread workers); 1: sync workers",
    )
    parser.add_argument("--no-write", action="store_true", help="do not rewrite RESULTS.md")
    args = parser.parse_args()
    global WORKER_CLASS, WORKER_THREADS
    if args.worker_threads > 1:
        WORKER_CLASS, WORKER_THREADS = "gthread", args.worker_threads
    command = "bench/run.sh " + shlex.join(sys.argv[1:])
    signal.signal(signal.SIGTERM, stop_all)

    sizes = [int(s) for s in args.sizes.split(",")]
    dbs = args.dbs.split(",")
    groups = []
    postgres = None
    stripe = None
    work = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    try:
        stripe = StripePeer().start()
        _started.append(stripe.process)
        if "postgresql" in dbs:
            postgres = ThrowawayPostgres()
            admin_url = postgres.start()
            log(f"PostgreSQL cluster on port {postgres.port}")
        for db in dbs:
            for size in sizes:
                if db == "sqlite":
                    url = f"sqlite:///{work}/bench-{size}.sqlite3"
                else:
                    import sqlalchemy as sa

                    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
                    with engine.connect() as conn:
                        conn.execute(sa.text(f"CREATE DATABASE bench_{size}"))
                    engine.dispose()
                    url = admin_url.rsplit("/", 1)[0] + f"/bench_{size}"
                groups.append(run_group(db, size, url, stripe, work, args))
    finally:
        stop_all()
        if stripe is not None:
            stripe.process = None
        if postgres is not None:
            postgres.stop()
        for f in work.glob("*.log"):
            tail = f.read_text(errors="replace")[-2000:]
            if "Traceback" in tail or "Error" in tail:
                log(f"{f.name} (tail):\n{tail}")
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(table(groups))
    print()
    print("\n".join(targets(groups)))
    if not args.no_write:
        write_results(groups, args, command)
        log(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
