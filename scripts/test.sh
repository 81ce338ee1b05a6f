#!/usr/bin/env bash
# Set up, check the code (one-way layers, lint, format, types), then run the whole test suite against a real
# Temporal dev server that the tests start themselves.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
.venv/bin/lint-imports --no-cache || exit 1
.venv/bin/ruff check . || exit 1
.venv/bin/ruff format --check . || exit 1
.venv/bin/mypy || exit 1
.venv/bin/python -m pytest -q "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "no tests were collected: treating that as a failure" >&2
  exit 1
fi
exit "$code"
