#!/usr/bin/env bash
# Set up and start the store on http://127.0.0.1:5000 with SQLite and the demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=shop
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
echo "Harbor & Hall is running on http://127.0.0.1:5000 (Ctrl-C stops it)."
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
