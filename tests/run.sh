#!/usr/bin/env bash
# The test command: installs what the tests need (Debian's chromium included) into .venv and runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
# The versions the project was tested with (requirements.txt, tests/constraints.txt); VST_LATEST=1 takes the
# newest that pyproject.toml's ranges allow instead, to find out early what a new release breaks.
PINS=(-c requirements.txt -c tests/constraints.txt)
[ "${VST_LATEST:-0}" = 1 ] && PINS=(--upgrade --upgrade-strategy eager)
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]' "${PINS[@]}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q "$@"
