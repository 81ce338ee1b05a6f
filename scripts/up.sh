#!/usr/bin/env bash
# Set up, then run the embedded default: Temporal dev server (SQLite under .nrm/), Web UI and the worker.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/nrm up "$@"
