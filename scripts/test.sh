#!/usr/bin/env bash
# Set up everything the suite needs, lint, and run the whole test suite.
# The suite starts its own throwaway PostgreSQL, Redis, Stripe peer and SMTP server on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check shop tests scripts wsgi.py
.venv/bin/ruff format --check shop tests scripts wsgi.py >/dev/null || {
  echo "ruff format: some files are not formatted (run .venv/bin/ruff format)"; exit 1; }
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ $status -eq 5 ]; then
  echo "test.sh: no tests ran, which counts as a failure." >&2
  exit 1
fi
exit $status
