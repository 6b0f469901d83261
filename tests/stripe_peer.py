"""localstripe, a stand-in Stripe server, run as a separate process on loopback for the tests.

It is GPL software: we only ever run it as its own process and talk to it over HTTP.
"""

import fnmatch
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SECRET_KEY = "sk_test_shop_suite"
PUBLISHABLE_KEY = "pk_test_shop_suite"
WEBHOOK_SECRET = "whsec_shop_suite"

_SERVE = (
    "import sys; from aiohttp import web; from localstripe.server import app; "
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StripePeer:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def _request(self, method: str, path: str, data: bytes | None = None) -> bytes:
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read()

    def start(self) -> "StripePeer":
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self._request("GET", "/v1/customers")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("localstripe did not start")

    def reset(self) -> None:
        self._request("DELETE", "/_config/data")

    def register_webhook(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        self._request("POST", "/_config/webhooks/shop", body)

    def authenticate(self, intent_id: str, client_secret: str, success: bool = True) -> None:
        """What a buyer clicking "Complete authentication" in the 3-D Secure dialog does."""
        body = urllib.parse.urlencode(
            {"client_secret": client_secret, "success": "true" if success else "false"}
        ).encode()
        self._request("POST", f"/v1/payment_intents/{intent_id}/_authenticate", body)

    def card(self, number: str) -> str:
        """A saved card, as Stripe.js would leave it after confirmCardSetup."""
        body = urllib.parse.urlencode(
            {
                "type": "card",
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2031",
                "card[cvc]": "123",
            }
        ).encode()
        return json.loads(self._request("POST", "/v1/payment_methods", body))["id"]

    def token(self, number: str) -> str:
        """A one-use card token, as Stripe.js's createToken leaves it (no authentication)."""
        body = urllib.parse.urlencode(
            {
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2031",
                "card[cvc]": "123",
            }
        ).encode()
        return json.loads(self._request("POST", "/v1/tokens", body))["id"]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def settings(self) -> dict:
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.url,
            "STRIPE_JS_URL": f"{self.url}/js.stripe.com/v3/",
        }


class RecordingProxy:
    """A loopback HTTP proxy in front of the Stripe peer: it keeps every request the app's real
    Stripe SDK sends (method, path, headers), and can make chosen requests time out.

    `stall(method, path)` (the path may hold `*`) makes the next matching request hang without
    an answer until the client gives up: with `forward=False` it never reaches the peer (lost
    on the way there), with `forward=True` the peer does the work and the answer is lost on the
    way back.
    """

    def __init__(self, peer: StripePeer):
        import http.server
        import threading

        self.peer = peer
        self.requests: list[dict] = []
        self.stalls: list[tuple[str, str, bool]] = []
        self.released = threading.Event()
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    proxy.requests.append(
                        {"method": self.command, "path": self.path, "headers": dict(self.headers)}
                    )
                    stall = next(
                        (
                            s
                            for s in proxy.stalls
                            if s[0] == self.command
                            and fnmatch.fnmatchcase(self.path.split("?")[0], s[1])
                        ),
                        None,
                    )
                    if stall is not None:
                        proxy.stalls.remove(stall)
                if stall is not None and not stall[2]:
                    proxy.released.wait(30)
                    self.close_connection = True
                    return
                status, content_type, answer = proxy.forward(
                    self.command, self.path, body, self.headers
                )
                if stall is not None:
                    proxy.released.wait(30)
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def forward(self, method: str, path: str, body: bytes, headers) -> tuple[int, str, bytes]:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.peer.port, timeout=10)
        try:
            keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection")}
            connection.request(method, path, body=body or None, headers=keep)
            response = connection.getresponse()
            return (
                response.status,
                response.getheader("Content-Type", "application/json"),
                response.read(),
            )
        finally:
            connection.close()

    def stall(self, method: str, path: str, forward: bool = False) -> None:
        with self.lock:
            self.stalls.append((method, path, forward))

    def sent(self, method: str, path: str) -> list[dict]:
        """The headers of every request sent so far to this method and path (`*` allowed)."""
        with self.lock:
            return [
                r["headers"]
                for r in self.requests
                if r["method"] == method and fnmatch.fnmatchcase(r["path"].split("?")[0], path)
            ]

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
