"""localstripe, a stand-in Stripe server, run as a separate process on loopback for the tests.

It is GPL software: we only ever run it as its own process and talk to it over HTTP.
"""

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
