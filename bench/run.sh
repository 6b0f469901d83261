#!/usr/bin/env bash
# Benchmarks of the store against a bare Flask "hello" (issue 8). Not part of the test suite.
#   bench/run.sh                         # SQLite and PostgreSQL, 1,000 and 100,000 products
#   bench/run.sh --sizes 1000 --dbs sqlite --duration 5s
# Installs what it needs (the project's .venv with gunicorn, wrk and the PostgreSQL server from
# Debian), then runs bench/run.py, which starts and stops everything it uses and rewrites
# bench/RESULTS.md. Options: bench/run.sh --help.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null   # .venv with the project (gunicorn included)
missing=()
command -v wrk >/dev/null || missing+=(wrk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
exec .venv/bin/python bench/run.py "$@"
