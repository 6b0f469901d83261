"""Wait for the local Stripe stand-in to answer, then send its webhooks to the dev server.

Used by scripts/start.sh only; needs nothing but the standard library.
"""

import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def main(base: str, app_port: str, key: str, secret: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(
                urllib.request.Request(f"{base}/v1/customers", headers=headers), timeout=2
            ).read()
            break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                sys.exit("localstripe did not start; see instance/localstripe.log")
            time.sleep(0.2)
    body = urllib.parse.urlencode(
        {"url": f"http://127.0.0.1:{app_port}/stripe/webhook", "secret": secret}
    ).encode()
    request = urllib.request.Request(f"{base}/_config/webhooks/shop", data=body, headers=headers)
    urllib.request.urlopen(request, timeout=5).read()


if __name__ == "__main__":
    main(*sys.argv[1:5])
