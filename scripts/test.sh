#!/usr/bin/env bash
# The whole suite. pytest's exit 5 (no tests collected) is a failure, like any other non-zero exit.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "test.sh: pytest collected no tests — failing" >&2
  exit 1
fi
exit "$code"
