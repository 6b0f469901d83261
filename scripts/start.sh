#!/usr/bin/env bash
# Set up and start the store on http://127.0.0.1:5000 with SQLite and the demo data.
# Without Stripe keys in the environment (or .env), card payments go to localstripe, a local
# stand-in for Stripe started here on 127.0.0.1:8420: use card 4242 4242 4242 4242, any future
# date and any CVC (4000 0025 0000 3155 asks for 3-D Secure, 4000 0000 0000 0341 is declined).
# Emails are written to instance/mail/ instead of being sent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=shop
PORT=${PORT:-5000}
[ -f .env ] && set -a && . ./.env && set +a
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo

if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  STRIPE_PORT=${STRIPE_PORT:-8420}
  .venv/bin/python -c "import sys; from aiohttp import web; from localstripe.server import app; \
web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)" "$STRIPE_PORT" \
    >instance/localstripe.log 2>&1 &
  STRIPE_PID=$!
  trap 'kill $STRIPE_PID 2>/dev/null || true' EXIT
  export STRIPE_SECRET_KEY=sk_test_local STRIPE_PUBLISHABLE_KEY=pk_test_local
  export STRIPE_WEBHOOK_SECRET=whsec_local
  export STRIPE_API_BASE="http://127.0.0.1:$STRIPE_PORT"
  export STRIPE_JS_URL="http://127.0.0.1:$STRIPE_PORT/js.stripe.com/v3/"
  .venv/bin/python scripts/dev_stripe.py "$STRIPE_API_BASE" "$PORT" "$STRIPE_SECRET_KEY" \
    "$STRIPE_WEBHOOK_SECRET"
  echo "Card payments go to localstripe on $STRIPE_API_BASE (test card 4242 4242 4242 4242)."
fi

echo "Harbor & Hall is running on http://127.0.0.1:$PORT (Ctrl-C stops it)."
.venv/bin/flask run --host 127.0.0.1 --port "$PORT"
