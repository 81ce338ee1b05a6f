#!/usr/bin/env bash
# Create .venv (if missing) and install nrmflow with the dev server (local), charts (stats), tracing and test
# extras; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[local,stats,tracing,test]'
